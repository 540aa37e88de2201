"""Rate cards, the pricing rule, and the versioned catalog of models.

Pricing rule. Rates are USD per million tokens, so one token at rate r costs
exactly r x 1000 nano-USD. Each of the four components (uncached input,
output, cache reads, cache writes at the rate of the usage's cache TTL) is
computed exactly, as a fraction in integer arithmetic, and rounded once, half
to even, to whole nano-USD. A tier re-prices the whole request when input +
cache reads + cache writes exceed its threshold; the highest threshold passed
wins. A batch request then loses ``batch_discount`` of the sum of the rounded
components, rounded once more. Reasoning tokens are output tokens.

Amortisation rule for local models (``hourly_usd`` set). A local model has no
per-token price: its box costs ``hourly_usd`` per hour and is expected to
push ``tokens_per_hour`` tokens of every kind through in that hour. So every
token, whatever its kind, costs ``hourly_usd / tokens_per_hour`` USD, and the
cost is booked to the input, output, cache-read or cache-write component of
its kind. Idle time is not charged to anyone; a fleet that uses the box less
than planned under-reports it, which is why the throughput is a stated
assumption on the card rather than a measurement.

Price versions. A new price is a new card with a later ``effective_from``;
an event is priced by the card whose ``effective_from`` is the latest one at
or before the event's timestamp.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation, localcontext
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from app.money import NANOS_PER_USD, MoneyError, divide_half_even, format_usd, to_decimal

CACHE_TTLS = ("5m", "1h")
CATALOG_PATH = Path(__file__).with_name("catalog.json")
# 1 USD per million tokens is 10^9 nano-USD over 10^6 tokens.
NANOS_PER_TOKEN_AT_ONE_USD_PER_MTOK = 1000
# An exact rate or share: (numerator, denominator).
Fraction = tuple[int, int]
# Blended rate for comparing models: three input tokens per output token.
BLEND_INPUT_WEIGHT = Decimal(3)

_DIVIDE = Context(prec=200, traps=[InvalidOperation])
_RATE_FIELDS = (
    "input_per_mtok",
    "output_per_mtok",
    "cache_read_per_mtok",
    "cache_write_5m_per_mtok",
    "cache_write_1h_per_mtok",
)


class PricingError(ValueError):
    """A rate card, usage or catalog that cannot be priced."""


@dataclass(frozen=True)
class Tier:
    """Rates replacing the base rates for a whole request above a context size.

    A cache rate left as None keeps the card's base rate.
    """

    above_input_tokens: int
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal | None = None
    cache_write_5m_per_mtok: Decimal | None = None
    cache_write_1h_per_mtok: Decimal | None = None


@dataclass(frozen=True)
class Rates:
    """The five per-million-token rates that apply to one request."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal
    cache_write_5m_per_mtok: Decimal
    cache_write_1h_per_mtok: Decimal

    @cached_property
    def per_token(self) -> tuple[Fraction, Fraction, Fraction, Fraction, Fraction]:
        """The five rates as exact fractions of a nano-USD per token (worked out once per
        set of rates, so pricing an event is integer arithmetic)."""
        return (
            _nanos_per_token(self.input_per_mtok),
            _nanos_per_token(self.output_per_mtok),
            _nanos_per_token(self.cache_read_per_mtok),
            _nanos_per_token(self.cache_write_5m_per_mtok),
            _nanos_per_token(self.cache_write_1h_per_mtok),
        )


@dataclass(frozen=True)
class RateCard:
    """One price version of one model; a new price is a new card, never an edit."""

    model_id: str
    provider: str
    effective_from: datetime
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cache_read_per_mtok: Decimal
    cache_write_5m_per_mtok: Decimal
    cache_write_1h_per_mtok: Decimal
    batch_discount: Decimal = Decimal(0)
    tiers: tuple[Tier, ...] = ()
    aliases: tuple[str, ...] = ()
    mode: str = "chat"
    hourly_usd: Decimal | None = None
    tokens_per_hour: int | None = None
    currency: str = "USD"

    def __post_init__(self) -> None:
        # Normalised to UTC so that equal instants give equal cards and versions;
        # a naive value is left alone for validate() to reject.
        at = self.effective_from
        if isinstance(at, datetime) and at.utcoffset() is not None:
            object.__setattr__(self, "effective_from", at.astimezone(UTC))

    @cached_property
    def version(self) -> str:
        """Stable id of this price version, e.g. ``gpt-4o@2024-10-02T00:00:00Z`` (computed
        once per card: every priced event asks for it)."""
        return f"{self.model_id}@{format_timestamp(self.effective_from)}"

    @property
    def is_local(self) -> bool:
        """True for a model priced by the hour rather than by the token."""
        return self.hourly_usd is not None

    def rates_for(self, context_tokens: int) -> Rates:
        """The rates for a request of this many input + cache tokens (tier applied)."""
        for above, rates in self._tier_rates:  # highest threshold first
            if context_tokens > above:
                return rates
        return self._base_rates

    @cached_property
    def _base_rates(self) -> Rates:
        return Rates(*(getattr(self, name) for name in _RATE_FIELDS))

    @cached_property
    def _tier_rates(self) -> tuple[tuple[int, Rates], ...]:
        """Each tier's threshold and full rates (a cache rate it leaves out is the base
        rate), highest threshold first."""
        base = self._base_rates
        return tuple(
            (
                tier.above_input_tokens,
                Rates(
                    tier.input_per_mtok,
                    tier.output_per_mtok,
                    _or(tier.cache_read_per_mtok, base.cache_read_per_mtok),
                    _or(tier.cache_write_5m_per_mtok, base.cache_write_5m_per_mtok),
                    _or(tier.cache_write_1h_per_mtok, base.cache_write_1h_per_mtok),
                ),
            )
            for tier in sorted(self.tiers, key=lambda t: t.above_input_tokens, reverse=True)
        )

    @cached_property
    def discount_fraction(self) -> Fraction:
        return self.batch_discount.as_integer_ratio()

    def validate(self) -> None:
        """Raise PricingError listing everything that makes this card unusable."""
        problems = list(_card_problems(self))
        if problems:
            raise PricingError(f"rate card {self.model_id!r}: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call; ``input_tokens`` excludes cache reads and writes."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_ttl: str = "5m"
    batch: bool = False

    @property
    def context_tokens(self) -> int:
        """Input + cache reads + cache writes: the size that selects a tier."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def validate(self) -> None:
        """Raise PricingError on negative or non-integer counts or an unknown TTL."""
        for name in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PricingError(f"{name} must be an integer, got {value!r}")
            if value < 0:
                raise PricingError(f"{name} must not be negative, got {value}")
        if self.cache_ttl not in CACHE_TTLS:
            raise PricingError(f"cache_ttl must be one of {CACHE_TTLS}, got {self.cache_ttl!r}")


@dataclass(frozen=True, slots=True)
class Cost:
    """The price of one usage in integer nano-USD, by component."""

    input_nanos: int
    output_nanos: int
    cache_read_nanos: int
    cache_write_nanos: int
    discount_nanos: int = 0

    @property
    def gross_nanos(self) -> int:
        """The four components before the batch discount."""
        return self.input_nanos + self.output_nanos + self.cache_read_nanos + self.cache_write_nanos

    @property
    def cache_nanos(self) -> int:
        """Cache reads plus cache writes."""
        return self.cache_read_nanos + self.cache_write_nanos

    @property
    def total_nanos(self) -> int:
        """What the usage costs: the four components minus the discount."""
        return self.gross_nanos - self.discount_nanos

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.input_nanos + other.input_nanos,
            self.output_nanos + other.output_nanos,
            self.cache_read_nanos + other.cache_read_nanos,
            self.cache_write_nanos + other.cache_write_nanos,
            self.discount_nanos + other.discount_nanos,
        )


def price(card: RateCard, usage: Usage) -> Cost:
    """Price one usage with one rate card (see the module docstring for the rule)."""
    usage.validate()
    if card.hourly_usd is not None:
        parts = _local_components(card.hourly_usd, card.tokens_per_hour, usage)
    else:
        parts = _token_components(card.rates_for(usage.context_tokens), usage)
    discount = 0
    if usage.batch and card.batch_discount:
        numerator, denominator = card.discount_fraction
        discount = divide_half_even(sum(parts) * numerator, denominator)
    return Cost(*parts, discount_nanos=discount)


def cost_to_dict(cost: Cost) -> dict[str, str]:
    """The wire form of a cost breakdown: USD decimal strings with 9 places."""
    return {
        "input_usd": format_usd(cost.input_nanos),
        "output_usd": format_usd(cost.output_nanos),
        "cache_read_usd": format_usd(cost.cache_read_nanos),
        "cache_write_usd": format_usd(cost.cache_write_nanos),
        "discount_usd": format_usd(cost.discount_nanos),
        "total_usd": format_usd(cost.total_nanos),
    }


def blended_per_mtok(card: RateCard) -> Decimal:
    """One USD-per-million figure to rank models: input and output blended 3:1."""
    if card.hourly_usd is not None and card.tokens_per_hour:
        with localcontext(_DIVIDE):
            return card.hourly_usd * 1_000_000 / card.tokens_per_hour
    weighted = BLEND_INPUT_WEIGHT * card.input_per_mtok + card.output_per_mtok
    return weighted / (BLEND_INPUT_WEIGHT + 1)


def format_timestamp(at: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; microseconds only when present."""
    spec = "microseconds" if at.microsecond else "seconds"
    return at.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def _or(value: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if value is None else value


def _nanos_per_token(rate: Decimal) -> Fraction:
    """USD per million tokens as an exact fraction of a nano-USD per token."""
    numerator, denominator = rate.as_integer_ratio()
    return numerator * NANOS_PER_TOKEN_AT_ONE_USD_PER_MTOK, denominator


def _token_components(rates: Rates, usage: Usage) -> tuple[int, int, int, int]:
    to_input, to_output, to_read, to_write_5m, to_write_1h = rates.per_token

    def part(tokens: int, rate: Fraction) -> int:
        if not tokens:
            return 0  # most events leave some kinds of token unused
        return divide_half_even(tokens * rate[0], rate[1])

    return (
        part(usage.input_tokens, to_input),
        part(usage.output_tokens, to_output),
        part(usage.cache_read_tokens, to_read),
        part(usage.cache_write_tokens, to_write_5m if usage.cache_ttl == "5m" else to_write_1h),
    )


def _local_components(
    hourly_usd: Decimal, tokens_per_hour: int | None, usage: Usage
) -> tuple[int, int, int, int]:
    if not tokens_per_hour:
        raise PricingError("a local model needs tokens_per_hour to amortise its hourly cost")
    numerator, denominator = hourly_usd.as_integer_ratio()
    per_hour = denominator * tokens_per_hour

    def part(tokens: int) -> int:
        return divide_half_even(tokens * numerator * NANOS_PER_USD, per_hour)

    return (
        part(usage.input_tokens),
        part(usage.output_tokens),
        part(usage.cache_read_tokens),
        part(usage.cache_write_tokens),
    )


def _rate_problem(name: str, value: object) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return f"{name} must be a finite Decimal, got {value!r}"
    if value < 0:
        return f"{name} must not be negative, got {value}"
    return None


def _tier_problems(card: RateCard) -> Iterator[str]:
    thresholds = [t.above_input_tokens for t in card.tiers]
    if len(set(thresholds)) != len(thresholds):
        yield f"tier thresholds repeat: {thresholds}"
    for tier in card.tiers:
        threshold = tier.above_input_tokens
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
            yield f"tier threshold must be a non-negative integer, got {threshold!r}"
        for name in ("input_per_mtok", "output_per_mtok", *_RATE_FIELDS[2:]):
            value = getattr(tier, name)
            problem = None if value is None else _rate_problem(f"tier {name}", value)
            if problem:
                yield problem


def _local_problems(card: RateCard) -> Iterator[str]:
    if card.hourly_usd is None:
        if card.tokens_per_hour is not None:
            yield "tokens_per_hour is set but hourly_usd is not"
        return
    problem = _rate_problem("hourly_usd", card.hourly_usd)
    if problem:
        yield problem
    tph = card.tokens_per_hour
    if isinstance(tph, bool) or not isinstance(tph, int) or tph <= 0:
        yield f"a local model needs a positive integer tokens_per_hour, got {tph!r}"
    if any(getattr(card, name) != 0 for name in _RATE_FIELDS) or card.tiers:
        yield "a local model has no per-token rates or tiers: its cost is hourly_usd"


def _card_problems(card: RateCard) -> Iterator[str]:
    for name in ("model_id", "provider", "mode"):
        value = getattr(card, name)
        if not isinstance(value, str) or not value.strip():
            yield f"{name} must be a non-empty string"
    if card.currency != "USD":
        yield f"currency must be USD, got {card.currency!r}"
    at = card.effective_from
    if not isinstance(at, datetime) or at.utcoffset() is None:
        yield f"effective_from must be a timezone-aware datetime, got {at!r}"
    for name in _RATE_FIELDS:
        problem = _rate_problem(name, getattr(card, name))
        if problem:
            yield problem
    discount = card.batch_discount
    if _rate_problem("batch_discount", discount) or not 0 <= discount <= 1:
        yield f"batch_discount must be a fraction in [0, 1], got {discount!r}"
    folded = [a.strip().lower() for a in card.aliases if isinstance(a, str)]
    if len(folded) != len(card.aliases) or not all(folded):
        yield "aliases must be non-empty strings"
    elif len(set(folded)) != len(folded):
        yield "aliases repeat"
    yield from _tier_problems(card)
    yield from _local_problems(card)


_VENDOR_DOT = re.compile(r"^[a-z]+\.(?=[a-z])")
_SNAPSHOT_SUFFIX = re.compile(
    r"(?:[-@](?:\d{8}|\d{4}-\d{2}-\d{2}|\d{4})"
    r"|-(?:latest|preview(?:-\d{2}-\d{2})?|exp(?:-\d{4})?)"
    r"|-v\d+(?::\d+)?|:latest)$"
)


def _name_variants(key: str) -> Iterator[str]:
    """Names one step less specific: provider prefix, vendor dot or snapshot suffix removed."""
    if "/" in key:
        yield key.split("/", 1)[1]
        yield key.rsplit("/", 1)[1]
    vendor = _VENDOR_DOT.match(key)
    if vendor:
        yield key[vendor.end() :]
    yield _SNAPSHOT_SUFFIX.sub("", key)


def _name_candidates(name: str, provider: str | None) -> list[str]:
    key = name.strip().lower()
    if not key:
        return []
    prefix = (provider or "").strip().lower()
    found = [f"{prefix}/{key}", key] if prefix else [key]
    i = 0
    while i < len(found) and len(found) < 64:
        found.extend(v for v in _name_variants(found[i]) if v and v not in found)
        i += 1
    return found


RESOLVED_MEMO_SIZE = 4096


class Catalog:
    """Every price version of many models, looked up by name and by time.

    The constructor validates every card and refuses two versions of a model
    with the same ``effective_from``, a model whose versions disagree on the
    provider, and a name (id or alias, compared case-insensitively) claimed by
    two models.
    """

    def __init__(self, cards: Iterable[RateCard]) -> None:
        grouped: dict[str, list[RateCard]] = {}
        for card in cards:
            card.validate()
            grouped.setdefault(card.model_id, []).append(card)
        self._versions = {m: _ordered_versions(m, vs) for m, vs in grouped.items()}
        self._starts = {m: [c.effective_from for c in vs] for m, vs in self._versions.items()}
        self._names = _name_index(self._versions)
        self._resolved: dict[tuple[str, str | None], str] = {}

    def __len__(self) -> int:
        return len(self._versions)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._versions

    def resolve(self, name: str, provider: str | None = None) -> str | None:
        """The canonical model id for an id, alias, dated snapshot or prefixed name.

        Case-insensitive. ``provider`` is a hint: ``provider/name`` is tried
        first, so provider-specific aliases win, but it never rejects a match.
        Then the name itself, then less specific forms of it: without a
        ``provider/`` prefix, a ``vendor.`` prefix, or a snapshot suffix such as
        ``-20250929``, ``-2024-08-06``, ``@20240620``, ``-0613`` or ``-latest``.
        """
        known = self._resolved.get((name, provider))
        if known is not None:
            return known
        for candidate in _name_candidates(name, provider):
            model_id = self._names.get(candidate)
            if model_id is not None:
                # Names that resolve are remembered (a catalog never changes); the memo is
                # bounded, as names come from callers.
                if len(self._resolved) >= RESOLVED_MEMO_SIZE:
                    self._resolved.clear()
                self._resolved[(name, provider)] = model_id
                return model_id
        return None

    def card_at(self, model_id: str, at: datetime) -> RateCard | None:
        """The version in force at ``at``: the latest ``effective_from <= at``.

        An event exactly at ``effective_from`` takes the new price. None before
        the first version or for an unknown model. A name that is not a model
        id is resolved first.
        """
        _require_aware(at)
        known = model_id if model_id in self._versions else self.resolve(model_id)
        if known is None:
            return None
        index = bisect.bisect_right(self._starts[known], at) - 1
        return self._versions[known][index] if index >= 0 else None

    def lookup(self, name: str, at: datetime, provider: str | None = None) -> RateCard | None:
        """Resolve a name and return its card in force at ``at``."""
        model_id = self.resolve(name, provider)
        return None if model_id is None else self.card_at(model_id, at)

    def versions(self, model_id: str) -> list[RateCard]:
        """Every version of a model, oldest first; empty for an unknown id."""
        return list(self._versions.get(model_id, ()))

    def model_ids(self) -> list[str]:
        """Canonical ids of every model, sorted."""
        return sorted(self._versions)

    def cards(self) -> list[RateCard]:
        """Every version of every model, by model id then oldest first."""
        return [card for model_id in self.model_ids() for card in self._versions[model_id]]

    def current(self, at: datetime) -> list[RateCard]:
        """The card in force at ``at`` for each model priced by then, by model id."""
        found = (self.card_at(model_id, at) for model_id in self.model_ids())
        return [card for card in found if card is not None]

    def extend(self, cards: Iterable[RateCard]) -> Catalog:
        """A new catalog with these cards (new models or new versions) added."""
        return Catalog([*self.cards(), *cards])

    def closest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` model ids whose names look like ``name``, best first."""
        key = name.strip().lower().rsplit("/", 1)[-1]
        if n <= 0 or not key:
            return []
        matches = difflib.get_close_matches(key, list(self._names), n=n * 4, cutoff=0.5)
        ids = list(dict.fromkeys(self._names[match] for match in matches))
        return ids[:n]

    def cheaper_alternatives(self, model_id: str, at: datetime) -> list[RateCard]:
        """Cards in force at ``at`` of the same mode with a lower blended rate.

        Order: models of the same provider first, then the others; within each
        group the dearest first (the closest substitute) and the cheapest last.
        Empty for a model not priced at ``at``.
        """
        card = self.card_at(model_id, at)
        if card is None:
            return []
        ceiling = blended_per_mtok(card)
        found = [
            other
            for other in self.current(at)
            if other.model_id != card.model_id
            and other.mode == card.mode
            and blended_per_mtok(other) < ceiling
        ]
        found.sort(key=lambda c: (c.provider != card.provider, -blended_per_mtok(c), c.model_id))
        return found


def _require_aware(at: datetime) -> None:
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise PricingError(f"a timezone-aware datetime is required, got {at!r}")


def _ordered_versions(model_id: str, cards: list[RateCard]) -> tuple[RateCard, ...]:
    ordered = sorted(cards, key=lambda c: c.effective_from)
    for older, newer in zip(ordered, ordered[1:], strict=False):
        if older.effective_from == newer.effective_from:
            raise PricingError(f"{model_id!r} has two versions from {newer.effective_from}")
    providers = {c.provider for c in ordered}
    if len(providers) > 1:
        raise PricingError(f"{model_id!r} versions disagree on the provider: {sorted(providers)}")
    return tuple(ordered)


def _name_index(versions: Mapping[str, tuple[RateCard, ...]]) -> dict[str, str]:
    names: dict[str, str] = {}

    def claim(name: str, model_id: str) -> None:
        key = name.strip().lower()
        holder = names.setdefault(key, model_id)
        if holder != model_id:
            raise PricingError(f"name {name!r} is claimed by both {holder!r} and {model_id!r}")

    for model_id in versions:
        claim(model_id, model_id)
    for model_id, cards in versions.items():
        for card in cards:
            for alias in card.aliases:
                claim(alias, model_id)
    return names


def card_from_dict(d: Mapping[str, Any]) -> RateCard:
    """Read a rate card from its wire shape and validate it.

    Money is a decimal string (or an integer; floats are refused).
    ``effective_from`` is RFC 3339 with an offset. Defaults for fields left
    out: cache read and cache write 5m at the input rate (a cached token is
    then never billed below an uncached one), cache write 1h at the 5m rate,
    batch discount 0, no tiers, no aliases, mode ``chat``. A local card (with
    ``hourly_usd``) may leave out every per-token rate. Unknown keys, such as
    ``notes`` or ``version``, are ignored.
    """
    if not isinstance(d, Mapping):
        raise PricingError("a rate card must be an object")
    hourly = _optional_money(d, "hourly_usd")
    zero = Decimal(0) if hourly is not None else None
    input_rate = _money(d, "input_per_mtok", zero)
    write_5m = _money(d, "cache_write_5m_per_mtok", input_rate)
    card = RateCard(
        model_id=_text(d, "id" if "id" in d else "model_id"),
        provider=_text(d, "provider"),
        effective_from=_timestamp(d.get("effective_from")),
        input_per_mtok=input_rate,
        output_per_mtok=_money(d, "output_per_mtok", zero),
        cache_read_per_mtok=_money(d, "cache_read_per_mtok", input_rate),
        cache_write_5m_per_mtok=write_5m,
        cache_write_1h_per_mtok=_money(d, "cache_write_1h_per_mtok", write_5m),
        batch_discount=_money(d, "batch_discount", Decimal(0)),
        tiers=tuple(sorted(map(_tier, _list(d, "tiers")), key=lambda t: t.above_input_tokens)),
        aliases=tuple(map(_alias, _list(d, "aliases"))),
        mode=_text(d, "mode", "chat"),
        hourly_usd=hourly,
        tokens_per_hour=_optional_count(d, "tokens_per_hour"),
        currency=_text(d, "currency", "USD"),
    )
    card.validate()
    return card


def card_to_dict(card: RateCard) -> dict[str, Any]:
    """The wire shape of a rate card; ``card_from_dict`` reads it back unchanged."""
    return {
        "id": card.model_id,
        "provider": card.provider,
        "aliases": list(card.aliases),
        "effective_from": format_timestamp(card.effective_from),
        "version": card.version,
        "mode": card.mode,
        "currency": card.currency,
        **{name: _money_text(getattr(card, name)) for name in _RATE_FIELDS},
        "batch_discount": _money_text(card.batch_discount),
        "tiers": [_tier_to_dict(tier) for tier in card.tiers],
        "hourly_usd": None if card.hourly_usd is None else _money_text(card.hourly_usd),
        "tokens_per_hour": card.tokens_per_hour,
    }


def cards_from_document(doc: Mapping[str, Any]) -> list[RateCard]:
    """Read a catalog document: ``{"currency": "USD", "models": [rate cards]}``."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("models"), list):
        raise PricingError("a catalog document needs a 'models' list")
    if doc.get("currency", "USD") != "USD":
        raise PricingError(f"catalog currency must be USD, got {doc.get('currency')!r}")
    cards = []
    for position, item in enumerate(doc["models"]):
        try:
            cards.append(card_from_dict(item))
        except PricingError as exc:
            raise PricingError(f"models[{position}]: {exc}") from exc
    return cards


def load_default_catalog() -> list[RateCard]:
    """The rate cards of the bundled ``catalog.json`` (read once per process)."""
    return list(_default_cards())


@lru_cache(maxsize=1)
def _default_cards() -> tuple[RateCard, ...]:
    with CATALOG_PATH.open(encoding="utf-8") as handle:
        return tuple(cards_from_document(json.load(handle)))


def _money_text(value: Decimal) -> str:
    return format(value, "f")


def _tier_to_dict(tier: Tier) -> dict[str, Any]:
    out: dict[str, Any] = {"above_input_tokens": tier.above_input_tokens}
    for name in ("input_per_mtok", "output_per_mtok", *_RATE_FIELDS[2:]):
        value = getattr(tier, name)
        if value is not None:
            out[name] = _money_text(value)
    return out


def _tier(raw: Any) -> Tier:
    if not isinstance(raw, Mapping):
        raise PricingError("a tier must be an object")
    threshold = _optional_count(raw, "above_input_tokens")
    if threshold is None:
        raise PricingError("a tier needs above_input_tokens")
    return Tier(
        above_input_tokens=threshold,
        input_per_mtok=_money(raw, "input_per_mtok"),
        output_per_mtok=_money(raw, "output_per_mtok"),
        cache_read_per_mtok=_optional_money(raw, "cache_read_per_mtok"),
        cache_write_5m_per_mtok=_optional_money(raw, "cache_write_5m_per_mtok"),
        cache_write_1h_per_mtok=_optional_money(raw, "cache_write_1h_per_mtok"),
    )


def _money(d: Mapping[str, Any], key: str, default: Decimal | None = None) -> Decimal:
    found = _optional_money(d, key)
    if found is not None:
        return found
    if default is None:
        raise PricingError(f"{key} is required")
    return default


def _optional_money(d: Mapping[str, Any], key: str) -> Decimal | None:
    raw = d.get(key)
    if raw is None:
        return None
    try:
        return to_decimal(raw)
    except MoneyError as exc:
        raise PricingError(f"{key}: {exc}") from exc


def _text(d: Mapping[str, Any], key: str, default: str | None = None) -> str:
    raw = d.get(key, default)
    if not isinstance(raw, str) or not raw.strip():
        raise PricingError(f"{key} must be a non-empty string, got {raw!r}")
    return raw.strip()


def _alias(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise PricingError(f"an alias must be a non-empty string, got {raw!r}")
    return raw.strip()


def _optional_count(d: Mapping[str, Any], key: str) -> int | None:
    raw = d.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise PricingError(f"{key} must be an integer, got {raw!r}")
    return raw


def _list(d: Mapping[str, Any], key: str) -> list[Any]:
    raw = d.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise PricingError(f"{key} must be a list, got {raw!r}")
    return list(raw)


def _timestamp(raw: Any) -> datetime:
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise PricingError(f"effective_from is not RFC 3339: {raw!r}") from exc
    if not isinstance(raw, datetime) or raw.utcoffset() is None:
        raise PricingError(f"effective_from must be a timestamp with an offset, got {raw!r}")
    return raw
