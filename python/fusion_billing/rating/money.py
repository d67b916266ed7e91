"""Decimal parsing, rounding and formatting shared by the rating core.

Money is never a binary float: inputs may be ``str``, ``int`` or ``Decimal``
and a ``float`` is refused with a ``TypeError``, because a float such as 0.1
has already lost the exact value the customer was quoted.
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any

# Ruby's BigDecimal (what Lago computes with) is exact for + - *; a
# 1000-digit context makes Python's Decimal exact for every realistic input.
EXACT = Context(
    prec=1000,
    Emin=-999_999,
    Emax=999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# Quotients such as unit_amount are informative only; 28 digits is plenty.
QUOTIENT = Context(prec=28, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])

MAX_CURRENCY_EXPONENT = 18

__all__ = [
    "EXACT",
    "QUOTIENT",
    "decimal_str",
    "divide",
    "exact",
    "money_str",
    "round_amount",
    "to_decimal",
    "to_int",
    "to_subunits",
    "validate_currency_exponent",
]


def exact() -> Any:
    """Context manager running Decimal arithmetic without rounding."""
    return localcontext(EXACT)


def to_decimal(value: Any, what: str) -> Decimal:
    """Parse a str/int/Decimal into a finite Decimal; refuse floats and bools."""
    if isinstance(value, bool):
        raise TypeError(f"{what}: expected a decimal (str, int or Decimal), got bool {value!r}")
    if isinstance(value, float):
        raise TypeError(
            f"{what}: float {value!r} is not accepted; pass a decimal string, int or Decimal "
            "(money is never a binary float)"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{what}: not a decimal number: {value!r}") from None
    else:
        raise TypeError(
            f"{what}: expected a decimal (str, int or Decimal), got {type(value).__name__} {value!r}"
        )
    if not result.is_finite():
        raise ValueError(f"{what}: must be a finite number, got {value!r}")
    return result


_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")


def to_int(value: Any, what: str) -> int:
    """Parse an integer count (package_size, free_units, ...); refuse floats and fractions."""
    if isinstance(value, bool):
        raise TypeError(f"{what}: expected an integer, got bool {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError(f"{what}: float {value!r} is not accepted; pass an int")
    if isinstance(value, str) and _INTEGER_TEXT.match(value):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise ValueError(f"{what}: expected an integer, got {value!r}")


def validate_currency_exponent(exponent: Any) -> int:
    if isinstance(exponent, bool) or not isinstance(exponent, int):
        raise TypeError(f"currency_exponent: expected an int, got {exponent!r}")
    if not 0 <= exponent <= MAX_CURRENCY_EXPONENT:
        raise ValueError(f"currency_exponent: expected 0..{MAX_CURRENCY_EXPONENT}, got {exponent}")
    return exponent


def _positive_zero(value: Decimal) -> Decimal:
    # Decimal keeps the sign of zero (0 * -5 == Decimal('-0')); never show "-0".
    return value.copy_abs() if value.is_zero() else value


def round_amount(amount: Decimal, exponent: int) -> Decimal:
    """Round like Lago's ``amount.round(currency.exponent)``.

    Ruby's BigDecimal#round defaults to ROUND_HALF_UP (half away from zero),
    and lago-api also sets Money.rounding_mode = ROUND_HALF_UP
    (config/initializers/money.rb), so 0.005 -> 0.01 and -0.005 -> -0.01.
    """
    quantum = Decimal(1).scaleb(-exponent)
    with exact():
        return _positive_zero(amount.quantize(quantum, rounding=ROUND_HALF_UP))


def to_subunits(rounded_amount: Decimal, exponent: int) -> int:
    """amount_cents = rounded amount x 10^exponent (exact once rounded)."""
    with exact():
        return int(rounded_amount.scaleb(exponent))


def divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Informative quotient (unit amounts): 28 significant digits, 0 when dividing by 0."""
    if denominator.is_zero():
        return Decimal(0)
    with localcontext(QUOTIENT):
        return _positive_zero(numerator / denominator)


def decimal_str(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros: 100, 0.5, -1.25."""
    if value.is_zero():
        return "0"
    with exact():
        text = format(value.normalize(), "f")
    return text


def money_str(value: Decimal, exponent: int) -> str:
    """Amount text with exactly ``exponent`` decimals (12.00, 1200 for JPY)."""
    return format(round_amount(value, exponent), "f")
