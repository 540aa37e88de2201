"""The seed-style limits configuration over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

LIMITS = {
    "global": {
        "max_cost_per_day": "50.00",
        "max_cost_per_month": "500.00",
        "max_concurrent_agents": 5,
    },
    "per_project": {
        "default": {"max_cost_per_day": "20.00"},
        "my-arpg": {"max_cost_per_day": "1.00"},
    },
    "per_agent": {"default": {"max_tokens_per_run": 100000, "max_cost_per_run": "5.00"}},
}


def test_put_get_and_enforce_limits(client: TestClient) -> None:
    applied = client.put("/v1/limits", json=LIMITS)
    assert applied.status_code == 200, applied.text
    assert "limits:project:my-arpg:day" in applied.json()["budgets"]
    read = client.get("/v1/limits").json()
    assert read["per_project"]["my-arpg"]["max_cost_per_day"] == "1.000000000"
    project_day = client.get("/v1/budgets/limits:project:my-arpg:day").json()
    assert project_day["parent_id"] == "limits:platform:day"
    denied = client.post("/v1/reservations", json={"amount_usd": "2.00", "project_id": "my-arpg"})
    assert denied.status_code == 402
    assert denied.json()["budget_id"] == "limits:project:my-arpg:day"
    statuses = {s["budget_id"]: s for s in client.get("/v1/limits/status").json()}
    assert statuses["limits:platform:month"]["remaining_usd"] == "500.000000000"


def test_reapplying_removes_limits_that_are_gone(client: TestClient) -> None:
    client.put("/v1/limits", json=LIMITS).raise_for_status()
    smaller = {"global": {"max_cost_per_month": "100"}}
    answer = client.put("/v1/limits", json=smaller).json()
    assert answer["budgets"] == ["limits:platform:month"]
    ids = [b["id"] for b in client.get("/v1/budgets").json()]
    assert ids == ["limits:platform:month"]
    month = client.get("/v1/budgets/limits:platform:month").json()
    assert month["amount_usd"] == "100.000000000"


def test_bad_limits_name_the_key(client: TestClient) -> None:
    bad = client.put("/v1/limits", json={"global": {"max_cost_per_day": "lots"}})
    assert bad.status_code == 422
    assert "global.max_cost_per_day" in bad.json()["detail"]
