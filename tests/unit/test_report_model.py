"""Report rules: dimensions, ranges, day filling, projections, anomalies, re-pricing, FOCUS."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.budgets.model import Window
from app.pricing.model import Catalog, Usage, load_default_catalog, price
from app.reports.model import (
    AgentModelUsage,
    AgentServing,
    Dimension,
    PricedUsage,
    ReportError,
    Rollup,
    UsageLine,
    allocate,
    allocate_shared,
    burning_too_fast,
    cheaper_model_candidates,
    day_range,
    detect_anomalies,
    error_recommendations,
    fill_days,
    focus_row,
    grand_total,
    low_cache_recommendations,
    parse_dimension,
    parse_instant,
    project_window,
    ranked,
    report_range,
    reprice,
    usage_csv_row,
)

NOVEMBER = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
CATALOG = Catalog(load_default_catalog())


def test_dimensions() -> None:
    assert parse_dimension("project") == Dimension("project")
    assert parse_dimension("tag:persona") == Dimension("tag", "persona")
    assert parse_dimension("tag:persona").label == "tag:persona"
    assert parse_dimension("agent_type").query == "reports/cost_by_agent_type"
    for bad in ("colour", "tag", "tag:", "", "Project"):
        with pytest.raises(ReportError):
            parse_dimension(bad)


def test_instants_and_ranges() -> None:
    assert parse_instant("2026-11-03", "start") == datetime(2026, 11, 3, tzinfo=UTC)
    assert parse_instant("2026-11-03T10:00:00+02:00", "start") == datetime(
        2026, 11, 3, 8, tzinfo=UTC
    )
    assert parse_instant("2026-11-03T10:00:00Z", "start").hour == 10
    for bad in ("2026-11-03T10:00:00", "yesterday", "2026-13-01"):
        with pytest.raises(ReportError):
            parse_instant(bad, "start")
    assert report_range(None, None, NOVEMBER) == (NOVEMBER.start, NOVEMBER.end)
    with pytest.raises(ReportError):
        report_range(NOVEMBER.end, NOVEMBER.start, NOVEMBER)


def test_days_are_filled_with_zeros() -> None:
    days = day_range(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC))
    assert days == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert (
        len(day_range(datetime(2026, 11, 1, 6, tzinfo=UTC), datetime(2026, 11, 2, 1, tzinfo=UTC)))
        == 2
    )
    filled = fill_days([Rollup(None, 5, events=1, period="2026-11-02")], days)
    assert [(r.key, r.total_nanos) for r in filled] == [
        ("2026-11-01", 0),
        ("2026-11-02", 5),
        ("2026-11-03", 0),
    ]
    with pytest.raises(ReportError):
        day_range(datetime(2000, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


@given(st.lists(st.integers(0, 10**15), max_size=20))
def test_grand_total_adds_every_row(amounts: list[int]) -> None:
    total = grand_total(
        Rollup(str(i), a, events=1, input_tokens=a % 7) for i, a in enumerate(amounts)
    )
    assert (total.total_nanos, total.events) == (sum(amounts), len(amounts))


def test_linear_and_trailing_projection() -> None:
    halfway = datetime(2026, 11, 16, tzinfo=UTC)
    p = project_window(10**9, 7 * 10**8, NOVEMBER, halfway)
    assert p.elapsed_fraction == Decimal("0.5")
    assert p.linear_nanos == 2 * 10**9
    # the 15 days left at the trailing rate of 1e8 a day
    assert p.trailing_nanos_projected == 10**9 + 15 * 10**8
    before = project_window(0, 5, NOVEMBER, NOVEMBER.start - timedelta(days=1))
    assert (before.linear_nanos, before.trailing_nanos_projected) == (0, 0)
    after = project_window(3, 5, NOVEMBER, NOVEMBER.end + timedelta(days=1))
    assert (after.linear_nanos, after.trailing_nanos_projected) == (3, 3)


@given(
    spent=st.integers(0, 10**14),
    trailing=st.integers(0, 10**14),
    seconds=st.integers(1, 30 * 86400 - 1),
)
def test_projection_is_the_exact_ratio_rounded(spent: int, trailing: int, seconds: int) -> None:
    now = NOVEMBER.start + timedelta(seconds=seconds)
    p = project_window(spent, trailing, NOVEMBER, now)
    exact = Fraction(spent) * 30 * 86400 / seconds
    assert abs(p.linear_nanos - exact) <= Fraction(1, 2)
    assert p.linear_nanos >= spent
    ahead = Fraction(trailing) * (30 * 86400 - seconds) / (7 * 86400)
    assert abs(p.trailing_nanos_projected - spent - ahead) <= Fraction(1, 2)


def test_burning_too_fast_is_above_one_and_a_half_times_the_elapsed_share() -> None:
    assert burning_too_fast(31, 100, Decimal("0.2"))
    assert not burning_too_fast(30, 100, Decimal("0.2"))
    assert not burning_too_fast(30, 0, Decimal("0.2"))


@given(st.lists(st.integers(0, 1000), min_size=15, max_size=40), st.integers(101, 400))
def test_anomalies_match_a_direct_reading(costs: list[int], threshold: int) -> None:
    first = date(2026, 1, 1)
    series = {first + timedelta(days=i): c for i, c in enumerate(costs) if c}
    days = [first + timedelta(days=i) for i in range(7, len(costs))]
    flagged = {a.day for a in detect_anomalies("p", series, days, threshold_percent=threshold)}
    for i in range(7, len(costs)):
        average = Fraction(sum(costs[i - 7 : i]), 7)
        expected = average > 0 and costs[i] > Fraction(threshold, 100) * average
        assert ((first + timedelta(days=i)) in flagged) == expected


def _line(at: datetime, usage: Usage, model: str = "gpt-4o") -> UsageLine:
    card = CATALOG.card_at(model, at)
    assert card is not None
    return UsageLine("e", at, model, usage, price(card, usage).total_nanos)


@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**5), st.booleans()), max_size=10)
)
def test_repricing_on_the_recorded_prices_changes_nothing(
    calls: list[tuple[int, int, bool]],
) -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    lines = [_line(at, Usage(i, o, batch=b)) for i, o, b in calls]
    result = reprice(lines, lambda t: CATALOG.card_at("gpt-4o", t))
    assert result.actual_nanos == result.what_if_nanos and result.repriced == len(lines)
    batched = reprice(lines, lambda t: CATALOG.card_at("gpt-4o", t), batch=True)
    assert batched.what_if_nanos <= result.actual_nanos


def test_unpriceable_events_keep_their_cost() -> None:
    line = _line(datetime(2026, 6, 1, tzinfo=UTC), Usage(1000, 100))
    result = reprice([line], lambda t: None)
    assert (result.events, result.repriced, result.saved_nanos) == (1, 0, 0)


def _usage_row(**changes: object) -> AgentModelUsage:
    base: dict[str, object] = {
        "agent_id": "a",
        "model_id": "claude-sonnet-4-5",
        "provider": "anthropic",
        "events": 100,
        "errors": 0,
        "error_nanos": 0,
        "deferrable_events": 0,
        "deferrable_nanos": 0,
        "total_nanos": 10**9,
        "input_tokens": 50_000,
        "output_tokens": 20_000,
        "cache_read_tokens": 0,
        "cache_write_tokens": 0,
    }
    base.update(changes)
    return AgentModelUsage(**base)  # type: ignore[arg-type]


def test_recommendation_rules() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    [(row, alternative)] = cheaper_model_candidates([_usage_row()], CATALOG, at)
    assert alternative.model_id == "claude-haiku-4-5" and alternative.provider == "anthropic"
    assert cheaper_model_candidates([_usage_row(input_tokens=500_000)], CATALOG, at) == []
    assert (
        cheaper_model_candidates(
            [_usage_row(model_id="gpt-4o-mini", provider="openai")], CATALOG, at
        )
        == []
    )
    [cache] = low_cache_recommendations([_usage_row(input_tokens=1_000_000)], CATALOG, at)
    # half of 1M tokens moved from $3.00 to $0.30 per million
    assert cache.saved_nanos == 1_350_000_000
    assert (
        low_cache_recommendations(
            [_usage_row(input_tokens=1_000_000, cache_read_tokens=200_000)], CATALOG, at
        )
        == []
    )
    [errors] = error_recommendations(
        [_usage_row(errors=7, error_nanos=60), _usage_row(model_id="x", events=20)]
    )
    assert (errors.agent_id, errors.saved_nanos) == ("a", 60)
    assert error_recommendations([_usage_row(errors=5, error_nanos=50)]) == []
    order = ranked([cache, errors])
    assert [r.kind for r in order] == ["low_cache_use", "high_error_rate"]


def _priced(**changes: object) -> PricedUsage:
    base: dict[str, object] = {
        "event_id": "e1",
        "timestamp": datetime(2026, 11, 30, 23, 59, 59, 5, tzinfo=UTC),
        "provider": "anthropic",
        "model": "claude-sonnet-4-5-20250929",
        "model_id": "claude-sonnet-4-5",
        "price_version": "claude-sonnet-4-5@2025-09-29T00:00:00Z",
        "status": "success",
        "batch": True,
        "cache_ttl": "5m",
        "input_tokens": 1200,
        "output_tokens": 350,
        "cache_read_tokens": 8000,
        "cache_write_tokens": 10,
        "input_nanos": 3_600_000,
        "output_nanos": 5_250_000,
        "cache_read_nanos": 2_400_000,
        "cache_write_nanos": 37_500,
        "discount_nanos": 5_643_750,
        "total_nanos": 5_643_750,
        "agent_id": "coder",
        "project_id": "arpg",
        "team_id": "games",
        "tags": (("persona", "critic"),),
    }
    base.update(changes)
    return PricedUsage(**base)  # type: ignore[arg-type]


def test_focus_row() -> None:
    row = focus_row(_priced())
    assert row["BilledCost"] == row["EffectiveCost"] == "0.005643750"
    assert row["ListCost"] == row["ListUnitPrice"] == "0.011287500"
    assert Decimal(row["ListCost"]) - Decimal(row["x_DiscountCost"]) == Decimal(row["BilledCost"])
    assert (row["PricingQuantity"], row["PricingUnit"]) == ("1", "Requests")
    assert (row["ConsumedQuantity"], row["ConsumedUnit"]) == ("9560", "Tokens")
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (
        "2026-11-30T23:00:00Z",
        "2026-12-01T00:00:00Z",
    )
    assert (row["BillingPeriodStart"], row["BillingPeriodEnd"]) == (
        "2026-11-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
    )
    assert row["ServiceCategory"] == "AI and Machine Learning"
    assert (row["SubAccountId"], row["ResourceId"], row["SkuPriceId"]) == (
        "arpg",
        "coder",
        "claude-sonnet-4-5@2025-09-29T00:00:00Z",
    )
    assert json.loads(row["Tags"]) == {
        "persona": "critic",
        "costgraph/project": "arpg",
        "costgraph/team": "games",
    }
    plain = usage_csv_row(_priced(agent_id=None))
    assert (plain["agent_id"], plain["total_usd"], plain["batch"]) == ("", "0.005643750", "true")
    assert plain["timestamp"] == "2026-11-30T23:59:59.000005Z"


@given(
    st.integers(0, 10**15),
    st.dictionaries(
        st.text("abcdef", min_size=1, max_size=3), st.integers(0, 10**9), min_size=1, max_size=8
    ),
)
def test_allocation_is_exact_and_within_a_nano_of_the_true_share(
    amount: int, weights: dict[str, int]
) -> None:
    shares = allocate(amount, weights)
    assert sum(shares.values()) == amount and set(shares) == set(weights)
    total = sum(weights.values())
    for key, share in shares.items():
        exact = (
            Fraction(amount, len(weights)) if total == 0 else Fraction(amount * weights[key], total)
        )
        assert abs(share - exact) < 1


def test_shared_agents_are_allocated_to_the_projects_they_served() -> None:
    serving = [
        AgentServing("builder", None, 1000, 0),
        AgentServing("builder", "arpg", 10, 3),
        AgentServing("builder", "index", 10, 1),
        AgentServing("loner", None, 7, 0),
        AgentServing("coder", "arpg", 500, 2),
    ]
    spend = {"arpg": 600, "index": 200}
    by_method = {
        m: {a.agent_id: a.shares for a in allocate_shared(serving, spend, m)}
        for m in ("even", "proportional", "by_tasks")
    }
    assert by_method["even"]["builder"] == {"arpg": 500, "index": 500}
    assert by_method["proportional"]["builder"] == {"arpg": 750, "index": 250}
    assert by_method["by_tasks"]["builder"] == {"arpg": 750, "index": 250}
    assert by_method["even"]["loner"] == {} and "coder" not in by_method["even"]
    with pytest.raises(ReportError):
        allocate_shared(serving, spend, "random")
