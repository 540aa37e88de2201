"""The versioned price catalog over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

CARD: dict[str, Any] = {
    "provider": "anthropic",
    "effective_from": "2026-06-01T00:00:00Z",
    "input_per_mtok": "2.00",
    "output_per_mtok": "10.00",
    "cache_read_per_mtok": "0.20",
    "cache_write_5m_per_mtok": "2.50",
    "cache_write_1h_per_mtok": "4.00",
    "batch_discount": "0.5",
}


def usage(event_id: str, timestamp: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "timestamp": timestamp,
        "model": "claude-sonnet-4-5",
        "input_tokens": 100_000,
    }


def test_list_and_read_models(client: TestClient) -> None:
    models = client.get("/v1/pricing/models").json()["models"]
    ids = {m["id"] for m in models}
    assert {"claude-sonnet-4-5", "gpt-4o-mini", "gemini-2.5-pro", "voyage-3"} <= ids
    sonnet = client.get("/v1/pricing/models/claude-sonnet-4-5-20250929").json()
    assert sonnet["id"] == "claude-sonnet-4-5"
    assert sonnet["versions"][0]["input_per_mtok"] == "3.00"
    assert client.get("/v1/pricing/models/claude-sonet").status_code == 404


def test_a_new_version_prices_usage_from_its_effective_time(client: TestClient) -> None:
    added = client.put("/v1/pricing/models/claude-sonnet-4-5", json=CARD)
    assert added.status_code == 200, added.text
    assert [v["input_per_mtok"] for v in added.json()["versions"]] == ["3.00", "2.00"]
    before = client.post("/v1/usage", json=usage("a", "2026-05-31T23:59:59Z")).json()
    at = client.post("/v1/usage", json=usage("b", "2026-06-01T00:00:00Z")).json()
    assert before["results"][0]["cost"]["input_usd"] == "0.300000000"
    assert at["results"][0]["cost"]["input_usd"] == "0.200000000"
    # Prices are never edited: the same version with other rates is refused.
    clash = client.put(
        "/v1/pricing/models/claude-sonnet-4-5", json={**CARD, "input_per_mtok": "9.00"}
    )
    assert clash.status_code == 409
    same = client.put("/v1/pricing/models/claude-sonnet-4-5", json=CARD)
    assert same.status_code == 200


def test_bad_cards_are_problems(client: TestClient) -> None:
    for body in (
        {**CARD, "input_per_mtok": -1},
        {**CARD, "input_per_mtok": 3.0},
        {k: v for k, v in CARD.items() if k != "effective_from"},
        {**CARD, "effective_from": "2026-06-01T00:00:00"},
    ):
        response = client.put("/v1/pricing/models/claude-sonnet-4-5", json=body)
        assert response.status_code == 422, (body, response.text)


def test_litellm_import_prices_like_litellm(client: TestClient) -> None:
    price_map = {
        "acme/rocket-1": {
            "input_cost_per_token": 1.5e-06,
            "output_cost_per_token": 6e-06,
            "cache_read_input_token_cost": 1.5e-07,
            "litellm_provider": "acme",
            "mode": "chat",
        },
        "sample_spec": {"input_cost_per_token": 0},
        "dall-e": {
            "output_cost_per_image": 0.04,
            "litellm_provider": "openai",
            "mode": "image_generation",
        },
    }
    answer = client.post(
        "/v1/pricing/import", json=price_map, params={"effective_from": "2026-01-01T00:00:00Z"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["created"] == 1 and len(body["skipped"]) == 2
    priced = client.post(
        "/v1/usage",
        json={
            "event_id": "r",
            "timestamp": "2026-02-01T00:00:00Z",
            "model": "acme/rocket-1",
            "input_tokens": 333,
            "output_tokens": 77,
            "cache_read_tokens": 1000,
        },
    ).json()
    # LiteLLM: 333 x 1.5e-06 + 77 x 6e-06 + 1000 x 1.5e-07 = 0.0011115 USD
    assert priced["results"][0]["cost"]["total_usd"] == "0.001111500"


def test_too_big_a_batch_is_refused(client: TestClient) -> None:
    events = [{"event_id": f"e{i}", "model": "gpt-4o-mini"} for i in range(10_001)]
    response = client.post("/v1/usage", json={"events": events})
    assert response.status_code == 422
    assert "10000" in response.text
