"""The benchmark report: pytest-benchmark's JSON -> figures, a comparison with a previous run, and a
:class:`~reports.document.Document` with tables and throughput plots.

**Figures.** Each benchmark's time is its *fastest* round (``stats.min``: on a loaded machine the
slow rounds measure the neighbours, the fastest one the code). It is read against the calibration
benchmark (``bench_calibration.py``: a fixed pure-Python loop) run in the same process: *calibrated*
time = time / calibration time, which is what ``--compare`` compares, so a run on a slower or busier
machine is not a regression.

**Curves.** A benchmark declares in ``extra_info`` its size (``size``, else ``pods``: the x axis) and
the work its timed call does (``items``, with ``unit``; default: ``size`` pods). A benchmark of one
event on a large cluster (``items`` 1, or ``one_event``/``incremental`` in its name) is plotted as
events per second against the cluster's size; ``events_per_round`` gives that many events per round;
``documents`` (validation) and ``claims`` (volume binding) name a size that is also the work. Benchmarks that differ only in their numeric parameters
form one curve; its log-log slope says how throughput grows with size (0: the cost is linear in the
work; -1: each item costs in proportion to the cluster). Throughput plots carry the anchors of
:data:`reports.plots.ANCHORS` as reference lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .document import Block, Code, Document, Figure, Heading, Table, Text, Verdict
from .plots import ANCHORS, loglog_slope, throughput_svg

__all__ = ["DEFAULT_THRESHOLD", "Comparison", "Result", "bench_document", "compare", "figures"]

DEFAULT_THRESHOLD = 0.10
_ONE_EVENT = re.compile(r"one_event|incremental")
_CALIBRATION = "calibration"
# what a benchmark may name its size by in extra_info (after "size"); without "items", the size is the work
_SIZE_UNITS = ("pods", "documents", "claims")


@attrs.frozen
class Result:
    """One benchmark's figures."""

    fullname: str
    file: str  # the benchmark module's stem (bench_bulk)
    curve: str  # the test and its non-numeric parameters: benchmarks of one curve differ in size only
    seconds: float  # the fastest round
    rounds: int
    calibrated: float | None  # seconds / the calibration's seconds
    size: float | None
    items: float | None
    unit: str
    extra: Mapping[str, Any]

    @property
    def per_second(self) -> float | None:
        return self.items / self.seconds if self.items is not None and self.seconds > 0 else None


def _calibration_seconds(data: Mapping[str, Any]) -> float | None:
    for b in data.get("benchmarks") or ():
        if _CALIBRATION in b.get("fullname", ""):
            return float(b["stats"]["min"])
    return None


def _curve(b: Mapping[str, Any]) -> str:
    name = str(b.get("name", "")).split("[", 1)[0]
    words = [str(v) for v in (b.get("params") or {}).values() if not isinstance(v, int | float)]
    return name + (f" [{', '.join(words)}]" if words else "")


def figures(data: Mapping[str, Any]) -> list[Result]:
    """Every benchmark of a pytest-benchmark JSON, with its calibrated time and its throughput."""
    cal = _calibration_seconds(data)
    out = []
    for b in data.get("benchmarks") or ():
        extra = dict(b.get("extra_info") or {})
        seconds = float(b["stats"]["min"])
        fullname = str(b.get("fullname", b.get("name", "")))
        stem = fullname.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        key = next((k for k in ("size", *_SIZE_UNITS) if k in extra), None)
        size = extra[key] if key else None
        one_event = bool(_ONE_EVENT.search(str(b.get("name", "")))) or extra.get("items") == 1
        if "steps_per_second" in extra and "steps" in extra:
            items, unit = float(extra["steps"]), "steps"
        elif one_event:
            items, unit = 1.0, str(extra.get("unit", "events"))
        elif "events_per_round" in extra:
            items, unit = float(extra["events_per_round"]), "events"
        elif "items" in extra:
            items, unit = float(extra["items"]), str(extra.get("unit", "pods"))
        elif size is not None:
            items, unit = float(size), key if key in _SIZE_UNITS else "pods"
        else:
            items, unit = None, ""
        out.append(Result(fullname=fullname, file=stem, curve=_curve(b), seconds=seconds,
                           rounds=int(b["stats"].get("rounds", 1)),
                           calibrated=seconds / cal if cal else None,
                           size=float(size) if size is not None else None, items=items, unit=unit, extra=extra))
    return out


# ---------------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------------
@attrs.frozen
class Comparison:
    threshold: float
    calibrated: bool  # both runs had the calibration benchmark
    rows: tuple[tuple[str, float, float, float, str], ...]  # fullname, old, new, new/old, status
    only_old: tuple[str, ...]
    only_new: tuple[str, ...]

    @property
    def regressed(self) -> list[str]:
        return [r[0] for r in self.rows if r[4] == "regressed"]


def compare(old: Mapping[str, Any], new: Mapping[str, Any], threshold: float = DEFAULT_THRESHOLD) -> Comparison:
    """Each benchmark of both runs: its calibrated time before and now; "regressed" when it grew by more
    than ``threshold`` (0.10: 10%), "faster" when it shrank by as much. Without a calibration in both
    runs the raw times are compared (and ``calibrated`` is False)."""
    old_f = {f.fullname: f for f in figures(old)}
    new_f = {f.fullname: f for f in figures(new)}
    calibrated = _calibration_seconds(old) is not None and _calibration_seconds(new) is not None
    rows = []
    for name in sorted(set(old_f) & set(new_f)):
        if _CALIBRATION in name:
            continue
        a, b = old_f[name], new_f[name]
        va = a.calibrated if calibrated and a.calibrated is not None else a.seconds
        vb = b.calibrated if calibrated and b.calibrated is not None else b.seconds
        ratio = vb / va if va > 0 else float("inf")
        status = "regressed" if ratio > 1 + threshold else "faster" if ratio < 1 / (1 + threshold) else "same"
        rows.append((name, va, vb, ratio, status))
    return Comparison(threshold, calibrated, tuple(rows), tuple(sorted(set(old_f) - set(new_f))),
                      tuple(sorted(set(new_f) - set(old_f))))


# ---------------------------------------------------------------------------------------------
# the document
# ---------------------------------------------------------------------------------------------
def _time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _rate(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _machine(data: Mapping[str, Any]) -> str:
    mi = data.get("machine_info") or {}
    cpu = mi.get("cpu") or {}
    brand = cpu.get("brand_raw") or mi.get("processor") or mi.get("machine") or "unknown CPU"
    cores = f", {cpu['count']} cores" if cpu.get("count") else ""
    hz = f" at {cpu['hz_actual_friendly']}" if cpu.get("hz_actual_friendly") else ""
    py = f"{mi.get('python_implementation', 'Python')} {mi.get('python_version', '?')}"
    return f"{brand}{hz}{cores}; {py} on {mi.get('system', '?')} {mi.get('release', '')}".strip()


def _ratios(value: float) -> str:
    return ", ".join(f"{value / a:,.0f}x {label.split(',')[0]}" if value / a >= 10 else
                     f"{value / a:.1f}x {label.split(',')[0]}" for a, label in ANCHORS)


def headlines(figs: Sequence[Result]) -> list[tuple[str, str, str, str]]:
    """(figure, value, at, ratio to the anchors): each curve's throughput at its largest size, and the
    conformance steps per second."""
    rows = []
    by_curve: dict[tuple[str, str], list[Result]] = {}
    for f in figs:
        if f.per_second is not None and f.size is not None:
            by_curve.setdefault((f.file, f.curve), []).append(f)
    for (file, curve), members in by_curve.items():
        top = max(members, key=lambda f: f.size or 0)
        rate = top.per_second or 0.0
        what = (f"one-event cost ({file} {curve})" if top.unit == "events"
                else f"{top.unit} per second ({file} {curve})")
        value = (f"{_time(1 / rate)} ({_rate(rate)} events/s)" if top.unit == "events" and rate
                 else f"{_rate(rate)}/s")
        rows.append((what, value, f"{top.size:,.0f} {top.unit if top.unit in _SIZE_UNITS[1:] else 'pods'}",
                     _ratios(rate)))
    for f in figs:
        if f.unit == "steps" and f.per_second is not None:
            target = f.extra.get("target_steps_per_second")
            ratio = f"{f.per_second / float(target):.2f}x the target of {target} steps/s" if target else ""
            rows.append((f"conformance steps per second ({f.curve})", f"{_rate(f.per_second)}/s", "", ratio))
    return rows


def bench_document(data: Mapping[str, Any], comparison: Comparison | None = None,
                   command: str = "kubeoracle bench", failed: Sequence[str] = ()) -> Document:
    """The report of one run; ``failed`` names the benchmarks whose assertions failed (they have no
    figures: pytest-benchmark keeps only the ones that passed)."""
    figs = figures(data)
    cal = _calibration_seconds(data)
    blocks: list[Block] = []
    if failed:
        blocks.append(Verdict("fail", f"FAILED: {len(failed)} benchmark(s)",
                              "their results were wrong, so they have no figures: "
                              + ", ".join(f"`{n}`" for n in failed)))
    if comparison is not None:
        bad = comparison.regressed
        if bad:
            blocks.append(Verdict("fail", f"REGRESSED: {len(bad)} figure(s)",
                                  f"slower by more than {comparison.threshold:.0%} "
                                  f"({'after calibration' if comparison.calibrated else 'raw times: no calibration'}): "
                                  + ", ".join(f"`{n}`" for n in bad)))
        else:
            blocks.append(Verdict("pass", "NO REGRESSION",
                                  f"every figure within {comparison.threshold:.0%} of the previous run "
                                  f"({'after calibration' if comparison.calibrated else 'raw times'})."))
    elif not failed:
        blocks.append(Verdict("pass", f"{len(figs)} benchmarks", f"Command: `{command}`."))
    blocks.append(Text(f"Machine: {_machine(data)}. Run at {data.get('datetime', '?')}."))
    blocks.append(Text("Calibration (a fixed loop of 2,000,000 multiply-adds, same process): "
                       + (f"{_time(cal)}. Calibrated times are times divided by it." if cal else
                          "not run, so times are raw and comparisons are not calibrated.")))
    heads = headlines(figs)
    if heads:
        blocks.append(Heading("Headline figures"))
        blocks.append(Table(("figure", "value", "at", "ratio to the anchors"), tuple(heads)))
    if comparison is not None:
        blocks.append(Heading("Compared with the previous run"))
        blocks.append(Table(
            ("benchmark", "before" + (" (calibrated)" if comparison.calibrated else ""),
             "now" + (" (calibrated)" if comparison.calibrated else ""), "now / before", "verdict"),
            tuple((n, f"{a:.4g}", f"{b:.4g}", f"{r:.3f}x", s) for n, a, b, r, s in comparison.rows),
            tuple(("", "", "", "", s) for *_, s in comparison.rows)))
        if comparison.only_new or comparison.only_old:
            blocks.append(Text(f"Only in this run: {len(comparison.only_new)}; only in the previous one: "
                               f"{len(comparison.only_old)} (not compared)."))
    files: dict[str, list[Result]] = {}
    for f in figs:
        files.setdefault(f.file, []).append(f)
    for file, members in files.items():
        blocks.append(Heading(file))
        curves: dict[str, dict[str, list[tuple[float, float]]]] = {}
        for f in members:
            if f.size is not None and f.per_second is not None:
                curves.setdefault(f.unit, {}).setdefault(f.curve, []).append((f.size, f.per_second))
        for unit, unit_curves in curves.items():
            if max(len(p) for p in unit_curves.values()) < 2:
                continue
            xlabel = unit if unit in _SIZE_UNITS[1:] else "cluster size (pods)"
            blocks.append(Figure(throughput_svg(f"{file}: {unit} per second", unit_curves, xlabel,
                                                f"{unit} per second"),
                                 f"{file}: {unit} per second against {xlabel} (log-log); dashed: the anchors"))
        rows = []
        for f in sorted(members, key=lambda f: (f.curve, f.size or 0)):
            rows.append((f.curve, f"{f.size:,.0f}" if f.size is not None else "", _time(f.seconds),
                         f"{_rate(f.per_second)} {f.unit}/s" if f.per_second is not None else "",
                         f"{f.calibrated:.4g}" if f.calibrated is not None else "", str(f.rounds)))
        blocks.append(Table(("benchmark", "size", "fastest round", "throughput", "calibrated", "rounds"),
                            tuple(rows)))
        slopes = []
        for unit, unit_curves in curves.items():
            for curve, pts in unit_curves.items():
                s = loglog_slope(pts)
                k = loglog_slope([(f.size, f.seconds) for f in members
                                  if f.curve == curve and f.unit == unit and f.size is not None])
                if s is not None and k is not None:
                    slopes.append((curve, unit, f"{s:+.2f}", f"{k:.2f}"))
        if slopes:
            blocks.append(Table(("curve", "unit", "log-log slope of throughput", "cost exponent (time ∝ size^k)"),
                                tuple(slopes)))
    blocks.append(Heading("Reproduce"))
    blocks.append(Code(command, "sh"))
    return Document("kubeoracle benchmarks", tuple(blocks))
