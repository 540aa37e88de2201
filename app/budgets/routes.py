"""Budgets, pre-flight checks, reservations and overrides over HTTP."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

import neo4j
from fastapi import APIRouter, Body, Depends, Request, Response
from neo4j.exceptions import ConstraintError

from app.auth.deps import NeedsAdmin, NeedsIngest, NeedsRead, require
from app.auth.model import Principal
from app.budgets import holds, store
from app.budgets.model import Budget, BudgetError, BudgetState, Scope
from app.budgets.schemas import (
    BudgetCreate,
    BudgetPublic,
    BudgetStatus,
    BudgetUpdate,
    CheckResult,
    OverrideIn,
    Reason,
    Remaining,
    ReservationOut,
    ScopeIn,
    SpendIn,
)
from app.deps import DriverDep, SettingsDep
from app.errors import Conflict, InvalidInput, NotFound
from app.graph.driver import read_tx, write_tx
from app.graph.queries import cypher
from app.graph.values import native
from app.money import format_usd, usd_to_nanos
from app.pricing.model import Catalog, Usage, price
from app.usage.model import EventsRejected, price_events
from app.usage.routes import announce, ingest_result, rejected, to_record
from app.usage.schemas import IngestResult, UsageEvent

router = APIRouter(prefix="/v1", tags=["budgets"])
Caller = Annotated[Principal, Depends(require("ingest"))]


def _nanos(usd: str | None) -> int | None:
    return None if usd is None else usd_to_nanos(usd)


def _usd(nanos: int | None) -> str | None:
    return None if nanos is None else format_usd(nanos)


def to_budget(body: BudgetCreate) -> Budget:
    budget = Budget(
        id=body.id,
        name=body.name or body.id,
        scope=Scope(body.allocated_to.kind, body.allocated_to.id),
        amount_nanos=_nanos(body.amount_usd),
        token_limit=body.token_limit,
        period=body.period,
        timezone=body.timezone,
        kind=body.kind,
        thresholds=tuple(body.thresholds),
        parent_id=body.parent_id,
        max_tokens_per_run=body.max_tokens_per_run,
        max_cost_per_run_nanos=_nanos(body.max_cost_per_run_usd),
        max_concurrent_runs=body.max_concurrent_runs,
    )
    try:
        budget.validate()
    except BudgetError as exc:
        raise InvalidInput(str(exc)) from exc
    return budget


def to_public(budget: Budget, children: list[str]) -> BudgetPublic:
    return BudgetPublic(
        id=budget.id,
        name=budget.name,
        allocated_to=ScopeIn(kind=budget.scope.kind, id=budget.scope.id),
        parent_id=budget.parent_id,
        children=children,
        amount_usd=_usd(budget.amount_nanos),
        token_limit=budget.token_limit,
        period=budget.period,
        timezone=budget.timezone,
        kind=budget.kind,
        thresholds=list(budget.thresholds),
        max_tokens_per_run=budget.max_tokens_per_run,
        max_cost_per_run_usd=_usd(budget.max_cost_per_run_nanos),
        max_concurrent_runs=budget.max_concurrent_runs,
    )


def _session(driver: neo4j.Driver, database: str | None) -> neo4j.Session:
    return driver.session(database=database)


@router.post("/budgets", status_code=201, response_model=BudgetPublic, dependencies=[NeedsAdmin])
def create_budget(body: BudgetCreate, driver: DriverDep, settings: SettingsDep) -> BudgetPublic:
    """Create a budget. Without `parent_id` it hangs under the budget of the nearest scope
    above its own, so budgets follow the organisation tree."""
    budget = to_budget(body)
    now = datetime.now(UTC)

    def create(tx: neo4j.ManagedTransaction) -> Budget:
        found = budget
        if found.parent_id is None:
            parent = store.default_parent(tx, found, settings.platform_id)
            found = Budget(**{**found.__dict__, "parent_id": parent})
        elif store.get_budget(tx, found.parent_id) is None:
            raise InvalidInput(f"parent_id: no budget {found.parent_id!r}")
        store.create_budget(tx, found, platform_id=settings.platform_id, now=now)
        return found

    try:
        with _session(driver, settings.neo4j_database) as session:
            created = write_tx(session, create)
    except ConstraintError as exc:
        raise Conflict(f"a budget {budget.id!r} exists already") from exc
    return to_public(created, [])


@router.get("/budgets", response_model=list[BudgetPublic], dependencies=[NeedsRead])
def list_budgets(driver: DriverDep, settings: SettingsDep) -> list[BudgetPublic]:
    with _session(driver, settings.neo4j_database) as session:
        found = read_tx(session, store.list_budgets)
    return [to_public(b, children) for b, children in found]


def _get(session: neo4j.Session, budget_id: str) -> tuple[Budget, list[str]]:
    found = read_tx(session, store.get_budget, budget_id)
    if found is None:
        raise NotFound(f"no budget {budget_id!r}")
    return found


@router.get("/budgets/{budget_id}", response_model=BudgetPublic, dependencies=[NeedsRead])
def get_budget(budget_id: str, driver: DriverDep, settings: SettingsDep) -> BudgetPublic:
    with _session(driver, settings.neo4j_database) as session:
        return to_public(*_get(session, budget_id))


@router.patch("/budgets/{budget_id}", response_model=BudgetPublic, dependencies=[NeedsAdmin])
def patch_budget(
    budget_id: str, body: BudgetUpdate, driver: DriverDep, settings: SettingsDep
) -> BudgetPublic:
    """Change limits, name, kind, timezone or thresholds."""
    changes = body.model_dump(exclude_unset=True)
    with _session(driver, settings.neo4j_database) as session:
        budget, children = _get(session, budget_id)
        current = to_public(budget, children).model_dump()
        merged = BudgetCreate.model_validate(
            {
                k: v
                for k, v in {**current, **changes}.items()
                if k in BudgetCreate.model_fields and k != "children"
            }
        )
        updated = to_budget(merged)
        write_tx(session, store.update_budget, updated)
    return to_public(updated, children)


@router.delete("/budgets/{budget_id}", status_code=204, dependencies=[NeedsAdmin])
def delete_budget(budget_id: str, driver: DriverDep, settings: SettingsDep) -> Response:
    with _session(driver, settings.neo4j_database) as session:
        if not write_tx(session, store.delete_budget, budget_id):
            raise NotFound(f"no budget {budget_id!r}")
    return Response(status_code=204)


def status_of(state: BudgetState) -> BudgetStatus:
    spend = state.spend
    percent = state.percent_used
    return BudgetStatus(
        budget_id=state.budget.id,
        kind=state.budget.kind,
        window_start=state.window.start,
        window_end=state.window.end,
        spent_usd=format_usd(spend.spent_nanos),
        reserved_usd=format_usd(spend.reserved_nanos),
        remaining_usd=_usd(state.remaining_nanos),
        percent_used=None if percent is None else str(percent),
        tokens=spend.tokens,
        reserved_tokens=spend.reserved_tokens,
        remaining_tokens=state.remaining_tokens,
    )


@router.get("/budgets/{budget_id}/status", response_model=BudgetStatus, dependencies=[NeedsRead])
def budget_status(budget_id: str, driver: DriverDep, settings: SettingsDep) -> BudgetStatus:
    """Spent, reserved, remaining and % used in the current window, with the children's."""
    now = datetime.now(UTC)
    with _session(driver, settings.neo4j_database) as session:
        budget, children = _get(session, budget_id)
        kids = [_get(session, child)[0] for child in children]

        def read(tx: neo4j.ManagedTransaction) -> list[BudgetState]:
            return store.states_at(tx, [budget, *kids], now, lock=True)

        states = write_tx(session, read)
    status = status_of(states[0])
    status.children = [status_of(s) for s in states[1:]]
    return status


# -- checks and reservations -----------------------------------------------------


def _amount(body: SpendIn, catalog: Catalog, now: datetime) -> tuple[int, int]:
    tokens = body.estimated_input_tokens + body.estimated_output_tokens
    if body.amount_usd is not None:
        return usd_to_nanos(body.amount_usd), tokens
    if body.model is None:
        raise InvalidInput("amount_usd or model: give an amount, or a model with estimated tokens")
    card = catalog.lookup(body.model, now, body.provider)
    if card is None:
        close = catalog.closest(body.model)
        raise InvalidInput(f"model: unknown model {body.model!r}", suggestions=close)
    usage = Usage(
        input_tokens=body.estimated_input_tokens, output_tokens=body.estimated_output_tokens
    )
    return price(card, usage).total_nanos, tokens


def _request(body: SpendIn, amount: int, tokens: int, principal: str) -> holds.SpendRequest:
    return holds.SpendRequest(
        amount_nanos=amount,
        tokens=tokens,
        run_id=body.run_id,
        task_id=body.task_id,
        project_id=body.project_id,
        team_id=body.team_id,
        agent_id=body.agent_id,
        priority=body.priority,
        principal=principal,
    )


def _remaining(states: tuple[BudgetState, ...]) -> list[Remaining]:
    return [
        Remaining(
            budget_id=s.budget.id,
            kind=s.budget.kind,
            remaining_usd=_usd(s.remaining_nanos),
            remaining_tokens=s.remaining_tokens,
            percent_used=None if s.percent_used is None else str(s.percent_used),
        )
        for s in states
    ]


def _suggest(
    body: SpendIn, catalog: Catalog, verdict: holds.Verdict, now: datetime
) -> dict[str, str] | None:
    """A cheaper model of the catalog whose estimate fits every denying budget."""
    if body.model is None:
        return None
    room = min(
        (max(d.remaining, 0) for d in verdict.decision.denials if d.dimension == "cost"),
        default=None,
    )
    if room is None:
        return None
    usage = Usage(
        input_tokens=body.estimated_input_tokens, output_tokens=body.estimated_output_tokens
    )
    for card in catalog.cheaper_alternatives(body.model, now):
        cost = price(card, usage).total_nanos
        if cost <= room:
            return {
                "model": card.model_id,
                "provider": card.provider,
                "estimated_usd": format_usd(cost),
            }
    return None


@router.post("/checks", response_model=CheckResult)
def check(
    body: SpendIn, request: Request, driver: DriverDep, settings: SettingsDep, caller: Caller
) -> CheckResult:
    """May this be spent now? Reads only; reserve to hold the room."""
    now = datetime.now(UTC)
    catalog = request.app.state.catalog.get(driver, settings.neo4j_database)
    amount, tokens = _amount(body, catalog, now)
    spend = _request(body, amount, tokens, caller.name)
    with _session(driver, settings.neo4j_database) as session:
        verdict = read_tx(
            session,
            lambda tx: holds.evaluate(
                tx, spend, platform_id=settings.platform_id, now=now, lock=False
            ),
        )
    allowed = verdict.decision.allowed and not verdict.terminate_run
    action = "terminate_run" if verdict.terminate_run else ("continue" if allowed else "stop")
    return CheckResult(
        allowed=allowed,
        amount_usd=format_usd(amount),
        reasons=[
            Reason(budget_id=d.budget_id, dimension=d.dimension, reason=d.reason)
            for d in verdict.decision.denials
        ],
        warnings=[
            Reason(budget_id=w.budget_id, dimension=w.dimension, reason=w.reason)
            for w in verdict.decision.warnings
        ],
        budgets=_remaining(verdict.states),
        action=action,
        emergency=verdict.emergency,
        suggestion=None if allowed else _suggest(body, catalog, verdict, now),
    )


@router.post("/reservations", status_code=201, response_model=ReservationOut)
def reserve(
    body: SpendIn, request: Request, driver: DriverDep, settings: SettingsDep, caller: Caller
) -> ReservationOut:
    """Hold an amount against every budget up the tree: 402 if a hard budget has no room,
    429 with Retry-After when a new run would pass max concurrent runs."""
    now = datetime.now(UTC)
    catalog = request.app.state.catalog.get(driver, settings.neo4j_database)
    amount, tokens = _amount(body, catalog, now)
    spend = _request(body, amount, tokens, caller.name)
    ttl = timedelta(seconds=settings.reservation_ttl_s)
    with _session(driver, settings.neo4j_database) as session:
        hold = write_tx(
            session, holds.reserve, spend, platform_id=settings.platform_id, now=now, ttl=ttl
        )
    return ReservationOut(
        id=hold.id,
        amount_usd=format_usd(hold.amount_nanos),
        expires_at=hold.expires_at,
        budgets=_remaining(hold.verdict.states),
        warnings=[
            Reason(budget_id=w.budget_id, dimension=w.dimension, reason=w.reason)
            for w in hold.verdict.decision.warnings
        ],
    )


@router.post(
    "/reservations/{reservation_id}/settle", response_model=IngestResult, dependencies=[NeedsIngest]
)
def settle(
    reservation_id: str,
    event: UsageEvent,
    request: Request,
    driver: DriverDep,
    settings: SettingsDep,
) -> IngestResult:
    """Record the actual usage through the ledger and release the hold (one transaction)."""
    now = datetime.now(UTC)
    catalog = request.app.state.catalog.get(driver, settings.neo4j_database)
    try:
        priced = price_events([to_record(event, now)], catalog, now)
        with _session(driver, settings.neo4j_database) as session:
            recorded = write_tx(
                session,
                holds.settle,
                reservation_id,
                priced[0],
                platform_id=settings.platform_id,
                now=now,
            )
    except EventsRejected as exc:
        raise rejected(exc, batch=False) from exc
    announce(request, driver, settings.neo4j_database, recorded)
    return ingest_result(recorded)


@router.delete("/reservations/{reservation_id}", dependencies=[NeedsIngest])
def release(reservation_id: str, driver: DriverDep, settings: SettingsDep) -> dict[str, str]:
    """Give the hold back (a settled or expired reservation stays as it is)."""
    with _session(driver, settings.neo4j_database) as session:
        state = write_tx(session, holds.release, reservation_id, datetime.now(UTC))
    return {"id": reservation_id, "state": state}


@router.post("/budgets/{budget_id}/overrides", status_code=201, dependencies=[NeedsAdmin])
def grant_override(
    budget_id: str,
    body: Annotated[OverrideIn, Body()],
    driver: DriverDep,
    settings: SettingsDep,
    caller: Annotated[Principal, Depends(require("admin"))],
) -> dict[str, object]:
    """Give a budget temporary extra room; kept as an audit record."""
    override = {
        "id": "ovr_" + secrets.token_hex(12),
        "budget_id": budget_id,
        "amount_nanousd": usd_to_nanos(body.amount_usd),
        "expires_at": body.expires_at,
        "reason": body.reason,
        "granted_by": caller.name,
    }
    records, _, _ = driver.execute_query(
        cypher("budgets/create_override"), override=override, database_=settings.neo4j_database
    )
    if not records:
        raise NotFound(f"no budget {budget_id!r}")
    return {
        **{k: v for k, v in override.items() if k != "amount_nanousd"},
        "amount_usd": body.amount_usd,
    }


@router.get("/audit", dependencies=[NeedsAdmin])
def audit_trail(
    driver: DriverDep, settings: SettingsDep, limit: int = 100
) -> list[dict[str, object]]:
    records, _, _ = driver.execute_query(
        cypher("budgets/list_audit"), limit=limit, database_=settings.neo4j_database
    )
    return [native(dict(r["entry"])) for r in records]
