"""CSV exports of priced usage (plain and FinOps FOCUS), streamed page by page.

Rows come from ``store.priced_usage``, which reads the graph one short keyset
page at a time, and leave as CSV chunks of about ``CHUNK_CHARS`` characters:
a month of millions of rows never sits in memory, on either side.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

import neo4j
from fastapi.responses import StreamingResponse

from app.reports import store
from app.reports.model import (
    FOCUS_COLUMNS,
    USAGE_COLUMNS,
    PricedUsage,
    focus_row,
    usage_csv_row,
)

CHUNK_CHARS = 64 * 1024


def csv_chunks(columns: Sequence[str], rows: Iterable[dict[str, str]]) -> Iterator[str]:
    """The header, then the rows, as CSV text in chunks of about CHUNK_CHARS."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


EXPORTS: dict[str, tuple[Sequence[str], Callable[[PricedUsage], dict[str, str]]]] = {
    "usage": (USAGE_COLUMNS, usage_csv_row),
    "focus": (FOCUS_COLUMNS, focus_row),
}


def export_chunks(
    kind: str,
    driver: neo4j.Driver,
    *,
    start: datetime,
    end: datetime,
    database: str | None = None,
    page_size: int = store.EXPORT_PAGE,
) -> Iterator[str]:
    """CSV text of every usage in [start, end) in the ``usage`` or ``focus`` layout."""
    columns, to_row = EXPORTS[kind]
    usages = store.priced_usage(
        driver, start=start, end=end, database=database, page_size=page_size
    )
    return csv_chunks(columns, (to_row(u) for u in usages))


def csv_response(chunks: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
