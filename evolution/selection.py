"""Budget-aware choice of parents for the next generation.

Each candidate's expected cost is its mean cost per run (from its history,
in whole nano-USD) times the number of evaluation runs planned. Parents are
drawn one at a time by fitness, only among the candidates that still fit the
remaining budget, so the sum of the selected expected costs never exceeds the
budget. A candidate that stops fitting is set aside in ``excluded_for_cost``
(the remaining budget only shrinks, so it could never fit again).

Two ways to draw:

- ``"tournament"``: three distinct affordable candidates are drawn at random
  and the fittest of them wins (ties go to the smaller agent id).
- ``"proportional"``: one affordable candidate is drawn with probability
  proportional to its fitness (uniformly when every fitness is 0).

The draw uses ``random.Random(seed)`` over candidates ordered by agent id, so
the same scores, arguments and seed always give the same parents, whatever
the order of ``scored``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evolution.fitness import AgentFitness

TOURNAMENT_SIZE = 3


class SelectionError(ValueError):
    """Arguments that no selection can honour."""


@dataclass(frozen=True)
class Selected:
    """One chosen parent with the cost its planned runs are expected to incur."""

    agent_id: str
    fitness: float
    expected_cost_nanos: int


@dataclass(frozen=True)
class Selection:
    """The chosen parents in draw order, what cost kept out, and the expected total.

    ``unscored`` lists the agents that were not candidates because they have
    no outcomes (or no runs to estimate a cost from).
    """

    selected: tuple[Selected, ...]
    excluded_for_cost: tuple[str, ...]
    expected_total_nanos: int
    unscored: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Candidate:
    agent_id: str
    fitness: float
    cost: int


def _tournament(pool: list[_Candidate], rng: random.Random) -> _Candidate:
    entrants = rng.sample(pool, min(TOURNAMENT_SIZE, len(pool)))
    return min(entrants, key=lambda c: (-c.fitness, c.agent_id))


def _proportional(pool: list[_Candidate], rng: random.Random) -> _Candidate:
    weights = [max(c.fitness, 0.0) for c in pool]
    if sum(weights) <= 0:
        return rng.choice(pool)
    return rng.choices(pool, weights=weights, k=1)[0]


_METHODS: dict[str, Callable[[list[_Candidate], random.Random], _Candidate]] = {
    "tournament": _tournament,
    "proportional": _proportional,
}


def _candidates(
    scored: Sequence[AgentFitness], runs_planned: int
) -> tuple[list[_Candidate], list[str]]:
    ids = [a.agent_id for a in scored]
    if len(set(ids)) != len(ids):
        raise SelectionError("each agent may appear only once in the population")
    pool: list[_Candidate] = []
    unscored: list[str] = []
    for agent in sorted(scored, key=lambda a: a.agent_id):
        if agent.fitness is None or agent.mean_cost_per_run_nanos is None:
            unscored.append(agent.agent_id)
            continue
        cost = agent.mean_cost_per_run_nanos * runs_planned
        pool.append(_Candidate(agent.agent_id, agent.fitness, cost))
    return pool, unscored


def _check_arguments(n: int, budget_nanos: int, runs_planned: int, method: str) -> None:
    if n <= 0:
        raise SelectionError(f"n must be at least 1, got {n}")
    if budget_nanos < 0:
        raise SelectionError(f"budget must not be negative, got {budget_nanos} nano-USD")
    if runs_planned < 0:
        raise SelectionError(f"runs_planned must not be negative, got {runs_planned}")
    if method not in _METHODS:
        raise SelectionError(f"unknown selection method {method!r}; known: {sorted(_METHODS)}")


def select_parents(
    scored: Sequence[AgentFitness],
    n: int,
    budget_nanos: int,
    runs_planned: int,
    seed: int,
    method: str = "tournament",
) -> Selection:
    """Choose up to ``n`` distinct parents whose expected cost fits ``budget_nanos``.

    Fewer than ``n`` are returned when the affordable candidates run out.
    Unscored agents are never chosen. Deterministic for a given ``seed``.
    """
    _check_arguments(n, budget_nanos, runs_planned, method)
    draw = _METHODS[method]
    rng = random.Random(seed)
    pool, unscored = _candidates(scored, runs_planned)
    selected: list[Selected] = []
    excluded: list[str] = []
    remaining = budget_nanos
    while len(selected) < n and pool:
        too_dear = [c for c in pool if c.cost > remaining]
        excluded.extend(c.agent_id for c in too_dear)
        pool = [c for c in pool if c.cost <= remaining]
        if not pool:
            break
        winner = draw(pool, rng)
        pool.remove(winner)
        remaining -= winner.cost
        selected.append(Selected(winner.agent_id, winner.fitness, winner.cost))
    return Selection(
        selected=tuple(selected),
        excluded_for_cost=tuple(excluded),
        expected_total_nanos=budget_nanos - remaining,
        unscored=tuple(unscored),
    )
