"""Budget-aware parent selection."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evolution.fitness import AgentFitness, FitnessDimensions
from evolution.selection import Selection, SelectionError, select_parents

METHODS = ("tournament", "proportional")


def agent(agent_id: str, fitness: float | None, cost_per_run: int | None) -> AgentFitness:
    dims = None if fitness is None else FitnessDimensions(fitness, fitness, fitness)
    runs = 0 if cost_per_run is None else 4
    return AgentFitness(
        agent_id=agent_id,
        dimensions=dims,
        fitness=fitness,
        runs=runs,
        cost_nanos=0 if cost_per_run is None else cost_per_run * runs,
        mean_cost_per_run_nanos=cost_per_run,
    )


def ids(selection: Selection) -> list[str]:
    return [s.agent_id for s in selection.selected]


def test_expected_cost_is_mean_cost_per_run_times_runs_planned() -> None:
    result = select_parents(
        [agent("a", 0.9, 1_500)], n=1, budget_nanos=10**9, runs_planned=7, seed=0
    )
    assert result.selected[0].expected_cost_nanos == 10_500
    assert result.selected[0].fitness == 0.9
    assert result.expected_total_nanos == 10_500
    assert result.excluded_for_cost == ()


def test_agent_too_dear_for_the_whole_budget_is_excluded_for_cost() -> None:
    population = [agent("dear", 1.0, 1_000), agent("cheap", 0.2, 10)]
    result = select_parents(population, n=2, budget_nanos=5_000, runs_planned=10, seed=3)
    assert ids(result) == ["cheap"]
    assert result.excluded_for_cost == ("dear",)
    assert result.expected_total_nanos == 100


def test_agent_that_no_longer_fits_after_a_pick_is_excluded() -> None:
    # both fit alone, not together; tournament over two always picks the fitter
    population = [agent("best", 0.9, 60), agent("next", 0.5, 60)]
    result = select_parents(population, n=2, budget_nanos=100, runs_planned=1, seed=11)
    assert ids(result) == ["best"]
    assert result.excluded_for_cost == ("next",)


def test_agents_left_out_because_n_was_reached_are_not_excluded_for_cost() -> None:
    population = [agent("a", 0.9, 60), agent("b", 0.5, 60)]
    result = select_parents(population, n=1, budget_nanos=100, runs_planned=1, seed=11)
    assert ids(result) == ["a"]
    assert result.excluded_for_cost == ()


def test_zero_budget_takes_only_free_agents() -> None:
    population = [agent("free", 0.1, 0), agent("paid", 0.9, 1)]
    result = select_parents(population, n=2, budget_nanos=0, runs_planned=5, seed=1)
    assert ids(result) == ["free"]
    assert result.excluded_for_cost == ("paid",)


def test_no_runs_planned_costs_nothing() -> None:
    population = [agent(f"a{i}", 0.5, 10**9) for i in range(4)]
    result = select_parents(population, n=3, budget_nanos=0, runs_planned=0, seed=2)
    assert len(result.selected) == 3 and result.expected_total_nanos == 0


def test_unscored_agents_are_never_selected() -> None:
    population = [agent("new", None, None), agent("measured", 0.1, 10)]
    result = select_parents(population, n=2, budget_nanos=10**6, runs_planned=1, seed=4)
    assert ids(result) == ["measured"]
    assert result.unscored == ("new",)


@pytest.mark.parametrize("seed", range(10))
def test_tournament_over_a_small_pool_picks_the_fittest(seed: int) -> None:
    population = [agent("low", 0.1, 1), agent("high", 0.8, 1), agent("mid", 0.5, 1)]
    result = select_parents(population, n=1, budget_nanos=100, runs_planned=1, seed=seed)
    assert ids(result) == ["high"]


def test_tournament_favours_fitter_agents_over_many_seeds() -> None:
    population = [agent(f"a{i}", i / 10, 1) for i in range(10)]
    wins = {a.agent_id: 0 for a in population}
    for seed in range(300):
        wins[ids(select_parents(population, 1, 10, 1, seed))[0]] += 1
    assert wins["a9"] > wins["a5"] > wins["a1"]
    assert wins["a0"] == wins["a1"] == 0  # a size-3 tournament never crowns the two weakest


@pytest.mark.parametrize("seed", range(10))
def test_proportional_never_draws_zero_fitness_while_others_are_positive(seed: int) -> None:
    population = [agent("zero", 0.0, 1), agent("some", 0.3, 1), agent("none", 0.0, 1)]
    result = select_parents(population, 1, 100, 1, seed, method="proportional")
    assert ids(result) == ["some"]


def test_proportional_with_all_zero_fitness_still_selects() -> None:
    population = [agent("x", 0.0, 1), agent("y", 0.0, 1)]
    result = select_parents(population, 2, 100, 1, seed=5, method="proportional")
    assert sorted(ids(result)) == ["x", "y"]


def test_proportional_follows_fitness_over_many_seeds() -> None:
    population = [agent("strong", 0.9, 1), agent("weak", 0.1, 1)]
    picks = [ids(select_parents(population, 1, 10, 1, s, "proportional"))[0] for s in range(400)]
    assert 300 < picks.count("strong") < 400


@pytest.mark.parametrize(
    ("n", "budget", "runs", "method"),
    [
        (0, 10, 1, "tournament"),
        (1, -1, 1, "tournament"),
        (1, 10, -1, "tournament"),
        (1, 10, 1, "x"),
    ],
)
def test_bad_arguments_are_refused(n: int, budget: int, runs: int, method: str) -> None:
    with pytest.raises(SelectionError):
        select_parents([agent("a", 0.5, 1)], n, budget, runs, seed=0, method=method)


def test_duplicate_agents_are_refused() -> None:
    with pytest.raises(SelectionError):
        select_parents([agent("a", 0.5, 1), agent("a", 0.4, 1)], 1, 10, 1, seed=0)


# --- invariants -------------------------------------------------------------------


@st.composite
def populations(draw: st.DrawFn) -> list[AgentFitness]:
    size = draw(st.integers(0, 12))
    population = []
    for i in range(size):
        fitness = draw(st.one_of(st.none(), st.floats(0, 1)))
        cost = None if fitness is None else draw(st.integers(0, 10**6))
        population.append(agent(f"agent-{i}", fitness, cost))
    return population


selection_args = {
    "population": populations(),
    "n": st.integers(1, 8),
    "budget": st.integers(0, 10**7),
    "runs": st.integers(0, 20),
    "seed": st.integers(0, 2**32),
    "method": st.sampled_from(METHODS),
}


@given(**selection_args)
def test_selection_never_exceeds_the_budget_nor_repeats(
    population: list[AgentFitness], n: int, budget: int, runs: int, seed: int, method: str
) -> None:
    result = select_parents(population, n, budget, runs, seed, method)
    chosen = ids(result)
    assert len(chosen) == len(set(chosen)) <= n
    assert sum(s.expected_cost_nanos for s in result.selected) == result.expected_total_nanos
    assert result.expected_total_nanos <= budget
    by_id = {a.agent_id: a for a in population}
    for s in result.selected:
        source = by_id[s.agent_id]
        assert source.fitness is not None and s.fitness == source.fitness
        assert s.expected_cost_nanos == source.mean_cost_per_run_nanos * runs
    remaining = budget - result.expected_total_nanos
    assert not set(chosen) & set(result.excluded_for_cost)
    for agent_id in result.excluded_for_cost:
        assert by_id[agent_id].mean_cost_per_run_nanos * runs > remaining
    candidates = {a.agent_id for a in population if a.fitness is not None}
    if len(chosen) < n:
        # stopping short means every candidate was either chosen or unaffordable
        assert set(chosen) | set(result.excluded_for_cost) == candidates


@given(**selection_args)
def test_selection_is_deterministic_for_a_seed_whatever_the_input_order(
    population: list[AgentFitness], n: int, budget: int, runs: int, seed: int, method: str
) -> None:
    first = select_parents(population, n, budget, runs, seed, method)
    shuffled = list(population)
    random.Random(seed).shuffle(shuffled)
    assert select_parents(shuffled, n, budget, runs, seed, method) == first
    assert select_parents(population, n, budget, runs, seed, method) == first
