"""`costgraph query --param k=v`: values typed the way an analyst means them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.cli import parse_params


def test_values_read_as_json_times_or_text() -> None:
    params = parse_params(
        [
            "limit=10",
            'ids=["a","b"]',
            "bucket=null",
            "start=2026-11-01T00:00:00Z",
            "day=2026-11-01",
            "name=my-arpg",
        ]
    )
    assert params == {
        "limit": 10,
        "ids": ["a", "b"],
        "bucket": None,
        "start": datetime(2026, 11, 1, tzinfo=UTC),
        "day": "2026-11-01",
        "name": "my-arpg",
    }


def test_a_naive_time_stays_text() -> None:
    assert parse_params(["at=2026-11-01T00:00:00"]) == {"at": "2026-11-01T00:00:00"}


@pytest.mark.parametrize("pair", ["novalue", "=x", "bad key=1"])
def test_malformed_pairs_are_refused(pair: str) -> None:
    with pytest.raises(ValueError, match="key=value"):
        parse_params([pair])
