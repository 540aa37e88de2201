"""Wire shapes of agents, outcomes, fitness, selection and lineage (DESIGN.md "Wire shapes").

Money is a decimal string in USD with 9 places; scores are numbers in [0, 1]
or null for an agent without outcomes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

AgentId = Annotated[str, Field(min_length=1, max_length=256)]
Label = Annotated[str, Field(min_length=1, max_length=256)]
Score = Annotated[float, Field(ge=0, le=1)]
MAX_PARENTS = 64
MAX_POPULATION = 10_000


class AgentCreate(BaseModel):
    """Register an agent; name, type and version left out keep what is stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: AgentId
    name: Label | None = None
    type: Label | None = None
    version: Label | None = None
    parent_ids: list[AgentId] = Field(default_factory=list, max_length=MAX_PARENTS)


class AgentPublic(BaseModel):
    id: str
    name: str | None
    type: str | None
    version: str | None
    parent_ids: list[str]
    child_ids: list[str]
    created_at: datetime | None


class AgentRegistered(AgentPublic):
    """The stored agent, and the parents created bare because they were unknown."""

    created_parent_ids: list[str]


class OutcomeCreate(BaseModel):
    """The result of one run: did it succeed, how good was it, how long did it take."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    run_id: AgentId
    agent_id: AgentId
    success: StrictBool
    quality: Score
    duration_s: Annotated[float, Field(ge=0)]


class OutcomePublic(BaseModel):
    run_id: str
    agent_id: str
    success: bool
    quality: float
    duration_s: float
    changed: bool


class AgentScore(BaseModel):
    """One agent's fitness; the scores are null (and ``scored`` false) without outcomes."""

    agent_id: str
    scored: bool
    effectiveness: Score | None
    efficiency: Score | None
    cost_efficiency: Score | None
    fitness: Score | None
    runs: int
    outcomes: int
    successes: int
    tokens: int
    cost_usd: str
    mean_cost_per_run_usd: str | None


class FitnessReport(BaseModel):
    weights: dict[str, float]
    agents: list[AgentScore]


class SelectRequest(BaseModel):
    """Pick parents among ``population`` or the lineage under ``root`` (give exactly one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    population: list[AgentId] | None = Field(default=None, min_length=1, max_length=MAX_POPULATION)
    root: AgentId | None = None
    n: Annotated[int, Field(ge=1, le=MAX_POPULATION, strict=True)]
    budget_usd: Annotated[str, Field(min_length=1, max_length=64)]
    runs_planned: Annotated[int, Field(ge=0, le=1_000_000, strict=True)]
    seed: Annotated[int, Field(strict=True)]
    method: Literal["tournament", "proportional"] = "tournament"
    weights: dict[str, float] | str | None = None

    @model_validator(mode="after")
    def _one_population(self) -> SelectRequest:
        if (self.population is None) == (self.root is None):
            raise ValueError("give exactly one of population (agent ids) and root (an agent id)")
        return self


class SelectedParent(BaseModel):
    agent_id: str
    fitness: Score
    expected_cost_usd: str


class SelectionResult(BaseModel):
    """Parents in draw order; ``excluded_for_cost`` are the agents the budget could not cover."""

    selected: list[SelectedParent]
    excluded_for_cost: list[SelectedParent]
    expected_total_usd: str
    budget_usd: str
    remaining_usd: str
    unscored: list[str]
    population: list[str]
    method: str
    seed: int
    weights: dict[str, float]


class LineageNode(BaseModel):
    agent_id: str
    parent_ids: list[str]
    generation: int
    fitness: Score | None
    lineage_fitness: Score | None
    name: str | None
    version: str | None


class LineageTree(BaseModel):
    """The agent (``root``) and every agent derived from it, by generation then id."""

    root: str
    ancestors: list[str]
    decay: float
    weights: dict[str, float]
    nodes: list[LineageNode]
