"""Forecast and anomaly alerts on the real Neo4j: raised when due, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import neo4j
import pytest

from app.alerts import store as alert_store
from app.alerts import watch
from app.budgets import store as budget_store
from app.budgets.model import Budget, Scope
from app.pricing.model import Catalog, Usage, load_default_catalog
from app.pricing.store import seed_default_catalog
from app.usage import ledger
from app.usage.model import UsageRecord

pytestmark = pytest.mark.neo4j

CATALOG = Catalog(load_default_catalog())
NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)
NOV = datetime(2026, 11, 1, tzinfo=UTC)


def opus(event_id: str, at: datetime, input_tokens: int, project: str, agent: str) -> UsageRecord:
    """claude-3-opus input costs $15 per million tokens: 100k tokens are $1.50."""
    return UsageRecord(
        event_id=event_id,
        timestamp=at,
        model="claude-3-opus",
        usage=Usage(input_tokens=input_tokens),
        agent_id=agent,
        project_id=project,
    )


def monthly(id_: str, project: str, usd: int) -> Budget:
    return Budget(
        id=id_,
        name=id_,
        scope=Scope("project", project),
        amount_nanos=usd * 10**9,
        token_limit=None,
        period="month",
    )


def alerts(driver: neo4j.Driver, level: str) -> list[dict[str, object]]:
    return alert_store.list_alerts(
        driver, level=level, budget_id=None, unacknowledged=None, limit=100, database=None
    )


def test_forecast_and_anomaly_alerts_fire_once(graph: neo4j.Driver) -> None:
    driver = graph
    seed_default_catalog(driver)
    # Project p: $7.50 in the first half of November, on course for ~$14.50 by month end.
    events = [opus(f"p{d}", NOV + timedelta(days=d), 500_000, "p", "pa") for d in (0, 3, 6, 9, 12)]
    # Project q: $0.15 a day for a week, then $0.60 today (400% of its 7-day average).
    events += [
        opus(f"q{d}", datetime(2026, 11, d, 12, tzinfo=UTC), 10_000, "q", "qa")
        for d in range(9, 16)
    ]
    events.append(opus("q-today", datetime(2026, 11, 16, 6, tzinfo=UTC), 40_000, "q", "qa"))
    ledger.record(driver, events, CATALOG, platform_id="default", now=NOW)
    with driver.session() as session:
        for b in (monthly("p-month", "p", 10), monthly("q-month", "q", 100)):
            session.execute_write(budget_store.create_budget, b, platform_id="default", now=NOW)

    fired = watch.raise_alerts(driver, NOW)
    assert sorted((a.kind, a.budget_id or a.message.split()[1]) for a in fired) == [
        ("anomaly", "q"),
        ("anomaly", "qa"),
        ("forecast", "p-month"),
    ]
    forecast = next(a for a in fired if a.kind == "forecast")
    assert forecast.limit == 10 * 10**9
    assert forecast.observed > forecast.limit
    anomaly = next(a for a in fired if a.kind == "anomaly")
    assert anomaly.observed == 600_000_000  # $0.60
    assert anomaly.limit == 150_000_000  # the trailing average, $0.15

    # Evaluating again fires nothing new; the list holds each alert once.
    assert watch.raise_alerts(driver, NOW + timedelta(minutes=5)) == []
    assert len(alerts(driver, "forecast")) == 1
    assert len(alerts(driver, "anomaly")) == 2


def test_nothing_is_due_early_in_a_window_or_on_a_quiet_day(graph: neo4j.Driver) -> None:
    driver = graph
    seed_default_catalog(driver)
    early = datetime(2026, 11, 2, 12, tzinfo=UTC)  # 5% of November gone
    ledger.record(
        driver,
        [opus("big", datetime(2026, 11, 1, 1, tzinfo=UTC), 500_000, "p", "pa")],
        CATALOG,
        platform_id="default",
        now=early,
    )
    with driver.session() as session:
        session.execute_write(
            budget_store.create_budget, monthly("p-month", "p", 1), platform_id="default", now=early
        )
    # $1.50 against $1 would project far over, but a twentieth of the month says little;
    # and a first day with no trailing days is no anomaly.
    assert watch.due_alerts(driver, early) == []
