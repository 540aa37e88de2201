"""Alert rules: levels, ids, threshold alerts, anomalies, projections, signatures, backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.alerts.model import (
    LEVELS,
    AlertConfig,
    AlertError,
    Webhook,
    alert_id,
    alert_payload,
    anomaly_alert_id,
    backoff_delays,
    burning_too_fast,
    forecast_alert_id,
    is_anomaly,
    level_for,
    month_end_projection,
    projection_from_trailing,
    sign_payload,
    threshold_alerts,
    topic_for,
    verify_signature,
)
from app.budgets.model import TOTAL_WINDOW, Budget, BudgetError, Scope, Window, window_for

USD = 1_000_000_000
APRIL = Window(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
MAY = Window(datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


def budget(**changes: object) -> Budget:
    fields: dict[str, object] = {
        "id": "arpg-monthly",
        "name": "ARPG monthly",
        "scope": Scope("project", "my-arpg"),
        "amount_nanos": 300 * USD,
        "token_limit": None,
    }
    fields.update(changes)
    return Budget(**fields)  # type: ignore[arg-type]


# --- levels and ids -------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "level"),
    [
        (10, "info"),
        (50, "info"),
        (79, "info"),
        (80, "warning"),
        (94, "warning"),
        (95, "critical"),
        (99, "critical"),
        (100, "exceeded"),
        (150, "exceeded"),
    ],
)
def test_level_for(threshold: int, level: str) -> None:
    assert level_for(threshold) == level


def test_default_levels_agree_with_level_for() -> None:
    assert {t: level_for(t) for t in LEVELS} == LEVELS
    assert topic_for("exceeded") == "budget.exceeded"
    assert {topic_for(level) for level in ("info", "warning", "critical")} == {"budget.warning"}


def test_alert_id_is_deterministic_and_time_zone_blind() -> None:
    start = datetime(2026, 4, 1, tzinfo=UTC)
    same_instant = start.astimezone(timezone(timedelta(hours=2)))
    assert alert_id("b", start, 80) == alert_id("b", same_instant, 80)
    others = {
        alert_id("b", start, 95),
        alert_id("c", start, 80),
        alert_id("b", start + timedelta(days=30), 80),
        anomaly_alert_id("b", start),
        forecast_alert_id("b", start),
    }
    assert alert_id("b", start, 80) not in others
    assert len(others) == 5


def test_alert_ids_do_not_collide_when_parts_shift() -> None:
    start = datetime(2026, 4, 1, tzinfo=UTC)
    assert alert_id("a:1", start, 5) != alert_id("a", start, 15)


def test_alert_id_refuses_naive_times() -> None:
    with pytest.raises(BudgetError):
        alert_id("b", datetime(2026, 4, 1), 80)


# --- threshold alerts -----------------------------------------------------


def test_threshold_alerts_carry_levels_and_ids() -> None:
    alerts = threshold_alerts(budget(), APRIL, 100 * USD, 290 * USD)
    assert [(a.threshold, a.level) for a in alerts] == [
        (50, "info"),
        (80, "warning"),
        (95, "critical"),
    ]
    assert alerts[1].id == alert_id("arpg-monthly", APRIL.start, 80)
    assert all(a.observed == 290 * USD and a.limit == 300 * USD for a in alerts)
    over = threshold_alerts(budget(), APRIL, 290 * USD, 301 * USD)
    assert [(a.threshold, a.level) for a in over] == [(100, "exceeded")]


def test_each_window_gets_its_own_alert_per_threshold() -> None:
    april = threshold_alerts(budget(), APRIL, 0, 160 * USD)
    may = threshold_alerts(budget(), MAY, 0, 160 * USD)
    assert [a.threshold for a in april] == [a.threshold for a in may] == [50]
    assert april[0].id != may[0].id


def test_config_thresholds_can_replace_the_budgets_own() -> None:
    alerts = threshold_alerts(budget(), APRIL, 0, 200 * USD, thresholds=(25, 60))
    assert [a.threshold for a in alerts] == [25, 60]
    with pytest.raises(AlertError):
        threshold_alerts(budget(), APRIL, 0, 1, unit="eur")


def test_token_alerts_need_a_token_limit() -> None:
    assert threshold_alerts(budget(), APRIL, 0, 10**9, unit="tokens") == []
    tokens = threshold_alerts(budget(token_limit=1000), APRIL, 0, 800, unit="tokens")
    assert [a.threshold for a in tokens] == [50, 80]


@given(steps=st.lists(st.integers(0, 50 * USD), max_size=40))
def test_stepwise_ingestion_fires_each_alert_id_once(steps: list[int]) -> None:
    seen: list[str] = []
    spent = 0
    for step in steps:
        seen += [a.id for a in threshold_alerts(budget(), APRIL, spent, spent + step)]
        spent += step
    assert len(seen) == len(set(seen))
    reached = [t for t in (50, 80, 95, 100) if spent * 100 >= t * 300 * USD]
    assert set(seen) == {alert_id("arpg-monthly", APRIL.start, t) for t in reached}


def test_payload_is_json_with_money_as_strings() -> None:
    alert = threshold_alerts(budget(), APRIL, 0, 240 * USD)[-1]
    payload = json.loads(json.dumps(alert_payload(alert)))
    assert payload["topic"] == "budget.warning"
    assert payload["observed_usd"] == "240.000000000"
    assert payload["limit_usd"] == "300.000000000"
    assert payload["window_start"] == "2026-04-01T00:00:00+00:00"


# --- anomalies and projections --------------------------------------------


def test_anomaly_is_strictly_above_twice_the_trailing_mean() -> None:
    week = [10 * USD] * 7
    assert not is_anomaly(20 * USD, week)
    assert is_anomaly(20 * USD + 1, week)
    assert is_anomaly(16 * USD, week, factor=Decimal("1.5"))
    assert not is_anomaly(15 * USD, week, factor=Decimal("1.5"))


def test_anomaly_uses_the_mean_of_uneven_days() -> None:
    trailing = [0, 0, 30 * USD]  # mean 10
    assert not is_anomaly(20 * USD, trailing)
    assert is_anomaly(20 * USD + 1, trailing)


def test_anomaly_needs_history() -> None:
    assert not is_anomaly(10**18, [])
    assert is_anomaly(1, [0, 0, 0])
    with pytest.raises(AlertError):
        is_anomaly(1, [1], factor=Decimal(0))


def test_anomaly_stays_exact_for_huge_sums() -> None:
    trailing = [10**25 + 1] * 7
    assert not is_anomaly(2 * (10**25 + 1), trailing)
    assert is_anomaly(2 * (10**25 + 1) + 1, trailing)


def test_projection_is_linear_on_elapsed_time() -> None:
    # 10 of April's 30 days gone with $100 spent: $300 by the end.
    now = APRIL.start + timedelta(days=10)
    assert month_end_projection(100 * USD, APRIL, now) == 300 * USD
    assert month_end_projection(100 * USD, APRIL, APRIL.start) == 100 * USD
    assert month_end_projection(100 * USD, APRIL, APRIL.end + timedelta(days=3)) == 100 * USD
    assert month_end_projection(100 * USD, TOTAL_WINDOW, now) == 100 * USD


def test_projection_follows_the_local_month_length() -> None:
    # March 2024 in New York is 31 days less one hour; at its midpoint spend doubles.
    march = window_for("month", "America/New_York", datetime(2024, 3, 10, tzinfo=UTC))
    midpoint = march.start + (march.end - march.start) / 2
    assert month_end_projection(7 * USD, march, midpoint) == 14 * USD


def test_projection_from_trailing_days() -> None:
    assert projection_from_trailing([10, 20, 30], 5) == 100
    assert projection_from_trailing([], 5) == 0
    assert projection_from_trailing([1, 2], 1) == 2  # 1.5 rounds half to even
    assert projection_from_trailing([0, 1], 1) == 0  # 0.5 rounds half to even
    with pytest.raises(AlertError):
        projection_from_trailing([1], -1)


def test_burning_too_fast_compares_with_one_and_a_half_times_elapsed() -> None:
    assert burning_too_fast(Decimal("45.01"), Decimal("0.3"))
    assert not burning_too_fast(Decimal("45"), Decimal("0.3"))
    assert burning_too_fast(Decimal("0.01"), Decimal(0))
    assert not burning_too_fast(Decimal(100), Decimal(1))


# --- signatures -----------------------------------------------------------


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"topic":"budget.exceeded"}'
    expected = hmac.new(b"s3cret", b"1767225600." + body, hashlib.sha256).hexdigest()
    assert sign_payload("s3cret", body, 1767225600) == expected


@given(secret=st.text(min_size=1), body=st.binary(), timestamp=st.integers(0, 2**40))
def test_signatures_verify_and_tampering_is_caught(
    secret: str, body: bytes, timestamp: int
) -> None:
    signature = sign_payload(secret, body, timestamp)
    assert verify_signature(secret, body, timestamp, signature)
    assert verify_signature(secret, body, timestamp, signature.upper())
    assert not verify_signature(secret, body + b"x", timestamp, signature)
    assert not verify_signature(secret, body, timestamp + 1, signature)
    assert not verify_signature(secret + "x", body, timestamp, signature)


def test_stale_or_garbled_signatures_are_refused() -> None:
    signature = sign_payload("k", b"{}", 1000)
    assert verify_signature("k", b"{}", 1000, signature, now=1300)
    assert not verify_signature("k", b"{}", 1000, signature, now=1301)
    assert not verify_signature("k", b"{}", 1000, "é" * 64)
    assert not verify_signature("k", b"{}", 1000, "")


# --- backoff --------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap() -> None:
    assert backoff_delays(8) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff_delays(0) == []
    assert backoff_delays(3, base=2.0, cap=5.0) == [2.0, 4.0, 5.0]
    with pytest.raises(AlertError):
        backoff_delays(-1)


@given(attempts=st.integers(0, 3000))
def test_backoff_never_decreases_or_passes_the_cap(attempts: int) -> None:
    delays = backoff_delays(attempts)
    assert len(delays) == attempts
    assert all(0 < d <= 30.0 for d in delays)
    assert delays == sorted(delays)


# --- configuration --------------------------------------------------------


def test_default_config_is_valid() -> None:
    AlertConfig().validate()
    AlertConfig(
        webhooks=(Webhook("https://hooks.example.com/a", "secret", ("budget.exceeded",)),),
        emails=("ops@example.com",),
        smtp_host="127.0.0.1",
        smtp_port=8025,
        smtp_sender="costgraph@example.com",
    ).validate()


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        (AlertConfig(thresholds=(80, 50)), "thresholds"),
        (AlertConfig(webhooks=(Webhook("ftp://x", "s"),)), "http"),
        (AlertConfig(webhooks=(Webhook("https://x", ""),)), "secret"),
        (AlertConfig(webhooks=(Webhook("https://x", "s", ("budget.late",)),)), "topic"),
        (AlertConfig(emails=("ops@example.com",)), "smtp"),
        (AlertConfig(emails=("not-an-address",), smtp_host="h", smtp_sender="a@b"), "email"),
        (AlertConfig(smtp_port=70000), "smtp_port"),
        (AlertConfig(anomaly_factor=Decimal(0)), "anomaly_factor"),
        (AlertConfig(anomaly_trailing_days=0), "anomaly_trailing_days"),
    ],
)
def test_bad_configs_are_refused(config: AlertConfig, fragment: str) -> None:
    with pytest.raises(AlertError, match=fragment):
        config.validate()


def test_webhook_topics() -> None:
    hook = Webhook("https://x", "s", ("cost.recorded",))
    assert hook.wants("cost.recorded")
    assert not hook.wants("budget.exceeded")
