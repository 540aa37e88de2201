"""Wire shapes of the analyst reports (DESIGN.md "Wire shapes": breakdowns)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class BreakdownRow(BaseModel):
    """One key of a breakdown; ``key`` is null for usage the dimension does not name."""

    key: str | None
    total_cost_usd: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    events: int
    period: str | None = None
    share_percent: str | None = None


class Breakdown(BaseModel):
    by: str
    start: datetime
    end: datetime
    period: str | None = None
    bucket: str | None = None
    total_cost_usd: str
    rows: list[BreakdownRow]


class Operation(BaseModel):
    event_id: str
    timestamp: datetime
    provider: str | None
    model_id: str | None
    agent_id: str | None
    agent_type: str | None
    run_id: str | None
    project_id: str | None
    team_id: str | None
    status: str | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    total_cost_usd: str


class TopOperations(BaseModel):
    start: datetime
    end: datetime
    operations: list[Operation]


class CacheSaving(BaseModel):
    model_id: str
    cache_read_tokens: int
    at_input_price_usd: str
    cache_read_cost_usd: str
    saved_usd: str


class CacheSavings(BaseModel):
    start: datetime
    end: datetime
    saved_usd: str
    models: list[CacheSaving]


class BudgetActual(BaseModel):
    budget_id: str
    parent_id: str | None
    depth: int
    period: str
    kind: str
    window_start: datetime | None
    window_end: datetime | None
    amount_usd: str | None
    spent_usd: str
    reserved_usd: str
    remaining_usd: str | None
    percent_used: str | None
    children: int
    children_spent_usd: str


class BudgetVsActual(BaseModel):
    at: datetime
    budgets: list[BudgetActual]


class ProviderRow(BaseModel):
    provider: str | None
    events: int
    errors: int
    error_rate_percent: str | None
    total_cost_usd: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    tokens: int
    usd_per_mtok: str | None
    models: list[str]


class ProviderComparison(BaseModel):
    start: datetime
    end: datetime
    providers: list[ProviderRow]


class TaskCostRow(BaseModel):
    project_id: str | None
    tasks: int
    successful_tasks: int
    total_cost_usd: str
    cost_per_successful_task_usd: str | None


class TaskCosts(BaseModel):
    start: datetime
    end: datetime
    projects: list[TaskCostRow]


class ProjectForecast(BaseModel):
    project_id: str | None
    spent_usd: str
    trailing_7d_usd: str
    projected_linear_usd: str
    projected_trailing_usd: str


class BudgetForecast(BaseModel):
    budget_id: str
    scope_kind: str
    scope_id: str
    window_start: datetime
    window_end: datetime
    amount_usd: str
    spent_usd: str
    percent_used: str
    percent_elapsed: str
    projected_linear_usd: str
    projected_trailing_usd: str
    projected_percent: str
    burning_too_fast: bool


class Forecast(BaseModel):
    as_of: datetime
    month_start: datetime
    month_end: datetime
    projects: list[ProjectForecast]
    budgets: list[BudgetForecast] = Field(default_factory=list)


class AnomalyOut(BaseModel):
    kind: str
    key: str | None
    day: str
    cost_usd: str
    trailing_average_usd: str
    ratio_percent: str


class Anomalies(BaseModel):
    start: datetime
    end: datetime
    threshold_percent: int
    trailing_days: int
    anomalies: list[AnomalyOut]


class RecommendationOut(BaseModel):
    kind: str
    agent_id: str | None
    model_id: str | None
    suggestion: str
    detail: str
    current_cost_usd: str
    saved_usd: str
    alternative_model_id: str | None = None


class Recommendations(BaseModel):
    start: datetime
    end: datetime
    saved_usd: str
    recommendations: list[RecommendationOut]


class WhatIf(BaseModel):
    start: datetime
    end: datetime
    agent_id: str | None
    project_id: str | None
    model: str
    price_version: str | None
    events: int
    repriced_events: int
    actual_usd: str
    what_if_usd: str
    difference_usd: str
    change_percent: str | None


class ProjectCharge(BaseModel):
    project_id: str
    team_id: str | None
    direct_usd: str
    allocated_usd: str
    total_usd: str


class AgentAllocation(BaseModel):
    agent_id: str
    shared_usd: str
    allocated: dict[str, str]
    unallocated_usd: str


class AllocationReport(BaseModel):
    method: str
    start: datetime
    end: datetime
    projects: list[ProjectCharge]
    agents: list[AgentAllocation]
    unallocated_usd: str


class TeamCharge(BaseModel):
    team_id: str | None
    direct_usd: str
    allocated_usd: str
    total_usd: str
    projects: list[ProjectCharge]


class Chargeback(BaseModel):
    method: str
    start: datetime
    end: datetime
    teams: list[TeamCharge]
    unallocated_usd: str


class RollupRefresh(BaseModel):
    rolled: int
    through: datetime


class InvoiceLine(BaseModel):
    description: str
    provider: str | None = None
    model_id: str | None = None
    price_version: str | None = None
    events: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    list_usd: str
    discount_usd: str
    amount_usd: str


class Invoice(BaseModel):
    project_id: str
    team_id: str | None
    start: datetime
    end: datetime
    allocation_method: str
    lines: list[InvoiceLine]
    usage_usd: str
    shared_usd: str
    total_usd: str
