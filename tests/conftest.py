"""Every test that needs Neo4j talks Bolt to a real server, found in this order:
NEO4J_URI if set; else testcontainers' Neo4j if a Docker engine answers; else
the embedded Neo4j that the app itself runs, started here in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from app.graph.driver import apply_schema, make_driver
from app.graph.embedded import EmbeddedNeo4j
from app.graph.queries import cypher
from app.settings import Settings


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no usable engine"
        return False


Server = tuple[str, tuple[str, str] | None]


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    uri = os.environ.get("NEO4J_URI")
    if uri:
        password = os.environ.get("NEO4J_PASSWORD")
        yield uri, (os.environ.get("NEO4J_USER", "neo4j"), password) if password else None
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community") as container:
            yield container.get_connection_url(), ("neo4j", container.password)
        return
    settings = Settings()
    server = EmbeddedNeo4j(
        tmp_path_factory.mktemp("neo4j-data"),
        settings.cache_dir,
        settings.neo4j_version,
        heap="1g",
        pagecache="256m",
    )
    uri, _ = server.start()
    try:
        yield uri, None
    finally:
        server.stop()


@pytest.fixture(scope="session")
def driver(neo4j_server: Server) -> Iterator[neo4j.Driver]:
    uri, auth = neo4j_server
    with make_driver(uri, auth) as drv:
        drv.verify_connectivity()
        # Schema once per session: Neo4j refuses schema and data writes in one transaction.
        apply_schema(drv)
        yield drv


@pytest.fixture
def graph(driver: neo4j.Driver) -> neo4j.Driver:
    """The driver on an empty graph (schema kept)."""
    driver.execute_query(cypher("admin/wipe"))
    return driver


@pytest.fixture
def test_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        bootstrap_admin_key="test-admin-key",
        rollup_interval_s=0,
        compact_interval_s=0,
    )
