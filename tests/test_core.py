"""``step``, ``transition``, ``converge`` and ``converge_steps`` (refmodel/core.py) and the public facade.

Mirrors the work-queue semantics of ``staging/src/k8s.io/client-go/util/workqueue`` (a key is queued at most
once, AddAfter) and the discrete-event contract of DESIGN.md §2: ``functools.reduce(step, events, s0)``
replays a trace, ``converge`` stops when only back-off retries remain and raises ``NotConverged`` otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

import refmodel as rm
from refmodel.events import (
    Apply,
    ClockAdvanced,
    ContainerExited,
    Cordon,
    Delete,
    ImagePullFailed,
    NodeFailed,
    NodeRecovered,
    PodKilled,
    Reconcile,
    Scale,
    Uncordon,
)
from refmodel.state import ClusterState


def _rs(name: str = "web", replicas: int = 3, image: str = "nginx:1.27", min_ready: int = 0) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                            "template": {"metadata": {"labels": {"app": name}},
                                         "spec": {"containers": [{"name": "c", "image": image}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name}, "spec": spec}


@pytest.fixture(scope="module")
def cluster() -> ClusterState:
    return rm.new_cluster(3)


# ---------------------------------------------------------------------------------------------
# replay
# ---------------------------------------------------------------------------------------------
def _crash_loop(s: ClusterState) -> ClusterState:
    s = rm.converge(rm.apply_manifest(s, _rs(replicas=1)))
    return rm.step(s, ContainerExited("default", rm.list_objects(s, "Pod")[0]["metadata"]["name"], "c", 1))


SCENARIOS: dict[str, Callable[[ClusterState], ClusterState]] = {
    "create a ReplicaSet": lambda s: rm.apply_manifest(s, _rs()),
    "minReadySeconds timers": lambda s: rm.apply_manifest(s, _rs(min_ready=15)),
    "scale down": lambda s: rm.step(rm.converge(rm.apply_manifest(s, _rs(replicas=5))),
                                    Scale("ReplicaSet", "default", "web", 1)),
    "node failure": lambda s: rm.step(rm.converge(rm.apply_manifest(s, _rs())), NodeFailed("node-1")),
    "foreground delete": lambda s: rm.step(rm.converge(rm.apply_manifest(s, _rs())),
                                           Delete("ReplicaSet", "default", "web", "Foreground")),
    "crash loop": _crash_loop,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_reduce_step_over_converge_steps_equals_converge(cluster: ClusterState, name: str) -> None:
    # DESIGN §2: functools.reduce(rm.step, events, s0) replays a trace
    s0 = SCENARIOS[name](cluster)
    trace = list(rm.converge_steps(s0))
    events = [e for e, _ in trace]
    assert events, f"{name}: converge_steps yielded no events"
    replayed = functools.reduce(rm.step, events, s0)
    converged = rm.converge(s0)
    assert replayed == converged, f"{name}: replaying {len(events)} events differs from converge"
    assert trace[-1][1] == converged, f"{name}: the last yielded state is not converge's result"
    for (event, state), (_, prev) in zip(trace[1:], trace[:-1]):
        assert rm.step(prev, event) == state, f"{name}: step({event}) does not reproduce the yielded state"


def test_converge_is_deterministic_and_idempotent(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs())
    a, b = rm.converge(s), rm.converge(s)
    assert a == b, "two converges of one state differ"
    assert rm.converge(a) is a, "converging a converged state changed it"


def test_step_leaves_its_input_untouched(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs()))
    snapshot = rm.list_objects(s, "Pod")
    _ = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "web", 0)))
    assert rm.list_objects(s, "Pod") == snapshot, "a later step changed an earlier state"


# ---------------------------------------------------------------------------------------------
# converge termination
# ---------------------------------------------------------------------------------------------
def test_converge_stops_with_pods_in_image_pull_back_off(cluster: ClusterState) -> None:
    s = rm.step(cluster, ImagePullFailed("registry.example/missing:1"))
    s = rm.converge(rm.apply_manifest(s, _rs(image="registry.example/missing:1")))
    pods = rm.list_objects(s, "Pod")
    assert len(pods) == 3
    reasons = {p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] for p in pods}
    assert reasons <= {"ErrImagePull", "ImagePullBackOff"}, f"waiting reasons {reasons}"
    assert not s.dirty, "converge returned with work queued"
    assert s.timers and not any(any(slot.values()) for slot in s.timers.values()), (
        "converge returned with an essential timer pending, or without the retry timers")
    st = rm.get(s, "ReplicaSet", "web")["status"]
    assert st["replicas"] == 3 and not st.get("readyReplicas"), f"status {st}"


def test_not_converged_when_the_step_budget_is_exhausted(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs(replicas=10))
    with pytest.raises(rm.NotConverged):
        rm.converge(s, max_steps=2)


def test_not_converged_past_the_horizon(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs()))
    s = rm.step(s, NodeFailed("node-0"))  # next essential timer 40 s away
    with pytest.raises(rm.NotConverged):
        rm.converge(s, horizon=10)
    assert rm.converge(s, horizon=3600) is not None


def test_converge_with_named_controllers_does_not_move_the_clock(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs())
    only_rs = rm.converge(s, controllers=("replicaset",))
    assert only_rs.now == s.now
    pods = rm.list_objects(only_rs, "Pod")
    assert len(pods) == 3 and not any(p["spec"].get("nodeName") for p in pods), (
        "pods were scheduled although only the replicaset controller ran")
    assert any(item[0] == "scheduler" for item in only_rs.dirty), "the scheduler's work was dropped"
    with pytest.raises(ValueError, match="unknown controller"):
        rm.converge(s, controllers=("nope",))


# ---------------------------------------------------------------------------------------------
# transition: every event, and rejections that leave the state alone
# ---------------------------------------------------------------------------------------------
def test_user_events(cluster: ClusterState) -> None:
    s = rm.converge(rm.step(cluster, Apply(_rs())))
    assert len(rm.list_objects(s, "Pod")) == 3
    s = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "web", 1)))
    assert len(rm.list_objects(s, "Pod")) == 1
    s = rm.converge(rm.step(s, Cordon("node-2")))
    assert rm.get(s, "Node", "node-2")["spec"].get("unschedulable") is True
    s = rm.converge(rm.step(s, Uncordon("node-2")))
    assert not rm.get(s, "Node", "node-2")["spec"].get("unschedulable")
    s = rm.converge(rm.step(s, Delete("ReplicaSet", "default", "web")))
    assert rm.list_objects(s, "Pod") == [] and rm.list_objects(s, "ReplicaSet") == []


@pytest.mark.parametrize(("event", "reason"), [
    (Scale("ConfigMap", "default", "x", 1), "NotFound"),
    (Scale("ReplicaSet", "default", "absent", 1), "NotFound"),
    (Scale("ReplicaSet", "default", "web", -1), "Invalid"),
    (Delete("ReplicaSet", "default", "absent"), "NotFound"),
    (Delete("ReplicaSet", "default", "web", "Sideways"), "BadRequest"),
    (Cordon("node-9"), "NotFound"),
    (NodeFailed("node-9"), "NotFound"),
    (PodKilled("default", "absent"), "NotFound"),
    (ContainerExited("default", "absent", "c", 1), "NotFound"),
    (ClockAdvanced(-5), "BadRequest"),
    (Reconcile("no-such-controller", "x"), "NotFound"),
    (Apply({"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}}), "NotFound"),
])
def test_rejected_events_leave_the_state_untouched(cluster: ClusterState, event: Any, reason: str) -> None:
    s = rm.apply_manifest(cluster, _rs())
    r = rm.transition(s, event)
    assert r.rejection is not None, f"{event} accepted, but should be rejected with {reason}"
    assert r.rejection.reason == reason, f"{event}: reason {r.rejection.reason}, but should be {reason}"
    assert r.state is s, f"{event}: rejected, but the state changed"
    assert rm.step(s, event) is s


def test_pod_killed_is_removed_at_once_and_replaced(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs()))
    victim = rm.list_objects(s, "Pod")[0]["metadata"]["name"]
    s1 = rm.step(s, PodKilled("default", victim))
    assert rm.get(s1, "Pod", victim) is None, "a killed pod lingered"
    s1 = rm.converge(s1)
    assert len(rm.list_objects(s1, "Pod")) == 3


def test_clock_advanced_fires_due_timers_only(cluster: ClusterState) -> None:
    s = rm.step(rm.converge(rm.apply_manifest(cluster, _rs())), NodeFailed("node-0"))
    due = min(s.timers.keys())
    s1 = rm.step(s, ClockAdvanced(due - s.now - 1))
    assert not s1.dirty, "a timer fired before it was due"
    s2 = rm.step(s1, ClockAdvanced(1))
    assert ("nodelifecycle", "node-0") in s2.dirty, "a due timer did not fire"


def test_reconcile_of_a_clean_key_is_allowed(cluster: ClusterState) -> None:
    # the conformance machines fire Reconcile in any order, queued or not
    s = rm.converge(rm.apply_manifest(cluster, _rs()))
    r = rm.transition(s, Reconcile("replicaset", "default/web"))
    assert r.ok and r.state.rv == s.rv


def test_node_recovered_after_failure_round_trip(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs()))
    s2 = rm.converge(rm.step(rm.step(s, NodeFailed("node-1")), NodeRecovered("node-1")))
    assert [p["metadata"]["name"] for p in rm.list_objects(s2, "Pod")] == [
        p["metadata"]["name"] for p in rm.list_objects(s, "Pod")], "a node blip before the grace period moved pods"


# ---------------------------------------------------------------------------------------------
# the facade
# ---------------------------------------------------------------------------------------------
def test_new_cluster(cluster: ClusterState) -> None:
    nodes = rm.list_objects(cluster, "Node")
    assert [n["metadata"]["name"] for n in nodes] == ["node-0", "node-1", "node-2"]
    for n in nodes:
        ready = next(c for c in n["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
        assert n["status"]["allocatable"] == {"cpu": "4", "memory": "16Gi", "pods": "110"}
    svc = rm.get(cluster, "Service", "kubernetes")
    assert svc is not None and svc["spec"]["clusterIP"] == "10.0.0.1"
    assert not cluster.dirty, "new_cluster returned with queued work"


def test_get_and_list_objects(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs()))
    assert rm.get(s, "Node", "node-0", namespace="whatever") is not None, "namespace not ignored for a cluster kind"
    assert rm.get(s, "Widget", "x") is None and rm.list_objects(s, "Widget") == []
    pods = rm.list_objects(s, "Pod")
    assert [p["metadata"]["name"] for p in pods] == sorted(p["metadata"]["name"] for p in pods)
    assert len(rm.list_objects(s, "Pod", selector={"app": "web"})) == 3
    assert len(rm.list_objects(s, "Pod", selector={"matchExpressions": [
        {"key": "app", "operator": "NotIn", "values": ["web"]}]})) == 0
    got = rm.get(s, "Pod", pods[0]["metadata"]["name"])
    got["metadata"]["labels"]["mutated"] = "yes"
    assert "mutated" not in rm.get(s, "Pod", pods[0]["metadata"]["name"])["metadata"]["labels"], (
        "get() returned the stored object, not a copy")


def test_validate_manifest_is_a_dry_run(cluster: ClusterState) -> None:
    assert rm.validate_manifest(cluster, _rs()) is None
    assert rm.get(cluster, "ReplicaSet", "web") is None
    bad = rm.validate_manifest(cluster, {"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert bad is not None


def test_controller_registration_order_is_explicit() -> None:
    # the order controllers are notified (and so queued) must not depend on module import order
    from refmodel.controllers import CONTROLLERS, ORDER

    want = [m.replace("garbage_collector", "garbagecollector") for m in ORDER]
    assert list(CONTROLLERS) == want, f"controllers registered as {list(CONTROLLERS)}, but should be {want}"


def test_list_objects_with_a_selector_uses_the_label_index_and_agrees_with_a_scan() -> None:
    state = rm.new_cluster(nodes=1)
    for i, app in enumerate(["web", "web", "db"]):
        state = rm.apply_manifest(state, {"apiVersion": "v1", "kind": "Pod",
                                          "metadata": {"name": f"p{i}", "labels": {"app": app, "tier": str(i)}},
                                          "spec": {"containers": [{"name": "c", "image": "x:1"}]}})
    got = [p["metadata"]["name"] for p in rm.list_objects(state, "Pod", "default", {"app": "web", "tier": "1"})]
    assert got == ["p1"], f"selected {got}, but should be ['p1']"
    scan = [p["metadata"]["name"] for p in rm.list_objects(state, "Pod", None, {"app": "web"})]
    assert scan == ["p0", "p1"], f"selected {scan} across namespaces, but should be ['p0', 'p1']"


# ---------------------------------------------------------------------------------------------
# purity and the garbage collector
# ---------------------------------------------------------------------------------------------
IO_MODULES = {"os", "io", "sys", "socket", "subprocess", "pathlib", "shutil", "tempfile", "http", "urllib",
              "asyncio", "threading", "multiprocessing", "logging", "signal", "select", "selectors", "ssl"}


def test_refmodel_imports_no_io_module() -> None:
    import ast
    import pathlib

    root = pathlib.Path(rm.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] in IO_MODULES]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("open", "print"):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {node.func.id}()")
    assert not found, f"refmodel does I/O: {found}, but it should be pure"


def test_converge_pauses_the_cyclic_collector_and_restores_it(cluster: ClusterState,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import attrs

    from refmodel.controllers import CONTROLLERS

    seen: list[bool] = []
    original = CONTROLLERS["replicaset"]

    def spy(state: ClusterState, key: str) -> ClusterState:
        seen.append(gc.isenabled())
        return original.sync(state, key)

    monkeypatch.setitem(CONTROLLERS, "replicaset", attrs.evolve(original, sync=spy))
    assert gc.isenabled(), "the collector is off before the test, but pytest runs with it on"
    rm.converge(rm.apply_manifest(cluster, _rs()))
    assert seen and not any(seen), f"collector enabled during reconciles: {seen}, but converge should pause it"
    assert gc.isenabled(), "collector off after converge, but converge should restore it"
    with pytest.raises(rm.NotConverged):
        rm.converge(rm.apply_manifest(cluster, _rs()), max_steps=1)
    assert gc.isenabled(), "collector off after a NotConverged, but converge should restore it on error"
    gc.disable()
    try:
        rm.converge(rm.apply_manifest(cluster, _rs()))
        assert not gc.isenabled(), "converge turned on a collector its caller had turned off"
    finally:
        gc.enable()


def test_converge_leaves_what_it_built_in_the_oldest_generation(cluster: ClusterState) -> None:
    # the returned state's containers are not walked again by the next young collection, nothing is left
    # frozen, and a caller's own frozen objects stay frozen
    import gc

    out = rm.converge(rm.apply_manifest(cluster, _rs()))
    pod = rm.list_objects(out, "Pod")[0]
    stored = out.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
    assert gc.get_freeze_count() == 0, f"{gc.get_freeze_count()} objects left frozen by converge, but should be 0"
    assert any(o is stored for o in gc.get_objects(generation=2)), "a pod converge stored is not in the oldest generation"
    assert not any(o is stored for o in gc.get_objects(generation=0)), "a pod converge stored is in the young generation"
    mine: list[list[int]] = [[]]
    gc.freeze()
    try:
        rm.converge(rm.apply_manifest(cluster, _rs()))
        assert gc.get_freeze_count() > 0 and not any(o is mine[0] for o in gc.get_objects()), (
            "converge released the caller's frozen objects, but they should stay frozen")
    finally:
        gc.unfreeze()
    assert any(o is mine[0] for o in gc.get_objects()), "the caller's object is not tracked after unfreeze"
