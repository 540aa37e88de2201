"""POST /v1/usage and the reads over recorded usage."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _quote
from typing import Annotated, Any, Literal

import neo4j
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, Discriminator, Tag, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from app.alerts.store import load_config
from app.auth.deps import NeedsIngest, NeedsRead
from app.budgets.model import window_for
from app.budgets.store import Touch
from app.deps import DriverDep, SettingsDep
from app.errors import InvalidInput, UnknownModel
from app.graph.queries import cypher
from app.money import format_usd
from app.pricing.model import Usage
from app.settings import Settings
from app.usage import ledger
from app.usage.model import EventsRejected, UsageRecord
from app.usage.schemas import (
    BudgetTouch,
    IngestResult,
    Summary,
    UsageBatch,
    UsageEvent,
    UsagePage,
    UsageRow,
)
from app.usage.store import TAG_PREFIX

router = APIRouter(prefix="/v1/usage", tags=["usage"])


def _kind(value: object) -> str:
    return "UsageBatch" if isinstance(value, dict) and "events" in value else "UsageEvent"


UsagePayload = Annotated[
    Annotated[UsageBatch, Tag("UsageBatch")] | Annotated[UsageEvent, Tag("UsageEvent")],
    Discriminator(_kind),
]


def to_record(event: UsageEvent, now: datetime) -> UsageRecord:
    return UsageRecord(
        event_id=event.event_id,
        timestamp=(event.timestamp or now).astimezone(UTC),
        model=event.model,
        usage=Usage(
            input_tokens=event.input_tokens,
            output_tokens=event.output_tokens,
            cache_read_tokens=event.cache_read_tokens,
            cache_write_tokens=event.cache_write_tokens,
            cache_ttl=event.cache_ttl,
            batch=event.batch,
        ),
        provider=event.provider,
        status=event.status,
        agent_id=event.agent_id,
        agent_type=event.agent_type,
        run_id=event.run_id,
        task_id=event.task_id,
        project_id=event.project_id,
        team_id=event.team_id,
        tags=tuple(sorted(event.tags.items())),
    )


def rejected(exc: EventsRejected, batch: bool) -> InvalidInput | UnknownModel:
    errors = [
        {
            "index": r.index,
            "field": f"events.{r.index}.{r.field}" if batch else r.field,
            "message": r.message,
            **({"suggestions": list(r.suggestions)} if r.unknown_model else {}),
        }
        for r in exc.rejections
    ]
    first = errors[0]
    detail = f"{first['field']}: {first['message']}; nothing of this request was recorded"
    if any(r.unknown_model for r in exc.rejections):
        return UnknownModel(detail, errors=errors)
    return InvalidInput(detail, errors=errors)


_PAYLOAD: TypeAdapter[UsageBatch | UsageEvent] = TypeAdapter(UsagePayload)


def _inline_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its ``$defs`` written in place of each reference: in an OpenAPI
    document a reference is read from the document's root, where these are not."""
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return dict(inline(schema))


_PAYLOAD_SCHEMA = _inline_definitions(_PAYLOAD.json_schema())


def read_payload(body: bytes) -> UsageBatch | UsageEvent:
    """The request body validated straight from its JSON (a batch of 10,000 events is
    parsed once, not into dicts first), with FastAPI's 422 on anything wrong."""
    try:
        return _PAYLOAD.validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc


@router.post(
    "",
    response_model=IngestResult,
    dependencies=[NeedsIngest],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _PAYLOAD_SCHEMA}},
        }
    },
)
async def post_usage(request: Request, driver: DriverDep, settings: SettingsDep) -> Response:
    """Record one event or a batch (all or nothing); a repeated event_id changes nothing."""
    payload = read_payload(await request.body())
    return await run_in_threadpool(_record_payload, payload, request, driver, settings)


def _record_payload(
    payload: UsageBatch | UsageEvent, request: Request, driver: neo4j.Driver, settings: Settings
) -> Response:
    is_batch = isinstance(payload, UsageBatch)
    events = payload.events if isinstance(payload, UsageBatch) else [payload]
    if len(events) > settings.max_batch_events:
        raise InvalidInput(f"events: at most {settings.max_batch_events} events per request")
    now = datetime.now(UTC)
    records = [to_record(e, now) for e in events]
    catalog = request.app.state.catalog.get(driver, settings.neo4j_database)
    try:
        recorded = ledger.record(
            driver,
            records,
            catalog,
            platform_id=settings.platform_id,
            database=settings.neo4j_database,
            now=now,
        )
    except EventsRejected as exc:
        raise rejected(exc, is_batch) from exc
    announce(request, driver, settings.neo4j_database, recorded)
    return Response(ingest_answer(recorded), media_type="application/json")


def announce(
    request: Request, driver: neo4j.Driver, database: str | None, recorded: ledger.Recorded
) -> None:
    """Send the alerts a write fired, and the `cost.recorded` event, to the channels."""
    config = load_config(driver, database)
    if not (config.webhooks or config.emails):
        return
    fired = [a for touch in recorded.effects.touches for a in touch.fired]
    total = sum(e.cost.total_nanos for e in recorded.new_events)
    cost_event = (
        {
            "accepted": recorded.accepted,
            "total_usd": format_usd(total),
            "event_ids": [e.record.event_id for e in recorded.new_events][:100],
        }
        if recorded.accepted
        else None
    )
    request.app.state.dispatcher.dispatch(config, fired, cost_event)


def ingest_answer(recorded: ledger.Recorded) -> bytes:
    """The IngestResult of a write as JSON, written directly: a batch answer has up to
    10,000 results, and a model (or even a dict) per result costs more than pricing them.
    A test holds it equal to the schema's own serialisation."""
    results = ",".join(_result_json(o) for o in recorded.outcomes)
    budgets = json.dumps(
        [touch_out(t).model_dump(mode="json") for t in recorded.effects.touches],
        separators=(",", ":"),
    )
    return (
        f'{{"accepted":{recorded.accepted},"duplicates":{recorded.duplicates},'
        f'"results":[{results}],"budgets":{budgets}}}'
    ).encode()


def _result_json(outcome: ledger.EventOutcome) -> str:
    """One event's result; its strings are JSON-quoted, its amounts are digits and a dot."""
    cost = outcome.result.cost
    return (
        f'{{"event_id":{_quote(outcome.event_id)},'
        f'"duplicate":{"true" if outcome.duplicate else "false"},'
        f'"price_version":{_quote(outcome.result.price_version)},'
        f'"cost":{{"input_usd":"{format_usd(cost.input_nanos)}",'
        f'"output_usd":"{format_usd(cost.output_nanos)}",'
        f'"cache_read_usd":"{format_usd(cost.cache_read_nanos)}",'
        f'"cache_write_usd":"{format_usd(cost.cache_write_nanos)}",'
        f'"discount_usd":"{format_usd(cost.discount_nanos)}",'
        f'"total_usd":"{format_usd(cost.total_nanos)}"}},'
        f'"action":"{"terminate_run" if outcome.terminate_run else "continue"}"}}'
    )


def ingest_result(recorded: ledger.Recorded) -> IngestResult:
    """The same answer as a model (a settlement answers one event)."""
    return IngestResult.model_validate_json(ingest_answer(recorded))


def touch_out(touch: Touch) -> BudgetTouch:
    state = touch.state
    remaining = state.remaining_nanos
    percent = state.percent_used
    amount = state.budget.amount_nanos
    return BudgetTouch(
        budget_id=state.budget.id,
        kind=state.budget.kind,
        window_start=state.window.start,
        window_end=state.window.end,
        spent_usd=format_usd(state.spend.spent_nanos),
        remaining_usd=None if remaining is None else format_usd(remaining),
        percent_used=None if percent is None else str(percent),
        thresholds_crossed=list(touch.crossed),
        exceeded=amount is not None and state.spend.spent_nanos > amount,
    )


@router.get("/summary", response_model=Summary, dependencies=[NeedsRead])
def summary(
    driver: DriverDep,
    settings: SettingsDep,
    period: Literal["day", "week", "month", "all"] = "month",
    project_id: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
) -> Summary:
    """Totals for the current day, week or month (UTC), or all time.

    Without an agent the totals come from the daily roll-ups (and so include compacted
    history); one agent's totals come from the usage kept per call."""
    window = window_for("total" if period == "all" else period, "UTC", datetime.now(UTC))
    records, _, _ = driver.execute_query(
        cypher("usage/summary" if agent_id is None else "usage/summary_for_agent"),
        start=window.start,
        end=window.end,
        project_id=project_id,
        team_id=team_id,
        agent_id=agent_id,
        database_=settings.neo4j_database,
        routing_=neo4j.RoutingControl.READ,
    )
    row = records[0]
    return Summary(
        period=period,
        start=None if period == "all" else window.start,
        end=None if period == "all" else window.end,
        total_cost_usd=format_usd(int(row["total_nanousd"])),
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cache_read_tokens=row["cache_read_tokens"],
        cache_write_tokens=row["cache_write_tokens"],
        events=row["events"],
        runs=row["runs"],
    )


def _encode_cursor(timestamp: datetime, event_id: str) -> str:
    raw = json.dumps([timestamp.isoformat(), event_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        stamp, event_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(stamp), str(event_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor: not a cursor this API returned") from exc


@router.get("", response_model=UsagePage, dependencies=[NeedsRead])
def list_usage(
    driver: DriverDep,
    settings: SettingsDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    project_id: str | None = None,
    team_id: str | None = None,
    agent_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    model: str | None = None,
    provider: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> UsagePage:
    """Recorded events, newest first; pass `next_cursor` back as `cursor` for the next page."""
    after_ts, after_id = _decode_cursor(cursor) if cursor else (None, None)
    records, _, _ = driver.execute_query(
        cypher("usage/list"),
        start=start,
        end=end,
        project_id=project_id,
        team_id=team_id,
        agent_id=agent_id,
        task_id=task_id,
        run_id=run_id,
        model=model,
        provider=provider,
        after_ts=after_ts,
        after_id=after_id,
        limit=limit,
        database_=settings.neo4j_database,
        routing_=neo4j.RoutingControl.READ,
    )
    items = [_row(r["usage"], int(r["total_nanousd"])) for r in records]
    next_cursor = (
        _encode_cursor(items[-1].timestamp, items[-1].event_id) if len(items) == limit else None
    )
    return UsagePage(items=items, next_cursor=next_cursor)


def _row(u: dict[str, object], total_nanos: int) -> UsageRow:
    stamp = u["timestamp"]
    timestamp = stamp.to_native() if hasattr(stamp, "to_native") else stamp
    tags = {k.removeprefix(TAG_PREFIX): str(v) for k, v in u.items() if k.startswith(TAG_PREFIX)}
    return UsageRow.model_validate(
        {
            **u,
            "timestamp": timestamp,
            "model": u["model_id"],
            "total_usd": format_usd(total_nanos),
            "tags": tags,
            **{k: u.get(k) for k in ("agent_id", "run_id", "task_id", "project_id", "team_id")},
        }
    )
