"""Attribution as pure rules: roll-up rows, report ranges and the FOCUS mapping of usage.

Money is integer nano-USD throughout; percentages and shares are ``Decimal``.
Nothing here reads the graph: the store hands in rows of the named queries
of ``cypher/reports/`` and the functions here shape, fill and judge them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from app.budgets.model import TOTAL_WINDOW, Window, window_for
from app.money import format_usd
from app.pricing.model import Catalog, RateCard, Usage, blended_per_mtok, price

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


# -- forecast ----------------------------------------------------------------------

_MICROSECOND = timedelta(microseconds=1)
TRAILING_DAYS = 7
BURN_FACTOR = Decimal("1.5")


def _ratio_nanos(amount: int, numerator: int, denominator: int) -> int:
    """amount x numerator / denominator, rounded half to even to a whole nano-dollar."""
    exact = Decimal(amount) * Decimal(numerator) / Decimal(denominator)
    return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Projection:
    """Where spend in a window will end if it goes on as it did.

    ``linear_nanos`` extends the window so far at its average rate;
    ``trailing_nanos_projected`` adds the rest of the window at the rate of the
    trailing days.
    """

    spent_nanos: int
    trailing_nanos: int
    elapsed_fraction: Decimal
    linear_nanos: int
    trailing_nanos_projected: int


def project_window(
    spent_nanos: int,
    trailing_nanos: int,
    window: Window,
    now: datetime,
    trailing_days: int = TRAILING_DAYS,
) -> Projection:
    """Project spend to the end of ``window`` from what was spent in it by ``now`` and in
    the ``trailing_days`` before ``now``. Before the window starts both projections are
    what is spent; after it ends, too."""
    total = (window.end - window.start) // _MICROSECOND
    elapsed = min(max((now - window.start) // _MICROSECOND, 0), total)
    remaining = total - elapsed
    linear = spent_nanos if elapsed in (0, total) else _ratio_nanos(spent_nanos, total, elapsed)
    trailing_span = timedelta(days=trailing_days) // _MICROSECOND
    ahead = _ratio_nanos(trailing_nanos, remaining, trailing_span) if elapsed else 0
    return Projection(
        spent_nanos=spent_nanos,
        trailing_nanos=trailing_nanos,
        elapsed_fraction=Decimal(elapsed) / Decimal(total),
        linear_nanos=linear,
        trailing_nanos_projected=spent_nanos + ahead,
    )


def percent(part: int | Decimal, whole: int) -> Decimal:
    """``part`` / ``whole`` as a percentage with two places (half to even); 0 for a zero whole."""
    if whole == 0:
        return Decimal(0).quantize(PERCENT_PLACES)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT_PLACES, ROUND_HALF_EVEN)


def burning_too_fast(spent_nanos: int, amount_nanos: int, elapsed_fraction: Decimal) -> bool:
    """True when the share of the budget used is above 1.5 x the share of the window gone."""
    if amount_nanos <= 0:
        return False
    return Decimal(spent_nanos) > BURN_FACTOR * elapsed_fraction * Decimal(amount_nanos)


# -- anomalies ---------------------------------------------------------------------


@dataclass(frozen=True)
class Anomaly:
    """A day whose spend is above ``threshold_percent`` of the trailing days' average."""

    key: str | None
    day: date
    cost_nanos: int
    trailing_total_nanos: int
    trailing_days: int

    @property
    def trailing_average_nanos(self) -> int:
        return _ratio_nanos(self.trailing_total_nanos, 1, self.trailing_days)

    @property
    def ratio_percent(self) -> Decimal:
        """The day's spend as a percentage of the trailing average."""
        return percent(self.cost_nanos * self.trailing_days, self.trailing_total_nanos)


def detect_anomalies(
    key: str | None,
    series: Mapping[date, int],
    days: Iterable[date],
    *,
    trailing_days: int = TRAILING_DAYS,
    threshold_percent: int = 200,
) -> list[Anomaly]:
    """The days of ``days`` whose spend exceeds ``threshold_percent`` of the average of the
    ``trailing_days`` calendar days before it (days missing from ``series`` spent 0).
    A day with nothing spent in its trailing days has no average and is never flagged."""
    found = []
    for day in days:
        cost = series.get(day, 0)
        trailing = sum(series.get(day - timedelta(days=i), 0) for i in range(1, trailing_days + 1))
        # cost > threshold% x trailing / days, kept in integers.
        if trailing > 0 and cost * trailing_days * 100 > threshold_percent * trailing:
            found.append(Anomaly(key, day, cost, trailing, trailing_days))
    return found


def daily_series(rows: Iterable[Rollup]) -> dict[str | None, dict[date, int]]:
    """Per key, cost per day from roll-up rows bucketed by day."""
    out: dict[str | None, dict[date, int]] = {}
    for row in rows:
        if row.period is None:
            continue
        day = date.fromisoformat(row.period)
        out.setdefault(row.key, {})[day] = row.total_nanos
    return out


# -- re-pricing, what-if and recommendations -----------------------------------------

AVG_TOKENS_SMALL_CALL = 2000
EXPENSIVE_BLENDED_PER_MTOK = Decimal(2)
LOW_CACHE_MIN_INPUT_TOKENS = 100_000
LOW_CACHE_SHARE = Decimal("0.10")
CACHEABLE_SHARE = Decimal("0.5")
ERROR_RATE = Decimal("0.05")


@dataclass(frozen=True)
class UsageLine:
    """The part of a recorded usage a re-pricing needs."""

    event_id: str
    timestamp: datetime
    model_id: str
    usage: Usage
    total_nanos: int


@dataclass(frozen=True)
class Repriced:
    """Actual cost of some usage next to its cost under other prices.

    An event the other prices cannot price (no version in force at its time)
    keeps its actual cost on both sides and is not counted in ``repriced``.
    """

    events: int = 0
    repriced: int = 0
    actual_nanos: int = 0
    what_if_nanos: int = 0

    @property
    def saved_nanos(self) -> int:
        return self.actual_nanos - self.what_if_nanos


def reprice(
    lines: Iterable[UsageLine],
    card_for: Callable[[datetime], RateCard | None],
    *,
    batch: bool | None = None,
) -> Repriced:
    """Price every line again with the card ``card_for`` gives for its timestamp (and,
    when ``batch`` is given, as a batch call or not), with the app's pricing rule."""
    events = repriced = actual = what_if = 0
    for line in lines:
        card = card_for(line.timestamp)
        usage = line.usage if batch is None else replace(line.usage, batch=batch)
        events += 1
        actual += line.total_nanos
        if card is None:
            what_if += line.total_nanos
            continue
        repriced += 1
        what_if += price(card, usage).total_nanos
    return Repriced(events, repriced, actual, what_if)


@dataclass(frozen=True)
class AgentModelUsage:
    """One agent's use of one model over a period (a row of agent_model_usage)."""

    agent_id: str | None
    model_id: str
    provider: str
    events: int
    errors: int
    error_nanos: int
    deferrable_events: int
    deferrable_nanos: int
    total_nanos: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int

    @property
    def tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + (self.cache_write_tokens)
        )


def agent_model_usage_from_row(row: Mapping[str, object]) -> AgentModelUsage:
    def count(name: str) -> int:
        value = row.get(name)
        return int(value) if isinstance(value, int) else 0

    agent = row.get("agent_id")
    return AgentModelUsage(
        agent_id=None if agent is None else str(agent),
        model_id=str(row.get("model_id") or ""),
        provider=str(row.get("provider") or ""),
        events=count("events"),
        errors=count("errors"),
        error_nanos=count("error_nanousd"),
        deferrable_events=count("deferrable_events"),
        deferrable_nanos=count("deferrable_nanousd"),
        total_nanos=count("total_nanousd"),
        input_tokens=count("input_tokens"),
        output_tokens=count("output_tokens"),
        cache_read_tokens=count("cache_read_tokens"),
        cache_write_tokens=count("cache_write_tokens"),
    )


@dataclass(frozen=True)
class Recommendation:
    """A change and the dollars it would have saved over the period."""

    kind: str
    agent_id: str | None
    model_id: str | None
    suggestion: str
    detail: str
    current_nanos: int
    saved_nanos: int
    alternative_model_id: str | None = None


def cheaper_model_candidates(
    rows: Iterable[AgentModelUsage], catalog: Catalog, at: datetime
) -> list[tuple[AgentModelUsage, RateCard]]:
    """Agents whose calls on an expensive model (blended rate above $2 per million tokens)
    average under 2k tokens, each with the closest cheaper model of the same provider."""
    found = []
    for row in rows:
        card = catalog.card_at(row.model_id, at)
        if card is None or row.events == 0:
            continue
        if row.tokens >= AVG_TOKENS_SMALL_CALL * row.events:
            continue
        if blended_per_mtok(card) <= EXPENSIVE_BLENDED_PER_MTOK:
            continue
        same_provider = [
            c for c in catalog.cheaper_alternatives(row.model_id, at) if c.provider == card.provider
        ]
        if same_provider:
            found.append((row, same_provider[0]))
    return found


def low_cache_recommendations(
    rows: Iterable[AgentModelUsage], catalog: Catalog, at: datetime
) -> list[Recommendation]:
    """Agents that send much uncached input (at least 100k tokens, under 10% read from
    cache) to a model whose cache reads are cheaper: the saving if half of that input had
    been read from cache at the model's rates."""
    out = []
    for row in rows:
        card = catalog.card_at(row.model_id, at)
        if card is None or row.input_tokens < LOW_CACHE_MIN_INPUT_TOKENS:
            continue
        context = row.input_tokens + row.cache_read_tokens
        if Decimal(row.cache_read_tokens) >= LOW_CACHE_SHARE * context:
            continue
        gap = card.input_per_mtok - card.cache_read_per_mtok
        if gap <= 0:
            continue
        moved = Decimal(row.input_tokens) * CACHEABLE_SHARE
        saved = int((moved * gap * 1000).to_integral_value(rounding=ROUND_HALF_EVEN))
        if saved <= 0:
            continue
        share_read = percent(row.cache_read_tokens, context)
        out.append(
            Recommendation(
                kind="low_cache_use",
                agent_id=row.agent_id,
                model_id=row.model_id,
                suggestion="cache the repeated prompt prefix (system prompt, tools, documents)",
                detail=(
                    f"{share_read}% of {context} context tokens were read from cache; saving if "
                    f"half of the {row.input_tokens} uncached input tokens were cache reads"
                ),
                current_nanos=row.total_nanos,
                saved_nanos=saved,
            )
        )
    return out


def error_recommendations(rows: Iterable[AgentModelUsage]) -> list[Recommendation]:
    """Agents whose failed calls are more than 5% of their calls: what the failures cost."""
    per_agent: dict[str | None, list[AgentModelUsage]] = {}
    for row in rows:
        per_agent.setdefault(row.agent_id, []).append(row)
    out = []
    for agent_id, group in per_agent.items():
        events = sum(r.events for r in group)
        errors = sum(r.errors for r in group)
        wasted = sum(r.error_nanos for r in group)
        if events == 0 or wasted <= 0 or Decimal(errors) <= ERROR_RATE * events:
            continue
        out.append(
            Recommendation(
                kind="high_error_rate",
                agent_id=agent_id,
                model_id=None,
                suggestion="find why calls fail (timeouts, bad tool calls) before retrying",
                detail=f"{errors} of {events} calls failed ({percent(errors, events)}%)",
                current_nanos=sum(r.total_nanos for r in group),
                saved_nanos=wasted,
            )
        )
    return out


def ranked(recommendations: Iterable[Recommendation]) -> list[Recommendation]:
    """Largest saving first; only those that save something."""
    kept = [r for r in recommendations if r.saved_nanos > 0]
    return sorted(kept, key=lambda r: (-r.saved_nanos, r.kind, r.agent_id or "", r.model_id or ""))


# -- allocation of shared agents ------------------------------------------------------

ALLOCATION_METHODS = ("even", "proportional", "by_tasks")


def allocate(amount_nanos: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``amount_nanos`` over the keys of ``weights`` in proportion to them, exactly:
    each gets the floor of its share and the nano-dollars left over go one each to the
    largest remainders (ties by key). Zero or missing weights everywhere split evenly."""
    keys = sorted(weights)
    if not keys:
        return {}
    positive = {k: max(weights[k], 0) for k in keys}
    total = sum(positive.values())
    if total == 0:
        positive, total = dict.fromkeys(keys, 1), len(keys)
    shares = {k: amount_nanos * positive[k] // total for k in keys}
    left = amount_nanos - sum(shares.values())
    by_remainder = sorted(keys, key=lambda k: (-(amount_nanos * positive[k] % total), k))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


@dataclass(frozen=True)
class AgentServing:
    """What one agent spent for one project (project None: not under any project)."""

    agent_id: str
    project_id: str | None
    nanos: int
    tasks: int


@dataclass(frozen=True)
class Allocation:
    """A shared agent's unattributed cost and the share of it each project carries."""

    agent_id: str
    shared_nanos: int
    shares: dict[str, int]


def allocate_shared(
    serving: Iterable[AgentServing], project_spend: Mapping[str, int], method: str
) -> list[Allocation]:
    """Allocate each agent's cost that is under no project to the projects it served in the
    period: ``even``ly, ``proportional`` to each project's direct spend, or ``by_tasks``
    (the number of that project's tasks the agent worked on). An agent that served no
    project keeps its cost unallocated (empty shares)."""
    if method not in ALLOCATION_METHODS:
        raise ReportError(f"method must be one of {'|'.join(ALLOCATION_METHODS)}, got {method!r}")
    shared: dict[str, int] = {}
    served: dict[str, dict[str, AgentServing]] = {}
    for row in serving:
        if row.project_id is None:
            shared[row.agent_id] = shared.get(row.agent_id, 0) + row.nanos
        else:
            served.setdefault(row.agent_id, {})[row.project_id] = row
    out = []
    for agent_id in sorted(shared):
        projects = served.get(agent_id, {})
        if method == "even":
            weights = dict.fromkeys(projects, 1)
        elif method == "proportional":
            weights = {p: project_spend.get(p, 0) for p in projects}
        else:
            weights = {p: row.tasks for p, row in projects.items()}
        out.append(Allocation(agent_id, shared[agent_id], allocate(shared[agent_id], weights)))
    return out
