"""evolution.graph_io against the real Neo4j: registration, outcomes, stats and lineage."""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import neo4j
import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.graph.queries import cypher
from app.pricing.model import Catalog, Usage
from app.pricing.store import CatalogCache, seed_default_catalog
from app.usage import ledger
from app.usage.model import UsageRecord
from evolution import (
    AgentStats,
    LineageCycleError,
    ancestors,
    descendants,
    generation,
    load_agent,
    load_lineage,
    load_relatives,
    load_stats,
    record_outcome,
    register_agent,
)

pytestmark = pytest.mark.neo4j

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def snapshot(driver: neo4j.Driver) -> tuple[list[Any], list[Any]]:
    """Every node and relationship with its labels, type and properties, in a stable order."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
    )
    rels, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, elementId(b) AS b"
    )
    return (
        sorted((sorted(r["labels"]), sorted(r["props"].items())) for r in nodes),
        sorted((r["a"], r["type"], r["b"]) for r in rels),
    )


def count(driver: neo4j.Driver, pattern: str) -> int:
    records, _, _ = driver.execute_query(f"MATCH {pattern} RETURN count(*) AS n")
    return int(records[0]["n"])


def wipe(driver: neo4j.Driver) -> None:
    driver.execute_query(cypher("admin/wipe"))


# -- registration --------------------------------------------------------------------------


def test_registration_is_idempotent(graph: neo4j.Driver) -> None:
    first = register_agent(graph, "coder-v4", "coder", "coding", "4", ["coder-v3"])
    assert first.created_parent_ids == ("coder-v3",)
    assert first.agent.parent_ids == ("coder-v3",)
    assert (first.agent.name, first.agent.type, first.agent.version) == ("coder", "coding", "4")
    before = snapshot(graph)

    again = register_agent(graph, "coder-v4", "coder", "coding", "4", ["coder-v3", "coder-v3"])

    assert again.created_parent_ids == ()
    assert again.agent == first.agent
    assert snapshot(graph) == before
    assert count(graph, "(:Agent)-[:DERIVED_FROM]->(:Agent)") == 1


def test_none_keeps_stored_fields_and_parents_are_only_added(graph: neo4j.Driver) -> None:
    register_agent(graph, "b", "builder", "coding", "1", ["a"])
    later = register_agent(graph, "b", None, None, "2", ["c"])
    assert (later.agent.name, later.agent.type, later.agent.version) == ("builder", "coding", "2")
    assert later.agent.parent_ids == ("a", "c")
    assert later.created_parent_ids == ("c",)
    parent = load_agent(graph, "a")
    assert parent is not None
    assert (parent.name, parent.version, parent.child_ids) == (None, None, ("b",))
    # registering the bare parent later fills it in
    filled = register_agent(graph, "a", "ancestor", "coding", "0").agent
    assert (filled.name, filled.version, filled.child_ids) == ("ancestor", "0", ("b",))
    assert load_agent(graph, "nobody") is None


def test_registering_an_agent_seen_in_usage_keeps_its_ledger(graph: neo4j.Driver) -> None:
    catalog = catalog_on(graph)
    record_usage(graph, catalog, [usage_record("e1", "coder", "run-1", 100, 10)])
    registered = register_agent(graph, "coder", "coder", "coding", "3", ["coder-v2"]).agent
    assert registered.created_at is not None
    assert count(graph, "(:Agent {id: 'coder'})-[:CONSUMED]->(:TokenUsage)") == 1
    assert registered.parent_ids == ("coder-v2",)


def test_a_cycle_is_refused_and_nothing_is_written(graph: neo4j.Driver) -> None:
    register_agent(graph, "b", "b", "t", "1", ["a"])
    register_agent(graph, "c", "c", "t", "1", ["b"])
    before = snapshot(graph)

    with pytest.raises(LineageCycleError, match="c"):
        register_agent(graph, "a", "a", "t", "9", ["c"])
    # a refused registration with a new parent must not create that parent either
    with pytest.raises(LineageCycleError):
        register_agent(graph, "b", "renamed", "t", "2", ["fresh", "c"])
    with pytest.raises(LineageCycleError):
        register_agent(graph, "b", "b", "t", "1", ["b"])

    assert snapshot(graph) == before
    assert load_agent(graph, "fresh") is None


def test_concurrent_registrations_cannot_close_a_cycle(graph: neo4j.Driver) -> None:
    # p derives from c and q from a; registering a <- p and c <- q at once would close
    # a -> p -> c -> q -> a although each check alone passes on the old graph.
    rounds = 12
    for i in range(rounds):
        register_agent(graph, f"p{i}", None, None, None, [f"c{i}"])
        register_agent(graph, f"q{i}", None, None, None, [f"a{i}"])
    failures: list[str] = []
    errors: list[BaseException] = []

    def attempt(child: str, parent: str, barrier: threading.Barrier) -> None:
        barrier.wait()
        try:
            register_agent(graph, child, None, None, None, [parent])
        except LineageCycleError:
            failures.append(child)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    for i in range(rounds):
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=attempt, args=(f"a{i}", f"p{i}", barrier)),
            threading.Thread(target=attempt, args=(f"c{i}", f"q{i}", barrier)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(failures) == rounds
    assert nx.is_directed_acyclic_graph(load_lineage(graph))


# -- outcomes ------------------------------------------------------------------------------


def outcome_rows(driver: neo4j.Driver) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (:Run)-[:HAS_OUTCOME]->(o:Outcome) RETURN properties(o) AS o ORDER BY o.run_id"
    )
    return [dict(r["o"]) for r in records]


def test_recording_an_outcome_is_idempotent(graph: neo4j.Driver) -> None:
    assert record_outcome(graph, "run-1", "coder", True, 0.9, 12.5, recorded_at=NOW) is True
    first = outcome_rows(graph)
    later = NOW + timedelta(hours=1)
    assert record_outcome(graph, "run-1", "coder", True, 0.9, 12.5, recorded_at=later) is False
    assert outcome_rows(graph) == first
    assert first[0]["recorded_at"].to_native() == NOW
    assert count(graph, "(:Agent {id: 'coder'})-[:RAN]->(:Run {id: 'run-1'})") == 1

    assert record_outcome(graph, "run-1", "coder", False, 0.2, 30.0, recorded_at=later) is True
    [replaced] = outcome_rows(graph)
    assert (replaced["success"], replaced["quality"], replaced["duration_s"]) == (False, 0.2, 30.0)
    assert count(graph, "(o:Outcome)") == 1


@pytest.mark.parametrize(
    ("quality", "duration"), [(1.01, 1.0), (-0.1, 1.0), (float("nan"), 1.0), (0.5, -1.0)]
)
def test_impossible_outcomes_are_refused(
    graph: neo4j.Driver, quality: float, duration: float
) -> None:
    with pytest.raises(ValueError):
        record_outcome(graph, "run-1", "coder", True, quality, duration)
    assert count(graph, "(n)") == 0


def test_recrediting_a_run_keeps_the_ledger_edges(graph: neo4j.Driver) -> None:
    catalog = catalog_on(graph)
    record_usage(graph, catalog, [usage_record("e1", "worker", "run-1", 1000, 100)])
    record_outcome(graph, "run-1", "helper", True, 1.0, 5.0)
    record_outcome(graph, "run-2", "helper", True, 1.0, 5.0)
    record_outcome(graph, "run-2", "other", True, 0.5, 5.0)

    # usage wrote worker -[:RAN]-> run-1; an outcome credited elsewhere must not remove it
    assert count(graph, "(:Agent {id: 'worker'})-[:RAN]->(:Run {id: 'run-1'})") == 1
    # helper's RAN to run-2 came only from the outcome that moved to other
    assert count(graph, "(:Agent {id: 'helper'})-[:RAN]->(:Run {id: 'run-2'})") == 0
    stats = {s.agent_id: s for s in load_stats(graph)}
    assert (stats["worker"].runs, stats["worker"].outcomes) == (1, 0)
    assert (stats["helper"].runs, stats["helper"].outcomes, stats["helper"].tokens) == (1, 1, 0)
    assert (stats["other"].runs, stats["other"].outcomes, stats["other"].quality_sum) == (1, 1, 0.5)


# -- stats from the ledger -----------------------------------------------------------------


def catalog_on(driver: neo4j.Driver) -> Catalog:
    seed_default_catalog(driver)
    return CatalogCache().get(driver)


def usage_record(
    event_id: str,
    agent_id: str,
    run_id: str | None,
    input_tokens: int,
    output_tokens: int,
    model: str = "claude-sonnet-4-5",
    cache_read_tokens: int = 0,
    status: str = "success",
) -> UsageRecord:
    return UsageRecord(
        event_id=event_id,
        timestamp=NOW,
        model=model,
        usage=Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens,
        ),
        status=status,
        agent_id=agent_id,
        run_id=run_id,
        project_id="evolution",
    )


def record_usage(
    driver: neo4j.Driver, catalog: Catalog, records: list[UsageRecord]
) -> dict[str, int]:
    """Record through the ledger; the cost of each event id as the ledger priced it."""
    recorded = ledger.record(driver, records, catalog, platform_id="default", now=NOW)
    return {o.event_id: o.result.cost.total_nanos for o in recorded.outcomes}


def assert_same_stats(actual: AgentStats, expected: AgentStats) -> None:
    """Equal counts and money; float sums equal up to the order Neo4j added them in."""
    assert replace(actual, quality_sum=0.0, duration_s=0.0) == replace(
        expected, quality_sum=0.0, duration_s=0.0
    )
    assert actual.quality_sum == pytest.approx(expected.quality_sum)
    assert actual.duration_s == pytest.approx(expected.duration_s)


def test_stats_are_the_hand_computed_sums_of_the_ledger(graph: neo4j.Driver) -> None:
    catalog = catalog_on(graph)
    costs = record_usage(
        graph,
        catalog,
        [
            usage_record("a1", "alpha", "r1", 1000, 100),
            usage_record("a2", "alpha", "r1", 2000, 0, cache_read_tokens=10_000),
            usage_record("a3", "alpha", "r2", 0, 500, status="error"),
            usage_record("a4", "alpha", None, 400, 40),
            usage_record("b1", "beta", "r9", 1000, 100, model="claude-haiku-4-5"),
        ],
    )
    # $3/M input + $15/M output: 1000 x 3000 + 100 x 15000 nano-USD
    assert costs["a1"] == 4_500_000
    # $1/M input + $5/M output
    assert costs["b1"] == 1_500_000
    record_outcome(graph, "r1", "alpha", True, 0.9, 10.0)
    record_outcome(graph, "r2", "alpha", False, 0.25, 4.5)
    record_outcome(graph, "r3", "alpha", True, 1.0, 2.0)

    stats = {s.agent_id: s for s in load_stats(graph, ["alpha", "beta", "nobody"])}

    assert set(stats) == {"alpha", "beta"}
    expected_alpha = AgentStats(
        agent_id="alpha",
        runs=3,  # r1 and r2 with usage, r3 with an outcome only; a4 has no run
        successes=2,
        quality_sum=0.9 + 0.25 + 1.0,
        outcomes=3,
        tokens=1100 + 12_000 + 500 + 440,
        duration_s=16.5,
        cost_nanos=costs["a1"] + costs["a2"] + costs["a3"] + costs["a4"],
    )
    assert_same_stats(stats["alpha"], expected_alpha)
    assert stats["beta"] == AgentStats("beta", 1, 0, 0.0, 0, 1100, 0.0, 1_500_000)


MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o-mini", "gemini-2.5-flash")

events = st.lists(
    st.tuples(
        st.sampled_from(["ant", "bee", "cow"]),
        st.sampled_from([None, "r1", "r2", "r3", "r4"]),
        st.integers(0, 50_000),
        st.integers(0, 5_000),
        st.integers(0, 20_000),
        st.sampled_from(MODELS),
    ),
    max_size=25,
)
outcomes = st.dictionaries(
    st.sampled_from(["r1", "r2", "r3", "r4", "r5"]),
    st.tuples(
        st.sampled_from(["ant", "bee", "cow"]),
        st.booleans(),
        st.sampled_from([0.0, 0.25, 0.5, 1.0]),
        st.sampled_from([0.5, 1.0, 7.25]),
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=events, outcomes=outcomes)
def test_stats_match_the_ledger_on_random_usage(
    driver: neo4j.Driver,
    events: list[tuple[str, str | None, int, int, int, str]],
    outcomes: dict[str, tuple[str, bool, float, float]],
) -> None:
    wipe(driver)
    catalog = catalog_on(driver)
    records = [
        usage_record(f"e{i}", agent, run, inp, out, model=model, cache_read_tokens=cached)
        for i, (agent, run, inp, out, cached, model) in enumerate(events)
    ]
    costs = record_usage(driver, catalog, records) if records else {}
    for run_id, (agent, success, quality, seconds) in outcomes.items():
        record_outcome(driver, run_id, agent, success, quality, seconds)

    expected: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"runs": set(), "tokens": 0, "cost": 0, "outcomes": []}
    )
    for r in records:
        e = expected[r.agent_id or ""]
        e["tokens"] += r.usage.input_tokens + r.usage.output_tokens + r.usage.cache_read_tokens
        e["cost"] += costs[r.event_id]
        if r.run_id:
            e["runs"].add(r.run_id)
    for run_id, (agent, success, quality, seconds) in outcomes.items():
        expected[agent]["runs"].add(run_id)
        expected[agent]["outcomes"].append((success, quality, seconds))

    stats = {s.agent_id: s for s in load_stats(driver)}
    assert set(stats) == set(expected)
    for agent, e in expected.items():
        want = AgentStats(
            agent_id=agent,
            runs=len(e["runs"]),
            successes=sum(1 for ok, _, _ in e["outcomes"] if ok),
            quality_sum=math.fsum(q for _, q, _ in e["outcomes"]),
            outcomes=len(e["outcomes"]),
            tokens=e["tokens"],
            duration_s=math.fsum(s for _, _, s in e["outcomes"]),
            cost_nanos=e["cost"],
        )
        assert_same_stats(stats[agent], want)


# -- lineage: Cypher and networkx agree ----------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> tuple[nx.DiGraph, list[str]]:
    """A random lineage (edges parent -> child) and an order to register it in."""
    size = draw(st.integers(1, 18))
    g = nx.DiGraph()
    names = [f"agent-{i:02d}" for i in range(size)]
    g.add_nodes_from(names)
    for i in range(1, size):
        parents = draw(st.lists(st.integers(0, i - 1), max_size=3, unique=True))
        g.add_edges_from((names[p], names[i]) for p in parents)
    order = draw(st.permutations(names))
    return g, list(order)


def longest_path_to(g: nx.DiGraph, node: str) -> int:
    # every path inside node + its ancestors can be extended to end at node
    return int(nx.dag_longest_path_length(g.subgraph(nx.ancestors(g, node) | {node})))


@settings(max_examples=30, deadline=None)
@given(dag=dags(), seed=st.integers(0, 2**16))
def test_lineage_from_cypher_equals_networkx(
    driver: neo4j.Driver, dag: tuple[nx.DiGraph, list[str]], seed: int
) -> None:
    hand, order = dag
    wipe(driver)
    for agent in order:
        parents = sorted(hand.predecessors(agent))
        random.Random(seed).shuffle(parents)
        register_agent(driver, agent, agent.upper(), "coding", "1", parents)

    loaded = load_lineage(driver)
    assert set(loaded.nodes) == set(hand.nodes)
    assert set(loaded.edges) == set(hand.edges)
    undirected = hand.to_undirected()
    for agent in hand.nodes:
        from_cypher = load_relatives(driver, agent)
        assert from_cypher.ancestors == nx.ancestors(hand, agent) == ancestors(loaded, agent)
        assert from_cypher.descendants == nx.descendants(hand, agent)
        assert descendants(loaded, agent) == from_cypher.descendants
        assert from_cypher.generation == longest_path_to(hand, agent)
        assert generation(loaded, agent) == from_cypher.generation
        family = load_lineage(driver, agent)
        assert set(family.nodes) == nx.node_connected_component(undirected, agent)
        assert set(family.edges) == set(hand.subgraph(family.nodes).edges)
