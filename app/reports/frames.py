"""Every roll-up as a pandas DataFrame, for notebooks.

    >>> from app.reports import cost_by
    >>> cost_by("project", driver, start="2026-11-01", end="2026-12-01", bucket="day")

Each function runs the same named query of ``cypher/reports/`` that the API
and CLI run. ``start``/``end`` take a datetime, a date or a string
(``YYYY-MM-DD`` or RFC 3339); left out, the range is unbounded. Money stays
exact: every ``*_nanousd`` column holds integer nano-USD and has a
``*_usd`` twin of ``Decimal`` values (object dtype; never floats).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import neo4j
import pandas as pd

from app.budgets.model import TOTAL_WINDOW
from app.graph.queries import load_queries
from app.money import nanos_to_usd
from app.reports import store
from app.reports.model import (
    PricedUsage,
    ReportError,
    Rollup,
    day_range,
    fill_days,
    parse_dimension,
    parse_instant,
    report_range,
)

When = datetime | date | str | None
ROLLUP_COLUMNS = (
    "key", "period", "total_nanousd", "total_usd", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_tokens", "events",
)  # fmt: skip


def _instant(value: When, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ReportError(f"{name}: a datetime needs a timezone")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time(), UTC)
    return parse_instant(value, name)


def _range(start: When, end: When) -> tuple[datetime, datetime]:
    return report_range(_instant(start, "start"), _instant(end, "end"), TOTAL_WINDOW)


def with_usd(frame: pd.DataFrame) -> pd.DataFrame:
    """Add a Decimal ``*_usd`` column after each integer ``*_nanousd`` column."""
    for column in [c for c in frame.columns if str(c).endswith("_nanousd")]:
        usd = frame[column].map(lambda v: None if v is None or pd.isna(v) else nanos_to_usd(v))
        position = frame.columns.get_loc(column)
        assert isinstance(position, int)
        frame.insert(position + 1, str(column).removesuffix("_nanousd") + "_usd", usd)
    return frame


def rollup_frame(rows: Iterable[Rollup]) -> pd.DataFrame:
    """Roll-up rows as a frame with the columns of ROLLUP_COLUMNS."""
    records = [
        {
            "key": r.key,
            "period": r.period,
            "total_nanousd": r.total_nanos,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "cache_read_tokens": r.cache_read_tokens,
            "cache_write_tokens": r.cache_write_tokens,
            "events": r.events,
        }
        for r in rows
    ]
    frame = pd.DataFrame.from_records(
        records, columns=[c for c in ROLLUP_COLUMNS if c != "total_usd"]
    )
    return with_usd(frame.astype({"total_nanousd": "int64", "events": "int64"}))


def rows_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows of any named query as a frame, money columns given their Decimal twins."""
    return with_usd(pd.DataFrame.from_records(list(rows)))


def cost_by(
    by: str,
    driver: neo4j.Driver,
    *,
    start: When = None,
    end: When = None,
    bucket: str | None = None,
    database: str | None = None,
) -> pd.DataFrame:
    """Cost and tokens per team, project, task, run, platform, agent, agent_type, model,
    provider or ``tag:<key>``; scopes roll up everything below them. With ``bucket``
    (day, week, month) one row per key and period."""
    lo, hi = _range(start, end)
    rows = store.rollup(
        driver, parse_dimension(by), start=lo, end=hi, bucket=bucket, database=database
    )
    return rollup_frame(rows)


def cost_per_period(
    driver: neo4j.Driver,
    bucket: str = "day",
    *,
    start: When = None,
    end: When = None,
    database: str | None = None,
) -> pd.DataFrame:
    """Cost and tokens of everything per day, week or month (periods with usage only)."""
    lo, hi = _range(start, end)
    return rollup_frame(
        store.per_period(driver, start=lo, end=hi, bucket=bucket, database=database)
    )


def daily(
    driver: neo4j.Driver, *, start: When, end: When, database: str | None = None
) -> pd.DataFrame:
    """One row per UTC day in [start, end), days without usage as zeros (key YYYY-MM-DD)."""
    lo, hi = _range(start, end)
    rows = store.per_period(driver, start=lo, end=hi, bucket="day", database=database)
    return rollup_frame(fill_days(rows, day_range(lo, hi)))


def _report(
    name: str, driver: neo4j.Driver, start: When, end: When, database: str | None, **extra: Any
) -> pd.DataFrame:
    lo, hi = _range(start, end)
    return rows_frame(
        store.run(driver, f"reports/{name}", database=database, start=lo, end=hi, **extra)
    )


def top_operations(
    driver: neo4j.Driver,
    *,
    start: When = None,
    end: When = None,
    limit: int = 20,
    database: str | None = None,
) -> pd.DataFrame:
    """The dearest single calls, with their agent and the project and team they roll up to."""
    return _report("top_operations", driver, start, end, database, limit=limit)


def cost_per_successful_task(
    driver: neo4j.Driver, *, start: When = None, end: When = None, database: str | None = None
) -> pd.DataFrame:
    """Per project: task spend, tasks, successful tasks and spend per successful task."""
    return _report("cost_per_successful_task", driver, start, end, database)


def cache_savings(
    driver: neo4j.Driver, *, start: When = None, end: When = None, database: str | None = None
) -> pd.DataFrame:
    """Per model: cache reads at the input price, what they cost, and the saving."""
    return _report("cache_savings", driver, start, end, database)


def budget_vs_actual(
    driver: neo4j.Driver,
    *,
    at: When = None,
    root: str | None = None,
    database: str | None = None,
) -> pd.DataFrame:
    """Each budget's window holding ``at`` (default: now) down the PARENT_OF tree, with its
    amount, spent, reserved, remaining, % used and its children's spent, in nano-USD."""
    when = _instant(at, "at") or datetime.now(UTC)
    return rows_frame(
        store.run(driver, "reports/budget_vs_actual", database=database, at=when, root=root)
    )


def provider_comparison(
    driver: neo4j.Driver, *, start: When = None, end: When = None, database: str | None = None
) -> pd.DataFrame:
    """Providers side by side: calls, errors, tokens, cost and cost per million tokens."""
    return _report("provider_comparison", driver, start, end, database)


def agent_type_share(
    driver: neo4j.Driver, *, start: When = None, end: When = None, database: str | None = None
) -> pd.DataFrame:
    """Each agent type's cost and share of the total."""
    return _report("agent_type_share", driver, start, end, database)


def usage(
    driver: neo4j.Driver, *, start: When = None, end: When = None, database: str | None = None
) -> pd.DataFrame:
    """Every priced usage in the range, one row each (the usage.csv export as a frame)."""
    lo, hi = _range(start, end)
    rows: list[PricedUsage] = list(store.priced_usage(driver, start=lo, end=hi, database=database))
    records = [{**asdict(u), "tags": dict(u.tags)} for u in rows]
    return pd.DataFrame.from_records(records, columns=list(PricedUsage.__dataclass_fields__))


def query(
    name: str, driver: neo4j.Driver, *, database: str | None = None, **params: Any
) -> pd.DataFrame:
    """Any named query of ``cypher/`` (e.g. ``reports/cost_by_team``) as a frame."""
    key = name.removesuffix(".cypher").removeprefix("cypher/")
    if key not in load_queries():
        raise ReportError(f"no query named {name!r}")
    return rows_frame(store.run(driver, key, database=database, **params))
