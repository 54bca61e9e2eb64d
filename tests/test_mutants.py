"""Every seeded bug in the model is caught by the machines (Hypothesis's "bad machines must fail").

Each mutant runs the machine whose rules expose it, derandomized, stopping at the first failure (no
shrinking), with up to ``Mutant.examples`` examples (the kill is what matters here; ``kubeoracle conformance --self-test`` shrinks and prints
the kill matrix with the default budget). The unmutated model must pass the same machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import load
from conformance.harness import Stats, Violation
from conformance.machines import MACHINES, factory
from conformance.mutants import MUTANTS, Mutant, available

ROOT = Path(__file__).resolve().parents[1]
BUDGET = settings(max_examples=100, stateful_step_count=30, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _run(machine: str, examples: int = 100) -> Violation | None:
    try:
        run_state_machine_as_test(factory(machine, load("model"), Stats()),
                                  settings=settings(BUDGET, max_examples=examples))
    except Violation as exc:
        return exc
    return None


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_unmutated_model_passes(machine: str) -> None:
    # TestBadMachinesFail's counterpart: the good machine must pass
    v = _run(machine)
    assert v is None, f"machine {machine}: {v}, but the unmutated model should pass"


def test_there_are_at_least_twenty_mutants() -> None:
    assert len(MUTANTS) >= 20, f"{len(MUTANTS)} mutants, but the suite promises at least 20"
    assert len({m.name for m in MUTANTS}) == len(MUTANTS), "mutant names must be unique"


@pytest.mark.parametrize("column", ["in-model", "external"])
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_killed(mutant: Mutant, column: str) -> None:
    # test_bad_machines_fail (hypothesis tests/nocover/test_stateful.py); each kill runs in a process of
    # its own, as `kubeoracle conformance --self-test` does, so earlier tests cannot change what it tries.
    # in-model: the mutant patches the model the built-in adapter is (invariants only); external: the
    # mutant runs in a child behind the protocol and the harness's own model stays upstream's
    if not available(mutant):
        pytest.skip(f"the model has no {mutant.needs} yet")
    if column not in mutant.columns:
        pytest.skip(f"not observable in the {column} column: {mutant.not_applicable}")
    proc = subprocess.run([sys.executable, "-m", "conformance.mutants", mutant.name, column], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["killed"], (f"mutant {mutant.name} ({mutant.description}) survived machine {mutant.machine} "
                              f"({column})")
    assert report["invariant"], f"mutant {mutant.name} failed without a named invariant: {report}"


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_unmutated_model_passes_as_an_external_adapter(machine: str) -> None:
    # the external column's baseline: the unmutated model in a child process agrees with the oracle
    # the child runs with its own string-hash seed: the model's result must not depend on it
    # (tests/test_hash_seed.py)
    adapter = load("subprocess")
    try:
        run_state_machine_as_test(factory(machine, adapter, Stats()), settings=settings(BUDGET, max_examples=40))
    except Violation as exc:
        pytest.fail(f"machine {machine}: {exc}, but the unmutated model should pass as an external adapter")
    finally:
        adapter.close()


def test_witnesses_name_mutants_and_kill_without_a_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # a witness is the requests of one killing example, replayed as sent: what the machines draw (rule and
    # argument names, rule order) cannot move it, so a mutant with a witness is killed with no search at all
    from conformance import mutants

    files = sorted(mutants.WITNESSES.glob("*.yaml"))
    assert files, f"no witness scripts in {mutants.WITNESSES}"
    stray = [f.stem for f in files if f.stem not in mutants.BY_NAME]
    assert not stray, f"witnesses {stray} name no seeded bug"

    def no_search(*args: object, **kw: object) -> None:
        raise AssertionError("the search ran, but the witness should have killed the mutant")

    monkeypatch.setattr(mutants, "_search", no_search)
    name = "scale-one-higher"
    if name not in {f.stem for f in files}:
        pytest.skip(f"{name} has no witness")
    report = mutants.kill_report(name)
    assert report["killed"] and report["by"] == "witness", report
