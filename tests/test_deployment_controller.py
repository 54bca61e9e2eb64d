"""Unit tests of refmodel.controllers.deployment, mirroring upstream's controller test tables.

Upstream: kubernetes/kubernetes pkg/controller/deployment/{sync_test.go, rolling_test.go, recreate_test.go,
progress_test.go, deployment_controller_test.go}. Each test names the upstream test it mirrors and keeps
its case names or table indices. The controller's functions run against a real model state (objects go
through refmodel.apiserver), and the outcome is read back from that state.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import door
import pytest

import refmodel as rm
from refmodel.controllers import deployment as dc
from refmodel.controllers import deployment_util as du
from refmodel.frozen import FrozenDict, freeze, with_
from refmodel.state import ClusterConfig, ClusterState, parse_time

NEW_TS = "2016-05-20T02:00:00Z"
OLD_TS = "2016-05-20T01:00:00Z"
OLDER_TS = "2016-05-20T00:00:00Z"
NO_TS = "2016-01-01T00:00:00Z"  # upstream's zero metav1.Time: all equal, ties broken by name


@functools.cache
def base() -> ClusterState:
    # strict validation off: like upstream's fake clients, these fixtures hold objects no API server would
    # accept (empty selectors, bare templates), and the controller's writes keep them
    return rm.new_cluster(nodes=0, config=ClusterConfig(strict=False))


def new_deployment(name: str, replicas: int, history_limit: int | None = None, max_surge: Any = None,
                   max_unavailable: Any = None, selector: dict[str, str] | None = None,
                   strategy: str = "RollingUpdate", pds: int | None = None) -> FrozenDict:
    """newDeployment (deployment_controller_test.go): maxSurge and maxUnavailable default to 0."""
    labels = selector or {}
    spec: dict[str, Any] = {
        "replicas": replicas,
        "strategy": {"type": strategy},
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "foo/bar"}]}},
    }
    if strategy == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": 0 if max_surge is None else max_surge,
                                             "maxUnavailable": 0 if max_unavailable is None else max_unavailable}
    if history_limit is not None:
        spec["revisionHistoryLimit"] = history_limit
    if pds is not None:
        spec["progressDeadlineSeconds"] = pds
    return freeze({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "generation": 1},
                   "spec": spec})


def rs(name: str, replicas: int, selector: dict[str, str] | None = None, timestamp: str = NO_TS,
       status: dict[str, Any] | None = None, annotations: dict[str, str] | None = None,
       owner: FrozenDict | None = None, template: Any = None, labels: dict[str, str] | None = None) -> FrozenDict:
    """rs / newRSWithStatus / newReplicaSet (deployment_controller_test.go)."""
    md: dict[str, Any] = {"name": name, "namespace": "default", "creationTimestamp": timestamp}
    if annotations:
        md["annotations"] = annotations
    if owner is not None:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": owner["metadata"]["name"],
                                  "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    if labels is not None or selector:
        md["labels"] = labels if labels is not None else selector
    return freeze({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": md,
                   "spec": {"replicas": replicas, "selector": {"matchLabels": selector or {}},
                            "template": template if template is not None else {"metadata": {"labels": selector or {}}}},
                   "status": {"observedGeneration": 1, **(status or {})}})


def put(state: ClusterState, obj: FrozenDict) -> tuple[ClusterState, FrozenDict]:
    """Store ``obj`` through the API server, keeping its creationTimestamp and status as given."""
    r = door.create(state, obj, controller=door.CONTROLLER)
    assert r.ok and r.obj is not None, f"create {obj['kind']}/{obj['metadata']['name']}: {r.rejection}"
    stored = r.obj
    md = stored["metadata"]
    if obj["metadata"].get("creationTimestamp"):
        md = with_(md, creationTimestamp=obj["metadata"]["creationTimestamp"])
    return door.force_store(r.state, with_(stored, metadata=md, status=obj.get("status") or None))


def put_all(state: ClusterState, *objs: FrozenDict) -> tuple[ClusterState, list[FrozenDict]]:
    out = []
    for obj in objs:
        state, stored = put(state, obj)
        out.append(stored)
    return state, out


def size(state: ClusterState, name: str) -> int:
    obj = state.get("ReplicaSet", "default", name)
    assert obj is not None, f"ReplicaSet/{name} is missing, but should exist"
    return int(obj["spec"]["replicas"])


# ---------------------------------------------------------------------------------------------
# TestScale (sync_test.go): proportional scaling
# ---------------------------------------------------------------------------------------------
def _updated_template(replicas: int) -> FrozenDict:
    d = new_deployment("foo", replicas, selector={"foo": "bar"})
    tmpl = d["spec"]["template"]
    return freeze({**d, "spec": {**d["spec"], "template": {**tmpl, "metadata": {
        "labels": {"foo": "bar", "another": "label"}}}}})


def _nd(replicas: int, max_surge: Any = None, max_unavailable: Any = None,
        selector: dict[str, str] | None = None) -> FrozenDict:
    return new_deployment("foo", replicas, None, max_surge, max_unavailable, selector)


SCALE_CASES: list[tuple[Any, ...]] = [
    # name, deployment, oldDeployment, newRS (name, size, ts) | None, oldRSs, expectedNew, expectedOld,
    # desiredReplicasAnnotations, newRS available replicas
    ("normal scaling event: 10 -> 12", _nd(12), _nd(10), ("foo-v1", 10, NEW_TS), [], 12, [], {}, None),
    ("normal scaling event: 10 -> 5", _nd(5), _nd(10), ("foo-v1", 10, NEW_TS), [], 5, [], {}, None),
    ("proportional scaling: 5 -> 10", _nd(10), _nd(5), ("foo-v2", 2, NEW_TS), [("foo-v1", 3, OLD_TS)], 4, [6], {},
     None),
    ("proportional scaling: 5 -> 3", _nd(3), _nd(5), ("foo-v2", 2, NEW_TS), [("foo-v1", 3, OLD_TS)], 1, [2], {},
     None),
    ("proportional scaling: 9 -> 4", _nd(4), _nd(9), ("foo-v2", 8, NEW_TS), [("foo-v1", 1, OLD_TS)], 4, [0], {},
     None),
    ("proportional scaling: 7 -> 10", _nd(10), _nd(7), ("foo-v3", 2, NEW_TS),
     [("foo-v2", 3, OLD_TS), ("foo-v1", 2, OLDER_TS)], 3, [4, 3], {}, None),
    ("proportional scaling: 13 -> 8", _nd(8), _nd(13), ("foo-v3", 2, NEW_TS),
     [("foo-v2", 8, OLD_TS), ("foo-v1", 3, OLDER_TS)], 1, [5, 2], {}, None),
    ("leftover distribution: 3 -> 4", _nd(4), _nd(3), ("foo-v3", 1, NEW_TS),
     [("foo-v2", 1, OLD_TS), ("foo-v1", 1, OLDER_TS)], 2, [1, 1], {}, None),
    ("leftover distribution: 3 -> 2", _nd(2), _nd(3), ("foo-v3", 1, NEW_TS),
     [("foo-v2", 1, OLD_TS), ("foo-v1", 1, OLDER_TS)], 1, [1, 0], {}, None),
    ("proportional scaling (no new rs): 4 -> 5", _nd(5), _nd(4), None,
     [("foo-v2", 2, OLD_TS), ("foo-v1", 2, OLDER_TS)], None, [3, 2], {}, None),
    ("proportional scaling: 6 -> 0", _nd(0), _nd(6), ("foo-v3", 3, NEW_TS),
     [("foo-v2", 2, OLD_TS), ("foo-v1", 1, OLDER_TS)], 0, [0, 0], {}, None),
    ("proportional scaling: 0 -> 6", _nd(6), _nd(6), ("foo-v3", 0, NEW_TS),
     [("foo-v2", 0, OLD_TS), ("foo-v1", 0, OLDER_TS)], 6, [0, 0], {}, None),
    ("failed rs update", _nd(5), _nd(5), ("foo-v3", 2, NEW_TS), [("foo-v2", 1, OLD_TS), ("foo-v1", 1, OLDER_TS)],
     2, [2, 1], {"foo-v2": 3}, None),
    ("deployment with surge pods", _nd(20, 2), _nd(10, 2), ("foo-v2", 6, NEW_TS), [("foo-v1", 6, OLD_TS)], 11, [11],
     {}, None),
    ("change both surge and size", _nd(50, 6), _nd(10, 3), ("foo-v2", 5, NEW_TS), [("foo-v1", 8, OLD_TS)], 22, [34],
     {}, None),
    ("change both size and template", _updated_template(14), _nd(10, selector={"foo": "bar"}), None,
     [("foo-v2", 7, NEW_TS), ("foo-v1", 3, OLD_TS)], None, [10, 4], {}, None),
    ("saturated but broken new replica set does not affect old pods", _nd(2, 1, 1), _nd(2, 1, 1),
     ("foo-v2", 2, NEW_TS), [("foo-v1", 1, OLD_TS)], 2, [1], {}, 0),
]


@pytest.mark.parametrize("case", SCALE_CASES, ids=[c[0] for c in SCALE_CASES])
def test_scale(case: tuple[Any, ...]) -> None:
    # TestScale
    name, d, old_d, new_spec, old_specs, expected_new, expected_old, desired_ann, new_available = case
    state = base()

    def make(spec: tuple[str, int, str], available: int | None) -> FrozenDict:
        rs_name, replicas, ts = spec
        desired = desired_ann.get(rs_name, du.spec_replicas(old_d))
        ann = {du.DESIRED_REPLICAS_ANNOTATION: str(desired),
               du.MAX_REPLICAS_ANNOTATION: str(desired + du.max_surge(old_d))}
        status = {"availableReplicas": available} if available is not None else {}
        return rs(rs_name, replicas, None, ts, status=status, annotations=ann)

    new_rs = None
    if new_spec is not None:
        state, (new_rs,) = put_all(state, make(new_spec, new_available))
    state, old_rss = put_all(state, *(make(s, None) for s in old_specs))
    state = dc.scale(state, d, new_rs, old_rss)
    if new_spec is not None and expected_new is not None:
        got = size(state, new_spec[0])
        assert got == expected_new, f"{new_spec[0]}: spec.replicas={got}, but should be {expected_new} [TestScale {name!r}]"
    for spec, want in zip(old_specs, expected_old, strict=True):
        got = size(state, spec[0])
        assert got == want, f"{spec[0]}: spec.replicas={got}, but should be {want} [TestScale {name!r}]"


def test_scale_writes_replica_annotations() -> None:
    # scaleReplicaSet: the size and the desired-replicas/max-replicas annotations change in one update
    d = _nd(20, 2)
    state, (new_rs, old_rs) = put_all(base(), rs("foo-v2", 6, timestamp=NEW_TS, annotations={
        du.DESIRED_REPLICAS_ANNOTATION: "10", du.MAX_REPLICAS_ANNOTATION: "12"}), rs("foo-v1", 6, timestamp=OLD_TS,
        annotations={du.DESIRED_REPLICAS_ANNOTATION: "10", du.MAX_REPLICAS_ANNOTATION: "12"}))
    state = dc.scale(state, d, new_rs, [old_rs])
    for name in ("foo-v1", "foo-v2"):
        obj = state.get("ReplicaSet", "default", name)
        assert obj is not None
        ann = du.annotations_of(obj)
        got = (ann.get(du.DESIRED_REPLICAS_ANNOTATION), ann.get(du.MAX_REPLICAS_ANNOTATION))
        assert got == ("20", "22"), f"{name}: annotations {got}, but should be ('20', '22') [after scale to 20]"


# ---------------------------------------------------------------------------------------------
# rolling_test.go
# ---------------------------------------------------------------------------------------------
RECONCILE_NEW = [
    # deploymentReplicas, maxSurge, oldReplicas, newReplicas, scaleExpected, expectedNewReplicas
    (10, 0, 10, 0, False, None),
    (10, 2, 10, 0, True, 2),
    (10, 2, 5, 0, True, 7),
    (10, 2, 10, 2, False, None),
    (10, 2, 2, 11, True, 10),
]


@pytest.mark.parametrize(("i", "case"), list(enumerate(RECONCILE_NEW)), ids=[f"scenario {i}" for i in range(5)])
def test_reconcile_new_replica_set(i: int, case: tuple[Any, ...]) -> None:
    # TestDeploymentController_reconcileNewReplicaSet (upstream names both sets "foo-v2"; the old one is foo-v1 here)
    d_replicas, max_surge, old_replicas, new_replicas, scale_expected, expected_new = case
    state, (new_rs, old_rs) = put_all(base(), rs("foo-v2", new_replicas), rs("foo-v1", old_replicas))
    d = new_deployment("foo", d_replicas, None, max_surge, 0, {"foo": "bar"})
    before = state.rv
    state, scaled = dc.reconcile_new_replica_set(state, [new_rs, old_rs], new_rs, d)
    assert scaled == scale_expected, f"scaled={scaled}, but should be {scale_expected} [scenario {i}]"
    if not scale_expected:
        assert state.rv == before, f"unexpected write (resourceVersion {before} -> {state.rv}) [scenario {i}]"
        return
    got = size(state, "foo-v2")
    assert got == expected_new, f"new RS spec.replicas={got}, but should be {expected_new} [scenario {i}]"


RECONCILE_OLD = [
    # deploymentReplicas, maxUnavailable, oldReplicas, newReplicas, readyPodsFromOldRS, readyPodsFromNewRS,
    # scaleExpected, expectedOldReplicas
    (10, 0, 10, 0, 10, 0, True, 9),
    (10, 2, 10, 0, 10, 0, True, 8),
    (10, 2, 10, 0, 8, 0, True, 8),  # expect unhealthy replicas from old replica sets been cleaned up
    (10, 2, 10, 0, 9, 0, True, 8),  # 1 unhealthy replica cleaned up, and 1 ready pod scaled down
    (10, 2, 8, 2, 8, 0, False, 8),  # the unavailable pods from the newRS would not make us scale down old RSs
]


@pytest.mark.parametrize(("i", "case"), list(enumerate(RECONCILE_OLD)), ids=[f"scenario {i}" for i in range(5)])
def test_reconcile_old_replica_sets(i: int, case: tuple[Any, ...]) -> None:
    # TestDeploymentController_reconcileOldReplicaSets
    d_replicas, max_unavailable, old_replicas, new_replicas, ready_old, ready_new, scale_expected, expected_old = case
    new_sel, old_sel = {"foo": "new"}, {"foo": "old"}
    state, (new_rs, old_rs) = put_all(
        base(), rs("foo-new", new_replicas, new_sel, status={"availableReplicas": ready_new}),
        rs("foo-old", old_replicas, old_sel, status={"availableReplicas": ready_old}))
    d = new_deployment("foo", d_replicas, None, 0, max_unavailable, new_sel)
    state, scaled = dc.reconcile_old_replica_sets(state, [old_rs, new_rs], [old_rs], new_rs, d)
    assert scaled == scale_expected, f"scaled={scaled}, but should be {scale_expected} [scenario {i}]"
    got = size(state, "foo-old")
    assert got == expected_old, f"old RS spec.replicas={got}, but should be {expected_old} [scenario {i}]"


CLEANUP_UNHEALTHY = [
    # oldReplicas, readyPods, unHealthyPods, maxCleanupCount, cleanupCountExpected
    (10, 8, 2, 1, 1),
    (10, 8, 2, 3, 2),
    (10, 8, 2, 0, 0),
    (10, 10, 0, 3, 0),
]


@pytest.mark.parametrize(("i", "case"), list(enumerate(CLEANUP_UNHEALTHY)), ids=[f"scenario {i}" for i in range(4)])
def test_cleanup_unhealthy_replicas(i: int, case: tuple[int, ...]) -> None:
    # TestDeploymentController_cleanupUnhealthyReplicas
    old_replicas, ready, _unhealthy, max_cleanup, expected = case
    state, (old_rs,) = put_all(base(), rs("foo-v2", old_replicas, status={"availableReplicas": ready}))
    d = new_deployment("foo", 10, None, 2, 2)
    state, _, count, ok = dc.cleanup_unhealthy_replicas(state, [old_rs], d, max_cleanup)
    assert ok, f"cleanup_unhealthy_replicas failed [scenario {i}]"
    assert count == expected, f"cleaned up {count} unhealthy replicas, but should be {expected} [scenario {i}]"
    assert size(state, "foo-v2") == old_replicas - expected, (
        f"old RS spec.replicas={size(state, 'foo-v2')}, but should be {old_replicas - expected} [scenario {i}]")


SCALE_DOWN_OLD = [
    # deploymentReplicas, maxUnavailable, readyPods, oldReplicas, scaleExpected, expectedOldReplicas
    (10, 0, 10, 10, True, 9),
    (10, 2, 10, 10, True, 8),
    (10, 2, 8, 10, False, None),
    (10, 2, 10, 0, False, None),
    (10, 2, 1, 10, False, None),
]


@pytest.mark.parametrize(("i", "case"), list(enumerate(SCALE_DOWN_OLD)), ids=[f"scenario {i}" for i in range(5)])
def test_scale_down_old_replica_sets_for_rolling_update(i: int, case: tuple[Any, ...]) -> None:
    # TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate
    d_replicas, max_unavailable, ready, old_replicas, scale_expected, expected_old = case
    state, (old_rs,) = put_all(base(), rs("foo-v2", old_replicas, status={"availableReplicas": ready}))
    d = new_deployment("foo", d_replicas, None, 0, max_unavailable, {"foo": "bar"})
    state, scaled, ok = dc.scale_down_old_replica_sets_for_rolling_update(state, [old_rs], [old_rs], d)
    assert ok, f"scale down failed [scenario {i}]"
    if not scale_expected:
        assert scaled == 0, f"scaled down by {scaled}, but should not scale [scenario {i}]"
        assert size(state, "foo-v2") == old_replicas, f"old RS was resized [scenario {i}]"
        return
    assert scaled > 0, f"expected scaling to occur [scenario {i}]"
    got = size(state, "foo-v2")
    assert got == expected_old, f"old RS spec.replicas={got}, but should be {expected_old} [scenario {i}]"


# ---------------------------------------------------------------------------------------------
# cleanupDeployment (sync_test.go)
# ---------------------------------------------------------------------------------------------
def _with_status(name: str, spec_replicas: int, status_replicas: int, **kw: Any) -> FrozenDict:
    """newRSWithStatus."""
    return rs(name, spec_replicas, {"foo": "bar"}, status={"replicas": status_replicas}, **kw)


CLEANUP = [
    ([("foo-1", 0, 0), ("foo-2", 0, 0), ("foo-3", 0, 0)], 1, 2),
    ([("foo-1", 0, 0), ("foo-2", 0, 1), ("foo-3", 1, 0), ("foo-4", 1, 1)], 0, 1),  # only spec = status = 0
    ([("foo-1", 0, 0), ("foo-2", 0, 0)], 0, 2),
    ([("foo-1", 1, 1), ("foo-2", 1, 1)], 0, 0),
    ("alreadyDeleted", 0, 0),
    ([("foo-1", 0, 0), ("foo-2", 0, 0), ("foo-3", 0, 0)], du.MAX_INT32, 0),  # unlimited revisionHistoryLimit
]


@pytest.mark.parametrize(("i", "case"), list(enumerate(CLEANUP)), ids=[f"scenario {i}" for i in range(6)])
def test_cleanup_deployment(i: int, case: tuple[Any, ...]) -> None:
    # TestDeploymentController_cleanupDeployment
    specs, limit, expected = case
    if specs == "alreadyDeleted":
        objs = [_with_status("foo-1", 0, 0)]
        objs[0] = with_(objs[0], metadata=with_(objs[0]["metadata"], deletionTimestamp=NO_TS,
                                                finalizers=("example.com/keep",)))
    else:
        objs = [_with_status(n, s, st) for n, s, st in specs]
    state, old_rss = put_all(base(), *objs)
    d = new_deployment("foo", 1, limit, selector={"foo": "bar"})
    state = dc.cleanup_deployment(state, old_rss, d)
    deleted = sum(1 for o in old_rss if state.get("ReplicaSet", "default", o["metadata"]["name"]) is None)
    assert deleted == expected, f"deleted {deleted} old replica sets, but should delete {expected} [scenario {i}]"


def test_cleanup_deployment_counts_replica_sets_with_replicas() -> None:
    # cleanupDeployment: every live old RS counts towards revisionHistoryLimit (diff = #alive - limit);
    # only the deletion skips RSs that still have replicas. Two old RSs, limit 1: the lowest revision goes
    # even though the other one (with replicas) is not deletable.
    state, old_rss = put_all(base(), _with_status("foo-1", 0, 0, annotations={du.REVISION_ANNOTATION: "1"}),
                             _with_status("foo-2", 1, 1, annotations={du.REVISION_ANNOTATION: "2"}))
    state = dc.cleanup_deployment(state, old_rss, new_deployment("foo", 1, 1, selector={"foo": "bar"}))
    assert state.get("ReplicaSet", "default", "foo-1") is None, "foo-1 was kept, but should be deleted (2 old RSs > 1)"
    assert state.get("ReplicaSet", "default", "foo-2") is not None, "foo-2 has replicas and should be kept"


def test_cleanup_deployment_skips_unobserved_generation() -> None:
    # cleanupDeployment: rs.Generation > rs.Status.ObservedGeneration is not deleted
    obj = _with_status("foo-1", 0, 0)
    obj = with_(obj, status=with_(obj["status"], observedGeneration=0))
    state, old_rss = put_all(base(), obj, _with_status("foo-2", 0, 0))
    state = dc.cleanup_deployment(state, old_rss, new_deployment("foo", 1, 0, selector={"foo": "bar"}))
    assert state.get("ReplicaSet", "default", "foo-1") is not None, "an RS with an unobserved generation was deleted"
    assert state.get("ReplicaSet", "default", "foo-2") is None, "an RS with spec = status = 0 was kept over the limit"


_MIN = 60
CLEANUP_ORDER = [
    # (name, replicas, creation offset minutes, revision), limit, expected deleted
    ([("foo-1", 0, -1, "1"), ("foo-2", 0, 0, "2")], 1, {"foo-1"}),  # revision order: rs1 < rs2, delete rs1
    ([("foo-1", 0, -1, "2"), ("foo-2", 0, 0, "1")], 1, {"foo-2"}),  # revision order: rs2 < rs1, delete rs2
    ([("foo-1", 0, -1, "1"), ("foo-2", 0, 0, "")], 1, {"foo-2"}),  # rs2 has no revision, delete rs2
    ([("foo-1", 0, -1, ""), ("foo-2", 0, 0, "2")], 1, {"foo-1"}),  # rs1 has no revision, delete rs1
    ([("foo-1", 1, -1, "1"), ("foo-2", 0, 0, "2"), ("foo-3", 0, 1, "3")], 1, {"foo-2"}),  # rs1 has replicas
    ([("foo-1", 1, -1, "1"), ("foo-2", 1, 0, "2"), ("foo-3", 0, 1, "3")], 1, set()),  # rs1 and rs2 have replicas
    ([("foo-1", 0, -1, "3"), ("foo-2", 0, 0, "1"), ("foo-3", 0, 1, "4"), ("foo-4", 0, 2, "2")], 2,
     {"foo-2", "foo-4"}),  # revision order: rs2 < rs4 < rs1 < rs3
]


@pytest.mark.parametrize(("i", "case"), list(enumerate(CLEANUP_ORDER)), ids=[f"scenario {i}" for i in range(7)])
def test_cleanup_deployment_order(i: int, case: tuple[Any, ...]) -> None:
    # TestDeploymentController_cleanupDeploymentOrder
    specs, limit, expected = case
    now = parse_time("2017-01-01T00:00:00Z")
    from refmodel.state import format_time

    objs = [rs(n, r, {"foo": "bar"}, format_time(now + off * _MIN), status={"replicas": r},
               annotations={du.REVISION_ANNOTATION: rev} if rev else None) for n, r, off, rev in specs]
    state, old_rss = put_all(base(), *objs)
    state = dc.cleanup_deployment(state, old_rss, new_deployment("foo", 1, limit, selector={"foo": "bar"}))
    deleted = {o["metadata"]["name"] for o in old_rss if state.get("ReplicaSet", "default", o["metadata"]["name"]) is None}
    assert deleted == expected, f"deleted {sorted(deleted)}, but should delete {sorted(expected)} [scenario {i}]"


# ---------------------------------------------------------------------------------------------
# recreate_test.go
# ---------------------------------------------------------------------------------------------
def test_scale_down_old_replica_sets() -> None:
    # TestScaleDownOldReplicaSets (scenario 0)
    d = new_deployment("foo", 3, selector={"foo": "bar"}, strategy="Recreate")
    state, old_rss = put_all(base(), rs("foo-0", 3, {"foo": "bar"}))
    state, scaled = dc.scale_down_old_replica_sets_for_recreate(state, old_rss, d)
    assert scaled, "expected the old RS to be scaled down"
    assert size(state, "foo-0") == 0, f"rs \"foo-0\" has non-zero replicas ({size(state, 'foo-0')})"


def _pod(phase: str | None) -> FrozenDict:
    status = {"phase": phase} if phase else {}
    return freeze({"metadata": {"name": "p"}, "status": status})


def _rs_uid(name: str, uid: str, spec: int = 0, status_replicas: int = 0) -> FrozenDict:
    return freeze({"metadata": {"name": name, "uid": uid}, "spec": {"replicas": spec},
                   "status": {"replicas": status_replicas}})


OLD_PODS_RUNNING: list[tuple[Any, ...]] = [
    ("no old RSs", None, [], None, False),
    ("old RSs with running pods", None, [_rs_uid("foo-some-uid", "some-uid"), _rs_uid("foo-other-uid", "other-uid")],
     {"some-uid": [_pod(None), _pod(None)], "other-uid": [_pod(None), _pod(None)]}, True),
    ("old RSs without pods but with non-zero status replicas", None, [_rs_uid("rs-1", "uid-1", 0, 1)], None, True),
    ("old RSs without pods or non-zero status replicas", None, [_rs_uid("rs-1", "uid-1", 0, 0)], None, False),
    ("old RSs with zero status replicas but pods in terminal state are present", None,
     [_rs_uid("rs-1", "uid-1")], {"uid-1": [_pod("Failed"), _pod("Succeeded")]}, False),
    ("old RSs with zero status replicas but pod in unknown phase present", None, [_rs_uid("rs-1", "uid-1")],
     {"uid-1": [_pod("Unknown")]}, True),
    ("old RSs with zero status replicas with pending pod present", None, [_rs_uid("rs-1", "uid-1")],
     {"uid-1": [_pod("Pending")]}, True),
    ("old RSs with zero status replicas with running pod present", None, [_rs_uid("rs-1", "uid-1")],
     {"uid-1": [_pod("Running")]}, True),
    ("old RSs with zero status replicas but pods in terminal state and pending are present", None,
     [_rs_uid("rs-1", "uid-1")], {"uid-1": [_pod("Failed"), _pod("Succeeded")], "uid-2": [],
                                  "uid-3": [_pod("Pending")]}, True),
]


@pytest.mark.parametrize("case", OLD_PODS_RUNNING, ids=[c[0] for c in OLD_PODS_RUNNING])
def test_old_pods_running(case: tuple[Any, ...]) -> None:
    # TestOldPodsRunning
    name, new_rs, old_rss, pod_map, expected = case
    got = dc.old_pods_running(new_rs, old_rss, pod_map)
    assert got == expected, f"old_pods_running={got}, but should be {expected} [TestOldPodsRunning {name!r}]"


def test_old_pods_running_ignores_the_new_replica_set() -> None:
    # oldPodsRunning: "If the pods belong to the new ReplicaSet, ignore."
    new = _rs_uid("new", "new-uid", 1, 0)
    assert not dc.old_pods_running(new, [_rs_uid("old", "old-uid")], {"new-uid": [_pod("Running")]}), (
        "a pod of the new replica set counted as an old pod")


# ---------------------------------------------------------------------------------------------
# progress_test.go
# ---------------------------------------------------------------------------------------------
TEST_TIME = "2017-02-15T18:49:00Z"


def _current_deployment(pds: int | None, replicas: int, status_replicas: int, updated: int, available: int,
                        conditions: list[dict[str, Any]] | None) -> FrozenDict:
    """currentDeployment: a Recreate deployment named progress-test."""
    status: dict[str, Any] = {"replicas": status_replicas, "updatedReplicas": updated,
                              "availableReplicas": available}
    status = {k: v for k, v in status.items() if v}
    if conditions:
        status["conditions"] = conditions
    spec: dict[str, Any] = {"replicas": replicas, "strategy": {"type": "Recreate"},
                            "selector": {"matchLabels": {"app": "p"}},
                            "template": {"metadata": {"labels": {"app": "p"}},
                                         "spec": {"containers": [{"name": "c", "image": "i"}]}}}
    if pds is not None:
        spec["progressDeadlineSeconds"] = pds
    return freeze({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "progress-test", "namespace": "default"}, "spec": spec, "status": status})


def _state_at(text: str) -> ClusterState:
    start = parse_time(TEST_TIME)
    state = rm.new_cluster(nodes=0, config=ClusterConfig(start_time=start, strict=False))
    return attrs.evolve(state, now=parse_time(text) - start)


STUCK = [{"type": "Progressing", "status": "True", "lastUpdateTime": TEST_TIME}]
FAILED = [{"type": "Progressing", "status": "False", "reason": du.TIMED_OUT_REASON}]
REQUEUE = [
    # name, (pds, replicas, statusReplicas, updated, available, conditions), status, now, expected duration
    ("nil progressDeadlineSeconds specified", (None, 4, 3, 3, 2, None), (3, 3, 2), TEST_TIME, -1),
    ("infinite progressDeadlineSeconds specified", (du.MAX_INT32, 4, 3, 3, 2, None), (3, 3, 2), TEST_TIME, -1),
    ("no progressing condition found", (60, 4, 3, 3, 2, None), (3, 3, 2), TEST_TIME, -1),
    ("complete deployment does not need to be requeued", (60, 3, 3, 3, 3, None), (3, 3, 3), TEST_TIME, -1),
    ("already failed deployment does not need to be requeued", (60, 3, 3, 3, 0, FAILED), (3, 3, 0), TEST_TIME, -1),
    ("stuck deployment - 30s", (60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:49:30Z", 30),
    ("stuck deployment - 1s", (60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:49:59Z", 1),
    # "failed deployment - less than a second => now" needs sub-second clocks: the model's are whole seconds
    ("failed deployment - now", (60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:50:00Z", 0),
    ("failed deployment - 1s after deadline", (60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:50:01Z", 0),
    ("failed deployment - 60s after deadline", (60, 3, 3, 3, 1, STUCK), (3, 3, 1), "2017-02-15T18:51:00Z", 0),
]


@pytest.mark.parametrize("case", REQUEUE, ids=[c[0] for c in REQUEUE])
def test_requeue_stuck_deployment(case: tuple[Any, ...]) -> None:
    # TestRequeueStuckDeployment: -1 = no requeue; after >= 1 s = AddAfter(after + 1 s); 0 = requeue now
    # (rate-limited, i.e. the next virtual second)
    name, dargs, counts, now, expected = case
    state = _state_at(now)
    d = _current_deployment(*dargs)
    status = {"replicas": counts[0], "updatedReplicas": counts[1], "availableReplicas": counts[2]}
    state = dc.requeue_stuck_deployment(state, d, status)
    key = ("deployment", "default/progress-test")
    due = sorted(t for t, slot in state.timers.items() if key in slot)
    want = [] if expected < 0 else [state.now + (expected + 1 if expected > 0 else 1)]
    assert due == want, f"progress-check timers at {due}, but should be at {want} [TestRequeueStuckDeployment {name!r}]"


def test_requeue_after_completion_is_only_a_retry() -> None:
    # requeueStuckDeployment after NewReplicaSetAvailable: DeploymentTimedOut is false for that reason, so the
    # wake-up cannot change the status; the model keeps it as a retry converge does not wait for, backing off
    done = [{"type": "Progressing", "status": "True", "reason": du.NEW_RS_AVAILABLE_REASON, "lastUpdateTime": TEST_TIME}]
    d = _current_deployment(60, 3, 3, 3, 2, done)
    status = {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 2}
    key = ("deployment", "default/progress-test")
    for now, want_at in (("2017-02-15T18:49:30Z", 61), ("2017-02-15T18:51:00Z", 120 + 60), ("2017-02-15T19:49:00Z",
                                                                                            3600 + 1000)):
        state = dc.requeue_stuck_deployment(_state_at(now), d, status)
        slots = {t: slot[key] for t, slot in state.timers.items() if key in slot}
        assert slots == {want_at: False}, f"timers {slots} at {now}, but should be a retry at t={want_at}"


def _rs_available(name: str, spec: int, status: int, available: int) -> FrozenDict:
    """newRSWithAvailable."""
    return rs(name, spec, status={"replicas": status, "availableReplicas": available})


NEW_RS_AVAILABLE = {"type": "Progressing", "status": "True", "reason": du.NEW_RS_AVAILABLE_REASON,
                    "lastUpdateTime": TEST_TIME, "lastTransitionTime": TEST_TIME}
RS_UPDATED = {"type": "Progressing", "status": "True", "reason": du.REPLICA_SET_UPDATED_REASON,
              "lastUpdateTime": TEST_TIME, "lastTransitionTime": TEST_TIME}
FAILED_TIMED_OUT = {"type": "Progressing", "status": "False", "reason": du.TIMED_OUT_REASON,
                    "lastUpdateTime": TEST_TIME, "lastTransitionTime": TEST_TIME}
SYNC_ROLLOUT = [
    # name, deployment args, allRSs, newRS, (status, reason) | None, keep lastUpdate, keep lastTransition
    ("General: remove Progressing condition and do not estimate progress if deployment has no Progress Deadline",
     (None, 3, 2, 2, 2, [RS_UPDATED]), [("bar", 0, 1, 1)], ("foo", 3, 2, 2), None, False, False),
    ("General: do not estimate progress of deployment with only one active ReplicaSet",
     (60, 3, 3, 3, 3, [NEW_RS_AVAILABLE]), [("bar", 3, 3, 3)], None, ("True", du.NEW_RS_AVAILABLE_REASON), True, True),
    ("DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True",
     (60, 3, 2, 2, 2, [RS_UPDATED]), [("bar", 0, 1, 1)], ("foo", 3, 2, 2),
     ("True", du.REPLICA_SET_UPDATED_REASON), False, True),
    ("DeploymentProgressing: update everything if deployment has Progressing=False",
     (60, 3, 2, 2, 2, [FAILED_TIMED_OUT]), [("bar", 0, 1, 1)], ("foo", 3, 2, 2),
     ("True", du.REPLICA_SET_UPDATED_REASON), False, False),
    ("DeploymentProgressing: create Progressing condition if it does not exist",
     (60, 3, 2, 2, 2, []), [("bar", 0, 1, 1)], ("foo", 3, 2, 2), ("True", du.REPLICA_SET_UPDATED_REASON), False, False),
    ("DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True",
     (60, 3, 3, 3, 3, [RS_UPDATED]), [], ("foo", 3, 3, 3), ("True", du.NEW_RS_AVAILABLE_REASON), False, True),
    ("DeploymentComplete: update everything if deployment has Progressing=False",
     (60, 3, 3, 3, 3, [FAILED_TIMED_OUT]), [], ("foo", 3, 3, 3), ("True", du.NEW_RS_AVAILABLE_REASON), False, False),
    ("DeploymentComplete: create Progressing condition if it does not exist",
     (60, 3, 3, 3, 3, []), [], ("foo", 3, 3, 3), ("True", du.NEW_RS_AVAILABLE_REASON), False, False),
    ("DeploymentComplete: defend against NPE when newRS=nil",
     (60, 0, 3, 3, 3, [RS_UPDATED]), [("foo", 0, 0, 0)], None, ("True", du.NEW_RS_AVAILABLE_REASON), False, False),
    ("DeploymentTimedOut: update status if rollout exceeds Progress Deadline",
     (60, 3, 2, 2, 2, [RS_UPDATED]), [], ("foo", 3, 2, 2), ("False", du.TIMED_OUT_REASON), False, False),
    ("DeploymentTimedOut: do not update status if deployment has existing timedOut condition",
     (60, 3, 2, 2, 2, [FAILED_TIMED_OUT]), [], ("foo", 3, 2, 2), ("False", du.TIMED_OUT_REASON), True, True),
]


@pytest.mark.parametrize("case", SYNC_ROLLOUT, ids=[c[0][:80] for c in SYNC_ROLLOUT])
def test_sync_rollout_status(case: tuple[Any, ...]) -> None:
    # TestSyncRolloutStatus (the model's clock is in 2025, long past testTime + 60 s)
    name, dargs, all_specs, new_spec, want, keep_update, keep_transition = case
    state, d = put(base(), _current_deployment(*dargs))
    all_rss = [_rs_available(*s) for s in all_specs]
    new_rs = _rs_available(*new_spec) if new_spec is not None else None
    if new_rs is not None:
        all_rss.append(new_rs)
    state = dc.sync_rollout_status(state, all_rss, new_rs, d)
    stored = state.get("Deployment", "default", "progress-test")
    assert stored is not None
    cond = du.get_deployment_condition(stored.get("status") or {}, "Progressing")
    if want is None:
        assert cond is None, f"Progressing={cond}, but should be absent without a progress deadline [{name!r}]"
        return
    assert cond is not None, f"no Progressing condition, but should have one [{name!r}]"
    got = (cond["status"], cond["reason"])
    assert got == want, f"Progressing={got}, but should be {want} [TestSyncRolloutStatus {name!r}]"
    if keep_update:
        assert cond["lastUpdateTime"] == TEST_TIME, f"lastUpdateTime={cond['lastUpdateTime']}, but should be kept [{name!r}]"
    else:
        assert cond["lastUpdateTime"] == state.timestamp(), (
            f"lastUpdateTime={cond['lastUpdateTime']}, but should be now {state.timestamp()} [{name!r}]")
    if keep_transition:
        assert cond["lastTransitionTime"] == TEST_TIME, (
            f"lastTransitionTime={cond['lastTransitionTime']}, but should be kept [{name!r}]")


def test_calculate_status_unavailable_from_spec_sum() -> None:
    # calculateStatus: unavailableReplicas = Σ spec.replicas - Σ available (surge pods count, Z22);
    # Available uses availableReplicas >= replicas - MaxUnavailable
    d = new_deployment("foo", 10, None, 3, 2, {"foo": "bar"})
    new = rs("new", 5, status={"replicas": 5, "readyReplicas": 2, "availableReplicas": 2})
    old = rs("old", 8, status={"replicas": 8, "readyReplicas": 8, "availableReplicas": 8})
    status = dc.calculate_status([old, new], new, d, NO_TS)
    got = {k: status.get(k, 0) for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                                          "unavailableReplicas")}
    want = {"replicas": 13, "updatedReplicas": 5, "readyReplicas": 10, "availableReplicas": 10,
            "unavailableReplicas": 3}
    assert got == want, f"status counts {got}, but should be {want}"
    avail = du.get_deployment_condition(status, "Available")
    assert (avail["status"], avail["reason"]) == ("True", du.MINIMUM_REPLICAS_AVAILABLE), f"Available={avail}"
    old_down = rs("old", 8, status={"replicas": 8, "availableReplicas": 5})
    status = dc.calculate_status([old_down, new], new, d, NO_TS)
    avail = du.get_deployment_condition(status, "Available")
    assert (avail["status"], avail["reason"]) == ("False", du.MINIMUM_REPLICAS_UNAVAILABLE), (
        f"Available={avail} with 7 available of 10 (maxUnavailable 2)")


# ---------------------------------------------------------------------------------------------
# deployment_controller_test.go: syncDeployment, claims and informer handlers
# ---------------------------------------------------------------------------------------------
def _manifest(name: str, replicas: int = 1, strategy: str = "RollingUpdate",
              labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels or {"foo": "bar"}
    spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": labels},
                            "strategy": {"type": strategy},
                            "template": {"metadata": {"labels": labels},
                                         "spec": {"containers": [{"name": "c", "image": "foo/bar"}]}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": spec}


def _reconcile(state: ClusterState, name: str) -> ClusterState:
    return rm.step(state, rm.events.Reconcile("deployment", f"default/{name}"))


def _owned_rs(d: FrozenDict, name: str, replicas: int, **kw: Any) -> FrozenDict:
    """newReplicaSet: the deployment's selector labels, template and a controller ref."""
    labels = dict(d["spec"]["selector"]["matchLabels"])
    return rs(name, replicas, labels, owner=d, template=kw.pop("template", d["spec"]["template"]), **kw)


def test_sync_deployment_creates_replica_set() -> None:
    # TestSyncDeploymentCreatesReplicaSet
    state = rm.apply_manifest(base(), _manifest("foo"))
    state = _reconcile(state, "foo")
    rss = rm.list_objects(state, "ReplicaSet", namespace="default")
    assert len(rss) == 1, f"{len(rss)} ReplicaSets, but should be 1 [after the first sync]"
    got = rss[0]
    d = rm.get(state, "Deployment", "foo", namespace="default")
    assert d is not None
    hash_ = got["metadata"]["labels"][du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY]
    assert got["metadata"]["name"] == f"foo-{hash_}", f"name {got['metadata']['name']}, but should be foo-{hash_}"
    assert got["spec"]["replicas"] == 1, f"spec.replicas={got['spec']['replicas']}, but should be 1"
    assert got["spec"]["selector"]["matchLabels"] == {"foo": "bar", du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY: hash_}
    assert got["spec"]["template"]["metadata"]["labels"][du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] == hash_
    ref = got["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == (
        "Deployment", "foo", d["metadata"]["uid"], True, True), f"ownerReference {ref}"
    assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "1", "the deployment's revision is not 1"
    cond = du.get_deployment_condition(d["status"], "Progressing")
    assert (cond["status"], cond["reason"]) == ("True", du.NEW_REPLICA_SET_REASON), f"Progressing={cond}"
    assert cond["message"] == f'Created new replica set "foo-{hash_}"', cond["message"]
    assert d["status"]["observedGeneration"] == d["metadata"]["generation"], "observedGeneration not synced"


def test_sync_deployment_dont_do_anything_during_deletion() -> None:
    # TestSyncDeploymentDontDoAnythingDuringDeletion
    state = rm.apply_manifest(base(), _manifest("foo"))
    state = rm.step(state, rm.events.Delete("Deployment", "default", "foo", propagation="Orphan"))
    d = rm.get(state, "Deployment", "foo", namespace="default")
    assert d is not None and d["metadata"].get("deletionTimestamp"), "the orphan finalizer did not keep the deployment"
    state = _reconcile(state, "foo")
    assert rm.list_objects(state, "ReplicaSet", namespace="default") == [], "a deleting deployment created a ReplicaSet"
    d = rm.get(state, "Deployment", "foo", namespace="default")
    assert d is not None and d["status"].get("observedGeneration") == d["metadata"]["generation"], (
        f"status {d and d['status']}: only the status should be synced")


def test_dont_sync_deployments_with_empty_pod_selector() -> None:
    # TestDontSyncDeploymentsWithEmptyPodSelector (validation forbids it; the object is stored directly)
    d = with_(new_deployment("foo", 1, selector={"foo": "bar"}), spec=with_(
        new_deployment("foo", 1, selector={"foo": "bar"})["spec"], selector=freeze({})))
    state, _ = put(base(), d)
    state = _reconcile(state, "foo")
    assert rm.list_objects(state, "ReplicaSet", namespace="default") == [], "a select-all deployment created an RS"
    stored = rm.get(state, "Deployment", "foo", namespace="default")
    assert stored is not None and stored["status"].get("observedGeneration") == 1, f"status={stored and stored['status']}"


def test_reentrant_rollback() -> None:
    # TestReentrantRollback: the deprecated rollbackTo (annotation) rolls the template back, leaves RSs alone
    d = new_deployment("foo", 1, selector={"foo": "bar"})
    d = with_(d, metadata=with_(d["metadata"], annotations=freeze({du.DEPRECATED_ROLLBACK_TO: "0",
                                                                    du.REVISION_ANNOTATION: "2"})))
    state, (d,) = put_all(base(), d)
    old_template = freeze({**d["spec"]["template"], "spec": {**d["spec"]["template"]["spec"],
                                                             "terminationGracePeriodSeconds": 1}})
    state, (rs1, rs2) = put_all(state, _owned_rs(d, "deploymentrs-old", 0, template=old_template,
                                                 annotations={du.REVISION_ANNOTATION: "1"}),
                                _owned_rs(d, "deploymentrs-new", 1, annotations={du.REVISION_ANNOTATION: "2"}))
    state = _reconcile(state, "foo")
    got = rm.get(state, "Deployment", "foo", namespace="default")
    assert got is not None
    assert freeze(got["spec"]["template"]) == old_template, "the template was not rolled back to revision 1"
    assert du.DEPRECATED_ROLLBACK_TO not in got["metadata"].get("annotations", {}), "rollbackTo was not cleared"
    for before in (rs1, rs2):
        after = state.get("ReplicaSet", "default", before["metadata"]["name"])
        assert after == before, f"ReplicaSet/{before['metadata']['name']} was updated by the rollback"


def _pod_of(rs_obj: FrozenDict, name: str) -> FrozenDict:
    """generatePodFromRS."""
    return freeze({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": "default",
                                "labels": rs_obj["spec"]["selector"]["matchLabels"],
                                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                     "name": rs_obj["metadata"]["name"],
                                                     "uid": rs_obj["metadata"]["uid"], "controller": True}]},
                   "spec": {"containers": [{"name": "c", "image": "foo/bar"}]}})


def _recreate_fixture(other_pod: bool, partial: bool) -> tuple[ClusterState, FrozenDict]:
    d = new_deployment("foo", 1, selector={"foo": "bar"}, strategy="Recreate")
    state, (d,) = put_all(base(), d)
    state, (rs1,) = put_all(state, _owned_rs(d, "foo-1", 1))
    if partial:
        state, _ = put_all(state, rs("foo-2", 2, {"foo": "bar"}))  # empty owner references
    pod = _pod_of(rs1, "foo-1-pod")
    if other_pod:
        state, _ = put_all(state, _pod_of(rs1, "foo-1-other"))
    return state, pod


@pytest.mark.parametrize(("name", "other_pod", "partial", "expected"), [
    ("TestPodDeletionEnqueuesRecreateDeployment", False, False, True),
    ("TestPodDeletionDoesntEnqueueRecreateDeployment", True, False, False),
    ("TestPodDeletionPartialReplicaSetOwnershipEnqueueRecreateDeployment", False, True, True),
    ("TestPodDeletionPartialReplicaSetOwnershipDoesntEnqueueRecreateDeployment", True, True, False),
])
def test_pod_deletion_enqueues_recreate_deployment(name: str, other_pod: bool, partial: bool, expected: bool) -> None:
    # TestPodDeletion*RecreateDeployment: deletePod queues a Recreate deployment iff it has no pods left
    state, pod = _recreate_fixture(other_pod, partial)
    keys = list(dc._pod_keys(state, pod, None))
    assert (keys == ["default/foo"]) == expected, f"queued {keys} after the pod deletion [{name}]"


def test_get_replica_sets_for_deployment() -> None:
    # TestGetReplicaSetsForDeployment: two deployments with the same labels; controller refs decide
    d1 = new_deployment("foo", 1, selector={"foo": "bar"})
    d2 = new_deployment("bar", 1, selector={"foo": "bar"})
    state, (d1, d2) = put_all(base(), d1, d2)
    state, _ = put_all(state, _owned_rs(d1, "rs1", 1), _owned_rs(d2, "rs2", 1))
    for d, want in ((d1, ["rs1"]), (d2, ["rs2"])):
        state = dc.claim_replica_sets(state, d)
        got = [r["metadata"]["name"] for r in dc.replica_sets_of(state, d)]
        assert got == want, f"replica sets of {d['metadata']['name']}: {got}, but should be {want}"


def test_get_replica_sets_for_deployment_adopt_release() -> None:
    # TestGetReplicaSetsForDeploymentAdoptRelease (upstream's names rsAdopt/rsRelease are not valid names)
    d = new_deployment("foo", 1, selector={"foo": "bar"})
    state, (d,) = put_all(base(), d)
    adopt = rs("rs-adopt", 1, {"foo": "bar"}, template=d["spec"]["template"])
    release = _owned_rs(d, "rs-release", 1, labels={"foo": "notbar"})
    state, _ = put_all(state, adopt, release)
    state = dc.claim_replica_sets(state, d)
    got = [r["metadata"]["name"] for r in dc.replica_sets_of(state, d)]
    assert got == ["rs-adopt"], f"claimed {got}, but should be ['rs-adopt']"
    released = state.get("ReplicaSet", "default", "rs-release")
    assert released is not None and not released["metadata"].get("ownerReferences"), (
        f"rs-release ownerReferences={released and released['metadata'].get('ownerReferences')}, but should be none")
    adopted = state.get("ReplicaSet", "default", "rs-adopt")
    assert adopted is not None
    ref = adopted["metadata"]["ownerReferences"][0]
    assert (ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == (d["metadata"]["uid"], True, True), ref


def test_get_pod_map_for_replica_sets() -> None:
    # TestGetPodMapForReplicaSets (v1.32: inactive pods are kept, orphans are not)
    d = new_deployment("foo", 1, selector={"foo": "bar"})
    state, (d,) = put_all(base(), d)
    state, (rs1, rs2) = put_all(state, _owned_rs(d, "rs1", 1), _owned_rs(d, "rs2", 1))
    pod3 = _pod_of(rs1, "pod3")
    pod3 = with_(pod3, metadata=with_(pod3["metadata"], ownerReferences=None))
    pod4 = with_(_pod_of(rs1, "pod4"), status=freeze({"phase": "Failed"}))
    state, _ = put_all(state, _pod_of(rs1, "rs1-pod"), _pod_of(rs2, "rs2-pod"), pod3, pod4)
    got = {r["metadata"]["name"]: sorted(p["metadata"]["name"] for p in dc._pods_of(state, d, r))
           for r in dc.replica_sets_of(state, d)}
    assert got == {"rs1": ["pod4", "rs1-pod"], "rs2": ["rs2-pod"]}, f"pod map {got}"


def _two_deployments() -> tuple[ClusterState, FrozenDict, FrozenDict, FrozenDict]:
    d1 = new_deployment("d1", 1, selector={"foo": "bar"})
    d2 = new_deployment("d2", 1, selector={"foo": "bar"})
    d3 = new_deployment("d3", 1, selector={"foo": "notbar"})
    state, (d1, d2, d3) = put_all(base(), d1, d2, d3)
    return state, d1, d2, d3


def test_replica_set_handlers() -> None:
    # TestAddReplicaSet, TestAddReplicaSetOrphan, TestUpdateReplicaSet, TestUpdateReplicaSetOrphanWithNewLabels,
    # TestUpdateReplicaSetChangeControllerRef, TestUpdateReplicaSetRelease, TestDeleteReplicaSet,
    # TestDeleteReplicaSetOrphan
    state, d1, d2, _d3 = _two_deployments()
    rs1 = _owned_rs(d1, "rs1", 1)
    rs2 = _owned_rs(d2, "rs2", 1)
    orphan = rs("rs1", 1, {"foo": "bar"})
    cases = [
        ("TestAddReplicaSet rs1", None, rs1, ["default/d1"]),
        ("TestAddReplicaSet rs2", None, rs2, ["default/d2"]),
        ("TestAddReplicaSetOrphan", None, orphan, ["default/d1", "default/d2"]),
        ("TestUpdateReplicaSet", rs1, with_(rs1, status=freeze({"replicas": 1})), ["default/d1"]),
        ("TestUpdateReplicaSetOrphanWithNewLabels",
         with_(orphan, metadata=with_(orphan["metadata"], labels=freeze({"foo": "notbar"}))), orphan,
         ["default/d1", "default/d2"]),
        ("TestUpdateReplicaSetChangeControllerRef", _owned_rs(d2, "rs1", 1), rs1, ["default/d2", "default/d1"]),
        ("TestUpdateReplicaSetRelease", rs1, orphan, ["default/d1", "default/d2"]),
        ("TestDeleteReplicaSet", rs1, None, ["default/d1"]),
        ("TestDeleteReplicaSetOrphan", orphan, None, []),
    ]
    for name, old, new, want in cases:
        got = sorted(dc._rs_keys(state, old, new))
        assert got == sorted(want), f"queued {got}, but should queue {sorted(want)} [{name}]"


def test_own_status_writes_do_not_requeue() -> None:
    # updateDeployment re-queues on every update upstream; the model skips the controller's own status and
    # revision writes (see the module header) but not spec, annotation or deletion changes
    state = rm.converge(rm.apply_manifest(base(), _manifest("foo")), controllers=("deployment",))
    d = rm.get(state, "Deployment", "foo", namespace="default")
    assert d is not None
    d = freeze(d)
    assert list(dc._deployment_keys(state, d, with_(d, status=freeze({"replicas": 3})))) == [], "status write requeued"
    ann = {**d["metadata"]["annotations"], du.REVISION_ANNOTATION: "9"}
    assert list(dc._deployment_keys(state, d, with_(d, metadata=with_(d["metadata"], annotations=freeze(ann))))) == []
    ann = {**d["metadata"]["annotations"], "kubernetes.io/change-cause": "x"}
    assert list(dc._deployment_keys(state, d, with_(d, metadata=with_(d["metadata"], annotations=freeze(ann))))) == [
        "default/foo"], "a user annotation change was not queued"
    assert list(dc._deployment_keys(state, d, with_(d, spec=with_(d["spec"], replicas=4)))) == ["default/foo"]
    assert list(dc._deployment_keys(state, None, d)) == ["default/foo"]


def test_hash_collision_bumps_collision_count() -> None:
    # getNewReplicaSet: AlreadyExists with another template -> status.collisionCount++ and a new name
    state = rm.apply_manifest(base(), _manifest("foo"))
    d = rm.get(state, "Deployment", "foo", namespace="default")
    assert d is not None
    taken = f"foo-{du.compute_hash(freeze(d)['spec']['template'], None)}"
    squatter = rs(taken, 0, {"other": "x"}, template={"metadata": {"labels": {"other": "x"}},
                                                     "spec": {"containers": [{"name": "c", "image": "x"}]}})
    state, _ = put(state, squatter)
    state = rm.converge(state, controllers=("deployment",))
    d = rm.get(state, "Deployment", "foo", namespace="default")
    assert d is not None and d["status"].get("collisionCount") == 1, (
        f"collisionCount={d and d['status'].get('collisionCount')}, but should be 1 [after a name collision]")
    names = sorted(r["metadata"]["name"] for r in rm.list_objects(state, "ReplicaSet", namespace="default"))
    want = f"foo-{du.compute_hash(freeze(d)['spec']['template'], 1)}"
    assert names == sorted([taken, want]), f"ReplicaSets {names}, but should be {sorted([taken, want])}"
