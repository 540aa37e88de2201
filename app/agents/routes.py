"""Agents and their lineage, run outcomes, fitness and budget-aware parent selection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

import neo4j
from fastapi import APIRouter, Query

from app.agents.schemas import (
    AgentCreate,
    AgentPublic,
    AgentRegistered,
    AgentScore,
    FitnessReport,
    LineageNode,
    LineageTree,
    OutcomeCreate,
    OutcomePublic,
    SelectedParent,
    SelectionResult,
    SelectRequest,
)
from app.auth.deps import NeedsIngest, NeedsRead
from app.deps import DriverDep, SettingsDep
from app.errors import Conflict, InvalidInput, NotFound
from app.money import MoneyError, format_usd, usd_to_nanos
from evolution import (
    AgentFitness,
    AgentStats,
    EvolutionInputError,
    FitnessError,
    FitnessWeights,
    LineageCycleError,
    RegisteredAgent,
    SelectionError,
    UnknownAgentError,
    ancestors,
    descendants,
    lineage_tree,
    load_agent,
    load_lineage,
    load_stats,
    record_outcome,
    register_agent,
    score_population,
    select_parents,
)

router = APIRouter()

WEIGHTS_EXAMPLE = "effectiveness:0.4,efficiency:0.3,cost_efficiency:0.3"


def _agent_public(agent: RegisteredAgent) -> AgentPublic:
    return AgentPublic(
        id=agent.id,
        name=agent.name,
        type=agent.type,
        version=agent.version,
        parent_ids=list(agent.parent_ids),
        child_ids=list(agent.child_ids),
        created_at=agent.created_at,
    )


@router.post(
    "/v1/agents",
    status_code=201,
    response_model=AgentRegistered,
    dependencies=[NeedsIngest],
    tags=["agents"],
)
def post_agent(body: AgentCreate, driver: DriverDep, settings: SettingsDep) -> AgentRegistered:
    """Register an agent and link it to its parents (idempotent; parents are only added).

    A parent id that names no agent yet is created as a bare agent (its id
    only) and listed in `created_parent_ids`, so a lineage can be registered
    in any order; registering that parent later fills in its name, type and
    version. A parent that is the agent itself or one of its descendants is a
    409 Conflict and nothing is written.
    """
    try:
        registration = register_agent(
            driver,
            body.id,
            body.name,
            body.type,
            body.version,
            body.parent_ids,
            database=settings.neo4j_database,
        )
    except LineageCycleError as exc:
        raise Conflict(str(exc), agent_id=body.id) from exc
    except EvolutionInputError as exc:
        raise InvalidInput(str(exc)) from exc
    return AgentRegistered(
        **_agent_public(registration.agent).model_dump(),
        created_parent_ids=list(registration.created_parent_ids),
    )


@router.get(
    "/v1/agents/{agent_id}", response_model=AgentPublic, dependencies=[NeedsRead], tags=["agents"]
)
def get_agent(agent_id: str, driver: DriverDep, settings: SettingsDep) -> AgentPublic:
    """One agent with the ids of its parents and children."""
    agent = load_agent(driver, agent_id, database=settings.neo4j_database)
    if agent is None:
        raise NotFound(f"unknown agent {agent_id!r}")
    return _agent_public(agent)


@router.post(
    "/v1/evolution/outcomes",
    status_code=201,
    response_model=OutcomePublic,
    dependencies=[NeedsIngest],
    tags=["evolution"],
)
def post_outcome(body: OutcomeCreate, driver: DriverDep, settings: SettingsDep) -> OutcomePublic:
    """Record a run's result. One outcome per run: sending it again replaces it
    (`changed` says whether anything differed). An unknown agent or run is created."""
    try:
        changed = record_outcome(
            driver,
            body.run_id,
            body.agent_id,
            body.success,
            body.quality,
            body.duration_s,
            database=settings.neo4j_database,
        )
    except EvolutionInputError as exc:
        raise InvalidInput(str(exc)) from exc
    return OutcomePublic(**body.model_dump(), changed=changed)


def _weights(given: Mapping[str, float] | str | None) -> FitnessWeights:
    try:
        if given is None:
            return FitnessWeights()
        if isinstance(given, str):
            return FitnessWeights.parse(given)
        return FitnessWeights.from_mapping(given)
    except FitnessError as exc:
        raise InvalidInput(f"weights: {exc}", example=WEIGHTS_EXAMPLE) from exc


def _population_stats(
    driver: neo4j.Driver, agent_ids: Sequence[str] | None, database: str | None
) -> list[AgentStats]:
    stats = load_stats(driver, agent_ids, database=database)
    if agent_ids is not None:
        unknown = sorted(set(agent_ids) - {s.agent_id for s in stats})
        if unknown:
            raise NotFound(f"unknown agents: {', '.join(unknown)}", unknown_agent_ids=unknown)
    return stats


def _score_out(agent: AgentFitness, stats: AgentStats) -> AgentScore:
    dims = agent.dimensions
    mean_cost = agent.mean_cost_per_run_nanos
    return AgentScore(
        agent_id=agent.agent_id,
        scored=agent.scored,
        effectiveness=dims.effectiveness if dims else None,
        efficiency=dims.efficiency if dims else None,
        cost_efficiency=dims.cost_efficiency if dims else None,
        fitness=agent.fitness,
        runs=agent.runs,
        outcomes=stats.outcomes,
        successes=stats.successes,
        tokens=stats.tokens,
        cost_usd=format_usd(agent.cost_nanos),
        mean_cost_per_run_usd=None if mean_cost is None else format_usd(mean_cost),
    )


def _population_ids(text: str | None) -> list[str] | None:
    if text is None:
        return None
    ids = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not ids:
        raise InvalidInput("population: name at least one agent id, or leave it out for all")
    return ids


@router.get(
    "/v1/evolution/fitness",
    response_model=FitnessReport,
    dependencies=[NeedsRead],
    tags=["evolution"],
)
def get_fitness(
    driver: DriverDep,
    settings: SettingsDep,
    population: Annotated[
        str | None, Query(description="comma-separated agent ids; every agent when left out")
    ] = None,
    weights: Annotated[str, Query(description=f"e.g. {WEIGHTS_EXAMPLE}")] = "",
) -> FitnessReport:
    """Fitness of each agent against the others of the population, best first.

    Efficiency and cost efficiency are relative to the leanest and cheapest
    agents of the population asked for. Agents without outcomes come last
    with null scores and `scored: false`. Weights left out keep their
    default (0.4 / 0.3 / 0.3) and all are normalised to sum to 1.
    """
    chosen = _weights(weights)
    stats = _population_stats(driver, _population_ids(population), settings.neo4j_database)
    by_id = {s.agent_id: s for s in stats}
    scored = score_population(stats, chosen)
    return FitnessReport(
        weights=chosen.as_dict(), agents=[_score_out(a, by_id[a.agent_id]) for a in scored]
    )


def _lineage_members(driver: neo4j.Driver, root: str, database: str | None) -> list[str]:
    try:
        g = load_lineage(driver, root, database=database)
        return sorted(descendants(g, root) | {root})
    except UnknownAgentError as exc:
        raise NotFound(str(exc)) from exc
    except LineageCycleError as exc:
        raise Conflict(str(exc)) from exc


def _budget_nanos(text: str) -> int:
    try:
        nanos = usd_to_nanos(text)
    except MoneyError as exc:
        raise InvalidInput(f"budget_usd: {exc}") from exc
    if nanos < 0:
        raise InvalidInput("budget_usd: must not be negative")
    return nanos


@router.post(
    "/v1/evolution/select",
    response_model=SelectionResult,
    dependencies=[NeedsRead],
    tags=["evolution"],
)
def post_select(body: SelectRequest, driver: DriverDep, settings: SettingsDep) -> SelectionResult:
    """Choose up to `n` parents by fitness whose expected cost fits `budget_usd`.

    An agent's expected cost is its mean cost per run times `runs_planned`.
    The population is the agent ids given, or `root` and every agent derived
    from it. The same request and seed always give the same parents.
    """
    budget = _budget_nanos(body.budget_usd)
    chosen = _weights(body.weights)
    database = settings.neo4j_database
    ids = body.population if body.root is None else _lineage_members(driver, body.root, database)
    scored = score_population(_population_stats(driver, ids, database), chosen)
    try:
        selection = select_parents(
            scored, body.n, budget, body.runs_planned, body.seed, method=body.method
        )
    except SelectionError as exc:
        raise InvalidInput(str(exc)) from exc
    by_id = {a.agent_id: a for a in scored}

    def excluded(agent_id: str) -> SelectedParent:
        agent = by_id[agent_id]
        cost = (agent.mean_cost_per_run_nanos or 0) * body.runs_planned
        return SelectedParent(
            agent_id=agent_id, fitness=agent.fitness or 0.0, expected_cost_usd=format_usd(cost)
        )

    return SelectionResult(
        selected=[
            SelectedParent(
                agent_id=s.agent_id,
                fitness=s.fitness,
                expected_cost_usd=format_usd(s.expected_cost_nanos),
            )
            for s in selection.selected
        ],
        excluded_for_cost=[excluded(agent_id) for agent_id in selection.excluded_for_cost],
        expected_total_usd=format_usd(selection.expected_total_nanos),
        budget_usd=format_usd(budget),
        remaining_usd=format_usd(budget - selection.expected_total_nanos),
        unscored=list(selection.unscored),
        population=sorted(by_id),
        method=body.method,
        seed=body.seed,
        weights=chosen.as_dict(),
    )


@router.get(
    "/v1/evolution/lineages/{agent_id}",
    response_model=LineageTree,
    dependencies=[NeedsRead],
    tags=["evolution"],
)
def get_lineage(
    agent_id: str,
    driver: DriverDep,
    settings: SettingsDep,
    weights: Annotated[str, Query(description=f"e.g. {WEIGHTS_EXAMPLE}")] = "",
    decay: Annotated[float, Query(ge=0, le=1, allow_inf_nan=False)] = 0.5,
) -> LineageTree:
    """The agent and every agent derived from it, with fitness per node.

    `generation` counts from the oldest ancestors (roots are 0). `fitness` is
    scored against every agent connected to this lineage (ancestors,
    descendants and their other relatives); `lineage_fitness` blends a node's
    fitness with its descendants', each weighing `decay ** depth`.
    """
    chosen = _weights(weights)
    database = settings.neo4j_database
    try:
        g = load_lineage(driver, agent_id, database=database)
        scored = score_population(load_stats(driver, list(g.nodes), database=database), chosen)
        fitness = {a.agent_id: a.fitness for a in scored}
        tree = lineage_tree(g, agent_id, fitness, decay)
        elders = sorted(ancestors(g, agent_id))
    except UnknownAgentError as exc:
        raise NotFound(str(exc)) from exc
    except LineageCycleError as exc:
        raise Conflict(str(exc)) from exc
    nodes = [
        LineageNode(
            **node,
            name=g.nodes[node["agent_id"]].get("name"),
            version=g.nodes[node["agent_id"]].get("version"),
        )
        for node in tree["nodes"]
    ]
    return LineageTree(
        root=agent_id, ancestors=elders, decay=decay, weights=chosen.as_dict(), nodes=nodes
    )
