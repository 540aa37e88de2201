"""The seed-style limits config: parsing, round trips, readable errors, and the budgets it means."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from app.budgets.limits import (
    TERMINATE_RUN,
    GlobalLimits,
    Limits,
    ProjectLimits,
    RunLimits,
    budgets_from_limits,
    has_run_slot,
    limits_to_dict,
    parse_limits,
    run_action,
)
from app.budgets.model import BudgetError, Scope

USD = 1_000_000_000

SEED_YAML = """
global:
  max_tokens_per_day: 1000000
  max_cost_per_day: 50.00
  max_cost_per_month: 500.00
  max_concurrent_agents: 5
per_project:
  default:
    max_cost_per_day: 20.00
    max_cost_per_month: 200.00
  my-arpg:
    max_cost_per_day: 30.00
    max_cost_per_month: 300.00
per_agent:
  default:
    max_tokens_per_run: 100000
    max_cost_per_run: 5.00
"""


def seed() -> Limits:
    return parse_limits(yaml.safe_load(SEED_YAML))


def test_seed_yaml_reads_floats_as_the_amounts_typed() -> None:
    limits = seed()
    assert limits.global_limits == GlobalLimits(
        max_tokens_per_day=1_000_000,
        max_cost_per_day_nanos=50 * USD,
        max_cost_per_month_nanos=500 * USD,
        max_concurrent_agents=5,
    )
    assert limits.project_default == ProjectLimits(None, 20 * USD, 200 * USD)
    assert limits.projects == (("my-arpg", ProjectLimits(None, 30 * USD, 300 * USD)),)
    assert limits.agent_default == RunLimits(100_000, 5 * USD)


def test_a_float_is_read_through_its_repr_not_its_binary_value() -> None:
    # Decimal(0.1) is 0.1000000000000000055...; the repr "0.1" is what was meant.
    limits = parse_limits({"per_agent": {"default": {"max_cost_per_run": 0.1}}})
    assert limits.agent_default.max_cost_per_run_nanos == 100_000_000


def test_money_as_strings_ints_and_floats_agree() -> None:
    readings = [
        parse_limits({"global": {"max_cost_per_day": value}}).global_limits
        for value in ("12.5", "12.500000000", 12.5)
    ]
    assert {r.max_cost_per_day_nanos for r in readings} == {12_500_000_000}
    assert parse_limits({"global": {"max_cost_per_day": 12}}).global_limits == GlobalLimits(
        max_cost_per_day_nanos=12 * USD
    )


def test_missing_sections_and_nulls_mean_no_limit() -> None:
    assert parse_limits({}) == Limits()
    assert parse_limits({"global": None, "per_project": {"default": None}}) == Limits()


def test_project_entry_overrides_the_default_key_by_key() -> None:
    limits = parse_limits(
        {
            "per_project": {
                "default": {"max_cost_per_day": "20", "max_cost_per_month": "200"},
                "small": {"max_cost_per_day": "5"},
            }
        }
    )
    assert limits.for_project("small") == ProjectLimits(None, 5 * USD, 200 * USD)
    assert limits.for_project("unlisted") == ProjectLimits(None, 20 * USD, 200 * USD)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"global": {"max_cost_per_day": "fifty"}}, "global.max_cost_per_day"),
        ({"global": {"max_cost_per_day": "-1"}}, "global.max_cost_per_day"),
        ({"global": {"max_cost_per_day": "0"}}, "global.max_cost_per_day"),
        ({"global": {"max_cost_per_day": "0.0000000001"}}, "global.max_cost_per_day"),
        ({"global": {"max_cost_per_day": True}}, "global.max_cost_per_day"),
        ({"global": {"max_tokens_per_day": 1.5e6}}, "global.max_tokens_per_day"),
        ({"global": {"max_tokens_per_day": "1000"}}, "global.max_tokens_per_day"),
        ({"global": {"max_concurrent_agents": 0}}, "global.max_concurrent_agents"),
        ({"global": {"max_cost_per_wek": "1"}}, "global.max_cost_per_wek"),
        ({"global": [1, 2]}, "global"),
        ({"per_project": {"my-arpg": {"max_cost_per_day": "x"}}}, "per_project.my-arpg"),
        ({"per_project": {"my-arpg": {"max_cost_per_run": "1"}}}, "per_project.my-arpg"),
        ({"per_agent": {"default": {"max_cost_per_run": []}}}, "per_agent.default"),
        ({"per_team": {}}, "per_team"),
        ({"per_project": ["my-arpg"]}, "per_project"),
        ({"per_project": {7: {}}}, "per_project"),
    ],
)
def test_errors_name_the_key_path(data: dict[str, Any], path: str) -> None:
    with pytest.raises(BudgetError) as caught:
        parse_limits(data)
    assert str(caught.value).startswith(path)


def test_wire_form_lists_default_keys_and_writes_money_as_strings() -> None:
    out = limits_to_dict(seed())
    assert out["global"] == {
        "max_tokens_per_day": 1_000_000,
        "max_cost_per_day": "50.000000000",
        "max_cost_per_month": "500.000000000",
        "max_concurrent_agents": 5,
    }
    assert out["per_project"]["default"]["max_tokens_per_day"] is None
    assert out["per_project"]["my-arpg"] == {
        "max_cost_per_day": "30.000000000",
        "max_cost_per_month": "300.000000000",
    }
    assert out["per_agent"] == {
        "default": {"max_tokens_per_run": 100_000, "max_cost_per_run": "5.000000000"}
    }


def test_seed_round_trips_through_json() -> None:
    limits = seed()
    assert parse_limits(json.loads(json.dumps(limits_to_dict(limits)))) == limits


maybe_usd = st.none() | st.integers(1, 10**6 * USD)
maybe_count = st.none() | st.integers(1, 10**9)
project_limits = st.builds(ProjectLimits, maybe_count, maybe_usd, maybe_usd)
run_limits = st.builds(RunLimits, maybe_count, maybe_usd)
ids = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8)


def entries(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[tuple[str, Any], ...]]:
    return st.dictionaries(ids.filter(lambda i: i != "default"), values, max_size=4).map(
        lambda d: tuple(sorted(d.items()))
    )


limits_st = st.builds(
    Limits,
    global_limits=st.builds(GlobalLimits, maybe_count, maybe_usd, maybe_usd, maybe_count),
    project_default=project_limits,
    projects=entries(project_limits),
    agent_default=run_limits,
    agents=entries(run_limits),
)


@given(limits=limits_st)
def test_parse_inverts_limits_to_dict(limits: Limits) -> None:
    assert parse_limits(limits_to_dict(limits)) == limits
    assert parse_limits(json.loads(json.dumps(limits_to_dict(limits)))) == limits


# --- budgets the config means ---------------------------------------------


def test_seed_becomes_platform_project_and_run_budgets() -> None:
    budgets = {b.id: b for b in budgets_from_limits(seed(), ["docs"], timezone="Europe/Berlin")}
    assert sorted(budgets) == sorted(
        [
            "limits:platform:day",
            "limits:platform:month",
            "limits:platform:run",
            "limits:project:docs:day",
            "limits:project:docs:month",
            "limits:project:my-arpg:day",
            "limits:project:my-arpg:month",
        ]
    )
    for b in budgets.values():
        b.validate()
        assert b.kind == "hard" and b.timezone == "Europe/Berlin"
    day = budgets["limits:platform:day"]
    assert (day.period, day.amount_nanos, day.token_limit) == ("day", 50 * USD, 1_000_000)
    assert day.scope == Scope("platform", "default")
    docs_month = budgets["limits:project:docs:month"]
    assert docs_month.amount_nanos == 200 * USD
    assert docs_month.parent_id == "limits:platform:month"
    assert docs_month.scope == Scope("project", "docs")
    assert budgets["limits:project:my-arpg:day"].amount_nanos == 30 * USD
    assert budgets["limits:project:my-arpg:day"].parent_id == "limits:platform:day"
    run = budgets["limits:platform:run"]
    assert (run.max_tokens_per_run, run.max_cost_per_run_nanos) == (100_000, 5 * USD)
    assert run.max_concurrent_runs == 5
    assert run.period == "total"


def test_budgets_are_deterministic_and_skip_unset_limits() -> None:
    limits = parse_limits(
        {"per_project": {"default": {"max_cost_per_month": "10"}}, "per_agent": {"bot": {}}}
    )
    first = budgets_from_limits(limits, ["b", "a", "a"])
    assert first == budgets_from_limits(limits, ["a", "b"])
    assert [b.id for b in first] == ["limits:project:a:month", "limits:project:b:month"]
    assert all(b.parent_id is None for b in first)


def test_agent_entries_become_agent_run_budgets() -> None:
    limits = parse_limits(
        {
            "per_agent": {
                "default": {"max_tokens_per_run": 1000, "max_cost_per_run": "1"},
                "coder-v3": {"max_cost_per_run": "3"},
            }
        }
    )
    budgets = {b.id: b for b in budgets_from_limits(limits, [])}
    agent = budgets["limits:agent:coder-v3:run"]
    agent.validate()
    assert agent.scope == Scope("agent", "coder-v3")
    assert (agent.max_tokens_per_run, agent.max_cost_per_run_nanos) == (1000, 3 * USD)


# --- per-run and concurrency rules ------------------------------------------


def test_run_is_terminated_only_after_passing_its_limit() -> None:
    run_budget = {b.id: b for b in budgets_from_limits(seed(), [])}["limits:platform:run"]
    assert run_action([run_budget], 5 * USD, 100_000) is None
    assert run_action([run_budget], 5 * USD + 1, 0) == TERMINATE_RUN
    assert run_action([run_budget], 0, 100_001) == TERMINATE_RUN
    assert run_action([], 10**18, 10**9) is None


def test_concurrency_slot() -> None:
    run_budget = {b.id: b for b in budgets_from_limits(seed(), [])}["limits:platform:run"]
    assert has_run_slot(run_budget, 4)
    assert not has_run_slot(run_budget, 5)
