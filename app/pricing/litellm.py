"""Rate cards from a LiteLLM price map (``model_prices_and_context_window.json``).

LiteLLM prices in USD per token as JSON floats; a card prices per million
tokens in Decimal. Each float is read through its shortest repr, the literal
that was written in the JSON, so 3e-06 becomes exactly 3.00 per million and no
binary rounding error enters the card.

Field mapping (per entry):

- ``input_cost_per_token``, ``output_cost_per_token`` -> input, output rate.
  Both are required, except that an embedding without an output price has an
  output rate of 0.
- ``cache_read_input_token_cost`` -> cache read; absent: the input rate.
- ``cache_creation_input_token_cost`` -> 5-minute cache write; absent: the
  input rate.
- ``cache_creation_input_token_cost_above_1hr`` -> 1-hour cache write; absent:
  the 5-minute write rate.
  (LiteLLM itself bills an absent cache price as zero; defaulting to the
  uncached rates never under-reports spend.)
- ``<price>_above_<N>k_tokens`` -> a tier above N x 1000 context tokens, made
  when ``input_cost_per_token_above_<N>k_tokens`` exists (as LiteLLM does);
  tier prices left out keep the base price, and a tier 1-hour write falls back
  to the tier 5-minute write when the entry has no 1-hour price at all.
- ``input_cost_per_token_batches`` / ``output_cost_per_token_batches`` -> a
  batch discount of ``1 - batch / base`` when every side given agrees and
  lies in [0, 1]; otherwise no discount.
- ``litellm_provider`` -> provider; ``mode`` -> mode (``completion`` and
  ``responses`` become ``chat``). Entries priced per image, second or
  character (image generation, audio, rerank, ...) are skipped.
- Model id: the key without its ``provider/`` prefix when the prefix is the
  entry's ``litellm_provider`` and the bare name is not itself a key (nor
  taken by an earlier entry); the full key is then kept as an alias.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.pricing.model import PricingError, RateCard, Rates, Tier

MAP_FILENAMES = (
    "model_prices_and_context_window_backup.json",
    "model_prices_and_context_window.json",
)
_MODES = {"chat": "chat", "completion": "chat", "responses": "chat", "embedding": "embedding"}
_ABOVE = re.compile(
    r"^(?P<price>input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost(?:_above_1hr)?)_above_(?P<size>\d+)(?P<k>k?)_tokens$"
)
_TIER_FIELDS = {
    "input_cost_per_token": "input_per_mtok",
    "output_cost_per_token": "output_per_mtok",
    "cache_read_input_token_cost": "cache_read_per_mtok",
    "cache_creation_input_token_cost": "cache_write_5m_per_mtok",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h_per_mtok",
}


class _Skip(Exception):
    """An entry that cannot become a rate card; the message says why."""


def cards_from_litellm(
    price_map: Mapping[str, Any], effective_from: datetime
) -> tuple[list[RateCard], list[str]]:
    """Rate cards for every per-token entry of a LiteLLM price map.

    Returns the cards (in key order) and one ``"key: reason"`` line per
    skipped entry. Every card takes ``effective_from`` (timezone-aware).
    """
    if effective_from.utcoffset() is None:
        raise PricingError("effective_from must be timezone-aware")
    keys = {key.lower() for key in price_map}
    taken: set[str] = set()
    cards: list[RateCard] = []
    skipped: list[str] = []
    for key in sorted(price_map):
        try:
            card = _card(key, price_map[key], effective_from, keys, taken)
        except (_Skip, PricingError) as exc:
            skipped.append(f"{key}: {exc}")
            continue
        taken.add(card.model_id.lower())
        cards.append(card)
    return cards, skipped


def default_litellm_map_path() -> Path | None:
    """The price map bundled with an installed ``litellm`` package, if any.

    Found without importing litellm (which is slow to import).
    """
    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for name in MAP_FILENAMES:
            candidate = Path(location) / name
            if candidate.is_file():
                return candidate
    return None


def read_litellm_map(path: Path) -> dict[str, Any]:
    """Read a LiteLLM price map file (floats stay floats; the import reads them exactly)."""
    price_map = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(price_map, dict):
        raise PricingError(f"{path} is not a LiteLLM price map (expected a JSON object)")
    return price_map


def per_mtok(value: Any) -> Decimal:
    """USD per token (float, int, Decimal or string) as an exact USD-per-million Decimal."""
    if isinstance(value, bool):
        raise PricingError(f"price {value!r} is not a number")
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise PricingError(f"price {value!r} is not a number") from exc
    if not exact.is_finite() or exact < 0:
        raise PricingError(f"price {value!r} is not a non-negative number")
    return exact.scaleb(6)


def _card(
    key: str, entry: Any, effective_from: datetime, keys: set[str], taken: set[str]
) -> RateCard:
    if key == "sample_spec":
        raise _Skip("documentation entry, not a model")
    if not isinstance(entry, Mapping):
        raise _Skip("entry is not an object")
    raw_mode = entry.get("mode", "chat")
    mode = _MODES.get(raw_mode) if isinstance(raw_mode, str) else None
    if mode is None:
        raise _Skip(f"mode {raw_mode!r} is not priced per token")
    if entry.get("input_cost_per_token") is None:
        raise _Skip("no input_cost_per_token")
    if entry.get("output_cost_per_token") is None and mode != "embedding":
        raise _Skip("no output_cost_per_token")
    provider = _provider(key, entry)
    model_id, aliases = _identity(key, provider, keys, taken)
    base = _base_rates(entry)
    card = RateCard(
        model_id=model_id,
        provider=provider,
        effective_from=effective_from,
        input_per_mtok=base.input_per_mtok,
        output_per_mtok=base.output_per_mtok,
        cache_read_per_mtok=base.cache_read_per_mtok,
        cache_write_5m_per_mtok=base.cache_write_5m_per_mtok,
        cache_write_1h_per_mtok=base.cache_write_1h_per_mtok,
        batch_discount=_batch_discount(entry, base),
        tiers=_tiers(entry, base.output_per_mtok),
        aliases=aliases,
        mode=mode,
    )
    card.validate()
    return card


def _provider(key: str, entry: Mapping[str, Any]) -> str:
    provider = entry.get("litellm_provider")
    if isinstance(provider, str) and provider.strip():
        return provider.strip()
    if "/" in key:
        return key.split("/", 1)[0]
    raise _Skip("no litellm_provider")


def _identity(
    key: str, provider: str, keys: set[str], taken: set[str]
) -> tuple[str, tuple[str, ...]]:
    prefix, _, bare = key.partition("/")
    if bare and prefix.lower() == provider.lower():
        folded = bare.lower()
        if folded not in keys and folded not in taken:
            return bare, (key,)
    return key, ()


def _base_rates(entry: Mapping[str, Any]) -> Rates:
    input_rate = per_mtok(entry["input_cost_per_token"])
    output_raw = entry.get("output_cost_per_token")
    write_5m = _or(_optional(entry, "cache_creation_input_token_cost"), input_rate)
    return Rates(
        input_per_mtok=input_rate,
        output_per_mtok=Decimal(0) if output_raw is None else per_mtok(output_raw),
        cache_read_per_mtok=_or(_optional(entry, "cache_read_input_token_cost"), input_rate),
        cache_write_5m_per_mtok=write_5m,
        cache_write_1h_per_mtok=_or(
            _optional(entry, "cache_creation_input_token_cost_above_1hr"), write_5m
        ),
    )


def _batch_discount(entry: Mapping[str, Any], base: Rates) -> Decimal:
    fractions = set()
    for key, rate in (
        ("input_cost_per_token_batches", base.input_per_mtok),
        ("output_cost_per_token_batches", base.output_per_mtok),
    ):
        batch = _optional(entry, key)
        if batch is not None and rate > 0:
            fractions.add(1 - batch / rate)
    if len(fractions) != 1:
        return Decimal(0)
    fraction = fractions.pop()
    return fraction if 0 <= fraction <= 1 else Decimal(0)


def _tiers(entry: Mapping[str, Any], base_output: Decimal) -> tuple[Tier, ...]:
    by_size: dict[int, dict[str, Decimal]] = {}
    for key in entry:
        match = _ABOVE.match(key)
        if match is None or entry[key] is None:
            continue
        size = int(match["size"]) * (1000 if match["k"] else 1)
        by_size.setdefault(size, {})[_TIER_FIELDS[match["price"]]] = per_mtok(entry[key])
    has_1h = entry.get("cache_creation_input_token_cost_above_1hr") is not None
    tiers = []
    for size, rates in sorted(by_size.items()):
        if "input_per_mtok" not in rates:
            continue
        write_5m = rates.get("cache_write_5m_per_mtok")
        write_1h = rates.get("cache_write_1h_per_mtok")
        tiers.append(
            Tier(
                above_input_tokens=size,
                input_per_mtok=rates["input_per_mtok"],
                output_per_mtok=rates.get("output_per_mtok", base_output),
                cache_read_per_mtok=rates.get("cache_read_per_mtok"),
                cache_write_5m_per_mtok=write_5m,
                cache_write_1h_per_mtok=write_1h if write_1h is not None or has_1h else write_5m,
            )
        )
    return tuple(tiers)


def _optional(entry: Mapping[str, Any], key: str) -> Decimal | None:
    raw = entry.get(key)
    return None if raw is None else per_mtok(raw)


def _or(value: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if value is None else value
