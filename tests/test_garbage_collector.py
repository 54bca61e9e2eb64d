"""The garbage collector (refmodel/controllers/garbage_collector.py).

Mirrors ``pkg/controller/garbagecollector/garbagecollector_test.go`` (TestAttemptToDeleteItem) and
``garbagecollector.go`` (classifyReferences, attemptToDeleteItem, processDeletingDependentsItem,
orphanDependents), and the conformance tests of ``test/e2e/apimachinery/garbage_collector.go``:
"should delete pods created by rc when not orphaning", "should orphan pods created by rc if delete options
say so", "should keep the rc around until all its pods are deleted if the deleteOptions says so",
"should not delete dependents that have both valid owner and owner that's waiting for dependents to be
deleted" and "should not be blocked by dependency circle" (ReplicaSets stand in for ReplicationControllers,
which the model does not run).
"""

from __future__ import annotations

from typing import Any

import door
import pytest

import refmodel as rm
from refmodel.controllers.garbage_collector import classify_references
from refmodel.events import Delete
from refmodel.frozen import freeze
from refmodel.state import ClusterState


def _rs(name: str, replicas: int, app: str | None = None) -> dict[str, Any]:
    app = app or name
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def _cm(name: str, owners: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if owners:
        md["ownerReferences"] = owners
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": {"k": "v"}}


def _pod(name: str, owners: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if owners:
        md["ownerReferences"] = owners
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}


def _ref(s: ClusterState, kind: str, name: str, block: bool = True, controller: bool = False) -> dict[str, Any]:
    obj = rm.get(s, kind, name)
    assert obj is not None, f"{kind}/{name} does not exist"
    r: dict[str, Any] = {"apiVersion": obj["apiVersion"], "kind": kind, "name": name, "uid": obj["metadata"]["uid"]}
    if block:
        r["blockOwnerDeletion"] = True
    if controller:
        r["controller"] = True
    return r


def _names(s: ClusterState, kind: str) -> list[str]:
    return [o["metadata"]["name"] for o in rm.list_objects(s, kind, "default")]


@pytest.fixture(scope="module")
def cluster() -> ClusterState:
    return rm.new_cluster(2)


# ---------------------------------------------------------------------------------------------
# classifyReferences, attemptToDeleteItem
# ---------------------------------------------------------------------------------------------
def test_classify_references(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _cm("solid"))
    s = rm.apply_manifest(s, _cm("waiting", [_ref(s, "ConfigMap", "solid")]))
    s = rm.apply_manifest(s, _cm("bg-deleting"))
    held = _cm("bg-deleting")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    s = rm.apply_manifest(s, held)
    s = door.delete(s, "ConfigMap", "default", "bg-deleting").state
    s = door.delete(s, "ConfigMap", "default", "waiting", "Foreground").state
    refs = [
        _ref(s, "ConfigMap", "solid"),
        _ref(s, "ConfigMap", "waiting"),
        _ref(s, "ConfigMap", "bg-deleting"),
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "no-such-uid"},
        {**_ref(s, "ConfigMap", "solid"), "name": "renamed"},  # right uid, wrong name: not this owner
    ]
    dependent = freeze({"kind": "ConfigMap", "metadata": {"name": "d", "namespace": "default", "ownerReferences": refs}})
    solid, dangling, waiting = classify_references(s, dependent)
    got = ([r["name"] for r in solid], [r["name"] for r in dangling], [r["name"] for r in waiting])
    assert got == (["solid", "bg-deleting"], ["gone", "renamed"], ["waiting"]), (
        f"(solid, dangling, waiting)={got}, but should be (solid+background-deleting, missing, foreground owner)")


def test_attempt_to_delete_item(cluster: ClusterState) -> None:
    # TestAttemptToDeleteItem: a pod whose owner does not exist is deleted
    dangling = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "owner1", "uid": "123"}
    s = rm.converge(rm.apply_manifest(cluster, _pod("to-be-deleted-pod", [dangling])))
    assert rm.get(s, "Pod", "to-be-deleted-pod") is None, "a pod with a dangling owner survived"


def test_owner_recreated_with_same_name_does_not_adopt_old_dependents(cluster: ClusterState) -> None:
    # GC-5: references are by uid
    s = rm.apply_manifest(cluster, _cm("owner"))
    old_ref = _ref(s, "ConfigMap", "owner")
    s = rm.converge(rm.step(s, Delete("ConfigMap", "default", "owner")))
    s = rm.apply_manifest(s, _cm("owner"))
    s = rm.converge(rm.apply_manifest(s, _cm("dep", [old_ref])))
    assert rm.get(s, "ConfigMap", "dep") is None, "dependent of a deleted owner kept alive by a same-named new owner"
    assert rm.get(s, "ConfigMap", "owner") is not None


def test_dependent_with_live_and_dangling_owner_loses_only_the_dangling_ref(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _cm("alive"))
    refs = [_ref(s, "ConfigMap", "alive"), {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "gone-uid"}]
    s = rm.converge(rm.apply_manifest(s, _cm("dep", refs)))
    dep = rm.get(s, "ConfigMap", "dep")
    assert dep is not None, "a dependent with a live owner was deleted"
    assert [r["name"] for r in dep["metadata"]["ownerReferences"]] == ["alive"], (
        f"ownerReferences {dep['metadata']['ownerReferences']}, but the dangling one should be removed")


# ---------------------------------------------------------------------------------------------
# conformance scenarios
# ---------------------------------------------------------------------------------------------
def test_delete_pods_created_by_rs_when_not_orphaning(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs("simpletest", 2)))
    assert len(_names(s, "Pod")) == 2
    s = rm.converge(rm.step(s, Delete("ReplicaSet", "default", "simpletest", "Background")))
    assert _names(s, "ReplicaSet") == [] and _names(s, "Pod") == [], "background deletion left pods behind"


def test_orphan_pods_created_by_rs_if_delete_options_say_so(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs("simpletest", 2)))
    pods = _names(s, "Pod")
    s = rm.converge(rm.step(s, Delete("ReplicaSet", "default", "simpletest", "Orphan")))
    assert _names(s, "ReplicaSet") == [], "orphaning owner not deleted"
    assert _names(s, "Pod") == pods, f"pods {_names(s, 'Pod')} after orphaning, but {pods} should survive"
    for p in rm.list_objects(s, "Pod", "default"):
        assert not p["metadata"].get("ownerReferences"), f"{p['metadata']['name']} still references the owner"


def test_keep_the_rs_around_until_all_its_pods_are_deleted_in_foreground(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs("simpletest", 3)))
    s = rm.step(s, Delete("ReplicaSet", "default", "simpletest", "Foreground"))
    rs = rm.get(s, "ReplicaSet", "simpletest")
    assert rs is not None and rs["metadata"]["finalizers"] == ["foregroundDeletion"]
    for event, st in rm.converge_steps(s):
        pods = _names(st, "Pod")
        owner = rm.get(st, "ReplicaSet", "simpletest")
        if pods:
            assert owner is not None and "foregroundDeletion" in owner["metadata"]["finalizers"], (
                f"ReplicaSet gone or released while pods {pods} remain [after {event}]")
            assert owner["metadata"].get("deletionTimestamp")
        s = st
    assert _names(s, "ReplicaSet") == [] and _names(s, "Pod") == []


def test_foreground_waits_only_for_blocking_dependents(cluster: ClusterState) -> None:
    # processDeletingDependentsItem: only dependents whose reference has blockOwnerDeletion block
    s = rm.apply_manifest(cluster, _cm("owner"))
    s = rm.apply_manifest(s, _pod("blocking", [_ref(s, "ConfigMap", "owner", block=True)]))
    s = rm.converge(rm.apply_manifest(s, _pod("free", [_ref(s, "ConfigMap", "owner", block=False)])))
    s = rm.step(s, Delete("ConfigMap", "default", "owner", "Foreground"))
    for event, st in rm.converge_steps(s):
        if rm.get(st, "Pod", "blocking") is not None:
            assert rm.get(st, "ConfigMap", "owner") is not None, f"owner gone before its blocking dependent [{event}]"
        s = st
    assert rm.get(s, "ConfigMap", "owner") is None and _names(s, "Pod") == []


def test_dependents_with_a_valid_owner_survive_foreground_deletion_of_another(cluster: ClusterState) -> None:
    # "should not delete dependents that have both valid owner and owner that's waiting for dependents
    # to be deleted": half the pods also belong to rs2; after rs1 is deleted in the foreground they stay,
    # not terminating, with exactly one ownerReference
    s = rm.converge(rm.apply_manifest(cluster, _rs("simpletest-rc-to-be-deleted", 4, "gc-test")))
    s = rm.converge(rm.apply_manifest(s, _rs("simpletest-rc-to-stay", 0, "other")))
    stay = _ref(s, "ReplicaSet", "simpletest-rc-to-stay")
    pods = rm.list_objects(s, "Pod", "default")
    half = sorted(p["metadata"]["name"] for p in pods)[:2]
    for p in pods:
        if p["metadata"]["name"] in half:
            p["metadata"]["ownerReferences"].append(stay)
            r = door.update(s, p)  # the e2e test PATCHes the pod's ownerReferences
            assert r.ok, f"adding an owner to {p['metadata']['name']} failed: {r.rejection}"
            s = r.state
    s = rm.converge(rm.step(s, Delete("ReplicaSet", "default", "simpletest-rc-to-be-deleted", "Foreground")))
    assert rm.get(s, "ReplicaSet", "simpletest-rc-to-be-deleted") is None
    left = rm.list_objects(s, "Pod", "default")
    assert sorted(p["metadata"]["name"] for p in left) == half, f"pods left {[p['metadata']['name'] for p in left]}"
    for p in left:
        assert not p["metadata"].get("deletionTimestamp"), f"{p['metadata']['name']} is terminating"
        assert [r["name"] for r in p["metadata"]["ownerReferences"]] == ["simpletest-rc-to-stay"], (
            f"ownerReferences {p['metadata']['ownerReferences']}, but only the live owner should remain")


def _cycle(cluster: ClusterState) -> ClusterState:
    s = cluster
    for n in ("pod1", "pod2", "pod3"):
        s = rm.apply_manifest(s, _pod(n))
    s = rm.converge(s)
    for dep, owner in (("pod1", "pod3"), ("pod2", "pod1"), ("pod3", "pod2")):
        p = rm.get(s, "Pod", dep)
        p["metadata"]["ownerReferences"] = [_ref(s, "Pod", owner, block=True, controller=True)]
        r = door.update(s, p)
        assert r.ok, f"patching {dep} failed: {r.rejection}"
        s = r.state
    return rm.converge(s)


def test_dependency_cycle_background(cluster: ClusterState) -> None:
    # GC-4 with the default propagation
    s = _cycle(cluster)
    assert _names(s, "Pod") == ["pod1", "pod2", "pod3"], "the cycle collapsed before anything was deleted"
    s = rm.converge(rm.step(s, Delete("Pod", "default", "pod1")))
    assert _names(s, "Pod") == [], f"pods {_names(s, 'Pod')} left after deleting one pod of a cycle"


def test_not_blocked_by_dependency_circle(cluster: ClusterState) -> None:
    # conformance "should not be blocked by dependency circle" (foreground delete of pod1)
    s = _cycle(cluster)
    s = rm.converge(rm.step(s, Delete("Pod", "default", "pod1", "Foreground")))
    left = [(p["metadata"]["name"], p["metadata"].get("finalizers")) for p in rm.list_objects(s, "Pod", "default")]
    assert left == [], f"pods {left} left, but deleting one pod of a cycle must delete them all"


def test_orphan_keeps_other_owner_references(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _cm("a"))
    s = rm.apply_manifest(s, _cm("b"))
    s = rm.converge(rm.apply_manifest(s, _cm("dep", [_ref(s, "ConfigMap", "a"), _ref(s, "ConfigMap", "b")])))
    s = rm.converge(rm.step(s, Delete("ConfigMap", "default", "a", "Orphan")))
    dep = rm.get(s, "ConfigMap", "dep")
    assert rm.get(s, "ConfigMap", "a") is None and dep is not None
    assert [r["name"] for r in dep["metadata"]["ownerReferences"]] == ["b"]


def test_multiple_owners_dependent_deleted_only_when_all_are_gone(cluster: ClusterState) -> None:
    # GC-3
    s = rm.apply_manifest(cluster, _cm("a"))
    s = rm.apply_manifest(s, _cm("b"))
    s = rm.converge(rm.apply_manifest(s, _cm("dep", [_ref(s, "ConfigMap", "a"), _ref(s, "ConfigMap", "b")])))
    s = rm.converge(rm.step(s, Delete("ConfigMap", "default", "a")))
    assert rm.get(s, "ConfigMap", "dep") is not None, "dependent deleted while owner b lives"
    s = rm.converge(rm.step(s, Delete("ConfigMap", "default", "b")))
    assert rm.get(s, "ConfigMap", "dep") is None, "dependent survived its last owner"


def test_chain_of_owners_background(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _cm("root"))
    s = rm.apply_manifest(s, _cm("mid", [_ref(s, "ConfigMap", "root")]))
    s = rm.converge(rm.apply_manifest(s, _cm("leaf", [_ref(s, "ConfigMap", "mid")])))
    s = rm.converge(rm.step(s, Delete("ConfigMap", "default", "root")))
    assert [n for n in _names(s, "ConfigMap") if n in ("root", "mid", "leaf")] == []


def test_cross_namespace_owner_reference_is_dangling(cluster: ClusterState) -> None:
    # GC-1: namespaced dependents may only reference owners in their own namespace (or cluster-scoped ones)
    s = rm.apply_manifest(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "elsewhere"}})
    owner = _cm("owner")
    owner["metadata"]["namespace"] = "elsewhere"
    s = rm.apply_manifest(s, owner)
    o = rm.get(s, "ConfigMap", "owner", "elsewhere")
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": o["metadata"]["uid"]}
    s = rm.converge(rm.apply_manifest(s, _cm("dep", [ref])))
    assert rm.get(s, "ConfigMap", "dep") is None, "a dependent whose owner lives in another namespace survived"

