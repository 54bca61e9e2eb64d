"""Resource quantities (refmodel/quantity.py) and int-or-percent values (refmodel/intstr.py).

Mirrors ``staging/src/k8s.io/apimachinery/pkg/api/resource/quantity_test.go`` (TestQuantityParse) and
``staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr_test.go`` (TestGetIntFromIntOrPercent, which
exercises GetScaledValueFromIntOrPercent, TestGetIntFromIntOrString, TestGetValueFromIntOrPercentNil).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from refmodel.intstr import IntOrStringError, get_scaled_value_from_int_or_percent, is_percent
from refmodel.quantity import QuantityError, milli_value, parse_quantity, value_ceil

KI, MI, GI, TI, PI, EI = (2**10, 2**20, 2**30, 2**40, 2**50, 2**60)


def dec(value: int | float, scale: int) -> Fraction:
    """upstream's decQuantity(value, scale, _): value * 10**scale."""
    return Fraction(value) * Fraction(10) ** scale


# TestQuantityParse: every row whose expected value is exact (no rounding to nano precision).
QUANTITY_PARSE = [
    ("0", dec(0, 0)), ("0n", dec(0, 0)), ("0u", dec(0, 0)), ("0m", dec(0, 0)), ("0Ki", dec(0, 0)),
    ("0k", dec(0, 0)), ("0Mi", dec(0, 0)), ("0M", dec(0, 0)), ("0Gi", dec(0, 0)), ("0G", dec(0, 0)),
    ("0Ti", dec(0, 0)), ("0T", dec(0, 0)),
    # Quantity less numbers are allowed
    ("1", dec(1, 0)),
    # Binary suffixes
    ("1Ki", dec(1024, 0)), ("8Ki", dec(8 * KI, 0)), ("7Mi", dec(7 * MI, 0)), ("6Gi", dec(6 * GI, 0)),
    ("5Ti", dec(5 * TI, 0)), ("4Pi", dec(4 * PI, 0)), ("3Ei", dec(3 * EI, 0)),
    ("10Ti", dec(10 * TI, 0)), ("100Ti", dec(100 * TI, 0)),
    # Decimal suffixes
    ("5n", dec(5, -9)), ("4u", dec(4, -6)), ("3m", dec(3, -3)), ("9", dec(9, 0)), ("8k", dec(8, 3)),
    ("50k", dec(5, 4)), ("7M", dec(7, 6)), ("6G", dec(6, 9)), ("5T", dec(5, 12)), ("40T", dec(4, 13)),
    ("300T", dec(3, 14)), ("2P", dec(2, 15)), ("1E", dec(1, 18)),
    # Decimal exponents
    ("1E-3", dec(1, -3)), ("1e3", dec(1, 3)), ("1E6", dec(1, 6)), ("1e9", dec(1, 9)), ("1E12", dec(1, 12)),
    ("1e15", dec(1, 15)), ("1E18", dec(1, 18)),
    # Nonstandard but still parsable
    ("1e14", dec(1, 14)), ("1e13", dec(1, 13)), ("100.035k", dec(100035, 0)),
    # Things that look like floating point
    ("0.001", dec(1, -3)), ("0.0005k", dec(5, -1)), ("0.005", dec(5, -3)), ("0.05", dec(5, -2)),
    ("0.5", dec(5, -1)), ("0.00050k", dec(5, -1)), ("0.00500", dec(5, -3)), ("0.05000", dec(5, -2)),
    ("0.50000", dec(5, -1)), ("0.5e0", dec(5, -1)), ("0.5e-1", dec(5, -2)), ("0.5e-2", dec(5, -3)),
    ("10.035M", dec(10035, 3)),
    ("1.2e3", dec(12, 2)), ("1.3E+6", dec(13, 5)), ("1.40e9", dec(14, 8)), ("1.53E12", dec(153, 10)),
    ("1.6e15", dec(16, 14)), ("1.7E18", dec(17, 17)),
    ("9.01", dec(901, -2)), ("8.1k", dec(81, 2)), ("7.123456M", dec(7123456, 0)),
    ("6.987654321G", dec(6987654321, 0)), ("5.444T", dec(5444, 9)), ("40.1T", dec(401, 11)),
    ("300.2T", dec(3002, 11)), ("2.5P", dec(25, 14)), ("1.01E", dec(101, 16)),
    ("12E", dec(12, 18)),
    # We'll accept fractional binary stuff, too.
    ("100.035Ki", dec(10243584, -2)), ("0.5Mi", dec(MI // 2, 0)), ("0.05Gi", dec(536870912, -1)),
    ("0.025Ti", dec(274877906944, -1)),
    # Things written by trolls
    (".001", dec(1, -3)), (".0001k", dec(100, -3)), ("1.", dec(1, 0)), ("1.G", dec(1, 9)),
]


@pytest.mark.parametrize(("text", "want"), QUANTITY_PARSE)
def test_quantity_parse(text: str, want: Fraction) -> None:
    # TestQuantityParse (the value, and the "-" and "+" variants of every row)
    got = parse_quantity(text)
    assert got == want, f"parse_quantity({text!r})={got}, but should be {want}"
    neg = parse_quantity("-" + text)
    assert neg == -want, f"parse_quantity('-{text}')={neg}, but should be {-want}"
    pos = parse_quantity("+" + text)
    assert pos == want, f"parse_quantity('+{text}')={pos}, but should be {want}"


# TestQuantityParse "Things that saturate/round": ParseQuantity rounds up to nano precision and
# saturates at the int64 maximum; the model keeps exact fractions.
QUANTITY_ROUNDING = [
    ("3.001n", dec(4, -9)), ("1.1E-9", dec(2, -9)), ("0.0000000001", dec(1, -9)),
    ("0.0000000005", dec(1, -9)), ("0.00000000050", dec(1, -9)), ("0.5e-9", dec(1, -9)),
    ("0.9n", dec(1, -9)), ("0.00000012345", dec(124, -9)), ("0.00000012354", dec(124, -9)),
    ("9Ei", Fraction(2**63 - 1)), ("9223372036854775807Ki", Fraction(2**63 - 1)),
    ("0.000000000001Ki", dec(2, -9)),
]


@pytest.mark.parametrize(("text", "want"), QUANTITY_ROUNDING)
def test_quantity_parse_rounds_to_nano(text: str, want: Fraction) -> None:
    # TestQuantityParse ("Things that saturate/round")
    got = parse_quantity(text)
    assert got == want, f"parse_quantity({text!r})={got}, but should be {want} (rounded up to 1n, capped at int64 max)"


@pytest.mark.parametrize("text", ["", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i",
                                  "-3.01e-", " 1", "1 "])
def test_quantity_parse_invalid(text: str) -> None:
    # TestQuantityParse (invalid list; trailing and leading whitespace is forbidden)
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(("text", "want"), [
    ("1", 1000), ("100m", 100), ("0.5", 500), ("1.5", 1500), ("0.0001", 1), ("1n", 1), ("1Ki", 1024000),
    ("250m", 250), ("2", 2000), (1, 1000),
])
def test_milli_value_rounds_up(text: str | int, want: int) -> None:
    # Quantity.MilliValue (ScaledValue(Milli): rounded up)
    got = milli_value(text)
    assert got == want, f"milli_value({text!r})={got}, but should be {want}"


@pytest.mark.parametrize(("text", "want"), [("1Gi", GI), ("0.5", 1), ("1500m", 2), ("110", 110), ("1k", 1000)])
def test_value_ceil(text: str, want: int) -> None:
    # Quantity.Value (rounded up)
    got = value_ceil(text)
    assert got == want, f"value_ceil({text!r})={got}, but should be {want}"


# TestGetIntFromIntOrPercent (GetScaledValueFromIntOrPercent): (value, total, roundUp, want or None=error)
SCALED_VALUE = [
    (123, 0, False, 123),
    ("90%", 100, True, 90),
    ("90%", 95, True, 86),
    ("90%", 95, False, 85),
    ("%", 0, False, None),
    ("90#", 0, False, None),
    ("#%", 0, False, None),
    ("90", 0, False, None),
]


@pytest.mark.parametrize(("value", "total", "round_up", "want"), SCALED_VALUE)
def test_get_scaled_value_from_int_or_percent(value: int | str, total: int, round_up: bool, want: int | None) -> None:
    # TestGetIntFromIntOrPercent (a.k.a. TestGetScaledValueFromIntOrPercent)
    if want is None:
        with pytest.raises(IntOrStringError):
            get_scaled_value_from_int_or_percent(value, total, round_up)
        return
    got = get_scaled_value_from_int_or_percent(value, total, round_up)
    assert got == want, f"scaled({value!r}, total={total}, roundUp={round_up})={got}, but should be {want}"


def test_get_value_from_int_or_percent_nil() -> None:
    # TestGetValueFromIntOrPercentNil
    with pytest.raises(IntOrStringError):
        get_scaled_value_from_int_or_percent(None, 0, False)


@pytest.mark.parametrize(("value", "percent"), [
    ("40%", True), ("200", False), ("30%0", False), ("%", False), ("a%", False), ("a", False), ("40#", False),
    ("40%%", False), (200, False),
])
def test_get_int_from_int_or_string(value: int | str, percent: bool) -> None:
    # TestGetIntFromIntOrString (getIntOrPercentValueSafely: only "N%" strings are percentages)
    assert is_percent(value) == percent, f"is_percent({value!r})={is_percent(value)}, but should be {percent}"
    if isinstance(value, str) and not percent:
        with pytest.raises(IntOrStringError):
            get_scaled_value_from_int_or_percent(value, 10, True)


def test_int_is_never_clamped() -> None:
    # trap Z-2 / intstr: ints are returned as-is even when larger than total
    assert get_scaled_value_from_int_or_percent(7, 3, False) == 7
    assert get_scaled_value_from_int_or_percent("200%", 3, False) == 6
    assert get_scaled_value_from_int_or_percent("25%", 1, True) == 1
    assert get_scaled_value_from_int_or_percent("25%", 1, False) == 0
