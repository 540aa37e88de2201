"""Wire shapes of usage events and their answers (DESIGN.md "Wire shapes")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

TokenCount = Annotated[int, Field(ge=0, le=10**12, strict=True)]
Name = Annotated[str, Field(min_length=1, max_length=256)]
MAX_TAGS = 32


class UsageEvent(BaseModel):
    """One LLM call's token usage. `input_tokens` counts only uncached input."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: Name
    timestamp: AwareDatetime | None = None
    provider: Name | None = None
    model: Name
    input_tokens: TokenCount = 0
    output_tokens: TokenCount = 0
    cache_read_tokens: TokenCount = 0
    cache_write_tokens: TokenCount = 0
    cache_ttl: Literal["5m", "1h"] = "5m"
    batch: bool = False
    status: Literal["success", "error"] = "success"
    agent_id: Name | None = None
    agent_type: Name | None = None
    run_id: Name | None = None
    task_id: Name | None = None
    project_id: Name | None = None
    team_id: Name | None = None
    tags: dict[
        Annotated[str, Field(min_length=1, max_length=64)], Annotated[str, Field(max_length=256)]
    ] = Field(default_factory=dict)

    @field_validator("tags")
    @classmethod
    def _few_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tags")
        return tags


class UsageBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[UsageEvent] = Field(min_length=1)


class CostOut(BaseModel):
    input_usd: str
    output_usd: str
    cache_read_usd: str
    cache_write_usd: str
    discount_usd: str
    total_usd: str


class BudgetTouch(BaseModel):
    budget_id: str
    kind: str
    window_start: datetime
    window_end: datetime
    spent_usd: str | None = None
    remaining_usd: str | None = None
    percent_used: str | None = None
    thresholds_crossed: list[int] = Field(default_factory=list)
    exceeded: bool = False


class EventResult(BaseModel):
    event_id: str
    duplicate: bool
    price_version: str
    cost: CostOut
    action: Literal["continue", "terminate_run"] = "continue"


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    results: list[EventResult]
    budgets: list[BudgetTouch] = Field(default_factory=list)


class Summary(BaseModel):
    period: str
    start: datetime | None
    end: datetime | None
    total_cost_usd: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    events: int
    runs: int


class UsageRow(BaseModel):
    event_id: str
    timestamp: datetime
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    status: str
    agent_id: str | None
    run_id: str | None
    task_id: str | None
    project_id: str | None
    team_id: str | None
    price_version: str
    total_usd: str
    tags: dict[str, str]


class UsagePage(BaseModel):
    items: list[UsageRow]
    next_cursor: str | None


def request_body_schema() -> dict[str, Any]:
    """OpenAPI for POST /v1/usage: one event, or a batch of them."""
    return {
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/UsageEvent"},
                        {"$ref": "#/components/schemas/UsageBatch"},
                    ]
                }
            }
        },
        "required": True,
    }
