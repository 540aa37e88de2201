"""Retention: usage older than a few months lives on as per-day sums, and per-day sums
older than a year as per-month sums, kept forever.

Compaction never changes a total the reports give per project, team, task, run, agent,
model, provider and day (per month, once days are folded into months): every usage is
counted in the per-day sums before it is deleted. What goes is the detail of each call:
tag and operation breakdowns, exports and re-pricing cover the usage still kept.

The order makes a crash at any step harmless: the horizon moves first (ingestion then
refuses usage older than it, since its event id could no longer be told from a repeat),
budget windows running across it take over the spend about to be deleted, the roll-ups
catch up, and only usage already in the per-day sums is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import neo4j

from app.budgets import store as budget_store
from app.graph.driver import write_tx
from app.graph.queries import cypher
from app.graph.values import native
from app.reports.store import refresh_rollups

BATCH = 10_000


@dataclass(frozen=True)
class Policy:
    """How long usage is kept per call, and per-day sums per day."""

    usage_days: int = 90
    daily_days: int = 365

    def __post_init__(self) -> None:
        if self.usage_days < 1:
            raise ValueError("usage must be kept at least 1 day")
        if self.daily_days <= self.usage_days:
            raise ValueError("daily sums must be kept longer than the usage they sum")

    def usage_horizon(self, now: datetime) -> datetime:
        """Usage with a timestamp before this (00:00 UTC) is compacted."""
        day = (now.astimezone(UTC) - timedelta(days=self.usage_days)).date()
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    def month_horizon(self, now: datetime) -> datetime:
        """Per-day sums of months that ended before this (a 1st, 00:00 UTC) become months."""
        day = (now.astimezone(UTC) - timedelta(days=self.daily_days)).date()
        return datetime(day.year, day.month, 1, tzinfo=UTC)


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Compaction:
    horizon: datetime
    month_horizon: datetime
    windows_carried: int
    rolled: int
    deleted: int
    days_merged: int


def compact(
    driver: neo4j.Driver,
    *,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
    database: str | None = None,
    batch: int = BATCH,
) -> Compaction:
    """Roll old usage into the per-day sums and delete it; fold old days into months.

    ``now`` places the horizons (usage_days and daily_days before it)."""
    horizon = policy.usage_horizon(now)
    with driver.session(database=database) as session:
        carried = write_tx(session, _move_horizon, horizon)
    # Every usage recorded so far is rolled up (``now`` only places the horizons).
    rolled = refresh_rollups(driver, now=datetime.now(UTC), database=database)
    deleted = _repeat(
        driver, "retention/delete_usage", "deleted", database, horizon=horizon, limit=batch
    )
    months = policy.month_horizon(now)
    merged = _repeat(
        driver, "retention/merge_months", "merged", database, before=months, limit=batch
    )
    return Compaction(horizon, months, carried, rolled, deleted, merged)


def _move_horizon(tx: neo4j.ManagedTransaction, horizon: datetime) -> int:
    record = tx.run(cypher("retention/begin"), horizon=horizon).single(strict=True)
    previous = native(record["previous"])
    if previous is not None and previous >= horizon:
        return 0
    return budget_store.carry_windows(tx, previous, horizon)


def _repeat(
    driver: neo4j.Driver, query: str, field: str, database: str | None, **params: object
) -> int:
    """Run a batched statement, one transaction per batch, until a batch does nothing."""
    total = 0
    while True:
        records, _, _ = driver.execute_query(cypher(query), params, database_=database)
        done = int(records[0][field])
        total += done
        if done == 0:
            return total
