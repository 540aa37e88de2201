"""Budgets as pure rules: what a budget is, which window it counts in, and whether spend fits.

Money is integer nano-USD and tokens are integers throughout; percentages are
`Decimal`. Nothing here reads the graph: the store hands in `BudgetState`s (a
budget, its current window and the spend recorded there) and acts on the
`Decision` that comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.money import format_usd

PERIODS = ("day", "week", "month", "total")
KINDS = ("hard", "soft")
SCOPE_KINDS = ("platform", "team", "project", "task", "agent")
DEFAULT_THRESHOLDS = (50, 80, 95)
PRIORITIES = ("low", "normal", "high", "critical")
EMERGENCY_PERCENT = 95

PERCENT_PLACES = Decimal("0.01")
NO_OVERRIDES: Mapping[str, int] = MappingProxyType({})
_MICROSECOND = timedelta(microseconds=1)


class BudgetError(ValueError):
    """A budget, limit or request that breaks the budget rules."""


def zone_for(tz: str) -> ZoneInfo:
    """The IANA time zone named `tz`; raises BudgetError for an unknown name."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise BudgetError(f"unknown time zone {tz!r}") from exc


def require_aware(at: datetime, name: str = "time") -> None:
    """Refuse naive datetimes: a budget window is an instant range, not wall-clock times."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise BudgetError(f"{name} must be timezone-aware, got {at.isoformat()}")


def _check_limit(name: str, value: int | None) -> None:
    # bool is an int subclass; True as a limit is always a mistake.
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise BudgetError(f"{name} must be a whole number, got {value!r}")
    if value <= 0:
        raise BudgetError(f"{name} must be positive, got {value}")


@dataclass(frozen=True)
class Scope:
    """What a budget is ALLOCATED_TO: a node of the organisation tree or an agent."""

    kind: str
    id: str


@dataclass(frozen=True)
class Budget:
    """A limit on money and/or tokens for one scope and period.

    Limits are strictly positive: a zero limit leaves every percentage
    undefined. `thresholds` are the warning percentages; 100 ("exceeded") is
    always implied. Per-run and concurrency limits may stand alone, so a
    budget that only caps run size or parallelism needs no amount.
    """

    id: str
    name: str
    scope: Scope
    amount_nanos: int | None
    token_limit: int | None
    period: str = "month"
    timezone: str = "UTC"
    kind: str = "hard"
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    parent_id: str | None = None
    max_tokens_per_run: int | None = None
    max_cost_per_run_nanos: int | None = None
    max_concurrent_runs: int | None = None

    def validate(self) -> None:
        """Raise BudgetError naming the first rule this budget breaks."""
        if not self.id:
            raise BudgetError("budget id must not be empty")
        if self.scope.kind not in SCOPE_KINDS:
            raise BudgetError(f"scope kind {self.scope.kind!r} is not one of {SCOPE_KINDS}")
        if not self.scope.id:
            raise BudgetError("scope id must not be empty")
        if self.period not in PERIODS:
            raise BudgetError(f"period {self.period!r} is not one of {PERIODS}")
        if self.kind not in KINDS:
            raise BudgetError(f"kind {self.kind!r} is not one of {KINDS}")
        zone_for(self.timezone)
        if self.parent_id == self.id:
            raise BudgetError(f"budget {self.id!r} cannot be its own parent")
        limits = {
            "amount": self.amount_nanos,
            "token_limit": self.token_limit,
            "max_tokens_per_run": self.max_tokens_per_run,
            "max_cost_per_run": self.max_cost_per_run_nanos,
            "max_concurrent_runs": self.max_concurrent_runs,
        }
        for name, value in limits.items():
            _check_limit(name, value)
        if all(value is None for value in limits.values()):
            raise BudgetError(f"budget {self.id!r} limits nothing: set an amount or a token limit")
        _check_thresholds(self.thresholds)

    @property
    def is_hard(self) -> bool:
        """Hard budgets block; soft budgets only warn."""
        return self.kind == "hard"


def _check_thresholds(thresholds: Sequence[int]) -> None:
    previous = 0
    for value in thresholds:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BudgetError(f"threshold {value!r} is not a whole percentage")
        if not previous < value <= 100:
            raise BudgetError(
                f"thresholds must increase strictly within (0, 100], got {tuple(thresholds)}"
            )
        previous = value


@dataclass(frozen=True)
class Window:
    """A half-open instant range [start, end) in UTC.

    A "total" budget never resets; its window is TOTAL_WINDOW, from
    1970-01-01 to 9999-01-01 UTC.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "window start")
        require_aware(self.end, "window end")
        if self.start >= self.end:
            raise BudgetError(f"window start {self.start} is not before its end {self.end}")

    def contains(self, at: datetime) -> bool:
        """Whether `at` falls in [start, end)."""
        return self.start <= at < self.end

    @property
    def unbounded(self) -> bool:
        """True for the window of a "total" budget, which has no meaningful length."""
        return self == TOTAL_WINDOW

    def elapsed_fraction(self, now: datetime) -> Decimal:
        """The share of the window that lies before `now`, clamped to [0, 1]."""
        require_aware(now, "now")
        total = (self.end - self.start) // _MICROSECOND
        elapsed = (now - self.start) // _MICROSECOND
        return Decimal(min(max(elapsed, 0), total)) / Decimal(total)


TOTAL_WINDOW = Window(datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


def _first_day(period: str, day: date) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _shift(period: str, first: date, steps: int) -> date:
    if period == "day":
        return first + timedelta(days=steps)
    if period == "week":
        return first + timedelta(weeks=steps)
    months = first.year * 12 + first.month - 1 + steps
    return date(months // 12, months % 12 + 1, 1)


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant whose local date in `zone` is `day` or later."""
    wall = datetime(day.year, day.month, day.day)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first <= second:
        # Midnight exists (if repeated, fold=0 is its first occurrence).
        return first
    # Midnight fell into a DST or date-line gap: the day began when the clocks
    # jumped, which lies in (second, first]; find it to the microsecond.
    low, high = 0, (first - second) // _MICROSECOND
    while high - low > 1:
        middle = (low + high) // 2
        if (second + middle * _MICROSECOND).astimezone(zone).date() >= day:
            high = middle
        else:
            low = middle
    return second + high * _MICROSECOND


def window_for(period: str, tz: str, at: datetime) -> Window:
    """The window of `period` containing `at`, starting at local midnight in `tz`.

    Days start at 00:00 local time, weeks on Monday (ISO), months on the 1st;
    the bounds are returned as UTC instants, so a day in a DST change is 23 or
    25 hours long. Where midnight is skipped, the day starts when the clocks
    jump. An instant exactly on a boundary belongs to the new window.
    """
    require_aware(at, "at")
    if period not in PERIODS:
        raise BudgetError(f"period {period!r} is not one of {PERIODS}")
    zone = zone_for(tz)
    if period == "total":
        return TOTAL_WINDOW
    first = _first_day(period, at.astimezone(zone).date())
    start = _day_start(first, zone)
    end = _day_start(_shift(period, first, 1), zone)
    # An hour repeated across midnight by a fall-back shows the previous date
    # after the new period has begun; such an instant belongs to the new one.
    while at >= end:
        first = _shift(period, first, 1)
        start, end = end, _day_start(_shift(period, first, 1), zone)
    return Window(start, end)


@dataclass(frozen=True)
class Spend:
    """What a window holds: recorded spend and open reservations, in money and tokens."""

    spent_nanos: int = 0
    reserved_nanos: int = 0
    tokens: int = 0
    reserved_tokens: int = 0

    @property
    def committed_nanos(self) -> int:
        """Money spent or held."""
        return self.spent_nanos + self.reserved_nanos

    @property
    def committed_tokens(self) -> int:
        """Tokens used or held."""
        return self.tokens + self.reserved_tokens


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT_PLACES, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class BudgetState:
    """One budget with the spend in its current window.

    `percent_used` counts recorded spend only (what has been billed);
    `percent_committed` adds open reservations (what is no longer available).
    Both are rounded to two places, for display; decisions compare integers.
    """

    budget: Budget
    window: Window
    spend: Spend

    @property
    def remaining_nanos(self) -> int | None:
        """Amount minus spent minus reserved; negative once overspent; None without an amount."""
        if self.budget.amount_nanos is None:
            return None
        return self.budget.amount_nanos - self.spend.committed_nanos

    @property
    def remaining_tokens(self) -> int | None:
        """Token limit minus tokens used and held; None without a token limit."""
        if self.budget.token_limit is None:
            return None
        return self.budget.token_limit - self.spend.committed_tokens

    @property
    def percent_used(self) -> Decimal | None:
        """Recorded spend as a percentage of the amount."""
        if self.budget.amount_nanos is None:
            return None
        return _percent(self.spend.spent_nanos, self.budget.amount_nanos)

    @property
    def percent_committed(self) -> Decimal | None:
        """Spend plus reservations as a percentage of the amount."""
        if self.budget.amount_nanos is None:
            return None
        return _percent(self.spend.committed_nanos, self.budget.amount_nanos)

    @property
    def percent_tokens_used(self) -> Decimal | None:
        """Tokens used as a percentage of the token limit."""
        if self.budget.token_limit is None:
            return None
        return _percent(self.spend.tokens, self.budget.token_limit)

    def room_for(self, amount_nanos: int, tokens: int, *, extra_nanos: int = 0) -> bool:
        """Whether a hard budget can take the request on top of spend and holds.

        `extra_nanos` is an admin override added to the amount. Soft budgets
        always have room: they warn, never block.
        """
        found = self.shortfalls(amount_nanos, tokens, extra_nanos=extra_nanos)
        return not found or not self.budget.is_hard

    def shortfalls(
        self, amount_nanos: int, tokens: int, *, extra_nanos: int = 0
    ) -> list[tuple[str, int, int]]:
        """The limits the request would pass, as (dimension, limit, committed) triples."""
        if amount_nanos < 0 or tokens < 0 or extra_nanos < 0:
            raise BudgetError("requested amount, tokens and overrides must not be negative")
        found: list[tuple[str, int, int]] = []
        amount = self.budget.amount_nanos
        if amount is not None and self.spend.committed_nanos + amount_nanos > amount + extra_nanos:
            found.append(("cost", amount + extra_nanos, self.spend.committed_nanos))
        limit = self.budget.token_limit
        if limit is not None and self.spend.committed_tokens + tokens > limit:
            found.append(("tokens", limit, self.spend.committed_tokens))
        return found


@dataclass(frozen=True)
class Shortfall:
    """A limit that a request would pass: `committed + requested > limit`.

    Units follow `dimension`: nano-USD for "cost", tokens for "tokens".
    """

    budget_id: str
    dimension: str
    limit: int
    committed: int
    requested: int

    @property
    def remaining(self) -> int:
        """What was left before the request; negative once overspent."""
        return self.limit - self.committed

    @property
    def reason(self) -> str:
        """A sentence for people: which budget, which limit, how much was left and asked."""
        if self.dimension == "cost":
            left, limit = format_usd(self.remaining), format_usd(self.limit)
            asked = format_usd(self.requested)
            return f"budget {self.budget_id}: {left} USD of {limit} left, {asked} USD requested"
        return (
            f"budget {self.budget_id}: {self.remaining} of {self.limit} tokens left, "
            f"{self.requested} requested"
        )


@dataclass(frozen=True)
class Denial(Shortfall):
    """A hard budget without room: the request is refused."""


@dataclass(frozen=True)
class BudgetWarning(Shortfall):
    """A soft budget that the request takes past its limit: allowed, but reported."""


@dataclass(frozen=True)
class Headroom:
    """What one budget has left before the request (None where it has no such limit)."""

    budget_id: str
    remaining_nanos: int | None
    remaining_tokens: int | None


@dataclass(frozen=True)
class Decision:
    """The answer to "may this be spent now?" over a whole chain of budgets.

    `audited` is set when the request needs a trail: it came with priority
    "critical", or an admin override supplied the room (`overrides_used`).
    Soft budgets never block at any priority, so "critical" passes them as
    any request does; what it adds is the audit entry.
    """

    allowed: bool
    denials: tuple[Denial, ...]
    warnings: tuple[BudgetWarning, ...]
    headroom: tuple[Headroom, ...]
    priority: str = "normal"
    overrides_used: tuple[str, ...] = ()
    audited: bool = False


def decide(
    states: Sequence[BudgetState],
    amount_nanos: int,
    tokens: int,
    *,
    priority: str = "normal",
    overrides: Mapping[str, int] = NO_OVERRIDES,
) -> Decision:
    """Check a request against every budget in the chain.

    Every hard budget must have room (its override, in nano-USD, counts as
    extra amount); one without room denies the request. Soft budgets never
    block and produce warnings instead. A child that is over-allocated
    against its parent still fits as long as both have room.
    """
    if priority not in PRIORITIES:
        raise BudgetError(f"priority {priority!r} is not one of {PRIORITIES}")
    denials: list[Denial] = []
    warnings: list[BudgetWarning] = []
    used: list[str] = []
    for state in states:
        budget_id = state.budget.id
        extra = overrides.get(budget_id, 0)
        found = state.shortfalls(amount_nanos, tokens, extra_nanos=extra)
        for dimension, limit, committed in found:
            requested = amount_nanos if dimension == "cost" else tokens
            fields = (budget_id, dimension, limit, committed, requested)
            if state.budget.is_hard:
                denials.append(Denial(*fields))
            else:
                warnings.append(BudgetWarning(*fields))
        if extra and state.budget.is_hard and not found and state.shortfalls(amount_nanos, tokens):
            used.append(budget_id)
    headroom = tuple(Headroom(s.budget.id, s.remaining_nanos, s.remaining_tokens) for s in states)
    return Decision(
        allowed=not denials,
        denials=tuple(denials),
        warnings=tuple(warnings),
        headroom=headroom,
        priority=priority,
        overrides_used=tuple(used),
        audited=priority == "critical" or bool(used),
    )


def thresholds_crossed(
    before_nanos: int, after_nanos: int, limit_nanos: int, thresholds: Sequence[int]
) -> list[int]:
    """The thresholds newly reached when spend moves from `before` to `after`, ascending.

    100 ("exceeded") is always among the candidates. A threshold t is reached
    when spend * 100 >= t * limit, in integers. Works for any unit (nano-USD
    or tokens) as long as all three amounts share it.
    """
    if limit_nanos <= 0:
        raise BudgetError(f"limit must be positive, got {limit_nanos}")
    candidates = sorted({*thresholds, 100})
    if candidates[0] <= 0:
        raise BudgetError(f"thresholds must be positive, got {tuple(thresholds)}")
    return [t for t in candidates if after_nanos * 100 >= t * limit_nanos > before_nanos * 100]


def lock_order(budget_ids: Iterable[str]) -> list[str]:
    """The order in which a transaction locks budgets: each id once, sorted.

    Every reservation takes its locks in this one global order, so no two
    transactions can each hold a lock the other waits for: a wait-for cycle
    would need some transaction to lock a smaller id after a larger one.
    A global order also covers chains that share only part of their path.
    """
    return sorted(set(budget_ids))


def in_emergency(states: Sequence[BudgetState], percent: int = EMERGENCY_PERCENT) -> bool:
    """Whether any hard budget has committed at least `percent` of its amount or tokens."""
    for state in (s for s in states if s.budget.is_hard):
        pairs = [
            (state.spend.committed_nanos, state.budget.amount_nanos),
            (state.spend.committed_tokens, state.budget.token_limit),
        ]
        if any(limit is not None and used * 100 >= percent * limit for used, limit in pairs):
            return True
    return False
