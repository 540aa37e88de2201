"""Budgets, spend windows and reservations in the graph."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import neo4j

from app.usage.model import PricedEvent


def apply_usage(tx: neo4j.ManagedTransaction, events: Sequence[PricedEvent]) -> list[Any]:
    """Add new events to the spend windows of every budget whose scope holds them."""
    return []
