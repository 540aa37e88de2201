"""Enforcement: pre-flight checks, atomic reservations, settlement and release.

A reservation is check-and-hold in one write transaction: the windows of
every budget up the tree are write-locked in window-id order (one global
order, so concurrent reservations serialise without deadlock), expired holds
on them are released, the pure rule `decide` runs on the locked totals, and
the hold is written before the locks are let go. Two replicas can therefore
never both grant the last dollar.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import neo4j

from app.budgets import store
from app.budgets.limits import has_run_slot, run_action
from app.budgets.model import Budget, BudgetState, Decision, decide, in_emergency
from app.errors import BudgetExceeded, Conflict, NotFound, TooManyRuns
from app.graph.queries import cypher
from app.money import format_usd
from app.usage import ledger
from app.usage.model import PricedEvent

RETRY_AFTER_S = 5


@dataclass(frozen=True)
class SpendRequest:
    """What a caller wants to spend, and where."""

    amount_nanos: int
    tokens: int = 0
    run_id: str | None = None
    task_id: str | None = None
    project_id: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    priority: str = "normal"
    principal: str = ""

    def scopes(self) -> dict[str, str | None]:
        return {
            "run_id": self.run_id,
            "task_id": self.task_id,
            "project_id": self.project_id,
            "team_id": self.team_id,
            "agent_id": self.agent_id,
        }


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    states: tuple[BudgetState, ...]
    terminate_run: bool = False
    emergency: bool = False


@dataclass(frozen=True)
class Hold:
    id: str
    amount_nanos: int
    tokens: int
    expires_at: datetime
    verdict: Verdict
    window_ids: tuple[str, ...] = field(default=())


def _run_past_limit(
    tx: neo4j.ManagedTransaction, budgets: Sequence[Budget], request: SpendRequest
) -> bool:
    capped = [b for b in budgets if b.max_tokens_per_run or b.max_cost_per_run_nanos]
    if not request.run_id or not capped:
        return False
    nanos, tokens = store.run_totals(tx, [request.run_id]).get(request.run_id, (0, 0))
    return run_action(capped, nanos + request.amount_nanos, tokens + request.tokens) is not None


def evaluate(
    tx: neo4j.ManagedTransaction,
    request: SpendRequest,
    *,
    platform_id: str,
    now: datetime,
    lock: bool,
) -> Verdict:
    """Decide the request against every budget up the tree (locking them when reserving)."""
    chain = store.chain_for_scopes(tx, platform_id=platform_id, now=now, **request.scopes())
    states = store.states_at(tx, chain.budgets, now, lock=True) if lock else list(chain.states)
    decision = decide(
        states,
        request.amount_nanos,
        request.tokens,
        priority=request.priority,
        overrides=chain.overrides,
    )
    return Verdict(
        decision, tuple(states), _run_past_limit(tx, chain.budgets, request), in_emergency(states)
    )


def denial_problem(verdict: Verdict, request: SpendRequest) -> BudgetExceeded:
    if verdict.terminate_run:
        return BudgetExceeded(
            f"run {request.run_id} has passed its per-run limit",
            action="terminate_run",
            run_id=request.run_id,
            requested_usd=format_usd(request.amount_nanos),
        )
    first = verdict.decision.denials[0]
    unit = format_usd if first.dimension == "cost" else str
    return BudgetExceeded(
        f"budget {first.budget_id} has no room: {first.reason}",
        budget_id=first.budget_id,
        dimension=first.dimension,
        limit=unit(first.limit),
        committed=unit(first.committed),
        requested=unit(first.requested),
        remaining=unit(max(first.remaining, 0)),
        budgets=[d.budget_id for d in verdict.decision.denials],
        action="stop",
    )


def _check_concurrency(
    tx: neo4j.ManagedTransaction, verdict: Verdict, request: SpendRequest, now: datetime
) -> None:
    for state in verdict.states:
        budget = state.budget
        if budget.max_concurrent_runs is None or not request.run_id:
            continue
        active = tx.run(cypher("budgets/active_runs"), budget_id=budget.id, now=now).single()
        runs = list(active["run_ids"]) if active else []
        if request.run_id not in runs and not has_run_slot(budget, len(runs)):
            raise TooManyRuns(
                f"budget {budget.id} allows {budget.max_concurrent_runs} concurrent runs; "
                "queue this run and retry",
                budget_id=budget.id,
                active_runs=len(runs),
                retry_after=RETRY_AFTER_S,
            )


def _audit(
    tx: neo4j.ManagedTransaction,
    action: str,
    request: SpendRequest,
    budget_ids: Sequence[str],
    detail: str,
) -> None:
    entry = {
        "id": "aud_" + secrets.token_hex(12),
        "action": action,
        "principal": request.principal,
        "detail": detail,
        "budget_ids": list(budget_ids),
    }
    tx.run(cypher("budgets/audit"), entry=entry).consume()


def reserve(
    tx: neo4j.ManagedTransaction,
    request: SpendRequest,
    *,
    platform_id: str,
    now: datetime,
    ttl: timedelta,
) -> Hold:
    """Check and hold atomically over the whole chain, or raise (402, 429)."""
    verdict = evaluate(tx, request, platform_id=platform_id, now=now, lock=True)
    if verdict.terminate_run or not verdict.decision.allowed:
        raise denial_problem(verdict, request)
    _check_concurrency(tx, verdict, request, now)
    if verdict.decision.audited:
        _audit(
            tx,
            "reserve",
            request,
            verdict.decision.overrides_used or [s.budget.id for s in verdict.states],
            f"priority={request.priority} amount={format_usd(request.amount_nanos)}",
        )
    hold_id = "res_" + secrets.token_hex(12)
    window_ids = tuple(store.window_id(s.budget.id, s.window) for s in verdict.states)
    reservation: dict[str, Any] = {
        "id": hold_id,
        "amount_nanousd": request.amount_nanos,
        "tokens": request.tokens,
        "expires_at": now + ttl,
        "principal": request.principal,
        **{k: v for k, v in request.scopes().items() if v is not None},
    }
    tx.run(
        cypher("budgets/create_reservation"), reservation=reservation, window_ids=list(window_ids)
    ).consume()
    return Hold(hold_id, request.amount_nanos, request.tokens, now + ttl, verdict, window_ids)


def _held(tx: neo4j.ManagedTransaction, reservation_id: str) -> dict[str, Any]:
    record = tx.run(cypher("budgets/get_reservation"), id=reservation_id).single()
    if record is None:
        raise NotFound(f"no reservation {reservation_id!r}")
    return dict(record["reservation"])


def release(tx: neo4j.ManagedTransaction, reservation_id: str, now: datetime) -> str:
    """Give a hold back; returns its final state."""
    held = _held(tx, reservation_id)
    if held["state"] != "held":
        return str(held["state"])
    tx.run(
        cypher("budgets/close_reservation"),
        id=reservation_id,
        state="released",
        now=now,
        event_id=None,
    ).consume()
    return "released"


def settle(
    tx: neo4j.ManagedTransaction,
    reservation_id: str,
    event: PricedEvent,
    *,
    platform_id: str,
    now: datetime,
) -> ledger.Recorded:
    """Record the actual usage through the ledger and release the hold, in one transaction.
    An expired hold still records the usage: it was spent."""
    held = _held(tx, reservation_id)
    if held["state"] in ("settled", "released"):
        raise Conflict(
            f"reservation {reservation_id} is already {held['state']}", state=held["state"]
        )
    recorded = ledger.write_batch(tx, [event], platform_id)
    if held["state"] == "held":
        tx.run(
            cypher("budgets/close_reservation"),
            id=reservation_id,
            state="settled",
            now=now,
            event_id=event.record.event_id,
        ).consume()
    return recorded
