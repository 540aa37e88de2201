"""The named queries of cypher/reports/, run read-only, their rows returned as values."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import neo4j

from app.graph.driver import write_tx
from app.graph.queries import cypher
from app.graph.values import native
from app.pricing.model import Usage
from app.reports.model import (
    AgentModelUsage,
    Dimension,
    PricedUsage,
    Rollup,
    UsageLine,
    agent_model_usage_from_row,
    rollup_from_row,
)
from app.usage.store import TAG_PREFIX

EXPORT_PAGE = 5000


def run(
    driver: neo4j.Driver, query: str, /, *, database: str | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Rows of the named query (e.g. ``reports/cache_savings``) as plain dicts."""
    records, _, _ = driver.execute_query(
        cypher(query), params, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return [native(record.data()) for record in records]


def rollup(
    driver: neo4j.Driver,
    dimension: Dimension,
    *,
    start: datetime,
    end: datetime,
    bucket: str | None = None,
    database: str | None = None,
) -> list[Rollup]:
    """Cost and tokens per key of ``dimension`` in [start, end), per ``bucket`` if given."""
    rows = run(
        driver,
        dimension.query,
        database=database,
        start=start,
        end=end,
        bucket=bucket,
        key=dimension.tag,
    )
    return [rollup_from_row(row) for row in rows]


def per_period(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    bucket: str,
    database: str | None = None,
) -> list[Rollup]:
    """Cost and tokens of everything per day, week or month in [start, end)."""
    rows = run(
        driver, "reports/cost_per_period", database=database, start=start, end=end, bucket=bucket
    )
    return [rollup_from_row(row, key_field="period") for row in rows]


def _pages(
    driver: neo4j.Driver,
    query: str,
    *,
    start: datetime,
    end: datetime,
    cursor: Callable[[dict[str, Any]], tuple[datetime, str]],
    page_size: int,
    database: str | None,
    **filters: Any,
) -> Iterator[dict[str, Any]]:
    """Rows of a keyset-paged query in (timestamp, event_id) order, one page per read."""
    page_start, after_id = start, None
    while True:
        rows = run(
            driver,
            query,
            database=database,
            start=page_start,
            end=end,
            after_id=after_id,
            limit=page_size,
            **filters,
        )
        yield from rows
        if len(rows) < page_size:
            return
        page_start, after_id = cursor(rows[-1])


def priced_usage(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    page_size: int = EXPORT_PAGE,
    database: str | None = None,
) -> Iterator[PricedUsage]:
    """Every usage in [start, end) in timestamp order, read one short page at a time."""
    rows = _pages(
        driver,
        "reports/export_usage",
        start=start,
        end=end,
        page_size=page_size,
        database=database,
        cursor=lambda r: (r["usage"]["timestamp"], r["usage"]["event_id"]),
    )
    return (priced_usage_from_row(row) for row in rows)


def usage_lines(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    agent_id: str | None = None,
    project_id: str | None = None,
    model_id: str | None = None,
    low_urgency: bool = False,
    page_size: int = EXPORT_PAGE,
    database: str | None = None,
) -> Iterator[UsageLine]:
    """The usage of one agent, project (and all below it) or model in [start, end), or only
    its low-urgency calls not sent as batch, as lines to re-price, a page at a time."""
    rows = _pages(
        driver,
        "reports/usage_for_repricing",
        start=start,
        end=end,
        page_size=page_size,
        database=database,
        cursor=lambda r: (r["timestamp"], r["event_id"]),
        agent_id=agent_id,
        project_id=project_id,
        model_id=model_id,
        low_urgency=low_urgency,
    )
    for r in rows:
        yield UsageLine(
            event_id=r["event_id"],
            timestamp=r["timestamp"],
            model_id=r["model_id"],
            usage=Usage(
                input_tokens=int(r["input_tokens"] or 0),
                output_tokens=int(r["output_tokens"] or 0),
                cache_read_tokens=int(r["cache_read_tokens"] or 0),
                cache_write_tokens=int(r["cache_write_tokens"] or 0),
                cache_ttl=r["cache_ttl"] or "5m",
                batch=bool(r["batch"]),
            ),
            total_nanos=int(r["total_nanousd"] or 0),
        )


def agent_model_usage(
    driver: neo4j.Driver, *, start: datetime, end: datetime, database: str | None = None
) -> list[AgentModelUsage]:
    """Per agent and model: calls, errors, deferrable calls, tokens and cost in [start, end)."""
    rows = run(driver, "reports/agent_model_usage", database=database, start=start, end=end)
    return [agent_model_usage_from_row(r) for r in rows]


@dataclass(frozen=True)
class BudgetInForce:
    budget_id: str
    amount_nanos: int
    period: str
    timezone: str
    scope_kind: str
    scope_id: str


def budgets_in_force(driver: neo4j.Driver, database: str | None = None) -> list[BudgetInForce]:
    """Every budget with an amount, and what it is allocated to."""
    return [
        BudgetInForce(
            budget_id=r["budget_id"],
            amount_nanos=int(r["amount_nanousd"]),
            period=r["period"],
            timezone=r["timezone"],
            scope_kind=str(r["scope_kind"] or "").lower(),
            scope_id=str(r["scope_id"]),
        )
        for r in run(driver, "reports/budgets_in_force", database=database)
    ]


def budget_spend(
    driver: neo4j.Driver, windows: list[dict[str, Any]], database: str | None = None
) -> dict[str, tuple[int, int]]:
    """Per budget id: (spent since its window start, spent in its trailing days), both up to
    each window's ``now``; budgets that spent nothing are left out."""
    rows = run(driver, "reports/budget_spend", database=database, windows=windows)
    return {r["budget_id"]: (int(r["spent_nanousd"]), int(r["trailing_nanousd"])) for r in rows}


def priced_usage_from_row(row: Mapping[str, Any]) -> PricedUsage:
    u: Mapping[str, Any] = row["usage"]
    c: Mapping[str, Any] = row["cost"]
    tags = tuple(
        sorted(
            (k.removeprefix(TAG_PREFIX), str(v)) for k, v in u.items() if k.startswith(TAG_PREFIX)
        )
    )
    return PricedUsage(
        event_id=u["event_id"],
        timestamp=u["timestamp"],
        provider=u.get("provider") or "",
        model=u.get("model") or u.get("model_id") or "",
        model_id=u.get("model_id") or "",
        price_version=u.get("price_version") or "",
        status=u.get("status") or "success",
        batch=bool(u.get("batch")),
        cache_ttl=u.get("cache_ttl") or "5m",
        input_tokens=int(u.get("input_tokens") or 0),
        output_tokens=int(u.get("output_tokens") or 0),
        cache_read_tokens=int(u.get("cache_read_tokens") or 0),
        cache_write_tokens=int(u.get("cache_write_tokens") or 0),
        input_nanos=int(c.get("input_nanousd") or 0),
        output_nanos=int(c.get("output_nanousd") or 0),
        cache_read_nanos=int(c.get("cache_read_nanousd") or 0),
        cache_write_nanos=int(c.get("cache_write_nanousd") or 0),
        discount_nanos=int(c.get("discount_nanousd") or 0),
        total_nanos=int(c.get("total_nanousd") or 0),
        currency=c.get("currency") or "USD",
        agent_id=row.get("agent_id") or u.get("agent_id"),
        agent_name=row.get("agent_name"),
        agent_type=row.get("agent_type") or u.get("agent_type"),
        run_id=row.get("run_id"),
        task_id=row.get("task_id"),
        project_id=row.get("project_id"),
        team_id=row.get("team_id"),
        tags=tags,
    )


ROLL_BATCH = 20_000
# Usage recorded this long before a refresh, but committed after it, is still counted:
# reports read everything recorded since (refresh time - margin) that is not yet rolled up.
FRESH_MARGIN = timedelta(minutes=2)


def _roll_batch(tx: neo4j.ManagedTransaction, through: datetime, limit: int) -> int:
    # The lock comes first in the transaction, so a concurrent refresh waits here and then
    # sees this one's :Rolled labels instead of rolling the same usage again.
    since = tx.run(cypher("reports/lock_rollups")).single(strict=True)["fresh_since"]
    record = tx.run(cypher("reports/roll_usage"), since=since, through=through, limit=limit)
    return int(record.single(strict=True)["rolled"])


def refresh_rollups(
    driver: neo4j.Driver,
    *,
    now: datetime,
    database: str | None = None,
    batch: int = ROLL_BATCH,
    margin: timedelta = FRESH_MARGIN,
) -> int:
    """Add every usage recorded before ``now`` and not yet rolled up to the per-day
    roll-ups the reports read, ``batch`` usages per transaction; returns how many."""
    total = 0
    while True:
        with driver.session(database=database) as session:
            rolled = write_tx(session, _roll_batch, now, batch)
        total += rolled
        if rolled < batch:
            break
    driver.execute_query(
        cypher("reports/advance_rollups"), fresh_since=now - margin, database_=database
    )
    return total
