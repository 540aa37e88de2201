"""Alerts in the graph: fired once per id, listed, acknowledged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import neo4j

from app.alerts.model import Alert, AlertConfig, Webhook
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


def load_config(driver: neo4j.Driver, database: str | None) -> AlertConfig:
    """The alert configuration in force (defaults when none was stored)."""
    records, _, _ = driver.execute_query(
        cypher("alerts/get_config"), database_=database, routing_=neo4j.RoutingControl.READ
    )
    raw = records[0]["config"] if records else None
    if not raw:
        return AlertConfig()
    data = json.loads(raw)
    return AlertConfig(
        thresholds=tuple(data.get("thresholds") or AlertConfig().thresholds),
        webhooks=tuple(
            Webhook(w["url"], w["secret"], tuple(w.get("topics") or ()))
            for w in data.get("webhooks") or ()
        ),
        emails=tuple(data.get("emails") or ()),
        smtp_host=data.get("smtp_host"),
        smtp_port=data.get("smtp_port"),
        smtp_sender=data.get("smtp_sender"),
    )
