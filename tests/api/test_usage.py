"""POST /v1/usage and its reads, over HTTP against the real graph."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import neo4j
from fastapi.testclient import TestClient

EVENT: dict[str, Any] = {
    "event_id": "run-42-call-7",
    "timestamp": "2026-11-23T10:00:00Z",
    "provider": "anthropic",
    "model": "claude-sonnet-4-5",
    "input_tokens": 1200,
    "output_tokens": 350,
    "cache_read_tokens": 8000,
    "cache_write_tokens": 0,
    "cache_ttl": "5m",
    "batch": False,
    "status": "success",
    "agent_id": "coder-v3",
    "agent_type": "coding",
    "run_id": "run-42",
    "task_id": "TCK-7",
    "project_id": "my-arpg",
    "team_id": "games",
    "tags": {"persona": "critic"},
}


def event(**changes: Any) -> dict[str, Any]:
    return {**EVENT, **changes}


def count(graph: neo4j.Driver, label: str) -> int:
    records, _, _ = graph.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n")
    return int(records[0]["n"])


def test_one_event_is_priced_to_the_nano_dollar(client: TestClient) -> None:
    response = client.post("/v1/usage", json=EVENT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    result = body["results"][0]
    assert result["event_id"] == "run-42-call-7" and result["duplicate"] is False
    assert result["price_version"].startswith("claude-sonnet-4-5@")
    # 1200 x $3/M + 350 x $15/M + 8000 x $0.30/M
    assert result["cost"] == {
        "input_usd": "0.003600000",
        "output_usd": "0.005250000",
        "cache_read_usd": "0.002400000",
        "cache_write_usd": "0.000000000",
        "discount_usd": "0.000000000",
        "total_usd": "0.011250000",
    }


def test_graph_shape(client: TestClient, graph: neo4j.Driver) -> None:
    client.post("/v1/usage", json=EVENT).raise_for_status()
    records, _, _ = graph.execute_query(
        """
        MATCH (a:Agent {id: 'coder-v3'})-[:CONSUMED]->(u:TokenUsage {event_id: 'run-42-call-7'})
              -[:INCURRED]->(c:CostEntry)
        MATCH (u)-[:PRICED_BY]->(p:Price)-[:PRICES]->(m:Model {id: 'claude-sonnet-4-5'})
              -[:OFFERED_BY]->(:Provider {id: 'anthropic'})
        MATCH (u)-[:IN_RUN]->(:Run {id: 'run-42'})-[:FOR_TASK]->(:Task {id: 'TCK-7'})
              -[:PART_OF]->(:Project {id: 'my-arpg'})-[:PART_OF]->(:Team {id: 'games'})
              -[:PART_OF]->(:Platform)
        RETURN c.total_nanousd AS total, u.`tag.persona` AS persona, a.type AS type
        """
    )
    assert [dict(r) for r in records] == [
        {"total": 11_250_000, "persona": "critic", "type": "coding"}
    ]


def test_repeats_in_a_batch_and_later_are_counted_once(
    client: TestClient, graph: neo4j.Driver
) -> None:
    first = client.post("/v1/usage", json={"events": [EVENT, event(input_tokens=5), EVENT]})
    body = first.json()
    assert (body["accepted"], body["duplicates"]) == (1, 2)
    assert [r["duplicate"] for r in body["results"]] == [False, True, True]
    # A repeat returns the first result, even when its body differs.
    assert body["results"][1]["cost"] == body["results"][0]["cost"]
    again = client.post("/v1/usage", json=event(output_tokens=99_999)).json()
    assert again["results"][0]["duplicate"] is True
    assert again["results"][0]["cost"] == body["results"][0]["cost"]
    assert count(graph, "TokenUsage") == 1 and count(graph, "CostEntry") == 1


def test_concurrent_batches_of_the_same_events_record_each_once(
    client: TestClient, graph: neo4j.Driver
) -> None:
    events = [event(event_id=f"e{i}", run_id=f"r{i % 3}") for i in range(20)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda _: client.post("/v1/usage", json={"events": events}), range(6))
        )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert sum(a.json()["accepted"] for a in answers) == 20
    assert count(graph, "TokenUsage") == 20


def test_a_bad_event_rejects_the_batch_and_keeps_what_was_accepted(
    client: TestClient, graph: neo4j.Driver
) -> None:
    client.post("/v1/usage", json=event(event_id="kept")).raise_for_status()
    bad = client.post(
        "/v1/usage",
        json={"events": [event(event_id="a"), event(event_id="b", input_tokens=-1)]},
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    problem = bad.json()
    assert problem["errors"][0]["field"] == "events.1.input_tokens"
    assert count(graph, "TokenUsage") == 1


def test_unknown_model_names_the_index_and_close_ids(client: TestClient) -> None:
    bad = client.post(
        "/v1/usage", json={"events": [EVENT, event(event_id="x", model="claude-sonet-4-5")]}
    )
    assert bad.status_code == 422
    problem = bad.json()
    assert problem["type"].endswith("/unknown-model")
    assert problem["errors"][0]["index"] == 1
    assert "claude-sonnet-4-5" in problem["errors"][0]["suggestions"]


def test_input_errors_are_problems(client: TestClient) -> None:
    cases = [
        event(input_tokens=1.5),
        event(input_tokens="12"),
        event(timestamp="2026-11-23T10:00:00"),
        event(timestamp="2999-01-01T00:00:00Z"),
        event(event_id="x" * 300),
        event(surprise=1),
        {"events": []},
    ]
    for case in cases:
        response = client.post("/v1/usage", json=case)
        assert response.status_code == 422, (case, response.text)
        assert response.json()["status"] == 422


def test_a_body_that_is_not_json_is_a_problem(client: TestClient) -> None:
    for body in (b"", b'{"events": [', b"not json"):
        response = client.post(
            "/v1/usage", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert problem["errors"][0]["type"] == "json_invalid"
        assert problem["detail"].startswith("body: Invalid JSON")


def test_the_openapi_document_shows_both_body_shapes(client: TestClient) -> None:
    post = client.get("/openapi.json").json()["paths"]["/v1/usage"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    # Every definition is written in place: the document has no $defs to point into.
    assert "$ref" not in str(schema)
    shapes = {frozenset(shape["properties"]) for shape in schema["oneOf"]}
    assert frozenset({"events"}) in shapes
    assert any({"event_id", "model", "input_tokens"} <= shape for shape in shapes)
    batch = next(s for s in schema["oneOf"] if "events" in s["properties"])
    assert batch["properties"]["events"]["items"]["properties"]["cache_ttl"]["enum"] == ["5m", "1h"]


def test_aliases_and_dated_ids_price_as_the_model(client: TestClient) -> None:
    a = client.post("/v1/usage", json=event(event_id="a", model="claude-sonnet-4-5-20250929"))
    b = client.post("/v1/usage", json=event(event_id="b", model="anthropic/claude-sonnet-4-5"))
    assert a.json()["results"][0]["cost"] == b.json()["results"][0]["cost"]


def test_error_calls_are_recorded_and_priced(client: TestClient) -> None:
    body = client.post("/v1/usage", json=event(status="error")).json()
    assert Decimal(body["results"][0]["cost"]["total_usd"]) > 0


def test_summary_rolls_up_by_team_project_and_agent(client: TestClient) -> None:
    events = [
        event(event_id="1", timestamp="2026-01-05T00:00:00Z"),
        event(
            event_id="2",
            timestamp="2026-01-05T00:00:00Z",
            project_id="other",
            task_id="T2",
            run_id="run-2",
            agent_id="writer",
        ),
        event(
            event_id="3",
            timestamp="2026-01-05T00:00:00Z",
            team_id="ops",
            project_id="infra",
            task_id="T3",
            run_id="run-3",
        ),
    ]
    results = client.post("/v1/usage", json={"events": events}).json()["results"]
    each = Decimal(results[0]["cost"]["total_usd"])
    everything = client.get("/v1/usage/summary", params={"period": "all"}).json()
    assert Decimal(everything["total_cost_usd"]) == 3 * each
    assert everything["events"] == 3 and everything["runs"] == 3
    assert everything["input_tokens"] == 3 * 1200
    games = client.get("/v1/usage/summary", params={"period": "all", "team_id": "games"}).json()
    assert games["events"] == 2
    arpg = client.get("/v1/usage/summary", params={"period": "all", "project_id": "my-arpg"}).json()
    assert arpg["events"] == 1
    writer = client.get("/v1/usage/summary", params={"period": "all", "agent_id": "writer"}).json()
    assert writer["events"] == 1
    month = client.get("/v1/usage/summary", params={"period": "month"}).json()
    assert month["events"] == 0  # January is not this month


def test_list_pages_with_a_cursor(client: TestClient) -> None:
    events = [event(event_id=f"e{i:02d}", timestamp=f"2026-01-01T00:00:{i:02d}Z") for i in range(7)]
    client.post("/v1/usage", json={"events": events}).raise_for_status()
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, "project_id": "my-arpg"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/usage", params=params).json()
        seen += [item["event_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"e{i:02d}" for i in reversed(range(7))]


def test_keys_are_required(client: TestClient) -> None:
    anonymous = client.post("/v1/usage", json=EVENT, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    wrong = client.get("/v1/usage/summary", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
