"""Agent evolution: fitness with cost efficiency, lineage analysis, budget-aware selection.

The engine's loop::

    from evolution import load_lineage, load_stats, score_population, select_parents

    scored = score_population(load_stats(driver, population))
    parents = select_parents(scored, n=3, budget_nanos=5_000_000_000, runs_planned=10, seed=1)

Analysis functions take plain records and ``networkx`` graphs; only
``evolution.graph_io`` talks to Neo4j.
"""

from evolution.fitness import (
    AgentFitness,
    AgentStats,
    FitnessDimensions,
    FitnessError,
    FitnessWeights,
    score_population,
)
from evolution.graph_io import (
    EvolutionInputError,
    RegisteredAgent,
    Registration,
    Relatives,
    load_agent,
    load_lineage,
    load_relatives,
    load_stats,
    record_outcome,
    register_agent,
)
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
from evolution.selection import Selected, Selection, SelectionError, select_parents

__all__ = [
    "AgentFitness",
    "AgentStats",
    "EvolutionInputError",
    "FitnessDimensions",
    "FitnessError",
    "FitnessWeights",
    "LineageCycleError",
    "LineageError",
    "RegisteredAgent",
    "Registration",
    "Relatives",
    "Selected",
    "Selection",
    "SelectionError",
    "UnknownAgentError",
    "ancestors",
    "best_path",
    "descendants",
    "generation",
    "generations",
    "lineage_fitness",
    "lineage_tree",
    "load_agent",
    "load_lineage",
    "load_relatives",
    "load_stats",
    "record_outcome",
    "register_agent",
    "roots",
    "roots_of",
    "score_population",
    "select_parents",
]
