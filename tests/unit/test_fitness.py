"""Fitness dimensions, weights and population scoring on hand-built statistics."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evolution.fitness import (
    AgentFitness,
    AgentStats,
    FitnessDimensions,
    FitnessError,
    FitnessWeights,
    score_population,
)


def stats(
    agent_id: str,
    *,
    runs: int = 10,
    outcomes: int = 10,
    successes: int = 10,
    quality_sum: float | None = None,
    tokens: int = 10_000,
    duration_s: float = 100.0,
    cost_nanos: int = 1_000_000,
) -> AgentStats:
    return AgentStats(
        agent_id=agent_id,
        runs=runs,
        successes=successes,
        quality_sum=float(outcomes) if quality_sum is None else quality_sum,
        outcomes=outcomes,
        tokens=tokens,
        duration_s=duration_s,
        cost_nanos=cost_nanos,
    )


def by_id(population: list[AgentStats]) -> dict[str, AgentFitness]:
    return {a.agent_id: a for a in score_population(population)}


# --- weights ---------------------------------------------------------------


def test_default_weights_are_the_documented_split() -> None:
    assert FitnessWeights().as_dict() == pytest.approx(
        {"effectiveness": 0.4, "efficiency": 0.3, "cost_efficiency": 0.3}
    )


def test_weights_are_normalised_to_sum_one() -> None:
    weights = FitnessWeights(effectiveness=2, efficiency=1, cost_efficiency=1)
    assert weights.as_dict() == pytest.approx(
        {"effectiveness": 0.5, "efficiency": 0.25, "cost_efficiency": 0.25}
    )


def test_parse_reads_all_three_names() -> None:
    weights = FitnessWeights.parse("effectiveness:1, efficiency:0 ,cost_efficiency:3")
    assert weights.as_dict() == pytest.approx(
        {"effectiveness": 0.25, "efficiency": 0.0, "cost_efficiency": 0.75}
    )


def test_parse_keeps_defaults_for_names_left_out() -> None:
    weights = FitnessWeights.parse("cost_efficiency:0.6")
    # 0.4 / 0.3 / 0.6 before normalisation
    assert weights.as_dict() == pytest.approx(
        {"effectiveness": 0.4 / 1.3, "efficiency": 0.3 / 1.3, "cost_efficiency": 0.6 / 1.3}
    )


def test_parse_of_empty_text_gives_defaults() -> None:
    assert FitnessWeights.parse("") == FitnessWeights()


@pytest.mark.parametrize(
    "text",
    [
        "speed:1",
        "effectiveness:-0.1",
        "effectiveness:0,efficiency:0,cost_efficiency:0",
        "effectiveness:0.5,effectiveness:0.5",
        "effectiveness",
        "effectiveness:lots",
        "effectiveness:nan",
        "effectiveness:inf",
    ],
)
def test_parse_refuses_bad_weights(text: str) -> None:
    with pytest.raises(FitnessError):
        FitnessWeights.parse(text)


def test_fitness_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        FitnessWeights(effectiveness=-1)


# --- statistics ------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"successes": 11},
        {"outcomes": 11, "successes": 5},
        {"tokens": -1},
        {"cost_nanos": -5},
        {"quality_sum": 10.5},
        {"duration_s": -1.0},
        {"duration_s": math.nan},
    ],
)
def test_inconsistent_stats_are_refused(kwargs: dict) -> None:
    with pytest.raises(FitnessError):
        stats("a", **kwargs)


def test_mean_cost_per_run_rounds_half_to_even() -> None:
    assert stats("a", runs=2, outcomes=0, successes=0, cost_nanos=5).mean_cost_per_run_nanos == 2
    assert stats("a", runs=2, outcomes=0, successes=0, cost_nanos=7).mean_cost_per_run_nanos == 4
    assert stats("a", runs=0, outcomes=0, successes=0, cost_nanos=0).mean_cost_per_run_nanos is None


# --- dimensions --------------------------------------------------------------


def test_effectiveness_is_success_rate_times_mean_quality() -> None:
    scored = by_id([stats("a", runs=4, outcomes=4, successes=3, quality_sum=2.0)])
    assert scored["a"].dimensions.effectiveness == pytest.approx(0.75 * 0.5)


def test_at_equal_effectiveness_and_efficiency_the_cheaper_agent_scores_higher() -> None:
    scored = score_population([stats("dear", cost_nanos=4_000_000), stats("cheap")])
    assert [a.agent_id for a in scored] == ["cheap", "dear"]
    cheap, dear = scored
    assert cheap.dimensions.effectiveness == dear.dimensions.effectiveness
    assert cheap.dimensions.efficiency == dear.dimensions.efficiency
    assert cheap.dimensions.cost_efficiency == 1.0
    assert dear.dimensions.cost_efficiency == pytest.approx(0.25)
    assert cheap.fitness > dear.fitness


def test_cost_efficiency_counts_cost_per_successful_task() -> None:
    # same cost per run, but "flaky" succeeds half as often: twice the cost per success
    scored = by_id([stats("steady"), stats("flaky", successes=5, quality_sum=10.0)])
    assert scored["steady"].dimensions.cost_efficiency == 1.0
    assert scored["flaky"].dimensions.cost_efficiency == pytest.approx(0.5)


def test_runs_without_outcomes_do_not_distort_cost_per_success() -> None:
    # "partial" recorded outcomes for half of its runs; per run it costs the same
    partial = stats("partial", runs=10, outcomes=5, successes=5, cost_nanos=2_000_000)
    full = stats("full", runs=5, outcomes=5, successes=5, cost_nanos=1_000_000)
    scored = by_id([partial, full])
    assert scored["partial"].dimensions.cost_efficiency == 1.0
    assert scored["full"].dimensions.cost_efficiency == 1.0


def test_efficiency_averages_token_and_time_leanness() -> None:
    scored = by_id([stats("lean"), stats("hungry", tokens=20_000), stats("slow", duration_s=400.0)])
    assert scored["lean"].dimensions.efficiency == 1.0
    assert scored["hungry"].dimensions.efficiency == pytest.approx((0.5 + 1.0) / 2)
    assert scored["slow"].dimensions.efficiency == pytest.approx((1.0 + 0.25) / 2)


def test_agent_with_outcomes_but_no_success_gets_zero_efficiencies() -> None:
    scored = by_id([stats("good"), stats("bad", successes=0, quality_sum=3.0, cost_nanos=1)])
    assert scored["bad"].dimensions == FitnessDimensions(0.0, 0.0, 0.0)
    assert scored["bad"].fitness == 0.0
    # the failing agent's low cost is not the population's cheapest success
    assert scored["good"].dimensions.cost_efficiency == 1.0


def test_agent_that_spent_nothing_is_the_cheapest() -> None:
    scored = by_id([stats("free", cost_nanos=0), stats("paid")])
    assert scored["free"].dimensions.cost_efficiency == 1.0
    assert scored["paid"].dimensions.cost_efficiency == 0.0


def test_agents_without_outcomes_are_reported_unscored_and_last() -> None:
    newborn = stats("aaa-newborn", runs=3, outcomes=0, successes=0, cost_nanos=1)
    scored = score_population([newborn, stats("b"), stats("c", successes=1, quality_sum=1.0)])
    assert [a.agent_id for a in scored] == ["b", "c", "aaa-newborn"]
    last = scored[-1]
    assert last.dimensions is None and last.fitness is None and not last.scored
    assert last.runs == 3 and last.cost_nanos == 1 and last.mean_cost_per_run_nanos == 0


def test_unscored_agents_do_not_move_the_population_minimum() -> None:
    alone = by_id([stats("a", cost_nanos=500_000), stats("b")])
    with_newborn = by_id(
        [
            stats("a", cost_nanos=500_000),
            stats("b"),
            stats("n", outcomes=0, successes=0, cost_nanos=0),
        ]
    )
    assert alone["b"].dimensions == with_newborn["b"].dimensions


def test_weights_change_the_ranking() -> None:
    # "sharp" solves more and better but costs five times as much per run
    sharp = stats("sharp", successes=10, quality_sum=9.0, cost_nanos=5_000_000)
    thrifty = stats("thrifty", successes=6, quality_sum=6.0, cost_nanos=1_000_000)
    quality_first = FitnessWeights.parse("effectiveness:1,efficiency:0,cost_efficiency:0")
    cost_first = FitnessWeights.parse("effectiveness:0,efficiency:0,cost_efficiency:1")
    assert score_population([sharp, thrifty], quality_first)[0].agent_id == "sharp"
    assert score_population([sharp, thrifty], cost_first)[0].agent_id == "thrifty"


def test_duplicate_agents_are_refused() -> None:
    with pytest.raises(FitnessError):
        score_population([stats("a"), stats("a")])


# --- invariants ----------------------------------------------------------------


@st.composite
def agent_stats(draw: st.DrawFn, agent_id: str) -> AgentStats:
    runs = draw(st.integers(0, 50))
    outcomes = draw(st.integers(0, runs))
    successes = draw(st.integers(0, outcomes))
    quality = draw(st.lists(st.floats(0, 1), min_size=outcomes, max_size=outcomes))
    return AgentStats(
        agent_id=agent_id,
        runs=runs,
        successes=successes,
        quality_sum=math.fsum(quality),
        outcomes=outcomes,
        tokens=draw(st.integers(0, 10**9)),
        duration_s=draw(st.floats(0, 1e6)),
        cost_nanos=draw(st.integers(0, 10**15)),
    )


populations = st.integers(1, 8).flatmap(
    lambda size: st.tuples(*(agent_stats(f"agent-{i}") for i in range(size)))
)


@given(populations, st.floats(0.01, 10), st.floats(0, 10), st.floats(0, 10))
def test_scores_lie_in_unit_interval_and_are_sorted(
    population: tuple[AgentStats, ...], w1: float, w2: float, w3: float
) -> None:
    weights = FitnessWeights(w1, w2, w3)
    scored = score_population(population, weights)
    assert sorted(a.agent_id for a in scored) == sorted(s.agent_id for s in population)
    fitnesses = [a.fitness for a in scored if a.fitness is not None]
    assert fitnesses == sorted(fitnesses, reverse=True)
    seen_unscored = False
    for agent in scored:
        if agent.fitness is None:
            seen_unscored = True
            assert agent.dimensions is None
            continue
        assert not seen_unscored, "a scored agent sorted after an unscored one"
        dims = agent.dimensions
        assert dims is not None
        for value in (dims.effectiveness, dims.efficiency, dims.cost_efficiency):
            assert 0.0 <= value <= 1.0
        expected = (
            weights.effectiveness * dims.effectiveness
            + weights.efficiency * dims.efficiency
            + weights.cost_efficiency * dims.cost_efficiency
        )
        assert agent.fitness == pytest.approx(expected)
        assert -1e-12 <= agent.fitness <= 1.0 + 1e-12


@given(populations)
def test_cheapest_successful_agent_has_cost_efficiency_one(
    population: tuple[AgentStats, ...],
) -> None:
    succeeded = [s for s in population if s.successes > 0]
    scored = {a.agent_id: a for a in score_population(population)}
    for s in population:
        if s.outcomes == 0:
            assert scored[s.agent_id].fitness is None
        elif s.successes == 0:
            assert scored[s.agent_id].dimensions.cost_efficiency == 0.0
    if not succeeded:
        return

    def cost_per_success(s: AgentStats) -> float:
        return s.cost_nanos * s.outcomes / (s.runs * s.successes)

    cheapest = min(succeeded, key=cost_per_success)
    assert scored[cheapest.agent_id].dimensions.cost_efficiency == 1.0
    for s in succeeded:
        if cost_per_success(s) > 0:
            assert scored[s.agent_id].dimensions.cost_efficiency == pytest.approx(
                cost_per_success(cheapest) / cost_per_success(s)
            )
