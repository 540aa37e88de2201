"""The named queries of cypher/reports/, run read-only, their rows returned as values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import neo4j

from app.graph.queries import cypher
from app.reports.model import Dimension, PricedUsage, Rollup, rollup_from_row
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


def native(value: Any) -> Any:
    """Neo4j temporal values as Python ones, recursively through lists and maps."""
    if hasattr(value, "to_native"):
        return value.to_native()
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [native(v) for v in value]
    return value


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


def priced_usage(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    page_size: int = EXPORT_PAGE,
    database: str | None = None,
) -> Iterator[PricedUsage]:
    """Every usage in [start, end) in timestamp order, read one short page at a time."""
    cursor_start, after_id = start, None
    while True:
        rows = run(
            driver,
            "reports/export_usage",
            database=database,
            start=cursor_start,
            end=end,
            after_id=after_id,
            limit=page_size,
        )
        for row in rows:
            yield priced_usage_from_row(row)
        if len(rows) < page_size:
            return
        last = rows[-1]["usage"]
        cursor_start, after_id = last["timestamp"], last["event_id"]


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
