"""Recording usage: price, deduplicate and write a batch in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import neo4j
from neo4j.exceptions import ConstraintError

from app.budgets import store as budget_store
from app.errors import Conflict
from app.graph.driver import write_tx
from app.pricing.model import Catalog
from app.usage import store
from app.usage.model import (
    EventsRejected,
    PricedEvent,
    UsageRecord,
    first_occurrences,
    older_than_horizon,
    price_events,
)

logger = logging.getLogger(__name__)
# A concurrent batch may create an event id between our duplicate check and our
# CREATE; the uniqueness constraint then fails the transaction and a retry sees it.
CONSTRAINT_RETRIES = 5


@dataclass(frozen=True, slots=True)
class EventOutcome:
    event_id: str
    duplicate: bool
    result: store.StoredResult
    terminate_run: bool = False


@dataclass(frozen=True)
class Recorded:
    outcomes: list[EventOutcome]
    new_events: list[PricedEvent]
    effects: budget_store.UsageEffects = field(default_factory=budget_store.UsageEffects)

    @property
    def accepted(self) -> int:
        return sum(not o.duplicate for o in self.outcomes)

    @property
    def duplicates(self) -> int:
        return sum(o.duplicate for o in self.outcomes)


@dataclass(frozen=True)
class _Written:
    """What a batch's transaction found and wrote; its outcomes are worked out after the
    commit, so the write turn is not held for them."""

    first: dict[str, int]  # each event id's first index in the batch
    known: dict[str, store.StoredResult]  # ids recorded before, with their first result
    new: list[PricedEvent]
    effects: budget_store.UsageEffects


def _write(
    tx: neo4j.ManagedTransaction,
    priced: Sequence[PricedEvent],
    platform_id: str,
    prepared: store.Prepared | None = None,
) -> _Written:
    first = first_occurrences([e.record.event_id for e in priced])
    found = store.before_write(tx, list(first))
    known = found.known
    new = [priced[i] for event_id, i in first.items() if event_id not in known]
    if found.horizon is not None and (too_old := older_than_horizon(priced, found.horizon, known)):
        raise EventsRejected(too_old)
    # Without repeats or known ids the batch is all new, in order: its prepared rows hold.
    if prepared is None or len(new) != len(priced):
        prepared = store.prepare(new, platform_id)
    store.write_prepared(tx, prepared)
    effects = budget_store.apply_usage(tx, new, budgets_exist=found.budgets)
    return _Written(first, known, new, effects)


def _recorded(priced: Sequence[PricedEvent], written: _Written) -> Recorded:
    """Each event's outcome: the first occurrence of a new id is recorded, every other
    occurrence is a duplicate answered with the first result."""
    first, stop_runs = written.first, written.effects.terminate_runs
    fresh = {
        e.record.event_id: store.StoredResult(e.record.event_id, e.card.version, e.cost)
        for e in written.new
    }
    outcomes = []
    for index, event in enumerate(priced):
        event_id = event.record.event_id
        is_first_new = event_id in fresh and first[event_id] == index
        result = fresh.get(event_id) or written.known[event_id]
        stop = event.record.run_id in stop_runs
        outcomes.append(EventOutcome(event_id, not is_first_new, result, stop))
    return Recorded(outcomes, written.new, written.effects)


def write_batch(
    tx: neo4j.ManagedTransaction, priced: Sequence[PricedEvent], platform_id: str
) -> Recorded:
    """The ledger's transaction function, for callers composing it with more writes."""
    return _recorded(priced, _write(tx, priced, platform_id))


def record(
    driver: neo4j.Driver,
    records: Sequence[UsageRecord],
    catalog: Catalog,
    *,
    platform_id: str,
    database: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Price and record a batch exactly once per event id (all or nothing)."""
    priced = price_events(records, catalog, now or datetime.now(UTC))
    prepared = store.prepare(priced, platform_id)
    for attempt in range(1, CONSTRAINT_RETRIES + 1):
        try:
            with driver.session(database=database) as session:
                written = write_tx(session, _write, priced, platform_id, prepared)
            return _recorded(priced, written)
        except ConstraintError as exc:
            logger.info("concurrent duplicate event ids; retrying (%d): %s", attempt, exc)
    raise Conflict("the batch kept colliding with concurrent writes of the same event ids")
