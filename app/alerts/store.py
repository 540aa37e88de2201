"""Alerts in the graph: fired once per id, listed, acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import neo4j

from app.alerts.model import Alert
from app.graph.queries import cypher


def fire(tx: neo4j.ManagedTransaction, alerts: Sequence[Alert]) -> list[Alert]:
    """Record alerts; returns those that are new (each id fires once, also under concurrency)."""
    if not alerts:
        return []
    rows = [{k: v for k, v in asdict(a).items() if v is not None} for a in alerts]
    created = {r["id"] for r in tx.run(cypher("alerts/fire"), alerts=rows) if r["created"]}
    return [a for a in alerts if a.id in created]


def list_alerts(
    driver: neo4j.Driver,
    *,
    level: str | None,
    budget_id: str | None,
    unacknowledged: bool | None,
    limit: int,
    database: str | None,
) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        cypher("alerts/list_alerts"),
        level=level,
        budget_id=budget_id,
        unacknowledged=unacknowledged,
        limit=limit,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return [dict(r["alert"]) for r in records]


def acknowledge(
    driver: neo4j.Driver, alert_id: str, by: str, database: str | None
) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(
        cypher("alerts/ack"), id=alert_id, by=by, database_=database
    )
    return dict(records[0]["alert"]) if records else None
