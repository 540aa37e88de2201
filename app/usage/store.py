"""Usage events in the graph: the exactly-once write and the reads over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import neo4j

from app.graph.queries import cypher
from app.graph.values import Rows
from app.pricing.model import Cost
from app.usage.model import PricedEvent, UsageRecord

TAG_PREFIX = "tag."


@dataclass(frozen=True, slots=True)
class StoredResult:
    """What an event was priced at when it was first recorded."""

    event_id: str
    price_version: str
    cost: Cost


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _usage_properties(event: PricedEvent) -> dict[str, Any]:
    r = event.record
    u = r.usage
    day = r.timestamp.astimezone(UTC).date()
    props: dict[str, Any] = {
        "event_id": r.event_id,
        "day": day.isoformat(),
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_read_tokens": u.cache_read_tokens,
        "cache_write_tokens": u.cache_write_tokens,
        "cache_ttl": u.cache_ttl,
        "batch": u.batch,
        "status": r.status,
        "model": r.model,
        "model_id": event.card.model_id,
        "provider": event.card.provider,
        "price_version": event.card.version,
        "tags": [f"{k}={v}" for k, v in r.tags],
    }
    for key in ("agent_id", "agent_type", "run_id", "task_id", "project_id", "team_id"):
        value = getattr(r, key)
        if value is not None:
            props[key] = value
    if r.tags:
        props.update({TAG_PREFIX + k: v for k, v in r.tags})
    return props


def _cost_properties(event: PricedEvent) -> dict[str, Any]:
    c = event.cost
    return {
        "event_id": event.record.event_id,
        "total_nanousd": c.total_nanos,
        "input_nanousd": c.input_nanos,
        "output_nanousd": c.output_nanos,
        "cache_read_nanousd": c.cache_read_nanos,
        "cache_write_nanousd": c.cache_write_nanos,
        "cache_nanousd": c.cache_nanos,
        "discount_nanousd": c.discount_nanos,
        "currency": event.card.currency,
    }


def _attachment(r: UsageRecord, platform_id: str) -> tuple[str | None, str | None]:
    """Where an event without a run hangs: its most specific named scope."""
    if r.run_id:
        return None, None
    for kind in ("task", "project", "team"):
        value = getattr(r, f"{kind}_id")
        if value:
            return kind, value
    return "platform", platform_id


def _parent(r: UsageRecord, kinds: tuple[str, ...]) -> tuple[str | None, str | None]:
    for kind in kinds:
        value = getattr(r, f"{kind}_id")
        if value:
            return kind, value
    return None, None


def ingest_row(event: PricedEvent, platform_id: str) -> dict[str, Any]:
    """The parameters of one event for cypher/usage/ingest.cypher. The timestamp goes as
    epoch seconds and nanoseconds: the driver packs a datetime far more slowly than two
    integers, and the server makes the datetime from them exactly."""
    r = event.record
    attach_kind, attach_id = _attachment(r, platform_id)
    since_epoch = r.timestamp - EPOCH
    return {
        "usage": _usage_properties(event),
        "ts_s": since_epoch.days * 86_400 + since_epoch.seconds,
        "ts_ns": since_epoch.microseconds * 1000,
        "cost": _cost_properties(event),
        "price_version": event.card.version,
        "run_id": r.run_id,
        "attach_kind": attach_kind,
        "attach_id": attach_id,
        "agent_id": r.agent_id,
    }


def scope_params(events: Sequence[PricedEvent], platform_id: str) -> dict[str, Any]:
    """The parameters of cypher/usage/merge_scopes.cypher: each scope once, with the
    parent named by the first event that names it."""
    teams: dict[str, None] = {}
    found: dict[str, dict[str, dict[str, Any]]] = {"projects": {}, "tasks": {}, "runs": {}}
    above = {
        "projects": ("team",),
        "tasks": ("project", "team"),
        "runs": ("task", "project", "team"),
    }
    own = {"projects": "project_id", "tasks": "task_id", "runs": "run_id"}
    agents: dict[str, dict[str, Any]] = {}
    models: dict[str, dict[str, Any]] = {}
    ran: dict[tuple[str, str], dict[str, str]] = {}
    for event in events:
        r = event.record
        if r.team_id:
            teams.setdefault(r.team_id)
        for group, key in own.items():
            value = getattr(r, key)
            if value and value not in found[group]:
                kind, parent = _parent(r, above[group])
                found[group][value] = {"id": value, "parent_kind": kind, "parent_id": parent}
        if r.agent_id:
            agents.setdefault(r.agent_id, {"id": r.agent_id, "type": r.agent_type})
            if r.run_id:
                ran.setdefault((r.agent_id, r.run_id), {"agent_id": r.agent_id, "run_id": r.run_id})
        models.setdefault(
            event.card.model_id, {"id": event.card.model_id, "provider": event.card.provider}
        )
    return {
        "platform_id": platform_id,
        "teams": Rows(teams),
        **{group: Rows(rows.values()) for group, rows in found.items()},
        "agents": Rows(agents.values()),
        "models": Rows(models.values()),
        "ran": Rows(ran.values()),
    }


def cost_from_properties(props: dict[str, Any]) -> Cost:
    return Cost(
        input_nanos=int(props["input_nanousd"]),
        output_nanos=int(props["output_nanousd"]),
        cache_read_nanos=int(props["cache_read_nanousd"]),
        cache_write_nanos=int(props["cache_write_nanousd"]),
        discount_nanos=int(props["discount_nanousd"]),
    )


@dataclass(frozen=True)
class BeforeWrite:
    """What the graph holds that decides how a batch is written."""

    known: dict[str, StoredResult]  # event ids already recorded, with their first result
    horizon: datetime | None  # usage before it is compacted into per-day sums (None: not yet)
    budgets: bool  # whether any budget exists (else no window needs bookkeeping)


def before_write(tx: neo4j.ManagedTransaction, event_ids: Sequence[str]) -> BeforeWrite:
    record = tx.run(cypher("usage/before_write"), event_ids=Rows(event_ids)).single(strict=True)
    horizon = record["horizon"]
    return BeforeWrite(
        known={
            k["event_id"]: StoredResult(
                k["event_id"], k["price_version"], cost_from_properties(k["cost"])
            )
            for k in record["known"]
        },
        horizon=None if horizon is None else horizon.to_native(),
        budgets=bool(record["budgets"]),
    )


@dataclass(frozen=True)
class Prepared:
    """The parameters of a batch's two write statements. Built before the write turn is
    taken, so other requests' Python work overlaps this one's wait on the database."""

    events: Sequence[PricedEvent]
    scopes: dict[str, Any]
    rows: Rows


def prepare(events: Sequence[PricedEvent], platform_id: str) -> Prepared:
    return Prepared(
        events, scope_params(events, platform_id), Rows(ingest_row(e, platform_id) for e in events)
    )


def write_events(
    tx: neo4j.ManagedTransaction, events: Sequence[PricedEvent], *, platform_id: str
) -> int:
    """Write the scopes the batch names once, then the events (one UNWIND);
    the caller has excluded known event ids."""
    return write_prepared(tx, prepare(events, platform_id))


def write_prepared(tx: neo4j.ManagedTransaction, batch: Prepared) -> int:
    """``write_events`` with its parameters built already."""
    if not batch.events:
        return 0
    tx.run(cypher("usage/merge_scopes"), batch.scopes).consume()
    record = tx.run(cypher("usage/ingest"), rows=batch.rows, recorded_at=datetime.now(UTC)).single(
        strict=True
    )
    return int(record["written"])
