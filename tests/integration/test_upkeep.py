"""The upkeep thread of `serve`: rolls up at once, then on its interval; stops promptly."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import neo4j
import pytest

from app.pricing.model import Catalog, Usage, load_default_catalog
from app.pricing.store import seed_default_catalog
from app.upkeep import UpkeepJob
from app.usage import ledger
from app.usage.model import UsageRecord

pytestmark = pytest.mark.neo4j


def record(driver: neo4j.Driver, ages: list[timedelta]) -> None:
    """One small event per age, that long before now, on project p."""
    seed_default_catalog(driver)
    now = datetime.now(UTC)
    events = [
        UsageRecord(
            event_id=f"e{i}",
            timestamp=now - age,
            model="gpt-4o-mini",
            usage=Usage(input_tokens=100 * (i + 1)),
            project_id="p",
        )
        for i, age in enumerate(ages)
    ]
    ledger.record(driver, events, Catalog(load_default_catalog()), platform_id="default", now=now)


def rolled(driver: neo4j.Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (u:TokenUsage:Rolled) RETURN count(u) AS n")
    return int(records[0]["n"])


def test_the_first_roll_up_runs_at_start(graph: neo4j.Driver) -> None:
    record(graph, [timedelta(hours=i) for i in range(5)])
    assert rolled(graph) == 0
    job = UpkeepJob(graph, None, rollup_every_s=3600)
    job.start()
    assert job.running
    try:
        deadline = time.monotonic() + 30
        while rolled(graph) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rolled(graph) == 5
    finally:
        began = time.monotonic()
        job.stop()
    assert time.monotonic() - began < 10  # an hour-long wait is interrupted
    assert not job.running


def test_compaction_runs_at_start(graph: neo4j.Driver) -> None:
    record(graph, [timedelta(days=1), timedelta(days=100)])
    job = UpkeepJob(graph, None, rollup_every_s=0, compact_every_s=86_400)
    job.start()
    try:
        deadline = time.monotonic() + 30
        while kept(graph) > 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kept(graph) == 1  # the 100-day-old event now lives in the daily sums
    finally:
        job.stop()


def kept(driver: neo4j.Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (u:TokenUsage) RETURN count(u) AS n")
    return int(records[0]["n"])


def test_a_job_with_nothing_to_do_starts_no_thread(graph: neo4j.Driver) -> None:
    job = UpkeepJob(graph, None, rollup_every_s=0, compact_every_s=0)
    job.start()
    assert not job.running
    job.stop()
