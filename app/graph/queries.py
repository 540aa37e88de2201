"""Every Cypher statement the app runs lives in a file under cypher/; this loads them once.

A file `cypher/usage/ingest.cypher` starts with a header of `//` lines:

    // name: ingest
    // purpose: one line on what it answers or changes
    // params: $rows (list of maps), ...
    // example: :param rows => [...]; then paste the body into cypher-shell

and is known to the app as ``"usage/ingest"``. ``cypher/schema.cypher`` is read
separately (it holds several statements separated by semicolons).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

CYPHER_DIR = Path(__file__).resolve().parents[2] / "cypher"
_HEADER = re.compile(r"^//\s*(\w+)\s*:\s*(.*)$")


class QueryFileError(RuntimeError):
    """A file under cypher/ is malformed (missing or wrong `name:` header, empty body)."""


@dataclass(frozen=True)
class Query:
    key: str
    name: str
    purpose: str
    params: str
    text: str
    path: Path


def _parse(path: Path, root: Path) -> Query:
    header: dict[str, str] = {}
    body: list[str] = []
    in_header = True
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line.strip()) if in_header else None
        if match:
            header.setdefault(match.group(1).lower(), match.group(2).strip())
            continue
        if in_header and (not line.strip() or line.strip().startswith("//")):
            continue
        in_header = False
        body.append(line)
    key = path.relative_to(root).with_suffix("").as_posix()
    name = header.get("name", "")
    if name != path.stem:
        raise QueryFileError(f"{path}: header 'name: {name}' must equal {path.stem!r}")
    text = "\n".join(body).strip().rstrip(";").strip()
    if not text:
        raise QueryFileError(f"{path}: no statement after the header")
    return Query(key, name, header.get("purpose", ""), header.get("params", ""), text, path)


def _query_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.cypher")):
        if path.relative_to(root).as_posix() != "schema.cypher":
            yield path


@cache
def load_queries(root: Path = CYPHER_DIR) -> Mapping[str, Query]:
    """All named queries under ``root``, read once, as a read-only mapping."""
    queries = {q.key: q for q in (_parse(p, root) for p in _query_files(root))}
    return MappingProxyType(queries)


def cypher(key: str) -> str:
    """The text of the named query, e.g. ``cypher("usage/ingest")``."""
    try:
        return load_queries()[key].text
    except KeyError:
        raise QueryFileError(f"no query named {key!r} under {CYPHER_DIR}") from None


def schema_statements(root: Path = CYPHER_DIR) -> list[str]:
    """The statements of cypher/schema.cypher, in order, comments removed."""
    lines = [
        line
        for line in (root / "schema.cypher").read_text(encoding="utf-8").splitlines()
        if not line.strip().startswith("//")
    ]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
