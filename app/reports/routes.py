"""Breakdowns of usage, analyst reports and CSV exports over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from app.auth.deps import NeedsAdmin, NeedsRead
from app.budgets.model import TOTAL_WINDOW, Window
from app.deps import DriverDep, SettingsDep
from app.errors import InvalidInput
from app.money import format_usd
from app.pricing.model import Catalog as RateCatalog
from app.pricing.store import CatalogCache
from app.reports import exports, insights, store
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
    share,
)
from app.reports.schemas import (
    AllocationReport,
    Anomalies,
    Breakdown,
    BreakdownRow,
    BudgetActual,
    BudgetVsActual,
    CacheSaving,
    CacheSavings,
    Chargeback,
    Forecast,
    Invoice,
    Operation,
    ProviderComparison,
    ProviderRow,
    Recommendations,
    RollupRefresh,
    TaskCostRow,
    TaskCosts,
    TopOperations,
    WhatIf,
)

router = APIRouter(tags=["reports"], dependencies=[NeedsRead])

Period = Literal["day", "week", "month", "all"]
Bucket = Literal["day", "week", "month"]
Instant = Annotated[
    str | None, Query(description="YYYY-MM-DD (UTC midnight) or RFC 3339 with an offset")
]
DAILY_DEFAULT_DAYS = 30


def _range(start: str | None, end: str | None, default: Window) -> tuple[datetime, datetime]:
    try:
        return report_range(
            parse_instant(start, "start") if start else None,
            parse_instant(end, "end") if end else None,
            default,
        )
    except ReportError as exc:
        raise InvalidInput(str(exc)) from exc


def _this_month() -> Window:
    return period_window("month", datetime.now(UTC))


def _last_days(days: int) -> Window:
    """The ``days`` UTC days up to and including today."""
    tomorrow = datetime.combine(
        datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC
    )
    return Window(tomorrow - timedelta(days=days), tomorrow)


def _breakdown_row(row: Rollup, whole: int) -> BreakdownRow:
    return BreakdownRow(
        key=row.key,
        period=row.period,
        total_cost_usd=format_usd(row.total_nanos),
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cache_read_tokens=row.cache_read_tokens,
        cache_write_tokens=row.cache_write_tokens,
        events=row.events,
        share_percent=None if (p := share(row.total_nanos, whole)) is None else str(p),
    )


def _breakdown(
    by: str, rows: Sequence[Rollup], start: datetime, end: datetime, **extra: Any
) -> Breakdown:
    whole = grand_total(rows).total_nanos
    return Breakdown(
        by=by,
        start=start,
        end=end,
        total_cost_usd=format_usd(whole),
        rows=[_breakdown_row(r, whole) for r in rows],
        **extra,
    )


def _by_period(
    dimension: Dimension,
    driver: DriverDep,
    settings: SettingsDep,
    period: Period,
    start: str | None,
    end: str | None,
) -> Breakdown:
    lo, hi = _range(start, end, period_window(period, datetime.now(UTC)))
    rows = store.rollup(driver, dimension, start=lo, end=hi, database=settings.neo4j_database)
    return _breakdown(dimension.label, rows, lo, hi, period=period)


@router.get("/v1/usage/by-agent", response_model=Breakdown)
def by_agent(
    driver: DriverDep,
    settings: SettingsDep,
    period: Period = "month",
    start: Instant = None,
    end: Instant = None,
) -> Breakdown:
    """Cost and tokens per agent for the current UTC day, week or month (or all time);
    `start`/`end` override the period's bounds."""
    return _by_period(Dimension("agent"), driver, settings, period, start, end)


@router.get("/v1/usage/by-project", response_model=Breakdown)
def by_project(
    driver: DriverDep,
    settings: SettingsDep,
    period: Period = "month",
    start: Instant = None,
    end: Instant = None,
) -> Breakdown:
    """Cost and tokens per project (everything below it in the tree) for the current period."""
    return _by_period(Dimension("project"), driver, settings, period, start, end)


@router.get("/v1/usage/daily", response_model=Breakdown)
def daily(
    driver: DriverDep, settings: SettingsDep, start: Instant = None, end: Instant = None
) -> Breakdown:
    """One row per UTC day in [start, end) keyed YYYY-MM-DD, days without usage included
    as zeros; by default the last 30 days up to and including today."""
    lo, hi = _range(start, end, _last_days(DAILY_DEFAULT_DAYS))
    try:
        days = day_range(lo, hi)
    except ReportError as exc:
        raise InvalidInput(str(exc)) from exc
    rows = store.per_period(
        driver, start=lo, end=hi, bucket="day", database=settings.neo4j_database
    )
    return _breakdown("day", fill_days(rows, days), lo, hi, bucket="day")


@router.get("/v1/usage/breakdown", response_model=Breakdown)
def breakdown(
    driver: DriverDep,
    settings: SettingsDep,
    by: Annotated[
        str,
        Query(
            description="team|project|task|run|platform|agent|agent_type|model|provider|tag:<key>"
        ),
    ],
    start: Instant = None,
    end: Instant = None,
    bucket: Bucket | None = None,
) -> Breakdown:
    """Cost and tokens per key of `by` in [start, end) (default: this UTC month); scopes roll
    up everything below them. With `bucket`, one row per key and day, week or month."""
    try:
        dimension = parse_dimension(by)
    except ReportError as exc:
        raise InvalidInput(str(exc)) from exc
    lo, hi = _range(start, end, _this_month())
    rows = store.rollup(
        driver, dimension, start=lo, end=hi, bucket=bucket, database=settings.neo4j_database
    )
    return _breakdown(dimension.label, rows, lo, hi, bucket=bucket)


@router.get("/v1/reports/top-operations", response_model=TopOperations)
def top_operations(
    driver: DriverDep,
    settings: SettingsDep,
    start: Instant = None,
    end: Instant = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> TopOperations:
    """The most expensive single calls in [start, end) (default: this UTC month)."""
    lo, hi = _range(start, end, _this_month())
    rows = store.run(
        driver,
        "reports/top_operations",
        database=settings.neo4j_database,
        start=lo,
        end=hi,
        limit=limit,
    )
    return TopOperations(
        start=lo,
        end=hi,
        operations=[Operation(**r, total_cost_usd=format_usd(r["total_nanousd"])) for r in rows],
    )


@router.get("/v1/reports/cache-savings", response_model=CacheSavings)
def cache_savings(
    driver: DriverDep, settings: SettingsDep, start: Instant = None, end: Instant = None
) -> CacheSavings:
    """Per model, what cache reads would have cost at the input price, and what they saved."""
    lo, hi = _range(start, end, _this_month())
    rows = store.run(
        driver, "reports/cache_savings", database=settings.neo4j_database, start=lo, end=hi
    )
    models = [
        CacheSaving(
            model_id=r["model_id"],
            cache_read_tokens=r["cache_read_tokens"],
            at_input_price_usd=format_usd(r["at_input_nanousd"] or 0),
            cache_read_cost_usd=format_usd(r["cache_read_nanousd"]),
            saved_usd=format_usd(r["saved_nanousd"] or 0),
        )
        for r in rows
    ]
    saved = sum(r["saved_nanousd"] or 0 for r in rows)
    return CacheSavings(start=lo, end=hi, saved_usd=format_usd(saved), models=models)


@router.get("/v1/reports/budgets", response_model=BudgetVsActual)
def budget_vs_actual(
    driver: DriverDep,
    settings: SettingsDep,
    at: Instant = None,
    root: Annotated[str | None, Query(description="a budget id: it and the budgets below")] = None,
) -> BudgetVsActual:
    """Budget vs actual down the PARENT_OF tree, parents first: each budget's window holding
    `at` (default: now), with the children's spent next to the parent's."""
    try:
        when = parse_instant(at, "at") if at else datetime.now(UTC)
    except ReportError as exc:
        raise InvalidInput(str(exc)) from exc
    rows = store.run(
        driver, "reports/budget_vs_actual", database=settings.neo4j_database, at=when, root=root
    )
    return BudgetVsActual(at=when, budgets=[_budget_actual(r) for r in rows])


def _budget_actual(r: dict[str, Any]) -> BudgetActual:
    def usd(value: int | None) -> str | None:
        return None if value is None else format_usd(value)

    amount = r["amount_nanousd"]
    return BudgetActual(
        budget_id=r["budget_id"],
        parent_id=r["parent_id"],
        depth=r["depth"],
        period=r["period"],
        kind=r["kind"],
        window_start=r["window_start"],
        window_end=r["window_end"],
        amount_usd=usd(amount),
        spent_usd=format_usd(r["spent_nanousd"]),
        reserved_usd=format_usd(r["reserved_nanousd"]),
        remaining_usd=usd(r["remaining_nanousd"]),
        percent_used=None if (p := share(r["spent_nanousd"], amount or 0)) is None else str(p),
        children=r["children"],
        children_spent_usd=format_usd(r["children_spent_nanousd"]),
    )


@router.get("/v1/reports/providers", response_model=ProviderComparison)
def providers(
    driver: DriverDep, settings: SettingsDep, start: Instant = None, end: Instant = None
) -> ProviderComparison:
    """Providers side by side: calls, errors, tokens, cost and cost per million tokens."""
    lo, hi = _range(start, end, _this_month())
    rows = store.run(
        driver, "reports/provider_comparison", database=settings.neo4j_database, start=lo, end=hi
    )
    out = []
    for r in rows:
        per_mtok = r["nanousd_per_mtok"]
        errors = share(r["errors"], r["events"])
        out.append(
            ProviderRow(
                **{
                    k: r[k]
                    for k in (
                        "provider",
                        "events",
                        "errors",
                        "input_tokens",
                        "output_tokens",
                        "cache_read_tokens",
                        "cache_write_tokens",
                        "tokens",
                    )
                },
                error_rate_percent=None if errors is None else str(errors),
                total_cost_usd=format_usd(r["total_nanousd"]),
                usd_per_mtok=None if per_mtok is None else format_usd(per_mtok),
                models=sorted(r["models"]),
            )
        )
    return ProviderComparison(start=lo, end=hi, providers=out)


@router.get("/v1/reports/cost-per-successful-task", response_model=TaskCosts)
def cost_per_successful_task(
    driver: DriverDep, settings: SettingsDep, start: Instant = None, end: Instant = None
) -> TaskCosts:
    """Per project: task spend divided by the tasks that succeeded."""
    lo, hi = _range(start, end, _this_month())
    rows = store.run(
        driver,
        "reports/cost_per_successful_task",
        database=settings.neo4j_database,
        start=lo,
        end=hi,
    )
    return TaskCosts(
        start=lo,
        end=hi,
        projects=[
            TaskCostRow(
                project_id=r["project_id"],
                tasks=r["tasks"],
                successful_tasks=r["successful_tasks"],
                total_cost_usd=format_usd(r["total_nanousd"]),
                cost_per_successful_task_usd=(
                    None
                    if r["nanousd_per_successful_task"] is None
                    else format_usd(r["nanousd_per_successful_task"])
                ),
            )
            for r in rows
        ],
    )


def _export(
    kind: str, driver: DriverDep, settings: SettingsDep, start: str | None, end: str | None
) -> StreamingResponse:
    lo, hi = _range(start, end, TOTAL_WINDOW)
    chunks = exports.export_chunks(kind, driver, start=lo, end=hi, database=settings.neo4j_database)
    return exports.csv_response(chunks, f"{kind}.csv")


@router.get(
    "/v1/export/usage.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_usage(
    driver: DriverDep, settings: SettingsDep, start: Instant = None, end: Instant = None
) -> StreamingResponse:
    """Every priced usage in [start, end) (default: all), one CSV row each, streamed."""
    return _export("usage", driver, settings, start, end)


@router.get(
    "/v1/export/focus.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_focus(
    driver: DriverDep, settings: SettingsDep, start: Instant = None, end: Instant = None
) -> StreamingResponse:
    """Every priced usage in [start, end) (default: all) as FinOps FOCUS 1.x rows, streamed."""
    return _export("focus", driver, settings, start, end)


def _catalog(request: Request, driver: DriverDep, settings: SettingsDep) -> RateCatalog:
    cache: CatalogCache = request.app.state.catalog
    return cache.get(driver, settings.neo4j_database)


@router.get("/v1/reports/forecast", response_model=Forecast)
def forecast(driver: DriverDep, settings: SettingsDep, as_of: Instant = None) -> Forecast:
    """Month-end projection per project (this UTC month) and per budget with an amount, linear
    on the window so far and on the trailing 7 days; a budget is burning too fast when its %
    used is above 1.5 x the % of its window gone. `as_of` replays the forecast at a past time."""
    try:
        now = parse_instant(as_of, "as_of") if as_of else datetime.now(UTC)
    except ReportError as exc:
        raise InvalidInput(str(exc)) from exc
    return insights.forecast(driver, now, settings.neo4j_database)


@router.get("/v1/reports/anomalies", response_model=Anomalies)
def anomalies(
    driver: DriverDep,
    settings: SettingsDep,
    start: Instant = None,
    end: Instant = None,
    threshold_percent: Annotated[int, Query(ge=100, le=100_000)] = 200,
    trailing_days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> Anomalies:
    """Days on which a project or an agent spent more than `threshold_percent` of its average
    over the `trailing_days` before (default: the last 30 days up to today)."""
    lo, hi = _range(start, end, _last_days(DAILY_DEFAULT_DAYS))
    try:
        return insights.anomalies(
            driver,
            start=lo,
            end=hi,
            threshold_percent=threshold_percent,
            trailing_days=trailing_days,
            database=settings.neo4j_database,
        )
    except ReportError as exc:
        raise InvalidInput(str(exc)) from exc


@router.get("/v1/reports/recommendations", response_model=Recommendations)
def recommendations(
    request: Request,
    driver: DriverDep,
    settings: SettingsDep,
    start: Instant = None,
    end: Instant = None,
) -> Recommendations:
    """Changes with the dollars each would have saved, from re-pricing the period's real usage
    (default: this UTC month), largest saving first."""
    lo, hi = _range(start, end, _this_month())
    return insights.recommendations(
        driver,
        _catalog(request, driver, settings),
        start=lo,
        end=hi,
        now=datetime.now(UTC),
        database=settings.neo4j_database,
    )


@router.get("/v1/reports/what-if", response_model=WhatIf)
def what_if(
    request: Request,
    driver: DriverDep,
    settings: SettingsDep,
    model: Annotated[
        str, Query(min_length=1, description="a model, or a price version <model>@<effective_from>")
    ],
    agent_id: str | None = None,
    project_id: str | None = None,
    start: Instant = None,
    end: Instant = None,
) -> WhatIf:
    """The period's usage (of one agent and/or project, or all; default: this UTC month)
    priced as recorded and again on `model`."""
    lo, hi = _range(start, end, _this_month())
    return insights.what_if(
        driver,
        _catalog(request, driver, settings),
        model=model,
        agent_id=agent_id,
        project_id=project_id,
        start=lo,
        end=hi,
        database=settings.neo4j_database,
    )


Method = Literal["even", "proportional", "by_tasks"]


@router.get("/v1/reports/allocation", response_model=AllocationReport)
def allocation(
    driver: DriverDep,
    settings: SettingsDep,
    method: Method = "proportional",
    start: Instant = None,
    end: Instant = None,
) -> AllocationReport:
    """Each project's own spend plus its share of shared agents' cost that is under no
    project: `even`, `proportional` to direct spend, or `by_tasks` served (default: this
    UTC month)."""
    lo, hi = _range(start, end, _this_month())
    return insights.allocation(
        driver, start=lo, end=hi, method=method, database=settings.neo4j_database
    )


@router.get("/v1/reports/chargeback", response_model=Chargeback)
def chargeback(
    driver: DriverDep,
    settings: SettingsDep,
    method: Method = "proportional",
    start: Instant = None,
    end: Instant = None,
) -> Chargeback:
    """Per team: its projects' spend including their shares of the shared agents."""
    lo, hi = _range(start, end, _this_month())
    return insights.chargeback(
        driver, start=lo, end=hi, method=method, database=settings.neo4j_database
    )


@router.post("/v1/reports/rollups/refresh", response_model=RollupRefresh, dependencies=[NeedsAdmin])
def refresh_rollups(driver: DriverDep, settings: SettingsDep) -> RollupRefresh:
    """Roll the usage recorded so far into the per-day roll-ups the reports read; run it
    periodically (reports stay exact without it, only slower over long ranges)."""
    now = datetime.now(UTC)
    rolled = store.refresh_rollups(driver, now=now, database=settings.neo4j_database)
    return RollupRefresh(rolled=rolled, through=now)


@router.get(
    "/v1/reports/invoice",
    response_model=Invoice,
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def invoice(
    driver: DriverDep,
    settings: SettingsDep,
    project_id: Annotated[str, Query(min_length=1)],
    method: Method = "proportional",
    start: Instant = None,
    end: Instant = None,
    format: Literal["json", "csv", "html"] = "json",
) -> Invoice | Response:
    """One project's invoice for a period (default: this UTC month): a line per model and price
    version plus its share of shared agents; as JSON, CSV or a printable HTML page."""
    lo, hi = _range(start, end, _this_month())
    bill = insights.invoice(
        driver,
        project_id=project_id,
        start=lo,
        end=hi,
        method=method,
        database=settings.neo4j_database,
    )
    name = f"invoice-{project_id}-{lo.date().isoformat()}"
    if format == "csv":
        return Response(
            exports.invoice_csv(bill),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "html":
        return HTMLResponse(exports.invoice_html(bill))
    return bill
