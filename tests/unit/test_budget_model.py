"""Budget rules: validation, windows in local time, room, decisions, thresholds, lock order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.budgets.model import (
    TOTAL_WINDOW,
    Budget,
    BudgetError,
    BudgetState,
    BudgetWarning,
    Denial,
    Scope,
    Spend,
    Window,
    decide,
    in_emergency,
    lock_order,
    thresholds_crossed,
    window_for,
)

USD = 1_000_000_000
HOUR = timedelta(hours=1)
MONTH = Window(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def budget(budget_id: str = "b", amount_usd: int | None = 10, **changes: object) -> Budget:
    base = Budget(
        id=budget_id,
        name=budget_id,
        scope=Scope("project", "p"),
        amount_nanos=None if amount_usd is None else amount_usd * USD,
        token_limit=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def state(b: Budget, spent: int = 0, reserved: int = 0, tokens: int = 0) -> BudgetState:
    return BudgetState(b, MONTH, Spend(spent_nanos=spent, reserved_nanos=reserved, tokens=tokens))


# --- validation -------------------------------------------------------------


def test_a_valid_budget_passes() -> None:
    budget(period="week", timezone="Europe/Berlin", kind="soft", thresholds=(10, 100)).validate()
    budget(amount_usd=None, token_limit=5000).validate()


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"period": "fortnight"}, "period"),
        ({"kind": "medium"}, "kind"),
        ({"scope": Scope("galaxy", "x")}, "scope kind"),
        ({"timezone": "Mars/Olympus_Mons"}, "time zone"),
        ({"amount_nanos": None}, "limits nothing"),
        ({"amount_nanos": -1}, "amount"),
        ({"amount_nanos": 0}, "amount"),
        ({"token_limit": -5}, "token_limit"),
        ({"max_cost_per_run_nanos": -1}, "max_cost_per_run"),
        ({"max_concurrent_runs": 0}, "max_concurrent_runs"),
        ({"thresholds": (80, 50)}, "thresholds"),
        ({"thresholds": (50, 50)}, "thresholds"),
        ({"thresholds": (0, 50)}, "thresholds"),
        ({"thresholds": (50, 101)}, "thresholds"),
        ({"parent_id": "b"}, "own parent"),
        ({"id": ""}, "id"),
    ],
)
def test_invalid_budgets_are_refused(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(BudgetError, match=fragment):
        replace(budget(), **changes).validate()  # type: ignore[arg-type]


def test_run_limits_alone_make_a_budget() -> None:
    budget(amount_usd=None, max_tokens_per_run=1000).validate()


# --- windows ----------------------------------------------------------------


def test_berlin_spring_forward_day_has_23_hours() -> None:
    # 2024-03-31: 02:00 CET becomes 03:00 CEST; midnight is 23:00Z before, 22:00Z after.
    window = window_for("day", "Europe/Berlin", utc(2024, 3, 31, 12))
    assert window == Window(utc(2024, 3, 30, 23), utc(2024, 3, 31, 22))
    assert window.end - window.start == 23 * HOUR


def test_berlin_fall_back_day_has_25_hours() -> None:
    window = window_for("day", "Europe/Berlin", utc(2024, 10, 27, 1, 30))
    assert window == Window(utc(2024, 10, 26, 22), utc(2024, 10, 27, 23))
    assert window.end - window.start == 25 * HOUR


def test_new_york_month_starts_and_ends_at_local_midnight() -> None:
    # March 1 is EST (UTC-5); April 1 is EDT (UTC-4).
    window = window_for("month", "America/New_York", utc(2024, 3, 15))
    assert window == Window(utc(2024, 3, 1, 5), utc(2024, 4, 1, 4))
    assert window.end - window.start == timedelta(days=31) - HOUR


def test_an_instant_on_the_boundary_belongs_to_the_new_window() -> None:
    boundary = utc(2024, 1, 31, 23)  # 2024-02-01 00:00 in Berlin
    february = window_for("month", "Europe/Berlin", boundary)
    january = window_for("month", "Europe/Berlin", boundary - timedelta(microseconds=1))
    assert february.start == boundary
    assert january.end == boundary
    assert january.start == utc(2023, 12, 31, 23)


def test_local_month_differs_from_utc_month() -> None:
    at = utc(2024, 4, 30, 23, 30)  # already May 1 in Berlin, still April in UTC
    assert window_for("month", "Europe/Berlin", at).start == utc(2024, 4, 30, 22)
    assert window_for("month", "UTC", at).start == utc(2024, 4, 1)


def test_weeks_start_on_monday_at_local_midnight() -> None:
    wednesday = utc(2024, 6, 5, 12)
    window = window_for("week", "Europe/Berlin", wednesday)
    assert window == Window(utc(2024, 6, 2, 22), utc(2024, 6, 9, 22))
    assert window.start.astimezone(ZoneInfo("Europe/Berlin")).weekday() == 0
    late_sunday = utc(2024, 6, 9, 21, 59)
    assert window_for("week", "Europe/Berlin", late_sunday) == window
    assert window_for("week", "Europe/Berlin", utc(2024, 6, 9, 22)).start == window.end


def test_week_across_a_dst_change_is_one_hour_short() -> None:
    window = window_for("week", "Europe/Berlin", utc(2024, 3, 27))
    assert window == Window(utc(2024, 3, 24, 23), utc(2024, 3, 31, 22))
    assert window.end - window.start == timedelta(days=7) - HOUR


def test_total_window_is_fixed() -> None:
    window = window_for("total", "Asia/Tokyo", utc(2030, 1, 1))
    assert window == TOTAL_WINDOW
    assert window.start == utc(1970, 1, 1) and window.end == utc(9999, 1, 1)
    assert window.unbounded


def test_bad_window_inputs_are_refused() -> None:
    with pytest.raises(BudgetError, match="timezone-aware"):
        window_for("day", "UTC", datetime(2024, 1, 1))
    with pytest.raises(BudgetError, match="time zone"):
        window_for("day", "Not/AZone", utc(2024, 1, 1))
    with pytest.raises(BudgetError, match="period"):
        window_for("year", "UTC", utc(2024, 1, 1))
    with pytest.raises(BudgetError):
        Window(utc(2024, 1, 2), utc(2024, 1, 1))


def test_a_local_hour_repeated_across_midnight_stays_in_the_window_that_began() -> None:
    # St. John's, 1990-10-28: at 00:01 NDT (02:31Z) clocks went back to 23:01
    # NST on the 27th. The 28th had already begun at 00:00 NDT (02:30Z), so
    # the repeated "23:01 on the 27th" belongs to the 28th's window.
    at = utc(1990, 10, 28, 2, 31)
    window = window_for("day", "America/St_Johns", at)
    assert window.start == utc(1990, 10, 28, 2, 30)
    assert window.contains(at)
    previous = window_for("day", "America/St_Johns", utc(1990, 10, 28, 2, 29))
    assert previous.end == window.start


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    # Havana, 2024-03-10: 00:00 CST became 01:00 CDT, at 05:00Z.
    window = window_for("day", "America/Havana", utc(2024, 3, 10, 12))
    assert window == Window(utc(2024, 3, 10, 5), utc(2024, 3, 11, 4))


def test_a_skipped_calendar_day_has_no_window() -> None:
    # Samoa skipped 2011-12-30: 23:59:59 on the 29th (UTC-10) was followed by
    # 00:00 on the 31st (UTC+14), at 10:00Z.
    last_of_29th = window_for("day", "Pacific/Apia", utc(2011, 12, 30, 9, 59))
    first_of_31st = window_for("day", "Pacific/Apia", utc(2011, 12, 30, 10))
    assert last_of_29th == Window(utc(2011, 12, 29, 10), utc(2011, 12, 30, 10))
    assert first_of_31st == Window(utc(2011, 12, 30, 10), utc(2011, 12, 31, 10))
    december = window_for("month", "Pacific/Apia", utc(2011, 12, 15))
    assert december.end - december.start == timedelta(days=30)


# Zones with DST changes at or across local midnight, where a day can begin
# at 01:00 or a late-evening hour can repeat after the date has changed.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
    "Pacific/Apia",
]
INSTANTS = st.datetimes(datetime(1990, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC))


def _first_of_period(period: str, local: datetime) -> bool:
    if period == "week":
        return local.weekday() == 0
    if period == "month":
        return local.day == 1
    return True


@given(period=st.sampled_from(["day", "week", "month"]), tz=st.sampled_from(ZONES), at=INSTANTS)
def test_windows_hold_the_instant_and_start_at_the_first_local_instant(
    period: str, tz: str, at: datetime
) -> None:
    zone = ZoneInfo(tz)
    window = window_for(period, tz, at)
    assert window.contains(at)
    start_local = window.start.astimezone(zone)
    before_local = (window.start - timedelta(microseconds=1)).astimezone(zone)
    assert _first_of_period(period, start_local)
    assert start_local.date() != before_local.date()
    assert window_for(period, tz, window.end).start == window.end


# --- state and room ---------------------------------------------------------


def test_state_reports_remaining_and_percentages() -> None:
    s = state(budget(amount_usd=10), spent=4 * USD, reserved=1 * USD)
    assert s.remaining_nanos == 5 * USD
    assert s.percent_used == Decimal("40.00")
    assert s.percent_committed == Decimal("50.00")
    over = state(budget(amount_usd=10), spent=12 * USD)
    assert over.remaining_nanos == -2 * USD
    assert over.percent_used == Decimal("120.00")
    tokens_only = state(budget(amount_usd=None, token_limit=3000), tokens=1000)
    assert tokens_only.remaining_nanos is None and tokens_only.percent_used is None
    assert tokens_only.remaining_tokens == 2000
    assert tokens_only.percent_tokens_used == Decimal("33.33")


def test_hard_budget_room_is_exact_to_the_nano() -> None:
    s = state(budget(amount_usd=10), spent=6 * USD, reserved=3 * USD)
    assert s.room_for(1 * USD, 0)
    assert not s.room_for(1 * USD + 1, 0)
    assert s.room_for(1 * USD + 1, 0, extra_nanos=1)


def test_token_limit_blocks_independently_of_money() -> None:
    s = state(budget(token_limit=1000), tokens=900)
    assert s.room_for(0, 100)
    assert not s.room_for(0, 101)


def test_soft_budget_always_has_room() -> None:
    s = state(budget(amount_usd=1, kind="soft"), spent=5 * USD)
    assert s.room_for(100 * USD, 0)


def test_negative_requests_are_refused() -> None:
    with pytest.raises(BudgetError):
        state(budget()).room_for(-1, 0)


# --- decisions --------------------------------------------------------------


def test_every_hard_budget_up_the_chain_must_have_room() -> None:
    child = state(budget("project", amount_usd=100), spent=10 * USD)
    parent = state(budget("team", amount_usd=50), spent=45 * USD, reserved=4 * USD)
    decision = decide([child, parent], 2 * USD, 0)
    assert not decision.allowed
    assert decision.denials == (Denial("team", "cost", 50 * USD, 49 * USD, 2 * USD),)
    assert decision.denials[0].remaining == 1 * USD
    assert "team" in decision.denials[0].reason
    assert {h.budget_id: h.remaining_nanos for h in decision.headroom} == {
        "project": 90 * USD,
        "team": 1 * USD,
    }
    assert decide([child, parent], 1 * USD, 0).allowed


def test_over_allocated_child_passes_while_its_parent_has_room() -> None:
    child = state(budget("child", amount_usd=500))
    parent = state(budget("parent", amount_usd=100), spent=50 * USD)
    assert decide([child, parent], 40 * USD, 0).allowed
    assert not decide([child, parent], 60 * USD, 0).allowed


def test_soft_budgets_warn_but_never_block() -> None:
    soft = state(budget("soft", amount_usd=1, kind="soft"), spent=1 * USD)
    hard = state(budget("hard", amount_usd=100))
    decision = decide([soft, hard], 5 * USD, 0)
    assert decision.allowed
    assert decision.denials == ()
    assert decision.warnings == (BudgetWarning("soft", "cost", 1 * USD, 1 * USD, 5 * USD),)


def test_override_grants_extra_room_and_is_audited() -> None:
    hard = state(budget("b", amount_usd=10), spent=10 * USD)
    assert not decide([hard], 3 * USD, 0).allowed
    decision = decide([hard], 3 * USD, 0, overrides={"b": 3 * USD})
    assert decision.allowed
    assert decision.overrides_used == ("b",)
    assert decision.audited
    assert not decide([hard], 3 * USD, 0, overrides={"b": 2 * USD}).allowed
    unneeded = decide([state(budget("b"))], 1 * USD, 0, overrides={"b": 3 * USD})
    assert unneeded.allowed and unneeded.overrides_used == () and not unneeded.audited


def test_critical_priority_is_audited_but_hard_limits_still_hold() -> None:
    hard = state(budget("b", amount_usd=10), spent=10 * USD)
    soft = state(budget("s", amount_usd=1, kind="soft"), spent=1 * USD)
    assert decide([soft], 1 * USD, 0, priority="critical").audited
    assert not decide([soft], 1 * USD, 0).audited
    assert not decide([hard], 1, 0, priority="critical").allowed
    with pytest.raises(BudgetError, match="priority"):
        decide([hard], 1, 0, priority="urgent")


def test_tokens_deny_with_a_token_denial() -> None:
    s = state(budget("t", amount_usd=None, token_limit=100), tokens=90)
    decision = decide([s], 5 * USD, 20)
    assert decision.denials == (Denial("t", "tokens", 100, 90, 20),)
    assert "tokens" in decision.denials[0].reason


budget_states = st.builds(
    lambda amount, spent, reserved, kind: state(
        budget(amount_usd=amount, kind=kind), spent=spent * USD // 10, reserved=reserved
    ),
    st.integers(1, 100),
    st.integers(0, 1200),
    st.integers(0, 10 * USD),
    st.sampled_from(["hard", "soft"]),
)


@given(states=st.lists(budget_states, max_size=6), amount=st.integers(0, 50 * USD))
def test_a_chain_allows_exactly_when_each_budget_alone_allows(
    states: list[BudgetState], amount: int
) -> None:
    chain = decide(states, amount, 0)
    alone = [decide([s], amount, 0).allowed for s in states]
    assert chain.allowed == all(alone)
    assert chain.allowed == all(s.room_for(amount, 0) for s in states)
    soft_only = [s for s in states if not s.budget.is_hard]
    assert decide(soft_only, amount, 0).allowed


@given(requests=st.lists(st.tuples(st.integers(1, 3 * USD), st.booleans()), max_size=60))
def test_reserving_through_decide_never_overshoots_the_tightest_budget(
    requests: list[tuple[int, bool]],
) -> None:
    # A $10 hard budget under a $1,000 parent; each granted hold settles at
    # its full amount or is released, one step at a time.
    child, parent = budget("child", amount_usd=10), budget("parent", amount_usd=1000)
    spent = 0
    for amount, settle in requests:
        states = [BudgetState(b, MONTH, Spend(spent_nanos=spent)) for b in (child, parent)]
        decision = decide(states, amount, 0)
        assert decision.allowed == (spent + amount <= 10 * USD)
        if decision.allowed and settle:
            spent += amount
        assert spent <= 10 * USD


def test_emergency_mode_starts_at_95_percent_committed() -> None:
    assert not in_emergency([state(budget(amount_usd=100), spent=94 * USD)])
    assert in_emergency([state(budget(amount_usd=100), spent=90 * USD, reserved=5 * USD)])
    assert not in_emergency([state(budget(amount_usd=100, kind="soft"), spent=99 * USD)])
    tokens = budget(amount_usd=None, token_limit=1000)
    assert in_emergency([state(tokens, tokens=950)])
    assert not in_emergency([state(tokens, tokens=949)])


# --- thresholds -------------------------------------------------------------


def test_thresholds_crossed_examples() -> None:
    assert thresholds_crossed(0, 80, 100, (50, 80, 95)) == [50, 80]
    assert thresholds_crossed(80, 94, 100, (50, 80, 95)) == []
    assert thresholds_crossed(94, 100, 100, (50, 80, 95)) == [95, 100]
    assert thresholds_crossed(0, 1000, 100, ()) == [100]
    # 50% of 3 is 1.5: one unit is below it, two are above.
    assert thresholds_crossed(0, 1, 3, (50,)) == []
    assert thresholds_crossed(1, 2, 3, (50,)) == [50]


def test_falling_spend_fires_nothing() -> None:
    assert thresholds_crossed(99, 10, 100, (50, 80, 95)) == []


def test_thresholds_need_a_positive_limit() -> None:
    with pytest.raises(BudgetError):
        thresholds_crossed(0, 1, 0, (50,))


def _reached(spent: int, limit: int, threshold: int) -> bool:
    return Fraction(spent, limit) * 100 >= threshold


thresholds_st = st.lists(st.integers(1, 100), unique=True, max_size=5).map(sorted)


@given(
    limit=st.integers(1, 10**15),
    steps=st.lists(st.integers(0, 10**14), max_size=30),
    thresholds=thresholds_st,
)
def test_stepwise_spend_fires_each_reached_threshold_exactly_once(
    limit: int, steps: list[int], thresholds: list[int]
) -> None:
    fired: list[int] = []
    spent = 0
    for step in steps:
        fired += thresholds_crossed(spent, spent + step, limit, thresholds)
        spent += step
    expected = [t for t in sorted({*thresholds, 100}) if _reached(spent, limit, t)]
    assert sorted(fired) == expected
    assert len(fired) == len(set(fired))


@given(
    limit=st.integers(1, 10**12),
    before=st.integers(0, 2 * 10**12),
    delta=st.integers(0, 10**12),
    thresholds=thresholds_st,
)
def test_never_fires_a_threshold_already_reached(
    limit: int, before: int, delta: int, thresholds: list[int]
) -> None:
    fired = thresholds_crossed(before, before + delta, limit, thresholds)
    assert not any(_reached(before, limit, t) for t in fired)
    assert all(_reached(before + delta, limit, t) for t in fired)


# --- lock order -------------------------------------------------------------


def test_lock_order_is_sorted_and_unique() -> None:
    assert lock_order(["team", "platform", "project", "team"]) == ["platform", "project", "team"]


@given(
    a=st.lists(st.text(min_size=1, max_size=4), max_size=8),
    b=st.lists(st.text(min_size=1, max_size=4), max_size=8),
)
def test_two_chains_never_lock_shared_budgets_in_opposite_orders(
    a: list[str], b: list[str]
) -> None:
    first, second = lock_order(a), lock_order(b)
    shared = set(first) & set(second)
    assert [x for x in first if x in shared] == [x for x in second if x in shared]
