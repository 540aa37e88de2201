"""Cards imported from a LiteLLM price map price exactly as its per-token formula, in Decimal."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.money import round_nanos
from app.pricing.litellm import (
    cards_from_litellm,
    default_litellm_map_path,
    per_mtok,
    read_litellm_map,
)
from app.pricing.model import Catalog, PricingError, RateCard, Usage, price

WHEN = datetime(2025, 10, 1, tzinfo=UTC)

SONNET = {
    "litellm_provider": "anthropic",
    "mode": "chat",
    "input_cost_per_token": 3e-06,
    "output_cost_per_token": 1.5e-05,
    "cache_read_input_token_cost": 3e-07,
    "cache_creation_input_token_cost": 3.75e-06,
    "cache_creation_input_token_cost_above_1hr": 6e-06,
    "input_cost_per_token_above_200k_tokens": 6e-06,
    "output_cost_per_token_above_200k_tokens": 2.25e-05,
    "cache_read_input_token_cost_above_200k_tokens": 6e-07,
    "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
    "input_cost_per_token_batches": 1.5e-06,
    "output_cost_per_token_batches": 7.5e-06,
}
GEMINI_PRO = {
    "litellm_provider": "gemini",
    "mode": "chat",
    "input_cost_per_token": 1.25e-06,
    "output_cost_per_token": 1e-05,
    "cache_read_input_token_cost": 3.1e-07,
    "input_cost_per_token_above_200k_tokens": 2.5e-06,
    "output_cost_per_token_above_200k_tokens": 1.5e-05,
}
PRICE_MAP: dict[str, Any] = {
    "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "mode": "chat"},
    "claude-sonnet-4-5": SONNET,
    "gemini/gemini-2.5-pro": GEMINI_PRO,
    "groq/llama-3.1-8b-instant": {
        "litellm_provider": "groq",
        "mode": "chat",
        "input_cost_per_token": 5e-08,
        "output_cost_per_token": 8e-08,
    },
    "openrouter/anthropic/claude-3.5-sonnet": {
        "litellm_provider": "openrouter",
        "mode": "chat",
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
    },
    "vertex_ai/claude-3-5-sonnet@20240620": {
        "litellm_provider": "vertex_ai-anthropic_models",
        "mode": "chat",
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
    },
    "text-embedding-3-small": {
        "litellm_provider": "openai",
        "mode": "embedding",
        "input_cost_per_token": 2e-08,
        "output_cost_per_token": 0.0,
        "input_cost_per_token_batches": 1e-08,
    },
    "odd-batch": {
        "litellm_provider": "x",
        "mode": "completion",
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 2e-06,
        "input_cost_per_token_batches": 5e-07,
        "output_cost_per_token_batches": 1.2e-06,
    },
    "dall-e-3": {
        "litellm_provider": "openai",
        "mode": "image_generation",
        "output_cost_per_image": 0.04,
    },
    "no-output": {"litellm_provider": "x", "mode": "chat", "input_cost_per_token": 1e-06},
    "no-input": {"litellm_provider": "x", "mode": "chat", "output_cost_per_token": 1e-06},
    "bad-price": {
        "litellm_provider": "x",
        "input_cost_per_token": "cheap",
        "output_cost_per_token": 1,
    },
    "negative": {
        "litellm_provider": "x",
        "input_cost_per_token": -1e-06,
        "output_cost_per_token": 0,
    },
    "no-provider": {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
    "not-an-object": 3,
}


@pytest.fixture(scope="module")
def imported() -> tuple[dict[str, RateCard], list[str]]:
    cards, skipped = cards_from_litellm(PRICE_MAP, WHEN)
    return {card.model_id: card for card in cards}, skipped


def litellm_nanos(entry: dict[str, Any], usage: Usage) -> dict[str, Decimal]:
    """LiteLLM's per-token formula (tokens x USD per token) in exact Decimal nano-USD.

    Like LiteLLM, the above-threshold prices apply when the prompt (uncached
    input + cache reads + cache writes) exceeds the threshold, and fall back
    to the base price where a threshold price is missing.
    """
    above = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens > 200_000
    write_key = "cache_creation_input_token_cost"
    if usage.cache_ttl == "1h":
        write_key += "_above_1hr"

    def rate(key: str) -> Decimal:
        value = entry.get(f"{key}_above_200k_tokens") if above else None
        if value is None:
            value = entry[key]
        return Decimal(repr(value))

    def nanos(tokens: int, key: str) -> Decimal:
        # An entry need not price a kind of token the usage does not have.
        return tokens * rate(key) * Decimal(10) ** 9 if tokens else Decimal(0)

    return {
        "input": nanos(usage.input_tokens, "input_cost_per_token"),
        "output": nanos(usage.output_tokens, "output_cost_per_token"),
        "cache_read": nanos(usage.cache_read_tokens, "cache_read_input_token_cost"),
        "cache_write": nanos(usage.cache_write_tokens, write_key),
    }


USAGES = [
    Usage(input_tokens=1200, output_tokens=350, cache_read_tokens=8000),
    Usage(input_tokens=10, output_tokens=3, cache_write_tokens=5000, cache_ttl="5m"),
    Usage(input_tokens=10, output_tokens=3, cache_write_tokens=5000, cache_ttl="1h"),
    Usage(input_tokens=190_000, cache_read_tokens=10_000, output_tokens=7),  # exactly 200k: base
    Usage(input_tokens=190_001, cache_read_tokens=10_000, output_tokens=7),  # one above: tier
    Usage(input_tokens=100_000, cache_write_tokens=150_000, output_tokens=2000, cache_ttl="1h"),
]


@pytest.mark.parametrize("usage", USAGES)
def test_imported_card_prices_like_litellm(
    imported: tuple[dict[str, RateCard], list[str]], usage: Usage
) -> None:
    card = imported[0]["claude-sonnet-4-5"]
    expected = litellm_nanos(SONNET, usage)
    cost = price(card, usage)
    assert cost.input_nanos == round_nanos(expected["input"])
    assert cost.output_nanos == round_nanos(expected["output"])
    assert cost.cache_read_nanos == round_nanos(expected["cache_read"])
    assert cost.cache_write_nanos == round_nanos(expected["cache_write"])
    # These prices are whole nano-dollars per token, so rounding per component
    # and rounding the sum agree.
    assert cost.total_nanos == round_nanos(sum(expected.values()))


@pytest.mark.parametrize("usage", USAGES[:1] + USAGES[3:5])
def test_tier_without_cache_prices_keeps_the_base_cache_price(
    imported: tuple[dict[str, RateCard], list[str]], usage: Usage
) -> None:
    card = imported[0]["gemini-2.5-pro"]
    expected = litellm_nanos(GEMINI_PRO, usage)
    assert price(card, usage).total_nanos == round_nanos(sum(expected.values()))


def test_fields_are_mapped_exactly(imported: tuple[dict[str, RateCard], list[str]]) -> None:
    card = imported[0]["claude-sonnet-4-5"]
    assert card.provider == "anthropic" and card.mode == "chat"
    assert card.effective_from == WHEN
    assert (card.input_per_mtok, card.output_per_mtok) == (Decimal("3"), Decimal("15"))
    assert card.cache_read_per_mtok == Decimal("0.3")
    assert card.cache_write_5m_per_mtok == Decimal("3.75")
    assert card.cache_write_1h_per_mtok == Decimal("6")
    assert card.batch_discount == Decimal("0.5")
    (tier,) = card.tiers
    assert tier.above_input_tokens == 200_000
    assert (tier.input_per_mtok, tier.output_per_mtok) == (Decimal("6"), Decimal("22.5"))
    assert tier.cache_read_per_mtok == Decimal("0.6")
    assert tier.cache_write_5m_per_mtok == Decimal("7.5")
    assert tier.cache_write_1h_per_mtok is None  # keeps the base 1-hour price


def test_provider_prefix_becomes_an_alias(imported: tuple[dict[str, RateCard], list[str]]) -> None:
    cards = imported[0]
    assert cards["gemini-2.5-pro"].aliases == ("gemini/gemini-2.5-pro",)
    assert cards["llama-3.1-8b-instant"].provider == "groq"
    assert cards["anthropic/claude-3.5-sonnet"].aliases == (
        "openrouter/anthropic/claude-3.5-sonnet",
    )
    # The prefix is not the provider: the key stays whole.
    assert cards["vertex_ai/claude-3-5-sonnet@20240620"].aliases == ()
    catalog = Catalog(cards.values())
    assert catalog.resolve("gemini/gemini-2.5-pro") == "gemini-2.5-pro"
    assert (
        catalog.resolve("openrouter/anthropic/claude-3.5-sonnet") == "anthropic/claude-3.5-sonnet"
    )


def test_a_bare_key_keeps_its_name_over_a_stripped_prefix() -> None:
    both = {
        "gemini-2.5-pro": {**GEMINI_PRO, "litellm_provider": "vertex_ai"},
        "gemini/gemini-2.5-pro": GEMINI_PRO,
    }
    cards, skipped = cards_from_litellm(both, WHEN)
    assert skipped == []
    assert sorted(c.model_id for c in cards) == ["gemini-2.5-pro", "gemini/gemini-2.5-pro"]
    Catalog(cards)  # no name is claimed twice


def test_embedding_and_batch_rules(imported: tuple[dict[str, RateCard], list[str]]) -> None:
    cards = imported[0]
    embedding = cards["text-embedding-3-small"]
    assert embedding.mode == "embedding" and embedding.output_per_mtok == 0
    assert embedding.batch_discount == Decimal("0.5")  # the free output side cannot disagree
    # Batch prices that disagree (50% off input, 40% off output) give no discount.
    assert cards["odd-batch"].batch_discount == 0
    assert cards["odd-batch"].mode == "chat"


def test_absent_cache_prices_default_to_the_uncached_rates(
    imported: tuple[dict[str, RateCard], list[str]],
) -> None:
    card = imported[0]["llama-3.1-8b-instant"]
    assert card.cache_read_per_mtok == card.input_per_mtok == Decimal("0.05")
    assert card.cache_write_5m_per_mtok == card.cache_write_1h_per_mtok == Decimal("0.05")
    gemini = imported[0]["gemini-2.5-pro"]
    assert gemini.cache_write_1h_per_mtok == gemini.cache_write_5m_per_mtok == Decimal("1.25")


def test_skipped_entries_say_why(imported: tuple[dict[str, RateCard], list[str]]) -> None:
    cards, skipped = imported
    reasons = dict(line.split(": ", 1) for line in skipped)
    assert set(reasons) == {
        "sample_spec",
        "dall-e-3",
        "no-output",
        "no-input",
        "bad-price",
        "negative",
        "no-provider",
        "not-an-object",
    }
    assert "image_generation" in reasons["dall-e-3"]
    assert "output_cost_per_token" in reasons["no-output"]
    assert "input_cost_per_token" in reasons["no-input"]
    assert not set(reasons) & set(cards)
    assert len(cards) + len(skipped) == len(PRICE_MAP)


def test_floats_are_read_through_their_repr() -> None:
    assert per_mtok(1.1e-06) == Decimal("1.1")
    assert Decimal(1.1e-06) * 10**6 != Decimal("1.1")  # what reading the binary value would give
    assert per_mtok(3e-07) == Decimal("0.3")
    assert per_mtok("2.5e-6") == Decimal("2.5")
    assert per_mtok(0) == 0
    for bad in (True, "x", -1e-06, float("nan"), None):
        with pytest.raises(PricingError):
            per_mtok(bad)


def test_effective_from_must_be_aware() -> None:
    with pytest.raises(PricingError):
        cards_from_litellm(PRICE_MAP, datetime(2025, 1, 1))


@given(
    st.lists(st.floats(min_value=0, max_value=1e-3, allow_subnormal=False), min_size=4, max_size=4),
    st.lists(st.integers(0, 2_000_000), min_size=4, max_size=4),
)
def test_any_per_token_float_prices_like_the_exact_litellm_formula(
    prices: list[float], tokens: list[int]
) -> None:
    entry = {
        "litellm_provider": "p",
        "input_cost_per_token": prices[0],
        "output_cost_per_token": prices[1],
        "cache_read_input_token_cost": prices[2],
        "cache_creation_input_token_cost": prices[3],
        "cache_creation_input_token_cost_above_1hr": prices[3],
    }
    (card,), skipped = cards_from_litellm({"m": entry}, WHEN)
    assert skipped == []
    usage = Usage(*tokens)
    expected = litellm_nanos(entry, usage)
    cost = price(card, usage)
    assert cost.input_nanos == round_nanos(expected["input"])
    assert cost.output_nanos == round_nanos(expected["output"])
    assert cost.cache_read_nanos == round_nanos(expected["cache_read"])
    assert cost.cache_write_nanos == round_nanos(expected["cache_write"])
    assert price(card, replace(usage, batch=True)) == cost  # no batch prices, no discount


def test_map_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICE_MAP), encoding="utf-8")
    cards, skipped = cards_from_litellm(read_litellm_map(path), WHEN)
    # Cards come in the order of the keys they were read from.
    keys = [c.aliases[0] if c.aliases else c.model_id for c in cards]
    assert keys == sorted(keys)
    assert len(cards) == 7 and len(skipped) == 8
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(PricingError):
        read_litellm_map(path)


def test_bundled_map_is_found_only_when_litellm_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if importlib.util.find_spec("litellm") is None:
        assert default_litellm_map_path() is None
    package = tmp_path / "litellm"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    bundled = package / "model_prices_and_context_window_backup.json"
    bundled.write_text("{}", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert default_litellm_map_path() == bundled


def test_batch_prices_above_the_base_price_give_no_discount() -> None:
    entry = {
        "litellm_provider": "x",
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 2e-06,
        "input_cost_per_token_batches": 2e-06,
        "output_cost_per_token_batches": 4e-06,
    }
    (card,), _ = cards_from_litellm({"dear-batch": entry}, WHEN)
    assert card.batch_discount == 0
