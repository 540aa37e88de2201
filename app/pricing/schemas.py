"""Wire shapes of the price catalog."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelVersions(BaseModel):
    id: str
    provider: str
    versions: list[dict[str, Any]]


class Catalog(BaseModel):
    models: list[dict[str, Any]] = Field(description="the rate card in force now, per model")


class ImportResult(BaseModel):
    created: int
    versions: list[str]
    skipped: list[str]
