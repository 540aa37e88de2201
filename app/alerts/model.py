"""Alerts as pure rules: levels, identities, anomaly and forecast tests, webhook signatures.

Money is integer nano-USD; ratios are `Decimal`. Delays between webhook
retries are seconds of time, so they are floats.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, localcontext
from typing import Any

from app.budgets.model import (
    DEFAULT_THRESHOLDS,
    Budget,
    Window,
    require_aware,
    thresholds_crossed,
)
from app.money import format_usd, round_nanos

LEVELS = {50: "info", 80: "warning", 95: "critical", 100: "exceeded"}
TOPICS = ("budget.warning", "budget.exceeded", "cost.recorded")
KINDS = ("threshold", "anomaly", "forecast")
SIGNATURE_HEADER = "X-Costgraph-Signature"
TIMESTAMP_HEADER = "X-Costgraph-Timestamp"
SIGNATURE_TOLERANCE_S = 300
BURN_FACTOR = Decimal("1.5")

# Sums of many nano-USD amounts times a factor need more than 28 digits to stay exact.
_PRECISION = 60


class AlertError(ValueError):
    """An alert configuration or input that breaks the alert rules."""


def level_for(threshold: int) -> str:
    """A threshold's level: under 80 info, under 95 warning, under 100 critical, else exceeded."""
    if threshold < 80:
        return "info"
    if threshold < 95:
        return "warning"
    if threshold < 100:
        return "critical"
    return "exceeded"


def topic_for(level: str) -> str:
    """The webhook topic of an alert level: "exceeded" has its own, the rest are warnings."""
    return "budget.exceeded" if level == "exceeded" else "budget.warning"


@dataclass(frozen=True)
class Webhook:
    """A URL that receives alerts of the listed topics, signed with `secret`."""

    url: str
    secret: str
    topics: tuple[str, ...] = ("budget.warning", "budget.exceeded")

    def validate(self) -> None:
        """Raise AlertError for a non-HTTP URL, an empty secret or an unknown topic."""
        if not self.url.startswith(("https://", "http://")):
            raise AlertError(f"webhook url must be http(s), got {self.url!r}")
        if not self.secret:
            raise AlertError(f"webhook {self.url} needs a secret to sign its payloads")
        unknown = [t for t in self.topics if t not in TOPICS]
        if unknown:
            raise AlertError(f"webhook {self.url}: unknown topic {unknown[0]!r}; known: {TOPICS}")

    def wants(self, topic: str) -> bool:
        """Whether this webhook subscribed to `topic`."""
        return topic in self.topics


@dataclass(frozen=True)
class AlertConfig:
    """Thresholds and channels. The in-app list always receives every alert."""

    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    webhooks: tuple[Webhook, ...] = ()
    emails: tuple[str, ...] = ()
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_sender: str | None = None
    anomaly_factor: Decimal = Decimal(2)
    anomaly_trailing_days: int = 7

    def validate(self) -> None:
        """Raise AlertError naming the first setting that cannot work."""
        previous = 0
        for value in self.thresholds:
            if not previous < value <= 100:
                raise AlertError(
                    f"thresholds must increase strictly within (0, 100], got {self.thresholds}"
                )
            previous = value
        for hook in self.webhooks:
            hook.validate()
        bad = [e for e in self.emails if "@" not in e.strip("@")]
        if bad:
            raise AlertError(f"not an email address: {bad[0]!r}")
        if self.emails and not (self.smtp_host and self.smtp_sender):
            raise AlertError("email alerts need smtp_host and smtp_sender")
        if self.smtp_port is not None and not 0 < self.smtp_port < 65536:
            raise AlertError(f"smtp_port must be within 1..65535, got {self.smtp_port}")
        if not self.anomaly_factor > 0:
            raise AlertError(f"anomaly_factor must be positive, got {self.anomaly_factor}")
        if self.anomaly_trailing_days < 1:
            raise AlertError("anomaly_trailing_days must be at least 1")


def _digest(*parts: str) -> str:
    # NUL cannot occur in the parts, so distinct inputs give distinct texts.
    return "alr_" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _utc_text(at: datetime) -> str:
    require_aware(at, "alert time")
    return at.astimezone(UTC).isoformat()


def alert_id(budget_id: str, window_start: datetime, threshold: int) -> str:
    """The id of the alert for `threshold` on a budget in one window.

    The same inputs always give the same id (the same instant in any time
    zone counts as the same start), so a unique constraint on Alert.id makes
    each threshold fire once per window even when ingestion runs concurrently.
    """
    return _digest("threshold", budget_id, _utc_text(window_start), str(threshold))


def anomaly_alert_id(scope_key: str, day_start: datetime) -> str:
    """The id of the anomaly alert for one scope (e.g. "project:my-arpg") on one day."""
    return _digest("anomaly", scope_key, _utc_text(day_start))


def forecast_alert_id(budget_id: str, window_start: datetime) -> str:
    """The id of the forecast alert for a budget in one window: a forecast warns once."""
    return _digest("forecast", budget_id, _utc_text(window_start))


@dataclass(frozen=True)
class Alert:
    """One alert; amounts are nano-USD or tokens according to `unit`."""

    id: str
    kind: str
    level: str
    budget_id: str | None
    threshold: int | None
    window_start: datetime
    observed: int
    limit: int | None
    unit: str = "usd"
    message: str = ""


def _amount_text(amount: int, unit: str) -> str:
    return f"{format_usd(amount)} USD" if unit == "usd" else f"{amount} tokens"


def threshold_alerts(
    budget: Budget,
    window: Window,
    before: int,
    after: int,
    *,
    unit: str = "usd",
    thresholds: Sequence[int] | None = None,
) -> list[Alert]:
    """The threshold alerts a move of spend from `before` to `after` raises on a budget.

    `unit` picks the limit: "usd" compares nano-USD with the amount, "tokens"
    compares tokens with the token limit; without that limit nothing fires.
    `thresholds` replaces the budget's own (e.g. with the alert config's).
    """
    if unit not in ("usd", "tokens"):
        raise AlertError(f"unit must be 'usd' or 'tokens', got {unit!r}")
    limit = budget.amount_nanos if unit == "usd" else budget.token_limit
    if limit is None:
        return []
    chosen = budget.thresholds if thresholds is None else thresholds
    alerts = []
    for threshold in thresholds_crossed(before, after, limit, chosen):
        level = level_for(threshold)
        message = (
            f"{budget.name}: {threshold}% reached "
            f"({_amount_text(after, unit)} of {_amount_text(limit, unit)})"
        )
        alerts.append(
            Alert(
                id=alert_id(budget.id, window.start, threshold),
                kind="threshold",
                level=level,
                budget_id=budget.id,
                threshold=threshold,
                window_start=window.start,
                observed=after,
                limit=limit,
                unit=unit,
                message=message,
            )
        )
    return alerts


def alert_payload(alert: Alert, topic: str | None = None) -> dict[str, Any]:
    """The JSON body sent to webhooks: money as decimal USD strings, times in RFC 3339."""
    amounts: dict[str, Any]
    if alert.unit == "usd":
        amounts = {
            "observed_usd": format_usd(alert.observed),
            "limit_usd": None if alert.limit is None else format_usd(alert.limit),
        }
    else:
        amounts = {"observed_tokens": alert.observed, "limit_tokens": alert.limit}
    return {
        "topic": topic or topic_for(alert.level),
        "id": alert.id,
        "kind": alert.kind,
        "level": alert.level,
        "budget_id": alert.budget_id,
        "threshold": alert.threshold,
        "window_start": _utc_text(alert.window_start),
        "message": alert.message,
        **amounts,
    }


def is_anomaly(
    day_spend_nanos: int, trailing_nanos: Sequence[int], factor: Decimal = Decimal(2)
) -> bool:
    """Whether a day's spend exceeds `factor` times the mean of the trailing days.

    Without any trailing day there is no baseline, so nothing is an anomaly.
    The comparison is day * n > factor * sum, exact in integers and Decimal.
    """
    if not factor > 0:
        raise AlertError(f"factor must be positive, got {factor}")
    if not trailing_nanos:
        return False
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Decimal(day_spend_nanos) * len(trailing_nanos) > factor * sum(trailing_nanos)


def month_end_projection(spent_nanos: int, window: Window, now: datetime) -> int:
    """Spend expected by the end of the window, extrapolating linearly from the elapsed share.

    Before the window starts, or for an unbounded ("total") window, nothing
    can be extrapolated and the spend is returned as is; after it ends, the
    spend is final.
    """
    fraction = window.elapsed_fraction(now)
    if window.unbounded or fraction in (0, 1):
        return spent_nanos
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return round_nanos(Decimal(spent_nanos) / fraction)


def projection_from_trailing(trailing_daily_nanos: Sequence[int], days_left: int) -> int:
    """Spend expected over the next `days_left` days at the trailing daily mean.

    This is the spend still to come; add what is already spent for a total.
    """
    if days_left < 0:
        raise AlertError(f"days_left must not be negative, got {days_left}")
    if not trailing_daily_nanos:
        return 0
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        total = Decimal(sum(trailing_daily_nanos)) * days_left
        return round_nanos(total / len(trailing_daily_nanos))


def burning_too_fast(percent_used: Decimal, elapsed_fraction: Decimal) -> bool:
    """Whether the budget is used faster than 1.5 times the share of its window elapsed."""
    return percent_used > BURN_FACTOR * elapsed_fraction * 100


def sign_payload(secret: str, body: bytes, timestamp: int) -> str:
    """HMAC-SHA256 hex digest over "<timestamp>." followed by the body.

    Covering the timestamp lets receivers refuse replays of an old delivery.
    """
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: int,
    signature: str,
    *,
    now: int | None = None,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """Whether `signature` signs this body and timestamp; with `now`, also refuse stale ones."""
    if now is not None and abs(now - timestamp) > tolerance_s:
        return False
    given = signature.strip().lower()
    if not given.isascii():
        return False
    return hmac.compare_digest(sign_payload(secret, body, timestamp), given)


def backoff_delays(attempts: int, base: float = 0.5, cap: float = 30.0) -> list[float]:
    """Seconds to wait before each retry: base, 2 x base, 4 x base ... never above `cap`."""
    if attempts < 0:
        raise AlertError(f"attempts must not be negative, got {attempts}")
    if base <= 0 or cap <= 0:
        raise AlertError("base and cap must be positive")
    delays: list[float] = []
    delay = min(cap, base)
    for _ in range(attempts):
        delays.append(delay)
        # Doubling a capped value never overflows, however many attempts.
        delay = min(cap, delay * 2)
    return delays
