"""Alerts: list, acknowledge, configure."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from app.alerts import store, watch
from app.alerts.model import AlertConfig, AlertError, Webhook
from app.alerts.schemas import AlertConfigIn, AlertList, AlertOut
from app.auth.deps import NeedsAdmin, NeedsRead, require
from app.auth.model import Principal
from app.deps import DriverDep, SettingsDep
from app.errors import InvalidInput, NotFound
from app.graph.queries import cypher
from app.graph.values import native
from app.money import format_usd

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


def to_out(alert: dict[str, Any]) -> AlertOut:
    """Money amounts leave as decimal strings; token amounts as integers."""
    if alert.get("unit", "usd") == "usd":
        for key in ("observed", "limit"):
            if isinstance(alert.get(key), int):
                alert[key] = format_usd(alert[key])
    return AlertOut.model_validate(native(alert))


@router.get("", response_model=AlertList, dependencies=[NeedsRead])
def list_alerts(
    driver: DriverDep,
    settings: SettingsDep,
    level: Literal["info", "warning", "critical", "exceeded", "anomaly", "forecast"] | None = None,
    budget_id: str | None = None,
    unacknowledged: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AlertList:
    found = store.list_alerts(
        driver,
        level=level,
        budget_id=budget_id,
        unacknowledged=unacknowledged,
        limit=limit,
        database=settings.neo4j_database,
    )
    return AlertList(alerts=[to_out(a) for a in found])


@router.post("/evaluate", response_model=AlertList, dependencies=[NeedsAdmin])
def evaluate(request: Request, driver: DriverDep, settings: SettingsDep) -> AlertList:
    """Raise the forecast and anomaly alerts due now (`serve` also does it every few
    minutes) and send them to the channels; returns the alerts that are new."""
    fired = watch.raise_alerts(driver, datetime.now(UTC), settings.neo4j_database)
    if fired:
        config = store.load_config(driver, settings.neo4j_database)
        request.app.state.dispatcher.dispatch(config, fired, None)
    return AlertList(
        alerts=[to_out({k: v for k, v in asdict(a).items() if v is not None}) for a in fired]
    )


@router.post("/{alert_id}/ack", response_model=AlertOut)
def acknowledge(
    alert_id: str,
    driver: DriverDep,
    settings: SettingsDep,
    caller: Annotated[Principal, Depends(require("read"))],
) -> AlertOut:
    found = store.acknowledge(driver, alert_id, caller.name, settings.neo4j_database)
    if found is None:
        raise NotFound(f"no alert {alert_id!r}")
    return to_out(found)


@router.get("/config", response_model=AlertConfigIn, dependencies=[NeedsRead])
def get_config(driver: DriverDep, settings: SettingsDep) -> AlertConfigIn:
    records, _, _ = driver.execute_query(
        cypher("alerts/get_config"), database_=settings.neo4j_database
    )
    raw = records[0]["config"] if records else None
    return AlertConfigIn.model_validate_json(raw) if raw else AlertConfigIn()


@router.put("/config", response_model=AlertConfigIn, dependencies=[NeedsAdmin])
def put_config(body: AlertConfigIn, driver: DriverDep, settings: SettingsDep) -> AlertConfigIn:
    config = AlertConfig(
        thresholds=tuple(body.thresholds),
        webhooks=tuple(Webhook(w.url, w.secret, tuple(w.topics)) for w in body.webhooks),
        emails=tuple(body.emails),
        smtp_host=body.smtp_host,
        smtp_port=body.smtp_port,
        smtp_sender=body.smtp_sender,
    )
    try:
        config.validate()
    except AlertError as exc:
        raise InvalidInput(str(exc)) from exc
    driver.execute_query(
        cypher("alerts/put_config"),
        config=json.dumps(body.model_dump()),
        database_=settings.neo4j_database,
    )
    return body


@router.get("/deliveries", dependencies=[NeedsAdmin])
def deliveries(
    driver: DriverDep, settings: SettingsDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """The delivery log: every attempt to reach a webhook or a mailbox."""
    records, _, _ = driver.execute_query(
        cypher("alerts/list_deliveries"), limit=limit, database_=settings.neo4j_database
    )
    return [native(dict(r["delivery"])) for r in records]
