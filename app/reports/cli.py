"""`costgraph report summary|daily|by-agent|by-project|breakdown`: the API's roll-ups as
tables or CSV, from the same named queries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import neo4j
import typer

from app.budgets.model import Window
from app.money import format_usd
from app.reports import store
from app.reports.model import (
    Dimension,
    ReportError,
    Rollup,
    day_range,
    fill_days,
    grand_total,
    parse_dimension,
    parse_instant,
    period_window,
    report_range,
)

cli = typer.Typer(help="Cost roll-ups as tables or CSV.", no_args_is_help=True)

ROLLUP_KEYS = [
    "key", "total_usd", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "events",
]  # fmt: skip
CsvOption = Annotated[
    Path | None, typer.Option("--csv", help="Write CSV to this file (- for stdout).")
]
PeriodOption = Annotated[str, typer.Option(help="day, week, month (UTC, current) or all.")]
StartOption = Annotated[
    str | None, typer.Option(help="YYYY-MM-DD or RFC 3339; overrides the period's start.")
]
EndOption = Annotated[
    str | None, typer.Option(help="YYYY-MM-DD or RFC 3339 (exclusive); overrides the end.")
]


@contextmanager
def _driver() -> Iterator[tuple[neo4j.Driver, str | None]]:
    # Imported here: app.cli mounts this module, so a top-level import would be circular.
    from app.cli import graph, readable_errors
    from app.settings import get_settings

    with graph() as (driver, _), readable_errors():
        yield driver, get_settings().neo4j_database


def _print(keys: list[str], rows: list[dict[str, Any]], csv_path: Path | None) -> None:
    from app.cli import print_rows

    print_rows(keys, rows, csv_path)


def _window(
    period: str, start: str | None, end: str | None, default: Window | None = None
) -> tuple[datetime, datetime]:
    from app.cli import fail

    try:
        base = default or period_window(period, datetime.now(UTC))
        return report_range(
            parse_instant(start, "start") if start else None,
            parse_instant(end, "end") if end else None,
            base,
        )
    except ReportError as exc:
        raise fail(str(exc)) from exc


def _rollup_rows(rows: Sequence[Rollup], with_period: bool = False) -> list[dict[str, Any]]:
    out = [
        {
            "key": "" if r.key is None else r.key,
            "period": r.period,
            "total_usd": format_usd(r.total_nanos),
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "cache_read_tokens": r.cache_read_tokens,
            "cache_write_tokens": r.cache_write_tokens,
            "events": r.events,
        }
        for r in rows
    ]
    total = grand_total(rows)
    if rows and not with_period:
        out.append({**_rollup_rows([total], with_period=True)[0], "key": "TOTAL"})
    return out


def _rollup(
    dimension: Dimension, lo: datetime, hi: datetime, bucket: str | None, csv_path: Path | None
) -> None:
    with _driver() as (driver, database):
        rows = store.rollup(driver, dimension, start=lo, end=hi, bucket=bucket, database=database)
    keys = ["key", "period", *ROLLUP_KEYS[1:]] if bucket else ROLLUP_KEYS
    _print(keys, _rollup_rows(rows, with_period=bucket is not None), csv_path)


@cli.command()
def summary(
    period: PeriodOption = "month",
    project_id: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    team_id: Annotated[str | None, typer.Option(help="Only this team.")] = None,
    agent_id: Annotated[str | None, typer.Option(help="Only this agent.")] = None,
    start: StartOption = None,
    end: EndOption = None,
    csv_path: CsvOption = None,
) -> None:
    """Total cost, tokens, events and runs of the period (roll-up over the tree)."""
    lo, hi = _window(period, start, end)
    with _driver() as (driver, database):
        rows = store.run(
            driver,
            "usage/summary",
            database=database,
            start=lo,
            end=hi,
            project_id=project_id,
            team_id=team_id,
            agent_id=agent_id,
        )
    row = rows[0]
    keys = [
        "start",
        "end",
        "total_usd",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "events",
        "runs",
    ]
    shown = {
        **row,
        "start": lo.isoformat(),
        "end": hi.isoformat(),
        "total_usd": format_usd(int(row["total_nanousd"])),
    }
    _print(keys, [shown], csv_path)


@cli.command()
def daily(start: StartOption = None, end: EndOption = None, csv_path: CsvOption = None) -> None:
    """One row per UTC day (zeros included); by default the last 30 days up to today."""
    tomorrow = datetime.combine(
        datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC
    )
    lo, hi = _window("day", start, end, Window(tomorrow - timedelta(days=30), tomorrow))
    with _driver() as (driver, database):
        rows = store.per_period(driver, start=lo, end=hi, bucket="day", database=database)
    try:
        days = day_range(lo, hi)
    except ReportError as exc:
        from app.cli import fail

        raise fail(str(exc)) from exc
    _print(ROLLUP_KEYS, _rollup_rows(fill_days(rows, days)), csv_path)


@cli.command("by-agent")
def by_agent(
    period: PeriodOption = "month",
    start: StartOption = None,
    end: EndOption = None,
    csv_path: CsvOption = None,
) -> None:
    """Cost and tokens per agent for the current period."""
    lo, hi = _window(period, start, end)
    _rollup(Dimension("agent"), lo, hi, None, csv_path)


@cli.command("by-project")
def by_project(
    period: PeriodOption = "month",
    start: StartOption = None,
    end: EndOption = None,
    csv_path: CsvOption = None,
) -> None:
    """Cost and tokens per project (everything below it) for the current period."""
    lo, hi = _window(period, start, end)
    _rollup(Dimension("project"), lo, hi, None, csv_path)


@cli.command()
def breakdown(
    by: Annotated[
        str,
        typer.Argument(
            help="team|project|task|run|platform|agent|agent_type|model|provider|tag:<key>"
        ),
    ],
    period: PeriodOption = "month",
    start: StartOption = None,
    end: EndOption = None,
    bucket: Annotated[str | None, typer.Option(help="day, week or month rows.")] = None,
    csv_path: CsvOption = None,
) -> None:
    """Cost and tokens per key of any dimension, optionally per day, week or month."""
    from app.cli import fail

    try:
        dimension = parse_dimension(by)
    except ReportError as exc:
        raise fail(str(exc)) from exc
    if bucket is not None and bucket not in ("day", "week", "month"):
        raise fail(f"--bucket must be day, week or month, got {bucket!r}")
    lo, hi = _window(period, start, end)
    _rollup(dimension, lo, hi, bucket, csv_path)


@cli.command()
def refresh() -> None:
    """Roll the usage recorded so far into the per-day roll-ups that keep reports fast over
    millions of events (safe to repeat; reports are exact with or without it)."""
    from app.cli import console

    with _driver() as (driver, database):
        rolled = store.refresh_rollups(driver, now=datetime.now(UTC), database=database)
    console.print(f"{rolled} usage events rolled up")
