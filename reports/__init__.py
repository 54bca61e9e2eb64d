"""Reports of kubeoracle results, from one renderer (:mod:`reports.document`: a self-contained HTML page
and a Markdown summary): the conformance run (:mod:`reports.conformance`), the benchmarks
(:mod:`reports.bench`, plots by :mod:`reports.plots`) and a replay (:mod:`reports.replay`). Generated
output is never committed."""

from __future__ import annotations

__all__: list[str] = []
