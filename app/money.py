"""Money is integer nano-USD in the graph and Decimal at the edges; never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

NANOS_PER_USD = 1_000_000_000
USD_PLACES = Decimal("0.000000001")


class MoneyError(ValueError):
    """A value that cannot be read as an amount of USD."""


def to_decimal(value: Decimal | str | int) -> Decimal:
    """Read an amount of USD given as a decimal string, Decimal or int (floats are refused)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError("money must be a decimal string, not a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return amount


def usd_to_nanos(value: Decimal | str | int) -> int:
    """USD to integer nano-USD; refuses amounts finer than one nano-dollar."""
    amount = to_decimal(value)
    nanos = amount * NANOS_PER_USD
    if nanos != nanos.to_integral_value():
        raise MoneyError(f"{value} has more than 9 decimal places")
    return int(nanos)


def nanos_to_usd(nanos: int) -> Decimal:
    """Integer nano-USD to a Decimal with exactly 9 places."""
    return (Decimal(nanos) / NANOS_PER_USD).quantize(USD_PLACES)


def format_usd(nanos: int) -> str:
    """The wire form of money: a decimal string with 9 places, e.g. "0.000123450"."""
    # The integer's digits, cut nine from the right: a batch answer formats tens of
    # thousands of amounts, and this is the quickest exact way.
    digits = str(abs(nanos)).zfill(10)
    return f"{'-' if nanos < 0 else ''}{digits[:-9]}.{digits[-9:]}"


def divide_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to a whole number, half to even, exactly."""
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    quotient, remainder = divmod(numerator, denominator)  # floor: 0 <= remainder < denominator
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


def round_nanos(exact: Decimal) -> int:
    """Round an exact nano-USD amount to a whole nano-dollar, half to even."""
    return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))
