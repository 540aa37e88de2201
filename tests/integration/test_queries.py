"""Every statement the app runs is a named file under cypher/ that the real server accepts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import neo4j
import pytest

from app.graph.driver import expected_constraints, schema_ready
from app.graph.queries import CYPHER_DIR, load_queries, schema_statements

ROOT = Path(__file__).resolve().parents[2]
CYPHER_START = re.compile(
    r"^\s*(MATCH|OPTIONAL MATCH|MERGE|CREATE|UNWIND|RETURN|WITH|CALL|SHOW|DROP|DETACH)\b",
    re.IGNORECASE,
)
CYPHER_BODY = re.compile(r"\b(MATCH|MERGE|RETURN|UNWIND|DETACH DELETE|SET)\b.*\(", re.IGNORECASE)


def test_every_query_file_is_named_after_itself() -> None:
    queries = load_queries()
    assert queries, "cypher/ holds no queries"
    for key, query in queries.items():
        assert key.endswith(query.name)
        assert query.purpose, f"{key} has no purpose: line"


@pytest.mark.neo4j
@pytest.mark.parametrize("key", sorted(load_queries()))
def test_query_explains_on_the_real_server(driver: neo4j.Driver, key: str) -> None:
    text = load_queries()[key].text
    if text.lstrip().upper().startswith("SHOW"):
        driver.execute_query(text)
        return
    # EXPLAIN plans without running; unknown parameters are fine (planned as nulls).
    driver.execute_query("EXPLAIN " + text)


@pytest.mark.neo4j
def test_schema_applies_twice_and_readiness_sees_it(driver: neo4j.Driver) -> None:
    for statement in schema_statements():
        driver.execute_query(statement)
    assert expected_constraints(), "schema.cypher names no constraints"
    assert schema_ready(driver)


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_python_module_holds_inline_cypher() -> None:
    offenders = []
    for folder in ("app", "evolution"):
        for path in (ROOT / folder).rglob("*.py"):
            for text in _string_constants(path):
                if CYPHER_START.match(text) and CYPHER_BODY.search(text):
                    offenders.append(f"{path.relative_to(ROOT)}: {text[:60]!r}")
    assert offenders == []


def test_loader_is_anchored_to_the_package_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert CYPHER_DIR == ROOT / "cypher"
    assert "admin/wipe" in load_queries()
