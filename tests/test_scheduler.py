"""kube-scheduler (refmodel/controllers/scheduler.py): filters, LeastAllocated scoring, binding.

Mirrors ``pkg/scheduler/framework/plugins/noderesources/fit_test.go`` (TestEnoughRequests,
TestNotEnoughRequests), ``noderesources/least_allocated_test.go`` (TestLeastAllocatedScoringStrategy),
``nodeaffinity/node_affinity_test.go`` (TestNodeAffinity), ``tainttoleration/taint_toleration_test.go``
(TestTaintTolerationFilter), ``nodeunschedulable`` (cordon) and the FitError message of
``pkg/scheduler/schedule_one.go`` ("0/N nodes are available: ...").
"""

from __future__ import annotations

from typing import Any

import pytest

import refmodel as rm
from refmodel.controllers.scheduler import (
    _fit_reasons,
    _static_reason,
    least_allocated_score,
    node_allocatable,
    unschedulable_reasons,
)
from refmodel.events import Cordon, Delete, NodeFailed, Uncordon
from refmodel.frozen import FrozenDict, freeze
from refmodel.podutil import pod_requests_vector
from refmodel.state import ClusterState


# ---------------------------------------------------------------------------------------------
# builders
# ---------------------------------------------------------------------------------------------
def _node(name: str = "node1", labels: dict[str, str] | None = None, taints: list[dict[str, str]] | None = None,
          alloc: dict[str, str] | None = None, ready: bool = True, unschedulable: bool = False) -> FrozenDict:
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    status: dict[str, Any] = {"conditions": [{"type": "Ready", "status": "True" if ready else "Unknown"}]}
    if alloc is not None:
        status["allocatable"] = alloc
        status["capacity"] = alloc
    return freeze({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}},
                   "spec": spec, "status": status})


def _container(cpu: str | None, mem: str | None, name: str = "c") -> dict[str, Any]:
    req: dict[str, str] = {}
    if cpu is not None:
        req["cpu"] = cpu
    if mem is not None:
        req["memory"] = mem
    return {"name": name, "image": "x", "resources": {"requests": req}}


def _spec(containers: list[tuple[int, int]], init: list[tuple[int, int]] | None = None,
          overhead: tuple[str, str] | None = None) -> FrozenDict:
    """newResourcePod / newResourceInitPod / newResourceOverheadPod: (milliCPU, memory bytes) per container."""
    spec: dict[str, Any] = {"containers": [_container(f"{c}m", str(m), f"c{i}") for i, (c, m) in enumerate(containers)]}
    if init:
        spec["initContainers"] = [_container(f"{c}m", str(m), f"i{i}") for i, (c, m) in enumerate(init)]
    if overhead:
        spec["overhead"] = {"cpu": overhead[0], "memory": overhead[1]}
    return freeze(spec)


def _used(*specs: FrozenDict) -> tuple[int, ...]:
    total = (0, 0, 0, 0, 0)
    for s in specs:
        total = tuple(a + b for a, b in zip(total, pod_requests_vector(s)))
    return total


# ---------------------------------------------------------------------------------------------
# TestEnoughRequests / TestNotEnoughRequests (node allocatable: 10m cpu, 20 bytes, 32 pods)
# ---------------------------------------------------------------------------------------------
ALLOC = (10, 20, 32)
ENOUGH_REQUESTS = [
    ("no resources requested always fits", _spec([]), [(10, 20)], []),
    ("too many resources fails", _spec([(1, 1)]), [(10, 20)], ["Insufficient cpu", "Insufficient memory"]),
    ("too many resources fails due to init container cpu", _spec([(1, 1)], [(3, 1)]), [(8, 19)],
     ["Insufficient cpu"]),
    ("too many resources fails due to highest init container cpu", _spec([(1, 1)], [(3, 1), (2, 1)]), [(8, 19)],
     ["Insufficient cpu"]),
    ("too many resources fails due to init container memory", _spec([(1, 1)], [(1, 3)]), [(9, 19)],
     ["Insufficient memory"]),
    ("too many resources fails due to highest init container memory", _spec([(1, 1)], [(1, 3), (1, 2)]), [(9, 19)],
     ["Insufficient memory"]),
    ("init container fits because it's the max, not sum, of containers and init containers",
     _spec([(1, 1)], [(1, 1)]), [(9, 19)], []),
    ("multiple init containers fit because it's the max, not sum, of containers and init containers",
     _spec([(1, 1)], [(1, 1), (1, 1)]), [(9, 19)], []),
    ("both resources fit", _spec([(1, 1)]), [(5, 5)], []),
    ("one resource memory fits", _spec([(2, 1)]), [(9, 5)], ["Insufficient cpu"]),
    ("one resource cpu fits", _spec([(1, 2)]), [(5, 19)], ["Insufficient memory"]),
    ("equal edge case", _spec([(5, 1)]), [(5, 19)], []),
    ("equal edge case for init container", _spec([(4, 1)], [(5, 1)]), [(5, 19)], []),
    ("resources + pod overhead fits", _spec([(1, 1)], overhead=("3m", "13")), [(5, 5)], []),
    ("requests + overhead does not fit for memory", _spec([(1, 1)], overhead=("1m", "15")), [(5, 5)],
     ["Insufficient memory"]),
]


@pytest.mark.parametrize(("name", "spec", "existing", "want"), ENOUGH_REQUESTS, ids=[r[0] for r in ENOUGH_REQUESTS])
def test_enough_requests(name: str, spec: FrozenDict, existing: list[tuple[int, int]], want: list[str]) -> None:
    # TestEnoughRequests (cpu/memory/overhead rows; extended resources, hugepages and ephemeral
    # storage are not modelled). fitsRequest reports every insufficient resource.
    used = _used(*(_spec([e]) for e in existing))
    got = _fit_reasons(ALLOC, used, pod_requests_vector(spec))
    assert got == want, f"{name}: reasons {got!r}, but should be {want!r}"


def test_not_enough_requests_too_many_pods() -> None:
    # TestNotEnoughRequests: allocatable pods=1 and one pod already there
    for spec in (_spec([]), _spec([(1, 1)]), _spec([(1, 1)], [(3, 1)])):
        got = _fit_reasons((10, 20, 1), _used(_spec([(10, 20)])), pod_requests_vector(spec))
        assert got and got[0] == "Too many pods", f"reasons {got!r}, but should start with 'Too many pods'"


def test_limits_are_ignored_for_fit() -> None:
    # SCH-3: requests only
    spec = freeze({"containers": [{"name": "c", "image": "x",
                                   "resources": {"requests": {"cpu": "1m"}, "limits": {"cpu": "100"}}}]})
    assert _fit_reasons(ALLOC, _used(), pod_requests_vector(spec)) == []


def test_unschedulable_message_lists_every_insufficient_resource() -> None:
    # TestEnoughRequests "too many resources fails" wants both reasons; FitError counts each per node
    s = rm.new_cluster(2, cpu="1", memory="1Gi")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
           "spec": {"containers": [{"name": "c", "image": "x",
                                    "resources": {"requests": {"cpu": "2", "memory": "2Gi"}}}]}}
    s = rm.converge(rm.apply_manifest(s, pod))
    reasons = unschedulable_reasons(s, s.get("Pod", "default", "big"))
    assert reasons == {"Insufficient cpu": 2, "Insufficient memory": 2}, (
        f"reasons {reasons}, but should count both insufficient resources on both nodes")


# ---------------------------------------------------------------------------------------------
# TestLeastAllocatedScoringStrategy
# ---------------------------------------------------------------------------------------------
def _req_pod(*reqs: tuple[str, str]) -> FrozenDict:
    return freeze({"containers": [{"name": f"c{i}", "image": "x", "resources": {"requests": {"cpu": c, "memory": m}}}
                                  for i, (c, m) in enumerate(reqs)]})


NO_PODS = freeze({"containers": []})  # st.MakePod().Obj(): no containers at all
LEAST_ALLOCATED = [
    ("nothing scheduled, nothing requested", NO_PODS, [("4000", "10000"), ("4000", "10000")], [[], []], [100, 100]),
    ("nothing scheduled, resources requested, differently sized nodes",
     _req_pod(("1000", "2000"), ("2000", "3000")), [("4000", "10000"), ("6000", "10000")], [[], []], [37, 50]),
    ("no resources requested, pods scheduled", NO_PODS, [("4000", "10000"), ("4000", "10000")],
     [[NO_PODS, NO_PODS], [NO_PODS, NO_PODS]], [100, 100]),
    ("no resources requested, pods scheduled with resources", NO_PODS, [("10000", "20000"), ("10000", "20000")],
     [[_req_pod(("3000", "0")), _req_pod(("3000", "0"))], [_req_pod(("3000", "0")), _req_pod(("3000", "5000"))]],
     [70, 57]),
    ("resources requested, pods scheduled with resources", _req_pod(("1000", "2000"), ("2000", "3000")),
     [("10000", "20000"), ("10000", "20000")], [[_req_pod(("3000", "0"))], [_req_pod(("3000", "5000"))]], [57, 45]),
    ("resources requested, pods scheduled with resources, differently sized nodes",
     _req_pod(("1000", "2000"), ("2000", "3000")), [("10000", "20000"), ("10000", "50000")],
     [[_req_pod(("3000", "0"))], [_req_pod(("3000", "5000"))]], [57, 60]),
    ("requested resources exceed node capacity", _req_pod(("3000", "0")), [("4000", "10000"), ("4000", "10000")],
     [[_req_pod(("3000", "0"))], [_req_pod(("3000", "5000"))]], [50, 25]),
    ("zero node resources, pods scheduled with resources", NO_PODS, [None, None],
     [[_req_pod(("3000", "0"))], [_req_pod(("3000", "5000"))]], [0, 0]),
]


@pytest.mark.parametrize(("name", "pod", "nodes", "existing", "want"), LEAST_ALLOCATED,
                         ids=[r[0] for r in LEAST_ALLOCATED])
def test_least_allocated_scoring(name: str, pod: FrozenDict, nodes: list[tuple[str, str] | None],
                                 existing: list[list[FrozenDict]], want: list[int]) -> None:
    # TestLeastAllocatedScoringStrategy (default weights cpu 1, memory 1)
    got = []
    for cap, pods in zip(nodes, existing):
        node = _node(alloc={} if cap is None else {"cpu": cap[0], "memory": cap[1]})
        got.append(least_allocated_score(node_allocatable(node), _used(*pods), pod_requests_vector(pod)))
    assert got == want, f"{name}: scores {got}, but should be {want}"


def test_scheduler_picks_the_least_allocated_node() -> None:
    s = rm.new_cluster(3)
    hog = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hog"},
           "spec": {"nodeName": "node-0", "containers": [_container("2", "1Gi")]}}
    s = rm.converge(rm.apply_manifest(s, hog))
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"},
             "spec": {"containers": [_container("1", "1Gi")]}} for i in range(2)]
    for p in pods:
        s = rm.apply_manifest(s, p)
    s = rm.converge(s)
    nodes = sorted(rm.get(s, "Pod", f"p{i}")["spec"]["nodeName"] for i in range(2))
    assert nodes == ["node-1", "node-2"], f"pods went to {nodes}, but the empty nodes score higher than node-0"


# ---------------------------------------------------------------------------------------------
# TestNodeAffinity (and nodeSelector)
# ---------------------------------------------------------------------------------------------
def _affinity(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}


def _expr(key: str, op: str, values: list[str] | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"key": key, "operator": op}
    if values is not None:
        e["values"] = values
    return e


def _name_in(*names: str) -> dict[str, Any]:
    return _expr("metadata.name", "In", list(names))


NODE_AFFINITY = [
    ("missing labels", {"nodeSelector": {"foo": "bar"}}, "node1", {}, False),
    ("same labels", {"nodeSelector": {"foo": "bar"}}, "node1", {"foo": "bar"}, True),
    ("node labels are superset", {"nodeSelector": {"foo": "bar"}}, "node1", {"foo": "bar", "baz": "blah"}, True),
    ("node labels are subset", {"nodeSelector": {"foo": "bar", "baz": "blah"}}, "node1", {"foo": "bar"}, False),
    ("Pod with matchExpressions using In operator that matches the existing node",
     {"affinity": _affinity({"matchExpressions": [_expr("foo", "In", ["bar", "value2"])]})}, "node1",
     {"foo": "bar"}, True),
    ("Pod with matchExpressions using Gt operator that matches the existing node",
     {"affinity": _affinity({"matchExpressions": [_expr("kernel-version", "Gt", ["0204"])]})}, "node1",
     {"kernel-version": "0206"}, True),
    ("Pod with matchExpressions using NotIn operator that matches the existing node",
     {"affinity": _affinity({"matchExpressions": [_expr("mem-type", "NotIn", ["DDR", "DDR2"])]})}, "node1",
     {"mem-type": "DDR3"}, True),
    ("Pod with matchExpressions using Exists operator that matches the existing node",
     {"affinity": _affinity({"matchExpressions": [_expr("GPU", "Exists")]})}, "node1", {"GPU": "NVIDIA-GRID-K1"}, True),
    ("Pod with affinity that don't match node's labels won't schedule onto the node",
     {"affinity": _affinity({"matchExpressions": [_expr("foo", "In", ["value1", "value2"])]})}, "node1",
     {"foo": "bar"}, False),
    ("Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
     {"affinity": _affinity({"matchExpressions": []})}, "node1", {"foo": "bar"}, False),
    ("Pod with no Affinity will schedule onto a node", {}, "node1", {"foo": "bar"}, True),
    ("Pod with Affinity but nil NodeSelector will schedule onto a node",
     {"affinity": {"nodeAffinity": {}}}, "node1", {"foo": "bar"}, True),
    ("Pod with multiple matchExpressions ANDed that matches the existing node",
     {"affinity": _affinity({"matchExpressions": [_expr("GPU", "Exists"), _expr("GPU", "NotIn", ["AMD", "INTER"])]})},
     "node1", {"GPU": "NVIDIA-GRID-K1"}, True),
    ("Pod with multiple matchExpressions ANDed that doesn't match the existing node",
     {"affinity": _affinity({"matchExpressions": [_expr("GPU", "Exists"), _expr("GPU", "In", ["AMD", "INTER"])]})},
     "node1", {"GPU": "NVIDIA-GRID-K1"}, False),
    ("Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
     {"affinity": _affinity({"matchExpressions": [_expr("foo", "In", ["bar", "value2"])]},
                            {"matchExpressions": [_expr("diffkey", "In", ["wrong", "value2"])]})},
     "node1", {"foo": "bar"}, True),
    ("Pod with an Affinity and a PodSpec.NodeSelector both are satisfied, will schedule onto the node",
     {"nodeSelector": {"foo": "bar"}, "affinity": _affinity({"matchExpressions": [_expr("foo", "Exists")]})},
     "node1", {"foo": "bar"}, True),
    ("Pod with an Affinity matches node's labels but the PodSpec.NodeSelector is not satisfied, won't schedule",
     {"nodeSelector": {"foo": "bar"}, "affinity": _affinity({"matchExpressions": [_expr("foo", "Exists")]})},
     "node1", {"foo": "barrrrrr"}, False),
    ("Pod with two terms: matchFields does not match, but matchExpressions matches",
     {"affinity": _affinity({"matchFields": [_name_in("node1"), _name_in("node2")]},
                            {"matchExpressions": [_expr("foo", "In", ["bar"])]})}, "node2", {"foo": "bar"}, True),
    ("Pod with one term: both matchFields and matchExpressions match",
     {"affinity": _affinity({"matchFields": [_name_in("node1")], "matchExpressions": [_expr("foo", "In", ["bar"])]})},
     "node1", {"foo": "bar"}, True),
    ("Pod with two terms of node.Name affinity",
     {"affinity": _affinity({"matchFields": [_name_in("node1")]}, {"matchFields": [_name_in("node2")]})},
     "node2", {}, True),
    ("Pod with matchFields using In operator that matches the existing node",
     {"affinity": _affinity({"matchFields": [_name_in("node1")]})}, "node1", {}, True),
    ("Matches node selector correctly even if PreFilter is not called",
     {"nodeSelector": {"foo": "bar"}}, "node1", {"foo": "bar", "baz": "blah"}, True),
]

MATCH_FIELDS_IGNORED = [
    ("Pod with matchFields using In operator that does not match the existing node",
     {"affinity": _affinity({"matchFields": [_name_in("node1")]})}, "node2", {}, False),
    ("Pod with one term: matchFields does not match, but matchExpressions matches",
     {"affinity": _affinity({"matchFields": [_name_in("node1")], "matchExpressions": [_expr("foo", "In", ["bar"])]})},
     "node2", {"foo": "bar"}, False),
    ("Pod with two terms: both matchFields and matchExpressions do not match",
     {"affinity": _affinity({"matchFields": [_name_in("node1")]},
                            {"matchExpressions": [_expr("foo", "In", ["not-match-to-bar"])]})},
     "node2", {"foo": "bar"}, False),
    ("Pod with two conflicting mach field requirements",
     {"affinity": _affinity({"matchFields": [_name_in("node1"), _name_in("node2")]})}, "node2", {"foo": "bar"}, False),
]


def _check_affinity(name: str, spec: dict[str, Any], node_name: str, labels: dict[str, str], fits: bool) -> None:
    reason = _static_reason(freeze(spec), _node(node_name, labels))
    if fits:
        assert reason == "", f"{name}: node {node_name} {labels} rejected ({reason!r}), but the pod should fit"
    else:
        assert reason == "node(s) didn't match Pod's node affinity/selector", (
            f"{name}: reason {reason!r}, but the node should be filtered for affinity/selector")


@pytest.mark.parametrize(("name", "spec", "node_name", "labels", "fits"), NODE_AFFINITY,
                         ids=[r[0][:60] for r in NODE_AFFINITY])
def test_node_affinity(name: str, spec: dict[str, Any], node_name: str, labels: dict[str, str], fits: bool) -> None:
    # TestNodeAffinity (Filter; AddedAffinity rows are scheduler configuration, not modelled)
    _check_affinity(name, spec, node_name, labels, fits)


@pytest.mark.parametrize(("name", "spec", "node_name", "labels", "fits"), MATCH_FIELDS_IGNORED,
                         ids=[r[0][:60] for r in MATCH_FIELDS_IGNORED])
def test_node_affinity_match_fields(name: str, spec: dict[str, Any], node_name: str, labels: dict[str, str],
                                    fits: bool) -> None:
    # TestNodeAffinity (matchFields rows that must not fit)
    _check_affinity(name, spec, node_name, labels, fits)


def test_match_fields_pins_a_pod_to_a_node() -> None:
    s = rm.new_cluster(3)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinned"},
           "spec": {"containers": [{"name": "c", "image": "x"}],
                    "affinity": _affinity({"matchFields": [_name_in("node-2")]})}}
    s = rm.converge(rm.apply_manifest(s, pod))
    got = rm.get(s, "Pod", "pinned")["spec"].get("nodeName")
    assert got == "node-2", f"pod bound to {got}, but matchFields pins it to node-2"


def test_node_affinity_invalid_value_matches_nothing() -> None:
    # TestNodeAffinity "Pod with an invalid value in Affinity term won't be scheduled onto the node"
    spec = {"affinity": _affinity({"matchExpressions": [_expr("foo", "NotIn", ["invalid value: ___@#$%^"])]})}
    _check_affinity("invalid value", spec, "node1", {"foo": "bar"}, False)


@pytest.mark.parametrize(("labels", "op", "value", "fits"), [
    ({"z": "2"}, "Gt", "1", True), ({"z": "v2"}, "Gt", "1", False), ({"z": "0"}, "Lt", "1", True),
    ({"z": "2"}, "Lt", "1", False), ({}, "Gt", "1", False),
])
def test_node_selector_gt_lt(labels: dict[str, str], op: str, value: str, fits: bool) -> None:
    # TestRequirementSelectorMatching Gt rows ("z=v2, z>1" -> no match) as node-affinity requirements
    spec = {"affinity": _affinity({"matchExpressions": [_expr("z", op, [value])]})}
    _check_affinity(f"z {op} {value} on {labels}", spec, "node1", labels, fits)


# ---------------------------------------------------------------------------------------------
# TestTaintTolerationFilter
# ---------------------------------------------------------------------------------------------
def _tol(key: str, value: str = "", effect: str = "", op: str = "") -> dict[str, str]:
    t = {"key": key}
    if value:
        t["value"] = value
    if effect:
        t["effect"] = effect
    if op:
        t["operator"] = op
    return t


TAINT_TOLERATION = [
    ("A pod having no tolerations can't be scheduled onto a node with nonempty taints",
     [], [{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}], False),
    ("A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
     [_tol("dedicated", "user1", "NoSchedule")], [{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}], True),
    ("A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
     [_tol("dedicated", "user2", "NoSchedule", "Equal")], [{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}],
     False),
    ("A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
     [_tol("foo", "", "NoSchedule", "Exists")], [{"key": "foo", "value": "bar", "effect": "NoSchedule"}], True),
    ("A pod has multiple tolerations, node has multiple taints, all the taints are tolerated",
     [_tol("dedicated", "user2", "NoSchedule", "Equal"), _tol("foo", "", "NoSchedule", "Exists")],
     [{"key": "dedicated", "value": "user2", "effect": "NoSchedule"}, {"key": "foo", "value": "bar", "effect": "NoSchedule"}],
     True),
    ("A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match",
     [_tol("foo", "bar", "PreferNoSchedule", "Equal")], [{"key": "foo", "value": "bar", "effect": "NoSchedule"}], False),
    ("The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty",
     [_tol("foo", "bar", "", "Equal")], [{"key": "foo", "value": "bar", "effect": "NoSchedule"}], True),
    ("The pod has a toleration that key and value don't match the taint, but the taint is PreferNoSchedule",
     [_tol("dedicated", "user2", "NoSchedule", "Equal")],
     [{"key": "dedicated", "value": "user1", "effect": "PreferNoSchedule"}], True),
    ("The pod has no toleration, but the effect of taint on node is PreferNoSchedule",
     [], [{"key": "dedicated", "value": "user1", "effect": "PreferNoSchedule"}], True),
    ("An empty-key Exists toleration tolerates every taint",
     [_tol("", "", "", "Exists")], [{"key": "dedicated", "value": "user1", "effect": "NoExecute"}], True),
    ("An untolerated NoExecute taint filters the node",
     [], [{"key": "dedicated", "value": "user1", "effect": "NoExecute"}], False),
]


@pytest.mark.parametrize(("name", "tolerations", "taints", "fits"), TAINT_TOLERATION,
                         ids=[r[0][:60] for r in TAINT_TOLERATION])
def test_taint_toleration_filter(name: str, tolerations: list[dict[str, str]], taints: list[dict[str, str]],
                                 fits: bool) -> None:
    # TestTaintTolerationFilter (v1.32 rows; the Gt/Lt toleration rows are a later feature)
    reason = _static_reason(freeze({"tolerations": tolerations}), _node(taints=taints))
    if fits:
        assert reason == "", f"{name}: reason {reason!r}, but the pod should be schedulable"
    else:
        assert reason.startswith("node(s) had untolerated taint"), f"{name}: reason {reason!r}, but should be a taint"


def test_unschedulable_nodes_are_filtered() -> None:
    # NodeUnschedulable plugin: spec.unschedulable unless the pod tolerates node.kubernetes.io/unschedulable
    assert _static_reason(freeze({}), _node(unschedulable=True)) == "node(s) were unschedulable"
    tol = {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}
    assert _static_reason(freeze({"tolerations": [tol]}), _node(unschedulable=True)) == "", (
        "a pod tolerating node.kubernetes.io/unschedulable was kept off a cordoned node")


# ---------------------------------------------------------------------------------------------
# the scheduler as a controller
# ---------------------------------------------------------------------------------------------
def _rs(name: str, replicas: int) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def test_cordon_keeps_new_pods_off_the_node() -> None:
    s = rm.step(rm.new_cluster(3), Cordon("node-0"))
    s = rm.converge(s)
    taints = rm.get(s, "Node", "node-0")["spec"].get("taints") or []
    assert {"node.kubernetes.io/unschedulable"} <= {t["key"] for t in taints}, f"taints {taints} on a cordoned node"
    s = rm.converge(rm.apply_manifest(s, _rs("web", 6)))
    nodes = {p["spec"]["nodeName"] for p in rm.list_objects(s, "Pod", "default", selector={"app": "web"})}
    assert "node-0" not in nodes and len(nodes) == 2, f"pods placed on {sorted(nodes)}, but never on cordoned node-0"
    s = rm.converge(rm.step(s, Uncordon("node-0")))
    assert not rm.get(s, "Node", "node-0")["spec"].get("taints"), "the unschedulable taint stayed after uncordon"
    s = rm.converge(rm.apply_manifest(s, _rs("more", 3)))
    nodes = {p["spec"]["nodeName"] for p in rm.list_objects(s, "Pod", "default", selector={"app": "more"})}
    assert "node-0" in nodes, f"new pods placed on {sorted(nodes)}, but the uncordoned, emptiest node-0 should get one"


def test_unschedulable_pod_gets_condition_and_is_retried_when_a_node_appears() -> None:
    s = rm.new_cluster(1, cpu="1")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
           "spec": {"containers": [_container("2", None)]}}
    s = rm.converge(rm.apply_manifest(s, pod))
    p = rm.get(s, "Pod", "big")
    cond = next(c for c in p["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable"), f"PodScheduled {cond}"
    assert cond["message"] == "0/1 nodes are available: 1 Insufficient cpu.", f"message {cond['message']!r}"
    assert p["status"]["phase"] == "Pending"
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "big-node"},
            "status": {"capacity": {"cpu": "8", "memory": "8Gi", "pods": "110"}}}
    s = rm.converge(rm.apply_manifest(s, node))
    assert rm.get(s, "Pod", "big")["spec"].get("nodeName") == "big-node", "pod not retried when a node appeared"


def test_pods_with_node_name_bypass_the_scheduler() -> None:
    # SCH-1: setting nodeName skips every filter (even a cordoned node)
    s = rm.converge(rm.step(rm.new_cluster(2), Cordon("node-1")))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "direct"},
           "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "x"}]}}
    s = rm.converge(rm.apply_manifest(s, pod))
    p = rm.get(s, "Pod", "direct")
    assert p["spec"]["nodeName"] == "node-1" and p["status"]["phase"] == "Running"


def test_other_scheduler_names_are_left_alone() -> None:
    s = rm.new_cluster(1)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mine"},
           "spec": {"schedulerName": "my-scheduler", "containers": [{"name": "c", "image": "x"}]}}
    s = rm.converge(rm.apply_manifest(s, pod))
    assert not rm.get(s, "Pod", "mine")["spec"].get("nodeName"), "the default scheduler bound another scheduler's pod"


def test_max_pods_per_node() -> None:
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1, pods_per_node=3), _rs("web", 5)))
    bound = [p for p in rm.list_objects(s, "Pod") if p["spec"].get("nodeName")]
    assert len(bound) == 3, f"{len(bound)} pods bound to a node that allows 3"
    pending = [p for p in rm.list_objects(s, "Pod") if not p["spec"].get("nodeName")]
    msgs = {next(c["message"] for c in p["status"]["conditions"] if c["type"] == "PodScheduled") for p in pending}
    assert msgs == {"0/1 nodes are available: 1 Too many pods."}, f"messages {msgs}"


def test_state_is_untouched_by_a_sync_with_nothing_pending() -> None:
    s = rm.new_cluster(1)
    from refmodel.controllers.scheduler import sync

    assert sync(s, "queue") is s
    assert isinstance(s, ClusterState)


def test_node_readiness_is_filtered_through_taints_only() -> None:
    # default filter plugins (pkg/scheduler/apis/config/v1/default_plugins.go): TaintToleration, no readiness check
    s = rm.converge(rm.step(rm.new_cluster(1), NodeFailed("node-0")))
    assert rm.get(s, "Node", "node-0")["spec"].get("taints"), "the failed node was not tainted"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tolerant"},
           "spec": {"tolerations": [{"operator": "Exists"}], "containers": [{"name": "c", "image": "x"}]}}
    s = rm.converge(rm.apply_manifest(s, pod))
    got = rm.get(s, "Pod", "tolerant")["spec"].get("nodeName")
    assert got == "node-0", f"pod bound to {got!r}, but tolerating every taint it fits the unreachable node-0"



# ---------------------------------------------------------------------------------------------
# node heaps kept between scheduling turns
# ---------------------------------------------------------------------------------------------
def _web(replicas: int, cpu: str = "100m") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                         "name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}]}}}}


def _placement(s: ClusterState) -> dict[str, str]:
    return {p["metadata"]["name"]: p["spec"].get("nodeName", "") for p in rm.list_objects(s, "Pod")}


def test_kept_heaps_place_pods_as_fresh_heaps_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from refmodel.controllers import scheduler
    from refmodel.events import Scale

    def scenario() -> ClusterState:
        # several turns (burst 500), a scale-down between turns (usage shrinks), a full cluster
        s = rm.new_cluster(nodes=12, cpu="8", pods_per_node=110)
        s = rm.converge(rm.apply_manifest(s, _web(1200, cpu="50m")))
        s = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "web", 700)))
        s = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "web", 1400)))
        s = rm.converge(rm.step(s, Delete("Pod", "default", rm.list_objects(s, "Pod")[0]["metadata"]["name"])))
        return s

    kept = scenario()
    monkeypatch.setattr(scheduler, "_take_heaps", lambda usage, nodes: {})
    fresh = scenario()
    assert _placement(kept) == _placement(fresh), "pods land elsewhere with kept heaps, but scores are the same"
    pending = [n for n, node in _placement(kept).items() if not node]
    assert pending, "no pod left pending, but 12 full nodes hold 1320 pods and the scenario asks for 1400"


def test_a_bulk_rollout_scores_each_node_about_once_per_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh heap per turn scores every node each turn: turns x nodes (quadratic in a bulk rollout)
    from refmodel.controllers import scheduler

    calls = [0]
    score = scheduler.least_allocated_score

    def counting(*args: Any) -> int:
        calls[0] += 1
        return score(*args)

    monkeypatch.setattr(scheduler, "least_allocated_score", counting)
    pods, nodes = 5000, 200
    s = rm.converge(rm.apply_manifest(rm.new_cluster(nodes=nodes, cpu="64", pods_per_node=110), _web(pods)))
    assert sum(1 for node in _placement(s).values() if node) == pods
    bound = 1.05 * pods + nodes
    assert calls[0] <= bound, f"{calls[0]} node scores for {pods} bindings on {nodes} nodes, but should be ~1 each"
    monkeypatch.setattr(scheduler, "_take_heaps", lambda usage, nodes: {})
    calls[0] = 0
    rm.converge(rm.apply_manifest(rm.new_cluster(nodes=nodes, cpu="64", pods_per_node=110), _web(pods)))
    assert calls[0] > bound, f"{calls[0]} scores without kept heaps, but the bound above should catch that"


def test_fits_agrees_with_fit_reasons() -> None:
    # _fits is the scheduler's fast form of fitsRequest; the reasons are what the FitError message lists
    from hypothesis import given
    from hypothesis import strategies as st

    from refmodel.controllers.scheduler import _fits

    small = st.integers(0, 8)

    @given(st.tuples(small, small, small), st.tuples(small, small, small, small, small),
           st.tuples(small, small, st.just(1), small, small))
    def check(alloc: tuple[int, int, int], used: tuple[int, ...], req: tuple[int, ...]) -> None:
        assert _fits(alloc, used, req) == (not _fit_reasons(alloc, used, req)), (alloc, used, req)

    check()


# ---------------------------------------------------------------------------------------------
# a lone pod's placement (issue 9: the filter and the score inlined into one pass over the nodes)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_lone_pod_placement_is_fit_then_highest_least_allocated_score(seed: int) -> None:
    # TestLeastAllocatedScoringStrategy with fitsRequest first: the inlined pass must choose what the
    # plugins' functions choose (the feasible node that fits with the highest score, lowest name of equals)
    import random

    from refmodel.controllers.scheduler import _ZERO, _allocatables, _best_node, _fits

    rng = random.Random(seed)
    for trial in range(60):
        state = rm.new_cluster(nodes=rng.randint(1, 25), cpu=rng.choice(["1", "4", "64"]),
                               memory=rng.choice(["1Gi", "16Gi"]), pods_per_node=rng.randint(1, 20))
        usage = state.node_usage
        for name in state.objects["Node"][""]:
            if rng.random() < 0.7:
                usage = usage.set(name, (rng.randint(0, 5000), rng.randint(0, 2**34), rng.randint(0, 20),
                                         rng.randint(0, 5000), rng.randint(0, 2**34)))
        state = state.replace(node_usage=usage)
        nodes = state.objects["Node"][""]
        feasible = sorted(nodes.keys())
        req = (rng.choice([0, 10, 500, 3000]), rng.choice([0, 2**20, 2**30]), 1, rng.choice([100, 500]),
               rng.choice([200 * 2**20, 2**30]))
        allocs = _allocatables(nodes)
        want, want_score = None, -1
        for name in feasible:
            used = usage.get(name) or _ZERO
            if _fits(allocs[name], used, req):
                score = least_allocated_score(allocs[name], used, req)
                if score > want_score:
                    want, want_score = name, score
        got = _best_node(state, nodes, feasible, req)
        assert got == want, f"lone pod placed on {got}, but should be on {want} (score {want_score}) [trial {trial}, req {req}]"


# ---------------------------------------------------------------------------------------------
# the scheduling queue kept between turns (issue 9): unschedulable pods and the events that requeue them
# ---------------------------------------------------------------------------------------------
def _pod(name: str, cpu: str = "600m", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [_container(cpu, None)], **spec}}


def _scheduled_condition(s: ClusterState, name: str) -> tuple[str, str, str]:
    p = rm.get(s, "Pod", name)
    cond = next((c for c in p["status"].get("conditions") or () if c["type"] == "PodScheduled"), {})
    return p["spec"].get("nodeName", ""), cond.get("status", ""), p["metadata"]["resourceVersion"]


def _node_manifest(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": spec.pop("labels", {})},
            "spec": spec}


def _unschedulable_then(s: ClusterState, waiting: dict[str, Any]) -> ClusterState:
    """``waiting`` left unschedulable, then three turns of other pods that change nothing for it: its
    PodScheduled=False condition is written once (handleSchedulingFailure -> updatePod writes only a changed
    condition), however often the queue tries it again."""
    s = rm.converge(rm.apply_manifest(s, waiting))
    name = waiting["metadata"]["name"]
    node, status, rv = _scheduled_condition(s, name)
    assert (node, status) == ("", "False"), f"{name}: node {node!r}, PodScheduled={status!r}, but should wait unschedulable"
    for i in range(3):
        s = rm.converge(rm.apply_manifest(s, _pod(f"other-{i}", cpu="5")))  # fits nowhere either
    got = _scheduled_condition(s, name)
    assert got == (node, status, rv), (
        f"{name}: {got} after three more turns, but should still be {(node, status, rv)} (condition written once)")
    return s


# TestCoreResourceEnqueue (test/integration/scheduler/queue_test.go): a pod rejected by a filter plugin is
# requeued by the cluster event that plugin registers (EventsToRegister; MoveAllToActiveOrBackoffQueue)
# and is then scheduled.
def test_core_resource_enqueue_node_resources_fit_on_assigned_pod_delete() -> None:
    # "Pod rejected by the NodeResourcesFit plugin is requeued when the Pod is deleted"
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1, cpu="1"), _pod("first")))
    s = _unschedulable_then(s, _pod("waiting"))
    s = rm.converge(rm.step(s, Delete("Pod", "default", "first")))
    assert _scheduled_condition(s, "waiting")[0] == "node-0", "not requeued when a bound pod freed its cpu"


def test_core_resource_enqueue_node_resources_fit_on_node_add() -> None:
    # "Pod rejected by the NodeResourcesFit plugin is requeued when a Node is created"
    s = _unschedulable_then(rm.new_cluster(1, cpu="500m"), _pod("waiting"))
    s = rm.converge(rm.apply_manifest(s, {
        "apiVersion": "v1", "kind": "Node", "metadata": {"name": "roomy"},
        "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}))
    assert _scheduled_condition(s, "waiting")[0] == "roomy", "not requeued when a node with room appeared"


def test_core_resource_enqueue_taint_toleration_on_taint_removed() -> None:
    # "Pod rejected by the TaintToleration plugin is requeued when the Node's taint is updated"
    taint = {"key": "dedicated", "value": "db", "effect": "NoSchedule"}
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1), _node_manifest("node-0", taints=[taint])))
    s = _unschedulable_then(s, _pod("waiting", cpu="100m"))
    s = rm.converge(rm.apply_manifest(s, _node_manifest("node-0", taints=[])))
    assert _scheduled_condition(s, "waiting")[0] == "node-0", "not requeued when the node's taint went away"


def test_core_resource_enqueue_node_affinity_on_label_added() -> None:
    # "Pod rejected by the NodeAffinity plugin is requeued when a Node's label is updated"
    s = _unschedulable_then(rm.new_cluster(1), _pod("waiting", cpu="100m", nodeSelector={"disk": "ssd"}))
    s = rm.converge(rm.apply_manifest(s, _node_manifest("node-0", labels={"disk": "ssd"})))
    assert _scheduled_condition(s, "waiting")[0] == "node-0", "not requeued when the node gained the label"


def test_core_resource_enqueue_node_unschedulable_on_uncordon() -> None:
    # "Pod rejected by the NodeUnschedulable plugin is requeued when the node is turned to schedulable"
    s = rm.converge(rm.step(rm.new_cluster(1), Cordon("node-0")))
    s = _unschedulable_then(s, _pod("waiting", cpu="100m"))
    s = rm.converge(rm.step(s, Uncordon("node-0")))
    assert _scheduled_condition(s, "waiting")[0] == "node-0", "not requeued when the node was uncordoned"


def _without_kept_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every turn builds its queue from nothing and walks it pod by pod (the scheduler before issue 9)."""
    from refmodel.controllers import scheduler

    active = scheduler._active_queue

    def fresh(state: ClusterState, pending_keys: Any) -> Any:
        scheduler._QUEUE[0] = ({}, [], [])
        return active(state, pending_keys)

    monkeypatch.setattr(scheduler, "_active_queue", fresh)
    monkeypatch.setattr(scheduler._Turn, "one_template", scheduler._Turn.in_order)


def _queue_scenario() -> list[ClusterState]:
    """A rollout onto full nodes (one template pending), a second template pending beside it, a node added,
    a taint removed and pods deleted: every state ``converge_steps`` passes through."""
    from refmodel.core import converge_steps

    def web(replicas: int, image: str, cpu: str = "100m") -> dict[str, Any]:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                             "name": "c", "image": image, "resources": {"requests": {"cpu": cpu}}}]}}}}

    out: list[ClusterState] = []

    def run(start: ClusterState) -> ClusterState:
        steps = [after for _, after in converge_steps(start)]
        out.extend(steps)
        return steps[-1] if steps else start

    s = run(rm.apply_manifest(rm.new_cluster(nodes=4, pods_per_node=30), web(100, "nginx:1")))
    s = run(rm.apply_manifest(s, web(100, "nginx:2")))
    s = run(rm.apply_manifest(s, _rs("batch", 40)))
    s = run(rm.apply_manifest(s, _node_manifest("node-1", taints=[{"key": "k", "effect": "NoSchedule"}])))
    s = run(rm.apply_manifest(s, web(110, "nginx:3")))
    s = run(rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-9"},
                                  "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "40"}}}))
    s = run(rm.apply_manifest(s, _node_manifest("node-1", taints=[])))
    for p in rm.list_objects(s, "Pod")[:25]:
        s = run(rm.step(s, Delete("Pod", "default", p["metadata"]["name"])))
    return out


def test_kept_queue_schedules_as_a_fresh_queue_does(monkeypatch: pytest.MonkeyPatch) -> None:
    # the kept queue entries and the one-template turn are the model's short cuts: every state on the way
    # must be the one a queue rebuilt each turn and walked pod by pod gives
    kept = _queue_scenario()
    pending = sum(1 for s in kept if s.pods_by_node.get(""))
    assert pending > 50, f"{pending} states with pending pods, but the scenario should keep pods waiting"
    _without_kept_queue(monkeypatch)
    fresh = _queue_scenario()
    assert len(kept) == len(fresh), f"{len(kept)} steps with the kept queue, but {len(fresh)} without"
    for i, (a, b) in enumerate(zip(kept, fresh, strict=True)):
        assert a == b, f"step {i}: the state differs with the kept queue from the state without it"


def test_kept_queue_is_not_shared_between_states() -> None:
    # the queue is kept by identity of the pod objects: a turn on another state (a branch, a test's
    # second cluster) with pods of the same names must schedule that state's pods, not the kept ones
    from refmodel.controllers import scheduler

    full = rm.converge(rm.apply_manifest(rm.new_cluster(1, pods_per_node=2), _rs("web", 4)))
    roomy = rm.apply_manifest(rm.new_cluster(2, pods_per_node=2), _rs("web", 4))
    roomy = rm.converge(roomy, controllers=("replicaset",))
    pending = sorted(name for name, node in _placement(roomy).items() if not node)
    got = []
    for s in (full, roomy, full, roomy):
        out = scheduler.sync(s, "queue")
        got.append(sorted(name for name, node in _placement(out).items() if node))
        scheduler._QUEUE[0] = ({}, [], []) if s is full else scheduler._QUEUE[0]
    assert got[1] == got[3] and len(got[1]) == 4, f"bound on the roomy cluster: {got}, but all 4 of {pending} fit"
    assert got[0] == got[2] and len(got[0]) == 2, f"bound on the full cluster: {got}, but only the 2 bound before"


def test_queue_order_holds_across_kept_and_new_entries() -> None:
    # activeQ order (priority, then creation, then namespace/name here): a pod created in the same second as
    # a pod kept waiting from an earlier turn, with a name that sorts first, takes the one place that frees
    s = rm.new_cluster(1, cpu="1")
    s = rm.converge(rm.apply_manifest(s, _pod("m-waiting", cpu="3")), controllers=("scheduler",))
    assert _scheduled_condition(s, "m-waiting")[:2] == ("", "False"), "m-waiting should wait: the node is too small"
    s = rm.converge(rm.apply_manifest(s, _pod("a-late", cpu="3")), controllers=("scheduler",))
    assert rm.get(s, "Pod", "a-late")["metadata"]["creationTimestamp"] == (
        rm.get(s, "Pod", "m-waiting")["metadata"]["creationTimestamp"]), "the two pods should share a creation second"
    s = rm.apply_manifest(s, _node_manifest("one-place"))  # 4 cpu: room for one of them
    s = rm.converge(s, controllers=("scheduler",))
    got = {name: _scheduled_condition(s, name)[0] for name in ("a-late", "m-waiting")}
    assert got == {"a-late": "one-place", "m-waiting": ""}, f"placement {got}, but a-late comes first in the queue"


def test_pods_left_unschedulable_are_not_attempted_on_every_turn() -> None:
    # upstream keeps them in unschedulablePods until an event may help (MoveAllToActiveOrBackoffQueue); the
    # model's turns come on such events, and a pod whose template still finds no room, already carrying its
    # message, costs a C-level comparison, not an attempt (counters: scheduler.attempts)
    from refmodel.counters import WorkCounters

    s = rm.converge(rm.apply_manifest(rm.new_cluster(1, pods_per_node=10), _rs("web", 200)))
    assert len(s.pods_by_node.get("")) == 190, "190 pods should wait for the 10 places of the node"
    counters = WorkCounters()
    for _ in range(10):  # each deletion frees a place the replacement or a waiting pod takes
        bound = next(p for p in rm.list_objects(s, "Pod") if p["spec"].get("nodeName"))
        s = rm.converge(rm.step(s, Delete("Pod", "default", bound["metadata"]["name"])), counters=counters)
    turns, attempts = counters.get("scheduler", "reconciles"), counters.get("scheduler", "attempts")
    assert turns >= 10, f"{turns} scheduler turns for 10 deletions, but each should bring one"
    assert attempts <= 3 * turns, (
        f"{attempts} attempts in {turns} turns with 190 pods waiting, but should be a few per turn (the pods "
        f"placed, the first that fails, the new ones): the waiting pods are attempted again on every turn")


def test_queue_forgets_a_deleted_pod_it_had_set_aside() -> None:
    # PriorityQueue.Delete (TestPriorityQueue_Delete): a deleted pod leaves the queue, even one this scheduler
    # does not take; a new pod of the same name is a new entry, scheduled as any other
    s = rm.new_cluster(1)
    s = rm.converge(rm.apply_manifest(s, _pod("p", cpu="100m", schedulerName="other")))
    s = rm.converge(rm.apply_manifest(s, _pod("q", cpu="100m")))  # a turn that sets "p" aside
    assert not rm.get(s, "Pod", "p")["spec"].get("nodeName"), "another scheduler's pod was bound"
    s = rm.converge(rm.step(s, Delete("Pod", "default", "p")))
    assert rm.get(s, "Pod", "p") is None, "the unbound pod should be gone at once"
    s = rm.converge(rm.apply_manifest(s, _pod("p", cpu="100m")))
    assert _scheduled_condition(s, "p")[0] == "node-0", "a pod recreated under the name of one set aside was not scheduled"


def test_queue_fed_by_the_log_is_the_queue_built_from_the_pending_pods(monkeypatch: pytest.MonkeyPatch) -> None:
    # TestPriorityQueue_Add / _Update / _Delete (pkg/scheduler/backend/queue/scheduling_queue_test.go): the
    # queue follows the informer's events of unassigned pods; here the state's log of their writes
    # (ClusterState.unscheduled). On every turn of a scenario that creates, binds, marks and deletes pending
    # pods, the queue kept and fed by the log must hold the entries, in the order, that building it from the
    # pending pods gives, and be built from them only on the first turn (a log that misses writes would be
    # caught by the count check and rebuilt, hiding the miss)
    from refmodel.controllers import scheduler

    active = scheduler._active_queue
    turns = {"turns": 0, "built": 0}

    def checked(state: ClusterState, pending_keys: Any) -> Any:
        kept = scheduler._QUEUE[0]
        fed = isinstance(kept, scheduler._Queue) and state.unscheduled.since(kept.mark) is not None
        queue = active(state, pending_keys)
        q = scheduler._QUEUE[0]
        fresh = scheduler._Queue()
        fresh.apply([(key, state.get("Pod", *key)) for key in pending_keys])
        turns["turns"] += 1
        turns["built"] += not fed or len(q.entries) != len(pending_keys) or q is not kept
        assert q.entries == fresh.entries, f"turn {turns['turns']}: kept entries differ from the pending pods'"
        assert queue == fresh.order, f"turn {turns['turns']}: kept queue order differs from the pending pods'"
        assert (q.specs.keys(), q.claims, q.said) == (fresh.specs.keys(), fresh.claims, fresh.said), (
            f"turn {turns['turns']}: the kept figures (templates, claims, messages) differ from the pending pods'")
        return queue

    monkeypatch.setattr(scheduler, "_active_queue", checked)
    scheduler._QUEUE[0] = None
    states = _queue_scenario()
    assert turns["turns"] > 20, f"{turns['turns']} scheduler turns, but the scenario should make many"
    assert turns["built"] == 1, f"the queue was built from the pending pods on {turns['built']} of {turns['turns']} " \
        "turns, but only the first should (every later one is fed by the log)"
    waiting = sum(1 for s in states if s.pods_by_node.get(""))
    assert waiting > 50, f"{waiting} states with pending pods, but the scenario should keep pods waiting"
