"""API keys: only a hash is stored; scopes say what a key may do."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCOPES = ("ingest", "read", "admin")
KEY_PREFIX = "cg_"


@dataclass(frozen=True)
class Principal:
    """Who is calling, and with which scopes."""

    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """An admin key may do everything; otherwise the scope must be granted."""
        return "admin" in self.scopes or scope in self.scopes


def new_key() -> str:
    """A fresh random API key (shown once, never stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """The stored form of a key: SHA-256 hex (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def same_key(given: str, expected: str) -> bool:
    """Compare two keys in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


def validate_scopes(scopes: list[str]) -> frozenset[str]:
    """The scopes as a set; raises ValueError naming an unknown one."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}")
    if not scopes:
        raise ValueError("a key needs at least one scope")
    return frozenset(scopes)
