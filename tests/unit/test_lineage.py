"""Lineage analysis on hand-built graphs (edges parent -> child)."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evolution.lineage import (
    LineageCycleError,
    LineageError,
    UnknownAgentError,
    ancestors,
    best_path,
    descendants,
    generation,
    generations,
    lineage_fitness,
    lineage_tree,
    roots,
    roots_of,
)


def family() -> nx.DiGraph:
    """Two lineages.

    a -> b -> d -> e, a -> c -> d (d is a crossover of b and c), a -> e (e
    also derives straight from a); f -> g on its own.
    """
    g = nx.DiGraph()
    g.add_edges_from(
        [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e"), ("a", "e"), ("f", "g")]
    )
    return g


def test_ancestors_and_descendants() -> None:
    g = family()
    assert ancestors(g, "e") == {"a", "b", "c", "d"}
    assert ancestors(g, "a") == set()
    assert descendants(g, "a") == {"b", "c", "d", "e"}
    assert descendants(g, "d") == {"e"}
    assert descendants(g, "g") == set()


def test_roots() -> None:
    g = family()
    assert roots(g) == ["a", "f"]
    assert roots_of(g, "e") == ["a"]
    assert roots_of(g, "f") == ["f"]


def test_generation_is_the_longest_path_from_a_root() -> None:
    g = family()
    assert generation(g, "a") == 0
    assert generation(g, "b") == 1
    assert generation(g, "d") == 2
    # e is a direct child of a, but also a child of d: it sits below d
    assert generation(g, "e") == 3
    assert generations(g) == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3, "f": 0, "g": 1}


def test_unknown_agent_is_a_lineage_and_key_error() -> None:
    g = family()
    for question in (ancestors, descendants, generation, roots_of):
        with pytest.raises(UnknownAgentError) as caught:
            question(g, "zz")
        assert isinstance(caught.value, KeyError)
        assert isinstance(caught.value, LineageError)
        assert str(caught.value) == "unknown agent 'zz'"
    with pytest.raises(UnknownAgentError):
        best_path(g, "zz", {})
    with pytest.raises(UnknownAgentError):
        lineage_fitness(g, "zz", {})


def test_cycles_are_detected() -> None:
    g = family()
    g.add_edge("e", "b")
    for question in (ancestors, descendants, generation):
        with pytest.raises(LineageCycleError):
            question(g, "a")
    with pytest.raises(LineageCycleError, match="cycle"):
        roots(g)
    with pytest.raises(LineageCycleError):
        lineage_tree(g, "a", {})


def test_self_parent_is_a_cycle() -> None:
    g = nx.DiGraph([("a", "a")])
    with pytest.raises(LineageCycleError):
        generation(g, "a")


def test_best_path_maximises_summed_fitness() -> None:
    g = family()
    fitness = {"a": 0.1, "b": 0.2, "c": 0.9, "d": 0.5, "e": 0.3}
    # a-b-d-e = 1.1, a-c-d-e = 1.8, a-e = 0.4
    assert best_path(g, "a", fitness) == ["a", "c", "d", "e"]


def test_best_path_counts_unscored_agents_as_zero() -> None:
    g = nx.DiGraph([("r", "x"), ("r", "y"), ("x", "x2")])
    fitness: dict[str, float | None] = {"r": 0.5, "x": None, "x2": 0.6, "y": 0.7}
    # r-x-x2 sums 1.1 (unscored x adds 0), r-y sums 1.2
    assert best_path(g, "r", fitness) == ["r", "y"]
    fitness["x2"] = 0.8  # now r-x-x2 sums 1.3
    assert best_path(g, "r", fitness) == ["r", "x", "x2"]


def test_best_path_breaks_ties_by_smaller_id_and_stops_at_a_leaf() -> None:
    g = nx.DiGraph([("r", "q"), ("r", "p")])
    assert best_path(g, "r", {}) == ["r", "p"]
    assert best_path(nx.DiGraph([("solo", "solo-child")]), "solo-child", {}) == ["solo-child"]


def test_lineage_fitness_discounts_each_generation() -> None:
    g = family()
    fitness = {"b": 0.4, "d": 0.8, "e": None}
    # b at depth 0 (weight 1), d at depth 1 (weight 0.5), e unscored
    assert lineage_fitness(g, "b", fitness) == pytest.approx((0.4 + 0.5 * 0.8) / 1.5)
    # e is one generation below a through the direct edge: the shortest depth counts
    fitness = {"a": 0.2, "e": 1.0}
    assert lineage_fitness(g, "a", fitness) == pytest.approx((0.2 + 0.5 * 1.0) / 1.5)
    assert lineage_fitness(g, "a", fitness, decay=0.25) == pytest.approx((0.2 + 0.25 * 1.0) / 1.25)


def test_lineage_fitness_edge_decays() -> None:
    g = family()
    fitness = {"a": 0.2, "b": 0.4, "c": 0.6, "d": 1.0}
    assert lineage_fitness(g, "a", fitness, decay=0.0) == pytest.approx(0.2)
    assert lineage_fitness(g, "a", fitness, decay=1.0) == pytest.approx((0.2 + 0.4 + 0.6 + 1.0) / 4)
    # an unscored agent with scored descendants takes theirs
    assert lineage_fitness(g, "c", {"d": 0.6}) == pytest.approx(0.6)
    assert lineage_fitness(g, "f", fitness) is None
    with pytest.raises(LineageError):
        lineage_fitness(g, "a", fitness, decay=1.5)
    with pytest.raises(LineageError):
        lineage_fitness(g, "a", fitness, decay=-0.1)


def test_lineage_tree_wire_shape() -> None:
    g = family()
    fitness = {"a": 0.5, "d": 0.9}
    tree = lineage_tree(g, "b", fitness)
    assert tree["root"] == "b"
    assert [n["agent_id"] for n in tree["nodes"]] == ["b", "d", "e"]
    first, crossover, last = tree["nodes"]
    for node in tree["nodes"]:
        assert {"agent_id", "parent_ids", "generation", "fitness"} <= node.keys()
    assert first["parent_ids"] == ["a"] and first["generation"] == 1 and first["fitness"] is None
    # the crossover lists its parent from outside the sub-lineage too
    assert crossover["parent_ids"] == ["b", "c"] and crossover["fitness"] == 0.9
    assert last["parent_ids"] == ["a", "d"] and last["generation"] == 3
    assert first["lineage_fitness"] == pytest.approx(0.9)


def test_lineage_tree_of_a_root_holds_every_descendant() -> None:
    g = family()
    tree = lineage_tree(g, "a", {})
    assert {n["agent_id"] for n in tree["nodes"]} == {"a", "b", "c", "d", "e"}
    assert [n["generation"] for n in tree["nodes"]] == [0, 1, 1, 2, 3]
    assert all(n["fitness"] is None and n["lineage_fitness"] is None for n in tree["nodes"])


# --- invariants on random DAGs ---------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> nx.DiGraph:
    size = draw(st.integers(1, 9))
    g = nx.DiGraph()
    g.add_nodes_from(f"n{i}" for i in range(size))
    pairs = [(i, j) for i in range(size) for j in range(i + 1, size)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True) if pairs else st.just([]))
    g.add_edges_from((f"n{i}", f"n{j}") for i, j in chosen)
    return g


@given(dags())
def test_ancestors_and_descendants_mirror_each_other(g: nx.DiGraph) -> None:
    for a, b in itertools.permutations(g.nodes, 2):
        assert (b in descendants(g, a)) == (a in ancestors(g, b)) == nx.has_path(g, a, b)


@given(dags())
def test_generation_matches_longest_path_within_ancestors(g: nx.DiGraph) -> None:
    for node in g.nodes:
        family_of_node = g.subgraph(ancestors(g, node) | {node})
        assert generation(g, node) == nx.dag_longest_path_length(family_of_node)
        for parent in g.predecessors(node):
            assert generation(g, node) >= generation(g, parent) + 1
    assert all(generation(g, r) == 0 for r in roots(g))


@given(dags(), st.data())
def test_best_path_beats_every_root_to_leaf_path(g: nx.DiGraph, data: st.DataObject) -> None:
    fitness = {
        n: data.draw(st.one_of(st.none(), st.floats(0, 1)), label=n) for n in sorted(g.nodes)
    }
    for root in roots(g):
        path = best_path(g, root, fitness)
        assert path[0] == root and g.out_degree(path[-1]) == 0
        assert all(g.has_edge(u, v) for u, v in itertools.pairwise(path))
        leaves = [n for n in descendants(g, root) | {root} if g.out_degree(n) == 0]
        every_path = [p for leaf in leaves for p in nx.all_simple_paths(g, root, leaf)]
        every_path += [[root]] if g.out_degree(root) == 0 else []
        best = max(sum(fitness[n] or 0.0 for n in p) for p in every_path)
        assert sum(fitness[n] or 0.0 for n in path) == pytest.approx(best)
