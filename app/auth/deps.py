"""`Depends(require("ingest"))`: the caller's key must carry the scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.auth.model import Principal, same_key
from app.auth.store import find_principal
from app.deps import DriverDep, SettingsDep
from app.errors import Forbidden, Unauthorized

BOOTSTRAP = Principal("bootstrap-admin", frozenset({"admin"}))


def current_principal(request: Request, driver: DriverDep, settings: SettingsDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("send `Authorization: Bearer <api key>`")
    key = key.strip()
    bootstrap = settings.bootstrap_admin_key
    if bootstrap is not None and same_key(key, bootstrap.get_secret_value()):
        return BOOTSTRAP
    principal = find_principal(driver, key, settings.neo4j_database)
    if principal is None:
        raise Unauthorized("unknown or revoked API key")
    return principal


def require(scope: str) -> Callable[..., Principal]:
    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.allows(scope):
            raise Forbidden(f"this key lacks the {scope!r} scope")
        return principal

    return check


Ingest = Annotated[Principal, Depends(require("ingest"))]
Read = Annotated[Principal, Depends(require("read"))]
Admin = Annotated[Principal, Depends(require("admin"))]

# For `dependencies=[...]` on a route that does not need the principal itself.
NeedsIngest = Depends(require("ingest"))
NeedsRead = Depends(require("read"))
NeedsAdmin = Depends(require("admin"))
