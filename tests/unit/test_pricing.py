"""The pricing rule, rate-card validation, the versioned catalog and the default catalog file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.pricing.model import (
    CATALOG_PATH,
    Catalog,
    Cost,
    PricingError,
    RateCard,
    Tier,
    Usage,
    blended_per_mtok,
    card_from_dict,
    card_to_dict,
    cards_from_document,
    cost_to_dict,
    format_timestamp,
    load_default_catalog,
    price,
)

D = Decimal
T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def make_card(**overrides: Any) -> RateCard:
    fields: dict[str, Any] = {
        "model_id": "m",
        "provider": "p",
        "effective_from": T0,
        "input_per_mtok": D("3"),
        "output_per_mtok": D("15"),
        "cache_read_per_mtok": D("0.30"),
        "cache_write_5m_per_mtok": D("3.75"),
        "cache_write_1h_per_mtok": D("6"),
        "batch_discount": D("0.5"),
    }
    fields.update(overrides)
    return RateCard(**fields)


def local_card(**overrides: Any) -> RateCard:
    zero = D(0)
    fields: dict[str, Any] = {
        "model_id": "box",
        "provider": "ollama",
        "input_per_mtok": zero,
        "output_per_mtok": zero,
        "cache_read_per_mtok": zero,
        "cache_write_5m_per_mtok": zero,
        "cache_write_1h_per_mtok": zero,
        "batch_discount": zero,
        "hourly_usd": D("0.50"),
        "tokens_per_hour": 2_000_000,
    }
    fields.update(overrides)
    return make_card(**fields)


def in_force(catalog: Catalog, name: str, at: datetime) -> RateCard:
    card = catalog.card_at(name, at)
    assert card is not None, f"{name} has no price at {at}"
    return card


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(load_default_catalog())


# --- the pricing rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "component", "nanos"),
    [
        # 1000 tokens at $3/M is $0.003; at $15/M $0.015; and so on.
        (Usage(input_tokens=1000), "input_nanos", 3_000_000),
        (Usage(output_tokens=1000), "output_nanos", 15_000_000),
        (Usage(cache_read_tokens=1000), "cache_read_nanos", 300_000),
        (Usage(cache_write_tokens=1000, cache_ttl="5m"), "cache_write_nanos", 3_750_000),
        (Usage(cache_write_tokens=1000, cache_ttl="1h"), "cache_write_nanos", 6_000_000),
    ],
)
def test_each_kind_of_token_is_priced_at_its_own_rate(
    usage: Usage, component: str, nanos: int
) -> None:
    cost = price(make_card(), usage)
    assert getattr(cost, component) == nanos
    others = {"input_nanos", "output_nanos", "cache_read_nanos", "cache_write_nanos"} - {component}
    assert all(getattr(cost, name) == 0 for name in others)
    assert cost.discount_nanos == 0
    assert cost.total_nanos == nanos


def test_design_example_event_costs_the_sum_of_its_parts(catalog: Catalog) -> None:
    card = catalog.lookup("claude-sonnet-4-5", datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert card is not None
    cost = price(card, Usage(input_tokens=1200, output_tokens=350, cache_read_tokens=8000))
    # 1200 x $3/M + 350 x $15/M + 8000 x $0.30/M = 0.0036 + 0.00525 + 0.0024
    assert cost_to_dict(cost) == {
        "input_usd": "0.003600000",
        "output_usd": "0.005250000",
        "cache_read_usd": "0.002400000",
        "cache_write_usd": "0.000000000",
        "discount_usd": "0.000000000",
        "total_usd": "0.011250000",
    }


def test_each_component_is_rounded_once_half_to_even() -> None:
    # $0.0005/M is half a nano-dollar per token.
    card = make_card(input_per_mtok=D("0.0005"), output_per_mtok=D("0.0005"), batch_discount=D(0))
    assert price(card, Usage(input_tokens=1)).input_nanos == 0  # 0.5 -> 0
    assert price(card, Usage(input_tokens=3)).input_nanos == 2  # 1.5 -> 2
    assert price(card, Usage(input_tokens=5)).input_nanos == 2  # 2.5 -> 2
    both = price(card, Usage(input_tokens=1, output_tokens=1))
    assert (both.input_nanos, both.output_nanos, both.total_nanos) == (0, 0, 0)


def test_reasoning_is_output_and_cached_input_is_not_input() -> None:
    card = make_card()
    split = price(card, Usage(input_tokens=100, cache_read_tokens=900))
    assert split.input_nanos == 100 * 3000
    assert split.cache_read_nanos == 900 * 300


TIERED = make_card(
    tiers=(Tier(above_input_tokens=200_000, input_per_mtok=D("6"), output_per_mtok=D("22.50")),)
)


def test_tier_boundary_exactly_at_threshold_is_base_price() -> None:
    at = price(TIERED, Usage(input_tokens=150_000, cache_read_tokens=50_000, output_tokens=1000))
    assert at.input_nanos == 150_000 * 3000
    assert at.output_nanos == 1000 * 15_000


def test_one_token_above_threshold_reprices_the_whole_request() -> None:
    above = price(TIERED, Usage(input_tokens=150_001, cache_read_tokens=50_000, output_tokens=1000))
    assert above.input_nanos == 150_001 * 6000
    assert above.output_nanos == 1000 * 22_500
    # The tier leaves cache reads at the base rate (None = keep base).
    assert above.cache_read_nanos == 50_000 * 300


def test_cache_writes_count_towards_the_tier_threshold() -> None:
    usage = Usage(input_tokens=100_000, cache_write_tokens=100_001, output_tokens=10)
    assert price(TIERED, usage).output_nanos == 10 * 22_500


def test_highest_tier_passed_wins_whatever_the_order() -> None:
    low = Tier(above_input_tokens=100_000, input_per_mtok=D("4"), output_per_mtok=D("20"))
    high = Tier(above_input_tokens=200_000, input_per_mtok=D("6"), output_per_mtok=D("30"))
    card = make_card(tiers=(high, low))
    assert price(card, Usage(input_tokens=150_000)).input_nanos == 150_000 * 4000
    assert price(card, Usage(input_tokens=250_000)).input_nanos == 250_000 * 6000


def test_batch_takes_the_discount_off_every_component() -> None:
    usage = Usage(input_tokens=1000, output_tokens=1000, cache_read_tokens=1000, batch=True)
    cost = price(make_card(), usage)
    gross = 3_000_000 + 15_000_000 + 300_000
    assert cost.gross_nanos == gross
    assert cost.discount_nanos == gross // 2
    assert cost.total_nanos == gross - gross // 2
    assert price(make_card(), replace(usage, batch=False)).discount_nanos == 0
    assert price(make_card(batch_discount=D(0)), usage).total_nanos == gross


def test_batch_discount_is_rounded_half_to_even() -> None:
    card = make_card(input_per_mtok=D("0.001"))  # one nano-dollar per token
    assert price(card, Usage(input_tokens=3, batch=True)).discount_nanos == 2  # 1.5 -> 2
    assert price(card, Usage(input_tokens=5, batch=True)).discount_nanos == 2  # 2.5 -> 2


def test_local_model_amortises_the_hourly_cost_over_every_kind_of_token() -> None:
    # $0.50 per hour over 2,000,000 tokens per hour is 250 nano-USD per token.
    usage = Usage(
        input_tokens=1000, output_tokens=500, cache_read_tokens=200, cache_write_tokens=100
    )
    cost = price(local_card(), usage)
    assert (cost.input_nanos, cost.output_nanos) == (250_000, 125_000)
    assert (cost.cache_read_nanos, cost.cache_write_nanos) == (50_000, 25_000)
    assert price(local_card(), replace(usage, cache_ttl="1h")) == cost


def test_local_model_rounds_a_repeating_per_token_cost_per_component() -> None:
    card = local_card(tokens_per_hour=3_000_000)  # 166.66... nano-USD per token
    assert price(card, Usage(input_tokens=1)).input_nanos == 167
    assert price(card, Usage(input_tokens=2)).input_nanos == 333
    assert price(card, Usage(input_tokens=3)).input_nanos == 500


@pytest.mark.parametrize(
    "usage",
    [
        Usage(input_tokens=-1),
        Usage(output_tokens=-5),
        Usage(cache_read_tokens=-1),
        Usage(cache_write_tokens=-1),
        Usage(cache_ttl="24h"),
        Usage(input_tokens=True),
        Usage(input_tokens=1.5),  # type: ignore[arg-type]
    ],
)
def test_bad_usage_is_refused(usage: Usage) -> None:
    with pytest.raises(PricingError):
        price(make_card(), usage)


def test_costs_add_by_component() -> None:
    a = Cost(1, 2, 3, 4, 5)
    b = Cost(10, 20, 30, 40, 50)
    total = a + b
    assert total == Cost(11, 22, 33, 44, 55)
    assert total.total_nanos == a.total_nanos + b.total_nanos
    assert total.cache_nanos == 33 + 44


# --- rate-card validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        make_card(input_per_mtok=D("-1")),
        make_card(cache_write_1h_per_mtok=D("NaN")),
        make_card(batch_discount=D("1.5")),
        make_card(batch_discount=D("-0.1")),
        make_card(effective_from=datetime(2025, 1, 1)),
        make_card(model_id=" "),
        make_card(provider=""),
        make_card(currency="EUR"),
        make_card(aliases=("a", "A")),
        make_card(aliases=("",)),
        make_card(tiers=(Tier(-1, D(1), D(1)),)),
        make_card(tiers=(Tier(10, D(-1), D(1)),)),
        make_card(tiers=(Tier(10, D(1), D(1)), Tier(10, D(2), D(2)))),
        make_card(tokens_per_hour=1000),
        local_card(tokens_per_hour=None),
        local_card(tokens_per_hour=0),
        local_card(hourly_usd=D("-0.5")),
        local_card(input_per_mtok=D("1")),
        local_card(tiers=(Tier(10, D(0), D(0)),)),
    ],
)
def test_validate_refuses_unusable_cards(card: RateCard) -> None:
    with pytest.raises(PricingError):
        card.validate()
    with pytest.raises(PricingError):
        Catalog([card])


def test_effective_from_is_normalised_to_utc() -> None:
    berlin = timezone(timedelta(hours=2))
    card = make_card(effective_from=datetime(2025, 9, 29, 2, tzinfo=berlin))
    assert card.effective_from == datetime(2025, 9, 29, tzinfo=UTC)
    assert card.effective_from.utcoffset() == timedelta(0)
    assert card.version == "m@2025-09-29T00:00:00Z"
    assert format_timestamp(datetime(2025, 1, 1, 0, 0, 0, 5, tzinfo=UTC)) == (
        "2025-01-01T00:00:00.000005Z"
    )


# --- versions ---------------------------------------------------------------------------------

CHANGE = datetime(2025, 6, 10, tzinfo=UTC)
OLD = make_card(model_id="o3", effective_from=T0, input_per_mtok=D("10"))
NEW = make_card(model_id="o3", effective_from=CHANGE, input_per_mtok=D("2"))


def test_version_in_force_switches_exactly_at_effective_from() -> None:
    versions = Catalog([NEW, OLD])
    tick = timedelta(microseconds=1)
    assert versions.card_at("o3", CHANGE - tick) == OLD
    assert versions.card_at("o3", CHANGE) == NEW
    assert versions.card_at("o3", T0) == OLD
    assert versions.card_at("o3", T0 - tick) is None
    before = price(in_force(versions, "o3", CHANGE - tick), Usage(input_tokens=1000))
    after = price(in_force(versions, "o3", CHANGE), Usage(input_tokens=1000))
    assert (before.total_nanos, after.total_nanos) == (10_000_000, 2_000_000)


def test_card_at_accepts_other_offsets_and_refuses_naive_times() -> None:
    versions = Catalog([OLD, NEW])
    plus_two = timezone(timedelta(hours=2))
    # 01:59:59 at +02:00 is still the 9th in UTC; 02:00 is the change itself.
    assert versions.card_at("o3", datetime(2025, 6, 10, 1, 59, 59, tzinfo=plus_two)) == OLD
    assert versions.card_at("o3", datetime(2025, 6, 10, 2, tzinfo=plus_two)) == NEW
    with pytest.raises(PricingError):
        versions.card_at("o3", datetime(2025, 7, 1))


def test_versions_are_listed_oldest_first_and_ids_sorted() -> None:
    versions = Catalog([NEW, make_card(model_id="a"), OLD])
    assert versions.versions("o3") == [OLD, NEW]
    assert versions.versions("unknown") == []
    assert versions.model_ids() == ["a", "o3"]
    assert versions.current(NOW) == [make_card(model_id="a"), NEW]
    assert versions.card_at("nope", NOW) is None


@pytest.mark.parametrize(
    "cards",
    [
        [OLD, replace(OLD, input_per_mtok=D("9"))],  # two versions from the same instant
        [OLD, replace(NEW, provider="other")],  # versions disagree on the provider
        [make_card(model_id="a", aliases=("x",)), make_card(model_id="b", aliases=("X",))],
        [make_card(model_id="a"), make_card(model_id="b", aliases=("a",))],
        [make_card(model_id="A"), make_card(model_id="a")],
    ],
)
def test_catalog_refuses_ambiguous_cards(cards: list[RateCard]) -> None:
    with pytest.raises(PricingError):
        Catalog(cards)


def test_extend_adds_a_version_without_touching_the_original() -> None:
    first = Catalog([OLD])
    second = first.extend([NEW])
    assert first.card_at("o3", NOW) == OLD
    assert second.card_at("o3", NOW) == NEW


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("Claude-Sonnet-4-5", "claude-sonnet-4-5"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("anthropic/claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"),
        ("openrouter/anthropic/claude-haiku-4.5", "claude-haiku-4-5"),
        ("gemini/gemini-2.5-pro", "gemini-2.5-pro"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4-0613", "gpt-4"),
        ("openai/gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("mistral-large-2411", "mistral-large"),
        ("groq/llama-3.1-70b-versatile", "llama-3.1-70b-versatile"),
        ("ollama/llama3.1", "llama3.1:8b"),
        ("qwen2.5-coder:latest", "qwen2.5-coder:7b"),
        ("ollama-llama3", "llama3:8b"),
        ("  gpt-5-nano  ", "gpt-5-nano"),
        ("not-a-model", None),
        ("", None),
    ],
)
def test_resolve_finds_the_canonical_id(catalog: Catalog, name: str, model_id: str | None) -> None:
    assert catalog.resolve(name) == model_id


def test_resolving_again_gives_the_same_answer_and_the_memo_stays_bounded(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.pricing.model.RESOLVED_MEMO_SIZE", 3)
    names = [
        "gpt-4o-2024-08-06",
        "GPT-4o",
        "openai/gpt-4o",
        "gpt-4-0613",
        "claude-3-5-sonnet@20240620",
    ]
    first = [catalog.resolve(name) for name in names]
    again = [catalog.resolve(name) for name in reversed(names)]
    assert first == ["gpt-4o", "gpt-4o", "gpt-4o", "gpt-4", "claude-3-5-sonnet"]
    assert again == list(reversed(first))
    assert catalog.resolve("not-a-model") is None
    assert len(catalog._resolved) <= 3


def test_provider_hint_prefers_provider_specific_aliases() -> None:
    cards = [
        make_card(model_id="fast-llama", provider="groq", aliases=("groq/llama-8b",)),
        make_card(model_id="llama-8b", provider="meta"),
    ]
    names = Catalog(cards)
    assert names.resolve("llama-8b") == "llama-8b"
    assert names.resolve("llama-8b", provider="groq") == "fast-llama"
    assert names.resolve("llama-8b", provider="someone-else") == "llama-8b"


def test_closest_suggests_known_models_for_typos(catalog: Catalog) -> None:
    assert catalog.closest("claude-sonet-4-5")[0] == "claude-sonnet-4-5"
    assert "gpt-4o-mini" in catalog.closest("gpt4o-mini")
    assert "gemini-2.5-flash" in catalog.closest("google/gemini-2.5-flsh")
    assert len(catalog.closest("claude", n=2)) <= 2
    assert catalog.closest("zzzzzzzz") == []


# --- alternatives -----------------------------------------------------------------------------


def test_cheaper_alternatives_same_provider_first_dearest_first() -> None:
    def card(model_id: str, provider: str, rate: str, mode: str = "chat") -> RateCard:
        r = D(rate)
        return make_card(
            model_id=model_id,
            provider=provider,
            mode=mode,
            input_per_mtok=r,
            output_per_mtok=r,
            cache_read_per_mtok=r,
            cache_write_5m_per_mtok=r,
            cache_write_1h_per_mtok=r,
        )

    cards = [
        card("big", "a", "10"),
        card("a-small", "a", "1"),
        card("a-mid", "a", "5"),
        card("b-mid", "b", "6"),
        card("b-tiny", "b", "0.1"),
        card("b-same", "b", "10"),
        card("dear", "b", "20"),
        card("embed", "a", "0.01", mode="embedding"),
        local_card(model_id="box"),  # $0.25/M blended
    ]
    found = Catalog(cards).cheaper_alternatives("big", NOW)
    assert [c.model_id for c in found] == ["a-mid", "a-small", "b-mid", "box", "b-tiny"]
    assert Catalog(cards).cheaper_alternatives("big", T0 - timedelta(days=1)) == []


def test_blended_rate_weights_input_three_to_one() -> None:
    assert blended_per_mtok(make_card(input_per_mtok=D(1), output_per_mtok=D(5))) == D(2)
    assert blended_per_mtok(local_card()) == D("0.25")


# --- wire shape -------------------------------------------------------------------------------


def test_wire_shape_of_the_design_example_reads_back() -> None:
    wire = {
        "id": "claude-sonnet-4-5",
        "provider": "anthropic",
        "aliases": ["claude-sonnet-4-5-20250929", "anthropic/claude-sonnet-4-5"],
        "effective_from": "2025-09-29T00:00:00Z",
        "input_per_mtok": "3.00",
        "output_per_mtok": "15.00",
        "cache_read_per_mtok": "0.30",
        "cache_write_5m_per_mtok": "3.75",
        "cache_write_1h_per_mtok": "6.00",
        "batch_discount": "0.5",
        "tiers": [
            {"above_input_tokens": 200000, "input_per_mtok": "6.00", "output_per_mtok": "22.50"}
        ],
    }
    card = card_from_dict(wire)
    assert card.effective_from == datetime(2025, 9, 29, tzinfo=UTC)
    assert card.tiers == (Tier(200_000, D("6.00"), D("22.50")),)
    assert card.mode == "chat" and card.hourly_usd is None
    out = card_to_dict(card)
    assert {k: out[k] for k in wire} == wire
    assert out["version"] == "claude-sonnet-4-5@2025-09-29T00:00:00Z"


def test_wire_defaults_for_cache_rates_follow_the_input_rate() -> None:
    card = card_from_dict(
        {
            "id": "x",
            "provider": "p",
            "effective_from": "2025-01-01T00:00:00+02:00",
            "input_per_mtok": "2",
            "output_per_mtok": "8",
        }
    )
    assert card.cache_read_per_mtok == card.cache_write_5m_per_mtok == D(2)
    assert card.cache_write_1h_per_mtok == D(2)
    assert card.batch_discount == 0 and card.tiers == () and card.aliases == ()
    assert card.effective_from == datetime(2024, 12, 31, 22, tzinfo=UTC)


def test_local_card_on_the_wire_needs_no_token_rates() -> None:
    card = card_from_dict(
        {
            "id": "box",
            "provider": "ollama",
            "effective_from": "2024-01-01T00:00:00Z",
            "hourly_usd": "0.50",
            "tokens_per_hour": 2000000,
        }
    )
    assert card.is_local and card.input_per_mtok == 0
    assert price(card, Usage(output_tokens=4)).output_nanos == 1000


@pytest.mark.parametrize(
    "change",
    [
        {"input_per_mtok": 3.0},  # money must not be a float
        {"input_per_mtok": None},
        {"input_per_mtok": "three"},
        {"effective_from": "2025-01-01T00:00:00"},  # no offset
        {"effective_from": "yesterday"},
        {"aliases": "claude"},
        {"aliases": [1]},
        {"tiers": [{"input_per_mtok": "1", "output_per_mtok": "1"}]},
        {"tiers": [{"above_input_tokens": "10", "input_per_mtok": "1", "output_per_mtok": "1"}]},
        {"tokens_per_hour": 10},
        {"batch_discount": "2"},
        {"id": ""},
    ],
)
def test_card_from_dict_refuses_bad_wire_values(change: dict[str, Any]) -> None:
    wire = {
        "id": "x",
        "provider": "p",
        "effective_from": "2025-01-01T00:00:00Z",
        "input_per_mtok": "2",
        "output_per_mtok": "8",
    }
    wire.update(change)
    with pytest.raises(PricingError):
        card_from_dict(wire)


def test_catalog_document_must_be_usd_with_a_models_list() -> None:
    with pytest.raises(PricingError):
        cards_from_document({"currency": "EUR", "models": []})
    with pytest.raises(PricingError):
        cards_from_document({"currency": "USD"})
    with pytest.raises(PricingError, match=r"models\[0\]"):
        cards_from_document({"models": [{"id": "x"}]})


# --- the default catalog ----------------------------------------------------------------------


def test_catalog_file_loads_and_every_card_validates() -> None:
    doc = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    assert doc["currency"] == "USD"
    assert date.fromisoformat(doc["last_updated"]) <= date.today()
    cards = load_default_catalog()
    assert len(cards) == len(doc["models"])
    for card in cards:
        card.validate()
        assert card_from_dict(card_to_dict(card)) == card


def test_every_name_in_the_catalog_points_at_one_model() -> None:
    owners: dict[str, set[str]] = {}
    for card in load_default_catalog():
        for name in (card.model_id, *card.aliases):
            owners.setdefault(name.lower(), set()).add(card.model_id)
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}


REQUIRED = [
    "claude-3-opus",
    "claude-3-sonnet",
    "claude-3-haiku",
    "claude-3-5-sonnet",
    "claude-3-5-haiku",
    "claude-3-7-sonnet",
    "claude-sonnet-4",
    "claude-opus-4",
    "claude-opus-4-1",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "gpt-4",
    "gpt-4-turbo",
    "gpt-3.5-turbo",
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o1",
    "o3",
    "o4-mini",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gemini-1.0-pro",
    "gemini-1.0-ultra",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "mistral-large",
    "mistral-small",
    "deepseek-chat",
    "deepseek-coder",
    "deepseek-v3",
    "llama-3.1-70b",
    "llama-3.1-8b",
    "mixtral-8x7b",
    "llama3.1:8b",
    "qwen2.5-coder",
    "voyage-3",
    "text-embedding-3-small",
    "nomic-embed-text",
]


@pytest.mark.parametrize("name", REQUIRED)
def test_catalog_prices_the_required_models_today(catalog: Catalog, name: str) -> None:
    assert catalog.lookup(name, NOW) is not None


def test_anthropic_cards_follow_the_cache_multipliers(catalog: Catalog) -> None:
    anthropic = [c for c in catalog.cards() if c.provider == "anthropic"]
    assert len(anthropic) >= 11
    for c in anthropic:
        assert c.cache_read_per_mtok == c.input_per_mtok * D("0.1"), c.model_id
        assert c.cache_write_5m_per_mtok == c.input_per_mtok * D("1.25"), c.model_id
        assert c.cache_write_1h_per_mtok == c.input_per_mtok * 2, c.model_id
        assert c.batch_discount == D("0.5")
        dated = [a for a in c.aliases if a[-8:].isdigit()]
        assert dated, c.model_id


def test_openai_chat_cards_charge_no_cache_writes_and_halve_batches(catalog: Catalog) -> None:
    openai = [c for c in catalog.cards() if c.provider == "openai"]
    for c in openai:
        assert c.cache_write_5m_per_mtok == c.cache_write_1h_per_mtok == 0, c.model_id
        assert c.cache_read_per_mtok <= c.input_per_mtok
        assert c.batch_discount == D("0.5")
    gpt_5 = catalog.lookup("gpt-5", NOW)
    assert gpt_5 is not None and gpt_5.cache_read_per_mtok < gpt_5.input_per_mtok


def test_gemini_2_5_pro_doubles_its_input_price_above_200k(catalog: Catalog) -> None:
    card = catalog.lookup("gemini-2.5-pro", NOW)
    assert card is not None
    small = price(card, Usage(input_tokens=200_000, output_tokens=1_000_000))
    large = price(card, Usage(input_tokens=200_001, output_tokens=1_000_000))
    assert (small.input_nanos, small.output_nanos) == (250_000_000, 10_000_000_000)
    assert (large.input_nanos, large.output_nanos) == (500_002_500, 15_000_000_000)


def test_local_and_embedding_cards(catalog: Catalog) -> None:
    local = [c for c in catalog.cards() if c.provider == "ollama"]
    assert local and all(c.is_local and c.tokens_per_hour for c in local)
    for name in ("voyage-3", "text-embedding-3-small", "nomic-embed-text"):
        card = catalog.lookup(name, NOW)
        assert card is not None and card.mode == "embedding"
        assert card.output_per_mtok == 0


def test_default_catalog_keeps_price_history(catalog: Catalog) -> None:
    o3 = catalog.versions("o3")
    assert len(o3) == 2 and o3[0].input_per_mtok > o3[1].input_per_mtok
    assert in_force(catalog, "gpt-4o", datetime(2024, 6, 1, tzinfo=UTC)).input_per_mtok == 5
    assert in_force(catalog, "gpt-4o", NOW).input_per_mtok == D("2.50")


# --- invariants -------------------------------------------------------------------------------

rates = st.integers(0, 100_000_000).map(lambda n: Decimal(n).scaleb(-6))
token_counts = st.integers(0, 3_000_000)
discounts = st.sampled_from(["0", "0.1", "0.25", "1/3", "0.5", "1"]).map(
    lambda s: D(1) / 3 if s == "1/3" else D(s)
)


@st.composite
def cards(draw: st.DrawFn, rising_tiers: bool = False) -> RateCard:
    base = [draw(rates) for _ in range(5)]
    tiers = []
    previous = list(base)
    for threshold in sorted(draw(st.sets(st.integers(0, 4_000_000), max_size=2))):
        if rising_tiers:
            # Each tier at least as dear as the one below it, so more tokens never cost less.
            rates_here = [p + draw(rates) for p in previous]
            previous = rates_here
        else:
            rates_here = [draw(rates) for _ in range(5)]
        cache = [
            draw(st.sampled_from([None, r])) if not rising_tiers else r for r in rates_here[2:]
        ]
        tiers.append(Tier(threshold, rates_here[0], rates_here[1], *cache))
    return make_card(
        input_per_mtok=base[0],
        output_per_mtok=base[1],
        cache_read_per_mtok=base[2],
        cache_write_5m_per_mtok=base[3],
        cache_write_1h_per_mtok=base[4],
        batch_discount=draw(discounts),
        tiers=tuple(tiers),
    )


usages = st.builds(
    Usage,
    input_tokens=token_counts,
    output_tokens=token_counts,
    cache_read_tokens=token_counts,
    cache_write_tokens=token_counts,
    cache_ttl=st.sampled_from(["5m", "1h"]),
    batch=st.booleans(),
)


def oracle(card: RateCard, usage: Usage) -> Cost:
    """The rule restated with Fractions and Python's own half-even round()."""
    context = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    rate = {
        "in": card.input_per_mtok,
        "out": card.output_per_mtok,
        "read": card.cache_read_per_mtok,
        "5m": card.cache_write_5m_per_mtok,
        "1h": card.cache_write_1h_per_mtok,
    }
    passed = sorted(
        (t for t in card.tiers if context > t.above_input_tokens),
        key=lambda t: t.above_input_tokens,
    )
    if passed:
        t = passed[-1]
        for key, value in (
            ("in", t.input_per_mtok),
            ("out", t.output_per_mtok),
            ("read", t.cache_read_per_mtok),
            ("5m", t.cache_write_5m_per_mtok),
            ("1h", t.cache_write_1h_per_mtok),
        ):
            if value is not None:
                rate[key] = value

    def nanos(tokens: int, r: Decimal) -> int:
        return round(Fraction(tokens) * Fraction(r) * 1000)

    parts = [
        nanos(usage.input_tokens, rate["in"]),
        nanos(usage.output_tokens, rate["out"]),
        nanos(usage.cache_read_tokens, rate["read"]),
        nanos(usage.cache_write_tokens, rate[usage.cache_ttl]),
    ]
    discount = round(Fraction(sum(parts)) * Fraction(card.batch_discount)) if usage.batch else 0
    return Cost(*parts, discount_nanos=discount)


@given(cards(), usages)
def test_price_matches_an_independent_fraction_oracle(card: RateCard, usage: Usage) -> None:
    assert price(card, usage) == oracle(card, usage)


@given(cards(), usages)
def test_price_is_additive_exact_integral_and_never_negative(card: RateCard, usage: Usage) -> None:
    cost = price(card, usage)
    parts = [cost.input_nanos, cost.output_nanos, cost.cache_read_nanos, cost.cache_write_nanos]
    assert all(type(p) is int for p in [*parts, cost.discount_nanos])
    assert cost.total_nanos == sum(parts) - cost.discount_nanos
    assert all(p >= 0 for p in parts)
    assert 0 <= cost.discount_nanos <= sum(parts)
    assert cost.total_nanos >= 0


@given(
    cards(rising_tiers=True),
    usages,
    st.sampled_from(["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]),
    st.integers(1, 500_000),
)
def test_price_is_monotone_in_each_token_count(
    card: RateCard, usage: Usage, kind: str, more: int
) -> None:
    bigger = replace(usage, **{kind: getattr(usage, kind) + more})
    assert price(card, bigger).total_nanos >= price(card, usage).total_nanos


@given(usages, st.integers(1, 10_000_000), st.integers(0, 10_000).map(lambda n: D(n) / 100))
def test_local_price_matches_the_amortisation_rule(usage: Usage, tph: int, hourly: Decimal) -> None:
    cost = price(local_card(tokens_per_hour=tph, hourly_usd=hourly), replace(usage, batch=False))
    per_token = Fraction(hourly) * 1_000_000_000 / tph
    assert cost.input_nanos == round(usage.input_tokens * per_token)
    assert cost.output_nanos == round(usage.output_tokens * per_token)
    assert cost.cache_read_nanos == round(usage.cache_read_tokens * per_token)
    assert cost.cache_write_nanos == round(usage.cache_write_tokens * per_token)


@given(cards())
def test_wire_shape_round_trips(card: RateCard) -> None:
    assert card_from_dict(json.loads(json.dumps(card_to_dict(card)))) == card
