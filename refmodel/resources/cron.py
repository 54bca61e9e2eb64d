"""Cron schedules as CronJobs read them: ``robfig/cron/v3`` ``ParseStandard``.

**Mirrors:** ``github.com/robfig/cron/v3`` v3.0.1 ``parser.go`` (Parser.Parse with the standard options
Minute | Hour | Dom | Month | Dow | Descriptor: the ``TZ=``/``CRON_TZ=`` prefix, parseDescriptor with
``@yearly`` ... ``@hourly`` and ``@every <duration>``, normalizeFields, getField, getRange, parseIntOrName,
mustParseInt) and Go's ``time.ParseDuration`` and ``strconv.Atoi`` as that parser calls them. Every error text
is the parser's, as the API server puts it after ``spec.schedule: Invalid value: "...": ``.
**Modelled:** the grammar and bounds of the five fields (``*``, ``?``, names of months and weekdays, ranges,
steps, lists), descriptors, durations, the time-zone prefix (resolved with the IANA database the machine
has, as Go's embedded ``time/tzdata`` would).
**Not modelled (and why):** computing activation times (no CronJob controller runs in the model); the
parser's panic on ``TZ=Zone`` with nothing after it (the API server would answer 500): reported as an
error instead.
"""

from __future__ import annotations

import re
import zoneinfo
from fractions import Fraction

__all__ = ["go_duration_error", "parse_standard", "time_zone_error"]

# bounds: (min, max, names)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), 1)}
_DOW = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_FIELDS: tuple[tuple[int, int, dict[str, int] | None], ...] = (
    (0, 59, None),  # minute
    (0, 23, None),  # hour
    (1, 31, None),  # day of month
    (1, 12, _MONTHS),
    (0, 6, _DOW),
)
_DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
# Go's unicode.IsSpace (strings.Fields); Python's str.split() also splits on \x1c-\x1f, Go does not
_GO_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_ATOI = re.compile(r"[+-]?[0-9]+")


def _atoi(expr: str) -> int:
    """mustParseInt: ``strconv.Atoi``, then no negative numbers."""
    if not _ATOI.fullmatch(expr):
        raise ValueError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax')
    num = int(expr)
    if not -(2**63) <= num < 2**63:
        raise ValueError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": value out of range')
    if num < 0:
        raise ValueError(f"negative number ({num}) not allowed: {expr}")
    return num


def _int_or_name(expr: str, names: dict[str, int] | None) -> int:
    if names is not None and expr.lower() in names:
        return names[expr.lower()]
    return _atoi(expr)


def _check_range(expr: str, lo: int, hi: int, names: dict[str, int] | None) -> None:
    """getRange."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    if low_and_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise ValueError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if single:  # "N/step" means "N-max/step"
            end = hi
    else:
        raise ValueError(f"too many slashes: {expr}")
    if start < lo:
        raise ValueError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise ValueError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise ValueError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ValueError(f"step of range should be a positive number: {expr}")


_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9,
          "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"([0-9]*)(\.[0-9]*)?([^0-9.]*)")


def go_duration_error(text: str) -> str | None:
    """``time.ParseDuration``'s error for ``text``, or None when it parses."""
    quoted = f'"{text}"'
    s = text
    if s[:1] in ("+", "-"):
        s = s[1:]
    if s == "0":
        return None
    if s == "":
        return f"time: invalid duration {quoted}"
    total = Fraction(0)
    while s:
        m = _DURATION_PART.match(s)
        assert m is not None  # the pattern matches the empty string
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        if not whole and (frac is None or frac == "."):
            return f"time: invalid duration {quoted}"
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in _UNITS:  # Go reads the unit up to the next digit or '.'
            return f'time: unknown unit "{unit}" in duration {quoted}'
        if whole and int(whole) >= 2**63:
            return f"time: invalid duration {quoted}"
        total += (int(whole or "0") + (Fraction(f"0{frac}") if frac and frac != "." else 0)) * _UNITS[unit]
        if total > 2**63 - 1:
            return f"time: invalid duration {quoted}"
        s = s[m.end():]
    return None


def time_zone_error(name: str) -> str | None:
    """``time.LoadLocation``'s error for ``name`` (case-sensitive IANA names; "UTC" and "Local" are built in)."""
    if name in ("", "UTC", "Local"):
        return None
    if name.startswith("/") or ".." in name.split("/") or "\\" in name:
        return f"unknown time zone {name}"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name}"
    return None


def parse_standard(spec: str) -> str | None:
    """``cron.ParseStandard(spec)``: None when it parses, else the parser's error text."""
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, eq = spec.find(" "), spec.find("=")
        if space < 0:
            return f"provided bad location {spec[eq + 1:]}: a time zone prefix must be followed by a schedule"
        zone = spec[eq + 1:space]
        err = time_zone_error(zone)
        if err is not None:
            return f"provided bad location {zone}: {err}"
        spec = spec[space:].strip()
    if spec.startswith("@"):
        if spec in _DESCRIPTORS:
            return None
        if spec.startswith("@every "):
            err = go_duration_error(spec[len("@every "):])
            return None if err is None else f"failed to parse duration {spec}: {err}"
        return f"unrecognized descriptor: {spec}"
    fields = [f for f in _GO_SPACE.split(spec) if f]
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for text, (lo, hi, names) in zip(fields, _FIELDS, strict=True):
        for expr in (e for e in text.split(",") if e):
            try:
                _check_range(expr, lo, hi, names)
            except ValueError as exc:
                return str(exc)
    return None
