"""Int-or-percent values (``maxSurge: 25%``).

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go``
(GetScaledValueFromIntOrPercent, getIntOrPercentValueSafely).
**Modelled:** ints are returned unchanged (never clamped); ``"N%"`` scales by ``total`` with ceiling
or floor; any other string is an error.
**Not modelled:** nothing.
"""

from __future__ import annotations

import re

__all__ = ["IntOrStringError", "get_scaled_value_from_int_or_percent", "is_percent"]

_PERCENT = re.compile(r"^([0-9]+)%\Z")


class IntOrStringError(ValueError):
    pass


def is_percent(value: object) -> bool:
    return isinstance(value, str) and _PERCENT.match(value) is not None


def get_scaled_value_from_int_or_percent(value: int | str | None, total: int, round_up: bool) -> int:
    if value is None:
        raise IntOrStringError("nil value for IntOrString")
    if isinstance(value, bool):
        raise IntOrStringError(f"invalid type: neither int nor percentage: {value!r}")
    if isinstance(value, int):
        return value
    m = _PERCENT.match(value)
    if not m:
        raise IntOrStringError(f"invalid value for IntOrString: invalid type: string is not a percentage: {value!r}")
    pct = int(m.group(1))
    if round_up:
        return -(-pct * total // 100)
    return (pct * total) // 100
