"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import DriverDep, SettingsDep
from app.errors import Unavailable
from app.graph.driver import schema_ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (says nothing about Neo4j)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(driver: DriverDep, settings: SettingsDep) -> dict[str, str]:
    """Neo4j answers and the schema is applied; otherwise 503 problem."""
    if not schema_ready(driver, settings.neo4j_database):
        raise Unavailable("Neo4j is unreachable or the schema is not applied")
    return {"status": "ready"}
