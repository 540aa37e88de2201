"""Money helpers: exact rounding and the wire form of amounts."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.money import divide_half_even, format_usd, nanos_to_usd, usd_to_nanos


@given(st.integers(-(10**30), 10**30), st.integers(1, 10**20))
def test_divide_half_even_agrees_with_python_round_of_the_exact_fraction(n: int, d: int) -> None:
    assert divide_half_even(n, d) == round(Fraction(n, d))


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 2), (7, 2, 4), (-5, 2, -2), (-7, 2, -4), (1, 3, 0), (2, 3, 1), (0, 7, 0)],
)
def test_divide_half_even_ties_go_to_the_even_neighbour(
    numerator: int, denominator: int, expected: int
) -> None:
    assert divide_half_even(numerator, denominator) == expected


def test_divide_half_even_refuses_a_denominator_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        divide_half_even(1, 0)


@given(st.integers(-(10**24), 10**24))
def test_format_usd_is_the_nine_place_decimal_and_reads_back(nanos: int) -> None:
    text = format_usd(nanos)
    assert text == format(nanos_to_usd(nanos), "f")
    assert usd_to_nanos(text) == nanos
    assert Decimal(text).as_tuple().exponent == -9


def test_format_usd_of_small_and_zero_amounts() -> None:
    assert format_usd(0) == "0.000000000"
    assert format_usd(12_345) == "0.000012345"
    assert format_usd(-1) == "-0.000000001"
    assert format_usd(3_000_000_000) == "3.000000000"
