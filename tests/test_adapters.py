"""The adapter protocol, the registry, ``--adapter`` parsing, and an adapter written outside the project.

The last tests prove the main promise of the suite: a small, deliberately buggy adapter that lives
in a module on ``PYTHONPATH`` plugs in with ``--adapter mymod:factory`` and is caught, and its
counterexample replays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conformance.adapters import REGISTRY, Adapter, AdapterError, Outcome, load, perform
from conformance.adapters.model import ModelAdapter
from conformance.runner import run_machine
from conformance.script import load_script, replay_events
from refmodel import events as ev

ROOT = Path(__file__).resolve().parents[1]

BUGGY = textwrap.dedent('''
    """A third party's adapter with a bug: ReplicaSets of two or more replicas get one too many."""
    from conformance.adapters.model import ModelAdapter


    class OffByOne:
        name = "off-by-one"

        def __init__(self):
            self.inner = ModelAdapter()
            self.capabilities = frozenset(self.inner.capabilities) - {"intermediate", "single-step"}

        def reset(self):
            self.inner.reset()

        def apply(self, obj):
            if obj.get("kind") == "ReplicaSet" and obj.get("spec", {}).get("replicas", 1) >= 2:
                obj = {**obj, "spec": {**obj["spec"], "replicas": obj["spec"]["replicas"] + 1}}
            return self.inner.apply(obj)

        def delete(self, kind, namespace, name, propagation="Background"):
            return self.inner.delete(kind, namespace, name, propagation)

        def scale(self, kind, namespace, name, replicas):
            return self.inner.scale(kind, namespace, name, replicas + 1 if replicas >= 2 else replicas)

        def rollout_undo(self, namespace, name, to_revision=0):
            return self.inner.rollout_undo(namespace, name, to_revision)

        def inject(self, fault):
            return self.inner.inject(fault)

        def settle(self, timeout):
            return self.inner.settle(timeout)

        def snapshot(self):
            return self.inner.snapshot()

        def observe(self):
            return self.inner.observe()

        def close(self):
            pass


    def factory():
        return OffByOne()
''')

OPTIONS = {"examples": 40, "steps": 20, "profile": "ci", "database": "none", "seed": None}


@pytest.fixture
def buggy_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "kubeoracle_buggy_adapter.py").write_text(BUGGY)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "kubeoracle_buggy_adapter"


def test_model_adapter_satisfies_the_protocol() -> None:
    adapter = load("model")
    assert isinstance(adapter, Adapter), f"{type(adapter).__name__} does not satisfy the Adapter protocol"
    assert adapter.name == "model"
    assert {"node-faults", "virtual-time", "single-step"} <= adapter.capabilities


def test_model_arg_sets_the_number_of_nodes() -> None:
    adapter = load("model:5")
    nodes = [o for o in adapter.observe() if o["kind"] == "Node"]
    assert len(nodes) == 5, f"{len(nodes)} nodes, but model:5 should give 5"


@pytest.mark.parametrize("spec, fragment", [
    ("nope", "unknown adapter 'nope'"),
    ("no_such_module_xyz:factory", "cannot import 'no_such_module_xyz'"),
    ("json:no_such_factory", "has no callable 'no_such_factory'"),
    ("model:three", "the argument is the number of nodes"),
    ("", "give NAME[:ARG]"),
])
def test_bad_adapter_specs_say_what_to_do(spec: str, fragment: str) -> None:
    with pytest.raises(AdapterError) as info:
        load(spec)
    assert fragment in str(info.value), f"error {info.value!r}, but should mention {fragment!r}"


def test_factory_that_returns_a_non_adapter_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "kubeoracle_not_an_adapter.py").write_text("def factory():\n    return object()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AdapterError, match="lacks reset"):
        load("kubeoracle_not_an_adapter:factory")


def test_registry_names_are_lazy_import_paths() -> None:
    for name, target in REGISTRY.items():
        assert ":" in target, f"REGISTRY[{name!r}]={target!r}, but should be 'module:factory'"


def test_outcomes_have_three_states() -> None:
    adapter = ModelAdapter()
    ok = adapter.scale("ReplicaSet", "default", "missing", 1)
    assert ok.status == "rejected" and ok.reason == "NotFound", f"scale of a missing RS gave {ok}"
    assert Outcome.unknown("timeout").status == "unknown"

    class Exploding(ModelAdapter):
        def step(self, event: ev.Event) -> Outcome:
            raise TimeoutError("no answer")

    out = perform(Exploding(), ev.ClockAdvanced(1))
    assert out.status == "unknown" and "TimeoutError" in out.message, f"an adapter exception gave {out}"


def test_buggy_external_adapter_is_caught_and_replays(buggy_module: str) -> None:
    result = run_machine("replicaset", f"{buggy_module}:factory", OPTIONS)
    assert result["valid"] is False, f"the off-by-one adapter passed: {result.get('error')}"
    na = set(result["stats"]["not_applicable"])  # it cannot single-step: those checks and rules are n/a
    assert {"Reconcile", "the garbage collector deletes an object only when none of its owners is alive"} <= na, na
    failure = result["failure"]
    assert failure["invariant"], failure
    meta, events = load_script(failure["script"])
    assert meta["adapter"] == f"{buggy_module}:factory"
    # the script reproduces on the buggy adapter and passes on the model
    bad = replay_events(load(f"{buggy_module}:factory"), events)
    assert bad.failures, "the counterexample did not reproduce on the adapter it was found on"
    good = replay_events(load("model"), events)
    assert not good.failures, f"the counterexample fails on the model too: {good.failures[0]}"


def test_external_adapter_on_pythonpath_through_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "mymod.py").write_text(BUGGY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    code = ("import sys; from conformance.runner import main; "
            "sys.exit(main(sys.argv[1:]))")
    report = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--adapter", "mymod:factory", "--machines", "replicaset", "--examples", "40",
         "--steps", "20", "--profile", "ci", "--report", str(report), "--quiet"],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 1, f"exit {proc.returncode}, but a buggy adapter must fail the run\n{proc.stderr[-2000:]}"
    results = json.loads((report / "results.json").read_text())
    assert results["valid"] is False and results["adapter"] == "mymod:factory"
    script = report / "counterexamples" / "replicaset.yaml"
    assert script.is_file(), "no counterexample script was written"
    replay = subprocess.run([sys.executable, "-c", "import sys; from conformance.replay import main; "
                             "sys.exit(main(sys.argv[1:]))", str(script), "--quiet"],
                            env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert replay.returncode == 1, f"replay exit {replay.returncode}, but should reproduce\n{replay.stdout[-1500:]}"
    replay_model = subprocess.run([sys.executable, "-c", "import sys; from conformance.replay import main; "
                                   "sys.exit(main(sys.argv[1:]))", str(script), "--adapter", "model", "--quiet"],
                                  env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert replay_model.returncode == 0, f"replay on the model exit {replay_model.returncode}\n{replay_model.stdout[-1500:]}"
