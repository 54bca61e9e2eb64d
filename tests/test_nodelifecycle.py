"""Node failure (refmodel/controllers/nodelifecycle.py) end to end: detection, taints, eviction, recovery.

Mirrors ``pkg/controller/nodelifecycle/node_lifecycle_controller.go`` (monitorNodeHealth: Ready=Unknown
after the grace period; doNoExecuteTaintingPass/doNoScheduleTaintingPass: unreachable taints),
``pkg/controller/util/node/controller_utils.go`` (MarkPodsNotReady),
``pkg/controller/tainteviction/taint_eviction.go`` (processPodOnNode, getMinTolerationTime),
``plugin/pkg/admission/defaulttolerationseconds/admission.go`` (300 s defaults) and rules NODE-1, NODE-2,
NODE-4, SCH-6 and trap Z-19 (evicted pods stay Terminating; ReplicaSets replace them at once).
"""

from __future__ import annotations

from typing import Any

import pytest

import refmodel as rm
from refmodel.controllers import CONTROLLERS
from refmodel.events import ClockAdvanced, NodeFailed, NodeRecovered
from refmodel.state import ClusterState, parse_time

UNREACHABLE = "node.kubernetes.io/unreachable"


def _rs(replicas: int = 3, tolerations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}}}


def _settle(s: ClusterState) -> ClusterState:
    """Run every controller (and kubelets) until idle without letting virtual time pass."""
    return rm.converge(s, controllers=tuple(CONTROLLERS))


def _advance(s: ClusterState, seconds: int) -> ClusterState:
    return _settle(rm.step(s, ClockAdvanced(seconds)))


def _ready(obj: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")


def _pods(s: ClusterState) -> list[dict[str, Any]]:
    return rm.list_objects(s, "Pod", "default", selector={"app": "web"})


def _on(s: ClusterState, node: str) -> list[dict[str, Any]]:
    return [p for p in _pods(s) if p["spec"].get("nodeName") == node]


@pytest.fixture(scope="module")
def running() -> ClusterState:
    """3 nodes, one web pod on each, then node-0 fails at t0."""
    s = rm.converge(rm.apply_manifest(rm.new_cluster(3), _rs()))
    assert sorted(p["spec"]["nodeName"] for p in _pods(s)) == ["node-0", "node-1", "node-2"]
    return s


def test_admission_injects_default_tolerations(running: ClusterState) -> None:
    # NODE-2: not-ready and unreachable NoExecute tolerations of 300 s
    tol = _pods(running)[0]["spec"]["tolerations"]
    for key in ("node.kubernetes.io/not-ready", UNREACHABLE):
        t = next((t for t in tol if t.get("key") == key), None)
        assert t == {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}, (
            f"toleration for {key} is {t}, but admission should add it with 300s")


def test_ready_unknown_after_grace_period_then_taints_and_not_ready_pods(running: ClusterState) -> None:
    # NODE-1: no heartbeat for node_monitor_grace_period (40 s) -> Ready=Unknown, unreachable taints,
    # the node's pods are marked not ready (MarkPodsNotReady); phases are untouched
    t0 = running.now
    s = _settle(rm.step(running, NodeFailed("node-0")))
    s = _advance(s, 39)
    assert _ready(rm.get(s, "Node", "node-0"))["status"] == "True", "Ready changed before the 40s grace period"
    s = _advance(s, 1)
    node = rm.get(s, "Node", "node-0")
    ready = _ready(node)
    assert (ready["status"], ready["reason"]) == ("Unknown", "NodeStatusUnknown"), f"Ready {ready} at t0+40s"
    taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints") or []}
    assert taints == {(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")}, f"taints {taints}"
    for t in node["spec"]["taints"]:
        assert parse_time(t["timeAdded"]) == s.config.start_time + t0 + 40
    victim = _on(s, "node-0")[0]
    assert _ready(victim)["status"] == "False", "pod on the unreachable node still Ready"
    assert victim["status"]["phase"] == "Running", "the pod's phase changed, but nobody can observe it"
    assert all(_ready(p)["status"] == "True" for p in _pods(s) if p["spec"]["nodeName"] != "node-0")
    assert rm.get(s, "ReplicaSet", "web")["status"].get("readyReplicas") == 2


def test_mark_pods_not_ready_touches_only_the_ready_condition(running: ClusterState) -> None:
    s = _advance(_settle(rm.step(running, NodeFailed("node-0"))), 40)
    victim = _on(s, "node-0")[0]
    assert [c["ready"] for c in victim["status"]["containerStatuses"]] == [True], (
        f"containerStatuses {victim['status']['containerStatuses']}, but MarkPodsNotReady leaves them alone")
    cr = next(c for c in victim["status"]["conditions"] if c["type"] == "ContainersReady")
    assert cr["status"] == "True"


def test_eviction_after_toleration_seconds_and_immediate_replacement(running: ClusterState) -> None:
    # NODE-2/NODE-4/Z-19: deleted 300 s after the taint, Terminating while the node is down,
    # replaced at once on the other nodes
    t0 = running.now
    s = _advance(_settle(rm.step(running, NodeFailed("node-0"))), 40)
    victim = _on(s, "node-0")[0]["metadata"]["name"]
    s = _advance(s, 299)
    assert not rm.get(s, "Pod", victim)["metadata"].get("deletionTimestamp"), "evicted before tolerationSeconds"
    assert len(_pods(s)) == 3
    s = _advance(s, 1)
    pod = rm.get(s, "Pod", victim)
    assert pod is not None and pod["metadata"].get("deletionTimestamp"), (
        f"pod {victim} not evicted at t0+340s (now {s.now - t0}s after the failure)")
    active = [p for p in _pods(s) if not p["metadata"].get("deletionTimestamp")]
    assert len(active) == 3, f"{len(active)} active pods right after the eviction, but the RS replaces at once"
    assert all(p["spec"].get("nodeName") in ("node-1", "node-2") for p in active), (
        f"replacement placed on {[p['spec'].get('nodeName') for p in active]}, but node-0 is tainted")
    s = rm.converge(rm.step(s, ClockAdvanced(3600)))
    assert rm.get(s, "Pod", victim) is not None, "an evicted pod vanished while its kubelet is down"
    assert rm.get(s, "ReplicaSet", "web")["status"]["replicas"] == 3
    s = rm.converge(rm.step(s, NodeRecovered("node-0")))
    assert rm.get(s, "Pod", victim) is None, "the Terminating pod stayed after its node came back"
    node = rm.get(s, "Node", "node-0")
    assert _ready(node)["status"] == "True" and not node["spec"].get("taints"), f"node after recovery: {node['spec']}"
    assert len(_pods(s)) == 3


def test_converge_settles_with_a_failed_node(running: ClusterState) -> None:
    s = rm.converge(rm.step(running, NodeFailed("node-0")))
    terminating = [p for p in _pods(s) if p["metadata"].get("deletionTimestamp")]
    assert len(terminating) == 1 and terminating[0]["spec"]["nodeName"] == "node-0"
    assert len([p for p in _pods(s) if not p["metadata"].get("deletionTimestamp")]) == 3


def test_custom_toleration_seconds(running: ClusterState) -> None:
    # getMinTolerationTime: the pod's own 60 s unreachable toleration wins; admission adds none
    tol = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1), _rs(1, tol)))
    name = _pods(s)[0]["metadata"]["name"]
    s = _advance(_advance(_settle(rm.step(s, NodeFailed("node-0"))), 40), 59)
    assert not rm.get(s, "Pod", name)["metadata"].get("deletionTimestamp"), "evicted before its 60s toleration"
    s = _advance(s, 1)
    assert rm.get(s, "Pod", name)["metadata"].get("deletionTimestamp"), "not evicted after its 60s toleration"


def test_toleration_without_seconds_is_never_evicted(running: ClusterState) -> None:
    tol = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1), _rs(1, tol)))
    s = rm.converge(rm.step(rm.step(s, NodeFailed("node-0")), ClockAdvanced(10_000)))
    pod = _pods(s)[0]
    assert not pod["metadata"].get("deletionTimestamp"), "a pod tolerating unreachable forever was evicted"


def test_recovery_before_grace_period_changes_nothing(running: ClusterState) -> None:
    s = _advance(_settle(rm.step(running, NodeFailed("node-0"))), 20)
    s = rm.converge(rm.step(s, NodeRecovered("node-0")))
    node = rm.get(s, "Node", "node-0")
    assert _ready(node)["status"] == "True" and not node["spec"].get("taints")
    assert all(_ready(p)["status"] == "True" for p in _pods(s))


def test_recovery_before_eviction_cancels_it(running: ClusterState) -> None:
    # SCH-6: removing the NoExecute taint first cancels the eviction
    s = _advance(_settle(rm.step(running, NodeFailed("node-0"))), 100)
    s = rm.converge(rm.step(s, NodeRecovered("node-0")))
    assert not any(p["metadata"].get("deletionTimestamp") for p in _pods(s)), "eviction not cancelled"
    assert len(_pods(s)) == 3 and all(_ready(p)["status"] == "True" for p in _pods(s)), (
        "pods on the recovered node are not Ready again")


def test_node_events_for_unknown_nodes_are_rejected(running: ClusterState) -> None:
    for ev in (NodeFailed("node-9"), NodeRecovered("node-9")):
        r = rm.transition(running, ev)
        assert r.rejection is not None and r.state is running, f"{ev} accepted for a node that does not exist"
    r = rm.transition(running, NodeRecovered("node-0"))
    assert r.ok and r.state is running, "recovering a healthy node changed the state"
