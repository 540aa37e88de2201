"""The roll-ups of cypher/reports/ against an independent pandas computation over the
same random fleet, recorded through the ledger into the real Neo4j."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import neo4j
import pandas as pd
import pytest

from app.graph.queries import cypher
from app.pricing.model import Catalog, Usage, load_default_catalog
from app.pricing.store import seed_default_catalog
from app.reports import store
from app.reports.model import Dimension, grand_total, parse_dimension
from app.usage import ledger
from app.usage.model import UsageRecord

pytestmark = pytest.mark.neo4j

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
MODELS = (
    "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "gpt-4o-mini",
    "gemini-2.5-flash", "deepseek-chat",
)  # fmt: skip
DIMENSION_COLUMNS = {
    "platform": "platform", "team": "team", "project": "project", "task": "task", "run": "run",
    "agent": "agent", "agent_type": "agent_type", "model": "model", "provider": "provider",
}  # fmt: skip


@dataclass(frozen=True)
class Fleet:
    """A random organisation tree, agents and events, with each event's true scopes."""

    records: list[UsageRecord]
    scopes: dict[str, dict[str, str | None]]


def make_fleet(seed: int, events: int) -> Fleet:
    """A tree of teams, projects (one outside any team), tasks and runs. The first event of
    each run names its whole chain; later events name only one scope (or none), so that
    only a traversal of the tree can attribute them to the levels above."""
    rng = random.Random(seed)
    teams = ["games", "search", "infra"]
    project_team = {f"p{i}": (teams[i % 3] if i < 4 else None) for i in range(5)}
    task_project = {f"t{i}": f"p{i % 5}" for i in range(10)}
    run_task: dict[str, str | None] = {f"r{i}": f"t{i % 10}" for i in range(16)}
    run_task.update({"r16": None, "r17": None})
    run_project = {"r16": "p1", "r17": "p4"}
    agents = {
        "coder": "coding",
        "critic": "review",
        "planner": "planning",
        "coder-2": "coding",
        "anon": None,
    }
    records: list[UsageRecord] = []
    scopes: dict[str, dict[str, str | None]] = {}

    def chain(
        run: str | None, task: str | None, project: str | None, team: str | None
    ) -> dict[str, str | None]:
        if run is not None:
            task = run_task[run]
            project = run_project.get(run) if task is None else None
        if task is not None:
            project = task_project[task]
        if project is not None:
            team = project_team[project]
        return {"run": run, "task": task, "project": project, "team": team}

    def record(index: int, named: dict[str, str | None]) -> None:
        agent = rng.choice(list(agents))
        event_id = f"e{seed}-{index:05d}"
        model = rng.choice(MODELS)
        persona = rng.choice(["critic", "builder", None])
        records.append(
            UsageRecord(
                event_id=event_id,
                timestamp=START
                + timedelta(seconds=rng.randrange(int((END - START).total_seconds()))),
                model=model,
                usage=Usage(
                    input_tokens=rng.randrange(0, 5000),
                    output_tokens=rng.randrange(0, 2000),
                    cache_read_tokens=rng.choice([0, 0, rng.randrange(0, 20000)]),
                    cache_write_tokens=rng.choice([0, rng.randrange(0, 3000)]),
                    cache_ttl=rng.choice(["5m", "1h"]),
                    batch=rng.random() < 0.2,
                ),
                status="error" if rng.random() < 0.1 else "success",
                agent_id=None if agent == "anon" and rng.random() < 0.5 else agent,
                agent_type=agents[agent],
                run_id=named.get("run"),
                task_id=named.get("task"),
                project_id=named.get("project"),
                team_id=named.get("team"),
                tags=(("persona", persona),) if persona else (),
            )
        )
        scopes[event_id] = {
            **chain(named.get("run"), named.get("task"), named.get("project"), named.get("team")),
            "agent": records[-1].agent_id,
        }

    for index, run in enumerate(run_task):
        full = chain(run, None, None, None)
        record(index, full)
    for index in range(len(run_task), events):
        level = rng.choice(["run", "run", "task", "project", "team", "none"])
        pools = {
            "run": list(run_task),
            "task": list(task_project),
            "project": list(project_team),
            "team": teams,
        }
        named = {} if level == "none" else {level: rng.choice(pools[level])}
        record(index, named)
    return Fleet(records, scopes)


def load(driver: neo4j.Driver, fleet: Fleet, catalog: Catalog) -> pd.DataFrame:
    """Record the fleet (the full-chain events first) and return the oracle's frame."""
    seed_default_catalog(driver)
    now = datetime.now(UTC)
    costs: dict[str, int] = {}
    head, tail = fleet.records[:18], fleet.records[18:]
    for batch in (head, *(tail[i : i + 500] for i in range(0, len(tail), 500))):
        recorded = ledger.record(driver, batch, catalog, platform_id="default", now=now)
        costs.update({o.event_id: o.result.cost.total_nanos for o in recorded.outcomes})
    return frame(fleet, catalog, costs)


def frame(fleet: Fleet, catalog: Catalog, costs: dict[str, int]) -> pd.DataFrame:
    agent_types: dict[str, str | None] = {}
    for r in fleet.records:
        if r.agent_id is not None:
            agent_types.setdefault(r.agent_id, r.agent_type)
    rows: list[dict[str, Any]] = []
    for r in fleet.records:
        card = catalog.lookup(r.model, r.timestamp)
        assert card is not None
        scope = fleet.scopes[r.event_id]
        rows.append(
            {
                "event_id": r.event_id,
                "timestamp": r.timestamp,
                "platform": "default",
                **scope,
                "agent_type": agent_types.get(r.agent_id) if r.agent_id else None,
                "model": card.model_id,
                "provider": card.provider,
                "price_version": card.version,
                "persona": dict(r.tags).get("persona"),
                "status": r.status,
                "input_tokens": r.usage.input_tokens,
                "output_tokens": r.usage.output_tokens,
                "cache_read_tokens": r.usage.cache_read_tokens,
                "cache_write_tokens": r.usage.cache_write_tokens,
                "total_nanousd": costs[r.event_id],
            }
        )
    return pd.DataFrame(rows)


def expected(
    df: pd.DataFrame, column: str, bucket: str | None = None
) -> dict[Any, tuple[int, ...]]:
    keys = [column]
    if bucket is not None:
        stamps = df["timestamp"].map(lambda t: t.astimezone(UTC))
        if bucket == "day":
            df = df.assign(period=stamps.map(lambda t: t.date().isoformat()))
        elif bucket == "week":
            df = df.assign(
                period=stamps.map(lambda t: (t.date() - timedelta(days=t.weekday())).isoformat())
            )
        else:
            df = df.assign(period=stamps.map(lambda t: t.strftime("%Y-%m")))
        keys.append("period")
    grouped = df.groupby(keys, dropna=False).agg(
        total=("total_nanousd", "sum"),
        input=("input_tokens", "sum"),
        output=("output_tokens", "sum"),
        cache_read=("cache_read_tokens", "sum"),
        cache_write=("cache_write_tokens", "sum"),
        events=("event_id", "count"),
    )
    out: dict[Any, tuple[int, ...]] = {}
    for index, row in grouped.iterrows():
        parts = index if isinstance(index, tuple) else (index,)
        key = tuple(None if pd.isna(p) else p for p in parts)
        out[key if bucket else key[0]] = tuple(int(v) for v in row)
    return out


def none(value: Any) -> Any:
    return None if pd.isna(value) else value


def actual(rows: list[Any], bucket: str | None = None) -> dict[Any, tuple[int, ...]]:
    return {
        ((r.key, r.period) if bucket else r.key): (
            r.total_nanos,
            r.input_tokens,
            r.output_tokens,
            r.cache_read_tokens,
            r.cache_write_tokens,
            r.events,
        )
        for r in rows
    }


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(load_default_catalog())


@pytest.fixture(scope="module")
def fleet_frame(driver: neo4j.Driver, catalog: Catalog) -> pd.DataFrame:
    """One fleet for the module: the roll-ups only read it."""
    driver.execute_query(cypher("admin/wipe"))
    return load(driver, make_fleet(seed=7, events=600), catalog)


@pytest.mark.parametrize("by", sorted(DIMENSION_COLUMNS))
def test_every_rollup_matches_pandas(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame, by: str
) -> None:
    rows = store.rollup(driver, parse_dimension(by), start=START, end=END)
    assert actual(rows) == expected(fleet_frame, DIMENSION_COLUMNS[by])


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
@pytest.mark.parametrize("by", ["team", "project", "agent_type", "model"])
def test_rollups_per_period_match_pandas(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame, by: str, bucket: str
) -> None:
    rows = store.rollup(driver, parse_dimension(by), start=START, end=END, bucket=bucket)
    assert actual(rows, bucket) == expected(fleet_frame, DIMENSION_COLUMNS[by], bucket)


def test_tag_rollup_and_time_range(driver: neo4j.Driver, fleet_frame: pd.DataFrame) -> None:
    lo, hi = datetime(2026, 9, 10, tzinfo=UTC), datetime(2026, 10, 3, 12, tzinfo=UTC)
    rows = store.rollup(driver, Dimension("tag", "persona"), start=lo, end=hi)
    inside = fleet_frame[(fleet_frame["timestamp"] >= lo) & (fleet_frame["timestamp"] < hi)]
    assert actual(rows) == expected(inside, "persona")


def test_a_team_includes_everything_below_it(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame
) -> None:
    teams = {r.key: r for r in store.rollup(driver, Dimension("team"), start=START, end=END)}
    projects = store.rollup(driver, Dimension("project"), start=START, end=END)
    # p0 and p3 belong to games; events naming only a run or task of them count for games.
    under_games = [r for r in projects if r.key in {"p0", "p3"}]
    named_games = fleet_frame[fleet_frame["team"] == "games"]
    assert teams["games"].total_nanos == int(named_games["total_nanousd"].sum())
    assert teams["games"].total_nanos >= sum(r.total_nanos for r in under_games)
    everything = grand_total(teams.values())
    assert everything.total_nanos == int(fleet_frame["total_nanousd"].sum())
    assert everything.events == len(fleet_frame)


def test_per_period_totals_match_pandas(driver: neo4j.Driver, fleet_frame: pd.DataFrame) -> None:
    rows = store.per_period(driver, start=START, end=END, bucket="day")
    by_day = expected(fleet_frame.assign(all="x"), "all", "day")
    assert {r.key: (r.total_nanos, r.events) for r in rows} == {
        period: (v[0], v[5]) for (_, period), v in by_day.items()
    }


def test_export_pages_cover_every_event_once_in_order(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame
) -> None:
    exported = list(store.priced_usage(driver, start=START, end=END, page_size=97))
    assert [u.event_id for u in exported] == list(
        fleet_frame.sort_values(["timestamp", "event_id"])["event_id"]
    )
    truth = fleet_frame.set_index("event_id")
    for u in exported[::37]:
        row = truth.loc[u.event_id]
        assert u.total_nanos == row["total_nanousd"]
        assert (u.project_id, u.team_id, u.task_id) == tuple(
            none(row[k]) for k in ("project", "team", "task")
        )
        assert u.total_nanos == u.list_nanos - u.discount_nanos


def test_top_operations_are_the_dearest_events(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame
) -> None:
    rows = store.run(driver, "reports/top_operations", start=START, end=END, limit=10)
    dearest = fleet_frame.sort_values(["total_nanousd", "event_id"], ascending=[False, True])
    assert [r["event_id"] for r in rows] == list(dearest["event_id"][:10])
    truth = fleet_frame.set_index("event_id")
    for r in rows:
        assert r["project_id"] == none(truth.loc[r["event_id"], "project"])
        assert r["team_id"] == none(truth.loc[r["event_id"], "team"])


def test_cache_savings_reprice_cached_tokens_at_the_input_rate(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame, catalog: Catalog
) -> None:
    rows = {
        r["model_id"]: r for r in store.run(driver, "reports/cache_savings", start=START, end=END)
    }
    cards = {c.version: c for c in catalog.cards()}
    cached = fleet_frame[fleet_frame["cache_read_tokens"] > 0]
    for model, group in cached.groupby("model"):
        at_input = 0
        for version, tokens in group.groupby("price_version")["cache_read_tokens"].sum().items():
            exact = Decimal(int(tokens)) * cards[str(version)].input_per_mtok * 1000
            at_input += int(exact + Decimal("0.5"))  # half up, as the query rounds
        assert rows[str(model)]["cache_read_tokens"] == int(group["cache_read_tokens"].sum())
        assert rows[str(model)]["at_input_nanousd"] == at_input
        assert rows[str(model)]["saved_nanousd"] == (
            at_input - rows[str(model)]["cache_read_nanousd"]
        )
    assert set(rows) == set(cached["model"])


def test_provider_comparison_and_agent_type_share(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame
) -> None:
    providers = {
        r["provider"]: r
        for r in store.run(driver, "reports/provider_comparison", start=START, end=END)
    }
    for provider, group in fleet_frame.groupby("provider"):
        row = providers[str(provider)]
        tokens = int(
            group[["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]]
            .to_numpy()
            .sum()
        )
        total = int(group["total_nanousd"].sum())
        assert (row["events"], row["errors"], row["total_nanousd"], row["tokens"]) == (
            len(group),
            int((group["status"] == "error").sum()),
            total,
            tokens,
        )
        assert row["nanousd_per_mtok"] == total * 1_000_000 // tokens
        assert sorted(row["models"]) == sorted(group["model"].unique())
    shares = store.run(driver, "reports/agent_type_share", start=START, end=END)
    truth = fleet_frame.groupby("agent_type", dropna=False)["total_nanousd"].sum()
    assert {r["agent_type"]: r["total_nanousd"] for r in shares} == {
        (None if pd.isna(k) else k): int(v) for k, v in truth.items()
    }
    assert {r["all_nanousd"] for r in shares} == {int(fleet_frame["total_nanousd"].sum())}


def test_cost_per_successful_task(driver: neo4j.Driver, fleet_frame: pd.DataFrame) -> None:
    # r0 (task t0) failed and r10 (task t0) succeeded; r1 (task t1) failed only.
    for run_id, success in (("r0", False), ("r10", True), ("r1", False)):
        driver.execute_query(
            "MATCH (r:Run {id: $run}) MERGE (r)-[:HAS_OUTCOME]->(:Outcome "
            "{run_id: $run, success: $success})",
            run=run_id,
            success=success,
        )
    rows = {
        r["project_id"]: r
        for r in store.run(driver, "reports/cost_per_successful_task", start=START, end=END)
    }
    tasks = fleet_frame[fleet_frame["task"].notna()]
    for project, group in tasks.groupby("project", dropna=False):
        succeeded = 0
        for task, events in group.groupby("task"):
            if task == "t0":
                succeeded += 1
            elif task != "t1":
                succeeded += int((events["status"] != "error").all())
        row = rows[None if pd.isna(project) else project]
        total = int(group["total_nanousd"].sum())
        assert (row["tasks"], row["successful_tasks"], row["total_nanousd"]) == (
            group["task"].nunique(),
            succeeded,
            total,
        )
        assert row["nanousd_per_successful_task"] == (total // succeeded if succeeded else None)


def test_dataframes_for_notebooks(driver: neo4j.Driver, fleet_frame: pd.DataFrame) -> None:
    from app.reports import cost_by, daily, provider_comparison, query

    frame = cost_by("project", driver, start="2026-09-01", end=END)
    assert list(frame.columns[:4]) == ["key", "period", "total_nanousd", "total_usd"]
    truth = expected(fleet_frame, "project")
    assert {none(r.key): int(r.total_nanousd) for r in frame.itertuples()} == {
        k: v[0] for k, v in truth.items()
    }
    assert all(isinstance(v, Decimal) for v in frame["total_usd"])
    assert sum(frame["total_usd"], Decimal(0)) * 10**9 == int(frame["total_nanousd"].sum())
    days = daily(driver, start="2026-09-01", end="2026-11-01")
    assert len(days) == 61 and int(days["events"].sum()) == len(fleet_frame)
    monthly = cost_by("team", driver, bucket="month")
    assert set(monthly["period"]) == {"2026-09", "2026-10"}
    assert "usd_per_mtok" not in provider_comparison(driver, start=START, end=END)
    same = query("reports/cost_by_model", driver, start=START, end=END, bucket=None)
    assert int(same["total_nanousd"].sum()) == int(fleet_frame["total_nanousd"].sum())


def test_report_cli_prints_and_writes_csv(
    driver: neo4j.Driver,
    fleet_frame: pd.DataFrame,
    neo4j_server: tuple[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    import csv

    from typer.testing import CliRunner

    from app.reports.cli import cli
    from app.settings import get_settings

    uri, auth = neo4j_server
    monkeypatch.setenv("NEO4J_URI", uri)
    if auth:
        monkeypatch.setenv("NEO4J_USER", auth[0])
        monkeypatch.setenv("NEO4J_PASSWORD", auth[1])
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "projects.csv"
        args = ["by-project", "--start", "2026-09-01", "--end", "2026-11-01", "--csv", str(out)]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(out.open()))
        truth = expected(fleet_frame, "project")
        assert {r["key"] or None: Decimal(r["total_usd"]) for r in rows if r["key"] != "TOTAL"} == {
            k: Decimal(v[0]) / 10**9 for k, v in truth.items()
        }
        total = next(r for r in rows if r["key"] == "TOTAL")
        assert Decimal(total["total_usd"]) * 10**9 == int(fleet_frame["total_nanousd"].sum())
        summary = runner.invoke(cli, ["summary", "--period", "all"])
        assert summary.exit_code == 0, summary.output
        assert str(len(fleet_frame)) in summary.output
        daily = runner.invoke(
            cli, ["daily", "--start", "2026-10-01", "--end", "2026-10-08", "--csv", "-"]
        )
        assert daily.exit_code == 0 and daily.output.count("2026-10-0") == 7
        bad = runner.invoke(cli, ["breakdown", "colour"])
        assert bad.exit_code == 1
    finally:
        get_settings.cache_clear()


RANGES = [
    (START, END),
    (datetime(2026, 9, 10, 6, 30, tzinfo=UTC), datetime(2026, 10, 3, 12, tzinfo=UTC)),
    (datetime(2026, 9, 15, 1, tzinfo=UTC), datetime(2026, 9, 15, 20, tzinfo=UTC)),
    (datetime(2026, 9, 5, tzinfo=UTC), datetime(2026, 9, 20, tzinfo=UTC)),
]


def every_rollup(driver: neo4j.Driver) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for lo, hi in RANGES:
        for by in DIMENSION_COLUMNS:
            for bucket in (None, "day", "week", "month"):
                rows = store.rollup(driver, parse_dimension(by), start=lo, end=hi, bucket=bucket)
                out[(by, bucket, lo)] = actual(rows, bucket)
        out[("period", lo)] = store.per_period(driver, start=lo, end=hi, bucket="day")
    return out


def check_against(driver: neo4j.Driver, frame: pd.DataFrame) -> None:
    for lo, hi in RANGES:
        inside = frame[(frame["timestamp"] >= lo) & (frame["timestamp"] < hi)]
        for by, column in DIMENSION_COLUMNS.items():
            rows = store.rollup(driver, parse_dimension(by), start=lo, end=hi)
            assert actual(rows) == expected(inside, column), (by, lo)
        rows = store.rollup(driver, parse_dimension("project"), start=lo, end=hi, bucket="day")
        assert actual(rows, "day") == expected(inside, "project", "day"), lo


def test_daily_rollups_change_no_total(
    driver: neo4j.Driver, fleet_frame: pd.DataFrame, catalog: Catalog
) -> None:
    check_against(driver, fleet_frame)
    before = every_rollup(driver)
    now = datetime.now(UTC)
    assert store.refresh_rollups(driver, now=now, batch=97) == len(fleet_frame)
    counts, _, _ = driver.execute_query(
        "MATCH (d:AnchorDay) WITH count(d) AS days MATCH (u:TokenUsage:Rolled) "
        "RETURN days, count(u) AS rolled"
    )
    assert counts[0]["rolled"] == len(fleet_frame) and 0 < counts[0]["days"] < len(fleet_frame)
    assert every_rollup(driver) == before
    assert store.refresh_rollups(driver, now=now) == 0
    assert every_rollup(driver) == before
    # Late usage (old timestamps, recorded after the refresh) is read raw until the next one.
    late = load(driver, make_fleet(seed=8, events=150), catalog)
    both = pd.concat([fleet_frame, late], ignore_index=True)
    check_against(driver, both)
    assert store.refresh_rollups(driver, now=datetime.now(UTC) + timedelta(seconds=1)) == 150
    check_against(driver, both)


# Last: it empties the graph the module's fleet lives in.
def test_an_empty_range_gives_no_rows(graph: neo4j.Driver) -> None:
    seed_default_catalog(graph)
    assert store.rollup(graph, Dimension("team"), start=START, end=END) == []
    assert list(store.priced_usage(graph, start=START, end=END)) == []
