"""Resource quantities ("500m", "1Gi", "2e3").

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`` (ParseQuantity and the
suffix table in ``suffix.go``).
**Modelled:** decimal SI, binary SI and decimal-exponent suffixes, signs, fractional values; values
are exact ``fractions.Fraction``; ``milli_value`` rounds up like upstream's ``MilliValue``.
**Not modelled:** canonical re-serialisation (the stored object keeps the user's spelling).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

__all__ = ["QuantityError", "milli_value", "parse_quantity", "value_ceil"]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)\Z")
_EXP = re.compile(r"^[eE]([+-]?[0-9]+)\Z")
_SUFFIX_CHARS = re.compile(r"^[eEinumkKMGTP]*[-+]?[0-9]*\Z")


class QuantityError(ValueError):
    pass


@lru_cache(maxsize=4096)
def parse_quantity(text: str | int | float) -> Fraction:
    """Parse a quantity; raise :class:`QuantityError` with upstream's message when malformed."""
    if isinstance(text, bool):
        raise QuantityError("quantities must match the regular expression "
                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        return Fraction(text).limit_denominator(10**9)
    m = _RE.match(text.strip())
    if not m or text != text.strip() or not _SUFFIX_CHARS.match(m.group(2)):
        raise QuantityError("quantities must match the regular expression "
                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    number = Fraction(m.group(1))
    suffix = m.group(2)
    if suffix in _BINARY:
        # binary-SI amounts are int64-scaled upstream and saturate at its maximum
        value = max(min(number * _BINARY[suffix], _MAX), -_MAX)
    elif suffix in _DECIMAL:
        value = number * _DECIMAL[suffix]
    else:
        e = _EXP.match(suffix)
        if not e:
            raise QuantityError("unable to parse quantity's suffix")
        value = number * Fraction(10) ** int(e.group(1))
    return _normalise(value)


_NANO = Fraction(1, 10**9)
_MAX = Fraction(2**63 - 1)


def _normalise(value: Fraction) -> Fraction:
    """Precision is 1n: round away from zero to a whole number of nano units."""
    nanos = value / _NANO
    if nanos.denominator != 1:
        whole = math.ceil(nanos) if nanos > 0 else math.floor(nanos)
        value = whole * _NANO
    return value


@lru_cache(maxsize=4096)
def milli_value(text: str | int | float) -> int:
    """The quantity in thousandths, rounded up (``MilliValue``)."""
    return math.ceil(parse_quantity(text) * 1000)


def value_ceil(text: str | int | float) -> int:
    """The quantity as an integer, rounded up (``Value``)."""
    return math.ceil(parse_quantity(text))
