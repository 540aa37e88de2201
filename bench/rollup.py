"""Roll-up latency at 10k events and at N events, side by side in one run.

Starts its own embedded Neo4j in a temporary folder (2 GB heap, 1 GB page
cache), loads synthetic priced events through the app's own write path
(`app.usage.store.write_events`: the `usage/merge_scopes` and `usage/ingest`
statements, 10k events per transaction), and times, after 10k events and
again after N:

- the month-by-project roll-up (`reports/cost_by_project` over the month that
  holds every event, so the whole data set is rolled up the tree), and the same
  per day (`bucket='day'`);
- the summary query behind `GET /v1/usage/summary?period=month`
  (`usage/summary`, platform scope).

Each is measured twice: "raw", with the events not yet rolled up so that reports
read them one by one, and "rolled", after `refresh_rollups` has added them to
the per-day roll-ups (AnchorDay, AgentDay, ModelDay) that the report queries
read for whole days. Each figure is the median of --repeat runs after one
warm-up run. The fleet is 5 teams, 50 projects, 2,000 tasks and a run per 50
calls (20,000 runs at 1M events), each run one agent's work within an hour.

    .venv/bin/python bench/rollup.py                    # 10k vs 100k, a few minutes
    .venv/bin/python bench/rollup.py --events 1000000   # 10k vs 1M
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import neo4j

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.budgets.model import window_for  # noqa: E402
from app.graph.driver import apply_schema  # noqa: E402
from app.graph.embedded import EmbeddedNeo4j  # noqa: E402
from app.graph.queries import cypher  # noqa: E402
from app.pricing.model import Catalog, Usage, load_default_catalog  # noqa: E402
from app.pricing.store import seed_default_catalog  # noqa: E402
from app.reports.store import refresh_rollups  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.usage.model import UsageRecord, price_events  # noqa: E402
from app.usage.store import write_events  # noqa: E402

BATCH = 10_000
SMALL = 10_000
MODELS = (
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "gpt-4o",
    "gpt-4o-mini",
    "gemini-2.5-flash",
    "deepseek-chat",
)


class Fleet:
    """A fixed organisation tree (teams > projects > tasks > runs) and the calls of its runs.

    Like a real fleet, a run is one agent's piece of work: its 50 calls follow one another
    within the hour of the run's start, mostly on the agent's usual model."""

    CALLS_PER_RUN = 50

    def __init__(self, seed: int, now: datetime) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = now
        self.month = window_for("month", "UTC", now)
        self.teams = [f"team-{i}" for i in range(5)]
        self.projects = [f"project-{i}" for i in range(50)]
        self.tasks = [f"task-{i}" for i in range(2000)]
        self.agents = [
            (f"agent-{i}", ("coding", "review", "planning", "search")[i % 4], MODELS[i % 6])
            for i in range(50)
        ]

    def records(self, first: int, count: int) -> list[UsageRecord]:
        rng = self.rng
        span = max(int((self.now - self.month.start).total_seconds()) - 3600, 1)
        out = []
        for n in range(first, first + count):
            run, call = divmod(n, self.CALLS_PER_RUN)
            plan = random.Random(self.seed * 1_000_003 + run)
            started = self.month.start + timedelta(seconds=plan.randrange(span))
            agent, kind, usual = self.agents[plan.randrange(len(self.agents))]
            task = run % len(self.tasks)
            project = task % len(self.projects)
            out.append(
                UsageRecord(
                    event_id=f"bench-{n}",
                    timestamp=started + timedelta(seconds=call * 60 + rng.randrange(60)),
                    model=usual if rng.random() < 0.9 else MODELS[rng.randrange(len(MODELS))],
                    usage=Usage(
                        input_tokens=rng.randrange(50, 8000),
                        output_tokens=rng.randrange(10, 2000),
                        cache_read_tokens=rng.choice((0, rng.randrange(0, 30_000))),
                        batch=rng.random() < 0.1,
                    ),
                    status="error" if rng.random() < 0.05 else "success",
                    agent_id=agent,
                    agent_type=kind,
                    run_id=f"run-{run}",
                    task_id=self.tasks[task],
                    project_id=self.projects[project],
                    team_id=self.teams[project % len(self.teams)],
                )
            )
        return out


def load(driver: neo4j.Driver, fleet: Fleet, catalog: Catalog, first: int, count: int) -> float:
    """Price and write ``count`` events the way the ledger does; seconds taken."""
    began = time.perf_counter()
    for offset in range(first, first + count, BATCH):
        size = min(BATCH, first + count - offset)
        priced = price_events(fleet.records(offset, size), catalog, fleet.now)
        with driver.session() as session:
            session.execute_write(write_events, priced, platform_id="default")
        done = offset + size
        if done % 100_000 == 0 or done == first + count:
            rate = (done - first) / (time.perf_counter() - began)
            print(f"  loaded {done:>9,} events ({rate:,.0f}/s)", flush=True)
    return time.perf_counter() - began


def timed(call: Callable[[], Any], repeat: int) -> float | str:
    """Median seconds of ``repeat`` runs after one warm-up, or why the query failed."""
    try:
        call()
    except neo4j.exceptions.Neo4jError as exc:
        return f"failed: {exc.code}"
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(driver: neo4j.Driver, fleet: Fleet, repeat: int) -> dict[str, float | str]:
    month = fleet.month
    read = neo4j.RoutingControl.READ

    def report(name: str, bucket: str | None) -> Callable[[], Any]:
        return lambda: driver.execute_query(
            cypher(f"reports/{name}"),
            start=month.start,
            end=month.end,
            bucket=bucket,
            routing_=read,
        )

    def summary() -> Any:
        return driver.execute_query(
            cypher("usage/summary"),
            start=month.start,
            end=month.end,
            project_id=None,
            team_id=None,
            agent_id=None,
            routing_=read,
        )

    return {
        "month-by-project roll-up": timed(report("cost_by_project", None), repeat),
        "month-by-project roll-up, per day": timed(report("cost_by_project", "day"), repeat),
        "month-by-team roll-up": timed(report("cost_by_team", None), repeat),
        "month total, tree walked (cost_by_platform)": timed(
            report("cost_by_platform", None), repeat
        ),
        "month total, no tree (cost_per_period)": timed(report("cost_per_period", "month"), repeat),
        "summary (usage/summary, period=month)": timed(summary, repeat),
    }


def cell(value: float | str) -> str:
    return f"{value * 1000:.1f} ms" if isinstance(value, float) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events at the large size")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="1g")
    args = parser.parse_args()
    if args.events <= SMALL:
        parser.error(f"--events must be above {SMALL}")
    settings = Settings()
    catalog = Catalog(load_default_catalog())
    fleet = Fleet(seed=1, now=datetime.now(UTC))
    with tempfile.TemporaryDirectory(prefix="costgraph-bench-") as tmp:
        server = EmbeddedNeo4j(
            Path(tmp),
            settings.cache_dir,
            settings.neo4j_version,
            heap=args.heap,
            pagecache=args.pagecache,
        )
        uri, _ = server.start()
        try:
            with neo4j.GraphDatabase.driver(uri, notifications_min_severity="OFF") as driver:
                driver.verify_connectivity()
                apply_schema(driver)
                seed_default_catalog(driver)
                print(
                    f"Neo4j {settings.neo4j_version} on {uri}; heap {args.heap}, "
                    f"page cache {args.pagecache}"
                )
                load(driver, fleet, catalog, 0, SMALL)
                small_raw = measure(driver, fleet, args.repeat)
                refresh(driver, fleet)
                small = measure(driver, fleet, args.repeat)
                seconds = load(driver, fleet, catalog, SMALL, args.events - SMALL)
                print(f"  {args.events - SMALL:,} events in {seconds:.0f}s")
                large_raw = measure(driver, fleet, args.repeat)
                refresh(driver, fleet)
                large = measure(driver, fleet, args.repeat)
        finally:
            server.stop()
    print()
    print("raw: usage not yet rolled up is read event by event; rolled: after refresh_rollups")
    for title, at_small, at_large in (("raw", small_raw, large_raw), ("rolled", small, large)):
        table(title, at_small, at_large, args.events)


def refresh(driver: neo4j.Driver, fleet: Fleet) -> None:
    began = time.perf_counter()
    # No margin for transactions still committing: this is the only writer and it is done.
    rolled = refresh_rollups(
        driver, now=datetime.now(UTC) + timedelta(seconds=1), margin=timedelta(0)
    )
    print(f"  rolled up {rolled:,} events in {time.perf_counter() - began:.1f}s", flush=True)


def table(
    title: str, small: dict[str, float | str], large: dict[str, float | str], events: int
) -> None:
    width = max(len(name) for name in small) + 2
    print()
    print(f"{title:<{width}}{f'{SMALL:,} events':>16}{f'{events:,} events':>18}{'ratio':>9}")
    for name, at_small in small.items():
        at_large = large[name]
        ratio = "-"
        if isinstance(at_small, float) and isinstance(at_large, float):
            ratio = f"{at_large / at_small:.1f}x"
        print(f"{name:<{width}}{cell(at_small):>16}{cell(at_large):>18}{ratio:>9}")


if __name__ == "__main__":
    main()
