"""`costgraph serve --workers 2` on the suite's Neo4j: concurrent batches through both
processes are recorded exactly once, and one process holds the upkeep lock."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import neo4j
import pytest

from app.graph.driver import apply_schema, expected_constraints, schema_statements
from app.graph.queries import cypher
from app.hostlock import hold_if_free

pytestmark = pytest.mark.neo4j

KEY = "workers-test-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(uri: str, data_dir: Path) -> Iterator[str]:
    """`costgraph serve --workers 2` on ``uri``; yields its URL once ready, stops it after."""
    port = free_port()
    env = {
        **os.environ,
        "NEO4J_URI": uri,
        "COSTGRAPH_DATA_DIR": str(data_dir),
        "COSTGRAPH_BOOTSTRAP_ADMIN_KEY": KEY,
        "COSTGRAPH_ROLLUP_INTERVAL_S": "0",
        "COSTGRAPH_COMPACT_INTERVAL_S": "0",
        "COSTGRAPH_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("costgraph")), "serve"]
    log = (data_dir.parent / "serve.log").open("w")
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "serve exited"
            assert time.monotonic() < deadline, "serve was not ready within 60 s"
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(30) == 0
        log.close()
        assert "startup failed" not in (data_dir.parent / "serve.log").read_text()


@pytest.fixture
def served(
    graph: neo4j.Driver, neo4j_server: tuple[str, object], tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    with serving(neo4j_server[0], tmp_path / "data") as url:
        yield url, tmp_path / "data" / "locks"


def batch(n: int) -> dict[str, object]:
    # Every batch repeats event "shared", so all but the first batch to commit see it known.
    events = [
        {"event_id": f"b{n}-e{i}", "model": "gpt-4o-mini", "input_tokens": 100 + i, "run_id": "r"}
        for i in range(50)
    ]
    return {"events": [*events, {"event_id": "shared", "model": "gpt-4o-mini", "input_tokens": 7}]}


def test_concurrent_batches_through_two_workers_are_recorded_once(
    served: tuple[str, Path], graph: neo4j.Driver
) -> None:
    url, locks = served

    def post(n: int) -> dict[str, int]:
        # No kept connection: requests spread over both workers.
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}) as http:
            answer = http.post("/v1/usage", json=batch(n), timeout=60)
            answer.raise_for_status()
            body = answer.json()
            return {"accepted": body["accepted"], "duplicates": body["duplicates"]}

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, range(12)))

    assert sum(a["accepted"] for a in answers) == 12 * 50 + 1
    assert sum(a["duplicates"] for a in answers) == 11
    records, _, _ = graph.execute_query("MATCH (u:TokenUsage) RETURN count(u) AS n")
    assert records[0]["n"] == 12 * 50 + 1
    # One of the workers runs the upkeep jobs: the lock is taken while they serve.
    assert (locks / "write.lock").exists()
    assert hold_if_free(locks / "upkeep.lock") is None


SCHEMA_RULE = re.compile(r"CREATE\s+(CONSTRAINT|INDEX)\s+(\w+)", re.IGNORECASE)


def test_workers_start_together_on_a_graph_without_schema(
    graph: neo4j.Driver, neo4j_server: tuple[str, object], tmp_path: Path
) -> None:
    # The rules' names come from cypher/schema.cypher, not from input.
    rules = [m.groups() for s in schema_statements() if (m := SCHEMA_RULE.search(s))]
    try:
        for kind, name in rules:
            graph.execute_query(f"DROP {kind.upper()} {name} IF EXISTS")
        with serving(neo4j_server[0], tmp_path / "data") as url:
            ready = httpx.get(f"{url}/readyz", timeout=5)
            assert ready.status_code == 200
        records, _, _ = graph.execute_query(cypher("admin/constraint_names"))
        assert expected_constraints() <= set(records[0]["names"])
    finally:
        apply_schema(graph)
