"""Values read from Neo4j, made plain for JSON, and rows sent to it in bulk."""

from __future__ import annotations

from typing import Any


def native(value: Any) -> Any:
    """Neo4j temporal values become Python ones, in maps and lists too."""
    if hasattr(value, "to_native"):
        return value.to_native()
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [native(v) for v in value]
    return value


class Rows(list[Any]):
    """A statement parameter of many rows (a batch for UNWIND) whose repr is a count.

    The driver formats every statement's parameters for its debug log before it asks
    whether debug logging is on; for a batch of a thousand events that costs about as
    much as packing it, inside the write transaction. A log line should not hold a
    batch's data either."""

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"
