"""Check and reserve latency over HTTP on loopback, with a small and a large graph.

Starts its own embedded Neo4j (temporary folder, 2 GB heap, 1 GB page cache) and
the API on a loopback port, builds a budget tree (platform > team > project >
task), then measures p50/p99 of `POST /v1/checks` and of `POST /v1/reservations`
(each hold released right after) with --small events in the graph, loads up to
--events, and measures again. Budget checks read the materialised SpendWindows,
so the large/small ratio should stay near 1 (targets: p99 <= 5 ms, ratio <= 1.2).
Beside them it prints the floors measured in the same run: a request to `/healthz`
(HTTP on loopback, nothing else) and a read transaction that does nothing (Bolt).

    .venv/bin/python bench/reserve.py                    # 10k vs 100k events
    .venv/bin/python bench/reserve.py --events 1000000   # 10k vs 1M
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import neo4j
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.graph.driver import apply_schema  # noqa: E402
from app.graph.embedded import EmbeddedNeo4j  # noqa: E402
from app.graph.queries import cypher  # noqa: E402
from app.main import create_app  # noqa: E402
from app.pricing.model import Catalog, Usage, load_default_catalog  # noqa: E402
from app.pricing.store import seed_default_catalog  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.usage import ledger  # noqa: E402
from app.usage.model import UsageRecord  # noqa: E402

KEY = "bench-key"
BATCH = 10_000


def load(driver: neo4j.Driver, catalog: Catalog, start: int, stop: int) -> None:
    """Events through the ledger's own write path (pricing, windows), 10k per transaction."""
    rng = random.Random(start)
    now = datetime.now(UTC)
    for lo in range(start, stop, BATCH):
        records = [
            UsageRecord(
                event_id=f"bench-{i}",
                timestamp=now - timedelta(seconds=rng.randint(0, 20 * 86400)),
                model=rng.choice(["claude-sonnet-4-5", "gpt-4o-mini", "gemini-2.5-flash"]),
                usage=Usage(rng.randint(100, 4000), rng.randint(10, 800)),
                agent_id=f"agent-{rng.randint(1, 30)}",
                run_id=f"run-{i // 20}",
                task_id=f"task-{rng.randint(1, 300)}",
                project_id=f"project-{rng.randint(1, 12)}",
                team_id=f"team-{rng.randint(1, 3)}",
            )
            for i in range(lo, min(lo + BATCH, stop))
        ]
        ledger.record(driver, records, catalog, platform_id="default", now=now)


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def _noop(tx: neo4j.ManagedTransaction) -> None:
    tx.run(cypher("admin/ping")).consume()


def measure(http: httpx.Client, driver: neo4j.Driver, requests: int) -> dict[str, list[float]]:
    """Check and reserve latency, and beside them the floors they stand on: an HTTP
    request that does nothing (`/healthz`) and a read transaction that does nothing."""
    body = {
        "amount_usd": "0.01",
        "task_id": "task-7",
        "project_id": "project-1",
        "team_id": "team-1",
        "agent_id": "agent-1",
    }
    times: dict[str, list[float]] = {"check": [], "reserve": [], "http floor": [], "bolt floor": []}
    for _ in range(20):  # warm plans and pools
        http.post("/v1/checks", json=body)
    for _ in range(requests):
        began = time.perf_counter()
        http.get("/healthz").raise_for_status()
        times["http floor"].append(time.perf_counter() - began)
        began = time.perf_counter()
        with driver.session() as session:
            session.execute_read(_noop)
        times["bolt floor"].append(time.perf_counter() - began)
        began = time.perf_counter()
        http.post("/v1/checks", json=body).raise_for_status()
        times["check"].append(time.perf_counter() - began)
        began = time.perf_counter()
        held = http.post("/v1/reservations", json=body)
        times["reserve"].append(time.perf_counter() - began)
        held.raise_for_status()
        http.delete(f"/v1/reservations/{held.json()['id']}").raise_for_status()
    return times


def budgets(http: httpx.Client) -> None:
    tree = [
        ("platform", "platform", "default", None, "100000"),
        ("team", "team", "team-1", "platform", "10000"),
        ("project", "project", "project-1", "team", "1000"),
        ("task", "task", "task-7", "project", "500"),
    ]
    for budget_id, kind, scope, parent, amount in tree:
        http.post(
            "/v1/budgets",
            json={
                "id": budget_id,
                "allocated_to": {"kind": kind, "id": scope},
                "parent_id": parent,
                "amount_usd": amount,
                "period": "month",
            },
        ).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    base = Settings()
    with tempfile.TemporaryDirectory(prefix="costgraph-bench-") as tmp:
        server = EmbeddedNeo4j(
            Path(tmp), base.cache_dir, base.neo4j_version, heap="2g", pagecache="1g"
        )
        uri, _ = server.start()
        try:
            run(uri, args.small, args.events, args.requests)
        finally:
            server.stop()


def run(uri: str, small: int, large: int, requests: int) -> None:
    driver = neo4j.GraphDatabase.driver(uri, notifications_min_severity="OFF")
    apply_schema(driver)
    seed_default_catalog(driver)
    catalog = Catalog(load_default_catalog())
    # No upkeep thread: a roll-up of the whole load would run inside the measurement.
    settings = Settings(
        bootstrap_admin_key=KEY,
        log_level="WARNING",
        rollup_interval_s=0,
        compact_interval_s=0,
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, driver=driver), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    threading.Thread(target=api.run, daemon=True).start()
    while not api.started:
        time.sleep(0.05)
    results = {}
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", timeout=60, headers={"Authorization": f"Bearer {KEY}"}
    ) as http:
        budgets(http)
        load(driver, catalog, 0, small)
        results[small] = measure(http, driver, requests)
        began = time.perf_counter()
        load(driver, catalog, small, large)
        print(f"loaded {large - small} more events in {time.perf_counter() - began:.0f}s")
        results[large] = measure(http, driver, requests)
    api.should_exit = True
    driver.close()
    print(f"{'':18}{'p50 ms':>10}{'p99 ms':>10}")
    for size, times in results.items():
        for name, samples in times.items():
            p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
            print(f"{name:10}{size:>8} {p50:10.2f}{p99:10.2f}")
    for name in ("check", "reserve"):
        ratio = percentile(results[large][name], 99) / percentile(results[small][name], 99)
        print(f"{name} p99 ratio {large}/{small} events: {ratio:.2f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
