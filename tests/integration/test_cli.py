"""The command line against the real Neo4j (NEO4J_URI pointed at the suite's server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings

runner = CliRunner()


@pytest.fixture
def env(
    graph: neo4j.Driver, neo4j_server: tuple[str, object], monkeypatch: pytest.MonkeyPatch
) -> Iterator[neo4j.Driver]:
    monkeypatch.setenv("NEO4J_URI", neo4j_server[0])
    get_settings.cache_clear()
    yield graph
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_keys_create_prints_a_key_that_is_stored_hashed(env: neo4j.Driver) -> None:
    output = run("keys", "create", "--name", "ci", "--scope", "ingest")
    key = [line for line in output.splitlines() if line.startswith("cg_")][0]
    records, _, _ = env.execute_query("MATCH (k:ApiKey {name: 'ci'}) RETURN k.hash AS h")
    assert records and records[0]["h"] != key and len(records[0]["h"]) == 64


def test_bad_scope_is_one_readable_line(env: neo4j.Driver) -> None:
    result = runner.invoke(cli, ["keys", "create", "--name", "x", "--scope", "root"])
    assert result.exit_code == 1
    assert "unknown scope 'root'" in result.output


def test_import_usage_then_query_a_named_file(env: neo4j.Driver, tmp_path: Path) -> None:
    events = [
        {
            "event_id": f"e{i}",
            "timestamp": "2026-01-01T00:00:00Z",
            "model": "gpt-4o-mini",
            "input_tokens": 1000,
            "output_tokens": 100,
            "project_id": "p",
        }
        for i in range(5)
    ]
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events))
    assert "5 events recorded" in run("import", str(path))
    assert "0 events recorded, 5 already known" in run("import", str(path))
    out = tmp_path / "summary.csv"
    run(
        "query",
        "usage/summary",
        "--param",
        "start=2026-01-01T00:00:00Z",
        "--param",
        "end=2026-01-02T00:00:00Z",
        "--param",
        "project_id=p",
        "--param",
        "team_id=null",
        "--csv",
        str(out),
    )
    header, row = out.read_text().splitlines()[:2]
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert values["events"] == "5" and values["input_tokens"] == "5000"
    assert int(values["total_nanousd"]) == 5 * (1000 * 150 + 100 * 600)  # $0.15 / $0.60 per M


def test_limits_apply_from_yaml(env: neo4j.Driver, tmp_path: Path) -> None:
    path = tmp_path / "limits.yaml"
    path.write_text("global:\n  max_cost_per_month: 500.00\n  max_cost_per_day: 50\n")
    output = run("limits", "apply", str(path))
    assert "limits:platform:month" in output
    records, _, _ = env.execute_query(
        "MATCH (b:Budget {id: 'limits:platform:month'}) RETURN b.amount_nanousd AS n"
    )
    assert records[0]["n"] == 500_000_000_000


def test_pricing_import_from_a_litellm_file(env: neo4j.Driver, tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "my-model": {
                    "input_cost_per_token": 2e-06,
                    "output_cost_per_token": 8e-06,
                    "litellm_provider": "acme",
                    "mode": "chat",
                },
            }
        )
    )
    assert "1 price versions added" in run("pricing", "import", str(path))
    records, _, _ = env.execute_query(
        "MATCH (p:Price {model_id: 'my-model'}) RETURN p.input_nanos_per_mtok AS rate"
    )
    assert records[0]["rate"] == 2_000_000_000


def test_unknown_query_is_one_line(env: neo4j.Driver) -> None:
    result = runner.invoke(cli, ["query", "no/such"])
    assert result.exit_code == 1 and "no query 'no/such'" in result.output
