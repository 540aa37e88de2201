"""The embedded Neo4j's lifecycle: start, reuse, stale pid recovery, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import neo4j
import pytest

from app.graph.embedded import EmbeddedError, EmbeddedNeo4j
from app.settings import Settings

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def _server(data_dir: Path, **kwargs: object) -> EmbeddedNeo4j:
    settings = Settings()
    return EmbeddedNeo4j(data_dir, settings.cache_dir, settings.neo4j_version, **kwargs)  # type: ignore[arg-type]


def _java_pids_for(home: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if f"--home-dir={home}".encode() in cmdline:
                pids.append(int(proc.name))
    return pids


def test_start_twice_reuses_one_server_and_data_survives_restart(tmp_path: Path) -> None:
    server = _server(tmp_path)
    uri, started = server.start()
    try:
        assert started
        again_uri, again_started = _server(tmp_path).start()
        assert (again_uri, again_started) == (uri, False)
        assert len(_java_pids_for(server.home)) == 1
        with neo4j.GraphDatabase.driver(uri) as drv:
            drv.execute_query("CREATE (:Marker {id: $id})", id="kept")
    finally:
        assert server.stop()
    assert _java_pids_for(server.home) == []
    assert not server.status().running

    uri, started = server.start()
    try:
        with neo4j.GraphDatabase.driver(uri) as drv:
            records, _, _ = drv.execute_query("MATCH (m:Marker) RETURN m.id AS id")
        assert [r["id"] for r in records] == ["kept"]
    finally:
        server.stop()


def test_stale_pid_file_is_recovered(tmp_path: Path) -> None:
    server = _server(tmp_path)
    pid_file = server.home / "run" / "costgraph-neo4j.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text("999999\n")  # no such process
    assert not server.status().running
    uri, started = server.start()
    try:
        assert started
        assert int(pid_file.read_text()) != 999999
    finally:
        server.stop()


def test_boot_failure_quotes_the_log(tmp_path: Path) -> None:
    server = _server(tmp_path, pagecache="not-a-size", start_timeout_s=60)
    with pytest.raises(EmbeddedError, match="exited during startup") as caught:
        server.start()
    assert "not-a-size" in str(caught.value) or "pagecache" in str(caught.value)
    assert _java_pids_for(server.home) == []


def test_serve_answers_ready_and_stops_the_neo4j_it_started(tmp_path: Path) -> None:
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "COSTGRAPH_DATA_DIR": str(tmp_path), "COSTGRAPH_LOG_LEVEL": "WARNING"}
    env.pop("NEO4J_URI", None)
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    home = tmp_path.resolve() / "neo4j"
    try:
        status = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code
                if status == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert status == 200
        assert len(_java_pids_for(home)) == 1
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 0, output
    assert _java_pids_for(home) == []
