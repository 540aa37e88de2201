"""Analysis of agent lineages held in a networkx ``DiGraph``.

Direction: every edge goes **parent -> child** (from the agent that was
derived from, to the agent derived from it), the way a family tree is read.
The graph database stores the opposite direction, ``(child)-[:DERIVED_FROM]->
(parent)``; ``evolution.graph_io.load_lineage`` turns it around. Node ids
are agent ids; nodes may carry ``name``, ``type`` and ``version`` attributes.

An agent may have several parents (a crossover), so a lineage is a directed
acyclic graph rather than a tree. Every function refuses a graph with a cycle
(``LineageCycleError``) and an agent id that is not in the graph
(``UnknownAgentError``, also a ``KeyError``).

Fitness maps agent ids to a score in [0, 1] or None (no outcomes yet); an
agent missing from the mapping counts as None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import networkx as nx

Fitness = Mapping[str, float | None]


class LineageError(ValueError):
    """A lineage question that cannot be answered."""


class UnknownAgentError(LineageError, KeyError):
    """The agent id is not a node of the lineage graph."""

    def __str__(self) -> str:
        # KeyError would quote the message; keep it readable
        return str(self.args[0]) if self.args else ""


class LineageCycleError(LineageError):
    """The lineage graph has a cycle: an agent would be its own ancestor."""


def _check_acyclic(g: nx.DiGraph) -> None:
    if nx.is_directed_acyclic_graph(g):
        return
    cycle = [edge[0] for edge in nx.find_cycle(g)]
    raise LineageCycleError("lineage has a cycle: " + " -> ".join([*cycle, cycle[0]]))


def _check(g: nx.DiGraph, *agent_ids: str) -> None:
    for agent_id in agent_ids:
        if agent_id not in g:
            raise UnknownAgentError(f"unknown agent {agent_id!r}")
    _check_acyclic(g)


def _score(fitness: Fitness, agent_id: str) -> float | None:
    return fitness.get(agent_id)


def ancestors(g: nx.DiGraph, agent_id: str) -> set[str]:
    """Every agent this one was derived from, directly or not (itself excluded)."""
    _check(g, agent_id)
    return set(nx.ancestors(g, agent_id))


def descendants(g: nx.DiGraph, agent_id: str) -> set[str]:
    """Every agent derived from this one, directly or not (itself excluded)."""
    _check(g, agent_id)
    return set(nx.descendants(g, agent_id))


def roots(g: nx.DiGraph) -> list[str]:
    """The agents without parents, sorted by id."""
    _check_acyclic(g)
    return sorted(node for node, degree in g.in_degree() if degree == 0)


def roots_of(g: nx.DiGraph, agent_id: str) -> list[str]:
    """The roots this agent descends from (itself when it is a root), sorted."""
    _check(g, agent_id)
    family = nx.ancestors(g, agent_id) | {agent_id}
    return sorted(node for node in family if g.in_degree(node) == 0)


def generations(g: nx.DiGraph) -> dict[str, int]:
    """The generation of every agent: roots are 0, others 1 + their oldest parent's.

    With several parents the longest path from a root counts, so a child is
    always at least one generation below each of its parents.
    """
    _check_acyclic(g)
    depth: dict[str, int] = {}
    for node in nx.topological_sort(g):
        parents = list(g.predecessors(node))
        depth[node] = 1 + max(depth[p] for p in parents) if parents else 0
    return depth


def generation(g: nx.DiGraph, agent_id: str) -> int:
    """The agent's generation: the length of the longest path to it from a root."""
    _check(g, agent_id)
    return generations(g)[agent_id]


def best_path(g: nx.DiGraph, root: str, fitness: Fitness) -> list[str]:
    """The path from ``root`` down to a leaf whose summed fitness is the highest.

    ``root`` may be any agent (the path then runs through its sub-lineage).
    Unscored agents add 0 to a path. Among equal sums the path whose next
    agent id is smallest wins, so the answer is deterministic.
    """
    _check(g, root)
    reachable = nx.descendants(g, root) | {root}
    best: dict[str, tuple[float, list[str]]] = {}
    for node in reversed(list(nx.topological_sort(g.subgraph(reachable)))):
        own = _score(fitness, node) or 0.0
        children = sorted(g.successors(node))
        if not children:
            best[node] = (own, [node])
            continue
        top = children[0]
        for child in children[1:]:
            if best[child][0] > best[top][0]:
                top = child
        best[node] = (own + best[top][0], [node, *best[top][1]])
    return best[root][1]


def _depths_below(g: nx.DiGraph, agent_id: str) -> dict[str, int]:
    return dict(nx.single_source_shortest_path_length(g, agent_id))


def lineage_fitness(
    g: nx.DiGraph, agent_id: str, fitness: Fitness, decay: float = 0.5
) -> float | None:
    """The agent's fitness blended with its descendants', discounted per generation.

    Each scored agent of the sub-lineage (the agent itself at depth 0, its
    children at depth 1, ...) weighs ``decay ** depth``, where depth is the
    fewest generations between the two; the result is the weighted mean
    ``sum(w * fitness) / sum(w)``, so it stays in [0, 1]. Unscored agents are
    left out of both sums; None when nobody in the sub-lineage is scored.
    ``decay`` must lie in [0, 1]: 0 gives the agent's own fitness, 1 the
    plain mean over the sub-lineage.
    """
    _check(g, agent_id)
    return _lineage_fitness(g, agent_id, fitness, decay)


def _lineage_fitness(g: nx.DiGraph, agent_id: str, fitness: Fitness, decay: float) -> float | None:
    if not math.isfinite(decay) or not 0 <= decay <= 1:
        raise LineageError(f"decay must lie in [0, 1], got {decay}")
    weighted: list[float] = []
    weights: list[float] = []
    for node, depth in _depths_below(g, agent_id).items():
        score = _score(fitness, node)
        if score is None:
            continue
        weight = decay**depth
        weighted.append(weight * score)
        weights.append(weight)
    total = math.fsum(weights)
    if not weights or total == 0:
        return None
    # a weighted mean of scores in [0, 1]; rounding must not push it outside
    return min(1.0, max(0.0, math.fsum(weighted) / total))


def lineage_tree(g: nx.DiGraph, root: str, fitness: Fitness, decay: float = 0.5) -> dict[str, Any]:
    """The sub-lineage under ``root`` in the wire shape of ``GET /v1/evolution/lineages``.

    ``{"root": id, "nodes": [{"agent_id", "parent_ids", "generation",
    "fitness", "lineage_fitness"}]}`` with nodes ordered by generation, then
    id. ``parent_ids`` lists every parent in the graph (a crossover may have a
    parent outside the sub-lineage); ``generation`` is counted from the roots
    of the whole graph; ``lineage_fitness`` is :func:`lineage_fitness` with
    ``decay``.
    """
    _check(g, root)
    depth = generations(g)
    members = sorted(nx.descendants(g, root) | {root}, key=lambda n: (depth[n], n))
    nodes = [
        {
            "agent_id": node,
            "parent_ids": sorted(g.predecessors(node)),
            "generation": depth[node],
            "fitness": _score(fitness, node),
            "lineage_fitness": _lineage_fitness(g, node, fitness, decay),
        }
        for node in members
    ]
    return {"root": root, "nodes": nodes}
