"""Usage records, how they are priced, and how duplicates are told apart (pure rules)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.pricing.model import Catalog, Cost, RateCard, Usage, price

MAX_FUTURE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One LLM call as an orchestrator reported it."""

    event_id: str
    timestamp: datetime
    model: str
    usage: Usage
    provider: str | None = None
    status: str = "success"
    agent_id: str | None = None
    agent_type: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    project_id: str | None = None
    team_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PricedEvent:
    record: UsageRecord
    card: RateCard
    cost: Cost

    @property
    def tokens(self) -> int:
        u = self.record.usage
        return u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why the event at ``index`` cannot be accepted."""

    index: int
    field: str
    message: str
    unknown_model: bool = False
    suggestions: tuple[str, ...] = ()


class EventsRejected(ValueError):
    """A batch with at least one bad event; nothing of it is written."""

    def __init__(self, rejections: Sequence[Rejection]) -> None:
        first = rejections[0]
        super().__init__(f"events[{first.index}].{first.field}: {first.message}")
        self.rejections = tuple(rejections)


def price_events(
    records: Sequence[UsageRecord], catalog: Catalog, now: datetime
) -> list[PricedEvent]:
    """Price every record with the version in force at its own timestamp.

    Raises EventsRejected listing every bad record (unknown model, a model not
    yet priced at that time, a timestamp too far in the future)."""
    priced: list[PricedEvent] = []
    rejections: list[Rejection] = []
    for index, record in enumerate(records):
        found = _card_for(index, record, catalog, now)
        if isinstance(found, Rejection):
            rejections.append(found)
        elif not rejections:  # once one is refused, the rest are only checked
            priced.append(PricedEvent(record, found, price(found, record.usage)))
    if rejections:
        raise EventsRejected(rejections)
    return priced


def _card_for(
    index: int, record: UsageRecord, catalog: Catalog, now: datetime
) -> RateCard | Rejection:
    """The card that prices this record, or why there is none."""
    if record.timestamp > now + MAX_FUTURE:
        return Rejection(index, "timestamp", f"{record.timestamp.isoformat()} is in the future")
    model_id = catalog.resolve(record.model, record.provider)
    if model_id is None:
        suggestions = tuple(catalog.closest(record.model))
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        return Rejection(index, "model", f"unknown model {record.model!r}{hint}", True, suggestions)
    card = catalog.card_at(model_id, record.timestamp)
    if card is None:
        return Rejection(
            index,
            "timestamp",
            f"{model_id} has no price in force at {record.timestamp.isoformat()}",
        )
    return card


def older_than_horizon(
    events: Sequence[PricedEvent], horizon: datetime, known: Collection[str] = ()
) -> list[Rejection]:
    """New events (ids not in ``known``) that can no longer be recorded: their day has
    been compacted into sums and its event ids forgotten, so a repeat could not be told
    from a new event."""
    return [
        Rejection(
            index,
            "timestamp",
            f"{event.record.timestamp.isoformat()} is before {horizon.isoformat()}: usage "
            "before then is kept only as daily totals and can no longer be recorded",
        )
        for index, event in enumerate(events)
        if event.record.timestamp < horizon and event.record.event_id not in known
    ]


def first_occurrences(event_ids: Sequence[str]) -> dict[str, int]:
    """Each event id's first index in a batch; later repeats are duplicates of it."""
    first: dict[str, int] = {}
    for index, event_id in enumerate(event_ids):
        first.setdefault(event_id, index)
    return first
