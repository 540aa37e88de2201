"""Alert channels against real local receivers: a webhook server and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import neo4j
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from app.alerts.model import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from app.auth.store import create_key

SECRET = "a-secret-of-sixteen+"


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        failing = Receiver.fail_first > 0
        Receiver.fail_first -= 1
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    Receiver.received = []
    Receiver.fail_first = 1
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content.decode())
        return "250 OK"


def wait_for(condition: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)
    assert condition()


def test_webhooks_are_signed_retried_and_logged_and_mail_is_sent(
    client: TestClient, hook: str
) -> None:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    smtp = Controller(box, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        config = {
            "webhooks": [
                {
                    "url": hook,
                    "secret": SECRET,
                    "topics": ["budget.warning", "budget.exceeded", "cost.recorded"],
                }
            ],
            "emails": ["ops@example.org"],
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_sender": "costgraph@example.org",
        }
        assert client.put("/v1/alerts/config", json=config).status_code == 200
        client.post(
            "/v1/budgets",
            json={"id": "b", "allocated_to": {"kind": "project", "id": "p"}, "amount_usd": "1.00"},
        ).raise_for_status()
        client.post(
            "/v1/usage",
            json={
                "event_id": "e",
                "model": "claude-sonnet-4-5",
                "output_tokens": 60_000,
                "project_id": "p",
            },
        ).raise_for_status()  # $0.90: 50% and 80% crossed
        # Two alerts and one cost event, the first POST failing once and retried.
        wait_for(lambda: len(Receiver.received) >= 4)
        wait_for(lambda: len(box.messages) >= 2)
    finally:
        smtp.stop()
    topics = set()
    for headers, body in Receiver.received:
        stamp = int(headers[TIMESTAMP_HEADER])
        assert verify_signature(SECRET, body, stamp, headers[SIGNATURE_HEADER])
        topics.add(json.loads(body)["topic"])
    assert topics == {"budget.warning", "cost.recorded"}
    assert not verify_signature(SECRET, body + b" ", stamp, headers[SIGNATURE_HEADER])
    log = client.get("/v1/alerts/deliveries").json()
    webhook_attempts = [d for d in log if d["channel"] == "webhook"]
    assert any(not d["ok"] and d["status"] == 500 for d in webhook_attempts)
    assert sum(d["ok"] for d in webhook_attempts) == 3
    assert "80% reached" in "".join(box.messages)


def test_bad_config_is_a_problem(client: TestClient) -> None:
    bad = client.put("/v1/alerts/config", json={"emails": ["ops@example.org"]})
    assert bad.status_code == 422
    assert "smtp" in bad.json()["detail"]


def test_an_unusual_day_is_raised_once_and_sent(client: TestClient, hook: str) -> None:
    Receiver.fail_first = 0
    config = {"webhooks": [{"url": hook, "secret": SECRET, "topics": ["budget.warning"]}]}
    assert client.put("/v1/alerts/config", json=config).status_code == 200
    last = datetime.now(UTC) - timedelta(minutes=1)
    day = datetime.combine(last.date(), datetime.min.time(), tzinfo=UTC)
    quiet = [
        {
            "event_id": f"quiet-{k}",
            "timestamp": (day - timedelta(days=k) + timedelta(hours=12)).isoformat(),
            "model": "gpt-4o-mini",
            "input_tokens": 100_000,  # $0.015 a day
            "project_id": "q",
        }
        for k in range(1, 8)
    ]
    loud = {
        "event_id": "loud",
        "timestamp": last.isoformat(),
        "model": "gpt-4o-mini",
        "input_tokens": 400_000,  # $0.06: 400% of the week's average
        "project_id": "q",
    }
    client.post("/v1/usage", json={"events": [*quiet, loud]}).raise_for_status()

    raised = client.post("/v1/alerts/evaluate")
    assert raised.status_code == 200
    [alert] = raised.json()["alerts"]
    assert (alert["kind"], alert["observed"], alert["limit"]) == (
        "anomaly", "0.060000000", "0.015000000",
    )  # fmt: skip
    assert client.post("/v1/alerts/evaluate").json() == {"alerts": []}
    assert [a["id"] for a in client.get("/v1/alerts?level=anomaly").json()["alerts"]] == [
        alert["id"]
    ]
    wait_for(lambda: len(Receiver.received) >= 1)
    headers, body = Receiver.received[0]
    assert json.loads(body)["topic"] == "budget.warning"
    assert verify_signature(SECRET, body, int(headers[TIMESTAMP_HEADER]), headers[SIGNATURE_HEADER])


def test_only_admins_evaluate_alerts(client: TestClient, graph: neo4j.Driver) -> None:
    with graph.session() as session:
        session.execute_write(create_key, key="read-only", name="dash", scopes=frozenset({"read"}))
    reader = {"Authorization": "Bearer read-only"}
    assert client.post("/v1/alerts/evaluate", headers=reader).status_code == 403
    assert client.get("/v1/alerts", headers=reader).status_code == 200
