"""Forecast and anomaly alerts: what the reports project and find, raised as alerts.

Threshold alerts fire in the transaction that records the usage. These two need a look
at a whole window or at several days, so the upkeep job inside `serve` evaluates them
every few minutes (and `POST /v1/alerts/evaluate` on demand). Each fires once: a
forecast once per budget window, an anomaly once per project or agent per day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import neo4j

from app.alerts import store as alert_store
from app.alerts.model import Alert, anomaly_alert_id, forecast_alert_id
from app.graph.driver import write_tx
from app.money import format_usd
from app.reports import insights

ANOMALY_PERCENT = 200
TRAILING_DAYS = 7
# A linear projection from the first minutes of a window says little: a forecast alert
# waits until this share of the window has passed.
MIN_ELAPSED = Decimal("0.1")


def due_alerts(driver: neo4j.Driver, now: datetime, database: str | None = None) -> list[Alert]:
    """The forecast and anomaly alerts the graph calls for at ``now`` (fired or not)."""
    alerts = []
    for b in insights.budget_projections(driver, now, database):
        projected = b.projection.linear_nanos
        if b.projection.elapsed_fraction < MIN_ELAPSED or projected <= b.amount_nanos:
            continue
        alerts.append(
            Alert(
                id=forecast_alert_id(b.budget_id, b.window.start),
                kind="forecast",
                level="forecast",
                budget_id=b.budget_id,
                threshold=None,
                window_start=b.window.start,
                observed=projected,
                limit=b.amount_nanos,
                message=(
                    f"budget {b.budget_id} is on course to spend {format_usd(projected)} USD "
                    f"by {b.window.end.isoformat()}, over its {format_usd(b.amount_nanos)} USD"
                ),
            )
        )
    today = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    # Yesterday too: a day that turned unusual after the last evaluation still warns.
    for kind, a in insights.find_anomalies(
        driver,
        start=today - timedelta(days=1),
        end=now,
        threshold_percent=ANOMALY_PERCENT,
        trailing_days=TRAILING_DAYS,
        database=database,
    ):
        if a.key is None:
            continue
        day = datetime.combine(a.day, datetime.min.time(), tzinfo=UTC)
        alerts.append(
            Alert(
                id=anomaly_alert_id(f"{kind}:{a.key}", day),
                kind="anomaly",
                level="anomaly",
                budget_id=None,
                threshold=None,
                window_start=day,
                observed=a.cost_nanos,
                limit=a.trailing_average_nanos,
                message=(
                    f"{kind} {a.key} spent {format_usd(a.cost_nanos)} USD on {a.day.isoformat()}, "
                    f"{a.ratio_percent}% of its {TRAILING_DAYS}-day average "
                    f"({format_usd(a.trailing_average_nanos)} USD)"
                ),
            )
        )
    return alerts


def raise_alerts(driver: neo4j.Driver, now: datetime, database: str | None = None) -> list[Alert]:
    """Fire the forecast and anomaly alerts due at ``now``; returns those that are new."""
    due = due_alerts(driver, now, database)
    if not due:
        return []
    with driver.session(database=database) as session:
        return write_tx(session, alert_store.fire, due)
