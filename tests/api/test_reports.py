"""Breakdowns, reports and exports over HTTP, each checked against pandas over the same
random events posted through POST /v1/usage to the real Neo4j."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import neo4j
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.reports import exports
from app.reports.model import FOCUS_COLUMNS, USAGE_COLUMNS, period_window
from app.reports.routes import router
from app.settings import Settings

MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "gpt-4o-mini", "gemini-2.5-flash")
PROVIDERS = {
    "claude-sonnet-4-5": "anthropic",
    "claude-haiku-4-5": "anthropic",
    "gpt-4o": "openai",
    "gpt-4o-mini": "openai",
    "gemini-2.5-flash": "google",
}
FOCUS_REQUIRED = (
    "BilledCost", "EffectiveCost", "ListCost", "BillingCurrency", "ChargePeriodStart",
    "ChargePeriodEnd", "ChargeCategory", "ChargeDescription", "ServiceCategory",
    "ServiceSubcategory", "ServiceName", "ServiceProviderName", "SkuId", "SkuPriceId",
    "ListUnitPrice", "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit",
    "ResourceId", "ResourceName", "SubAccountId", "SubAccountName", "Tags",
)  # fmt: skip


@pytest.fixture
def client(graph: neo4j.Driver, test_settings: Settings) -> Iterator[TestClient]:
    """The app with the reports router (included here if the app does not include it yet)."""
    app = create_app(test_settings, driver=graph)
    if not any(getattr(r, "path", "") == "/v1/usage/breakdown" for r in app.routes):
        app.include_router(router)
    with TestClient(app, headers={"Authorization": "Bearer test-admin-key"}) as http:
        yield http


def fleet(seed: int, now: datetime, events: int) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Events over the last 45 days. Each run's first event names its whole chain; the rest
    name one scope only, so attribution above it needs the tree. Returns the events and the
    oracle's frame of their true scopes."""
    rng = random.Random(seed)
    project_team = {"arpg": "games", "puzzle": "games", "index": "search", "solo": None}
    task_project = {f"T{i}": list(project_team)[i % 4] for i in range(8)}
    run_task = {f"R{i}": f"T{i % 8}" for i in range(12)}
    agents = {"coder": "coding", "critic": "review", "planner": "planning"}
    out: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    runs = list(run_task)
    for index in range(events):
        if index < len(runs):
            named = {"run_id": runs[index], "task_id": run_task[runs[index]]}
            named["project_id"] = task_project[named["task_id"]]
            if project_team[named["project_id"]]:
                named["team_id"] = project_team[named["project_id"]]
        else:
            level = rng.choice(["run_id", "run_id", "task_id", "project_id", "none"])
            pool = {
                "run_id": runs,
                "task_id": list(task_project),
                "project_id": list(project_team),
            }.get(level, [])
            named = {level: rng.choice(pool)} if pool else {}
        run = named.get("run_id")
        task = named.get("task_id") or (run_task[run] if run else None)
        project = named.get("project_id") or (task_project[task] if task else None)
        agent = rng.choice(list(agents))
        model = rng.choice(MODELS)
        persona = rng.choice(["critic", "builder", None])
        event = {
            "event_id": f"ev-{seed}-{index}",
            "timestamp": (now - timedelta(seconds=rng.randrange(45 * 86400))).isoformat(),
            "model": model,
            "input_tokens": rng.randrange(0, 4000),
            "output_tokens": rng.randrange(0, 1500),
            "cache_read_tokens": rng.choice([0, rng.randrange(0, 9000)]),
            "cache_write_tokens": rng.choice([0, 0, rng.randrange(0, 2000)]),
            "batch": rng.random() < 0.2,
            "status": "error" if rng.random() < 0.1 else "success",
            "agent_id": agent,
            "agent_type": agents[agent],
            "tags": {"persona": persona} if persona else {},
            **named,
        }
        out.append(event)
        truth.append(
            {
                "event_id": event["event_id"],
                "timestamp": datetime.fromisoformat(event["timestamp"]),
                "run": run,
                "task": task,
                "project": project,
                "team": project_team[project] if project else None,
                "agent": agent,
                "agent_type": agents[agent],
                "model": model,
                "provider": PROVIDERS[model],
                "persona": persona,
                "platform": "default",
                **{
                    k: event[k]
                    for k in (
                        "input_tokens",
                        "output_tokens",
                        "cache_read_tokens",
                        "cache_write_tokens",
                    )
                },
            }
        )
    return out, pd.DataFrame(truth)


def post_fleet(client: TestClient, seed: int = 3, events: int = 400) -> pd.DataFrame:
    now = datetime.now(UTC) - timedelta(minutes=1)
    payload, frame = fleet(seed, now, events)
    costs: dict[str, Decimal] = {}
    for i in range(0, len(payload), 200):
        response = client.post("/v1/usage", json={"events": payload[i : i + 200]})
        assert response.status_code == 200, response.text
        costs.update(
            {r["event_id"]: Decimal(r["cost"]["total_usd"]) for r in response.json()["results"]}
        )
    return frame.assign(cost=frame["event_id"].map(costs))


def expected(frame: pd.DataFrame, column: str) -> dict[Any, tuple[Any, ...]]:
    out: dict[Any, tuple[Any, ...]] = {}
    for key, group in frame.groupby(column, dropna=False):
        out[None if pd.isna(key) else key] = (
            sum(group["cost"], Decimal(0)),
            int(group["input_tokens"].sum()),
            int(group["output_tokens"].sum()),
            int(group["cache_read_tokens"].sum()),
            int(group["events"].sum()) if "events" in group else len(group),
        )
    return out


def got(body: dict[str, Any]) -> dict[Any, tuple[Any, ...]]:
    return {
        r["key"]: (
            Decimal(r["total_cost_usd"]),
            r["input_tokens"],
            r["output_tokens"],
            r["cache_read_tokens"],
            r["events"],
        )
        for r in body["rows"]
    }


def window(frame: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    return frame[(frame["timestamp"] >= start) & (frame["timestamp"] < end)]


def test_every_breakdown_matches_pandas(client: TestClient) -> None:
    frame = post_fleet(client)
    start, end = "2020-01-01", "2030-01-01"
    for by in (
        "team",
        "project",
        "task",
        "run",
        "agent",
        "agent_type",
        "model",
        "provider",
        "platform",
        "tag:persona",
    ):
        response = client.get("/v1/usage/breakdown", params={"by": by, "start": start, "end": end})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["by"] == by
        assert got(body) == expected(frame, by.removeprefix("tag:")), by
        assert Decimal(body["total_cost_usd"]) == sum(frame["cost"], Decimal(0))
        shares = [Decimal(r["share_percent"]) for r in body["rows"]]
        assert abs(sum(shares) - 100) <= Decimal("0.01") * len(shares)


def test_period_breakdowns_and_daily_series(client: TestClient) -> None:
    frame = post_fleet(client, seed=11)
    now = datetime.now(UTC)
    month = period_window("month", now)
    for path, column in (("/v1/usage/by-agent", "agent"), ("/v1/usage/by-project", "project")):
        body = client.get(path, params={"period": "month"}).json()
        assert (body["period"], body["start"][:10]) == ("month", month.start.date().isoformat())
        assert got(body) == expected(window(frame, month.start, month.end), column)
        assert got(client.get(path, params={"period": "all"}).json()) == expected(frame, column)
    first = (now - timedelta(days=20)).date()
    last = (now - timedelta(days=2)).date()
    body = client.get(
        "/v1/usage/daily", params={"start": first.isoformat(), "end": last.isoformat()}
    ).json()
    days = [r["key"] for r in body["rows"]]
    assert days == [(first + timedelta(days=i)).isoformat() for i in range((last - first).days)]
    lo = datetime.combine(first, datetime.min.time(), UTC)
    hi = datetime.combine(last, datetime.min.time(), UTC)
    per_day = window(frame, lo, hi).assign(
        day=lambda f: f["timestamp"].map(lambda t: t.astimezone(UTC).date().isoformat())
    )
    truth = expected(per_day, "day")
    for key, values in got(body).items():
        assert values == truth.get(key, (Decimal(0), 0, 0, 0, 0)), key
    default = client.get("/v1/usage/daily").json()
    assert len(default["rows"]) == 30 and default["rows"][-1]["key"] == now.date().isoformat()


def test_week_buckets_of_a_breakdown(client: TestClient) -> None:
    frame = post_fleet(client, seed=5, events=200)
    body = client.get(
        "/v1/usage/breakdown",
        params={"by": "team", "bucket": "week", "start": "2020-01-01", "end": "2030-01-01"},
    ).json()
    weeks = frame.assign(
        week=frame["timestamp"].map(lambda t: (t.date() - timedelta(days=t.weekday())).isoformat())
    )
    truth: dict[Any, Decimal] = {}
    for (team, week), group in weeks.groupby(["team", "week"], dropna=False):
        truth[(None if pd.isna(team) else team, week)] = sum(group["cost"], Decimal(0))
    assert {(r["key"], r["period"]): Decimal(r["total_cost_usd"]) for r in body["rows"]} == truth


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_focus_billed_cost_sums_exactly_to_the_summary(client: TestClient) -> None:
    frame = post_fleet(client, seed=21)
    response = client.get("/v1/export/focus.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = read_csv(response.text)
    assert set(FOCUS_REQUIRED) <= set(rows[0])
    assert len(rows) == len(frame)
    billed = sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))
    summary = client.get("/v1/usage/summary", params={"period": "all"}).json()
    assert billed == Decimal(summary["total_cost_usd"]) == sum(frame["cost"], Decimal(0))
    for r in rows:
        assert Decimal(r["ListCost"]) - Decimal(r["x_DiscountCost"]) == Decimal(r["BilledCost"])
        assert Decimal(r["ListUnitPrice"]) * Decimal(r["PricingQuantity"]) == Decimal(r["ListCost"])
        assert (r["ServiceCategory"], r["ServiceSubcategory"], r["BillingCurrency"]) == (
            "AI and Machine Learning",
            "Generative AI",
            "USD",
        )
        assert r["ChargePeriodStart"] < r["ChargePeriodEnd"]
    truth = frame.set_index("event_id")
    for r in rows[::25]:
        event = truth.loc[r["x_EventId"]]
        assert r["SubAccountId"] == ("" if pd.isna(event["project"]) else event["project"])
        assert r["ResourceId"] == event["agent"] and r["SkuId"] == event["model"]
        assert int(r["ConsumedQuantity"]) == sum(
            int(event[k])
            for k in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
        )


def test_exports_of_a_range(client: TestClient) -> None:
    frame = post_fleet(client, seed=8, events=300)
    now = datetime.now(UTC)
    lo, hi = now - timedelta(days=20), now - timedelta(days=5)
    params = {"start": lo.isoformat(), "end": hi.isoformat()}
    focus = read_csv(client.get("/v1/export/focus.csv", params=params).text)
    platform = client.get("/v1/usage/breakdown", params={"by": "platform", **params}).json()
    inside = window(frame, lo, hi)
    assert (
        sum((Decimal(r["BilledCost"]) for r in focus), Decimal(0))
        == Decimal(platform["total_cost_usd"])
        == sum(inside["cost"], Decimal(0))
    )
    usage = read_csv(client.get("/v1/export/usage.csv", params=params).text)
    assert list(usage[0]) == list(USAGE_COLUMNS)
    assert [r["event_id"] for r in usage] == list(
        inside.sort_values(["timestamp", "event_id"])["event_id"]
    )
    costs = inside.set_index("event_id")["cost"]
    assert all(Decimal(r["total_usd"]) == costs[r["event_id"]] for r in usage)


def test_export_streams_in_pages_and_chunks(client: TestClient, graph: neo4j.Driver) -> None:
    post_fleet(client, seed=2, events=150)
    start, end = datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
    whole = "".join(exports.export_chunks("focus", graph, start=start, end=end))
    paged = "".join(exports.export_chunks("focus", graph, start=start, end=end, page_size=7))
    assert paged == whole and len(read_csv(whole)) == 150
    assert list(read_csv(whole)[0]) == list(FOCUS_COLUMNS)
    produced = 0

    def endless() -> Iterator[dict[str, str]]:
        nonlocal produced
        while True:
            produced += 1
            yield {"a": "x" * 100}

    chunks = exports.csv_chunks(["a"], endless())
    first = next(chunks)
    # Lazy: the first chunk leaves after about CHUNK_CHARS of rows, not after all of them.
    assert len(first) >= exports.CHUNK_CHARS and produced < 2 * exports.CHUNK_CHARS // 100


def test_report_endpoints(client: TestClient) -> None:
    frame = post_fleet(client, seed=4, events=200)
    params = {"start": "2020-01-01", "end": "2030-01-01"}
    top = client.get("/v1/reports/top-operations", params={**params, "limit": 5}).json()
    dearest = frame.sort_values(["cost", "event_id"], ascending=[False, True])
    assert [o["event_id"] for o in top["operations"]] == list(dearest["event_id"][:5])
    providers = client.get("/v1/reports/providers", params=params).json()["providers"]
    assert {p["provider"]: Decimal(p["total_cost_usd"]) for p in providers} == {
        k: sum(g["cost"], Decimal(0)) for k, g in frame.groupby("provider")
    }
    savings = client.get("/v1/reports/cache-savings", params=params).json()
    assert Decimal(savings["saved_usd"]) > 0
    assert {m["model_id"] for m in savings["models"]} == set(
        frame[frame["cache_read_tokens"] > 0]["model"]
    )
    tasks = client.get("/v1/reports/cost-per-successful-task", params=params).json()
    assert {p["project_id"] for p in tasks["projects"]} == set(frame["project"].dropna())


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/usage/breakdown", {"by": "colour"}),
        ("/v1/usage/breakdown", {"by": "tag:"}),
        ("/v1/usage/breakdown", {"by": "team", "start": "2026-02-01", "end": "2026-01-01"}),
        ("/v1/usage/breakdown", {"by": "team", "start": "yesterday"}),
        ("/v1/usage/breakdown", {"by": "team", "start": "2026-01-01T00:00:00"}),
        ("/v1/usage/daily", {"start": "2000-01-01", "end": "2026-01-01"}),
        ("/v1/usage/by-agent", {"period": "year"}),
    ],
)
def test_bad_arguments_are_problems(client: TestClient, path: str, params: dict[str, str]) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_reports_need_a_key(graph: neo4j.Driver, test_settings: Settings) -> None:
    app = create_app(test_settings, driver=graph)
    if not any(getattr(r, "path", "") == "/v1/usage/breakdown" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as anonymous:
        assert anonymous.get("/v1/usage/breakdown", params={"by": "team"}).status_code == 401
        assert anonymous.get("/v1/export/focus.csv").status_code == 401
