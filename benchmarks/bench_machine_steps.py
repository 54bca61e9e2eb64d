"""Machine steps per second: the mixed conformance machine on the model adapter, every check on.

A "step" is one rule of the machine (a request, a fault, a controller turn, a clock jump or a
settle); each includes the lockstep oracle step, every state and transition invariant, and for a
settle every intermediate controller turn's checks plus the convergence properties. The target is
at least 1,000 steps/s on the project's 2-core machine (bare Hypothesis runs about 6,000 trivial
steps/s there), so the model is never the bottleneck of the suite.

Run: ``pytest benchmarks/bench_machine_steps.py --benchmark-only`` (add ``--benchmark-json`` to keep).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import load
from conformance.harness import Stats
from conformance.machines import factory

TARGET_STEPS_PER_SECOND = 1000
BUDGET = settings(max_examples=150, stateful_step_count=40, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _run_machine(name: str) -> tuple[Stats, float]:
    stats = Stats()
    make = factory(name, load("model"), stats)  # built outside the timed body's loop, as a factory
    start = time.perf_counter()
    run_state_machine_as_test(make, settings=BUDGET)
    return stats, time.perf_counter() - start


@pytest.mark.benchmark(group="machine-steps")
@pytest.mark.parametrize("machine", ["mixed"])
def test_machine_steps_per_second(benchmark: Any, machine: str) -> None:
    stats, seconds = benchmark.pedantic(_run_machine, args=(machine,), rounds=3, iterations=1)
    rate = stats.steps / seconds
    benchmark.extra_info.update({
        "steps": stats.steps, "examples": stats.examples, "intermediate_states": stats.intermediate,
        "settles": stats.settles, "steps_per_second": round(rate, 1), "target_steps_per_second": TARGET_STEPS_PER_SECOND,
    })
    print(f"\n{machine}: {stats.steps} steps, {stats.intermediate} intermediate states, "
          f"{rate:.0f} steps/s (target {TARGET_STEPS_PER_SECOND})")
    assert stats.examples >= 150 and stats.steps > 150 * 10, f"{stats.steps} steps in {stats.examples} examples"
    assert sum(stats.checks.values()) > stats.steps, "invariants were not checked on every step"
