"""The suite's own machinery: the invariant registry, canonicalisation, event scripts, the runner,
replay, vacuity accounting and the pytest plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import refmodel as rm
from conformance.adapters import Sandbox, load
from conformance.adapters.external import ExternalAdapter
from conformance.adapters.model import ModelAdapter
from conformance.canon import first_difference
from conformance.harness import Run, Stats
from conformance.invariants import ALL, BY_NAME, Context, Step
from conformance.invariants.differential import INVARIANTS as DIFFERENTIAL
from conformance.mutants import BY_NAME as MUTANT
from conformance.mutants import applied
from conformance.runner import main as conformance_main
from conformance.script import dump_script, load_script, replay_events
from conformance.view import StateView
from refmodel import events as ev

ROOT = Path(__file__).resolve().parents[1]
RS = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front", "namespace": "default"},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"rs": "front"}},
               "template": {"metadata": {"labels": {"rs": "front"}},
                            "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}}}


def test_registry_has_twenty_named_invariants_of_three_kinds() -> None:
    assert len(ALL) >= 20, f"{len(ALL)} invariants, but the suite promises at least 20"
    assert {i.kind for i in ALL} == {"state", "transition", "convergence"}
    for inv in ALL:
        first = inv.name.split(" ", 1)[0]
        assert (first[0].islower() or first.isupper()) and " " in inv.name, \
            f"{inv.name!r} should read as a sentence (lower case, or an acronym such as DNS, first)"
        assert inv.rules, f"{inv.name!r} cites no upstream rule"


# every cited rule id resolves in conformance/catalogue.py: tests/test_catalogue.py


def test_canonical_forms_ignore_ids_ips_names_and_nodes_but_not_specs() -> None:
    a = rm.converge(rm.step(rm.new_cluster(nodes=3), ev.Apply(RS)))
    b_state = rm.step(rm.new_cluster(nodes=3), ev.Apply({"apiVersion": "v1", "kind": "Namespace",
                                                         "metadata": {"name": "unrelated"}}))
    b = rm.converge(rm.step(b_state, ev.Apply(RS)))  # other uids, resourceVersions and generated names
    assert first_difference(StateView(a), StateView(b), ["default"]) is None
    c = rm.converge(rm.step(a, ev.Scale("ReplicaSet", "default", "front", 3)))
    diff = first_difference(StateView(c), StateView(a), ["default"])
    assert diff is not None and "front" in diff, f"a scaled ReplicaSet compared equal to the original: {diff}"


def test_rejected_write_that_changes_something_is_caught() -> None:
    before = StateView(rm.converge(rm.step(rm.new_cluster(nodes=1), ev.Apply(RS))))
    after = StateView(rm.step(before.state, ev.Scale("ReplicaSet", "default", "front", 5)))
    from conformance.adapters import Outcome

    step = Step(ev.Scale("ReplicaSet", "default", "front", -1), Outcome.rejected("Invalid", "spec.replicas"),
                before, after)
    inv = BY_NAME["a rejected write changes nothing"]
    premises, violations = inv.check(step, Context(capabilities=frozenset({"single-step"})))
    assert premises == 1 and violations, "a rejected request that changed the ReplicaSet went unnoticed"
    assert "ReplicaSet/default/front changed" in violations[0]


def test_scripts_round_trip_and_replay() -> None:
    events = [ev.Apply(RS), ev.Scale("ReplicaSet", "default", "front", 3), None]
    text = dump_script(None, [{"event": "Settle"} if e is None else ev.event_to_dict(e) for e in events],
                       machine="replicaset", adapter="model")
    meta, loaded = load_script(text)
    assert meta == {"machine": "replicaset", "adapter": "model"} and loaded == events
    run = replay_events(ModelAdapter(), loaded)
    assert not run.failures, run.failures
    pods = [o for o in run.sut.observe() if o["kind"] == "Pod"]
    assert len(pods) == 3, f"{len(pods)} pods after replay, but should be 3"
    with pytest.raises(ValueError, match=r'events\[0\]\.event: Unsupported value: "Explode"'):
        load_script("events:\n- {event: Explode}\n")


def test_replay_reproduces_a_seeded_bug() -> None:
    script = [ev.Apply(RS), None, ev.Scale("ReplicaSet", "default", "front", 3), None]
    with applied(MUTANT["rs-one-pod-short"]):
        run = replay_events(ModelAdapter(), script)
    names = {f.invariant for f in run.failures}
    assert "after settle, every ReplicaSet not being deleted has exactly spec.replicas active pods" in names, names


def test_vacuity_is_counted_per_invariant_and_rule() -> None:
    stats = Stats()
    run = Run(ModelAdapter(), stats)
    run.do(ev.Apply(RS))
    run.settle()
    inv = "after settle, every ReplicaSet not being deleted has exactly spec.replicas active pods"
    assert stats.premises[inv] == 1 and stats.checks[inv] == 1
    assert stats.premises["after settle, a Deployment whose new ReplicaSet is saturated has no old ReplicaSet with replicas"] == 0
    assert stats.rules["Apply"] == 1 and stats.rules["Settle"] == 1 and stats.intermediate > 0


def test_runner_writes_results_and_summary(tmp_path: Path) -> None:
    code = conformance_main(["--machines", "replicaset", "--examples", "15", "--steps", "15", "--profile", "ci",
                             "--report", str(tmp_path), "--quiet"])
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["valid"] in (True, "unknown"), results["machines"]
    assert code == {True: 0, "unknown": 2}[results["valid"]], f"exit {code} for a run that is {results['valid']}"
    inv = results["invariants"]["resourceVersion only grows"]
    assert inv["valid"] is True and inv["checks"] > 0 and inv["premises"] > 0
    assert all(results["invariants"][v]["vacuous"] for v in results["vacuous"])
    summary = (tmp_path / "summary.md").read_text()
    assert "| resourceVersion only grows |" in summary and "What a pass means" in summary


def test_runner_exits_non_zero_on_a_failure_and_saves_the_script(tmp_path: Path) -> None:
    with applied(MUTANT["rs-one-pod-short"]):
        code = conformance_main(["--machines", "replicaset", "--examples", "150", "--steps", "20", "--profile",
                                 "ci", "--report", str(tmp_path), "--quiet"])
    assert code == 1, f"exit {code}, but a failing run must exit 1"
    results = json.loads((tmp_path / "results.json").read_text())
    bad = [n for n, i in results["invariants"].items() if i["valid"] is False]
    assert bad and results["invariants"][bad[0]]["counterexample"] == "counterexamples/replicaset.yaml"
    assert (tmp_path / "counterexamples" / "replicaset.yaml").is_file()


@pytest.mark.parametrize("argv", [["--machines", "nope"], ["--adapter", "nope"], ["--examples", "0"]])
def test_runner_usage_errors_exit_2(argv: list[str]) -> None:
    assert conformance_main([*argv, "--quiet"]) == 2


def test_pytest_plugin_runs_the_machines(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    from importlib.metadata import entry_points

    # installed, the plugin loads through its pytest11 entry point; from a bare checkout, with -p
    registered = any(ep.name == "kubeoracle" for ep in entry_points(group="pytest11"))
    plugin = [] if registered else ["-p", "conformance.plugin"]
    base = [sys.executable, "-m", "pytest", *plugin, "--pyargs", "conformance", "-q",
            "-p", "no:cacheprovider", "--conformance-examples", "5", "--conformance-steps", "10"]
    ok = subprocess.run([*base, "--adapter", "model", "--conformance-report", str(tmp_path)], env=env,
                        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout[-2000:]
    assert "kubeoracle conformance" in ok.stdout and (tmp_path / "results.json").is_file()
    bad = subprocess.run([*base, "--adapter", "nope"], env=env, capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert bad.returncode == 4 and "unknown adapter 'nope'" in bad.stderr, (bad.returncode, bad.stderr[-500:])


# ---- the oracle is the harness's own --------------------------------------------------------------
def test_differential_checks_are_not_applicable_to_the_built_in_model(tmp_path: Path) -> None:
    code = conformance_main(["--machines", "replicaset", "--examples", "10", "--steps", "10", "--profile", "ci",
                             "--report", str(tmp_path), "--quiet"])
    results = json.loads((tmp_path / "results.json").read_text())
    assert code in (0, 2), code
    for inv in DIFFERENTIAL:
        entry = results["invariants"][inv.name]
        assert entry["valid"] == "not applicable" and entry["checks"] == 0, (inv.name, entry)


def test_differential_checks_run_against_an_external_adapter() -> None:
    stats = Stats()
    run = Run(load("external"), stats)
    run.do(ev.Apply(RS))
    run.settle()
    assert not run.failures, run.failures
    for inv in DIFFERENTIAL:
        assert stats.checks[inv.name] > 0 and inv.name not in stats.not_applicable, (inv.name, stats.checks)


def test_the_oracle_is_built_from_the_sandbox_not_taken_from_the_adapter() -> None:
    class Lies(ExternalAdapter):
        """Builds a 2-node cluster whatever it is asked."""

        def reset(self, sandbox: Sandbox) -> None:
            super().reset(Sandbox(nodes=2))

    run = Run(Lies(), Stats(), raise_on_violation=False)
    run.settle()
    assert run.model.count("Node") == 3, "the harness's model must follow the sandbox it asked for"
    assert any("Node/" in f.message for f in run.failures), [f.message for f in run.failures]


def test_intermediate_states_without_snapshots_compare_like_the_model() -> None:
    # settle_steps yielding plain lists (as a third party would) against lists from observe(): no false
    # "resourceVersion only grows" (lists and tuples once compared unequal)
    class Shows(ExternalAdapter):
        capabilities = ExternalAdapter.capabilities - {"single-step", "watch"} | {"intermediate"}

        def settle_steps(self):  # type: ignore[no-untyped-def]
            from conformance.adapters.model import bounded_converge_steps

            for event, state in bounded_converge_steps(self.state, 2000):
                self.state = state
                yield event, self.observe()

    stats = Stats()
    run = Run(Shows(), stats, raise_on_violation=False)
    run.do(ev.Apply(RS))
    run.settle()
    run.do(ev.Scale("ReplicaSet", "default", "front", 4))
    run.settle()
    assert stats.intermediate > 0
    assert not run.failures, [f"{f.invariant}: {f.message}" for f in run.failures]


def test_the_external_column_kills_a_mutant_the_in_model_column_kills() -> None:
    from conformance.selftest import kill

    mutant = MUTANT["rs-one-pod-short"]
    opts = {"examples": 150, "steps": 20, "profile": "ci", "database": "none", "shrink": False}
    inside = kill(mutant, "model", opts, "in-model")
    outside = kill(mutant, "model", opts, "external")
    assert inside["valid"] is False, f"in-model: {inside.get('error')}"
    assert outside["valid"] is False and outside["failure"]["invariant"], f"external: {outside.get('error')}"
    assert outside["failure"]["script"].split("adapter: ")[1].split()[0] == "subprocess:rs-one-pod-short"


def test_a_lower_condemned_pod_terminating_does_not_hold_scale_down() -> None:
    """SS-6 as upstream's updateStatefulSet has it: processCondemned walks the condemned pods from the
    highest ordinal down and waits only at a terminating one it reaches, so with pod 2 stuck terminating
    (evicted from a failed node) a scale from 4 to 2 deletes pod 3 at once. The suite once called that a
    violation (found by a random run of the mixed machine)."""
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "kv", "namespace": "default"},
           "spec": {"replicas": 4, "serviceName": "kv", "selector": {"matchLabels": {"sts": "kv"}},
                    "template": {"metadata": {"labels": {"sts": "kv"}},
                                 "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}}}
    stats = Stats()
    run = Run(ModelAdapter(), stats, raise_on_violation=False)
    run.do(ev.Apply(sts))
    assert run.settle()
    node_of = {o["metadata"]["name"]: o["spec"].get("nodeName") for o in run.sut.observe() if o["kind"] == "Pod"}
    failed = node_of["kv-2"]
    assert failed not in (node_of["kv-0"], node_of["kv-1"], node_of["kv-3"]), f"the pods share nodes: {node_of}"
    run.do(ev.NodeFailed(failed))
    run.settle()  # pod 2 is evicted and stays terminating: its kubelet is gone
    pods = {o["metadata"]["name"]: o for o in run.sut.observe() if o["kind"] == "Pod"}
    assert pods["kv-2"]["metadata"].get("deletionTimestamp"), "pod 2 was not left terminating"
    run.do(ev.Scale("StatefulSet", "default", "kv", 2))
    run.settle()
    assert not run.failures, [f.message for f in run.failures]
    left = sorted(o["metadata"]["name"] for o in run.sut.observe() if o["kind"] == "Pod")
    assert "kv-3" not in left, f"pods {left} after the scale-down: pod 3 should be deleted though pod 2 terminates"
    inv = "under OrderedReady a StatefulSet scales down from the highest ordinal, one pod at a time"
    assert stats.premises[inv] >= 1, "the scale-down was never judged"
