"""The suite's shortcuts change nothing it concludes: cached state verdicts, the identity fast path of
``diff_kind``, the external adapter's wire values and the machines' rule choice (:mod:`conformance.harness`,
:mod:`conformance.view`, :mod:`conformance.adapters.external`, :mod:`conformance.rules.choice`)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

import refmodel as rm
from conformance.adapters import load
from conformance.adapters.external import ExternalAdapter
from conformance.harness import FULL_COLLECTION_EVERY, Run, Stats, collector_for_runs
from conformance.invariants import Context, Invariant, Verdict
from conformance.machines import MACHINES, build
from conformance.rules.choice import RuleChoice, install
from conformance.view import ListView, StateView, View, WatchView, changed_kinds, diff_kind
from refmodel import events as ev

RS = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front", "namespace": "default"},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"rs": "front"}},
               "template": {"metadata": {"labels": {"rs": "front"}},
                            "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
      "data": {"a": "1"}}


def _pod_counter(seen: list[int]) -> Invariant:
    def check(view: View, ctx: Context) -> Verdict:
        n = sum(1 for _ in view.objects("Pod"))
        seen.append(n)
        return n, []
    return Invariant("test: pods are counted", ("API-1",), "state", check, reads=("Pod",))


def test_a_state_verdict_is_reused_only_while_the_kinds_it_reads_are_unchanged() -> None:
    for adapter in ("external", "model"):
        seen: list[int] = []
        inv = _pod_counter(seen)
        stats = Stats()
        run = Run(load(adapter), stats, (inv,))
        assert seen == [], "a state invariant ran before the first step"
        run.do(ev.Apply(CM))  # no pod changes: the cached verdict stands
        assert seen == [0], f"{adapter}: evaluated {len(seen)} times over an unchanged pod list, but should be once"
        run.do(ev.Apply(RS))
        run.settle()  # pods are created: evaluated again, and the verdict is the new one
        assert seen[-1] == 2, f"{adapter}: the last evaluation counted {seen[-1]} pods, but 2 exist after settle"
        n = len(seen)
        run.do(ev.Apply({**CM, "data": {"a": "2"}}))
        assert len(seen) == n, f"{adapter}: re-evaluated after a ConfigMap write that touched no pod"
        run.do(ev.Scale("ReplicaSet", "default", "front", 3))
        run.settle()
        assert seen[-1] == 3, f"{adapter}: counted {seen[-1]} pods after scaling to 3, but should be 3"
        # every check is counted, cached or not, and premises follow the cached verdicts
        assert stats.checks[inv.name] > len(seen), (stats.checks[inv.name], len(seen))
        assert stats.premises[inv.name] >= 3 * (stats.checks[inv.name] - len(seen))


def test_after_one_watch_batch_only_the_state_checks_reading_a_kind_it_touched_are_evaluated_again() -> None:
    seen: list[int] = []
    pods = _pod_counter(seen)
    seen_cm: list[int] = []

    def count_config_maps(view: View, ctx: Context) -> Verdict:
        seen_cm.append(sum(1 for _ in view.objects("ConfigMap")))
        return 0, []

    cms = Invariant("test: config maps are counted", ("API-1",), "state", count_config_maps, reads=("ConfigMap",))
    run = Run(load("external"), Stats(), (pods, cms))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo", "namespace": "default"},
           "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}
    run.do(ev.Apply(CM))
    assert (seen, seen_cm) == ([0], [1]), f"pods counted {seen}, config maps {seen_cm} after the first step"
    run.do(ev.Apply(pod))  # one batch that wrote a pod: the pod check again, the config map check kept
    assert (seen, seen_cm) == ([0, 1], [1]), f"pods counted {seen}, config maps {seen_cm} after a pod was created"
    run.do(ev.Apply({**CM, "data": {"a": "2"}}))
    assert (seen, seen_cm) == ([0, 1], [1, 1]), f"pods counted {seen}, config maps {seen_cm} after a ConfigMap write"


def _slow_diff(before: View, after: View, kind: str) -> set[tuple[str, str]]:
    """Every changed object as (key, JSON) pairs, by comparing whole lists (no identity shortcut)."""
    b = ListView(list(before.objects(kind)))
    a = ListView(list(after.objects(kind)))
    return {(json.dumps(o, sort_keys=True), json.dumps(n, sort_keys=True)) for o, n in diff_kind(b, a, kind)}


def _fast_diff(before: View, after: View, kind: str) -> set[tuple[str, str]]:
    return {(json.dumps(o, sort_keys=True), json.dumps(n, sort_keys=True)) for o, n in diff_kind(before, after, kind)}


def test_diff_kind_by_identity_finds_what_a_full_comparison_finds() -> None:
    events: list[Any] = [ev.Apply(RS), ev.Apply(CM), ev.Scale("ReplicaSet", "default", "front", 4),
                         ev.Delete("ConfigMap", "default", "cfg"), ev.ClockAdvanced(30)]
    state = rm.new_cluster(nodes=2)
    adapter = ExternalAdapter()
    adapter.state = state
    version, _, upserts, _ = adapter.changes("")
    watch = WatchView({}, 0, "").advance(version, True, upserts, [], 0)
    changed_somewhere = 0
    for event in events:
        for e in [event, *(e for e, _ in rm.converge_steps(rm.step(state, event)))]:
            new = rm.step(state, e)
            adapter.state = new
            version, relist, upserts, deletes = adapter.changes(watch.version_token)
            assert not relist
            nxt = watch.advance(version, False, upserts, deletes, 0)
            for kind in ("Pod", "ReplicaSet", "ConfigMap", "Node"):
                for b, a in ((StateView(state), StateView(new)), (watch, nxt)):
                    fast, slow = _fast_diff(b, a, kind), _slow_diff(b, a, kind)
                    assert fast == slow, f"{kind} after {e}: the identity path found {len(fast)} changes, " \
                                         f"but a full comparison finds {len(slow)}"
                    changed_somewhere += bool(fast)
            state, watch = new, nxt
    assert changed_somewhere > 10, "the sequence changed too little to test anything"


def test_a_watch_batch_that_changed_nothing_keeps_the_view_and_what_was_built_from_it() -> None:
    adapter = ExternalAdapter()
    adapter.apply(json.loads(json.dumps(RS)))
    adapter.settle()
    version, _, upserts, _ = adapter.changes("")
    view = WatchView({}, 0, "").advance(version, True, upserts, [], 100)
    built = view.memo("test-pods", lambda v: sorted(o["metadata"]["name"] for o in v.objects("Pod")))
    version, relist, upserts, deletes = adapter.changes(view.version_token)
    assert not relist and not upserts and not deletes
    same = view.advance(version, False, upserts, deletes, 100)
    assert same is view and same.version_token == version, "an empty batch at the same time made a new view"
    version, _, upserts, deletes = adapter.changes(same.version_token)  # the token it kept is the adapter's
    later = same.advance(version, False, upserts, deletes, 130)
    assert later is not same and later.now == 130 and later.prev is same
    assert later.versions() is same.versions(), "a quiet clock step copied the maps"
    assert later.memo("test-pods", lambda v: []) is built, "a quiet clock step rebuilt what the objects give"
    assert list(diff_kind(same, later, "Pod")) == []
    adapter.scale("ReplicaSet", "default", "front", 1)
    version, _, upserts, deletes = adapter.changes(later.version_token)
    moved = later.advance(version, False, upserts, deletes, 130)
    assert moved is not later and moved.memo("test-pods", lambda v: None) is None, "a memo outlived a write"
    assert [a["spec"]["replicas"] for _, a in diff_kind(later, moved, "ReplicaSet")] == [1]


def test_the_back_off_judgement_of_one_step_is_never_taken_for_another_with_the_same_after_view() -> None:
    from conformance.invariants import Step
    from conformance.invariants.timing import restart_not_before_backoff

    def pod(restarts: int, finished: str, started: str) -> dict[str, Any]:
        status = {"name": "main", "restartCount": restarts, "state": {"running": {"startedAt": started}},
                  "lastState": {"terminated": {"finishedAt": finished}}}
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
                "spec": {"containers": [{"name": "main", "image": "i"}]},
                "status": {"containerStatuses": [status]}}

    before = ListView([pod(0, "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z")], 1735689600)
    after = ListView([pod(1, "2025-01-01T00:00:10Z", "2025-01-01T00:00:11Z")], 1735689611)
    ctx = Context(capabilities=frozenset({"virtual-time"}))
    restarted = Step(ev.Reconcile("kubelet", "node-0"), None, before, after, True)
    assert restart_not_before_backoff(restarted, ctx)[0] == 1, "the restart was not judged"
    del restarted  # a new step may get the old one's id: the view is the after of both
    quiet = Step(ev.Reconcile("kubelet", "node-0"), None, after, after, True)
    premises, violations = restart_not_before_backoff(quiet, ctx)
    assert (premises, violations) == (0, []), f"a step that changed nothing judged {premises} restarts {violations}"


def test_the_external_adapter_answers_json_values_that_share_nothing_with_its_model() -> None:
    adapter = ExternalAdapter()
    out = adapter.apply(json.loads(json.dumps(RS)))
    assert out.status == "ok" and out.obj is not None
    assert out.obj == json.loads(json.dumps(out.obj)) and type(out.obj) is dict
    assert type(out.obj["spec"]["template"]["spec"]["containers"]) is list
    out.obj["spec"]["replicas"] = 99  # the caller owns the answer: the model is untouched
    assert adapter.state.get("ReplicaSet", "default", "front")["spec"]["replicas"] == 2
    adapter.settle()
    _, _, upserts, _ = adapter.changes("")
    assert upserts == json.loads(json.dumps(upserts)) and all(type(o) is dict for o in upserts)
    assert any(o["kind"] == "Pod" for o in upserts)


# ---- the rule choice (conformance.rules.choice) ----------------------------------------------------------------
def test_every_machine_chooses_its_rules_with_the_cheap_choice() -> None:
    # if a Hypothesis upgrade drops what RuleChoice relies on, install() keeps Hypothesis' own (slower) choice:
    # this test says so, and the benchmark's floor would fall back to about 1,700 steps/s
    for name in MACHINES:
        machine = build(name, load("model"), Stats())()
        assert isinstance(machine._rules_strategy, RuleChoice), f"{name}: {machine._rules_strategy!r}"


class _Toy(RuleBasedStateMachine):
    """Five rules, two of them applicable only after ``arm``: what the choice may pick, and how often."""

    runs: ClassVar[Counter[str]] = Counter()
    per_example: ClassVar[list[set[str]]] = []
    args: ClassVar[Counter[tuple[str, object]]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        install(self)
        self.armed = False
        self.seen: set[str] = set()
        type(self).per_example.append(self.seen)

    def _count(self, name: str) -> None:
        type(self).runs[name] += 1
        self.seen.add(name)

    @rule()
    def arm(self) -> None:
        self._count("arm")
        self.armed = True

    @rule(n=st.integers(0, 3), side=st.sampled_from(("left", "right")))
    def plain(self, n: int, side: str) -> None:  # two small arguments: one packed draw
        self._count("plain")
        type(self).args[("n", n)] += 1
        type(self).args[("side", side)] += 1

    @rule()
    def other(self) -> None:
        self._count("other")

    @precondition(lambda self: self.armed)
    @rule(n=st.integers(0, 3))
    def fire(self, n: int) -> None:
        assert self.armed, "fire ran while its precondition was false"
        self._count("fire")

    @precondition(lambda self: False)
    @rule()
    def never(self) -> None:
        raise AssertionError("a rule whose precondition is always false ran")


_TOY = settings(max_examples=200, stateful_step_count=20, derandomize=True, database=None, deadline=None,
                phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def test_the_choice_respects_preconditions_and_reaches_every_applicable_rule_with_a_swarm() -> None:
    _Toy.runs, _Toy.per_example, _Toy.args = Counter(), [], Counter()
    run_state_machine_as_test(_Toy, settings=_TOY)
    runs = _Toy.runs
    want = {("n", 0), ("n", 1), ("n", 2), ("n", 3), ("side", "left"), ("side", "right")}
    assert set(_Toy.args) == want, f"packed arguments drew {sorted(_Toy.args)}, but should reach every value"
    assert set(runs) == {"arm", "plain", "other", "fire"}, runs
    assert min(runs.values()) > 0.1 * sum(runs.values()) / len(runs), f"a rule is almost never chosen: {runs}"
    # the swarm: some examples run without some rules that are always applicable
    assert any({"plain", "other"} - seen for seen in _Toy.per_example if len(seen) > 2), \
        "every example ran every rule: no swarm"
    assert isinstance(_Toy()._rules_strategy, RuleChoice)


class _Bug(RuleBasedStateMachine):
    """Fails once ``b`` runs after ``a`` with n=3: the shrunk program must be just those two steps, with the
    packed arguments printed by name."""

    def __init__(self) -> None:
        super().__init__()
        install(self)
        self.a = False

    @rule()
    def a_step(self) -> None:
        self.a = True

    @rule(n=st.integers(0, 5))
    def b_step(self, n: int) -> None:
        assert not (self.a and n == 3), "b after a"

    @rule(m=st.integers(0, 9), flag=st.booleans())
    def noise(self, m: int, flag: bool) -> None:
        pass


def test_a_failure_found_through_the_choice_shrinks_to_its_two_steps() -> None:
    with pytest.raises(AssertionError, match="b after a") as info:
        run_state_machine_as_test(_Bug, settings=settings(
            max_examples=500, stateful_step_count=20, derandomize=True, database=None, deadline=None,
            suppress_health_check=list(HealthCheck)))
    program = [line for n in getattr(info.value, "__notes__", ()) for line in str(n).splitlines()
               if line.startswith("state.") and line != "state.teardown()"]
    assert program == ["state.a_step()", "state.b_step(n=3)"], program


# ---- transition checks skipped by the kinds whose changes they judge (Invariant.changes) --------------------
def _rv_check(changes: tuple[str, ...]) -> Invariant:
    from conformance.invariants import BY_NAME

    return attrs.evolve(BY_NAME["resourceVersion only grows"], changes=changes)


def _replicaset(rv: str) -> dict[str, Any]:
    return {**RS, "metadata": {**RS["metadata"], "uid": "rs-uid", "resourceVersion": rv}}


def test_a_step_that_lowers_only_a_replicasets_version_is_judged_and_a_wrong_declaration_is_caught() -> None:
    # the seeded bug: a write that takes a ReplicaSet's resourceVersion back, and nothing else changed (a watch
    # batch with that object alone); a declaration that leaves ReplicaSets out would skip the one check that sees it
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "uid": "p-uid",
                                                          "resourceVersion": "4"}, "spec": {}}
    before = WatchView({}, 0, "").advance("1", True, [pod, _replicaset("7")], [], 0)
    after = before.advance("2", False, [_replicaset("3")], [], 0)
    assert before.version("Pod") is after.version("Pod") and before.version("ReplicaSet") is not after.version(
        "ReplicaSet"), "the views do not isolate the ReplicaSet change"
    from conformance.harness import Violation
    from conformance.invariants import Step

    step = Step(ev.Reconcile("replicaset", "default/front"), None, before, after, True)
    right = _rv_check(("Namespace", "Node", "Pod", "ReplicaSet", "Deployment"))
    run = Run(load("external"), Stats(), (right,))
    with pytest.raises(Violation, match="resourceVersion=3 after a change"):
        run._check_step([right], step)
    wrong = _rv_check(("Pod",))  # the seeded declaration bug
    stats = Stats()
    run = Run(load("external"), stats, (wrong,))
    run._check_step([wrong], step)  # skipped: the bug goes unseen, but the check is still counted
    assert stats.checks[wrong.name] == 1 and not stats.violations
    run.audit_skips = True
    with pytest.raises(AssertionError, match="its declared kinds are wrong"):
        run._check_step([wrong], step)


_AUDIT = settings(max_examples=6, stateful_step_count=25, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def _audited(machine: str, adapter: str, invariants: tuple[Invariant, ...]) -> tuple[Stats, int]:
    """The machine's stats, and how many skipped checks the audit ran anyway."""
    from conformance.machines import factory

    stats = Stats()
    runs: list[Run] = []

    def audit(run: Run) -> None:
        run.audit_skips = True
        runs.append(run)

    run_state_machine_as_test(factory(machine, load(adapter), stats, invariants, on_run=audit), settings=_AUDIT)
    return stats, sum(r.audited for r in runs)


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_skipped_transition_check_would_have_found_nothing_and_changed_nothing(machine: str) -> None:
    from conformance.invariants import ALL

    for adapter in ("external", "model"):
        stats, audited = _audited(machine, adapter, ALL)  # raises when a skipped check had something to say
        assert stats.steps > 20, f"{machine} on {adapter}: only {stats.steps} steps"
        assert audited > stats.steps, f"{machine} on {adapter}: {audited} skipped checks audited in {stats.steps} steps"


def test_the_audit_fails_a_declaration_that_leaves_out_a_kind_the_check_judges() -> None:
    wrong = _rv_check(("Namespace",))  # resourceVersion only grows judges pods, sets, nodes... too
    run = Run(load("external"), Stats(), (wrong,))
    run.audit_skips = True
    with pytest.raises(AssertionError, match=r"resourceVersion only grows.*its declared kinds are wrong"):
        run.do(ev.Apply(RS))
        run.settle()
        run.do(ev.Scale("ReplicaSet", "default", "front", 3))  # an update of the set alone: no Namespace changed


def test_a_repeated_view_reuses_the_verdicts_of_the_same_checks_only() -> None:
    # the fast path of Run._check_state: the same objects and the same list of checks as the last time. A check
    # that was not in that list is run (a stale or missing verdict would be a KeyError or a wrong count)
    seen_a: list[int] = []
    seen_b: list[int] = []
    a, b = _pod_counter(seen_a), attrs.evolve(_pod_counter(seen_b), name="test: pods are counted again")
    stats = Stats()
    run = Run(load("external"), stats, (a, b))
    view = run.view
    first, both = [a], [a, b]
    run._check_state(view, first)
    run._check_state(view, first)
    assert (len(seen_a), len(seen_b)) == (1, 0) and stats.checks[a.name] == 2
    run._check_state(view, both)
    assert (len(seen_a), len(seen_b)) == (1, 1), "a check new to the list was not run"
    run._check_state(view, both)
    assert (len(seen_a), len(seen_b)) == (1, 1) and stats.checks[b.name] == 2 and stats.checks[a.name] == 4


# ---- the collector's schedule during a run ------------------------------------------------------------------------
def test_full_collections_are_rarer_during_a_run_and_the_schedule_is_restored_even_after_a_failure() -> None:
    import gc

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), collector_for_runs():
        during = gc.get_threshold()
        raise RuntimeError("a failing run")
    assert during[:2] == before[:2] and during[2] == max(before[2], FULL_COLLECTION_EVERY), \
        f"thresholds {during} during a run, but should be {before[:2]} with full collections every {FULL_COLLECTION_EVERY}"
    assert gc.get_threshold() == before, f"thresholds {gc.get_threshold()} after the run, but should be {before} again"


# ---- the kinds a watch batch touched ------------------------------------------------------------------------------
def test_the_kinds_a_watch_batch_touched_are_the_kinds_whose_version_changed() -> None:
    base = WatchView({}, 0, "").advance("1", True, [RS, CM], [], 0)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": {}}
    steps = [([pod], []), ([], [("ConfigMap", "default", "cfg")]), ([], [("Secret", "default", "none")]), ([], []),
             ([json.loads(json.dumps(RS))], [("Pod", "default", "p")])]
    before: View = base
    for upserts, deletes in steps:
        after = before.advance("v", False, upserts, deletes, 0)  # type: ignore[attr-defined]
        kinds = {k for k in ("ReplicaSet", "ConfigMap", "Pod", "Secret") if before.version(k) is not after.version(k)}
        assert changed_kinds(before, after) == kinds, (
            f"{changed_kinds(before, after)} for {upserts} {deletes}, but the kinds whose version changed are {kinds}")
        before = after
    assert changed_kinds(base, before) is None, "a view two batches on was said to know what changed since"
