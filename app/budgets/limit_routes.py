"""The seed-style limits configuration: `GET|PUT /v1/limits`, `GET /v1/limits/status`.

Limits are budgets with deterministic ids (`limits:...`); applying a
configuration creates, updates and removes exactly those budgets.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import neo4j
from fastapi import APIRouter, Body

from app.auth.deps import NeedsAdmin, NeedsRead
from app.budgets import store
from app.budgets.limits import Limits, budgets_from_limits, limits_to_dict, parse_limits
from app.budgets.model import BudgetError
from app.budgets.routes import status_of
from app.budgets.schemas import BudgetStatus
from app.deps import DriverDep, SettingsDep
from app.errors import InvalidInput
from app.graph.driver import read_tx, write_tx
from app.graph.queries import cypher

router = APIRouter(prefix="/v1/limits", tags=["limits"])
PREFIX = "limits:"


def read_limits(data: Any) -> Limits:
    if not isinstance(data, dict):
        raise InvalidInput("limits must be an object with global, per_project, per_agent")
    try:
        return parse_limits(data)
    except BudgetError as exc:
        raise InvalidInput(str(exc)) from exc


def apply_limits(
    tx: neo4j.ManagedTransaction, limits: Limits, *, platform_id: str, now: datetime
) -> list[str]:
    """Make the `limits:` budgets match the configuration; returns their ids."""
    record = tx.run(cypher("budgets/project_ids")).single(strict=True)
    wanted = budgets_from_limits(limits, record["ids"], platform_id)
    existing = {b.id for b, _ in store.list_budgets(tx) if b.id.startswith(PREFIX)}
    for budget in wanted:  # parents come before their children
        if budget.id in existing:
            store.update_budget(tx, budget)
        else:
            store.create_budget(tx, budget, platform_id=platform_id, now=now)
    for stale in sorted(existing - {b.id for b in wanted}):
        store.delete_budget(tx, stale)
    tx.run(cypher("budgets/put_limits"), config=json.dumps(limits_to_dict(limits))).consume()
    return [b.id for b in wanted]


@router.get("", dependencies=[NeedsRead])
def get_limits(driver: DriverDep, settings: SettingsDep) -> dict[str, Any]:
    records, _, _ = driver.execute_query(
        cypher("budgets/get_limits"), database_=settings.neo4j_database
    )
    raw = records[0]["config"] if records else None
    return dict(json.loads(raw)) if raw else limits_to_dict(parse_limits({}))


@router.put("", dependencies=[NeedsAdmin])
def put_limits(
    body: Annotated[dict[str, Any], Body()], driver: DriverDep, settings: SettingsDep
) -> dict[str, Any]:
    """Replace the limits; answers the configuration as applied and the budgets it made."""
    limits = read_limits(body)
    with driver.session(database=settings.neo4j_database) as session:
        ids = write_tx(
            session, apply_limits, limits, platform_id=settings.platform_id, now=datetime.now(UTC)
        )
    return {**limits_to_dict(limits), "budgets": ids}


@router.get("/status", response_model=list[BudgetStatus], dependencies=[NeedsRead])
def limits_status(driver: DriverDep, settings: SettingsDep) -> list[BudgetStatus]:
    """Usage against every limit, in each limit's current window."""
    now = datetime.now(UTC)
    with driver.session(database=settings.neo4j_database) as session:
        budgets = [b for b, _ in read_tx(session, store.list_budgets) if b.id.startswith(PREFIX)]
        states = write_tx(session, lambda tx: store.states_at(tx, budgets, now, lock=True))
    return [status_of(s) for s in states]
