"""The embedded Neo4j's failures read as one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.graph.embedded import EmbeddedError, EmbeddedNeo4j
from app.settings import get_settings


def test_missing_java_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    server = EmbeddedNeo4j(tmp_path / "data", tmp_path / "cache", "5.26.31")
    with pytest.raises(EmbeddedError, match="Java 17 or 21 is not installed"):
        server.start()


def test_missing_maven_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither mvn nor anything else
    server = EmbeddedNeo4j(tmp_path / "data", tmp_path / "empty-cache", "5.26.31")
    with pytest.raises(EmbeddedError, match=r"Maven \(mvn\) is not installed"):
        server.ensure_jars()


def test_cli_prints_one_line_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    monkeypatch.setenv("COSTGRAPH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["neo4j", "start"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) <= 2 and lines[0].startswith("error: Java 17 or 21 is not installed")


def test_status_of_a_server_never_started(tmp_path: Path) -> None:
    status = EmbeddedNeo4j(tmp_path, tmp_path, "5.26.31").status()
    assert (status.running, status.pid, status.uri) == (False, None, None)
