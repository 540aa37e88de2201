from __future__ import annotations

import neo4j
from fastapi.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_with_schema(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/not-found")


def test_readyz_is_503_problem_without_schema(client: TestClient, graph: neo4j.Driver) -> None:
    graph.execute_query("DROP CONSTRAINT usage_event_id IF EXISTS")
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["type"].endswith("/unavailable")
    finally:
        graph.execute_query(
            "CREATE CONSTRAINT usage_event_id IF NOT EXISTS "
            "FOR (n:TokenUsage) REQUIRE n.event_id IS UNIQUE"
        )
    assert client.get("/readyz").status_code == 200


def test_metrics_count_requests(client: TestClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'costgraph_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
