"""PostgreSQL ``numeric`` division, reproduced digit for digit.

Lago's weighted_sum runs in SQL (``Events::Stores::Postgres::WeightedSumQuery``)
and divides ``cumulative value x seconds`` by the period's seconds with
``numeric / integer``. PostgreSQL picks the result scale in
``select_div_scale`` (src/backend/utils/adt/numeric.c): at least 16
significant digits, never fewer decimals than either operand, computed on its
base-10000 representation, then rounds half away from zero. Mirroring that
makes our weighted sums equal Lago's to the last digit instead of drifting in
the 17th decimal.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

NUMERIC_MIN_SIG_DIGITS = 16
NUMERIC_MIN_DISPLAY_SCALE = 0
NUMERIC_MAX_DISPLAY_SCALE = 1000
DEC_DIGITS = 4  # decimal digits per base-10000 "NBASE" digit

__all__ = ["display_scale", "pg_divide", "select_div_scale"]


def display_scale(value: Decimal) -> int:
    """Number of decimals PostgreSQL would keep for this value (its dscale)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _weight_and_first_digit(value: Decimal) -> tuple[int, int]:
    """Base-10000 weight and leading base-10000 digit of |value| (0, 0 for zero)."""
    if value.is_zero():
        return 0, 0
    magnitude = value.copy_abs()
    weight = magnitude.adjusted() // DEC_DIGITS  # floor: NBASE digits align on the decimal point
    first_digit = int(magnitude.scaleb(-weight * DEC_DIGITS).to_integral_value(rounding=ROUND_FLOOR))
    return weight, first_digit


def select_div_scale(dividend: Decimal, divisor: Decimal) -> int:
    weight1, first1 = _weight_and_first_digit(dividend)
    weight2, first2 = _weight_and_first_digit(divisor)
    quotient_weight = weight1 - weight2
    if first1 <= first2:
        quotient_weight -= 1
    scale = NUMERIC_MIN_SIG_DIGITS - quotient_weight * DEC_DIGITS
    scale = max(scale, display_scale(dividend), display_scale(divisor), NUMERIC_MIN_DISPLAY_SCALE)
    return min(scale, NUMERIC_MAX_DISPLAY_SCALE)


def pg_divide(dividend: Decimal, divisor: Decimal) -> Decimal:
    """``dividend / divisor`` as PostgreSQL numeric computes it (exact, then one rounding)."""
    if divisor.is_zero():
        raise ZeroDivisionError("numeric division by zero")
    scale = select_div_scale(dividend, divisor)
    sign1, digits1, exponent1 = dividend.as_tuple()
    sign2, digits2, exponent2 = divisor.as_tuple()
    assert isinstance(exponent1, int) and isinstance(exponent2, int)
    coefficient1 = int("".join(map(str, digits1)) or "0")
    coefficient2 = int("".join(map(str, digits2)) or "0")
    # quotient x 10^scale = c1 x 10^(e1 + scale) / (c2 x 10^e2)
    shift = exponent1 + scale - exponent2
    numerator = coefficient1 * 10**shift if shift >= 0 else coefficient1
    denominator = coefficient2 if shift >= 0 else coefficient2 * 10 ** (-shift)
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder >= denominator:  # half away from zero (on magnitudes)
        quotient += 1
    negative = (sign1 != sign2) and quotient != 0
    return Decimal((1 if negative else 0, tuple(int(digit) for digit in str(quotient)), -scale))
