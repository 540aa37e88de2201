"""The one adapter between the evolution analysis and Neo4j.

Every function takes a ``neo4j.Driver`` that the caller owns (it is never
created or closed here) and runs named queries from ``cypher/evolution/``
with their values as parameters; ``database`` picks the Neo4j database (the
server's default when None). Reads are routed to readers; writes run in
managed transactions, whose retries are safe because every write is
idempotent (MERGE on Agent.id, Run.id, Outcome.run_id).

Graph model used here (see the headers of the .cypher files):

- ``(:Agent {id, name, type, version})-[:DERIVED_FROM]->(:Agent)``, child to parent;
- ``(:Agent)-[:CONSUMED]->(:TokenUsage)-[:INCURRED]->(:CostEntry)``,
  ``(:TokenUsage)-[:IN_RUN]->(:Run)`` and ``(:Agent)-[:RAN]->(:Run)``, written
  by usage ingestion;
- ``(:Agent)-[:RAN]->(:Run)-[:HAS_OUTCOME]->(:Outcome {run_id, agent_id,
  success, quality, duration_s, recorded_at})``, written by :func:`record_outcome`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import neo4j
import networkx as nx

from app.graph.driver import write_tx
from app.graph.queries import cypher
from evolution.fitness import AgentStats
from evolution.lineage import LineageCycleError, UnknownAgentError

LINEAGE_LOCK = "lineage"


class EvolutionInputError(ValueError):
    """A value that must not be written to the lineage or outcome graph."""


@dataclass(frozen=True)
class RegisteredAgent:
    """An agent as stored: parents and children sorted by id; None where never given."""

    id: str
    name: str | None
    type: str | None
    version: str | None
    parent_ids: tuple[str, ...]
    child_ids: tuple[str, ...]
    created_at: datetime | None


@dataclass(frozen=True)
class Registration:
    """The agent after registering it, and the parents that were created bare for it."""

    agent: RegisteredAgent
    created_parent_ids: tuple[str, ...]


@dataclass(frozen=True)
class Relatives:
    """An agent's ancestors, descendants and generation as Cypher computes them."""

    agent_id: str
    ancestors: frozenset[str]
    descendants: frozenset[str]
    generation: int


def _read(
    driver: neo4j.Driver, query_name: str, /, database: str | None, **params: Any
) -> list[neo4j.Record]:
    result = driver.execute_query(
        cypher(query_name), params, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return list(result.records)


def _write(
    driver: neo4j.Driver, query_name: str, /, database: str | None, **params: Any
) -> list[neo4j.Record]:
    result = driver.execute_query(
        cypher(query_name), params, database_=database, routing_=neo4j.RoutingControl.WRITE
    )
    return list(result.records)


def _graph_from_rows(rows: Sequence[neo4j.Record]) -> nx.DiGraph:
    g = nx.DiGraph()
    for row in rows:
        g.add_node(row["id"], name=row["name"], type=row["type"], version=row["version"])
    for row in rows:
        for parent_id in row["parent_ids"]:
            # graph edges go parent -> child, the reverse of DERIVED_FROM
            g.add_edge(parent_id, row["id"])
    return g


def load_lineage(
    driver: neo4j.Driver, agent_id: str | None = None, *, database: str | None = None
) -> nx.DiGraph:
    """The lineage graph (edges parent -> child) of one agent, or of every agent.

    With ``agent_id`` the graph holds every agent connected to it through
    DERIVED_FROM in either direction; without it, the whole population.
    Nodes carry ``name``, ``type`` and ``version`` (None when never
    registered). Raises ``UnknownAgentError`` for an agent id not in the graph.
    """
    if agent_id is None:
        return _graph_from_rows(_read(driver, "evolution/population", database))
    rows = _read(driver, "evolution/lineage", database, agent_id=agent_id)
    if not rows:
        raise UnknownAgentError(f"unknown agent {agent_id!r}")
    return _graph_from_rows(rows)


def _agent_from_row(row: neo4j.Record) -> RegisteredAgent:
    created = row["created_at"]
    return RegisteredAgent(
        id=row["id"],
        name=row["name"],
        type=row["type"],
        version=row["version"],
        parent_ids=tuple(sorted(row["parent_ids"])),
        child_ids=tuple(sorted(row["child_ids"])),
        created_at=created.to_native() if hasattr(created, "to_native") else created,
    )


def load_agent(
    driver: neo4j.Driver, agent_id: str, *, database: str | None = None
) -> RegisteredAgent | None:
    """The stored agent with its parents and children, or None when unknown."""
    rows = _read(driver, "evolution/agent", database, agent_id=agent_id)
    return _agent_from_row(rows[0]) if rows else None


def load_relatives(
    driver: neo4j.Driver, agent_id: str, *, database: str | None = None
) -> Relatives:
    """Ancestors, descendants and generation of one agent, computed by Cypher.

    The same answers as :mod:`evolution.lineage` gives on :func:`load_lineage`'s
    graph, for analysts who stay in the database. Raises ``UnknownAgentError``.
    """
    rows = _read(driver, "evolution/relatives", database, agent_id=agent_id)
    if not rows:
        raise UnknownAgentError(f"unknown agent {agent_id!r}")
    row = rows[0]
    return Relatives(
        agent_id=row["agent_id"],
        ancestors=frozenset(row["ancestor_ids"]),
        descendants=frozenset(row["descendant_ids"]),
        generation=int(row["generation"]),
    )


def _stats_from_row(row: neo4j.Record) -> AgentStats:
    return AgentStats(
        agent_id=row["agent_id"],
        runs=int(row["runs"]),
        successes=int(row["successes"]),
        quality_sum=float(row["quality_sum"]),
        outcomes=int(row["outcomes"]),
        tokens=int(row["tokens"]),
        duration_s=float(row["duration_s"]),
        cost_nanos=int(row["cost_nanos"]),
    )


def load_stats(
    driver: neo4j.Driver,
    agent_ids: Sequence[str] | None = None,
    *,
    database: str | None = None,
) -> list[AgentStats]:
    """Runs, outcomes, tokens, time and cost of the given agents (all when None).

    Ids that name no agent are left out of the answer; the result is ordered
    by agent id.
    """
    ids = None if agent_ids is None else list(dict.fromkeys(agent_ids))
    rows = _read(driver, "evolution/stats", database, agent_ids=ids)
    return [_stats_from_row(row) for row in rows]


def _require_id(label: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise EvolutionInputError(f"{label} must be a non-empty string")


def _check_outcome(
    run_id: str, agent_id: str, success: bool, quality: float, duration_s: float
) -> None:
    _require_id("run_id", run_id)
    _require_id("agent_id", agent_id)
    if not isinstance(success, bool):
        raise EvolutionInputError("success must be true or false")
    if not math.isfinite(quality) or not 0 <= quality <= 1:
        raise EvolutionInputError(f"quality must lie in [0, 1], got {quality}")
    if not math.isfinite(duration_s) or duration_s < 0:
        raise EvolutionInputError(f"duration_s must be a non-negative number, got {duration_s}")


def record_outcome(
    driver: neo4j.Driver,
    run_id: str,
    agent_id: str,
    success: bool,
    quality: float,
    duration_s: float,
    recorded_at: datetime | None = None,
    *,
    database: str | None = None,
) -> bool:
    """Store the result of one run; returns whether anything changed.

    One outcome per run: recording a run again replaces its outcome (and the
    agent it is credited to), while sending the very same values again
    changes nothing. The Run and Agent are created when new. ``recorded_at``
    defaults to now and must be timezone-aware.
    """
    _check_outcome(run_id, agent_id, success, quality, duration_s)
    when = recorded_at or datetime.now(UTC)
    if when.tzinfo is None or when.utcoffset() is None:
        raise EvolutionInputError("recorded_at must be timezone-aware")
    rows = _write(
        driver,
        "evolution/record_outcome",
        database,
        run_id=run_id,
        agent_id=agent_id,
        success=success,
        quality=float(quality),
        duration_s=float(duration_s),
        recorded_at=when,
    )
    return bool(rows[0]["changed"])


def _register(
    tx: neo4j.ManagedTransaction, /, agent_id: str, parents: list[str], fields: dict[str, Any]
) -> Registration:
    tx.run(cypher("evolution/lock_lineage"), lock_id=LINEAGE_LOCK).consume()
    params = {**fields, "agent_id": agent_id, "parent_ids": parents}
    row = tx.run(cypher("evolution/register_agent"), params).single(strict=True)
    cyclic = sorted(row["cyclic"])
    if cyclic:
        # raising inside the transaction function rolls back the lock node too
        raise LineageCycleError(
            f"agent {agent_id!r} cannot derive from its own descendants: {', '.join(cyclic)}"
        )
    created = tuple(sorted(row["created"]))
    stored = tx.run(cypher("evolution/agent"), agent_id=agent_id).single(strict=True)
    return Registration(_agent_from_row(stored), created)


def register_agent(
    driver: neo4j.Driver,
    agent_id: str,
    name: str | None,
    type: str | None,
    version: str | None,
    parent_ids: Sequence[str] = (),
    *,
    database: str | None = None,
) -> Registration:
    """Create or update an agent and link it DERIVED_FROM each parent (idempotent).

    Parents not seen before are created with their id only (listed in
    ``created_parent_ids``), so a lineage can be registered in any order.
    ``None`` for name, type or version keeps what is stored; parents are only
    ever added. Refuses, writing nothing, a parent that is the agent itself or
    one of its descendants (``LineageCycleError``). Registrations serialise on
    one lock, so concurrent ones cannot close a cycle together.
    """
    _require_id("agent_id", agent_id)
    parents = list(dict.fromkeys(parent_ids))
    for parent_id in parents:
        _require_id("parent id", parent_id)
    if agent_id in parents:
        raise LineageCycleError(f"agent {agent_id!r} cannot be its own parent")
    with driver.session(database=database) as session:
        fields = {"name": name, "type": type, "version": version}
        return write_tx(session, _register, agent_id, parents, fields)
