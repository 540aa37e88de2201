"""Budgets that hold: windows, checks, reservations, settlement and alerts over HTTP."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import neo4j
import pytest
from fastapi.testclient import TestClient

BASE_EVENT: dict[str, Any] = {
    "provider": "anthropic",
    "model": "claude-sonnet-4-5",
    "input_tokens": 0,
    "output_tokens": 0,
    "team_id": "games",
    "project_id": "my-arpg",
}


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/budgets", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def tree(client: TestClient, project_usd: str = "10.00", team_usd: str = "1000.00") -> None:
    create(
        client,
        id="games-monthly",
        allocated_to={"kind": "team", "id": "games"},
        amount_usd=team_usd,
        period="month",
    )
    create(
        client,
        id="arpg-monthly",
        allocated_to={"kind": "project", "id": "my-arpg"},
        amount_usd=project_usd,
        period="month",
        parent_id="games-monthly",
    )


def spend(client: TestClient, event_id: str, output_tokens: int, **extra: Any) -> dict[str, Any]:
    """Sonnet output is $15 per million tokens: 1,000,000 output tokens cost $15."""
    body = {**BASE_EVENT, "event_id": event_id, "output_tokens": output_tokens, **extra}
    response = client.post("/v1/usage", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def status(client: TestClient, budget_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/budgets/{budget_id}/status")
    assert response.status_code == 200, response.text
    return response.json()


def test_budgets_follow_the_organisation_tree(client: TestClient) -> None:
    spend(client, "first", 10)  # makes my-arpg PART_OF games
    create(
        client,
        id="games-monthly",
        allocated_to={"kind": "team", "id": "games"},
        amount_usd="1000",
        period="month",
    )
    create(
        client,
        id="arpg-monthly",
        allocated_to={"kind": "project", "id": "my-arpg"},
        amount_usd="10",
        period="month",
    )
    arpg = client.get("/v1/budgets/arpg-monthly").json()
    assert arpg["parent_id"] == "games-monthly"
    assert client.get("/v1/budgets/games-monthly").json()["children"] == ["arpg-monthly"]


def test_usage_fills_every_window_up_the_tree(client: TestClient) -> None:
    tree(client)
    answer = spend(client, "e1", 400_000)  # $6.00
    touched = {b["budget_id"]: b for b in answer["budgets"]}
    assert set(touched) == {"games-monthly", "arpg-monthly"}
    assert touched["arpg-monthly"]["thresholds_crossed"] == [50]
    arpg = status(client, "arpg-monthly")
    assert (arpg["spent_usd"], arpg["remaining_usd"]) == ("6.000000000", "4.000000000")
    assert arpg["percent_used"] == "60.00"
    games = status(client, "games-monthly")
    assert games["spent_usd"] == "6.000000000"
    assert [c["budget_id"] for c in games["children"]] == ["arpg-monthly"]


def test_a_budget_created_later_starts_from_history(client: TestClient) -> None:
    spend(client, "before", 200_000)  # $3.00, before any budget exists
    tree(client)
    assert status(client, "arpg-monthly")["spent_usd"] == "3.000000000"


def test_check_denies_over_a_hard_limit_and_suggests_a_cheaper_model(client: TestClient) -> None:
    tree(client)
    spend(client, "e1", 600_000)  # $9.00 of $10
    ok = client.post("/v1/checks", json={"amount_usd": "0.50", "project_id": "my-arpg"}).json()
    assert ok["allowed"] is True and ok["action"] == "continue"
    big = {
        "model": "claude-sonnet-4-5",
        "estimated_input_tokens": 100_000,
        "estimated_output_tokens": 100_000,
        "project_id": "my-arpg",
    }
    denied = client.post("/v1/checks", json=big).json()
    assert denied["allowed"] is False and denied["action"] == "stop"
    assert [r["budget_id"] for r in denied["reasons"]] == ["arpg-monthly"]
    assert denied["suggestion"]["provider"] == "anthropic"
    assert Decimal(denied["suggestion"]["estimated_usd"]) <= Decimal("1.00")
    remaining = {b["budget_id"]: b["remaining_usd"] for b in denied["budgets"]}
    assert remaining == {"arpg-monthly": "1.000000000", "games-monthly": "991.000000000"}


def test_reserve_settle_release(client: TestClient) -> None:
    tree(client)
    hold = client.post("/v1/reservations", json={"amount_usd": "4.00", "project_id": "my-arpg"})
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["id"]
    assert status(client, "arpg-monthly")["reserved_usd"] == "4.000000000"
    assert status(client, "games-monthly")["reserved_usd"] == "4.000000000"
    second = client.post("/v1/reservations", json={"amount_usd": "7.00", "project_id": "my-arpg"})
    assert second.status_code == 402
    problem = second.json()
    assert problem["type"].endswith("/budget-exceeded") and problem["budget_id"] == "arpg-monthly"
    settled = client.post(
        f"/v1/reservations/{hold_id}/settle",
        json={**BASE_EVENT, "event_id": "real", "output_tokens": 200_000},
    )
    assert settled.status_code == 200, settled.text
    assert settled.json()["results"][0]["cost"]["total_usd"] == "3.000000000"
    arpg = status(client, "arpg-monthly")
    assert (arpg["spent_usd"], arpg["reserved_usd"]) == ("3.000000000", "0.000000000")
    again = client.post(
        f"/v1/reservations/{hold_id}/settle",
        json={**BASE_EVENT, "event_id": "real2", "output_tokens": 1},
    )
    assert again.status_code == 409
    other = client.post("/v1/reservations", json={"amount_usd": "1.00", "project_id": "my-arpg"})
    assert client.delete(f"/v1/reservations/{other.json()['id']}").json()["state"] == "released"
    assert status(client, "arpg-monthly")["reserved_usd"] == "0.000000000"


def test_expired_holds_release_themselves(client: TestClient, graph: neo4j.Driver) -> None:
    tree(client)
    hold = client.post("/v1/reservations", json={"amount_usd": "9.00", "project_id": "my-arpg"})
    graph.execute_query(
        "MATCH (r:Reservation {id: $id}) SET r.expires_at = datetime() - duration('PT1S')",
        id=hold.json()["id"],
    )
    again = client.post("/v1/reservations", json={"amount_usd": "9.00", "project_id": "my-arpg"})
    assert again.status_code == 201, again.text
    assert status(client, "arpg-monthly")["reserved_usd"] == "9.000000000"


def test_usage_is_recorded_past_a_hard_limit_then_spending_is_denied(client: TestClient) -> None:
    tree(client)
    answer = spend(client, "big", 1_000_000)  # $15 > $10: recorded anyway, it was spent
    touched = {b["budget_id"]: b for b in answer["budgets"]}
    assert touched["arpg-monthly"]["exceeded"] is True
    assert touched["arpg-monthly"]["thresholds_crossed"] == [50, 80, 95, 100]
    denied = client.post("/v1/reservations", json={"amount_usd": "0.01", "project_id": "my-arpg"})
    assert denied.status_code == 402
    alerts = client.get("/v1/alerts", params={"budget_id": "arpg-monthly"}).json()
    assert sorted(a["threshold"] for a in alerts["alerts"]) == [50, 80, 95, 100]
    assert {a["level"] for a in alerts["alerts"]} == {"info", "warning", "critical", "exceeded"}


def test_thresholds_fire_once_per_window_under_concurrent_ingestion(client: TestClient) -> None:
    tree(client)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: spend(client, f"c{i}", 40_000), range(16)))  # 16 x $0.60
    alerts = client.get("/v1/alerts", params={"budget_id": "arpg-monthly"}).json()["alerts"]
    assert sorted(a["threshold"] for a in alerts) == [50, 80, 95]  # 96% used
    assert status(client, "arpg-monthly")["spent_usd"] == "9.600000000"


def test_soft_budgets_warn_and_never_block(client: TestClient) -> None:
    create(
        client,
        id="soft",
        allocated_to={"kind": "project", "id": "my-arpg"},
        amount_usd="1.00",
        kind="soft",
    )
    spend(client, "e", 100_000)  # $1.50
    answer = client.post("/v1/reservations", json={"amount_usd": "5.00", "project_id": "my-arpg"})
    assert answer.status_code == 201
    assert answer.json()["warnings"][0]["budget_id"] == "soft"


def test_per_run_limit_says_terminate_run(client: TestClient) -> None:
    create(
        client,
        id="runs",
        allocated_to={"kind": "platform", "id": "default"},
        period="total",
        max_cost_per_run_usd="1.00",
    )
    first = spend(client, "r1", 50_000, run_id="run-1")  # $0.75
    assert first["results"][0]["action"] == "continue"
    second = spend(client, "r2", 50_000, run_id="run-1")  # $1.50 in the run
    assert second["results"][0]["action"] == "terminate_run"
    check = client.post("/v1/checks", json={"amount_usd": "0.01", "run_id": "run-1"}).json()
    assert check["action"] == "terminate_run" and check["allowed"] is False


def test_max_concurrent_runs_queues_with_429(client: TestClient) -> None:
    create(
        client,
        id="slots",
        allocated_to={"kind": "platform", "id": "default"},
        period="total",
        max_concurrent_runs=2,
    )
    for run in ("a", "b"):
        held = client.post("/v1/reservations", json={"amount_usd": "0.01", "run_id": run})
        assert held.status_code == 201
    same_run = client.post("/v1/reservations", json={"amount_usd": "0.01", "run_id": "a"})
    assert same_run.status_code == 201
    third = client.post("/v1/reservations", json={"amount_usd": "0.01", "run_id": "c"})
    assert third.status_code == 429 and third.headers["Retry-After"].isdigit()


def test_override_gives_temporary_room_with_an_audit_trail(client: TestClient) -> None:
    tree(client)
    spend(client, "e", 660_000)  # $9.90
    denied = client.post("/v1/reservations", json={"amount_usd": "1.00", "project_id": "my-arpg"})
    assert denied.status_code == 402
    granted = client.post(
        "/v1/budgets/arpg-monthly/overrides",
        json={"amount_usd": "5.00", "expires_at": "2999-01-01T00:00:00Z", "reason": "release week"},
    )
    assert granted.status_code == 201, granted.text
    allowed = client.post("/v1/reservations", json={"amount_usd": "1.00", "project_id": "my-arpg"})
    assert allowed.status_code == 201
    trail = client.get("/v1/audit").json()
    assert trail and trail[0]["budget_ids"] == ["arpg-monthly"]


def test_bad_budgets_are_problems(client: TestClient) -> None:
    cases = [
        {"id": "x", "allocated_to": {"kind": "moon", "id": "m"}, "amount_usd": "1"},
        {"id": "x", "allocated_to": {"kind": "team", "id": "t"}, "amount_usd": "-1"},
        {
            "id": "x",
            "allocated_to": {"kind": "team", "id": "t"},
            "amount_usd": "1",
            "timezone": "Mars/Olympus",
        },
        {"id": "x", "allocated_to": {"kind": "team", "id": "t"}},
        {
            "id": "x",
            "allocated_to": {"kind": "team", "id": "t"},
            "amount_usd": "1",
            "parent_id": "missing",
        },
    ]
    for body in cases:
        response = client.post("/v1/budgets", json=body)
        assert response.status_code == 422, (body, response.text)
    create(client, id="dup", allocated_to={"kind": "team", "id": "t"}, amount_usd="1")
    again = client.post(
        "/v1/budgets",
        json={"id": "dup", "allocated_to": {"kind": "team", "id": "t"}, "amount_usd": "1"},
    )
    assert again.status_code == 409


def test_day_windows_start_at_local_midnight(client: TestClient, graph: neo4j.Driver) -> None:
    create(
        client,
        id="berlin-day",
        allocated_to={"kind": "project", "id": "my-arpg"},
        amount_usd="100",
        period="day",
        timezone="Europe/Berlin",
    )
    # Berlin is UTC+1 in January: local midnight of 6 January is 23:00Z on the 5th.
    spend(client, "late", 1000, timestamp="2026-01-05T22:59:59Z")
    spend(client, "midnight", 1000, timestamp="2026-01-05T23:00:00Z")
    records, _, _ = graph.execute_query(
        "MATCH (:Budget {id: 'berlin-day'})-[:HAS_WINDOW]->(w) WHERE w.spent_nanousd > 0 "
        "RETURN toString(w.start) AS start, w.spent_nanousd AS spent ORDER BY start"
    )
    assert [(r["start"], r["spent"]) for r in records] == [
        ("2026-01-04T23:00:00Z", 15_000_000),
        ("2026-01-05T23:00:00Z", 15_000_000),
    ]


@pytest.mark.slow
def test_64_clients_never_push_committed_spend_past_a_hard_budget(client: TestClient) -> None:
    tree(client, project_usd="10.00", team_usd="1000.00")
    rng = random.Random(7)
    amounts = [Decimal(rng.randint(5, 150)) / 100 for _ in range(64)]
    denials: list[dict[str, Any]] = []

    def one(i: int) -> None:
        amount = amounts[i]
        held = client.post(
            "/v1/reservations", json={"amount_usd": str(amount), "project_id": "my-arpg"}
        )
        if held.status_code == 402:
            denials.append(held.json())
            return
        assert held.status_code == 201, held.text
        # Settle for what was really spent: at most the amount held.
        tokens = int(amount * 1_000_000 / 15 * rng.choice([Decimal(1), Decimal("0.5")]))
        settled = client.post(
            f"/v1/reservations/{held.json()['id']}/settle",
            json={**BASE_EVENT, "event_id": f"c{i}", "output_tokens": tokens},
        )
        assert settled.status_code == 200, settled.text

    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(one, range(64)))
    arpg = status(client, "arpg-monthly")
    assert Decimal(arpg["spent_usd"]) <= Decimal("10.00")
    assert arpg["reserved_usd"] == "0.000000000"
    # A denial only ever happened when the room left could not take the request.
    for problem in denials:
        assert Decimal(problem["committed"]) + Decimal(problem["requested"]) > Decimal(
            problem["limit"]
        )
    assert denials, "the amounts were chosen to exhaust the budget"
