"""The adapter protocol, the registry, ``--adapter`` parsing, and an adapter written outside the project.

The last tests prove the main promise of the suite: a small, deliberately buggy adapter that lives
in a module on ``PYTHONPATH`` plugs in with ``--adapter mymod:factory`` and is caught, and its
counterexample replays.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import (
    REGISTRY,
    Adapter,
    AdapterError,
    Outcome,
    Sandbox,
    bind,
    load,
    perform,
)
from conformance.adapters.external import ExternalAdapter
from conformance.adapters.model import ModelAdapter
from conformance.harness import Stats, Violation
from conformance.machines import factory
from conformance.mutants import BY_NAME, applied
from conformance.runner import main as conformance_main
from conformance.runner import run_machine
from conformance.script import load_script, replay_events
from refmodel import events as ev

ROOT = Path(__file__).resolve().parents[1]

BUGGY = textwrap.dedent('''
    """A third party's adapter with a bug: ReplicaSets of two or more replicas get one too many."""
    from conformance.adapters.external import ExternalAdapter


    class OffByOne:
        name = "off-by-one"

        def __init__(self):
            self.inner = ExternalAdapter()
            self.capabilities = frozenset(self.inner.capabilities) - {"single-step", "watch"}

        def reset(self, sandbox):
            self.inner.reset(sandbox)

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
    bound = load("model")
    assert isinstance(bound.reference, Adapter), f"{type(bound.reference).__name__} does not satisfy the protocol"
    assert bound.name == "model" and bound.reference is not None
    assert {"node-faults", "virtual-time", "single-step", "events", "snapshot"} <= bound.capabilities
    assert bound.step is not None and bound.snapshot is not None and bound.changes is None


def test_model_arg_sets_the_number_of_nodes() -> None:
    bound = load("model:5")
    assert bound.sandbox == Sandbox(nodes=5), bound.sandbox
    bound.reset(bound.sandbox)
    nodes = [o for o in bound.observe() if o["kind"] == "Node"]
    assert len(nodes) == 5, f"{len(nodes)} nodes, but model:5 should give 5"


@pytest.mark.parametrize("spec, fragment", [
    ("nope", "unknown adapter 'nope'"),
    ("no_such_module_xyz:factory", "cannot import 'no_such_module_xyz'"),
    ("json:no_such_factory", "has no callable 'no_such_factory'"),
    ("model:three", "the argument is the number of nodes"),
    ("model:-1", "the number of nodes must be between 0 and 5000"),
    ("model:1.5", "the argument is the number of nodes"),
    ("subprocess:no-such-bug", "not a seeded bug"),
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


def test_declared_powers_are_bound_once_and_undeclared_ones_never() -> None:
    class Declares(ExternalAdapter):
        capabilities = ExternalAdapter.capabilities | {"snapshot"}  # but has no snapshot()

    with pytest.raises(AdapterError, match="declares 'snapshot', but has no method snapshot"):
        bind(Declares())

    class Typo(ExternalAdapter):
        capabilities = ExternalAdapter.capabilities | {"virtual-tiem"}

    with pytest.raises(AdapterError, match="virtual-tiem"):
        bind(Typo())

    class Undeclared(ExternalAdapter):
        capabilities = frozenset({"virtual-time"})

        def step(self, event: object) -> Outcome:
            raise AssertionError("step() was called, but the adapter never declared 'events'")

    bound = bind(Undeclared())
    assert bound.step is None and bound.changes is None, "powers it did not declare were bound"
    assert perform(bound, ev.ClockAdvanced(1)).status == "ok"


def test_an_adapter_with_a_reset_of_no_argument_loads_with_a_deprecation_warning() -> None:
    class Old(ExternalAdapter):
        def reset(self) -> None:  # type: ignore[override]
            super().reset(Sandbox())

    with pytest.warns(DeprecationWarning, match="takes no sandbox"):
        bound = bind(Old())
    bound.reset(Sandbox())
    with pytest.raises(AdapterError, match="cannot build"):
        bound.reset(Sandbox(nodes=2))


def test_registry_names_are_lazy_import_paths() -> None:
    for name, target in REGISTRY.items():
        assert ":" in target, f"REGISTRY[{name!r}]={target!r}, but should be 'module:factory'"


def test_outcomes_have_three_states() -> None:
    adapter = ModelAdapter()
    ok = adapter.scale("ReplicaSet", "default", "missing", 1)
    assert ok.status == "rejected" and ok.reason == "NotFound", f"scale of a missing RS gave {ok}"
    assert Outcome.unknown("timeout").status == "unknown"

    class Exploding(ExternalAdapter):
        def inject(self, fault: object) -> Outcome:
            raise TimeoutError("no answer")

    out = perform(Exploding(), ev.ClockAdvanced(1))
    assert out.status == "unknown" and "TimeoutError" in out.message, f"an adapter exception gave {out}"
    assert f"{__file__}:" in out.message and "in inject" in out.message, f"the adapter's frame is not named: {out}"


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


# ---- third parties built on the protocol only, each with one behaviour changed -------------------
class ThirdParty:
    """A third party's system: the ``external`` adapter behind the protocol methods and declared powers,
    nothing else (no ``state``, no ``step``, no snapshots). Subclasses change one behaviour."""

    name = "third-party"

    def __init__(self) -> None:
        self.inner = ExternalAdapter()
        self.capabilities = self.inner.capabilities

    def reset(self, sandbox: Sandbox) -> None:
        self.inner.reset(sandbox)

    def apply(self, obj: dict[str, Any]) -> Outcome:
        return self.inner.apply(obj)

    def delete(self, kind: str, namespace: str, name: str, propagation: str = "Background") -> Outcome:
        return self.inner.delete(kind, namespace, name, propagation)

    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Outcome:
        return self.inner.scale(kind, namespace, name, replicas)

    def rollout_undo(self, namespace: str, name: str, to_revision: int = 0) -> Outcome:
        return self.inner.rollout_undo(namespace, name, to_revision)

    def inject(self, fault: object) -> Outcome:
        return self.inner.inject(fault)

    def settle(self, timeout: float) -> bool:
        return self.inner.settle(timeout)

    def observe(self) -> list[dict[str, Any]]:
        return self.inner.observe()

    def changes(self, since: str) -> Any:
        return self.inner.changes(since)

    def close(self) -> None:
        self.inner.close()


class ScalesOneHigher(ThirdParty):
    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Outcome:
        return self.inner.scale(kind, namespace, name, replicas + 1 if replicas >= 0 else replicas)


class AlwaysOrphans(ThirdParty):
    def delete(self, kind: str, namespace: str, name: str, propagation: str = "Background") -> Outcome:
        return self.inner.delete(kind, namespace, name, "Orphan")


class UndoesToRevisionOne(ThirdParty):
    def rollout_undo(self, namespace: str, name: str, to_revision: int = 0) -> Outcome:
        return self.inner.rollout_undo(namespace, name, 1)


class KeepsTheOldImage(ThirdParty):
    def apply(self, obj: dict[str, Any]) -> Outcome:
        md = obj.get("metadata") or {}
        old = next((o for o in self.inner.observe() if o["kind"] == obj.get("kind") == "Deployment"
                    and o["metadata"]["name"] == md.get("name")
                    and o["metadata"].get("namespace") == md.get("namespace", "default")), None)
        if old is not None:
            images = [c["image"] for c in old["spec"]["template"]["spec"]["containers"]]
            obj = copy.deepcopy(obj)
            for c, image in zip(obj["spec"]["template"]["spec"]["containers"], images):
                c["image"] = image
        return self.inner.apply(obj)


def largest_takes_every_added_replica(stack: ExitStack) -> None:
    """A proportional scaling that hands every added replica to the largest ReplicaSet (upstream spreads
    them by size: scaling 6 -> 12 in mid-rollout with maxSurge 3 gives 11/4, this gives 12/3)."""
    from refmodel.controllers import deployment_util as du

    orig = du.get_proportion

    def get_proportion(rs: Any, d: Any, to_add: int, added: int) -> int:
        if to_add > 0 and rs is not None and du.spec_replicas(rs) > 0:
            return to_add - added
        return orig(rs, d, to_add, added)  # type: ignore[no-any-return]
    du.get_proportion = get_proportion
    stack.callback(setattr, du, "get_proportion", orig)


class LargestTakesAll(ThirdParty):
    """Its controllers differ: the bug is patched in only while its own code runs (the harness's
    model, called between the adapter's calls, stays upstream's)."""

    def _mine(self, fn: Any, *args: Any) -> Any:
        with ExitStack() as stack:
            largest_takes_every_added_replica(stack)
            return fn(*args)

    def inject(self, fault: object) -> Outcome:
        return self._mine(self.inner.inject, fault)  # type: ignore[no-any-return]

    def settle(self, timeout: float) -> bool:
        return self._mine(self.inner.settle, timeout)  # type: ignore[no-any-return]


THIRD_PARTY_BUGS = [
    (ScalesOneHigher, "replicaset"),
    (AlwaysOrphans, "replicaset"),
    (UndoesToRevisionOne, "deployment"),
    (KeepsTheOldImage, "deployment"),
    (LargestTakesAll, "deployment"),
]
BUDGET = settings(max_examples=300, stateful_step_count=30, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _verdict(adapter: Any, machine: str, examples: int = 300) -> tuple[str, str] | None:
    """(invariant, message) of the first failure of ``machine`` against ``adapter``, None if it passed."""
    try:
        run_state_machine_as_test(factory(machine, bind(adapter), Stats()),
                                  settings=settings(BUDGET, max_examples=examples))
    except Violation as exc:
        return exc.failure.invariant, exc.failure.message
    return None


@pytest.mark.parametrize("bug, machine", THIRD_PARTY_BUGS, ids=[b.__name__ for b, _ in THIRD_PARTY_BUGS])
def test_a_third_party_with_one_behaviour_changed_fails(bug: type[ThirdParty], machine: str) -> None:
    # a witness first, as the self-test does: the issue's own case for the proportional scaling bug (a
    # derandomized search reaches scale_mid_rollout's premise or not as the machines' draws shift)
    witness = WITNESS_SCRIPTS.get(bug)
    if witness is not None and replay_events(bug(), witness()).failures:
        return
    verdict = _verdict(bug(), machine)
    assert verdict is not None, f"{bug.__name__} ({bug.__doc__ or ''}) passed machine {machine}"


def test_the_unchanged_third_party_passes() -> None:
    for machine in ("replicaset", "deployment"):
        verdict = _verdict(ThirdParty(), machine, 60)
        assert verdict is None, f"the unchanged protocol-only model failed machine {machine}: {verdict}"


def _mid_rollout_scale() -> list[Any]:
    """The issue's case: 6 replicas, maxSurge 3, a rollout stuck on a bad image, scaled to 12."""
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                    "strategy": {"rollingUpdate": {"maxSurge": 3, "maxUnavailable": 0}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}}
    new = copy.deepcopy(dep)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:broken"
    return [ev.Apply(dep), None, ev.ImagePullFailed("nginx:broken"), ev.Apply(new), None,
            ev.Scale("Deployment", "default", "web", 12), None, ev.ImagePullRecovered("nginx:broken"), None]


WITNESS_SCRIPTS = {LargestTakesAll: _mid_rollout_scale}


def test_proportional_scaling_bug_is_caught_mid_rollout_although_the_rollout_completes() -> None:
    script = _mid_rollout_scale()
    good = replay_events(ThirdParty(), script)
    bad = replay_events(LargestTakesAll(), script)
    assert not good.failures, f"the unchanged third party failed: {good.failures[0]}"
    names = {f.invariant for f in bad.failures}
    assert "after every step, the objects it touched equal the model's (after canonicalisation)" in names, names
    first = next(f for f in bad.failures if f.invariant.startswith("after every step"))
    assert "ReplicaSet/default/web-" in first.message, first.message
    settled = [f for f in bad.failures if f.invariant.startswith("after settle, the adapter's state")]
    assert len(settled) < len(bad.failures), "only the settled comparison saw it"


# ---- timers that fire early: invisible through the protocol, seen at the probe a second early -------
class EarlyTimers(ThirdParty):
    """Its controllers' timers fire early (a seeded bug patched in only while its own code runs, so the
    harness's model stays upstream's). The harness cannot see the adapter's timers, and a settle driven by
    the model's clock steps would jump straight to the model's deadline, where both act at once."""

    mutant = ""

    def _mine(self, fn: Any, *args: Any) -> Any:
        with applied(BY_NAME[self.mutant]):
            return fn(*args)

    def inject(self, fault: object) -> Outcome:
        return self._mine(self.inner.inject, fault)  # type: ignore[no-any-return]

    def settle(self, timeout: float) -> bool:
        return self._mine(self.inner.settle, timeout)  # type: ignore[no-any-return]


class EvictsEarly(EarlyTimers):
    mutant = "evicts-early"


class TimesOutEarly(EarlyTimers):
    mutant = "deadline-early"


def _workload(kind: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}, **spec}}


EVICTION = [ev.Apply(_workload("ReplicaSet")), None, ev.NodeFailed("node-0"), None]
STUCK = _workload("Deployment", progressDeadlineSeconds=120)
STUCK_NEW = copy.deepcopy(STUCK)
STUCK_NEW["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:broken"
DEADLINE = [ev.Apply(STUCK), None, ev.ImagePullFailed("nginx:broken"), ev.Apply(STUCK_NEW), None]


@pytest.mark.parametrize("bug, script, caught_by", [
    (EvictsEarly, EVICTION, "a pod on a node with a NoExecute taint is evicted no earlier than its tolerationSeconds "
                            "after the taint"),
    (TimesOutEarly, DEADLINE, "after every step, the objects it touched equal the model's (after canonicalisation)"),
], ids=["evicts-early", "deadline-early"])
def test_a_timer_that_fires_early_in_the_adapter_is_caught(bug: type[EarlyTimers], script: list[Any],
                                                             caught_by: str) -> None:
    good = replay_events(ThirdParty(), script)
    assert not good.failures, f"the unchanged third party failed: {good.failures[0]}"
    bad = replay_events(bug(), script)
    names = [f.invariant for f in bad.failures]
    assert caught_by in names, f"{bug.__name__}: failures {names}, but {caught_by!r} should be among them"
    assert all(f.message for f in bad.failures), names


# ---- nothing but the protocol and declared powers changes the verdict ----------------------------
class Liar(ScalesOneHigher):
    """The same buggy system, also exposing what the harness once probed for: a ``state`` and ``last`` of
    a correct model, an event fast path ``step`` and ``accepts_events`` that bypass the bug, and a
    ``snapshot`` of the correct model, none of them declared."""

    accepts_events = True

    def __init__(self) -> None:
        super().__init__()
        self.honest = ModelAdapter()
        self.state = self.honest.state
        self.last = None

    def reset(self, sandbox: Sandbox) -> None:
        super().reset(sandbox)
        self.honest.reset(sandbox)
        self.state = self.honest.state

    def step(self, event: Any) -> Outcome:
        out = self.honest.step(event)
        self.state = self.honest.state
        return out

    def snapshot(self) -> Any:
        return self.honest.snapshot()


def test_undeclared_attributes_change_nothing_the_suite_concludes() -> None:
    plain = _verdict(ScalesOneHigher(), "replicaset", 200)
    liar = _verdict(Liar(), "replicaset", 200)
    assert plain is not None, "the buggy third party passed"
    assert liar == plain, f"undeclared attributes changed the verdict: {liar} versus {plain}"


# ---- an adapter that raises: exit 2, its own frame named -----------------------------------------
CRASHY = textwrap.dedent('''
    from conformance.adapters.external import ExternalAdapter


    class Crashy(ExternalAdapter):
        name = "crashy"
        capabilities = frozenset({"virtual-time"})

        def settle(self, timeout):
            raise ConnectionError("the API server went away")


    def factory():
        return Crashy()
''')


def test_an_adapter_whose_settle_raises_exits_2_naming_its_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kubeoracle_crashy.py").write_text(CRASHY)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = conformance_main(["--adapter", "kubeoracle_crashy:factory", "--machines", "replicaset", "--examples",
                             "5", "--steps", "10", "--profile", "ci", "--report", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 2, f"exit {code}, but a run an adapter error stopped must exit 2 (UNKNOWN)\n{out[-1500:]}"
    verdict = out[out.index("UNKNOWN: the adapter could not run every example"):].splitlines()
    assert out.index("UNKNOWN: the adapter") < out.index(" steps ("), "the adapter error must come first"
    assert "adapter error" in verdict[1] and "settle()" in verdict[1], verdict[:3]
    assert f"{tmp_path / 'kubeoracle_crashy.py'}:10 in settle" in verdict[1], verdict[:3]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["valid"] == "unknown" and results["machines"]["replicaset"]["adapter_error"]["method"] == "settle"
