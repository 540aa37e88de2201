"""Usage events in the graph: the exactly-once write and the reads over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import neo4j

from app.graph.queries import cypher
from app.pricing.model import Cost
from app.usage.model import PricedEvent

TAG_PREFIX = "tag."


@dataclass(frozen=True)
class StoredResult:
    """What an event was priced at when it was first recorded."""

    event_id: str
    price_version: str
    cost: Cost


def _usage_properties(event: PricedEvent) -> dict[str, Any]:
    r = event.record
    u = r.usage
    timestamp = r.timestamp.astimezone(UTC)
    props: dict[str, Any] = {
        "event_id": r.event_id,
        "timestamp": timestamp,
        "day": timestamp.date().isoformat(),
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
        "recorded_at": datetime.now(UTC),
    }
    for key in ("agent_id", "agent_type", "run_id", "task_id", "project_id", "team_id"):
        value = getattr(r, key)
        if value is not None:
            props[key] = value
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


def ingest_row(event: PricedEvent) -> dict[str, Any]:
    """The parameters of one event for cypher/usage/ingest.cypher."""
    r = event.record
    return {
        "event_id": r.event_id,
        "usage": _usage_properties(event),
        "cost": _cost_properties(event),
        "provider": event.card.provider,
        "model_id": event.card.model_id,
        "price_version": event.card.version,
        "agent_id": r.agent_id,
        "agent_type": r.agent_type,
        "run_id": r.run_id,
        "task_id": r.task_id,
        "project_id": r.project_id,
        "team_id": r.team_id,
    }


def cost_from_properties(props: dict[str, Any]) -> Cost:
    return Cost(
        input_nanos=int(props["input_nanousd"]),
        output_nanos=int(props["output_nanousd"]),
        cache_read_nanos=int(props["cache_read_nanousd"]),
        cache_write_nanos=int(props["cache_write_nanousd"]),
        discount_nanos=int(props["discount_nanousd"]),
    )


def existing_results(
    tx: neo4j.ManagedTransaction, event_ids: Sequence[str]
) -> dict[str, StoredResult]:
    """The first recorded result of each of these event ids that already exists."""
    if not event_ids:
        return {}
    records = tx.run(cypher("usage/existing"), event_ids=list(event_ids))
    return {
        r["event_id"]: StoredResult(
            r["event_id"], r["price_version"], cost_from_properties(r["cost"])
        )
        for r in records
    }


def write_events(
    tx: neo4j.ManagedTransaction, events: Sequence[PricedEvent], *, platform_id: str
) -> int:
    """CREATE the events (one UNWIND); the caller has excluded known event ids."""
    if not events:
        return 0
    record = tx.run(
        cypher("usage/ingest"), rows=[ingest_row(e) for e in events], platform_id=platform_id
    ).single(strict=True)
    return int(record["written"])
