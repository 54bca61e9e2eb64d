"""A pytest plugin for ``kubeoracle bench``: one line per benchmark as it finishes, on the terminal
(standard error), while pytest's own output goes to a log file.

    [ 3/27]  12 s  bench_bulk.py::test_bulk_converge_one_deployment[1000-default-nodes]  passed  0.41 s
"""

from __future__ import annotations

import sys
import time

import pytest

_state = {"total": 0, "done": 0, "start": 0.0}


def pytest_sessionstart(session: pytest.Session) -> None:
    _state["start"] = time.perf_counter()


def pytest_collection_finish(session: pytest.Session) -> None:
    _state["total"] = len(session.items)
    _write(f"kubeoracle bench: {len(session.items)} benchmarks\n")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)):
        _state["done"] += 1
        outcome = report.outcome if report.when == "call" else f"{report.outcome} (setup)"
        elapsed = time.perf_counter() - _state["start"]
        width = len(str(_state["total"]))
        name = report.nodeid.rsplit("/", 1)[-1]
        _write(f"[{_state['done']:>{width}}/{_state['total']}] {elapsed:>5.0f} s  {name}  {outcome}  "
               f"{report.duration:.2f} s\n")


def _write(text: str) -> None:
    err = sys.__stderr__
    if err is not None:
        err.write(text)
        err.flush()
