"""Ingest throughput: POST /v1/usage batches vs the raw driver writing the same graph.

Starts its own embedded Neo4j (temporary data folder, bigger page cache) and the API
as deployed (`costgraph serve --workers 2`: one process per core), then interleaves
rounds. In each round, at each level of concurrency, one slice of events goes through
HTTP (validation, pricing, duplicate check, budgets) from that many clients at once, and
another through the bare driver from that many writers, with the same two statements
and pre-built rows; the sides take turns going first. Both sides' inputs (request
bodies, statement rows) are built before the clock starts.

A fleet of orchestrators posts concurrently; the raw writers serialise on the same
scope nodes (with more than one they deadlock and retry), so each side is also
compared at its best level. Prints events/s per level and the ratios (target >= 0.8).

    .venv/bin/python bench/ingest.py [--events 100000] [--batch 1000] [--clients 1,2,4]
                                     [--workers 2] [--warmup 10]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import neo4j

from app.graph.driver import apply_schema
from app.graph.embedded import EmbeddedNeo4j
from app.graph.queries import cypher
from app.pricing.model import Catalog, load_default_catalog
from app.pricing.store import seed_default_catalog
from app.settings import Settings
from app.usage.model import UsageRecord, price_events
from app.usage.routes import to_record
from app.usage.schemas import UsageEvent
from app.usage.store import ingest_row, scope_params

MODELS = ["claude-sonnet-4-5", "gpt-4o-mini", "gemini-2.5-flash", "claude-haiku-4-5"]
API_KEY = "bench-key"
RawBatch = tuple[dict[str, Any], list[dict[str, Any]]]


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


def raw_batches(events: list[dict[str, Any]], catalog: Catalog, batch: int) -> list[RawBatch]:
    """Parameters of the two statements per batch, built before the clock starts, in
    plain lists and maps as a driver user would pass them."""
    now = datetime.now(UTC)
    records: list[UsageRecord] = [to_record(UsageEvent.model_validate(e), now) for e in events]
    priced = price_events(records, catalog, now)
    return [
        (
            {
                key: list(value) if isinstance(value, list) else value
                for key, value in scope_params(priced[i : i + batch], "default").items()
            },
            [ingest_row(p, "default") for p in priced[i : i + batch]],
        )
        for i in range(0, len(priced), batch)
    ]


def http_bodies(events: list[dict[str, Any]], batch: int) -> list[bytes]:
    """Request bodies per batch, encoded before the clock starts."""
    return [
        json.dumps({"events": events[i : i + batch]}).encode() for i in range(0, len(events), batch)
    ]


def write_raw(driver: neo4j.Driver, batches: Sequence[RawBatch]) -> None:
    """The raw side: the same two statements, one transaction per batch, no checks."""
    scopes, ingest = cypher("usage/merge_scopes"), cypher("usage/ingest")

    def write(tx: neo4j.ManagedTransaction, params: dict[str, Any], rows: list[Any]) -> None:
        tx.run(scopes, params).consume()
        tx.run(ingest, rows=rows, recorded_at=datetime.now(UTC)).consume()

    for params, rows in batches:
        with driver.session() as session:
            session.execute_write(write, params, rows)


def post_all(http: httpx.Client, bodies: Sequence[bytes]) -> None:
    for body in bodies:
        answer = http.post("/v1/usage", content=body, headers={"Content-Type": "application/json"})
        answer.raise_for_status()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(uri: str, port: int, workers: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """`costgraph serve` on the bench's Neo4j, without the upkeep thread (a roll-up of the
    whole load would run inside the measurement)."""
    env = {
        **os.environ,
        "NEO4J_URI": uri,
        "COSTGRAPH_DATA_DIR": str(data_dir),
        "COSTGRAPH_BOOTSTRAP_ADMIN_KEY": API_KEY,
        "COSTGRAPH_LOG_LEVEL": "WARNING",
        "COSTGRAPH_ROLLUP_INTERVAL_S": "0",
        "COSTGRAPH_COMPACT_INTERVAL_S": "0",
    }
    command = [
        str(Path(sys.executable).with_name("costgraph")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    api = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise SystemExit(f"the API exited with {api.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return api
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    api.terminate()
    raise SystemExit("the API did not become ready within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", default="1,2,4", help="concurrency levels, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--warmup", type=int, default=10, help="untimed batches per side")
    args = parser.parse_args()
    levels = sorted({int(c) for c in args.clients.split(",")})
    # Raw writers past one deadlock and are retried by the driver; that is expected here.
    logging.getLogger("neo4j").setLevel(logging.ERROR)

    base = Settings()
    with tempfile.TemporaryDirectory(prefix="costgraph-bench-") as tmp:
        server = EmbeddedNeo4j(
            Path(tmp), base.cache_dir, base.neo4j_version, heap="2g", pagecache="1g"
        )
        uri, _ = server.start()
        try:
            run(
                uri,
                args.events,
                args.batch,
                args.rounds,
                levels,
                args.workers,
                args.warmup,
                Path(tmp),
            )
        finally:
            server.stop()


def timed_in_parallel(work: Callable[..., None], shares: Sequence[tuple[Any, ...]]) -> float:
    """Seconds until ``work(*share)`` has run for every share, each on its own thread."""
    with ThreadPoolExecutor(len(shares)) as pool:
        began = time.perf_counter()
        for future in [pool.submit(work, *share) for share in shares]:
            future.result()
        return time.perf_counter() - began


def run(
    uri: str,
    total: int,
    batch: int,
    rounds: int,
    levels: list[int],
    workers: int,
    warmup: int,
    tmp: Path,
) -> None:
    driver = neo4j.GraphDatabase.driver(uri, notifications_min_severity="OFF")
    apply_schema(driver)
    seed_default_catalog(driver)
    catalog = Catalog(load_default_catalog())
    port = free_port()
    api = start_api(uri, port, workers, tmp / "api")

    # Each side gets total/2 events, split evenly over rounds and levels; a timed slice is
    # whole batches that every level divides evenly among its clients.
    unit = batch * max(levels)
    per_slice = max(unit, total // 2 // (rounds * len(levels)) // unit * unit)
    slices = rounds * len(levels)
    api_bodies = http_bodies(make_events("api", per_slice * slices, 1), batch)
    raw = raw_batches(make_events("raw", per_slice * slices, 2), catalog, batch)
    per_slice_batches = per_slice // batch
    timings = {(side, c): 0.0 for side in ("api", "raw") for c in levels}
    # A connection per request: the workers share one listening socket, and a client that
    # kept its connection would stay with whichever worker accepted it first.
    clients = [
        httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=300,
            headers={"Authorization": f"Bearer {API_KEY}"},
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        for _ in range(max(levels))
    ]
    try:
        # Untimed batches each way first, alternating: both sides then run on compiled
        # query plans and on a JVM whose JIT has compiled the write path.
        warm_api = http_bodies(make_events("warm-api", warmup * batch, 3), batch)
        warm_raw = raw_batches(make_events("warm-raw", warmup * batch, 4), catalog, batch)
        for body, rows in zip(warm_api, warm_raw, strict=True):
            post_all(clients[0], [body])
            write_raw(driver, [rows])
        taken = 0
        # The side that runs first in a round meets the plans Neo4j throws away as the
        # graph grows (it replans a statement at most every ten seconds, when its counts
        # have moved far enough), so the sides take turns going first.
        for round_number in range(rounds):
            for c in levels:
                chunk = range(taken, taken + per_slice_batches)
                taken += per_slice_batches
                bodies = [api_bodies[i] for i in chunk]
                rows = [raw[i] for i in chunk]
                sides = [
                    ("api", post_all, [(clients[k], bodies[k::c]) for k in range(c)]),
                    ("raw", write_raw, [(driver, rows[k::c]) for k in range(c)]),
                ]
                for side, work, shares in sides[:: 1 if round_number % 2 == 0 else -1]:
                    timings[side, c] += timed_in_parallel(work, shares)
    finally:
        for http in clients:
            http.close()
        api.terminate()
        api.wait(30)
        driver.close()

    sent = per_slice * rounds
    rate = {key: sent / seconds for key, seconds in timings.items()}
    print(
        f"{sent} events per side and level, batches of {batch}, {rounds} interleaved rounds, "
        f"API with {workers} worker process{'es' if workers > 1 else ''}"
    )
    print("clients   HTTP API ev/s   raw driver ev/s   ratio")
    for c in levels:
        api_rate, raw_rate = rate["api", c], rate["raw", c]
        print(f"{c:7d}   {api_rate:13.0f}   {raw_rate:15.0f}   {api_rate / raw_rate:5.2f}")
    best_api = max(levels, key=lambda c: rate["api", c])
    best_raw = max(levels, key=lambda c: rate["raw", c])
    print(
        f"best of each: API {rate['api', best_api]:.0f} ev/s ({best_api} clients) vs raw "
        f"{rate['raw', best_raw]:.0f} ev/s ({best_raw} writers): ratio "
        f"{rate['api', best_api] / rate['raw', best_raw]:.2f}  (target >= 0.8)"
    )


if __name__ == "__main__":
    main()
