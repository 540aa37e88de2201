"""Forecasts, anomalies, recommendations and what-ifs: the store's rows through the model's
rules, shaped for the wire."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import neo4j

from app.budgets.model import Window, window_for
from app.errors import UnknownModel
from app.money import format_usd, usd_to_nanos
from app.pricing.model import Catalog, RateCard
from app.reports import store
from app.reports.model import (
    TRAILING_DAYS,
    AgentServing,
    Anomaly,
    Dimension,
    Projection,
    Recommendation,
    allocate_shared,
    burning_too_fast,
    cheaper_model_candidates,
    daily_series,
    day_range,
    detect_anomalies,
    error_recommendations,
    low_cache_recommendations,
    percent,
    period_window,
    project_window,
    ranked,
    reprice,
)
from app.reports.schemas import (
    AgentAllocation,
    AllocationReport,
    Anomalies,
    AnomalyOut,
    BudgetForecast,
    Chargeback,
    Forecast,
    Invoice,
    InvoiceLine,
    ProjectCharge,
    ProjectForecast,
    RecommendationOut,
    Recommendations,
    TeamCharge,
    WhatIf,
)


def forecast(driver: neo4j.Driver, now: datetime, database: str | None = None) -> Forecast:
    """Month-end projections per project (this UTC month) and per budget with an amount
    (its own current window), linear on the window so far and on the trailing 7 days."""
    month = period_window("month", now)
    trailing_start = now - timedelta(days=TRAILING_DAYS)
    project = Dimension("project")
    spent = {
        r.key: r.total_nanos
        for r in store.rollup(driver, project, start=month.start, end=now, database=database)
    }
    trailing = {
        r.key: r.total_nanos
        for r in store.rollup(driver, project, start=trailing_start, end=now, database=database)
    }
    projects = []
    for key in sorted(spent.keys() | trailing.keys(), key=lambda k: (k is None, k or "")):
        p = project_window(spent.get(key, 0), trailing.get(key, 0), month, now)
        projects.append(
            ProjectForecast(
                project_id=key,
                spent_usd=format_usd(p.spent_nanos),
                trailing_7d_usd=format_usd(p.trailing_nanos),
                projected_linear_usd=format_usd(p.linear_nanos),
                projected_trailing_usd=format_usd(p.trailing_nanos_projected),
            )
        )
    return Forecast(
        as_of=now,
        month_start=month.start,
        month_end=month.end,
        projects=projects,
        budgets=_budget_forecasts(driver, now, database),
    )


@dataclass(frozen=True)
class BudgetProjection:
    """A budget with an amount, its current window, and where the window's spend is going."""

    budget_id: str
    scope_kind: str
    scope_id: str
    amount_nanos: int
    window: Window
    projection: Projection


def budget_projections(
    driver: neo4j.Driver, now: datetime, database: str | None = None
) -> list[BudgetProjection]:
    """Every budget with an amount and a period, projected to the end of its current window
    (linear on the window so far, and on the trailing 7 days)."""
    budgets = [b for b in store.budgets_in_force(driver, database) if b.period != "total"]
    if not budgets:
        return []
    windows = {b.budget_id: window_for(b.period, b.timezone, now) for b in budgets}
    trailing_start = now - timedelta(days=TRAILING_DAYS)
    spend = store.budget_spend(
        driver,
        [
            {"budget_id": b, "start": w.start, "trailing_start": trailing_start, "now": now}
            for b, w in windows.items()
        ],
        database,
    )
    out = []
    for b in budgets:
        window = windows[b.budget_id]
        spent, trailing = spend.get(b.budget_id, (0, 0))
        out.append(
            BudgetProjection(
                budget_id=b.budget_id,
                scope_kind=b.scope_kind,
                scope_id=b.scope_id,
                amount_nanos=b.amount_nanos,
                window=window,
                projection=project_window(spent, trailing, window, now),
            )
        )
    return out


def _budget_forecasts(
    driver: neo4j.Driver, now: datetime, database: str | None
) -> list[BudgetForecast]:
    return [
        BudgetForecast(
            budget_id=b.budget_id,
            scope_kind=b.scope_kind,
            scope_id=b.scope_id,
            window_start=b.window.start,
            window_end=b.window.end,
            amount_usd=format_usd(b.amount_nanos),
            spent_usd=format_usd(b.projection.spent_nanos),
            percent_used=str(percent(b.projection.spent_nanos, b.amount_nanos)),
            percent_elapsed=str(percent(b.projection.elapsed_fraction, 1)),
            projected_linear_usd=format_usd(b.projection.linear_nanos),
            projected_trailing_usd=format_usd(b.projection.trailing_nanos_projected),
            projected_percent=str(percent(b.projection.linear_nanos, b.amount_nanos)),
            burning_too_fast=burning_too_fast(
                b.projection.spent_nanos, b.amount_nanos, b.projection.elapsed_fraction
            ),
        )
        for b in budget_projections(driver, now, database)
    ]


def find_anomalies(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    threshold_percent: int,
    trailing_days: int,
    database: str | None = None,
) -> list[tuple[str, Anomaly]]:
    """("project" or "agent", the day) for each day in [start, end) on which a project or
    an agent spent more than ``threshold_percent`` of its average over the days before."""
    days = day_range(start, end)
    since = start - timedelta(days=trailing_days)
    found: list[tuple[str, Anomaly]] = []
    for kind in ("project", "agent"):
        rows = store.rollup(
            driver, Dimension(kind), start=since, end=end, bucket="day", database=database
        )
        for key, series in daily_series(rows).items():
            found.extend(
                (kind, a)
                for a in detect_anomalies(
                    key,
                    series,
                    days,
                    trailing_days=trailing_days,
                    threshold_percent=threshold_percent,
                )
            )
    return found


def anomalies(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    threshold_percent: int,
    trailing_days: int,
    database: str | None = None,
) -> Anomalies:
    """Days in [start, end) on which a project or an agent spent more than
    ``threshold_percent`` of its average over the ``trailing_days`` before."""
    found = [
        AnomalyOut(
            kind=kind,
            key=a.key,
            day=a.day.isoformat(),
            cost_usd=format_usd(a.cost_nanos),
            trailing_average_usd=format_usd(a.trailing_average_nanos),
            ratio_percent=str(a.ratio_percent),
        )
        for kind, a in find_anomalies(
            driver,
            start=start,
            end=end,
            threshold_percent=threshold_percent,
            trailing_days=trailing_days,
            database=database,
        )
    ]
    found.sort(key=lambda a: (a.day, a.kind, a.key or ""))
    return Anomalies(
        start=start,
        end=end,
        threshold_percent=threshold_percent,
        trailing_days=trailing_days,
        anomalies=found,
    )


def _at(catalog: Catalog, model_id: str) -> Callable[[datetime], RateCard | None]:
    return lambda at: catalog.card_at(model_id, at)


def recommendations(
    driver: neo4j.Driver,
    catalog: Catalog,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    database: str | None = None,
) -> Recommendations:
    """Changes with the dollars they would have saved in [start, end), found by re-pricing
    the period's real usage: a cheaper model of the same provider for small calls on an
    expensive one, batch pricing for low-urgency calls, caching, and failing calls."""
    rows = store.agent_model_usage(driver, start=start, end=end, database=database)
    at = min(end, now)
    found: list[Recommendation] = []
    for row, alternative in cheaper_model_candidates(rows, catalog, at):
        if row.agent_id is None:
            continue
        lines = store.usage_lines(
            driver,
            start=start,
            end=end,
            agent_id=row.agent_id,
            model_id=row.model_id,
            database=database,
        )
        result = reprice(lines, _at(catalog, alternative.model_id))
        found.append(
            Recommendation(
                kind="cheaper_model",
                agent_id=row.agent_id,
                model_id=row.model_id,
                suggestion=f"move {row.agent_id} from {row.model_id} to {alternative.model_id}",
                detail=(
                    f"its {row.events} calls average {row.tokens // row.events} tokens; "
                    f"{result.repriced} calls re-priced on {alternative.model_id}"
                ),
                current_nanos=row.total_nanos,
                saved_nanos=result.saved_nanos,
                alternative_model_id=alternative.model_id,
            )
        )
    for row in rows:
        card = catalog.card_at(row.model_id, at)
        if (
            row.agent_id is None
            or row.deferrable_events == 0
            or not card
            or not card.batch_discount
        ):
            continue
        lines = store.usage_lines(
            driver,
            start=start,
            end=end,
            agent_id=row.agent_id,
            model_id=row.model_id,
            low_urgency=True,
            database=database,
        )
        result = reprice(lines, _at(catalog, row.model_id), batch=True)
        found.append(
            Recommendation(
                kind="batch",
                agent_id=row.agent_id,
                model_id=row.model_id,
                suggestion=f"send {row.agent_id}'s low-urgency calls through the batch API",
                detail=f"{result.events} calls tagged urgency=low or priority=low ran unbatched",
                current_nanos=result.actual_nanos,
                saved_nanos=result.saved_nanos,
            )
        )
    found += low_cache_recommendations(rows, catalog, at)
    found += error_recommendations(rows)
    best = ranked(found)
    return Recommendations(
        start=start,
        end=end,
        saved_usd=format_usd(sum(r.saved_nanos for r in best)),
        recommendations=[
            RecommendationOut(
                kind=r.kind,
                agent_id=r.agent_id,
                model_id=r.model_id,
                suggestion=r.suggestion,
                detail=r.detail,
                current_cost_usd=format_usd(r.current_nanos),
                saved_usd=format_usd(r.saved_nanos),
                alternative_model_id=r.alternative_model_id,
            )
            for r in best
        ],
    )


def _pricing(
    catalog: Catalog, model: str
) -> tuple[Callable[[datetime], RateCard | None], str, str | None]:
    """How to price under ``model``: a model name (each event at the version in force at its
    time) or one price version ``<model>@<effective_from>`` (every event at that version)."""
    fixed = next((c for c in catalog.cards() if c.version == model), None)
    if fixed is not None:
        return (lambda _at: fixed), fixed.model_id, fixed.version
    model_id = catalog.resolve(model)
    if model_id is None:
        suggestions = catalog.closest(model.split("@", 1)[0])
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        raise UnknownModel(
            f"model: unknown model or price version {model!r}{hint}", suggestions=suggestions
        )
    return _at(catalog, model_id), model_id, None


def what_if(
    driver: neo4j.Driver,
    catalog: Catalog,
    *,
    model: str,
    agent_id: str | None,
    project_id: str | None,
    start: datetime,
    end: datetime,
    database: str | None = None,
) -> WhatIf:
    """The usage of [start, end) (of one agent and/or project, or everything) priced as
    recorded and again on another model or price version."""
    card_for, model_id, version = _pricing(catalog, model)
    lines = store.usage_lines(
        driver, start=start, end=end, agent_id=agent_id, project_id=project_id, database=database
    )
    result = reprice(lines, card_for)
    change = (
        None
        if result.actual_nanos == 0
        else percent(result.what_if_nanos - result.actual_nanos, result.actual_nanos)
    )
    return WhatIf(
        start=start,
        end=end,
        agent_id=agent_id,
        project_id=project_id,
        model=model_id,
        price_version=version,
        events=result.events,
        repriced_events=result.repriced,
        actual_usd=format_usd(result.actual_nanos),
        what_if_usd=format_usd(result.what_if_nanos),
        difference_usd=format_usd(result.what_if_nanos - result.actual_nanos),
        change_percent=None if change is None else str(change),
    )


def _project_charges(
    driver: neo4j.Driver, *, start: datetime, end: datetime, method: str, database: str | None
) -> tuple[list[ProjectCharge], list[AgentAllocation], int]:
    serving = [
        AgentServing(r["agent_id"], r["project_id"], int(r["nanousd"]), int(r["tasks"]))
        for r in store.run(driver, "reports/agent_serving", database=database, start=start, end=end)
    ]
    direct = {
        r.key: r.total_nanos
        for r in store.rollup(driver, Dimension("project"), start=start, end=end, database=database)
        if r.key
    }
    allocations = allocate_shared(serving, direct, method)
    teams = {
        r["project_id"]: r["team_id"]
        for r in store.run(driver, "reports/project_teams", database=database)
    }
    allocated: dict[str, int] = {}
    agents = []
    unallocated = 0
    for a in allocations:
        for project, nanos in a.shares.items():
            allocated[project] = allocated.get(project, 0) + nanos
        left = a.shared_nanos - sum(a.shares.values())
        unallocated += left
        agents.append(
            AgentAllocation(
                agent_id=a.agent_id,
                shared_usd=format_usd(a.shared_nanos),
                allocated={p: format_usd(n) for p, n in sorted(a.shares.items())},
                unallocated_usd=format_usd(left),
            )
        )
    projects = [
        ProjectCharge(
            project_id=p,
            team_id=teams.get(p),
            direct_usd=format_usd(direct.get(p, 0)),
            allocated_usd=format_usd(allocated.get(p, 0)),
            total_usd=format_usd(direct.get(p, 0) + allocated.get(p, 0)),
        )
        for p in sorted(direct.keys() | allocated.keys())
    ]
    return projects, agents, unallocated


def allocation(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    method: str,
    database: str | None = None,
) -> AllocationReport:
    """Each project's own spend plus its share of the shared agents' cost that is under no
    project, split ``even``ly, ``proportional`` to direct spend, or ``by_tasks``."""
    projects, agents, unallocated = _project_charges(
        driver, start=start, end=end, method=method, database=database
    )
    return AllocationReport(
        method=method,
        start=start,
        end=end,
        projects=projects,
        agents=agents,
        unallocated_usd=format_usd(unallocated),
    )


def chargeback(
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    method: str,
    database: str | None = None,
) -> Chargeback:
    """Per team: its projects' spend and their shares of the shared agents (team null: projects
    under no team)."""
    projects, _, unallocated = _project_charges(
        driver, start=start, end=end, method=method, database=database
    )
    grouped: dict[str | None, list[ProjectCharge]] = {}
    for p in projects:
        grouped.setdefault(p.team_id, []).append(p)

    def total(rows: list[ProjectCharge], field: str) -> str:
        return format_usd(sum(usd_to_nanos(getattr(r, field)) for r in rows))

    teams = [
        TeamCharge(
            team_id=team,
            direct_usd=total(rows, "direct_usd"),
            allocated_usd=total(rows, "allocated_usd"),
            total_usd=total(rows, "total_usd"),
            projects=rows,
        )
        for team, rows in sorted(grouped.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]
    return Chargeback(
        method=method, start=start, end=end, teams=teams, unallocated_usd=format_usd(unallocated)
    )


def invoice(
    driver: neo4j.Driver,
    *,
    project_id: str,
    start: datetime,
    end: datetime,
    method: str,
    database: str | None = None,
) -> Invoice:
    """One project's bill for [start, end): a line per model and price version, plus its share
    of the shared agents (allocated by ``method``)."""
    rows = store.run(
        driver,
        "reports/project_invoice_lines",
        database=database,
        project_id=project_id,
        start=start,
        end=end,
    )
    lines = [
        InvoiceLine(
            description=f"{r['model_id']} ({r['price_version']})",
            **{
                k: r[k]
                for k in (
                    "provider",
                    "model_id",
                    "price_version",
                    "events",
                    "input_tokens",
                    "output_tokens",
                    "cache_read_tokens",
                    "cache_write_tokens",
                )
            },
            list_usd=format_usd(r["list_nanousd"]),
            discount_usd=format_usd(r["discount_nanousd"]),
            amount_usd=format_usd(r["total_nanousd"]),
        )
        for r in rows
    ]
    usage = sum(int(r["total_nanousd"]) for r in rows)
    projects, _, _ = _project_charges(
        driver, start=start, end=end, method=method, database=database
    )
    mine = next((p for p in projects if p.project_id == project_id), None)
    shared = usd_to_nanos(mine.allocated_usd) if mine else 0
    if shared:
        lines.append(
            InvoiceLine(
                description=f"shared agents, allocated {method.replace('_', ' ')}",
                list_usd=format_usd(shared),
                discount_usd=format_usd(0),
                amount_usd=format_usd(shared),
            )
        )
    return Invoice(
        project_id=project_id,
        team_id=mine.team_id if mine else None,
        start=start,
        end=end,
        allocation_method=method,
        lines=lines,
        usage_usd=format_usd(usage),
        shared_usd=format_usd(shared),
        total_usd=format_usd(usage + shared),
    )
