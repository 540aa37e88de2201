"""Wire shapes of budgets, checks, reservations and limits (DESIGN.md "Wire shapes")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=256)]
Usd = Annotated[str, Field(pattern=r"^\d{1,12}(\.\d{1,9})?$", examples=["300.00"])]
Count = Annotated[int, Field(gt=0, strict=True)]


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["platform", "team", "project", "task", "agent"]
    id: Name


class BudgetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Name
    name: Name | None = None
    allocated_to: ScopeIn
    parent_id: Name | None = None
    amount_usd: Usd | None = None
    token_limit: Count | None = None
    period: Literal["day", "week", "month", "total"] = "month"
    timezone: str = "UTC"
    kind: Literal["hard", "soft"] = "hard"
    thresholds: list[int] = Field(default_factory=lambda: [50, 80, 95])
    max_tokens_per_run: Count | None = None
    max_cost_per_run_usd: Usd | None = None
    max_concurrent_runs: Count | None = None


class BudgetUpdate(BaseModel):
    """Fields to change; scope, period and parent stay as created."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    amount_usd: Usd | None = None
    token_limit: Count | None = None
    timezone: str | None = None
    kind: Literal["hard", "soft"] | None = None
    thresholds: list[int] | None = None
    max_tokens_per_run: Count | None = None
    max_cost_per_run_usd: Usd | None = None
    max_concurrent_runs: Count | None = None


class BudgetPublic(BaseModel):
    id: str
    name: str
    allocated_to: ScopeIn
    parent_id: str | None
    children: list[str]
    amount_usd: str | None
    token_limit: int | None
    period: str
    timezone: str
    kind: str
    thresholds: list[int]
    max_tokens_per_run: int | None
    max_cost_per_run_usd: str | None
    max_concurrent_runs: int | None


class BudgetStatus(BaseModel):
    budget_id: str
    kind: str
    window_start: datetime
    window_end: datetime
    spent_usd: str
    reserved_usd: str
    remaining_usd: str | None
    percent_used: str | None
    tokens: int
    reserved_tokens: int
    remaining_tokens: int | None
    children: list[BudgetStatus] = Field(default_factory=list)


class SpendIn(BaseModel):
    """An amount, or a model with estimated tokens, and where it would be spent."""

    model_config = ConfigDict(extra="forbid")

    amount_usd: Usd | None = None
    model: Name | None = None
    provider: Name | None = None
    estimated_input_tokens: Annotated[int, Field(ge=0, strict=True)] = 0
    estimated_output_tokens: Annotated[int, Field(ge=0, strict=True)] = 0
    agent_id: Name | None = None
    run_id: Name | None = None
    task_id: Name | None = None
    project_id: Name | None = None
    team_id: Name | None = None
    priority: Literal["low", "normal", "high", "critical"] = "normal"


class Remaining(BaseModel):
    budget_id: str
    kind: str
    remaining_usd: str | None
    remaining_tokens: int | None
    percent_used: str | None


class Reason(BaseModel):
    budget_id: str
    dimension: str
    reason: str


class CheckResult(BaseModel):
    allowed: bool
    amount_usd: str
    reasons: list[Reason]
    warnings: list[Reason]
    budgets: list[Remaining]
    action: Literal["continue", "stop", "terminate_run"]
    emergency: bool
    suggestion: dict[str, Any] | None = None


class ReservationOut(BaseModel):
    id: str
    amount_usd: str
    expires_at: datetime
    budgets: list[Remaining]
    warnings: list[Reason] = Field(default_factory=list)


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_usd: Usd
    expires_at: AwareDatetime
    reason: Annotated[str, Field(min_length=3, max_length=1000)]
