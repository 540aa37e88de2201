"""Wire shapes of alerts and their configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class AlertOut(BaseModel):
    id: str
    kind: str
    level: str
    budget_id: str | None = None
    threshold: int | None = None
    window_start: datetime | None = None
    observed: str | int | None = None
    limit: str | int | None = None
    unit: str = "usd"
    message: str = ""
    created_at: datetime | None = None
    acknowledged: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


class AlertList(BaseModel):
    alerts: list[AlertOut]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(pattern=r"^https?://", max_length=2000)]
    secret: Annotated[str, Field(min_length=16, max_length=256)]
    topics: list[str] = Field(default_factory=lambda: ["budget.warning", "budget.exceeded"])


class AlertConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thresholds: list[int] = Field(default_factory=lambda: [50, 80, 95])
    webhooks: list[WebhookIn] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_sender: str | None = None
