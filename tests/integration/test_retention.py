"""Compaction keeps every total: per project, team, task, run, agent, agent type, model,
provider and day (then month), the summary, and budget windows, on the real Neo4j."""

from __future__ import annotations

import random
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from typing import Any

import neo4j
import pytest

from app.budgets import store as budget_store
from app.budgets.model import Budget, Scope, Window
from app.graph.queries import cypher
from app.pricing.model import Catalog, Usage, load_default_catalog
from app.pricing.store import seed_default_catalog
from app.reports import retention, store
from app.reports.model import parse_dimension
from app.usage import ledger
from app.usage.model import EventsRejected, UsageRecord

pytestmark = pytest.mark.neo4j

CATALOG = Catalog(load_default_catalog())
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
FIRST = datetime(2025, 6, 1, tzinfo=UTC)
END = datetime(2026, 11, 21, tzinfo=UTC)
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "deepseek-chat", "mistral-small")
DIMENSIONS = (
    "platform", "team", "project", "task", "run", "agent", "agent_type", "model", "provider",
)  # fmt: skip
PROJECT_TEAM = {"p0": "games", "p1": "games", "p2": "search", "p3": None}
TASK_PROJECT = {f"t{i}": f"p{i % 4}" for i in range(6)}
RUN_TASK = {f"r{i}": f"t{i % 6}" for i in range(10)}
AGENT_TYPE = {"coder": "coding", "critic": "review", "planner": "planning"}


def fleet(seed: int, events: int) -> list[UsageRecord]:
    """Events over 18 months; each run's first event names its whole chain, later ones a
    run, a project or nothing, so only the tree attributes them to the levels above."""
    rng = random.Random(seed)
    span = int((NOW - FIRST).total_seconds())
    records = []
    for i in range(events):
        run = task = project = team = None
        if i < len(RUN_TASK):
            run = f"r{i}"
            task = RUN_TASK[run]
            project = TASK_PROJECT[task]
            team = PROJECT_TEAM[project]
        else:
            level = rng.choice(["run", "run", "project", "none"])
            if level == "run":
                run = rng.choice(sorted(RUN_TASK))
            elif level == "project":
                project = rng.choice(sorted(PROJECT_TEAM))
        agent = rng.choice([*AGENT_TYPE, None])
        records.append(
            UsageRecord(
                event_id=f"ev{seed}-{i}",
                timestamp=FIRST + timedelta(seconds=rng.randrange(span)),
                model=rng.choice(MODELS),
                usage=Usage(
                    input_tokens=rng.randrange(0, 8000),
                    output_tokens=rng.randrange(0, 2000),
                    cache_read_tokens=rng.choice([0, rng.randrange(0, 9000)]),
                    cache_write_tokens=rng.choice([0, rng.randrange(0, 900)]),
                    batch=rng.random() < 0.2,
                ),
                agent_id=agent,
                agent_type=AGENT_TYPE.get(agent or ""),
                run_id=run,
                task_id=task,
                project_id=project,
                team_id=team,
            )
        )
    return records


def budget(id_: str, scope: Scope, period: str, parent: str | None = None) -> Budget:
    return Budget(
        id=id_,
        name=id_,
        scope=scope,
        amount_nanos=10**15,
        token_limit=None,
        period=period,
        timezone="UTC",
        parent_id=parent,
    )


def record(driver: neo4j.Driver, records: list[UsageRecord]) -> None:
    for start in range(0, len(records), 250):
        ledger.record(driver, records[start : start + 250], CATALOG, platform_id="default", now=NOW)


def totals(driver: neo4j.Driver, bucket: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: sorted(
            (
                astuple(r)
                for r in store.rollup(
                    driver, parse_dimension(name), start=FIRST, end=END, bucket=bucket
                )
            ),
            key=repr,
        )
        for name in DIMENSIONS
    }


def summaries(driver: neo4j.Driver) -> list[dict[str, Any]]:
    out = []
    for project_id, team_id in ((None, None), ("p0", None), (None, "games"), ("p3", None)):
        records, _, _ = driver.execute_query(
            cypher("usage/summary"),
            start=datetime(1970, 1, 1, tzinfo=UTC),
            end=datetime(9999, 1, 1, tzinfo=UTC),
            project_id=project_id,
            team_id=team_id,
        )
        out.append(records[0].data())
    return out


def windows(driver: neo4j.Driver) -> dict[tuple[str, Any], tuple[int, int]]:
    records, _, _ = driver.execute_query(
        "MATCH (b:Budget)-[:HAS_WINDOW]->(w:SpendWindow) "
        "RETURN b.id AS id, w.start AS start, w.end AS end, w.spent_nanousd AS spent, "
        "w.tokens AS tokens"
    )
    return {
        (r["id"], Window(r["start"].to_native(), r["end"].to_native())): (r["spent"], r["tokens"])
        for r in records
    }


def count(driver: neo4j.Driver, label: str) -> int:
    records, _, _ = driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n")
    return int(records[0]["n"])


def test_compaction_keeps_every_total(graph: neo4j.Driver) -> None:
    driver = graph
    seed_default_catalog(driver)
    events = fleet(7, 900)
    record(driver, events[: len(RUN_TASK)])
    with driver.session() as session:
        for b in (
            budget("games-total", Scope("team", "games"), "total"),
            budget("p0-total", Scope("project", "p0"), "total", parent="games-total"),
            budget("p0-monthly", Scope("project", "p0"), "month"),
            budget("coder-weekly", Scope("agent", "coder"), "week"),
        ):
            session.execute_write(budget_store.create_budget, b, platform_id="default", now=NOW)
    record(driver, events[len(RUN_TASK) :])

    days, months = totals(driver, "day"), totals(driver, "month")
    sums, spent = summaries(driver), windows(driver)
    assert sum(r[-2] for r in days["platform"]) == len(events)

    # Usage older than 90 days becomes per-day sums; days are kept for now.
    first = retention.compact(driver, now=NOW, policy=retention.Policy(90, 10_000))
    assert first.horizon == datetime(2026, 8, 22, tzinfo=UTC)
    kept = sum(e.timestamp >= first.horizon for e in events)
    assert first.deleted == len(events) - kept > 0
    assert count(driver, "TokenUsage") == count(driver, "CostEntry") == kept
    assert totals(driver, "day") == days
    assert summaries(driver) == sums
    assert windows(driver) == spent

    # Budget windows still reconcile, and recomputing them (as a tree change does) keeps them.
    for (budget_id, window), (nanos, tokens) in spent.items():
        assert budget_store.reconcile(driver, budget_id, window) == budget_store.Spend(
            spent_nanos=nanos, tokens=tokens
        ), (budget_id, window)
    with driver.session() as session:
        for budget_id in ("p0-total", "p0-monthly", "coder-weekly"):
            session.execute_write(budget_store.recompute_windows_above, budget_id)
    assert windows(driver) == spent

    # Per-day sums older than 365 days fold into months: monthly totals stay exact.
    second = retention.compact(driver, now=NOW, policy=retention.Policy(90, 365))
    assert second.month_horizon == datetime(2025, 11, 1, tzinfo=UTC)
    assert second.deleted == 0 and second.days_merged > 0
    assert totals(driver, "month") == months
    assert summaries(driver) == sums
    after = totals(driver, "day")
    recent = {k: [r for r in v if r[-1] >= "2025-11-01"] for k, v in days.items()}
    assert {k: [r for r in v if r[-1] >= "2025-11-01"] for k, v in after.items()} == recent

    # Compacting again changes nothing.
    third = retention.compact(driver, now=NOW, policy=retention.Policy(90, 365))
    assert (third.deleted, third.days_merged, third.windows_carried) == (0, 0, 0)
    assert totals(driver, "month") == months


def test_usage_older_than_the_horizon_is_refused_whole(graph: neo4j.Driver) -> None:
    driver = graph
    seed_default_catalog(driver)
    events = fleet(3, 40)
    record(driver, events)
    done = retention.compact(driver, now=NOW, policy=retention.Policy(90, 365))
    before = count(driver, "TokenUsage")
    fresh = UsageRecord(
        event_id="new-recent",
        timestamp=NOW - timedelta(days=1),
        model="gpt-4o",
        usage=Usage(input_tokens=10, output_tokens=5),
    )
    old = UsageRecord(
        event_id="new-old",
        timestamp=done.horizon - timedelta(seconds=1),
        model="gpt-4o",
        usage=Usage(input_tokens=10, output_tokens=5),
    )
    with pytest.raises(EventsRejected) as caught:
        ledger.record(driver, [fresh, old], CATALOG, platform_id="default", now=NOW)
    assert [(r.index, r.field) for r in caught.value.rejections] == [(1, "timestamp")]
    assert "daily totals" in caught.value.rejections[0].message
    assert count(driver, "TokenUsage") == before
    # A repeat of an event still kept is a duplicate, as ever.
    kept = next(e for e in events if e.timestamp >= done.horizon)
    again = ledger.record(driver, [kept], CATALOG, platform_id="default", now=NOW)
    assert again.duplicates == 1


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        retention.Policy(0, 365)
    with pytest.raises(ValueError, match="longer"):
        retention.Policy(90, 90)
