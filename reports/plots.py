"""Plots for the reports, drawn by matplotlib (the ``reports`` extra) and returned as inline SVG.

matplotlib is used through its object API (``matplotlib.figure.Figure`` with the SVG canvas): no
pyplot global state, no display, no font download; text stays text in the SVG (``svg.fonttype:
none``) and element ids are seeded (``svg.hashsalt``), so the same data gives the same page. The XML
prologue, the DOCTYPE and the metadata block are dropped, so the SVG can sit inside the HTML page and
names no URL but its XML namespaces. Without matplotlib, :func:`throughput_svg` returns "" and the
report shows the tables alone.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence

__all__ = ["ANCHORS", "available", "loglog_slope", "throughput_svg"]

# The reference lines of every throughput plot: (per second, label).
ANCHORS: tuple[tuple[float, str], ...] = (
    (20.0, "kube-controller-manager client limit, 20 writes/s"),
    (100.0, "scheduler target, 100 pods/s"),
    (167.0, "KWOK CI floor, 167 pods/s"),
)


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def loglog_slope(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of log(y) against log(x); None for fewer than two distinct sizes."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx


def throughput_svg(title: str, curves: Mapping[str, Sequence[tuple[float, float]]], xlabel: str, ylabel: str,
                   anchors: Sequence[tuple[float, str]] = ANCHORS) -> str:
    """Throughput (y) against size (x), both on log axes, one line per curve (its log-log slope in the
    legend), the anchors as dashed horizontal lines. "" when matplotlib is not installed."""
    if not available() or not curves:
        return ""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kubeoracle", "font.size": 9}):
        fig = Figure(figsize=(7.5, 4.2))
        FigureCanvasSVG(fig)
        ax = fig.add_subplot(1, 1, 1)
        for label, pts in curves.items():
            pts = sorted(pts)
            slope = loglog_slope(pts)
            shown = f"{label} (slope {slope:+.2f})" if slope is not None else label
            ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", linewidth=1.6, label=shown)
        for value, label in anchors:
            ax.axhline(value, linestyle="--", linewidth=1, color="0.45")
            ax.annotate(label, xy=(0.005, value), xycoords=("axes fraction", "data"), fontsize=7, color="0.3",
                        va="bottom")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(True, which="major", linewidth=0.4, color="0.85")
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    return svg.strip()
