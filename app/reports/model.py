"""Attribution as pure rules: roll-up rows, report ranges and the FOCUS mapping of usage.

Money is integer nano-USD throughout; percentages and shares are ``Decimal``.
Nothing here reads the graph: the store hands in rows of the named queries
of ``cypher/reports/`` and the functions here shape, fill and judge them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from app.budgets.model import TOTAL_WINDOW, Window, window_for
from app.money import format_usd

SCOPE_DIMENSIONS = ("platform", "team", "project", "task", "run")
PROPERTY_DIMENSIONS = ("agent", "agent_type", "model", "provider")
DIMENSIONS = (*SCOPE_DIMENSIONS, *PROPERTY_DIMENSIONS, "tag")
BUCKETS = ("day", "week", "month")
PERIODS = ("day", "week", "month", "all")
TAG_PREFIX = "tag:"
MAX_DAYS = 3660
PERCENT_PLACES = Decimal("0.01")


class ReportError(ValueError):
    """A report asked for with arguments that cannot be answered (unknown dimension, bad range)."""


@dataclass(frozen=True)
class Dimension:
    """What a breakdown groups by: a scope, an agent property, a model, a provider or a tag."""

    name: str
    tag: str | None = None

    @property
    def query(self) -> str:
        """The named query answering it, e.g. ``reports/cost_by_project``."""
        return f"reports/cost_by_{self.name}"

    @property
    def label(self) -> str:
        """The wire name, as the client asked for it (``tag:persona`` for a tag)."""
        return f"{TAG_PREFIX}{self.tag}" if self.tag is not None else self.name


def parse_dimension(by: str) -> Dimension:
    """Read ``team``, ``project``, ..., ``provider`` or ``tag:<key>``; ReportError otherwise."""
    text = by.strip()
    if text.startswith(TAG_PREFIX):
        key = text.removeprefix(TAG_PREFIX).strip()
        if not key or len(key) > 64:
            raise ReportError("by=tag:<key> needs a tag name of 1 to 64 characters")
        return Dimension("tag", key)
    if text not in DIMENSIONS or text == "tag":
        choices = "|".join((*SCOPE_DIMENSIONS, *PROPERTY_DIMENSIONS, "tag:<key>"))
        raise ReportError(f"by must be one of {choices}, got {by!r}")
    return Dimension(text)


@dataclass(frozen=True)
class Rollup:
    """Cost and tokens of one key (and period) of a roll-up."""

    key: str | None
    total_nanos: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    events: int = 0
    period: str | None = None

    @property
    def tokens(self) -> int:
        """Every kind of token: input, output, cache reads and cache writes."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + (self.cache_write_tokens)
        )

    def __add__(self, other: Rollup) -> Rollup:
        return replace(
            self,
            total_nanos=self.total_nanos + other.total_nanos,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            events=self.events + other.events,
        )


def rollup_from_row(row: Mapping[str, object], key_field: str = "key") -> Rollup:
    """A Rollup from one row of a ``cost_by_*`` or ``cost_per_period`` query."""

    def count(name: str) -> int:
        value = row.get(name)
        return int(value) if isinstance(value, int) else 0

    key = row.get(key_field)
    period = row.get("period")
    return Rollup(
        key=None if key is None else str(key),
        total_nanos=count("total_nanousd"),
        input_tokens=count("input_tokens"),
        output_tokens=count("output_tokens"),
        cache_read_tokens=count("cache_read_tokens"),
        cache_write_tokens=count("cache_write_tokens"),
        events=count("events"),
        period=None if period is None else str(period),
    )


def grand_total(rows: Iterable[Rollup]) -> Rollup:
    """The sum of every row (key and period dropped)."""
    total = Rollup(None)
    for row in rows:
        total = total + replace(row, key=None, period=None)
    return total


def share(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, two places, half to even; None for a zero whole."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT_PLACES, ROUND_HALF_EVEN)


# -- ranges ------------------------------------------------------------------------


def period_window(period: str, now: datetime) -> Window:
    """The current UTC day, ISO week or month containing ``now``, or all time for ``all``."""
    if period not in PERIODS:
        raise ReportError(f"period must be one of {'|'.join(PERIODS)}, got {period!r}")
    return TOTAL_WINDOW if period == "all" else window_for(period, "UTC", now)


def parse_instant(text: str, name: str) -> datetime:
    """``YYYY-MM-DD`` (UTC midnight) or RFC 3339 with an offset, as an aware UTC datetime."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), datetime.min.time(), UTC)
        at = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ReportError(f"{name}: not a date (YYYY-MM-DD) or RFC 3339 time: {text!r}") from exc
    if at.utcoffset() is None:
        raise ReportError(f"{name}: a time needs an offset, e.g. {raw}Z")
    return at.astimezone(UTC)


def report_range(
    start: datetime | None, end: datetime | None, default: Window
) -> tuple[datetime, datetime]:
    """[start, end) from what the caller gave, the rest from ``default``; ReportError if empty."""
    lo = start or default.start
    hi = end or default.end
    if lo >= hi:
        raise ReportError(f"start {lo.isoformat()} is not before end {hi.isoformat()}")
    return lo, hi


def day_range(start: datetime, end: datetime) -> list[date]:
    """Every UTC date that [start, end) touches, in order (at most MAX_DAYS)."""
    first = start.astimezone(UTC).date()
    last_instant = end.astimezone(UTC) - timedelta(microseconds=1)
    last = last_instant.date()
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise ReportError(f"a daily report covers at most {MAX_DAYS} days, not {count}")
    return [first + timedelta(days=i) for i in range(max(count, 0))]


def fill_days(rows: Iterable[Rollup], days: Sequence[date]) -> list[Rollup]:
    """One row per day in ``days`` keyed ``YYYY-MM-DD``; days without usage get zeros."""
    found = {row.period or row.key: row for row in rows}
    out = []
    for day in days:
        key = day.isoformat()
        row = found.get(key)
        out.append(replace(row, key=key, period=None) if row else Rollup(key))
    return out


# -- exports -----------------------------------------------------------------------

USAGE_COLUMNS = (
    "event_id", "timestamp", "provider", "model", "model_id", "price_version", "status",
    "batch", "cache_ttl", "agent_id", "agent_type", "run_id", "task_id", "project_id",
    "team_id", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "input_usd", "output_usd", "cache_read_usd", "cache_write_usd", "discount_usd",
    "total_usd", "currency", "tags",
)  # fmt: skip

FOCUS_COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription",
    "ServiceCategory", "ServiceSubcategory", "ServiceName", "ServiceProviderName",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "SkuId", "SkuPriceId",
    "PricingCategory", "ListUnitPrice", "ContractedUnitPrice", "PricingQuantity",
    "PricingUnit", "ConsumedQuantity", "ConsumedUnit", "ResourceId", "ResourceName",
    "ResourceType", "SubAccountId", "SubAccountName", "Tags", "x_EventId", "x_Model",
    "x_Status", "x_Batch", "x_InputTokens", "x_OutputTokens", "x_CacheReadTokens",
    "x_CacheWriteTokens", "x_DiscountCost", "x_AgentType", "x_RunId", "x_TaskId", "x_TeamId",
)  # fmt: skip


@dataclass(frozen=True)
class PricedUsage:
    """One recorded usage with its cost and the scopes it rolls up to (an export row)."""

    event_id: str
    timestamp: datetime
    provider: str
    model: str
    model_id: str
    price_version: str
    status: str
    batch: bool
    cache_ttl: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    input_nanos: int
    output_nanos: int
    cache_read_nanos: int
    cache_write_nanos: int
    discount_nanos: int
    total_nanos: int
    currency: str = "USD"
    agent_id: str | None = None
    agent_name: str | None = None
    agent_type: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    project_id: str | None = None
    team_id: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + (self.cache_write_tokens)
        )

    @property
    def list_nanos(self) -> int:
        """The cost at list rates: every component before the batch discount."""
        return (
            self.input_nanos + self.output_nanos + self.cache_read_nanos + (self.cache_write_nanos)
        )


def rfc3339(at: datetime) -> str:
    """UTC with a ``Z``, microseconds only when present."""
    spec = "microseconds" if at.microsecond else "seconds"
    return at.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def usage_csv_row(u: PricedUsage) -> dict[str, str]:
    """One row of usage.csv: the event as recorded, money as 9-decimal USD strings."""
    return {
        "event_id": u.event_id,
        "timestamp": rfc3339(u.timestamp),
        "provider": u.provider,
        "model": u.model,
        "model_id": u.model_id,
        "price_version": u.price_version,
        "status": u.status,
        "batch": "true" if u.batch else "false",
        "cache_ttl": u.cache_ttl,
        "agent_id": _text(u.agent_id),
        "agent_type": _text(u.agent_type),
        "run_id": _text(u.run_id),
        "task_id": _text(u.task_id),
        "project_id": _text(u.project_id),
        "team_id": _text(u.team_id),
        "input_tokens": str(u.input_tokens),
        "output_tokens": str(u.output_tokens),
        "cache_read_tokens": str(u.cache_read_tokens),
        "cache_write_tokens": str(u.cache_write_tokens),
        "input_usd": format_usd(u.input_nanos),
        "output_usd": format_usd(u.output_nanos),
        "cache_read_usd": format_usd(u.cache_read_nanos),
        "cache_write_usd": format_usd(u.cache_write_nanos),
        "discount_usd": format_usd(u.discount_nanos),
        "total_usd": format_usd(u.total_nanos),
        "currency": u.currency,
        "tags": json.dumps(dict(u.tags), sort_keys=True, separators=(",", ":")),
    }


def _month_bounds(at: datetime) -> tuple[datetime, datetime]:
    window = window_for("month", "UTC", at)
    return window.start, window.end


def focus_row(u: PricedUsage) -> dict[str, str]:
    """One usage as a FinOps FOCUS 1.x cost row.

    Each row is one priced request: PricingUnit ``Requests`` with quantity 1, so
    ListUnitPrice x PricingQuantity = ListCost exactly; the tokens are the
    ConsumedQuantity. ListCost is the price before the batch discount,
    BilledCost and EffectiveCost what was charged (no commitments are
    amortised). The charge period is the UTC hour of the request; the billing
    period its UTC month. The project is the sub-account and the agent the
    resource. Columns prefixed ``x_`` are Costgraph's own.
    """
    hour = u.timestamp.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    month_start, month_end = _month_bounds(u.timestamp)
    billed = format_usd(u.total_nanos)
    listed = format_usd(u.list_nanos)
    batch = " (batch)" if u.batch else ""
    tags = dict(u.tags)
    for name, value in (("project", u.project_id), ("team", u.team_id), ("task", u.task_id)):
        if value is not None:
            tags.setdefault(f"costgraph/{name}", value)
    return {
        "BilledCost": billed,
        "EffectiveCost": billed,
        "ListCost": listed,
        "ContractedCost": billed,
        "BillingCurrency": u.currency,
        "BillingPeriodStart": rfc3339(month_start),
        "BillingPeriodEnd": rfc3339(month_end),
        "ChargePeriodStart": rfc3339(hour),
        "ChargePeriodEnd": rfc3339(hour + timedelta(hours=1)),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeFrequency": "Usage-Based",
        "ChargeDescription": (
            f"{u.model_id}: {u.input_tokens} input, {u.output_tokens} output, "
            f"{u.cache_read_tokens} cache read, {u.cache_write_tokens} cache write tokens{batch}"
        ),
        "ServiceCategory": "AI and Machine Learning",
        "ServiceSubcategory": "Generative AI",
        "ServiceName": u.model_id,
        "ServiceProviderName": u.provider,
        "ProviderName": u.provider,
        "PublisherName": u.provider,
        "InvoiceIssuerName": u.provider,
        "SkuId": u.model_id,
        "SkuPriceId": u.price_version,
        "PricingCategory": "Standard",
        "ListUnitPrice": listed,
        "ContractedUnitPrice": billed,
        "PricingQuantity": "1",
        "PricingUnit": "Requests",
        "ConsumedQuantity": str(u.tokens),
        "ConsumedUnit": "Tokens",
        "ResourceId": _text(u.agent_id),
        "ResourceName": _text(u.agent_name or u.agent_id),
        "ResourceType": "Agent" if u.agent_id else "",
        "SubAccountId": _text(u.project_id),
        "SubAccountName": _text(u.project_id),
        "Tags": json.dumps(tags, sort_keys=True, separators=(",", ":")),
        "x_EventId": u.event_id,
        "x_Model": u.model,
        "x_Status": u.status,
        "x_Batch": "true" if u.batch else "false",
        "x_InputTokens": str(u.input_tokens),
        "x_OutputTokens": str(u.output_tokens),
        "x_CacheReadTokens": str(u.cache_read_tokens),
        "x_CacheWriteTokens": str(u.cache_write_tokens),
        "x_DiscountCost": format_usd(u.discount_nanos),
        "x_AgentType": _text(u.agent_type),
        "x_RunId": _text(u.run_id),
        "x_TaskId": _text(u.task_id),
        "x_TeamId": _text(u.team_id),
    }
