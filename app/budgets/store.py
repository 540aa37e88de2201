"""Budgets, their spend windows and the alerts their thresholds raise, in the graph.

Every event adds its cost and tokens to the current window of every budget
whose scope holds it, in the same transaction as the event: one aggregated
row per window per batch, applied in window-id order so that concurrent
batches lock windows in one fixed order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import neo4j

from app.alerts import store as alert_store
from app.alerts.model import Alert, threshold_alerts
from app.budgets.limits import run_action
from app.budgets.model import Budget, BudgetState, Scope, Spend, Window, window_for
from app.graph.queries import cypher
from app.graph.values import Rows, native
from app.usage.model import PricedEvent

_LIMIT_PROPS = {
    "amount_nanos": "amount_nanousd",
    "token_limit": "token_limit",
    "max_tokens_per_run": "max_tokens_per_run",
    "max_cost_per_run_nanos": "max_cost_per_run_nanousd",
    "max_concurrent_runs": "max_concurrent_runs",
}


@dataclass(frozen=True)
class Touch:
    """What one batch of usage did to one budget's window."""

    state: BudgetState
    crossed: tuple[int, ...]
    fired: tuple[Alert, ...]


@dataclass(frozen=True)
class UsageEffects:
    """What a batch did to budgets: windows touched, and runs past a per-run limit."""

    touches: tuple[Touch, ...] = ()
    terminate_runs: frozenset[str] = frozenset()


def budget_to_props(budget: Budget) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": budget.id,
        "name": budget.name,
        "scope_kind": budget.scope.kind,
        "scope_id": budget.scope.id,
        "period": budget.period,
        "timezone": budget.timezone,
        "kind": budget.kind,
        "thresholds": list(budget.thresholds),
    }
    for attr, prop in _LIMIT_PROPS.items():
        props[prop] = getattr(budget, attr)
    return props


def budget_from_props(props: Mapping[str, Any], parent_id: str | None = None) -> Budget:
    return Budget(
        id=props["id"],
        name=props.get("name") or props["id"],
        scope=Scope(props["scope_kind"], props["scope_id"]),
        period=props["period"],
        timezone=props["timezone"],
        kind=props["kind"],
        thresholds=tuple(props.get("thresholds") or ()),
        parent_id=parent_id,
        **{attr: props.get(prop) for attr, prop in _LIMIT_PROPS.items()},
    )


def window_id(budget_id: str, window: Window) -> str:
    return f"{budget_id}|{window.start.isoformat()}"


# -- budgets ---------------------------------------------------------------------


def default_parent(tx: neo4j.ManagedTransaction, budget: Budget, platform_id: str) -> str | None:
    record = tx.run(
        cypher("budgets/default_parent"),
        scope_kind=budget.scope.kind,
        scope_id=budget.scope.id,
        period=budget.period,
        platform_id=platform_id,
    ).single()
    return None if record is None else str(record["id"])


def create_budget(
    tx: neo4j.ManagedTransaction, budget: Budget, *, platform_id: str, now: datetime
) -> None:
    """Create the budget and start its current window at what history already holds; the
    windows of the budgets above it now cover its scope too, so they are recomputed."""
    tx.run(
        cypher("budgets/create_budget"),
        budget=budget_to_props(budget),
        parent_id=budget.parent_id,
        platform_id=platform_id,
    ).consume()
    backfill_window(tx, budget, window_for(budget.period, budget.timezone, now))
    recompute_windows_above(tx, budget.id)


def recompute_windows_above(tx: neo4j.ManagedTransaction, budget_id: str) -> None:
    """Set every existing window of the budget and the budgets above it to the traversal."""
    for record in list(tx.run(cypher("budgets/ancestor_windows"), id=budget_id)):
        window = Window(record["start"].to_native(), record["end"].to_native())
        backfill_window(tx, budget_from_props(record["budget"]), window)


def backfill_window(tx: neo4j.ManagedTransaction, budget: Budget, window: Window) -> None:
    """Set a window's totals from the usage already recorded under the budget."""
    spent = reconcile(tx, budget.id, window)
    wid = window_id(budget.id, window)
    lock_window(tx, budget.id, window)
    current = read_spend(tx, [wid]).get(wid, Spend())
    row = {
        "id": wid,
        "budget_id": budget.id,
        "start": window.start,
        "end": window.end,
        "nanos": spent.spent_nanos - current.spent_nanos,
        "tokens": spent.tokens - current.tokens,
    }
    tx.run(cypher("budgets/add_spend"), windows=[row]).consume()


def reconcile(tx: neo4j.ManagedTransaction | neo4j.Driver, budget_id: str, window: Window) -> Spend:
    """The budget's spend in a window, recomputed by traversal over the usage.

    Once usage has been compacted (deleted after being rolled into per-day sums), a
    window counts the usage still kept plus what compaction carried into it; a window
    that ended before the compaction horizon is history and is its own record."""
    kept = _single(tx, "budgets/window_carry", {"id": window_id(budget_id, window)})
    horizon = native(kept["horizon"])
    if horizon is not None and window.end <= horizon:
        return Spend(spent_nanos=int(kept["spent_nanousd"] or 0), tokens=int(kept["tokens"] or 0))
    start = window.start if horizon is None else max(window.start, horizon)
    record = _single(
        tx, "budgets/reconcile", {"budget_id": budget_id, "start": start, "end": window.end}
    )
    return Spend(
        spent_nanos=int(record["spent_nanousd"]) + int(kept["carried_nanousd"]),
        tokens=int(record["tokens"]) + int(kept["carried_tokens"]),
    )


def carry_windows(tx: neo4j.ManagedTransaction, since: datetime | None, horizon: datetime) -> int:
    """Before compaction deletes the usage in [since, horizon), add its spend to the
    windows that run across the horizon, so reconcile() still equals them; the windows
    that end before the horizon keep their totals as they are. Returns windows carried."""
    rows = []
    for record in list(tx.run(cypher("budgets/spanning_windows"), horizon=horizon)):
        start = native(record["start"])
        if since is not None:
            start = max(start, since)
        raw = _single(
            tx,
            "budgets/reconcile",
            {"budget_id": record["budget_id"], "start": start, "end": horizon},
        )
        rows.append(
            {"id": record["id"], "nanos": int(raw["spent_nanousd"]), "tokens": int(raw["tokens"])}
        )
    tx.run(cypher("budgets/carry_spend"), rows=rows).consume()
    return len(rows)


def _single(
    tx: neo4j.ManagedTransaction | neo4j.Driver, name: str, params: Mapping[str, Any]
) -> neo4j.Record:
    if isinstance(tx, neo4j.Driver):
        records, _, _ = tx.execute_query(cypher(name), dict(params))
        return records[0]
    return tx.run(cypher(name), dict(params)).single(strict=True)


def get_budget(tx: neo4j.ManagedTransaction, budget_id: str) -> tuple[Budget, list[str]] | None:
    record = tx.run(cypher("budgets/get_budget"), id=budget_id).single()
    if record is None:
        return None
    return budget_from_props(record["budget"], record["parent_id"]), list(record["children"])


def list_budgets(tx: neo4j.ManagedTransaction) -> list[tuple[Budget, list[str]]]:
    return [
        (budget_from_props(r["budget"], r["parent_id"]), list(r["children"]))
        for r in tx.run(cypher("budgets/list_budgets"))
    ]


def update_budget(tx: neo4j.ManagedTransaction, budget: Budget) -> None:
    props = budget_to_props(budget)
    changes = {
        k: v for k, v in props.items() if k not in ("id", "scope_kind", "scope_id", "period")
    }
    tx.run(cypher("budgets/update_budget"), id=budget.id, changes=changes).consume()


def delete_budget(tx: neo4j.ManagedTransaction, budget_id: str) -> bool:
    """Delete a budget; its children move up, and the windows above it lose its scope."""
    found = get_budget(tx, budget_id)
    if found is None:
        return False
    tx.run(cypher("budgets/delete_budget"), id=budget_id).consume()
    if found[0].parent_id:
        recompute_windows_above(tx, found[0].parent_id)
    return True


# -- chains and windows ----------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """The budgets governing some scopes, as read (unlocked) at one instant."""

    states: tuple[BudgetState, ...]
    overrides: Mapping[str, int]

    @property
    def budgets(self) -> list[Budget]:
        return [s.budget for s in self.states]


def chain_for_scopes(
    tx: neo4j.ManagedTransaction,
    *,
    platform_id: str,
    now: datetime,
    run_id: str | None = None,
    task_id: str | None = None,
    project_id: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
) -> Chain:
    """Every budget governing spend in these scopes (sorted by id), its window in force at
    ``now`` and the override room it has, in one query."""
    records = tx.run(
        cypher("budgets/chain_for_scopes"),
        platform_id=platform_id,
        run_id=run_id,
        task_id=task_id,
        project_id=project_id,
        team_id=team_id,
        agent_id=agent_id,
        now=now,
    )
    states = []
    overrides = {}
    for record in records:
        budget = budget_from_props(record["budget"])
        window = window_for(budget.period, budget.timezone, now)
        stored = record["window"]
        states.append(BudgetState(budget, window, _spend(stored) if stored else Spend()))
        if record["override_nanos"]:
            overrides[budget.id] = int(record["override_nanos"])
    states.sort(key=lambda state: state.budget.id)
    return Chain(tuple(states), overrides)


def lock_window(tx: neo4j.ManagedTransaction, budget_id: str, window: Window) -> None:
    row = {
        "id": window_id(budget_id, window),
        "budget_id": budget_id,
        "start": window.start,
        "end": window.end,
    }
    lock_windows(tx, [row])


def lock_windows(
    tx: neo4j.ManagedTransaction, rows: Sequence[Mapping[str, Any]]
) -> dict[str, Spend]:
    """Write-lock the windows of ``rows`` (sorted by id), creating missing ones; their totals
    as seen under the lock. Windows usually exist, so they are locked first and only the
    ones not found are created (and locked) after."""
    locked = _lock_existing(tx, rows)
    missing = [row for row in rows if row["id"] not in locked]
    if missing:
        _create_windows(tx, missing)
        locked |= _lock_existing(tx, missing)
    return locked


def _lock_existing(
    tx: neo4j.ManagedTransaction, rows: Sequence[Mapping[str, Any]]
) -> dict[str, Spend]:
    return {r["id"]: _spend(r) for r in tx.run(cypher("budgets/lock_windows"), windows=list(rows))}


def _create_windows(tx: neo4j.ManagedTransaction, rows: Sequence[Mapping[str, Any]]) -> None:
    tx.run(cypher("budgets/create_windows"), windows=list(rows)).consume()


def read_spend(tx: neo4j.ManagedTransaction, window_ids: Sequence[str]) -> dict[str, Spend]:
    records = tx.run(cypher("budgets/windows_by_id"), ids=list(window_ids))
    return {r["id"]: _spend(r) for r in records}


def expire_holds(tx: neo4j.ManagedTransaction, window_ids: Sequence[str], now: datetime) -> int:
    record = tx.run(cypher("budgets/expire_holds"), window_ids=list(window_ids), now=now).single()
    return 0 if record is None else int(record["expired"])


def _spend(record: Any) -> Spend:
    return Spend(
        spent_nanos=int(record["spent_nanousd"]),
        reserved_nanos=int(record["reserved_nanousd"]),
        tokens=int(record["tokens"]),
        reserved_tokens=int(record["reserved_tokens"]),
    )


def states_at(
    tx: neo4j.ManagedTransaction, budgets: Sequence[Budget], at: datetime, *, lock: bool
) -> list[BudgetState]:
    """The state of each budget's window at ``at``; with ``lock``, windows are write-locked
    first, in window-id order, and expired holds on them are released."""
    windows = {b.id: window_for(b.period, b.timezone, at) for b in budgets}
    ids = {b.id: window_id(b.id, windows[b.id]) for b in budgets}
    if lock and budgets:
        rows: list[dict[str, Any]] = sorted(
            (
                {
                    "id": ids[b.id],
                    "budget_id": b.id,
                    "start": windows[b.id].start,
                    "end": windows[b.id].end,
                }
                for b in budgets
            ),
            key=lambda row: str(row["id"]),
        )
        spend = lock_windows(tx, rows)
        if expire_holds(tx, list(ids.values()), at):
            spend = read_spend(tx, list(ids.values()))
    else:
        spend = read_spend(tx, list(ids.values()))
    return [BudgetState(b, windows[b.id], spend.get(ids[b.id], Spend())) for b in budgets]


# -- usage -----------------------------------------------------------------------


def apply_usage(
    tx: neo4j.ManagedTransaction,
    events: Sequence[PricedEvent],
    *,
    budgets_exist: bool | None = None,
) -> UsageEffects:
    """Add new events to their budgets' windows; fire the thresholds they cross; name the
    runs that passed a per-run limit. ``budgets_exist``: whether any budget exists, when
    the caller read it in this transaction already."""
    if not events:
        return UsageEffects()
    if budgets_exist is None:
        budgets_exist = tx.run(cypher("budgets/any_budget")).single(strict=True)["present"]
    if not budgets_exist:
        return UsageEffects()
    by_event = {
        r["event_id"]: r["budget_ids"]
        for r in tx.run(
            cypher("budgets/chain_for_events"), event_ids=Rows(e.record.event_id for e in events)
        )
    }
    ids = sorted({b for found in by_event.values() for b in found})
    budgets = {
        b.id: b
        for b in (
            budget_from_props(r["budget"]) for r in tx.run(cypher("budgets/budgets_by_id"), ids=ids)
        )
    }
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        for budget_id in by_event.get(event.record.event_id, ()):
            budget = budgets[budget_id]
            window = window_for(budget.period, budget.timezone, event.record.timestamp)
            key = window_id(budget_id, window)
            row = rows.setdefault(
                key,
                {
                    "id": key,
                    "budget_id": budget_id,
                    "start": window.start,
                    "end": window.end,
                    "nanos": 0,
                    "tokens": 0,
                },
            )
            row["nanos"] += event.cost.total_nanos
            row["tokens"] += event.tokens
    new_windows = _start_new_windows_from_history(tx, rows)
    if new_windows:
        _create_windows(tx, [rows[key] for key in sorted(new_windows)])
    ordered = [rows[key] for key in sorted(rows)]
    touches = []
    for record in tx.run(cypher("budgets/add_spend"), windows=ordered):
        row = rows[record["id"]]
        budget = budgets[row["budget_id"]]
        spend = Spend(
            int(record["spent_nanousd"]),
            int(record["reserved_nanousd"]),
            int(record["tokens"]),
            int(record["reserved_tokens"]),
        )
        window = Window(row["start"], row["end"])
        alerts = threshold_alerts(
            budget, window, spend.spent_nanos - row["nanos"], spend.spent_nanos
        )
        alerts += threshold_alerts(
            budget, window, spend.tokens - row["tokens"], spend.tokens, unit="tokens"
        )
        touches.append((BudgetState(budget, window, spend), alerts))
    fired = {a.id for a in alert_store.fire(tx, [a for _, alerts in touches for a in alerts])}
    return UsageEffects(
        tuple(
            Touch(
                state,
                tuple(sorted({a.threshold for a in alerts if a.threshold})),
                tuple(a for a in alerts if a.id in fired),
            )
            for state, alerts in touches
        ),
        _runs_past_limits(tx, events, by_event, budgets),
    )


def _start_new_windows_from_history(
    tx: neo4j.ManagedTransaction, rows: Mapping[str, dict[str, Any]]
) -> list[str]:
    """A window met for the first time starts from the usage already under its budget
    (a budget created later, or a past period), so windows always equal the traversal.
    The batch's own events are written already, so they are taken out of the base.
    Returns the ids of the windows that do not exist yet."""
    known = read_spend(tx, list(rows))
    new = []
    for key, row in rows.items():
        row["base_nanos"] = row["base_tokens"] = 0
        if key not in known:
            history = reconcile(tx, row["budget_id"], Window(row["start"], row["end"]))
            row["base_nanos"] = history.spent_nanos - row["nanos"]
            row["base_tokens"] = history.tokens - row["tokens"]
            new.append(key)
    return new


def _runs_past_limits(
    tx: neo4j.ManagedTransaction,
    events: Sequence[PricedEvent],
    by_event: Mapping[str, Sequence[str]],
    budgets: Mapping[str, Budget],
) -> frozenset[str]:
    limited: dict[str, list[Budget]] = defaultdict(list)
    for event in events:
        run_id = event.record.run_id
        for budget_id in by_event.get(event.record.event_id, ()):
            budget = budgets[budget_id]
            if run_id and (budget.max_tokens_per_run or budget.max_cost_per_run_nanos):
                limited[run_id].append(budget)
    totals = run_totals(tx, sorted(limited))
    return frozenset(
        run_id
        for run_id, caps in limited.items()
        if run_action(caps, *totals.get(run_id, (0, 0))) is not None
    )


def run_totals(tx: neo4j.ManagedTransaction, run_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(cost nano-USD, tokens) recorded so far per run."""
    if not run_ids:
        return {}
    return {
        r["run_id"]: (int(r["nanos"]), int(r["tokens"]))
        for r in tx.run(cypher("budgets/run_totals"), run_ids=list(run_ids))
    }
