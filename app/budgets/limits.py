"""The seed-style limits configuration and the budgets it stands for.

`GET|PUT /v1/limits` and `costgraph limits apply limits.yaml` speak this shape:

    {"global": {"max_tokens_per_day": 1000000, "max_cost_per_day": "50.00",
                "max_cost_per_month": "500.00", "max_concurrent_agents": 5},
     "per_project": {"default": {"max_cost_per_day": "20.00", "max_cost_per_month": "200.00"},
                     "my-arpg": {"max_cost_per_day": "30.00"}},
     "per_agent": {"default": {"max_tokens_per_run": 100000, "max_cost_per_run": "5.00"}}}

Money is USD as a decimal string or an integer. YAML reads `50.00` as a
float, so a float is accepted by way of its shortest repr (`50.0`), which is
the number the person typed; a float whose repr has more than 9 decimals is
refused rather than rounded. Token and run counts must be whole numbers. A
missing key or `null` means "no limit" in a default and "as the default" in
a per-project or per-agent entry, so an entry can raise or lower a default
limit but not lift it.

Pure: standard library, the budget model and app.money only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any, TypeVar

from app.budgets.model import Budget, BudgetError, Scope
from app.money import MoneyError, format_usd, usd_to_nanos

TERMINATE_RUN = "terminate_run"
SECTIONS = ("global", "per_project", "per_agent")

# wire key -> (field name, unit); "usd" is read into nano-USD.
_PERIOD_KEYS = {
    "max_tokens_per_day": ("max_tokens_per_day", "count"),
    "max_cost_per_day": ("max_cost_per_day_nanos", "usd"),
    "max_cost_per_month": ("max_cost_per_month_nanos", "usd"),
}
_GLOBAL_KEYS = {**_PERIOD_KEYS, "max_concurrent_agents": ("max_concurrent_agents", "count")}
_RUN_KEYS = {
    "max_tokens_per_run": ("max_tokens_per_run", "count"),
    "max_cost_per_run": ("max_cost_per_run_nanos", "usd"),
}


@dataclass(frozen=True)
class ProjectLimits:
    """Day and month limits of one project (None: no limit, or "as the default")."""

    max_tokens_per_day: int | None = None
    max_cost_per_day_nanos: int | None = None
    max_cost_per_month_nanos: int | None = None


@dataclass(frozen=True)
class GlobalLimits:
    """Platform-wide day and month limits and the number of agents that may run at once."""

    max_tokens_per_day: int | None = None
    max_cost_per_day_nanos: int | None = None
    max_cost_per_month_nanos: int | None = None
    max_concurrent_agents: int | None = None


@dataclass(frozen=True)
class RunLimits:
    """Caps on a single agent run; a run that passes one is told to terminate."""

    max_tokens_per_run: int | None = None
    max_cost_per_run_nanos: int | None = None


@dataclass(frozen=True)
class Limits:
    """The whole limits configuration.

    Per-project and per-agent entries are (id, limits) pairs sorted by id, so
    two configurations that say the same thing compare equal.
    """

    global_limits: GlobalLimits = field(default_factory=GlobalLimits)
    project_default: ProjectLimits = field(default_factory=ProjectLimits)
    projects: tuple[tuple[str, ProjectLimits], ...] = ()
    agent_default: RunLimits = field(default_factory=RunLimits)
    agents: tuple[tuple[str, RunLimits], ...] = ()

    def for_project(self, project_id: str) -> ProjectLimits:
        """The limits that apply to a project: its own entry over the default, key by key."""
        return _merged(self.project_default, dict(self.projects).get(project_id))

    def for_agent(self, agent_id: str) -> RunLimits:
        """The run limits that apply to an agent: its own entry over the default, key by key."""
        return _merged(self.agent_default, dict(self.agents).get(agent_id))


_Entry = TypeVar("_Entry", ProjectLimits, RunLimits)


def _merged(default: _Entry, own: _Entry | None) -> _Entry:
    if own is None:
        return default
    values = {f.name: getattr(own, f.name) for f in fields(own)}
    changes = {name: value for name, value in values.items() if value is not None}
    return replace(default, **changes)


def _read_usd(value: Any, path: str) -> int:
    if isinstance(value, float):
        # repr is the shortest text that reads back as this float: what was typed.
        value = repr(value)
    if isinstance(value, Decimal | str | int) and not isinstance(value, bool):
        try:
            nanos = usd_to_nanos(value)
        except MoneyError as exc:
            raise BudgetError(f"{path}: {exc}") from exc
        if nanos <= 0:
            raise BudgetError(f"{path}: must be a positive amount of USD, got {value!r}")
        return nanos
    raise BudgetError(f'{path}: expected an amount of USD such as "50.00", got {value!r}')


def _read_count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BudgetError(f"{path}: expected a whole number, got {value!r}")
    if value <= 0:
        raise BudgetError(f"{path}: must be positive, got {value}")
    return value


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BudgetError(f"{path}: expected a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str) or not key:
            raise BudgetError(f"{path}: keys must be non-empty strings, got {key!r}")
    return value


def _or_empty(value: Any) -> Any:
    # A key given as null (an empty YAML block) reads as an empty block.
    return {} if value is None else value


def _section(raw: Any, path: str, keys: Mapping[str, tuple[str, str]]) -> dict[str, int | None]:
    """Read one flat block of limits into dataclass field values; None reads as empty."""
    block = _mapping(_or_empty(raw), path)
    unknown = sorted(set(block) - set(keys))
    if unknown:
        raise BudgetError(f"{path}.{unknown[0]}: unknown key; expected one of {sorted(keys)}")
    values: dict[str, int | None] = {}
    for key, (name, unit) in keys.items():
        value = block.get(key)
        if value is None:
            values[name] = None
        elif unit == "usd":
            values[name] = _read_usd(value, f"{path}.{key}")
        else:
            values[name] = _read_count(value, f"{path}.{key}")
    return values


def parse_limits(data: Mapping[str, Any]) -> Limits:
    """Read the limits configuration; BudgetError names the key path of the first problem."""
    top = _mapping(data, "limits")
    unknown = sorted(set(top) - set(SECTIONS))
    if unknown:
        raise BudgetError(f"{unknown[0]}: unknown section; expected one of {list(SECTIONS)}")
    projects = _mapping(_or_empty(top.get("per_project")), "per_project")
    agents = _mapping(_or_empty(top.get("per_agent")), "per_agent")
    return Limits(
        global_limits=GlobalLimits(**_section(top.get("global"), "global", _GLOBAL_KEYS)),
        project_default=ProjectLimits(
            **_section(projects.get("default"), "per_project.default", _PERIOD_KEYS)
        ),
        projects=tuple(
            (pid, ProjectLimits(**_section(raw, f"per_project.{pid}", _PERIOD_KEYS)))
            for pid, raw in sorted(projects.items())
            if pid != "default"
        ),
        agent_default=RunLimits(**_section(agents.get("default"), "per_agent.default", _RUN_KEYS)),
        agents=tuple(
            (aid, RunLimits(**_section(raw, f"per_agent.{aid}", _RUN_KEYS)))
            for aid, raw in sorted(agents.items())
            if aid != "default"
        ),
    )


def _emit(limits: object, keys: Mapping[str, tuple[str, str]], keep_unset: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (name, unit) in keys.items():
        value = getattr(limits, name)
        if value is None:
            if keep_unset:
                out[key] = None
        else:
            out[key] = format_usd(value) if unit == "usd" else value
    return out


def limits_to_dict(limits: Limits) -> dict[str, Any]:
    """The wire form: money as decimal USD strings; defaults list every key (null: no limit)."""
    per_project: dict[str, Any] = {"default": _emit(limits.project_default, _PERIOD_KEYS, True)}
    per_project.update((pid, _emit(own, _PERIOD_KEYS, False)) for pid, own in limits.projects)
    per_agent: dict[str, Any] = {"default": _emit(limits.agent_default, _RUN_KEYS, True)}
    per_agent.update((aid, _emit(own, _RUN_KEYS, False)) for aid, own in limits.agents)
    return {
        "global": _emit(limits.global_limits, _GLOBAL_KEYS, True),
        "per_project": per_project,
        "per_agent": per_agent,
    }


_ADJECTIVE = {"day": "daily", "month": "monthly"}


def _period_budget(
    budget_id: str,
    name: str,
    scope: Scope,
    limits: tuple[int | None, int | None],
    period: str,
    timezone: str,
    parent: Budget | None,
) -> list[Budget]:
    amount, tokens = limits
    if amount is None and tokens is None:
        return []
    budget = Budget(
        id=budget_id,
        name=f"{name} {_ADJECTIVE[period]} limit",
        scope=scope,
        amount_nanos=amount,
        token_limit=tokens,
        period=period,
        timezone=timezone,
        kind="hard",
        parent_id=parent.id if parent else None,
    )
    return [budget]


def budgets_from_limits(
    limits: Limits,
    project_ids: Iterable[str],
    platform_id: str = "default",
    timezone: str = "UTC",
) -> list[Budget]:
    """The hard budgets the configuration means, with deterministic ids.

    - "limits:platform:day" (max_cost_per_day and/or max_tokens_per_day) and
      "limits:platform:month" (max_cost_per_month) on the platform;
    - "limits:project:<id>:day" and "limits:project:<id>:month" for every
      listed project and every project with its own entry, parented to the
      platform budget of the same period when there is one;
    - "limits:platform:run": the per-run caps of per_agent.default, and
      max_concurrent_agents as max_concurrent_runs, on a platform budget of
      period "total" with no amount, since these limits have no window;
    - "limits:agent:<id>:run": the same for each agent with its own entry.
    A budget whose limits are all unset is left out.
    """
    platform = Scope("platform", platform_id)
    top = limits.global_limits
    days = _period_budget(
        "limits:platform:day",
        "Platform",
        platform,
        (top.max_cost_per_day_nanos, top.max_tokens_per_day),
        "day",
        timezone,
        None,
    )
    months = _period_budget(
        "limits:platform:month",
        "Platform",
        platform,
        (top.max_cost_per_month_nanos, None),
        "month",
        timezone,
        None,
    )
    budgets = days + months + _run_budgets(limits, platform, top.max_concurrent_agents, timezone)
    for pid in sorted({*project_ids, *(pid for pid, _ in limits.projects)}):
        own, scope = limits.for_project(pid), Scope("project", pid)
        budgets += _period_budget(
            f"limits:project:{pid}:day",
            f"Project {pid}",
            scope,
            (own.max_cost_per_day_nanos, own.max_tokens_per_day),
            "day",
            timezone,
            days[0] if days else None,
        )
        budgets += _period_budget(
            f"limits:project:{pid}:month",
            f"Project {pid}",
            scope,
            (own.max_cost_per_month_nanos, None),
            "month",
            timezone,
            months[0] if months else None,
        )
    return budgets


def _run_budget(
    budget_id: str, name: str, scope: Scope, own: RunLimits, concurrency: int | None, timezone: str
) -> list[Budget]:
    if own == RunLimits() and concurrency is None:
        return []
    budget = Budget(
        id=budget_id,
        name=name,
        scope=scope,
        amount_nanos=None,
        token_limit=None,
        period="total",
        timezone=timezone,
        max_tokens_per_run=own.max_tokens_per_run,
        max_cost_per_run_nanos=own.max_cost_per_run_nanos,
        max_concurrent_runs=concurrency,
    )
    return [budget]


def _run_budgets(
    limits: Limits, platform: Scope, concurrency: int | None, timezone: str
) -> list[Budget]:
    runs = _run_budget(
        "limits:platform:run",
        "Per-run limits",
        platform,
        limits.agent_default,
        concurrency,
        timezone,
    )
    for aid, _ in limits.agents:
        runs += _run_budget(
            f"limits:agent:{aid}:run",
            f"Agent {aid} per-run limits",
            Scope("agent", aid),
            limits.for_agent(aid),
            None,
            timezone,
        )
    return runs


def run_action(budgets: Iterable[Budget], run_cost_nanos: int, run_tokens: int) -> str | None:
    """TERMINATE_RUN once a run has passed any budget's per-run limit, else None."""
    for budget in budgets:
        cap_cost, cap_tokens = budget.max_cost_per_run_nanos, budget.max_tokens_per_run
        if (cap_cost is not None and run_cost_nanos > cap_cost) or (
            cap_tokens is not None and run_tokens > cap_tokens
        ):
            return TERMINATE_RUN
    return None


def has_run_slot(budget: Budget, active_runs: int) -> bool:
    """Whether one more run may start under the budget's concurrency limit (else queue it)."""
    return budget.max_concurrent_runs is None or active_runs < budget.max_concurrent_runs
