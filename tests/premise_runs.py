"""How often each invariant's premise held when machines run with the mutant tests' budget, counted in a
process of its own (``python tests/premise_runs.py MACHINE...`` prints them as JSON): like the kills of
tests/test_mutants.py, so that nothing an earlier test imported or cached changes which examples
Hypothesis tries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def premises(*machines: str, examples: int = 100) -> Counter[str]:
    """Premise counts summed over ``machines`` (each with ``examples`` derandomized examples of 30 steps)."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(examples), *machines],
                          capture_output=True, text=True,
                          timeout=900, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return Counter(json.loads(proc.stdout.strip().splitlines()[-1]))


def _main(examples: int, machines: list[str]) -> None:
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from conformance.adapters import load
    from conformance.harness import Stats
    from conformance.machines import factory

    budget = settings(max_examples=examples, stateful_step_count=30, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    stats = Stats()
    for machine in machines:
        run_state_machine_as_test(factory(machine, load("model"), stats), settings=budget)  # type: ignore[no-untyped-call]
    print(json.dumps(dict(stats.premises)))


if __name__ == "__main__":
    _main(int(sys.argv[1]), sys.argv[2:])
