"""The timing invariants (conformance/invariants/timing.py), judged from observed timestamps: each holds
over the model's own controller turns, fails on its seeded bug, and the machines reach its premise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from premise_runs import premises

import refmodel as rm
from conformance.adapters import Outcome
from conformance.invariants import Context, Step, Verdict, timing
from conformance.invariants._helpers import epoch
from conformance.mutants import BY_NAME as MUTANTS
from conformance.mutants import applied
from conformance.view import StateView
from refmodel import events as ev

T0 = "2024-01-01T00:00:00Z"
E0: int = epoch(T0) or 0

UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": T0}
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
]


def _rs(replicas: int = 1, *, min_ready: int = 0, cpu: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": "nginx:1.25"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"rs": "front"}},
                            "template": {"metadata": {"labels": {"rs": "front"}}, "spec": {"containers": [container]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front", "namespace": "default"},
            "spec": spec}


def _settled(*manifests: dict[str, Any]) -> rm.ClusterState:
    s = rm.new_cluster(nodes=3)
    for m in manifests:
        s = rm.converge(rm.transition(s, ev.Apply(m)).state)
    return s


class _Judge:
    """Runs one transition check over user steps and every controller turn of a settle, as the harness does."""

    def __init__(self, check: Callable[[Step, Context], Verdict], state: rm.ClusterState) -> None:
        self.check = check
        self.state = state
        self.ctx = Context(capabilities=frozenset({"virtual-time", "intermediate"}))
        self.premises = 0
        self.violations: list[str] = []

    def _judge(self, step: Step) -> None:
        n, bad = self.check(step, self.ctx)
        self.premises += n
        self.violations += bad

    def do(self, event: Any) -> bool:
        r = rm.transition(self.state, event)
        self._judge(Step(event, Outcome.ok() if r.ok else Outcome.rejected("x"), StateView(self.state),
                         StateView(r.state)))
        self.state = r.state
        return r.ok

    def settle(self) -> None:
        for event, s in rm.converge_steps(self.state):
            self._judge(Step(event, None, StateView(self.state), StateView(s), True))
            self.state = s


@pytest.fixture
def mutant(request: pytest.FixtureRequest) -> Iterator[None]:
    name = getattr(request, "param", None)
    if name is None:
        yield
        return
    with applied(MUTANTS[name]):
        yield


# ---- eviction (NODE-2, SCH-6) -----------------------------------------------------------------
def test_earliest_eviction_follows_get_min_toleration_time() -> None:
    # TestGetMinTolerationTime (pkg/controller/tainteviction/taint_eviction_test.go)
    assert timing.earliest_eviction(DEFAULT_TOLERATIONS, [UNREACHABLE]) == E0 + 300
    assert timing.earliest_eviction([], [UNREACHABLE]) == E0  # not tolerated: at once
    forever = [{"operator": "Exists", "effect": "NoExecute"}]
    assert timing.earliest_eviction(forever, [UNREACHABLE]) is None
    assert timing.earliest_eviction([*forever, *DEFAULT_TOLERATIONS[1:]], [UNREACHABLE]) == E0 + 300
    zero = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 0}]
    assert timing.earliest_eviction(zero, [UNREACHABLE]) == E0
    other = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
              "tolerationSeconds": 60}]
    assert timing.earliest_eviction(other, [UNREACHABLE]) == E0  # that toleration does not match


def _node_failure(check: Callable[[Step, Context], Verdict]) -> _Judge:
    judge = _Judge(check, _settled(_rs(3)))
    node = next(p["spec"]["nodeName"] for p in judge.state.iter_kind("Pod", "default"))
    judge.do(ev.NodeFailed(node))
    judge.settle()
    return judge


@pytest.mark.parametrize("mutant", [None, "evicts-early"], indirect=True)
def test_eviction_waits_for_the_toleration(mutant: None, request: pytest.FixtureRequest) -> None:
    judge = _node_failure(timing.eviction_not_before_toleration)
    assert judge.premises >= 1, "no eviction was judged"
    if request.node.callspec.params["mutant"] is None:
        assert judge.violations == []
    else:
        assert judge.violations and "s before its tolerations allow" in judge.violations[0], judge.violations


def test_an_orphan_adopted_and_deleted_as_a_surplus_is_not_an_early_eviction() -> None:
    # found by a default conformance run (nodes machine): a ReplicaSet orphans its pods on a failed node, a
    # second ReplicaSet adopts them and deletes the surplus in one turn, in the settle that also taints the node
    batch = _rs(4)
    batch["metadata"]["name"] = "batch"
    batch["spec"]["selector"]["matchLabels"]["track"] = "stable"
    batch["spec"]["template"]["metadata"]["labels"]["track"] = "stable"
    judge = _Judge(timing.eviction_not_before_toleration, _settled(batch))
    node = next(p["spec"]["nodeName"] for p in judge.state.iter_kind("Pod", "default"))
    judge.do(ev.NodeFailed(node))
    judge.do(ev.Delete("ReplicaSet", "default", "batch", propagation="Orphan"))
    judge.do(ev.ClockAdvanced(301))
    judge.do(ev.Apply(_rs(1)))
    judge.settle()
    front = judge.state.get("ReplicaSet", "default", "front")
    assert front is not None and front["status"]["replicas"] == 1, "the surplus adopted pods were deleted"
    assert judge.violations == []


def test_a_bare_pod_adopted_and_deleted_at_once_is_not_an_early_eviction() -> None:
    # the same with a pod of no owner and terminationGracePeriodSeconds 0: gone in the turn that adopts it
    stray = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "namespace": "default",
                                                            "labels": {"rs": "front"}},
             "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}], "terminationGracePeriodSeconds": 0}}
    judge = _Judge(timing.eviction_not_before_toleration, _settled(stray))
    pod = judge.state.get("Pod", "default", "stray")
    assert pod is not None
    judge.do(ev.NodeFailed(pod["spec"]["nodeName"]))
    judge.do(ev.ClockAdvanced(301))
    judge.do(ev.Apply(_rs(0)))
    judge.settle()
    assert judge.state.get("Pod", "default", "stray") is None, "the ReplicaSet adopted and deleted it"
    assert judge.violations == [], judge.violations


def test_a_statefulset_updating_its_pod_on_a_tainted_node_is_not_an_early_eviction() -> None:
    # found by a default conformance run (statefulset machine): a template change in the settle that taints the
    # failed node; the StatefulSet deletes its pod to update it in its own turn, right after the taint
    def sts(image: str) -> dict[str, Any]:
        return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "kv", "namespace": "default"},
                "spec": {"replicas": 1, "serviceName": "kv", "podManagementPolicy": "Parallel",
                         "selector": {"matchLabels": {"app": "kv"}},
                         "template": {"metadata": {"labels": {"app": "kv"}},
                                      "spec": {"containers": [{"name": "main", "image": image}]}}}}

    judge = _Judge(timing.eviction_not_before_toleration, _settled(sts("nginx:1.25")))
    pod = judge.state.get("Pod", "default", "kv-0")
    assert pod is not None
    node = pod["spec"]["nodeName"]
    judge.do(ev.NodeFailed(node))
    judge.do(ev.ClockAdvanced(42))
    for event, s in rm.converge_steps(judge.state):  # settle only until the node is tainted
        judge._judge(Step(event, None, StateView(judge.state), StateView(s), True))
        judge.state = s
        if (s.get("Node", "", node) or {}).get("spec", {}).get("taints"):
            break
    tainted = epoch(judge.state.get("Node", "", node)["spec"]["taints"][0]["timeAdded"])  # type: ignore[index]
    assert tainted is not None
    judge.do(ev.Apply(sts("nginx:1.26")))  # Parallel: the not-ready pod does not hold the update back
    judge.settle()
    gone = judge.state.get("Pod", "default", "kv-0")
    deleted = epoch((gone or {}).get("metadata", {}).get("deletionTimestamp")) if gone else None
    assert gone is None or (deleted is not None and deleted < tainted + 300), "the StatefulSet deleted it early"
    assert judge.violations == [], judge.violations


# ---- availability (P-6) -----------------------------------------------------------------------
@pytest.mark.parametrize("mutant", [None, "available-ignores-min-ready"], indirect=True)
def test_available_only_after_min_ready_seconds(mutant: None, request: pytest.FixtureRequest) -> None:
    judge = _Judge(timing.available_not_before_min_ready, rm.new_cluster(nodes=3))
    judge.do(ev.Apply(_rs(2, min_ready=10)))
    judge.settle()
    assert judge.premises >= 1
    if request.node.callspec.params["mutant"] is None:
        assert judge.violations == []
        assert judge.state.get("ReplicaSet", "default", "front")["status"]["availableReplicas"] == 2  # type: ignore[index]
    else:
        assert judge.violations and "minReadySeconds=10" in judge.violations[0], judge.violations


# ---- crash back-off (P-3) ---------------------------------------------------------------------
def test_backoff_emulation_doubles_caps_and_resets() -> None:
    waits, nxt = timing._waits(None, 100)
    assert (waits, nxt) == ({0}, {10})
    entry = (frozenset({10}), 100, 1)
    assert timing._waits(entry, 150) == ({10}, {20})
    assert timing._waits((frozenset({160}), 100, 6), 150) == ({160}, {300})
    assert timing._waits((frozenset({300}), 100, 7), 150) == ({300}, {300})
    assert timing._waits((frozenset({300}), 100, 7), 701) == ({0}, {10})  # more than twice the cap: reset
    assert timing._waits((frozenset({40}), 100, 7), 700) == ({0, 40}, {10, 80})  # exactly 600 s at whole seconds


def _crash_loop(judge: _Judge, times: int) -> None:
    pod = next(iter(judge.state.iter_kind("Pod", "default")))
    for _ in range(times):
        if not judge.do(ev.ContainerExited("default", pod["metadata"]["name"], "main", 1)):
            break
        judge.settle()


@pytest.mark.parametrize("mutant", [None, "backoff-not-doubling"], indirect=True)
def test_restart_not_before_backoff(mutant: None, request: pytest.FixtureRequest) -> None:
    judge = _Judge(timing.restart_not_before_backoff, _settled(_rs(1)))
    _crash_loop(judge, 4)
    assert judge.premises == 4
    if request.node.callspec.params["mutant"] is None:
        assert judge.violations == []
    else:
        assert judge.violations and "holds it for 20 s" in judge.violations[0], judge.violations


@pytest.mark.parametrize("mutant", [None, "backoff-not-capped"], indirect=True)
def test_restart_not_after_backoff_and_capped(mutant: None, request: pytest.FixtureRequest) -> None:
    judge = _Judge(timing.restart_not_after_backoff, _settled(_rs(1)))
    _crash_loop(judge, 8)
    if request.node.callspec.params["mutant"] is None:
        assert judge.premises == 2, "restarts 7 and 8 wait the 300 s cap"
        assert judge.violations == []
    else:
        assert judge.violations and "at most 300 s" in judge.violations[0], judge.violations


def test_a_clock_jump_past_the_restart_excuses_a_late_restart() -> None:
    judge = _Judge(timing.restart_not_after_backoff, _settled(_rs(1)))
    _crash_loop(judge, 2)  # the next back-off is 20 s
    pod = next(iter(judge.state.iter_kind("Pod", "default")))["metadata"]["name"]
    judge.do(ev.ContainerExited("default", pod, "main", 1))
    judge.do(ev.ClockAdvanced(3600))  # the model's kubelet restarts it at the next settle, an hour late
    judge.settle()
    assert judge.violations == []


# ---- progress deadline (D-19) -----------------------------------------------------------------
def _stuck_deployment() -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 1, "progressDeadlineSeconds": 30, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                         {"name": "main", "image": "nginx:1.25", "resources": {"requests": {"cpu": "5"}}}]}}}}


@pytest.mark.parametrize("mutant", [None, "deadline-early"], indirect=True)
def test_deadline_not_before_progress_deadline(mutant: None, request: pytest.FixtureRequest) -> None:
    judge = _Judge(timing.deadline_not_before_progress_deadline, rm.new_cluster(nodes=3))
    judge.do(ev.Apply(_stuck_deployment()))
    judge.settle()
    assert judge.premises == 1
    d = judge.state.get("Deployment", "default", "web")
    assert any(c.get("reason") == "ProgressDeadlineExceeded" for c in d["status"]["conditions"])  # type: ignore[index]
    if request.node.callspec.params["mutant"] is None:
        assert judge.violations == []
    else:
        assert judge.violations and "progressDeadlineSeconds is 30" in judge.violations[0], judge.violations


# ---- the machines reach the premises; the seeded bugs exist ------------------------------------
_PREMISES = {
    "replicaset": (timing.restart_not_before_backoff, timing.restart_not_after_backoff),
    "nodes": (timing.eviction_not_before_toleration,),
    "deployment": (timing.deadline_not_before_progress_deadline,),
    "rollout": (timing.available_not_before_min_ready,),
}


@pytest.mark.parametrize("machine", sorted(_PREMISES))
def test_machines_reach_the_timing_premises(machine: str) -> None:
    counts = premises(machine, examples=300 if machine == "replicaset" else 100)  # crash loops to the cap
    names = {inv.check: inv.name for inv in timing.INVARIANTS}
    vacuous = [names[check] for check in _PREMISES[machine] if not counts[names[check]]]
    assert not vacuous, f"machine {machine}: never reached the premise of {vacuous}"


def test_every_timing_invariant_has_a_seeded_bug() -> None:
    caught = {name for m in MUTANTS.values() for name in m.expect}
    missing = sorted(inv.name for inv in timing.INVARIANTS if inv.name not in caught)
    assert not missing, f"no mutant expects {missing}"
