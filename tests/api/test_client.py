"""The Python client against the real service over real HTTP on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import neo4j
import pytest
import uvicorn

from app.client import Costgraph, CostgraphError
from app.main import create_app
from app.settings import Settings


@pytest.fixture
def url(graph: neo4j.Driver, test_settings: Settings) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(test_settings, driver=graph),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_record_retry_reserve_settle(url: str) -> None:
    with Costgraph(url, "test-admin-key") as cg:
        first = cg.record(event_id="c1", model="gpt-4o-mini", input_tokens=1000, project_id="p")
        again = cg.record(event_id="c1", model="gpt-4o-mini", input_tokens=1000, project_id="p")
        assert again["results"][0]["duplicate"] is True
        assert again["results"][0]["cost"] == first["results"][0]["cost"]
        many = cg.record_many(
            ({"event_id": f"m{i}", "model": "gpt-4o-mini", "output_tokens": 10} for i in range(25)),
            chunk=10,
        )
        assert (many["accepted"], len(many["results"])) == (25, 25)
        hold = cg.reserve(amount_usd="0.10", project_id="p")
        settled = cg.settle(
            hold["id"], event_id="c2", model="gpt-4o-mini", input_tokens=10, project_id="p"
        )
        assert settled["accepted"] == 1
        assert cg.summary("all", project_id="p")["events"] == 2
        with pytest.raises(CostgraphError) as caught:
            cg.record(event_id="bad", model="no-such-model")
        assert caught.value.status == 422
        assert caught.value.problem["type"].endswith("/unknown-model")
