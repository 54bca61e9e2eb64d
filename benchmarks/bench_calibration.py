"""Calibration: a fixed pure-Python loop, to read the other figures against the machine's speed now.

On a shared virtual machine the same code can run 1.5x slower from one minute to the next (the host's
load, not the code). Quote this figure with the others: two runs whose calibration differs compare only
after scaling by it.

    pytest benchmarks/bench_calibration.py --benchmark-only
"""

from __future__ import annotations

import pytest


def _loop(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def test_calibration_two_million_multiply_adds(benchmark: pytest.FixtureRequest) -> None:
    result = benchmark.pedantic(_loop, args=(2_000_000,), rounds=10, iterations=1)  # type: ignore[attr-defined]
    assert result == sum(i * i for i in range(2_000_000))
