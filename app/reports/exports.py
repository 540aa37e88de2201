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
from html import escape

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
from app.reports.schemas import Invoice

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


INVOICE_COLUMNS = (
    "description", "provider", "model_id", "price_version", "events", "input_tokens",
    "output_tokens", "cache_read_tokens", "cache_write_tokens", "list_usd", "discount_usd",
    "amount_usd",
)  # fmt: skip


def invoice_csv(invoice: Invoice) -> str:
    """The invoice's lines, then a total line, as CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(INVOICE_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for line in invoice.lines:
        writer.writerow({k: "" if v is None else v for k, v in line.model_dump().items()})
    writer.writerow({"description": "total", "amount_usd": invoice.total_usd})
    return buffer.getvalue()


def invoice_html(invoice: Invoice) -> str:
    """A printable page: the project, the period, a table of lines and the total."""
    cells = (
        "description",
        "events",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "discount_usd",
        "amount_usd",
    )
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in cells)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(getattr(line, c)))}</td>" for c in cells) + "</tr>"
        for line in invoice.lines
    )
    period = (
        f"{invoice.start.date().isoformat()} to {invoice.end.date().isoformat()} (end exclusive)"
    )
    team = f" &middot; team {escape(invoice.team_id)}" if invoice.team_id else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>Invoice {escape(invoice.project_id)}</title>"
        "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}@media print{body{margin:0}}</style>"
        f"</head><body><h1>Invoice: project {escape(invoice.project_id)}</h1>"
        f"<p>{escape(period)}{team} &middot; amounts in USD</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        f'<tfoot><tr><th colspan="{len(cells) - 1}">total</th>'
        f"<th>{escape(invoice.total_usd)}</th></tr></tfoot></table></body></html>"
    )
