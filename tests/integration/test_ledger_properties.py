"""Properties of the ledger on the real graph: exact sums and exactly-once under retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import neo4j
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.graph.queries import cypher
from app.pricing.model import Catalog, Usage, load_default_catalog, price
from app.pricing.store import seed_default_catalog
from app.usage import ledger
from app.usage.model import UsageRecord

CATALOG = Catalog(load_default_catalog())
MODELS = ["claude-sonnet-4-5", "gpt-4o-mini", "gemini-2.5-pro", "claude-3-haiku", "deepseek-chat"]
START = datetime(2026, 3, 1, tzinfo=UTC)

tokens = st.integers(min_value=0, max_value=400_000)
records = st.builds(
    lambda i, model, a, b, c, d, ttl, batch, minutes, project: UsageRecord(
        event_id=f"e{i}",
        timestamp=START + timedelta(minutes=minutes),
        model=model,
        usage=Usage(a, b, c, d, ttl, batch),
        project_id=project,
        run_id=f"run-{i % 4}",
    ),
    st.integers(0, 10**6),
    st.sampled_from(MODELS),
    tokens,
    tokens,
    tokens,
    tokens,
    st.sampled_from(["5m", "1h"]),
    st.booleans(),
    st.integers(0, 60 * 24 * 20),
    st.sampled_from(["alpha", "beta", None]),
)
batches = st.lists(records, min_size=1, max_size=25, unique_by=lambda r: r.event_id)


def _total(driver: neo4j.Driver) -> tuple[int, int]:
    records, _, _ = driver.execute_query(
        cypher("usage/summary"),
        start=START - timedelta(days=1),
        end=START + timedelta(days=60),
        project_id=None,
        team_id=None,
        agent_id=None,
    )
    return int(records[0]["total_nanousd"]), int(records[0]["events"])


def _fresh(driver: neo4j.Driver) -> None:
    driver.execute_query(cypher("admin/wipe"))
    seed_default_catalog(driver)


SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(events=batches)
def test_summary_equals_the_exact_sum_of_prices(
    driver: neo4j.Driver, events: list[UsageRecord]
) -> None:
    _fresh(driver)
    ledger.record(driver, events, CATALOG, platform_id="default")
    expected = sum(
        price(CATALOG.lookup(e.model, e.timestamp), e.usage).total_nanos  # type: ignore[arg-type]
        for e in events
    )
    assert _total(driver) == (expected, len(events))


@SETTINGS
@given(events=batches, data=st.data())
def test_reposting_any_subset_from_threads_changes_nothing(
    driver: neo4j.Driver, events: list[UsageRecord], data: st.DataObject
) -> None:
    _fresh(driver)
    ledger.record(driver, events, CATALOG, platform_id="default")
    before = _total(driver)
    resends = data.draw(
        st.lists(st.lists(st.sampled_from(events), min_size=1), min_size=1, max_size=6)
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda batch: ledger.record(driver, batch, CATALOG, platform_id="default"), resends
            )
        )
    assert all(r.accepted == 0 for r in results)
    assert _total(driver) == before


def test_concurrent_first_sends_of_overlapping_batches_count_each_event_once(
    graph: neo4j.Driver,
) -> None:
    seed_default_catalog(graph)
    events = [UsageRecord(f"x{i}", START, "gpt-4o-mini", Usage(1000 + i, 10)) for i in range(40)]
    slices = [events[i : i + 20] for i in range(0, 30, 5)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(
                lambda batch: ledger.record(graph, batch, CATALOG, platform_id="default"), slices
            )
        )
    assert sum(r.accepted for r in results) == len({e.event_id for s in slices for e in s})
    expected = sum(
        price(CATALOG.lookup(e.model, START), e.usage).total_nanos  # type: ignore[arg-type]
        for e in {e.event_id: e for s in slices for e in s}.values()
    )
    assert _total(graph)[0] == expected
