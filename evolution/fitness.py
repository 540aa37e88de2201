"""Fitness of agents from their usage history and recorded outcomes.

Three dimensions, each a number in [0, 1]:

- **effectiveness** = success rate x mean quality, both over the runs that
  have an outcome: ``(successes / outcomes) * (quality_sum / outcomes)``.
  An agent that always succeeds with quality 1.0 scores 1; one that succeeds
  half the time with mean quality 0.8 scores 0.4.
- **efficiency** = how lean the agent is per *successful* task, relative to
  the leanest agent of the population. Two ratios are averaged with equal
  weight: tokens per success and seconds per success, each as
  ``lowest_in_population / own`` (1 = the leanest agent, a twice as hungry
  agent scores 0.5). Tokens per success is the mean tokens per run divided by
  the success rate, so agents whose outcomes cover only some of their runs are
  compared fairly; seconds per success is the total outcome duration divided
  by the number of successes.
- **cost_efficiency** = ``lowest_cost_per_success / own_cost_per_success``
  (1 = the cheapest agent). Cost per success is the mean cost per run divided
  by the success rate, computed exactly with integer fractions of nano-USD;
  only the final ratio becomes a float.

A ratio whose own value and the population's lowest are both zero is 1 (an
agent that spent nothing is as lean as it gets). An agent with outcomes but
no success gets 0 for efficiency and cost efficiency: it has no successful
task to divide by. An agent with no outcomes is *unscored*: its dimensions
and fitness are None, never 0, and it sorts after every scored agent.

The overall fitness is the weighted sum of the three dimensions with weights
that are normalised to sum to 1 (default 0.4 / 0.3 / 0.3), so it also lies in
[0, 1]. Scores are plain floats: they are ratios, not money.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.money import round_nanos

DIMENSIONS = ("effectiveness", "efficiency", "cost_efficiency")
DEFAULT_WEIGHTS = {"effectiveness": 0.4, "efficiency": 0.3, "cost_efficiency": 0.3}


class FitnessError(ValueError):
    """Invalid weights or agent statistics."""


@dataclass(frozen=True)
class AgentStats:
    """What one agent did: runs, outcomes, tokens, time and money (nano-USD).

    ``runs`` counts the distinct runs with usage or an outcome; ``outcomes``
    the runs whose result was recorded, ``successes`` those that succeeded and
    ``quality_sum`` their summed quality scores (each in [0, 1]);
    ``duration_s`` is the summed duration of the recorded outcomes.
    """

    agent_id: str
    runs: int
    successes: int
    quality_sum: float
    outcomes: int
    tokens: int
    duration_s: float
    cost_nanos: int

    def __post_init__(self) -> None:
        if not self.agent_id:
            raise FitnessError("agent_id must not be empty")
        for name in ("runs", "successes", "outcomes", "tokens", "cost_nanos"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FitnessError(f"{self.agent_id}: {name} must be a non-negative integer")
        if not self.successes <= self.outcomes <= self.runs:
            raise FitnessError(f"{self.agent_id}: need successes <= outcomes <= runs")
        if not math.isfinite(self.quality_sum) or not 0 <= self.quality_sum <= self.outcomes:
            raise FitnessError(f"{self.agent_id}: quality_sum must lie in [0, outcomes]")
        if not math.isfinite(self.duration_s) or self.duration_s < 0:
            raise FitnessError(f"{self.agent_id}: duration_s must be a non-negative number")

    @property
    def mean_cost_per_run_nanos(self) -> int | None:
        """Mean cost of one run in whole nano-USD (half-even), None without runs."""
        if self.runs == 0:
            return None
        return round_nanos(Decimal(self.cost_nanos) / Decimal(self.runs))


@dataclass(frozen=True)
class FitnessWeights:
    """Relative weights of the three dimensions; normalised to sum to 1 on creation."""

    effectiveness: float = 0.4
    efficiency: float = 0.3
    cost_efficiency: float = 0.3

    def __post_init__(self) -> None:
        values = [float(getattr(self, name)) for name in DIMENSIONS]
        for name, value in zip(DIMENSIONS, values, strict=True):
            if not math.isfinite(value) or value < 0:
                raise FitnessError(f"weight {name} must be a non-negative number, got {value}")
        total = math.fsum(values)
        if total == 0:
            raise FitnessError("at least one weight must be above zero")
        for name, value in zip(DIMENSIONS, values, strict=True):
            object.__setattr__(self, name, value / total)

    @classmethod
    def parse(cls, text: str) -> FitnessWeights:
        """Read ``"effectiveness:0.4,efficiency:0.3,cost_efficiency:0.3"``.

        Dimensions left out keep their default weight before normalisation, so
        ``"cost_efficiency:0.6"`` doubles the weight of cost relative to the
        defaults. An empty text gives the defaults. Unknown names, repeated
        names, negative or non-numeric values and all-zero weights are refused.
        """
        given: dict[str, float] = {}
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            name, sep, raw = (piece.strip() for piece in item.partition(":"))
            if not sep:
                raise FitnessError(f"weight {item!r} is not of the form name:value")
            if name not in DIMENSIONS:
                raise FitnessError(f"unknown fitness dimension {name!r}; known: {DIMENSIONS}")
            if name in given:
                raise FitnessError(f"weight {name!r} given twice")
            try:
                given[name] = float(raw)
            except ValueError:
                raise FitnessError(f"weight {name!r} is not a number: {raw!r}") from None
        return cls.from_mapping(given)

    @classmethod
    def from_mapping(cls, given: Mapping[str, float]) -> FitnessWeights:
        """Weights from ``{"effectiveness": 0.4, ...}``, with :meth:`parse`'s rules.

        Dimensions left out keep their default weight before normalisation;
        unknown names and values that are not numbers are refused.
        """
        unknown = sorted(set(given) - set(DIMENSIONS))
        if unknown:
            raise FitnessError(f"unknown fitness dimension {unknown[0]!r}; known: {DIMENSIONS}")
        values: dict[str, float] = {}
        for name in DIMENSIONS:
            value = given.get(name, DEFAULT_WEIGHTS[name])
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FitnessError(f"weight {name!r} is not a number: {value!r}")
            values[name] = float(value)
        return cls(**values)

    def as_dict(self) -> dict[str, float]:
        """The normalised weights by dimension name."""
        return {name: float(getattr(self, name)) for name in DIMENSIONS}


@dataclass(frozen=True)
class FitnessDimensions:
    """The three scores of one agent, each in [0, 1]."""

    effectiveness: float
    efficiency: float
    cost_efficiency: float

    def overall(self, weights: FitnessWeights) -> float:
        """The weighted sum of the dimensions (weights are already normalised), in [0, 1]."""
        total = math.fsum(getattr(self, name) * getattr(weights, name) for name in DIMENSIONS)
        # normalised float weights may sum to 1 plus an ulp; keep the documented range
        return min(1.0, max(0.0, total))


@dataclass(frozen=True)
class AgentFitness:
    """One agent's scores; ``dimensions`` and ``fitness`` are None when it has no outcomes."""

    agent_id: str
    dimensions: FitnessDimensions | None
    fitness: float | None
    runs: int
    cost_nanos: int
    mean_cost_per_run_nanos: int | None

    @property
    def scored(self) -> bool:
        """Whether the agent has outcomes and therefore a fitness."""
        return self.fitness is not None


def _per_success_tokens(s: AgentStats) -> Fraction:
    # mean tokens per run divided by the success rate
    return Fraction(s.tokens * s.outcomes, s.runs * s.successes)


def _per_success_cost(s: AgentStats) -> Fraction:
    # mean cost per run divided by the success rate, exact in nano-USD
    return Fraction(s.cost_nanos * s.outcomes, s.runs * s.successes)


def _per_success_seconds(s: AgentStats) -> Fraction:
    return Fraction(s.duration_s) / s.successes


def _leanness(own: Fraction, lowest: Fraction) -> float:
    """``lowest / own`` with 0/0 = 1 (both spent nothing)."""
    if own == 0:
        return 1.0
    return float(lowest / own)


def _effectiveness(s: AgentStats) -> float:
    success_rate = Fraction(s.successes, s.outcomes)
    mean_quality = Fraction(s.quality_sum) / s.outcomes
    return min(1.0, float(success_rate * mean_quality))


def _dimensions(
    s: AgentStats, lowest: tuple[Fraction, Fraction, Fraction] | None
) -> FitnessDimensions:
    effectiveness = _effectiveness(s)
    if s.successes == 0 or lowest is None:
        return FitnessDimensions(effectiveness, 0.0, 0.0)
    low_tokens, low_seconds, low_cost = lowest
    efficiency = (
        _leanness(_per_success_tokens(s), low_tokens)
        + _leanness(_per_success_seconds(s), low_seconds)
    ) / 2
    cost_efficiency = _leanness(_per_success_cost(s), low_cost)
    return FitnessDimensions(effectiveness, efficiency, cost_efficiency)


def _population_lowest(
    stats: Sequence[AgentStats],
) -> tuple[Fraction, Fraction, Fraction] | None:
    succeeded = [s for s in stats if s.successes > 0]
    if not succeeded:
        return None
    return (
        min(_per_success_tokens(s) for s in succeeded),
        min(_per_success_seconds(s) for s in succeeded),
        min(_per_success_cost(s) for s in succeeded),
    )


def _sort_key(item: AgentFitness) -> tuple[int, float, str]:
    if item.fitness is None:
        return (1, 0.0, item.agent_id)
    return (0, -item.fitness, item.agent_id)


def score_population(
    stats: Iterable[AgentStats], weights: FitnessWeights = FitnessWeights()
) -> list[AgentFitness]:
    """Score every agent against the others, best first, unscored agents last.

    Efficiency and cost efficiency are relative to the leanest and cheapest
    agents of this population, so the same agent can score differently in a
    different population. Ties are broken by agent id. Each agent id may
    appear once.
    """
    population = list(stats)
    ids = [s.agent_id for s in population]
    if len(set(ids)) != len(ids):
        raise FitnessError("each agent may appear only once in a population")
    lowest = _population_lowest(population)
    scored: list[AgentFitness] = []
    for s in population:
        dims = _dimensions(s, lowest) if s.outcomes > 0 else None
        scored.append(
            AgentFitness(
                agent_id=s.agent_id,
                dimensions=dims,
                fitness=dims.overall(weights) if dims else None,
                runs=s.runs,
                cost_nanos=s.cost_nanos,
                mean_cost_per_run_nanos=s.mean_cost_per_run_nanos,
            )
        )
    return sorted(scored, key=_sort_key)
