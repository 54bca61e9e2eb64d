"""The ReplicaSet controller (refmodel/controllers/replicaset.py) and the pod predicates it uses.

Mirrors ``pkg/controller/controller_utils_test.go`` (TestActivePodFiltering, TestSortingActivePodsWithRanks),
``pkg/controller/replicaset/replica_set_test.go`` (TestGetPodsToDelete, TestRelatedPodsLookup,
TestControllerBurstReplicas, TestSyncReplicaSetCreateFailures, TestSyncReplicaSetDoesNothing,
TestDoNotPatchPodWithOtherControlRef, TestDoNotAdoptOrCreateIfBeingDeleted, TestUpdatePods),
``pkg/controller/replicaset/replica_set_utils_test.go`` (TestCalculateStatus, TestCalculateStatusConditions),
``pkg/api/v1/pod/util_test.go`` (TestIsPodAvailable) and the conformance test "ReplicaSet should adopt
matching pods on creation and release no longer matching pods" (test/e2e/apps/replica_set.go).
"""

from __future__ import annotations

import itertools
from typing import Any

import door
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hst

import refmodel as rm
from refmodel.controllers import replicaset as rsc
from refmodel.counters import WorkCounters, counting
from refmodel.events import ClockAdvanced, Delete, PodKilled, ReadinessChanged, Reconcile, Scale
from refmodel.frozen import FrozenDict, freeze, with_
from refmodel.podutil import is_pod_active, is_pod_available
from refmodel.state import ClusterConfig, ClusterState, format_time

NOW = 1_800_000_000  # an epoch for the pure ranking tests
HOUR = 3600
MONTH = 30 * 24 * HOUR


# ---------------------------------------------------------------------------------------------
# builders
# ---------------------------------------------------------------------------------------------
def _rs_manifest(name: str, replicas: int, app: str, ns: str = "default", min_ready: int = 0) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"name": app}},
                            "template": {"metadata": {"labels": {"name": app}},
                                         "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def _rank_pod(name: str, node: str, phase: str, ready: bool, restarts: int = 0, ready_since: int | None = None,
              created: int | None = None, annotations: dict[str, str] | None = None, uid: str = "") -> FrozenDict:
    """TestSortingActivePodsWithRanks' pod(): None times are the zero metav1.Time."""
    md: dict[str, Any] = {"name": name, "namespace": "default"}
    if uid:
        md["uid"] = uid
    if created is not None:
        md["creationTimestamp"] = format_time(created)
    if annotations:
        md["annotations"] = annotations
    status: dict[str, Any] = {"phase": phase}
    if ready:
        cond: dict[str, Any] = {"type": "Ready", "status": "True"}
        if ready_since is not None:
            cond["lastTransitionTime"] = format_time(ready_since)
        status["conditions"] = [cond]
        status["containerStatuses"] = [{"name": "c", "restartCount": restarts}]
    return freeze({"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": {"nodeName": node}, "status": status})


def _less(a: tuple[FrozenDict, int], b: tuple[FrozenDict, int]) -> bool:
    return rsc.active_pods_with_ranks_less(a[0], a[1], b[0], b[1], NOW)


# ---------------------------------------------------------------------------------------------
# TestActivePodFiltering, TestIsPodAvailable
# ---------------------------------------------------------------------------------------------
def test_active_pod_filtering() -> None:
    # TestActivePodFiltering: Succeeded and Failed pods are filtered out
    phases = {"pod-1": "Succeeded", "pod-2": "Failed", "pod-3": "Running", "pod-4": "Running", "pod-5": "Running"}
    pods = [freeze({"metadata": {"name": n}, "spec": {}, "status": {"phase": ph}}) for n, ph in phases.items()]
    got = sorted(p["metadata"]["name"] for p in pods if is_pod_active(p))
    assert got == ["pod-3", "pod-4", "pod-5"], f"active pods {got}, but should be pod-3..pod-5"
    terminating = freeze({"metadata": {"name": "t", "deletionTimestamp": format_time(NOW)}, "spec": {},
                          "status": {"phase": "Running"}})
    assert not is_pod_active(terminating), "a pod with a deletionTimestamp counted as active (P-7)"


def _avail_pod(ready: bool, ltt: int | None) -> FrozenDict:
    cond: dict[str, Any] = {"type": "Ready", "status": "True" if ready else "False"}
    if ltt is not None:
        cond["lastTransitionTime"] = format_time(ltt)
    return freeze({"metadata": {"name": "p"}, "spec": {}, "status": {"phase": "Running", "conditions": [cond]}})


@pytest.mark.parametrize(("ready", "ltt", "min_ready", "want"), [
    (False, NOW, 0, False),      # not ready
    (True, NOW, 1, False),       # ready now, 1s required
    (True, NOW, 0, True),        # minReadySeconds 0
    (True, NOW - 2, 1, True),    # ready 2s ago, 1s required
    (True, NOW - 1, 1, False),   # exactly minReadySeconds: strict "Before" (P-6)
    (True, NOW - 11, 10, True),
    (True, None, 5, False),      # zero lastTransitionTime never becomes available
])
def test_is_pod_available(ready: bool, ltt: int | None, min_ready: int, want: bool) -> None:
    # TestIsPodAvailable (+ the strict-< boundary)
    got = is_pod_available(_avail_pod(ready, ltt), min_ready, NOW)
    assert got == want, f"is_pod_available(ready={ready}, ltt={ltt and NOW - ltt}s ago, min={min_ready})={got}, but should be {want}"


# ---------------------------------------------------------------------------------------------
# TestSortingActivePodsWithRanks
# ---------------------------------------------------------------------------------------------
UNSCHEDULED = _rank_pod("unscheduled", "", "Pending", False)
SCHEDULED_PENDING = _rank_pod("pending", "node", "Pending", False)
UNKNOWN_PHASE = _rank_pod("unknown-phase", "node", "Unknown", False)
RUNNING_NOT_READY = _rank_pod("not-ready", "node", "Running", False)
READY_NO_LTT = _rank_pod("ready-no-last-transition-time", "node", "Running", True)
READY_NOW = _rank_pod("ready-now", "node", "Running", True, 0, NOW, NOW)
READY_THEN = _rank_pod("ready-then", "node", "Running", True, 0, NOW - MONTH, NOW - MONTH)
READY_NOW_HIGH_RESTARTS = _rank_pod("ready-high-restarts", "node", "Running", True, 9001, NOW, NOW)
READY_NOW_CREATED_THEN = _rank_pod("ready-now-created-then", "node", "Running", True, 0, NOW, NOW - MONTH)
LOW_COST = _rank_pod("low-deletion-cost", "node", "Running", True, 0, NOW, NOW - MONTH,
                     {rsc.POD_DELETION_COST: "10"})
HIGH_COST = _rank_pod("high-deletion-cost", "node", "Running", True, 0, NOW, NOW - MONTH,
                      {rsc.POD_DELETION_COST: "100"})
UNSCHEDULED_5H = _rank_pod("unscheduled-5-hours", "", "Pending", False, 0, NOW - 5 * HOUR, NOW - 5 * HOUR)
UNSCHEDULED_8H = _rank_pod("unscheduled-10-hours", "", "Pending", False, 0, NOW - 8 * HOUR, NOW - 8 * HOUR)
READY_2H = _rank_pod("ready-2-hours", "", "Running", True, 0, NOW - 2 * HOUR, NOW - MONTH)
READY_5H = _rank_pod("ready-5-hours", "", "Running", True, 0, NOW - 5 * HOUR, NOW - MONTH)
READY_8H = _rank_pod("ready-10-hours", "", "Running", True, 0, NOW - 8 * HOUR, NOW - MONTH)

EQUALITY = [
    (UNSCHEDULED, None), (SCHEDULED_PENDING, None), (UNKNOWN_PHASE, None), (RUNNING_NOT_READY, None),
    (READY_NOW_CREATED_THEN, None), (READY_NOW, None), (READY_THEN, None), (READY_NOW_HIGH_RESTARTS, None),
    (READY_NOW_CREATED_THEN, None), (UNSCHEDULED_5H, UNSCHEDULED_8H), (READY_5H, READY_8H),
]


@pytest.mark.parametrize(("p1", "p2"), EQUALITY, ids=lambda p: p["metadata"]["name"] if p else "same")
def test_sorting_active_pods_with_ranks_equality(p1: FrozenDict, p2: FrozenDict | None) -> None:
    # TestSortingActivePodsWithRanks ("Equality tests": ranks 1, 1; log-scale buckets)
    q = p2 if p2 is not None else p1
    assert not _less((p1, 1), (q, 1)) and not _less((q, 1), (p1, 1)), (
        f"{p1['metadata']['name']} and {q['metadata']['name']} are ordered, but should be equivalent")


INEQUALITY = [
    ((UNSCHEDULED, 1), (SCHEDULED_PENDING, 2)),
    ((UNSCHEDULED, 2), (SCHEDULED_PENDING, 1)),
    ((SCHEDULED_PENDING, 1), (UNKNOWN_PHASE, 2)),
    ((UNKNOWN_PHASE, 1), (RUNNING_NOT_READY, 2)),
    ((RUNNING_NOT_READY, 1), (READY_NO_LTT, 1)),
    ((READY_NO_LTT, 1), (READY_NOW, 1)),
    ((READY_NOW, 2), (READY_NO_LTT, 1)),
    ((READY_NOW, 1), (READY_THEN, 1)),
    ((READY_NOW, 2), (READY_THEN, 1)),
    ((READY_NOW_HIGH_RESTARTS, 1), (READY_NOW, 1)),
    ((READY_NOW, 2), (READY_NOW_HIGH_RESTARTS, 1)),
    ((READY_NOW, 1), (READY_NOW_CREATED_THEN, 1)),
    ((READY_NOW_CREATED_THEN, 2), (READY_NOW, 1)),
    ((LOW_COST, 2), (HIGH_COST, 1)),
    ((READY_2H, 1), (READY_5H, 1)),
]


@pytest.mark.parametrize(("lesser", "greater"), INEQUALITY,
                         ids=lambda pr: f"{pr[0]['metadata']['name']}@{pr[1]}")
def test_sorting_active_pods_with_ranks_inequality(lesser: tuple[FrozenDict, int],
                                                   greater: tuple[FrozenDict, int]) -> None:
    # TestSortingActivePodsWithRanks ("Inequality tests"; the PodDeletionCost-disabled row is not modelled)
    ln, gn = lesser[0]["metadata"]["name"], greater[0]["metadata"]["name"]
    assert _less(lesser, greater), f"{ln}@{lesser[1]} not less than {gn}@{greater[1]}, but should be deleted first"
    assert not _less(greater, lesser), f"{gn}@{greater[1]} less than {ln}@{lesser[1]}, but should not be"


def test_sorting_same_ready_bucket_breaks_ties_by_uid() -> None:
    # controller_utils.go ActivePodsWithRanks.Less: rankDiff == 0 -> return UID[i] < UID[j]
    a = _rank_pod("a", "node", "Running", True, 5, NOW - 5 * HOUR, NOW - MONTH, uid="bbbb")
    b = _rank_pod("b", "node", "Running", True, 0, NOW - 8 * HOUR, NOW - MONTH, uid="aaaa")
    assert _less((b, 1), (a, 1)), "pod with the smaller UID is not deleted first within one ready-time bucket"
    assert not _less((a, 1), (b, 1)), "restart count decided between two pods of one ready-time bucket"


def test_deletion_cost_outranks_rank_and_bad_cost_counts_as_zero() -> None:
    zero = _rank_pod("zero", "node", "Running", True, 0, NOW, NOW)
    neg = _rank_pod("neg", "node", "Running", True, 0, NOW, NOW, {rsc.POD_DELETION_COST: "-5"})
    junk = _rank_pod("junk", "node", "Running", True, 0, NOW, NOW, {rsc.POD_DELETION_COST: "lots"})
    assert _less((neg, 1), (zero, 5)), "negative deletion cost did not put the pod first"
    assert not _less((junk, 1), (zero, 1)) and not _less((zero, 1), (junk, 1)), "an unparsable cost is not 0"


# ---------------------------------------------------------------------------------------------
# TestGetPodsToDelete
# ---------------------------------------------------------------------------------------------
def _lax_cluster() -> ClusterState:
    """A cluster whose controller writes are not validated (upstream's fake clients store these bare pods)."""
    return rm.new_cluster(0, config=ClusterConfig(strict=False))


def _store_pod(s: ClusterState, name: str, owner: FrozenDict, node: str, phase: str,
               ready: bool | None) -> tuple[ClusterState, FrozenDict]:
    md = {"name": name, "namespace": "default", "labels": {"name": "foo"},
          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner["metadata"]["name"],
                               "uid": owner["metadata"]["uid"], "controller": True}]}
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "x"}]}
    if node:
        spec["nodeName"] = node
    r = door.create(s, freeze({"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}),
                    controller=door.CONTROLLER)
    assert r.ok and r.obj is not None
    status: dict[str, Any] = {"phase": phase}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
    r = door.update_status(r.state, with_(r.obj, status=freeze(status)))
    assert r.obj is not None
    return r.state, r.obj


def _store_rs(s: ClusterState, name: str, controller_uid: str | None) -> tuple[ClusterState, FrozenDict]:
    raw = _rs_manifest(name, 1, "foo")
    if controller_uid:
        raw["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d",
                                               "uid": controller_uid, "controller": True}]
    r = door.create(s, freeze(raw), controller=door.CONTROLLER)
    assert r.ok and r.obj is not None
    return r.state, r.obj


@pytest.fixture(scope="module")
def pods_to_delete_world() -> tuple[ClusterState, FrozenDict, dict[str, FrozenDict]]:
    s = _lax_cluster()
    s, rs = _store_rs(s, "foobar", None)
    pods: dict[str, FrozenDict] = {}
    for name, node, phase, ready in [
        ("unscheduled-pending-pod", "", "Pending", None),
        ("scheduled-pending-pod", "fake-node", "Pending", None),
        ("scheduled-running-not-ready-pod", "fake-node", "Running", False),
        ("scheduled-running-ready-pod-on-node-1", "fake-node-1", "Running", True),
        ("scheduled-running-ready-pod-on-node-2", "fake-node-2", "Running", True),
    ]:
        s, pods[name] = _store_pod(s, name, rs, node, phase, ready)
    return s, rs, pods


U, SP, NR, R1, R2 = ("unscheduled-pending-pod", "scheduled-pending-pod", "scheduled-running-not-ready-pod",
                     "scheduled-running-ready-pod-on-node-1", "scheduled-running-ready-pod-on-node-2")
PODS_TO_DELETE = [
    ("len(pods) = 0 (i.e., diff = 0 too)", [], 0, []),
    ("diff = len(pods)", [NR, R1], 2, [NR, R1]),
    ("diff < len(pods)", [R1, NR], 1, [NR]),
    ("various pod phases and conditions, diff = len(pods)", [R1, R1, R2, NR, SP, U], 6, [R1, R1, R2, NR, SP, U]),
    ("scheduled vs unscheduled, diff < len(pods)", [SP, U], 1, [U]),
    ("ready vs not-ready, diff < len(pods)", [R1, NR, NR], 2, [NR, NR]),
    ("pending vs running, diff < len(pods)", [SP, NR], 1, [SP]),
    ("various pod phases and conditions, diff < len(pods)", [R1, R2, NR, SP, U], 3, [U, SP, NR]),
]


@pytest.mark.parametrize(("name", "pods", "diff", "want"), PODS_TO_DELETE, ids=[r[0] for r in PODS_TO_DELETE])
def test_get_pods_to_delete(pods_to_delete_world: tuple[ClusterState, FrozenDict, dict[str, FrozenDict]],
                            name: str, pods: list[str], diff: int, want: list[str]) -> None:
    # TestGetPodsToDelete (related pods default to the pods themselves: a ReplicaSet with no controller)
    s, rs, by_name = pods_to_delete_world
    got = [p["metadata"]["name"] for p in rsc.get_pods_to_delete(s, rs, [by_name[n] for n in pods], diff)]
    assert got == want, f"{name}: pods to delete {got}, but should be {want}"


def test_get_pods_to_delete_prefers_pods_colocated_with_related_pods() -> None:
    # TestGetPodsToDelete "ready and colocated with another ready pod vs not colocated, diff < len(pods)":
    # related pods (all ReplicaSets of one controller) put 2 pods on fake-node-2 and 1 on fake-node-1.
    s = _lax_cluster()
    s, rs = _store_rs(s, "foobar", "dep-uid")
    s, sibling = _store_rs(s, "sibling", "dep-uid")
    s, p1 = _store_pod(s, R1, rs, "fake-node-1", "Running", True)
    s, p2 = _store_pod(s, R2, rs, "fake-node-2", "Running", True)
    s, _ = _store_pod(s, "sibling-pod", sibling, "fake-node-2", "Running", True)
    got = [p["metadata"]["name"] for p in rsc.get_pods_to_delete(s, rs, [p1, p2], 1)]
    assert got == [R2], f"pods to delete {got}, but should be the one sharing fake-node-2 with a related pod"


def test_related_pods_lookup_ignores_unrelated_replica_sets() -> None:
    # TestRelatedPodsLookup: own pods and a related ReplicaSet's pods count, an unrelated one's do not
    s = _lax_cluster()
    s, rs = _store_rs(s, "foo1", "123")
    s, unrelated = _store_rs(s, "bar1", "456")
    s, p1 = _store_pod(s, "pod1", rs, "node-a", "Running", True)
    s, p2 = _store_pod(s, "pod2", rs, "node-b", "Running", True)
    for i in range(3):
        s, _ = _store_pod(s, f"pod4-{i}", unrelated, "node-b", "Running", True)
    ranks = rsc._ranks(s, rs, [p1, p2])
    assert ranks[("default", "pod1")] == ranks[("default", "pod2")] == 1, (
        f"ranks {ranks}, but an unrelated ReplicaSet's pods must not count")
    s, related = _store_rs(s, "foo2", "123")
    s, _ = _store_pod(s, "pod3", related, "node-b", "Running", True)
    ranks = rsc._ranks(s, rs, [p1, p2])
    assert (ranks[("default", "pod1")], ranks[("default", "pod2")]) == (1, 2), (
        f"ranks {ranks}, but the related ReplicaSet's pod on node-b should count")


def test_standalone_replica_set_has_no_colocation_rank() -> None:
    # replica_set.go getIndirectlyRelatedPods/getReplicaSetsWithSameController: no controllerRef -> no related pods
    s = _lax_cluster()
    s, rs = _store_rs(s, "solo", None)
    s, alone = _store_pod(s, "alone", rs, "node-a", "Running", True)
    s, b1 = _store_pod(s, "b1", rs, "node-b", "Running", True)
    s, b2 = _store_pod(s, "b2", rs, "node-b", "Running", True)
    ranks = rsc._ranks(s, rs, [alone, b1, b2])
    assert set(ranks.values()) == {0}, f"ranks {ranks}, but a standalone ReplicaSet has no related pods (all 0)"


# ---------------------------------------------------------------------------------------------
# TestCalculateStatus, TestCalculateStatusConditions
# ---------------------------------------------------------------------------------------------
def _status_rs(replicas: int, selector: dict[str, str], min_ready: int = 0,
               conditions: list[dict[str, Any]] | None = None) -> FrozenDict:
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": selector},
                            "template": {"metadata": {"labels": {"name": "foo", "type": "production"}},
                                         "spec": {"containers": [{"name": "c", "image": "foo/bar"}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    rs: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                          "metadata": {"name": "foobar", "namespace": "default", "uid": "rs-uid", "generation": 1},
                          "spec": spec}
    if conditions:
        rs["status"] = {"conditions": conditions}
    return freeze(rs)


def _status_pod(name: str, labels: dict[str, str], phase: str) -> FrozenDict:
    status: dict[str, Any] = {"phase": phase}
    if phase == "Running":
        status["conditions"] = [{"type": "Ready", "status": "True"}]
    return freeze({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default",
                                                                   "labels": labels}, "spec": {}, "status": status})


LABELS = {"name": "foo"}
FULL = {"name": "foo", "type": "production"}
CALCULATE_STATUS = [
    ("1 fully labelled pod", _status_rs(2, FULL), [("pod1", FULL, "Running")], (1, 1, 1, 1)),
    ("1 not fully labelled pod", _status_rs(1, LABELS), [("pod1", LABELS, "Running")], (1, 0, 1, 1)),
    ("2 fully labelled pods", _status_rs(2, FULL), [("pod1", FULL, "Running"), ("pod2", FULL, "Running")],
     (2, 2, 2, 2)),
    ("2 not fully labelled pods", _status_rs(1, LABELS),
     [("pod1", LABELS, "Running"), ("pod2", LABELS, "Running")], (2, 0, 2, 2)),
    ("1 fully labelled pod, 1 not fully labelled pod", _status_rs(1, LABELS),
     [("pod1", LABELS, "Running"), ("pod2", FULL, "Running")], (2, 1, 2, 2)),
    ("1 non-ready pod", _status_rs(2, FULL), [("pod1", FULL, "Pending")], (1, 1, 0, 0)),
    ("1 ready but non-available pod", _status_rs(1, FULL, min_ready=3600), [("pod1", FULL, "Running")],
     (1, 1, 1, 0)),
]


@pytest.mark.parametrize(("name", "rs", "pods", "want"), CALCULATE_STATUS, ids=[r[0] for r in CALCULATE_STATUS])
def test_calculate_status(name: str, rs: FrozenDict, pods: list[tuple[str, dict[str, str], str]],
                          want: tuple[int, int, int, int]) -> None:
    # TestCalculateStatus: (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas)
    st = rsc.calculate_status(ClusterState(), rs, [_status_pod(*p) for p in pods])
    got = (st.get("replicas", 0), st.get("fullyLabeledReplicas", 0), st.get("readyReplicas", 0),
           st.get("availableReplicas", 0))
    assert got == want, f"{name}: status counts {got}, but should be {want}"
    assert "conditions" not in st


def test_calculate_status_conditions() -> None:
    # TestCalculateStatusConditions: an error adds ReplicaFailure; no error removes it
    rs = _status_rs(2, LABELS)
    pod = [_status_pod("pod1", LABELS, "Running")]
    st = rsc.calculate_status(ClusterState(), rs, pod, "FailedCreate: fake manageReplicasErr")
    conds = st.get("conditions") or ()
    assert len(conds) == 1 and conds[0]["type"] == "ReplicaFailure" and conds[0]["status"] == "True"
    assert conds[0]["reason"] == "FailedCreate", f"reason={conds[0]['reason']}, but should be FailedCreate"
    failing = _status_rs(10, LABELS, conditions=[{"type": "ReplicaFailure", "status": "True"}])
    st = rsc.calculate_status(ClusterState(), failing, pod)
    assert not st.get("conditions"), f"conditions={st.get('conditions')} with no error, but ReplicaFailure should go"
    st = rsc.calculate_status(ClusterState(), rs, pod)
    assert not st.get("conditions")


def test_calculate_status_conditions_existing_failure_is_kept() -> None:
    # TestCalculateStatusConditions "manageReplicasErr != nil && failureCond != nil"
    existing = {"type": "ReplicaFailure", "status": "True", "lastTransitionTime": format_time(NOW)}
    failing = _status_rs(10, LABELS, conditions=[existing])
    pod = [_status_pod("pod1", LABELS, "Running")]
    st = rsc.calculate_status(ClusterState(), failing, pod, "FailedCreate: fake manageReplicasErr")
    conds = [dict(c) for c in st.get("conditions") or ()]
    assert conds == [existing], (
        f"conditions={conds}, but an existing ReplicaFailure should be left as it was")


# ---------------------------------------------------------------------------------------------
# controller behaviour (syncReplicaSet)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster() -> ClusterState:
    return rm.new_cluster(3)


def _pods(s: ClusterState, app: str, ns: str = "default") -> list[dict[str, Any]]:
    return rm.list_objects(s, "Pod", ns, selector={"name": app})


def test_sync_replica_set_does_nothing_when_satisfied(cluster: ClusterState) -> None:
    # TestSyncReplicaSetDoesNothing
    s = rm.converge(rm.apply_manifest(cluster, _rs_manifest("foo", 2, "foo")))
    s2 = rm.step(s, Reconcile("replicaset", "default/foo"))
    assert s2.rv == s.rv, f"a sync of a satisfied ReplicaSet wrote (rv {s.rv} -> {s2.rv}), but should not"


def test_controller_burst_replicas(cluster: ClusterState) -> None:
    # TestControllerBurstReplicas / rule RS-1: at most 500 creates or deletes per sync
    s = rm.apply_manifest(cluster, _rs_manifest("big", 600, "big"))
    s = rm.step(s, Reconcile("replicaset", "default/big"))
    assert len(_pods(s, "big")) == 500, f"{len(_pods(s, 'big'))} pods after one sync, but the burst is 500"
    s = rm.step(s, Reconcile("replicaset", "default/big"))
    assert len(_pods(s, "big")) == 600
    s = rm.step(s, Scale("ReplicaSet", "default", "big", 0))
    s = rm.step(s, Reconcile("replicaset", "default/big"))
    assert len(_pods(s, "big")) == 100, f"{len(_pods(s, 'big'))} pods after one scale-down sync, but should be 100"
    s = rm.step(s, Reconcile("replicaset", "default/big"))
    assert _pods(s, "big") == []


def test_terminating_and_failed_pods_are_replaced_at_once(cluster: ClusterState) -> None:
    # P-7: a Terminating pod is inactive, so the ReplicaSet replaces it before it is gone
    s = rm.converge(rm.apply_manifest(cluster, _rs_manifest("web", 2, "web")))
    victim = _pods(s, "web")[0]["metadata"]["name"]
    s = door.delete(s, "Pod", "default", victim).state
    s = rm.step(s, Reconcile("replicaset", "default/web"))
    active = [p for p in _pods(s, "web") if not p["metadata"].get("deletionTimestamp")]
    assert len(active) == 2, f"{len(active)} active pods right after a graceful delete, but should be 2 again"
    assert rm.get(s, "ReplicaSet", "web")["status"]["replicas"] == 2


def test_sync_replica_set_create_failures_stop_early(cluster: ClusterState) -> None:
    # TestSyncReplicaSetCreateFailures-ish: creates fail (terminating namespace); no pod appears
    s = rm.apply_manifest(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}})
    s = rm.apply_manifest(s, _rs_manifest("web", 3, "web", ns="t"))
    s = door.delete(s, "Namespace", "", "t").state
    s = rm.step(s, Reconcile("replicaset", "t/web"))
    assert _pods(s, "web", "t") == [], "pods were created in a terminating namespace"


def test_no_replica_failure_while_namespace_terminates(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}})
    s = rm.converge(rm.apply_manifest(s, _rs_manifest("web", 2, "web", ns="t")))
    s = door.delete(s, "Namespace", "", "t").state
    s = rm.step(s, PodKilled("t", _pods(s, "web", "t")[0]["metadata"]["name"]))
    s = rm.step(s, Reconcile("replicaset", "t/web"))
    conds = rm.get(s, "ReplicaSet", "web", "t")["status"].get("conditions") or []
    assert not conds, f"conditions={conds}, but a terminating namespace must not produce ReplicaFailure"


def test_adopt_matching_pods_and_release_no_longer_matching(cluster: ClusterState) -> None:
    # conformance: "should adopt matching pods on creation and release no longer matching pods"
    name = "pod-adoption-release"
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"name": name}},
              "spec": {"containers": [{"name": name, "image": "nginx:1.27"}]}}
    s = rm.converge(rm.apply_manifest(cluster, orphan))
    s = rm.converge(rm.apply_manifest(s, _rs_manifest(name, 1, name)))
    rs = rm.get(s, "ReplicaSet", name)
    pod = rm.get(s, "Pod", name)
    refs = pod["metadata"].get("ownerReferences") or []
    assert [(r["uid"], r.get("controller")) for r in refs] == [(rs["metadata"]["uid"], True)], (
        f"ownerReferences={refs}, but the orphan should be adopted by {name}")
    assert len(_pods(s, name)) == 1, "the ReplicaSet created a pod although it adopted one"
    pod["metadata"]["labels"] = {"name": "not-matching"}
    s = rm.converge(door.update(s, pod).state)
    released = rm.get(s, "Pod", name)
    assert not released["metadata"].get("ownerReferences"), (
        f"ownerReferences={released['metadata'].get('ownerReferences')}, but the pod should be released")
    mine = _pods(s, name)
    assert len(mine) == 1 and mine[0]["metadata"]["name"] != name, "no replacement for the released pod"
    assert rm.get(s, "ReplicaSet", name)["status"]["replicas"] == 1


def test_do_not_patch_pod_with_other_controller_ref(cluster: ClusterState) -> None:
    # TestDoNotPatchPodWithOtherControlRef
    s = rm.converge(rm.apply_manifest(cluster, _rs_manifest("other", 0, "zzz")))
    other = rm.get(s, "ReplicaSet", "other")
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "taken", "labels": {"name": "foo"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "other",
                                             "uid": other["metadata"]["uid"], "controller": True}]},
           "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
    s = rm.apply_manifest(s, pod)
    s = rm.step(rm.apply_manifest(s, _rs_manifest("foo", 2, "foo")), Reconcile("replicaset", "default/foo"))
    taken = rm.get(s, "Pod", "taken")
    assert [r["name"] for r in taken["metadata"]["ownerReferences"]] == ["other"], "a controlled pod was adopted"
    assert len([p for p in _pods(s, "foo") if p["metadata"]["name"] != "taken"]) == 2


def test_do_not_adopt_or_create_if_being_deleted(cluster: ClusterState) -> None:
    # TestDoNotAdoptOrCreateIfBeingDeleted
    s = rm.apply_manifest(cluster, _rs_manifest("foo", 2, "foo"))
    s = rm.step(s, Delete("ReplicaSet", "default", "foo", "Foreground"))
    orphan = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod1", "labels": {"name": "foo"}},
              "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
    s = rm.step(rm.apply_manifest(s, orphan), Reconcile("replicaset", "default/foo"))
    assert not rm.get(s, "Pod", "pod1")["metadata"].get("ownerReferences"), "a ReplicaSet being deleted adopted"
    assert [p["metadata"]["name"] for p in _pods(s, "foo")] == ["pod1"], "a ReplicaSet being deleted created pods"


def test_update_pods_wakes_old_and_new_controllers() -> None:
    # TestUpdatePods: controllerRef kept -> owner; orphaned -> former owner and label-matching ReplicaSets
    s = rm.new_cluster(0)
    s = rm.apply_manifest(s, _rs_manifest("foobar", 1, "rs1"))
    s = rm.apply_manifest(s, _rs_manifest("barfoo", 1, "rs2"))
    rs1 = s.get("ReplicaSet", "default", "foobar")
    ref1 = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "foobar", "uid": rs1["metadata"]["uid"],
            "controller": True}
    owned = freeze({"metadata": {"name": "pod", "namespace": "default", "labels": {"name": "rs1"},
                                 "ownerReferences": [ref1]}, "spec": {}, "status": {"phase": "Running"}})
    relabelled = freeze({**owned, "metadata": {**owned["metadata"], "labels": {"name": "rs2"}}})
    keys = sorted(rsc._pod_keys(s, owned, relabelled))
    assert keys == ["default/foobar"], f"keys {keys} for a relabelled owned pod, but only its owner should sync"
    orphaned = freeze({**relabelled, "metadata": {"name": "pod", "namespace": "default", "labels": {"name": "rs2"}}})
    keys = sorted(rsc._pod_keys(s, owned, orphaned))
    assert keys == ["default/barfoo", "default/foobar"], f"keys {keys}, but former owner and matching RS should sync"


def test_min_ready_seconds_available_after_strictly_more(cluster: ClusterState) -> None:
    # RS-4 with minReadySeconds: every status write counts IsPodAvailable (strict <), and the AddAfter
    # requeue makes the pods available without any other event
    s = rm.apply_manifest(cluster, _rs_manifest("slow", 2, "slow", min_ready=30))
    syncs = 0
    for event, st in rm.converge_steps(s):
        if event != Reconcile("replicaset", "default/slow"):
            continue
        syncs += 1
        now = st.config.start_time + st.now
        want = sum(1 for p in _pods(st, "slow") if is_pod_available(freeze(p), 30, now))
        got = rm.get(st, "ReplicaSet", "slow")["status"].get("availableReplicas", 0)
        assert got == want, f"availableReplicas={got}, but should be {want} [at t={st.now}s]"
        s = st
    status = rm.get(s, "ReplicaSet", "slow")["status"]
    assert status.get("availableReplicas") == 2, f"status {status} after converge, but both pods should be available"
    assert syncs >= 3, f"{syncs} syncs, but the requeue after minReadySeconds should add one"


def test_readiness_loss_reduces_ready_and_available(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs_manifest("web", 2, "web")))
    name = _pods(s, "web")[0]["metadata"]["name"]
    s = rm.converge(rm.step(s, ReadinessChanged("default", name, False)))
    st = rm.get(s, "ReplicaSet", "web")["status"]
    assert (st["replicas"], st.get("readyReplicas", 0), st.get("availableReplicas", 0)) == (2, 1, 1), f"status {st}"


def test_template_change_does_not_touch_existing_pods(cluster: ClusterState) -> None:
    # RS-6
    s = rm.converge(rm.apply_manifest(cluster, _rs_manifest("web", 2, "web")))
    before = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in _pods(s, "web")}
    m = _rs_manifest("web", 2, "web")
    m["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    s = rm.converge(rm.apply_manifest(s, m))
    after = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in _pods(s, "web")}
    assert after == before, f"pods {after} after a template change, but should be unchanged {before}"


def test_scale_down_honours_pod_deletion_cost(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs_manifest("web", 3, "web")))
    keep = sorted(p["metadata"]["name"] for p in _pods(s, "web"))[0]
    for p in _pods(s, "web"):
        if p["metadata"]["name"] != keep:
            continue
        p["metadata"].setdefault("annotations", {})[rsc.POD_DELETION_COST] = "1000"
        r = door.update(s, p)  # kubectl annotate
        assert r.ok, f"annotating {keep} failed: {r.rejection}"
        s = r.state
    s = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "web", 1)))
    left = [p["metadata"]["name"] for p in _pods(s, "web")]
    assert left == [keep], f"pods left {left}, but the pod with the highest deletion cost ({keep}) should stay"


# ---------------------------------------------------------------------------------------------
# the sort key: one per pod, comparing exactly as ActivePodsWithRanks.Less
# ---------------------------------------------------------------------------------------------
# few distinct values, so that pods tie on the first criteria often (NOW - HOUR and NOW - HOUR - 5 share a
# log-scale bucket: their order then comes from the uid or, for equal times, from restarts and creation)
_TIMES = hst.sampled_from([None, NOW, NOW - HOUR, NOW - HOUR - 5, NOW - HOUR - 5, NOW - 2 * HOUR, NOW - 3 * HOUR,
                           NOW - MONTH, NOW + 10])


@hst.composite
def _ranked_pods(draw: hst.DrawFn) -> list[tuple[FrozenDict, int]]:
    out = []
    for i in range(draw(hst.integers(2, 8))):
        cost = draw(hst.sampled_from([None, None, None, "0", "5", "-3", "junk"]))
        pod = _rank_pod(f"p{i}", draw(hst.sampled_from(["", "n1", "n1", "n1"])),
                        draw(hst.sampled_from(["Pending", "Unknown", "Running", "Running", "Running"])),
                        draw(hst.sampled_from([False, True, True, True])),
                        draw(hst.sampled_from([0, 0, 7])), draw(_TIMES), draw(_TIMES),
                        None if cost is None else {rsc.POD_DELETION_COST: cost}, uid=f"uid-{draw(hst.integers(0, 99)):02d}-{i}")
        out.append((pod, draw(hst.sampled_from([0, 0, 0, 2]))))
    return out


# Less is not transitive here (a < b by restarts at equal ready times, b < c and c < a by uid at different
# times in one bucket): each pair must still compare as Less says
_CYCLE = [(_rank_pod("a", "n1", "Running", True, 5, NOW - HOUR, NOW - MONTH, uid="uid-3"), 0),
          (_rank_pod("b", "n1", "Running", True, 0, NOW - HOUR, NOW - MONTH, uid="uid-1"), 0),
          (_rank_pod("c", "n1", "Running", True, 0, NOW - HOUR - 5, NOW - MONTH, uid="uid-2"), 0)]


# ready 2 h and 3 h ago: neighbouring log-scale buckets (42 and 43), so the bucket decides, not the uid
_BUCKETS = [(_rank_pod("a", "n1", "Running", True, 0, NOW - 2 * HOUR, NOW - MONTH, uid="uid-2"), 0),
            (_rank_pod("b", "n1", "Running", True, 0, NOW - 3 * HOUR, NOW - MONTH, uid="uid-1"), 0)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # slow on a loaded machine
@example(_CYCLE)
@example(_BUCKETS)
@given(_ranked_pods())
def test_sort_keys_compare_as_less(pods: list[tuple[FrozenDict, int]]) -> None:
    # every pair of pods of one ranking: key(a) < key(b) exactly when ActivePodsWithRanks.Less(a, b); so a
    # selection by key picks what a comparison sort with Less picks whenever Less orders the pods
    ranks = {("default", p["metadata"]["name"]): r for p, r in pods}
    keys = rsc._sort_keys([p for p, _ in pods], ranks, NOW)
    for (a, ka), (b, kb) in itertools.permutations(zip(pods, keys, strict=True), 2):
        want = _less(a, b)
        assert (ka < kb) == want, (
            f"key({a[0]['metadata']['name']}) < key({b[0]['metadata']['name']}) is {ka < kb}, but Less says {want}")


def test_scale_down_ranks_every_pod_once() -> None:
    # a scale-down of k pods builds one key per pod (not a comparison of every pair), counted as "ranked"
    s = rm.converge(rm.apply_manifest(rm.new_cluster(2), _rs_manifest("rs", 40, "a")))
    counters = WorkCounters()
    s = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "rs", 30)), counters=counters)
    assert rsc.active_count(s, s.get("ReplicaSet", "default", "rs")["metadata"]["uid"]) == 30  # type: ignore[index]
    assert counters.get("replicaset", "ranked") == 40, (
        f"{counters.get('replicaset', 'ranked')} pods ranked for a scale-down of 10 out of 40, but should be 40")


# ---------------------------------------------------------------------------------------------
# the deletion order kept across the bursts of a scale-down (issue 9)
# ---------------------------------------------------------------------------------------------
def _bursts_cluster(pods: int, nodes: int = 3) -> tuple[ClusterState, str]:
    """A converged ReplicaSet of ``pods`` replicas in bursts of 4, scaled down to 2: each sync deletes 4."""
    s = rm.new_cluster(nodes, config=ClusterConfig(burst_replicas=4, strict=True))
    s = rm.converge(rm.apply_manifest(s, _rs_manifest("web", pods, "web")))
    return rm.step(s, Scale("ReplicaSet", "default", "web", 2)), "default/web"


def _burst(s: ClusterState, key: str) -> tuple[ClusterState, list[str], list[str]]:
    """One sync of a scale-down burst: the pods it deleted, and the ones a full ranking of every active pod
    (getPodsToDelete as upstream runs it on each sync) picks for that state."""
    rs = s.get("ReplicaSet", "default", "web")
    assert rs is not None
    active = rsc.active_pods(s, rs["metadata"]["uid"])
    want = [p["metadata"]["name"] for p in rsc.get_pods_to_delete(s, rs, active, 4)]
    after = rm.step(s, Reconcile("replicaset", key))
    still = set(p["metadata"]["name"] for p in rsc.active_pods(after, rs["metadata"]["uid"]))
    gone = [p["metadata"]["name"] for p in active if p["metadata"]["name"] not in still]
    return after, sorted(gone), sorted(want)


def test_kept_deletion_order_sees_a_pod_written_between_bursts() -> None:
    # a pod annotated with a low deletion cost between two bursts goes first in the next one: the order
    # the first burst kept is dropped when one of the ReplicaSet's active pods is written
    s, key = _bursts_cluster(20)
    s, gone, want = _burst(s, key)
    assert gone == want, f"first burst deleted {gone}, but a full ranking picks {want}"
    rs = s.get("ReplicaSet", "default", "web")
    assert rs is not None
    active = rsc.active_pods(s, rs["metadata"]["uid"])
    last = rsc.get_pods_to_delete(s, rs, active, len(active) - 1)
    keep = next(p for p in active if p not in last)  # the pod a full ranking deletes last
    annotations = {**(keep["metadata"].get("annotations") or {}), rsc.POD_DELETION_COST: "-100"}
    r = door.update(s, with_(keep, metadata=with_(keep["metadata"], annotations=freeze(annotations))))
    assert r.ok, f"annotating {keep['metadata']['name']} failed: {r.rejection}"
    s, gone, want = _burst(r.state, key)
    assert keep["metadata"]["name"] in want, f"a full ranking picks {want}, but should pick the annotated pod"
    assert gone == want, f"second burst deleted {gone}, but a full ranking picks {want} (a stale order was kept)"


def test_kept_deletion_order_follows_the_clock() -> None:
    # the log-scale ready-time buckets move with the clock: an hour later, pods ready a second apart share
    # a bucket and go by uid, so the order the first burst kept must be rebuilt
    s = rm.new_cluster(3, config=ClusterConfig(burst_replicas=4, strict=True))
    s = rm.converge(rm.apply_manifest(s, _rs_manifest("web", 10, "web")))
    s = rm.converge(rm.step(rm.step(s, ClockAdvanced(5)), Scale("ReplicaSet", "default", "web", 20)))
    s = rm.step(rm.step(s, ClockAdvanced(1)), Scale("ReplicaSet", "default", "web", 2))
    key = "default/web"
    rs = s.get("ReplicaSet", "default", "web")
    assert rs is not None
    active = rsc.active_pods(s, rs["metadata"]["uid"])
    s, gone, want = _burst(s, key)
    assert gone == want, f"first burst deleted {gone}, but a full ranking picks {want}"
    later = rm.step(s, ClockAdvanced(3600))
    order_now = [p["metadata"]["name"] for p in rsc.get_pods_to_delete(s, rs, active, 10)]
    order_later = [p["metadata"]["name"] for p in rsc.get_pods_to_delete(later, rs, active, 10)]
    assert order_now != order_later, f"the order {order_now} is the same an hour later: the test shows nothing"
    s = later
    for _ in range(3):
        s, gone, want = _burst(s, key)
        assert gone == want, f"a burst an hour later deleted {gone}, but a full ranking picks {want}"


@pytest.mark.parametrize("shape", ["default-nodes", "large-nodes"])
def test_rollout_bursts_delete_what_a_full_ranking_picks(monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    # every burst of an image rollout (ranks move between bursts: new pods land, old ones go) picks the pods
    # that a full ranking of every active pod picks, in the same order
    picks: list[int] = []
    take = rsc._take

    def checked(state: ClusterState, rs: FrozenDict, diff: int) -> list[FrozenDict]:
        active = sorted(rsc.active_pods(state, rs["metadata"]["uid"]), key=lambda p: p["metadata"]["name"])
        want = rsc.get_pods_to_delete(state, rs, active, diff)
        got = take(state, rs, diff)
        names = [p["metadata"]["name"] for p in got]
        assert names == [p["metadata"]["name"] for p in want], (
            f"burst of {diff} deleted {names}, but a full ranking picks {[p['metadata']['name'] for p in want]}")
        picks.append(diff)
        return got

    monkeypatch.setattr(rsc, "_take", checked)
    n = 240
    if shape == "default-nodes":
        s = rm.new_cluster(n // 100 + 1, config=ClusterConfig(burst_replicas=16, strict=True))
    else:
        s = rm.new_cluster(n // 20 + 1, cpu="64", memory="256Gi", pods_per_node=20,
                           config=ClusterConfig(burst_replicas=16, strict=True))
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": n, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}
    s = rm.converge(rm.apply_manifest(s, dep))
    dep["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    s = rm.converge(rm.apply_manifest(s, dep))
    images = {p["spec"]["containers"][0]["image"] for p in s.iter_kind("Pod", "default")}
    assert images == {"nginx:1.28"} and s.count("Pod", "default") == n, f"{s.count('Pod', 'default')} pods {images}"
    assert len(picks) >= 5, f"{len(picks)} ranked bursts in the rollout, but should be several"


def test_kept_deletion_order_survives_a_clock_move_within_its_buckets() -> None:
    # pods ready an hour ago: a second later every ready and creation time is in the same log-scale bucket,
    # so the next burst takes from the kept order without keying a pod again (and still picks what a full
    # ranking picks)
    s, key = _bursts_cluster(20)
    s = rm.step(s, ClockAdvanced(3600))
    s, gone, want = _burst(s, key)
    assert gone == want, f"first burst deleted {gone}, but a full ranking picks {want}"
    s = rm.step(s, ClockAdvanced(1))
    counters = WorkCounters()
    with counting(counters):
        _, gone, want = _burst(s, key)
    assert gone == want, f"a burst a second later deleted {gone}, but a full ranking picks {want}"
    assert counters.get("replicaset", "ranked") == 16, (
        f"{counters.get('replicaset', 'ranked')} pods keyed in the second burst, but should be only the 16 the "
        "full ranking of the check keyed (the kept order is still valid a second later)")
