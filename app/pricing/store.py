"""The price catalog in the graph, and a per-process cache of it checked by revision."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import neo4j

from app.errors import Conflict
from app.graph.driver import write_tx
from app.graph.queries import cypher
from app.pricing.model import (
    Catalog,
    PricingError,
    RateCard,
    card_from_dict,
    card_to_dict,
    load_default_catalog,
)

logger = logging.getLogger(__name__)
_RATES = (
    "input_per_mtok",
    "output_per_mtok",
    "cache_read_per_mtok",
    "cache_write_5m_per_mtok",
    "cache_write_1h_per_mtok",
)


def _rate_properties(card: RateCard) -> dict[str, int]:
    """Rates as integer nano-USD per million tokens, for analysts' Cypher (exact when whole)."""
    out: dict[str, int] = {}
    for name in _RATES:
        nanos = getattr(card, name) * Decimal(1_000_000_000)
        if nanos == nanos.to_integral_value():
            out[name.replace("_per_mtok", "_nanos_per_mtok")] = int(nanos)
    return out


def _row(card: RateCard) -> dict[str, Any]:
    return {
        "version": card.version,
        "model_id": card.model_id,
        "provider": card.provider,
        "aliases": list(card.aliases),
        "mode": card.mode,
        "effective_from": card.effective_from,
        "card": json.dumps(card_to_dict(card), sort_keys=True),
        "rates": _rate_properties(card),
    }


def add_prices(
    tx: neo4j.ManagedTransaction, cards: Iterable[RateCard], *, strict: bool = True
) -> list[str]:
    """Add price versions; returns the versions created. A version that exists with
    other rates is a Conflict when ``strict`` (prices are never edited), else skipped."""
    rows = [_row(card) for card in cards]
    if not rows:
        return []
    records = list(tx.run(cypher("pricing/add_prices"), cards=rows))
    clashes = [r["version"] for r in records if not r["created"] and not r["same"]]
    if clashes and strict:
        raise Conflict(
            f"price version {clashes[0]} exists with other rates; a new price needs a new "
            "effective_from",
            versions=clashes,
        )
    created = [r["version"] for r in records if r["created"]]
    if created:
        tx.run(cypher("pricing/bump_revision")).consume()
    return created


def seed_default_catalog(driver: neo4j.Driver, database: str | None = None) -> int:
    """Make sure the bundled catalog's versions exist; idempotent."""
    with driver.session(database=database) as session:
        created = write_tx(session, add_prices, load_default_catalog(), strict=False)
    if created:
        logger.info("added %d price versions from the bundled catalog", len(created))
    return len(created)


class CatalogCache:
    """The catalog read from the graph, reloaded only when its revision moves.

    Read-mostly data may live in process memory (DESIGN.md "Scaling out"): the
    revision check keeps every replica on the prices in the graph."""

    def __init__(self, check_interval_s: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._revision = -1
        self._catalog = Catalog([])
        self._checked_at = -float("inf")
        self.check_interval_s = check_interval_s

    def invalidate(self) -> None:
        """Check the revision on the next read (this process just changed the catalog)."""
        self._checked_at = -float("inf")

    def get(self, driver: neo4j.Driver, database: str | None = None) -> Catalog:
        """The catalog; the revision is checked at most once per `check_interval_s`, so a
        price added on another replica is used within that interval."""
        if time.monotonic() - self._checked_at < self.check_interval_s:
            return self._catalog
        records, _, _ = driver.execute_query(
            cypher("pricing/revision"), database_=database, routing_=neo4j.RoutingControl.READ
        )
        revision = int(records[0]["revision"])
        with self._lock:
            if revision != self._revision:
                rows, _, _ = driver.execute_query(
                    cypher("pricing/all_prices"),
                    database_=database,
                    routing_=neo4j.RoutingControl.READ,
                )
                self._catalog = Catalog(card_from_dict(json.loads(r["card"])) for r in rows)
                self._revision = revision
            # Only a loaded catalog counts as checked, so no thread sees a stale one.
            self._checked_at = time.monotonic()
            return self._catalog


def mergeable(current: Catalog, cards: list[RateCard]) -> tuple[list[RateCard], list[str]]:
    """The cards that can join the catalog, and a reason for each that cannot
    (a name another model already claims, a provider change, a clashing version)."""
    try:
        current.extend(cards)
        return cards, []
    except PricingError:
        pass
    accepted: list[RateCard] = []
    refused: list[str] = []
    catalog = current
    for card in cards:
        try:
            catalog = catalog.extend([card])
        except PricingError as exc:
            refused.append(f"{card.model_id}: {exc}")
            continue
        accepted.append(card)
    return accepted, refused
