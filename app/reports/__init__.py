"""Attribution for analysts: roll-ups, reports and exports over the usage graph.

The DataFrame functions are importable from here for notebooks, e.g.
``from app.reports import cost_by; cost_by("project", driver, start="2026-11-01")``.
"""

from app.reports.frames import (
    agent_type_share,
    budget_vs_actual,
    cache_savings,
    cost_by,
    cost_per_period,
    cost_per_successful_task,
    daily,
    provider_comparison,
    query,
    top_operations,
    usage,
)

__all__ = [
    "agent_type_share",
    "budget_vs_actual",
    "cache_savings",
    "cost_by",
    "cost_per_period",
    "cost_per_successful_task",
    "daily",
    "provider_comparison",
    "query",
    "top_operations",
    "usage",
]
