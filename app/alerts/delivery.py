"""Delivering alerts and cost events to webhooks and email, after the write commits.

Delivery runs on a small thread pool so a slow receiver never holds up an
orchestrator's request. Each webhook POST carries an HMAC-SHA256 signature over
"<timestamp>.<body>" (`X-Costgraph-Signature`, `X-Costgraph-Timestamp`), is
retried with exponential backoff, and every attempt lands in the delivery log.
The in-app list needs no delivery: alerts are nodes the moment they fire.
"""

from __future__ import annotations

import json
import logging
import secrets
import smtplib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any

import httpx
import neo4j

from app.alerts.model import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Alert,
    AlertConfig,
    Webhook,
    alert_payload,
    backoff_delays,
    sign_payload,
    topic_for,
)
from app.graph.queries import cypher

logger = logging.getLogger(__name__)
ATTEMPTS = 4


class Dispatcher:
    def __init__(
        self,
        driver: neo4j.Driver,
        database: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base_s: float = 0.5,
    ) -> None:
        self.driver = driver
        self.database = database
        self.sleep = sleep
        self.backoff_base_s = backoff_base_s
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="alert-delivery")
        self._http = httpx.Client(timeout=5.0)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._http.close()

    def dispatch(
        self, config: AlertConfig, alerts: Sequence[Alert], cost_event: dict[str, Any] | None
    ) -> list[Future[None]]:
        """Queue every delivery these alerts (and the batch's cost event) call for."""
        jobs: list[Future[None]] = []
        messages: list[tuple[str, dict[str, Any], str | None]] = [
            (topic_for(a.level), alert_payload(a), a.id) for a in alerts
        ]
        if cost_event is not None:
            messages.append(("cost.recorded", {"topic": "cost.recorded", **cost_event}, None))
        for topic, payload, alert_id in messages:
            for hook in config.webhooks:
                if hook.wants(topic):
                    jobs.append(self._pool.submit(self._post, hook, topic, payload, alert_id))
            if config.emails and topic != "cost.recorded":
                jobs.append(self._pool.submit(self._mail, config, topic, payload, alert_id))
        return jobs

    def _post(
        self, hook: Webhook, topic: str, payload: dict[str, Any], alert_id: str | None
    ) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        delays = [0.0, *backoff_delays(ATTEMPTS - 1, base=self.backoff_base_s)]
        for attempt, delay in enumerate(delays, start=1):
            self.sleep(delay)
            stamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign_payload(hook.secret, body, stamp),
                TIMESTAMP_HEADER: str(stamp),
            }
            status, error = None, None
            try:
                status = self._http.post(hook.url, content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                error = str(exc) or type(exc).__name__
            ok = status is not None and 200 <= status < 300
            self._log(topic, "webhook", hook.url, attempt, ok, status, error, alert_id)
            if ok:
                return
        logger.warning("webhook %s gave up on %s after %d attempts", hook.url, topic, ATTEMPTS)

    def _mail(
        self, config: AlertConfig, topic: str, payload: dict[str, Any], alert_id: str | None
    ) -> None:
        message = EmailMessage()
        message["Subject"] = f"[costgraph] {topic}: {payload.get('message', '')}"[:200]
        message["From"] = config.smtp_sender or "costgraph@localhost"
        message["To"] = ", ".join(config.emails)
        message.set_content(json.dumps(payload, indent=2))
        ok, error = True, None
        try:
            with smtplib.SMTP(
                config.smtp_host or "localhost", config.smtp_port or 25, timeout=10
            ) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            ok, error = False, str(exc)
        self._log(topic, "email", message["To"], 1, ok, None, error, alert_id)

    def _log(
        self,
        topic: str,
        channel: str,
        target: str,
        attempt: int,
        ok: bool,
        status: int | None,
        error: str | None,
        alert_id: str | None,
    ) -> None:
        entry = {
            "id": "dlv_" + secrets.token_hex(12),
            "topic": topic,
            "channel": channel,
            "target": target,
            "attempt": attempt,
            "ok": ok,
            "status": status,
            "error": error,
            "alert_id": alert_id,
        }
        try:
            self.driver.execute_query(
                cypher("alerts/log_delivery"), entry=entry, database_=self.database
            )
        except neo4j.exceptions.Neo4jError:
            logger.exception("could not log a delivery to %s", target)
