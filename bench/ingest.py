"""Ingest throughput: POST /v1/usage batches vs the raw driver writing the same graph.

Starts its own embedded Neo4j (temporary data folder, bigger page cache) and the
API on a loopback port, then interleaves rounds: each round sends one slice of
events through HTTP (validation, pricing, duplicate check, budgets) and the next
slice through the bare driver with the same UNWIND statement and pre-built rows.
Prints events/s of both and their ratio (target >= 0.8).

    .venv/bin/python bench/ingest.py [--events 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import random
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import neo4j
import uvicorn

from app.graph.driver import apply_schema
from app.graph.embedded import EmbeddedNeo4j
from app.graph.queries import cypher
from app.main import create_app
from app.pricing.model import Catalog, load_default_catalog
from app.pricing.store import seed_default_catalog
from app.settings import Settings
from app.usage.model import UsageRecord, price_events
from app.usage.routes import to_record
from app.usage.schemas import UsageEvent
from app.usage.store import ingest_row, scope_params

MODELS = ["claude-sonnet-4-5", "gpt-4o-mini", "gemini-2.5-flash", "claude-haiku-4-5"]


def make_events(prefix: str, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=20)
    return [
        {
            "event_id": f"{prefix}-{i}",
            "timestamp": (start + timedelta(seconds=i * 7)).isoformat(),
            "model": rng.choice(MODELS),
            "input_tokens": rng.randint(100, 5000),
            "output_tokens": rng.randint(10, 2000),
            "cache_read_tokens": rng.choice([0, 0, 4000]),
            "agent_id": f"agent-{rng.randint(1, 20)}",
            "agent_type": "coding",
            "run_id": f"{prefix}-run-{i // 25}",
            "task_id": f"task-{rng.randint(1, 200)}",
            "project_id": f"project-{rng.randint(1, 10)}",
            "team_id": f"team-{rng.randint(1, 3)}",
        }
        for i in range(count)
    ]


def raw_batches(
    events: list[dict[str, Any]], catalog: Catalog, batch: int
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Parameters of the two statements per batch, built before the clock starts."""
    now = datetime.now(UTC)
    records: list[UsageRecord] = [to_record(UsageEvent.model_validate(e), now) for e in events]
    priced = price_events(records, catalog, now)
    return [
        (
            scope_params(priced[i : i + batch], "default"),
            [ingest_row(p, "default") for p in priced[i : i + batch]],
        )
        for i in range(0, len(priced), batch)
    ]


def write_raw(
    driver: neo4j.Driver, batches: list[tuple[dict[str, Any], list[dict[str, Any]]]]
) -> None:
    """The raw side: the same two statements, one transaction per batch, no checks."""
    scopes, ingest = cypher("usage/merge_scopes"), cypher("usage/ingest")

    def write(tx: neo4j.ManagedTransaction, params: dict[str, Any], rows: list[Any]) -> None:
        tx.run(scopes, params).consume()
        tx.run(ingest, rows=rows, recorded_at=datetime.now(UTC)).consume()

    for params, rows in batches:
        with driver.session() as session:
            session.execute_write(write, params, rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    base = Settings()
    with tempfile.TemporaryDirectory(prefix="costgraph-bench-") as tmp:
        server = EmbeddedNeo4j(
            Path(tmp), base.cache_dir, base.neo4j_version, heap="2g", pagecache="1g"
        )
        uri, _ = server.start()
        try:
            run(uri, args.events, args.batch, args.rounds)
        finally:
            server.stop()


def run(uri: str, total: int, batch: int, rounds: int) -> None:
    driver = neo4j.GraphDatabase.driver(uri, notifications_min_severity="OFF")
    apply_schema(driver)
    seed_default_catalog(driver)
    catalog = Catalog(load_default_catalog())
    # No upkeep thread: a roll-up of the whole load would run inside the measurement.
    settings = Settings(
        bootstrap_admin_key="bench-key",
        log_level="WARNING",
        rollup_interval_s=0,
        compact_interval_s=0,
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, driver=driver), host="127.0.0.1", port=port, log_level="warning"
    )
    api = uvicorn.Server(config)
    threading.Thread(target=api.run, daemon=True).start()
    while not api.started:
        time.sleep(0.05)

    half = total // 2
    api_events = make_events("api", half, 1)
    per_round = half // rounds
    raw = raw_batches(make_events("raw", half, 2), catalog, batch)
    # One untimed batch each way first: both sides then run on compiled query plans.
    warm_api = make_events("warm-api", batch, 3)
    warm_raw = raw_batches(make_events("warm-raw", batch, 4), catalog, batch)
    per_round_batches = per_round // batch
    timings = {"api": 0.0, "raw": 0.0}
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        timeout=120,
        headers={"Authorization": "Bearer bench-key"},
    ) as http:
        http.post("/v1/usage", json={"events": warm_api}).raise_for_status()
        write_raw(driver, warm_raw)
        for r in range(rounds):
            lo, hi = r * per_round, (r + 1) * per_round
            began = time.perf_counter()
            for i in range(lo, hi, batch):
                answer = http.post("/v1/usage", json={"events": api_events[i : min(i + batch, hi)]})
                answer.raise_for_status()
            timings["api"] += time.perf_counter() - began
            began = time.perf_counter()
            write_raw(driver, raw[r * per_round_batches : (r + 1) * per_round_batches])
            timings["raw"] += time.perf_counter() - began
    api.should_exit = True
    driver.close()
    sent = per_round * rounds
    api_rate, raw_rate = sent / timings["api"], sent / timings["raw"]
    print(f"events per side: {sent} in batches of {batch}, {rounds} interleaved rounds")
    print(f"HTTP batch API : {api_rate:10.0f} events/s")
    print(f"raw driver     : {raw_rate:10.0f} events/s  (same UNWIND statement, rows pre-built)")
    print(f"ratio API/raw  : {api_rate / raw_rate:10.2f}  (target >= 0.8)")


if __name__ == "__main__":
    main()
