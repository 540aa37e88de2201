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

    def check() -> None:
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
            response = client.get(
                "/v1/usage/breakdown", params={"by": by, "start": start, "end": end}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["by"] == by
            assert got(body) == expected(frame, by.removeprefix("tag:")), by
            assert Decimal(body["total_cost_usd"]) == sum(frame["cost"], Decimal(0))
            shares = [Decimal(r["share_percent"]) for r in body["rows"]]
            assert abs(sum(shares) - 100) <= Decimal("0.01") * len(shares)

    check()
    refreshed = client.post("/v1/reports/rollups/refresh")
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["rolled"] == len(frame)
    check()


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
    with TestClient(app) as anonymous:
        assert anonymous.get("/v1/usage/breakdown", params={"by": "team"}).status_code == 401
        assert anonymous.get("/v1/export/focus.csv").status_code == 401


def _event(event_id: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "timestamp": at.isoformat(),
        "model": "gpt-4o",
        "input_tokens": 1000,
        "output_tokens": 100,
        **fields,
    }


def _post(client: TestClient, events: list[dict[str, Any]]) -> dict[str, Decimal]:
    costs: dict[str, Decimal] = {}
    for i in range(0, len(events), 500):
        response = client.post("/v1/usage", json={"events": events[i : i + 500]})
        assert response.status_code == 200, response.text
        costs.update(
            {r["event_id"]: Decimal(r["cost"]["total_usd"]) for r in response.json()["results"]}
        )
    return costs


def test_forecast_projects_the_month_and_budgets(client: TestClient, graph: neo4j.Driver) -> None:
    from fractions import Fraction

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    as_of = today - timedelta(days=1) + timedelta(hours=12)
    month_start = as_of.replace(day=1, hour=0)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    rng = random.Random(9)
    events = []
    for i in range(120):
        at = as_of - timedelta(seconds=rng.randrange(40 * 86400))
        events.append(
            _event(
                f"f{i}",
                at,
                project_id=rng.choice(["arpg", "index"]),
                team_id="games",
                input_tokens=rng.randrange(100, 5000),
            )
        )
    events.append(_event("late", as_of + timedelta(hours=1), project_id="arpg"))
    costs = _post(client, events)
    graph.execute_query(
        "MATCH (p:Project {id: 'arpg'}) CREATE (:Budget {id: 'arpg-m', amount_nanousd: "
        "$amount, period: 'month', timezone: 'UTC'})-[:ALLOCATED_TO]->(p)",
        amount=2 * 10**9,
    )
    body = client.get("/v1/reports/forecast", params={"as_of": as_of.isoformat()}).json()
    assert body["month_start"].startswith(month_start.date().isoformat())
    elapsed = Fraction(
        int((as_of - month_start).total_seconds()), int((month_end - month_start).total_seconds())
    )
    remaining_days = Fraction(int((month_end - as_of).total_seconds()), 86400)
    rows = {r["project_id"]: r for r in body["projects"]}
    for project in ("arpg", "index"):
        mine = [e for e in events if e["project_id"] == project and e["event_id"] != "late"]
        stamp = {e["event_id"]: datetime.fromisoformat(e["timestamp"]) for e in mine}
        spent = sum((costs[k] for k, t in stamp.items() if t >= month_start), Decimal(0))
        week = sum(
            (costs[k] for k, t in stamp.items() if t >= as_of - timedelta(days=7)), Decimal(0)
        )
        row = rows[project]
        assert (Decimal(row["spent_usd"]), Decimal(row["trailing_7d_usd"])) == (spent, week)
        linear = Fraction(spent) / elapsed
        assert abs(Fraction(Decimal(row["projected_linear_usd"])) - linear) <= Fraction(1, 10**9)
        trailing = Fraction(spent) + Fraction(week) / 7 * remaining_days
        assert abs(Fraction(Decimal(row["projected_trailing_usd"])) - trailing) <= Fraction(
            1, 10**9
        )
        if project == "arpg":
            [budget] = body["budgets"]
            assert budget["budget_id"] == "arpg-m" and Decimal(budget["spent_usd"]) == spent
            assert Decimal(budget["percent_used"]) == (spent / 2 * 100).quantize(Decimal("0.01"))
            assert budget["burning_too_fast"] == (
                spent / 2
                > Decimal("1.5") * Decimal(elapsed.numerator) / Decimal(elapsed.denominator)
            )


def test_anomalies_flag_days_above_twice_the_trailing_average(client: TestClient) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=20)
    events, n = [], 0
    for day in range(20):
        # one call a day; day 15 has three (flagged), day 12 two (200%: not above 200%)
        calls = {15: 3, 12: 2}.get(day, 1)
        for _ in range(calls):
            n += 1
            events.append(
                _event(
                    f"a{n}",
                    first + timedelta(days=day, hours=10),
                    project_id="steady",
                    agent_id="bot",
                )
            )
    _post(client, events)
    params = {
        "start": (first + timedelta(days=7)).date().isoformat(),
        "end": today.date().isoformat(),
    }
    body = client.get("/v1/reports/anomalies", params=params).json()
    spike = (first + timedelta(days=15)).date().isoformat()
    assert {(a["kind"], a["key"], a["day"]) for a in body["anomalies"]} == {
        ("project", "steady", spike),
        ("agent", "bot", spike),
    }
    # day 15: 3 calls against 8 in the 7 days before (day 12 had two): 3 / (8 / 7) = 262.5%
    assert {a["ratio_percent"] for a in body["anomalies"]} == {"262.50"}
    day16 = client.get("/v1/reports/anomalies", params={**params, "threshold_percent": 150})
    assert {a["day"] for a in day16.json()["anomalies"]} == {
        spike,
        (first + timedelta(days=12)).date().isoformat(),
    }


def test_recommendations_and_what_if_reprice_real_usage(client: TestClient) -> None:
    from dataclasses import replace

    from app.pricing.model import Catalog, Usage, load_default_catalog, price

    catalog = Catalog(load_default_catalog())
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=10)
    rng = random.Random(1)
    events: list[dict[str, Any]] = []

    def add(prefix: str, count: int, **fields: Any) -> None:
        for i in range(count):
            events.append(
                _event(f"{prefix}{i}", start + timedelta(hours=rng.randrange(200)), **fields)
            )

    add(
        "tiny",
        40,
        agent_id="tiny",
        model="claude-sonnet-4-5",
        input_tokens=400,
        output_tokens=200,
        project_id="arpg",
    )
    add(
        "night",
        30,
        agent_id="nightly",
        model="gpt-4o",
        input_tokens=3000,
        output_tokens=900,
        tags={"urgency": "low"},
        project_id="index",
    )
    add(
        "flaky",
        20,
        agent_id="flaky",
        model="gpt-4o-mini",
        input_tokens=3000,
        output_tokens=500,
        status="error",
        project_id="index",
    )
    add(
        "ok",
        20,
        agent_id="flaky",
        model="gpt-4o-mini",
        input_tokens=3000,
        output_tokens=500,
        project_id="index",
    )
    add(
        "reader",
        20,
        agent_id="reader",
        model="gemini-2.5-flash",
        input_tokens=20000,
        output_tokens=100,
        project_id="arpg",
    )
    costs = _post(client, events)
    params = {"start": start.isoformat(), "end": today.isoformat()}

    def usage(e: dict[str, Any]) -> Usage:
        return Usage(input_tokens=e["input_tokens"], output_tokens=e["output_tokens"])

    def at(e: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(e["timestamp"])

    def repriced(model: str, chosen: list[dict[str, Any]], batch: bool = False) -> Decimal:
        nanos = 0
        for e in chosen:
            card = catalog.card_at(model, at(e))
            assert card is not None
            nanos += price(card, replace(usage(e), batch=batch)).total_nanos
        return Decimal(nanos) / 10**9

    body = client.get("/v1/reports/recommendations", params=params).json()
    found = {(r["kind"], r["agent_id"]): r for r in body["recommendations"]}
    tiny = [e for e in events if e.get("agent_id") == "tiny"]
    cheaper = found[("cheaper_model", "tiny")]
    assert cheaper["alternative_model_id"] == "claude-haiku-4-5"
    assert Decimal(cheaper["saved_usd"]) == sum(
        (costs[e["event_id"]] for e in tiny), Decimal(0)
    ) - repriced("claude-haiku-4-5", tiny)
    night = [e for e in events if e.get("agent_id") == "nightly"]
    assert Decimal(found[("batch", "nightly")]["saved_usd"]) == sum(
        (costs[e["event_id"]] for e in night), Decimal(0)
    ) - repriced("gpt-4o", night, True)
    failed = sum((costs[e["event_id"]] for e in events if e.get("status") == "error"), Decimal(0))
    assert Decimal(found[("high_error_rate", "flaky")]["saved_usd"]) == failed
    # 400k uncached input on gemini-2.5-flash: half of it at $0.30 - $0.075 per million
    assert Decimal(found[("low_cache_use", "reader")]["saved_usd"]) == Decimal("0.045")
    savings = [Decimal(r["saved_usd"]) for r in body["recommendations"]]
    assert savings == sorted(savings, reverse=True) and sum(savings) == Decimal(body["saved_usd"])
    assert ("cheaper_model", "reader") not in found  # its calls average 20k tokens

    arpg = [e for e in events if e.get("project_id") == "arpg"]
    whatif = client.get(
        "/v1/reports/what-if", params={**params, "model": "gpt-4o-mini", "project_id": "arpg"}
    ).json()
    assert whatif["events"] == whatif["repriced_events"] == len(arpg)
    assert Decimal(whatif["actual_usd"]) == sum((costs[e["event_id"]] for e in arpg), Decimal(0))
    assert Decimal(whatif["what_if_usd"]) == repriced("gpt-4o-mini", arpg)
    version = catalog.versions("gpt-4o")[0].version  # the older, dearer gpt-4o price
    old = client.get(
        "/v1/reports/what-if", params={**params, "model": version, "agent_id": "nightly"}
    ).json()
    assert old["price_version"] == version
    card = catalog.versions("gpt-4o")[0]
    assert (
        Decimal(old["what_if_usd"])
        == Decimal(sum(price(card, usage(e)).total_nanos for e in night)) / 10**9
    )
    unknown = client.get("/v1/reports/what-if", params={"model": "gpt-9"})
    assert unknown.status_code == 422
    assert unknown.json()["type"].endswith("unknown-model")


def test_allocation_and_chargeback_split_shared_agents_exactly(client: TestClient) -> None:
    from fractions import Fraction

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    at = today - timedelta(days=3)
    seed = [  # the tree: arpg (games) with tasks A1, A2; index (search) with task I1; solo
        _event(
            "s1",
            at,
            run_id="ra1",
            task_id="A1",
            project_id="arpg",
            team_id="games",
            agent_id="coder",
        ),
        _event(
            "s2",
            at,
            run_id="ra2",
            task_id="A2",
            project_id="arpg",
            team_id="games",
            agent_id="builder",
        ),
        _event(
            "s3",
            at,
            run_id="ri1",
            task_id="I1",
            project_id="index",
            team_id="search",
            agent_id="builder",
        ),
        _event("s4", at, run_id="ra3", task_id="A1", agent_id="builder"),
        _event("s5", at, project_id="solo", agent_id="coder", input_tokens=7000),
    ]
    shared = [  # the builder's work under no project: one team-level, one platform-level
        _event("b1", at, team_id="games", agent_id="builder", input_tokens=90_000),
        _event("b2", at, agent_id="builder", input_tokens=33_333),
        _event("l1", at, agent_id="loner", input_tokens=1234),
    ]
    costs = _post(client, seed)
    costs.update(_post(client, shared))
    nanos = {k: int(v * 10**9) for k, v in costs.items()}
    pool = nanos["b1"] + nanos["b2"]
    direct = {
        "arpg": nanos["s1"] + nanos["s2"] + nanos["s4"],
        "index": nanos["s3"],
        "solo": nanos["s5"],
    }
    weights = {
        "even": {"arpg": 1, "index": 1},
        "proportional": {"arpg": direct["arpg"], "index": direct["index"]},
        "by_tasks": {"arpg": 2, "index": 1},  # builder worked on A1 and A2, and on I1
    }
    params = {"start": (at - timedelta(days=1)).isoformat(), "end": today.isoformat()}
    for method, w in weights.items():
        body = client.get("/v1/reports/allocation", params={**params, "method": method}).json()
        projects = {p["project_id"]: p for p in body["projects"]}
        allocated = {p: usd_nanos(projects[p]["allocated_usd"]) for p in ("arpg", "index")}
        assert sum(allocated.values()) == pool
        for p, weight in w.items():
            assert abs(allocated[p] - Fraction(pool * weight, sum(w.values()))) < 1, method
            assert usd_nanos(projects[p]["direct_usd"]) == direct[p]
        assert usd_nanos(projects["solo"]["allocated_usd"]) == 0
        assert projects["arpg"]["team_id"] == "games" and projects["solo"]["team_id"] is None
        assert usd_nanos(body["unallocated_usd"]) == nanos["l1"]
        charge = client.get("/v1/reports/chargeback", params={**params, "method": method}).json()
        teams = {t["team_id"]: t for t in charge["teams"]}
        assert usd_nanos(teams["games"]["total_usd"]) == direct["arpg"] + allocated["arpg"]
        assert usd_nanos(teams["search"]["total_usd"]) == direct["index"] + allocated["index"]
        assert usd_nanos(teams[None]["total_usd"]) == direct["solo"]
        everything = sum(usd_nanos(t["total_usd"]) for t in charge["teams"])
        assert everything + usd_nanos(charge["unallocated_usd"]) == sum(nanos.values())
        bill = client.get(
            "/v1/reports/invoice", params={**params, "method": method, "project_id": "arpg"}
        ).json()
        assert usd_nanos(bill["usage_usd"]) == direct["arpg"]
        assert usd_nanos(bill["shared_usd"]) == allocated["arpg"]
        assert usd_nanos(bill["total_usd"]) == direct["arpg"] + allocated["arpg"]
        assert sum(usd_nanos(line["amount_usd"]) for line in bill["lines"]) == usd_nanos(
            bill["total_usd"]
        )
        assert bill["team_id"] == "games" and bill["lines"][0]["events"] == 3
    text = client.get(
        "/v1/reports/invoice",
        params={**params, "project_id": "arpg", "format": "csv", "method": method},
    ).text
    *_, total = read_csv(text)
    assert total["description"] == "total" and total["amount_usd"] == bill["total_usd"]
    page = client.get(
        "/v1/reports/invoice",
        params={**params, "project_id": "arpg", "format": "html", "method": method},
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "Invoice: project arpg" in page.text and bill["total_usd"] in page.text


def usd_nanos(text: str) -> int:
    return int(Decimal(text) * 10**9)


def test_budget_vs_actual_down_the_tree(client: TestClient) -> None:
    """Spent per budget equals the events under its scope and its child budgets' scopes,
    summed here from the costs the ledger returned; children's spent sits beside it."""
    tree = [
        ("org", "platform", "default", None, "100"),
        ("games", "team", "games", "org", "50"),
        ("arpg", "project", "arpg", "games", "40"),
        ("puzzle", "project", "puzzle", "games", "40"),  # over-allocated: 80 under 50
        ("index", "project", "index", None, "10"),  # under org: the default follows the tree
    ]
    events = [
        {"event_id": f"{project}-{i}", "model": "gpt-4o", "input_tokens": 1000 * (i + 1),
         "output_tokens": 100 * i, "project_id": project, "team_id": team}
        for project, team in (("arpg", "games"), ("puzzle", "games"), ("index", "search"))
        for i in range(4)
    ]  # fmt: skip
    answer = client.post("/v1/usage", json={"events": events[:1] + events[4:5] + events[8:9]})
    answer.raise_for_status()  # the tree exists before the budgets are made
    for budget_id, kind, scope, parent, amount in tree:
        body = {"id": budget_id, "allocated_to": {"kind": kind, "id": scope},
                "parent_id": parent, "amount_usd": amount, "period": "month"}  # fmt: skip
        client.post("/v1/budgets", json=body).raise_for_status()
    rest = [e for i, e in enumerate(events) if i not in (0, 4, 8)]
    client.post("/v1/usage", json={"events": rest}).raise_for_status()
    cost = {
        r["event_id"]: Decimal(r["cost"]["total_usd"])
        for r in answer.json()["results"]
        + client.post("/v1/usage", json={"events": rest}).json()["results"]
    }
    by_project = {
        p: sum(v for k, v in cost.items() if k.startswith(p)) for p in ("arpg", "puzzle", "index")
    }
    expected = {
        "org": sum(by_project.values()),
        "games": by_project["arpg"] + by_project["puzzle"],
        "arpg": by_project["arpg"],
        "puzzle": by_project["puzzle"],
        "index": by_project["index"],
    }
    rows = client.get("/v1/reports/budgets").json()["budgets"]
    got = {r["budget_id"]: r for r in rows}
    assert [r["budget_id"] for r in rows] == ["org", "games", "index", "arpg", "puzzle"]
    for budget_id, _, _, parent, amount in tree:
        row = got[budget_id]
        assert Decimal(row["spent_usd"]) == expected[budget_id], budget_id
        assert Decimal(row["remaining_usd"]) == Decimal(amount) - expected[budget_id]
        assert row["parent_id"] == (parent or ("org" if budget_id == "index" else None))
    assert Decimal(got["org"]["children_spent_usd"]) == expected["games"] + expected["index"]
    assert Decimal(got["games"]["children_spent_usd"]) == expected["games"]
    assert (got["org"]["children"], got["games"]["children"], got["arpg"]["children"]) == (2, 2, 0)
    assert (got["org"]["depth"], got["games"]["depth"], got["arpg"]["depth"]) == (0, 1, 2)
    sub = client.get("/v1/reports/budgets", params={"root": "games"}).json()["budgets"]
    assert sorted(r["budget_id"] for r in sub) == ["arpg", "games", "puzzle"]
