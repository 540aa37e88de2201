"""The hand-built JSON answer of POST /v1/usage is exactly its schema's serialisation:
read into the schema and written back, nothing is lost, added or changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.budgets.model import Budget, BudgetState, Scope, Spend, Window
from app.budgets.store import Touch, UsageEffects
from app.pricing.model import Cost
from app.usage.ledger import EventOutcome, Recorded
from app.usage.routes import ingest_answer, ingest_result
from app.usage.schemas import IngestResult
from app.usage.store import StoredResult

GPT_4O = "gpt-4o@2024-10-02T00:00:00Z"


def recorded() -> Recorded:
    outcomes = [
        EventOutcome("e-1", False, StoredResult("e-1", GPT_4O, Cost(2500, 10_000, 0, 0))),
        EventOutcome("e-1", True, StoredResult("e-1", GPT_4O, Cost(2500, 10_000, 0, 0))),
        EventOutcome(
            "e-2",
            False,
            StoredResult("e-2", "claude-sonnet-4-5@2025-09-29T00:00:00Z", Cost(1, 2, 3, 4, 5)),
            terminate_run=True,
        ),
    ]
    budget = Budget("b-1", "team", Scope("team", "t-1"), 10_000_000_000, None, kind="soft")
    window = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    touch = Touch(BudgetState(budget, window, Spend(spent_nanos=8_100_000_000)), (50, 80), ())
    return Recorded(outcomes, [], UsageEffects((touch,), frozenset({"run-1"})))


def test_answer_equals_the_models_serialisation() -> None:
    batch = recorded()
    expected = IngestResult.model_validate_json(ingest_answer(batch)).model_dump(mode="json")
    assert json.loads(ingest_answer(batch)) == expected
    assert ingest_result(batch).model_dump(mode="json") == expected
    assert expected["budgets"][0]["thresholds_crossed"] == [50, 80]
    assert [r["action"] for r in expected["results"]] == ["continue", "continue", "terminate_run"]


def test_answer_of_a_batch_without_budgets() -> None:
    batch = Recorded(recorded().outcomes[:1], [])
    answer = json.loads(ingest_answer(batch))
    assert answer == IngestResult.model_validate_json(ingest_answer(batch)).model_dump(mode="json")
    assert answer["results"][0]["cost"]["total_usd"] == "0.000012500"
    assert answer["budgets"] == []


def test_event_ids_that_need_escaping_come_back_as_sent() -> None:
    odd = 'call "7" \\ naïve\n\u2028 🚀'
    outcome = EventOutcome(odd, False, StoredResult(odd, GPT_4O, Cost(0, 0, 0, 0)))
    answer = json.loads(ingest_answer(Recorded([outcome], [])))
    assert answer["results"][0]["event_id"] == odd
    assert answer["results"][0]["cost"]["total_usd"] == "0.000000000"
