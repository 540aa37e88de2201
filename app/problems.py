"""Turns every error into an RFC 9457 `application/problem+json` response."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import PROBLEM_BASE, DomainError, InvalidInput, Unavailable

logger = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem_response(error: DomainError, request: Request) -> JSONResponse:
    headers = None
    if "retry_after" in error.extra:
        headers = {"Retry-After": str(error.extra["retry_after"])}
    return JSONResponse(
        error.problem(instance=request.url.path),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


# Tags of discriminated unions in request bodies: not fields, so not named to clients.
UNION_TAGS = frozenset({"UsageBatch", "UsageEvent"})


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p != "body" and p not in UNION_TAGS]
    return ".".join(parts) or "body"


def _index(loc: tuple[Any, ...] | list[Any]) -> int | None:
    """The event index of a batch error (`events.3.field`), for clients that fix and resend."""
    parts = [p for p in loc if p != "body" and p not in UNION_TAGS]
    if len(parts) > 1 and parts[0] == "events" and isinstance(parts[1], int):
        return parts[1]
    return None


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    found = []
    for err in errors:
        loc = err.get("loc", ())
        entry = {
            "field": _location(loc),
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        if (index := _index(loc)) is not None:
            entry["index"] = index
        found.append(entry)
    return found


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        error = InvalidInput(f"{first['field']}: {first['message']}", errors=errors)
        return problem_response(error, request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = {
            "type": PROBLEM_BASE + ("not-found" if exc.status_code == 404 else "http-error"),
            "title": str(exc.detail) if exc.status_code != 404 else "Not found",
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": request.url.path,
        }
        return JSONResponse(
            body,
            status_code=exc.status_code,
            media_type=PROBLEM_JSON,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    async def database_down(request: Request, exc: Exception) -> JSONResponse:
        logger.error("Neo4j unavailable: %s", exc)
        return problem_response(Unavailable("the graph database is unreachable"), request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {
            "type": PROBLEM_BASE + "internal",
            "title": "Internal error",
            "status": 500,
            "detail": "an unexpected error occurred; it has been logged",
            "instance": request.url.path,
        }
        return JSONResponse(body, status_code=500, media_type=PROBLEM_JSON)
