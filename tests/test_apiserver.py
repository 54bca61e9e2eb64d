"""The API-server model (refmodel/apiserver.py): the one write path.

Mirrors the behaviour of ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go``
(Create, Update, Delete, updateForGracefulDeletionAndFinalizers, markAsDeleting),
``staging/src/k8s.io/apiserver/pkg/registry/rest/create.go``/``update.go``/``delete.go`` (BeforeCreate,
BeforeUpdate, BeforeDelete), the ReplicaSet strategy's generation rule
(``pkg/registry/apps/replicaset/strategy.go`` PrepareForUpdate), ``pkg/registry/core/pod/strategy.go``
(CheckGracefulDelete: unscheduled or terminal pods go at once), the NamespaceLifecycle admission plugin
(``staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go``) and
``kubectl apply``'s three-way merge (``staging/src/k8s.io/kubectl/pkg/cmd/apply``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import door
import pytest

import refmodel as rm
from refmodel import apiserver, kubectl
from refmodel.events import Scale
from refmodel.frozen import freeze
from refmodel.request import Request
from refmodel.state import ClusterState, parse_time


def _rs(name: str = "web", replicas: int | None = 2, app: str = "web", **meta: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": app}},
                            "template": {"metadata": {"labels": {"app": app}},
                                         "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, **meta}, "spec": spec}


def _pod(name: str = "p", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], **spec}}


def _cm(name: str, ns: str = "default", data: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
            "data": data or {"k": "v"}}


@pytest.fixture(scope="module")
def cluster() -> ClusterState:
    return rm.new_cluster(2)


def _must(r: door.Sent) -> ClusterState:
    assert r.rejection is None, f"write rejected: {r.rejection}, but should be accepted"
    return r.state


# ---------------------------------------------------------------------------------------------
# uid, resourceVersion, generation
# ---------------------------------------------------------------------------------------------
def test_uid_unique_and_resource_version_strictly_increasing(cluster: ClusterState) -> None:
    s = cluster
    rvs: list[int] = []
    uids: set[str] = set()
    for i in range(5):
        r = door.create(s, _cm(f"cm{i}"))
        s = _must(r)
        assert r.obj is not None
        rvs.append(int(r.obj["metadata"]["resourceVersion"]))
        uids.add(r.obj["metadata"]["uid"])
    obj = rm.get(s, "ConfigMap", "cm0")
    assert obj is not None
    obj["data"] = {"k": "changed"}
    r = door.update(s, obj)
    s = _must(r)
    assert r.obj is not None
    rvs.append(int(r.obj["metadata"]["resourceVersion"]))
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), f"resourceVersions {rvs}, but should strictly increase"
    assert len(uids) == 5, f"{len(uids)} distinct uids for 5 objects, but should be 5"
    before = s.rv
    s = _must(door.delete(s, "ConfigMap", "default", "cm1"))
    assert s.rv > before, f"state.rv={s.rv} after a delete, but should have advanced past {before}"


def test_server_owned_metadata_is_set_on_create_and_user_values_ignored(cluster: ClusterState) -> None:
    raw = _cm("owned")
    raw["metadata"].update({"uid": "user-uid", "resourceVersion": "", "creationTimestamp": "1999-01-01T00:00:00Z"})
    r = door.create(cluster, raw)
    _must(r)
    assert r.obj is not None
    md = r.obj["metadata"]
    assert md["uid"] != "user-uid", "create kept a client-supplied uid, but the server assigns uids (BeforeCreate)"
    assert md["creationTimestamp"] == cluster.timestamp(), (
        f"creationTimestamp={md['creationTimestamp']}, but should be now={cluster.timestamp()}")


def test_generation_bumps_only_when_spec_changes(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs(replicas=2))
    gen = lambda st: rm.get(st, "ReplicaSet", "web")["metadata"]["generation"]  # noqa: E731
    assert gen(s) == 1, f"generation={gen(s)} after create, but should be 1"
    s = rm.apply_manifest(s, _rs(replicas=2, labels={"tier": "fe"}))
    assert gen(s) == 1, f"generation={gen(s)} after a label change, but should stay 1"
    s = rm.apply_manifest(s, _rs(replicas=3, labels={"tier": "fe"}))
    assert gen(s) == 2, f"generation={gen(s)} after spec.replicas changed, but should be 2"
    s = rm.converge(s)
    assert gen(s) == 2, f"generation={gen(s)} after status writes, but should stay 2"
    status = rm.get(s, "ReplicaSet", "web")["status"]
    assert status["observedGeneration"] == 2
    s = rm.step(s, Scale("ReplicaSet", "default", "web", 5))
    assert gen(s) == 3, f"generation={gen(s)} after a scale, but should be 3"


def test_generation_is_not_client_writable(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs())
    obj = rm.get(s, "ReplicaSet", "web")
    obj["metadata"]["generation"] = 42
    s2 = _must(door.update(s, obj))
    assert rm.get(s2, "ReplicaSet", "web")["metadata"]["generation"] == 1


def test_noop_update_does_not_bump_resource_version(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs())
    obj = rm.get(s, "ReplicaSet", "web")
    r = door.update(s, obj)
    assert r.ok and r.state is s, "a no-op update produced a new state, but should be a no-op"
    assert rm.get(r.state, "ReplicaSet", "web")["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
    s2 = rm.apply_manifest(s, _rs())
    assert s2.rv == s.rv, f"re-applying the same manifest moved rv {s.rv} -> {s2.rv}, but should change nothing"


def test_status_is_ignored_on_main_resource_update(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _rs(replicas=1)))
    live = rm.get(s, "ReplicaSet", "web")
    edited = copy.deepcopy(live)
    edited["status"] = {"replicas": 99, "readyReplicas": 99}
    edited["metadata"].setdefault("annotations", {})["note"] = "x"
    r = door.update(s, edited)
    _must(r)
    got = rm.get(r.state, "ReplicaSet", "web")
    assert got["status"] == live["status"], f"status={got['status']} after a main-resource update, but should be kept"
    assert got["metadata"]["annotations"]["note"] == "x"


def test_update_status_ignores_spec_and_metadata(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs(replicas=1))
    live = rm.get(s, "ReplicaSet", "web")
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 7
    edited["metadata"]["labels"] = {"hacked": "yes"}
    edited["status"] = {"replicas": 0, "observedGeneration": 1}
    r = door.update_status(s, freeze(edited))
    _must(r)
    got = rm.get(r.state, "ReplicaSet", "web")
    assert got["spec"]["replicas"] == 1 and "hacked" not in (got["metadata"].get("labels") or {}), (
        "update_status changed spec or metadata, but only status may change through /status")
    assert got["status"] == {"replicas": 0, "observedGeneration": 1}


def test_stale_resource_version_is_a_conflict(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs())
    stale = rm.get(s, "ReplicaSet", "web")
    s = rm.step(s, Scale("ReplicaSet", "default", "web", 4))
    stale["spec"]["replicas"] = 9
    r = door.update(s, stale)
    assert r.rejection is not None and r.rejection.reason == "Conflict", f"stale update gave {r.rejection}"
    assert r.state is s


# ---------------------------------------------------------------------------------------------
# kubectl apply (client-side three-way merge)
# ---------------------------------------------------------------------------------------------
def test_apply_keeps_fields_set_by_others(cluster: ClusterState) -> None:
    # scale, then re-apply a manifest that never set replicas: the scale survives
    s = rm.apply_manifest(cluster, _rs(replicas=None))
    assert rm.get(s, "ReplicaSet", "web")["spec"]["replicas"] == 1, "replicas not defaulted to 1"
    s = rm.step(s, Scale("ReplicaSet", "default", "web", 5))
    s = rm.apply_manifest(s, _rs(replicas=None))
    got = rm.get(s, "ReplicaSet", "web")["spec"]["replicas"]
    assert got == 5, f"spec.replicas={got} after re-apply without replicas, but should keep the scaled 5"


def test_apply_sets_fields_in_the_manifest_and_drops_fields_it_stopped_setting(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs(replicas=3))
    s = rm.step(s, Scale("ReplicaSet", "default", "web", 5))
    s = rm.apply_manifest(s, _rs(replicas=3))
    assert rm.get(s, "ReplicaSet", "web")["spec"]["replicas"] == 3, "apply did not set the manifest's replicas"
    s = rm.apply_manifest(s, _rs(replicas=None))
    got = rm.get(s, "ReplicaSet", "web")["spec"]["replicas"]
    assert got == 1, f"spec.replicas={got} after dropping it from the manifest, but should be removed (defaulted to 1)"


def test_apply_records_last_applied_configuration(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs(replicas=2))
    ann = rm.get(s, "ReplicaSet", "web")["metadata"]["annotations"]
    last = json.loads(ann[kubectl.LAST_APPLIED])
    assert last["spec"]["replicas"] == 2
    assert kubectl.LAST_APPLIED not in (last["metadata"].get("annotations") or {}), "last-applied contains itself"
    assert "status" not in last and "uid" not in last["metadata"]


def test_apply_keeps_annotations_added_by_others(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _cm("cfg"))
    live = rm.get(s, "ConfigMap", "cfg")
    live["metadata"]["annotations"]["team"] = "a"
    s = _must(door.update(s, live))
    s = rm.apply_manifest(s, _cm("cfg", data={"k": "v2"}))
    got = rm.get(s, "ConfigMap", "cfg")
    assert got["data"] == {"k": "v2"}
    assert got["metadata"]["annotations"].get("team") == "a", "apply removed an annotation it never set"


def test_apply_merges_maps_key_by_key(cluster: ClusterState) -> None:
    # three-way merge of a map: keys the last apply set and this one drops are removed, others' keys stay
    s = rm.apply_manifest(cluster, _cm("cfg", data={"a": "1", "b": "2"}))
    live = rm.get(s, "ConfigMap", "cfg")
    live["data"]["c"] = "3"
    s = _must(door.update(s, live))
    s = rm.apply_manifest(s, _cm("cfg", data={"a": "10"}))
    got = rm.get(s, "ConfigMap", "cfg")["data"]
    assert got == {"a": "10", "c": "3"}, f"data={got}, but should be {{'a': '10', 'c': '3'}}"


def _deploy(strategy: dict[str, Any] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}
    if strategy is not None:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": spec}


def test_apply_switches_a_deployment_to_recreate(cluster: ClusterState) -> None:
    # DeploymentSpec.strategy is patchStrategy=retainKeys: the defaulted rollingUpdate goes with the switch
    s = rm.apply_manifest(cluster, _deploy(None))
    assert rm.get(s, "Deployment", "web")["spec"]["strategy"]["type"] == "RollingUpdate"
    s = rm.apply_manifest(s, _deploy({"type": "Recreate"}))
    got = rm.get(s, "Deployment", "web")["spec"]["strategy"]
    assert got == {"type": "Recreate"}, f"spec.strategy={got}, but should be {{'type': 'Recreate'}}"
    s = rm.apply_manifest(s, _deploy({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}))
    got = rm.get(s, "Deployment", "web")["spec"]["strategy"]
    assert got == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}, f"strategy={got}"


def test_apply_without_a_strategy_keeps_the_live_one(cluster: ClusterState) -> None:
    # retainKeys applies only when the manifest sets the field
    s = rm.apply_manifest(cluster, _deploy(None))
    live = rm.get(s, "Deployment", "web")
    s = rm.apply_manifest(s, _deploy(None))
    assert rm.get(s, "Deployment", "web")["spec"]["strategy"] == live["spec"]["strategy"]


# ---------------------------------------------------------------------------------------------
# rejections are values and leave the state untouched
# ---------------------------------------------------------------------------------------------
def test_rejected_writes_return_the_identical_state(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _cm("dup"))
    attempts = {
        "AlreadyExists": door.create(s, _cm("dup")),
        "missing namespace": door.create(s, _cm("x", ns="nowhere")),
        "unknown kind": door.create(s, {"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}}),
        "removed version": door.create(s, {**_rs(), "apiVersion": "extensions/v1beta1"}),
        "delete NotFound": door.delete(s, "ConfigMap", "default", "absent"),
        "bad propagation": door.delete(s, "ConfigMap", "default", "dup", "Sideways"),
        "immortal namespace": door.delete(s, "Namespace", "", "default"),
        "update NotFound": door.update(s, _cm("absent")),
    }
    for what, r in attempts.items():
        assert r.rejection is not None, f"{what}: accepted, but should be rejected"
        assert r.state is s, f"{what}: rejected write returned a different state object, but should return the same"
    with pytest.raises(rm.Invalid):
        rm.apply_manifest(s, _cm("x", ns="nowhere"))


def test_namespace_lifecycle_rejects_creates_in_a_terminating_namespace(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
    s = _must(door.delete(s, "Namespace", "", "doomed"))
    r = door.create(s, _cm("late", ns="doomed"))
    assert r.rejection is not None and r.rejection.reason == "Forbidden", f"create in terminating ns gave {r.rejection}"
    assert "being terminated" in r.rejection.message
    assert r.state is s
    rc = door.create(s, freeze(_cm("late2", ns="doomed")), controller=door.CONTROLLER)
    assert rc.rejection is not None, "a controller create in a terminating namespace was accepted"


# ---------------------------------------------------------------------------------------------
# deletion
# ---------------------------------------------------------------------------------------------
def test_graceful_deletion_of_a_bound_pod(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _pod("p")))
    assert rm.get(s, "Pod", "p")["spec"].get("nodeName"), "pod was not scheduled"
    r = door.delete(s, "Pod", "default", "p")
    _must(r)
    pod = rm.get(r.state, "Pod", "p")
    assert pod is not None, "a bound pod vanished at once, but should wait for its kubelet"
    md = pod["metadata"]
    assert md["deletionGracePeriodSeconds"] == 30
    want = s.config.start_time + s.now + 30
    assert parse_time(md["deletionTimestamp"]) == want, (
        f"deletionTimestamp={md['deletionTimestamp']}, but should be now + 30s grace")
    assert pod["status"]["phase"] == "Running", "deletion changed the phase, but must not (P-8)"


def test_graceful_deletion_uses_the_pods_grace_period(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _pod("p", terminationGracePeriodSeconds=5)))
    r = door.delete(s, "Pod", "default", "p")
    md = rm.get(r.state, "Pod", "p")["metadata"]
    assert md["deletionGracePeriodSeconds"] == 5
    assert parse_time(md["deletionTimestamp"]) == s.config.start_time + s.now + 5


def test_unbound_pod_is_deleted_at_once(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _pod("p"))  # not converged: the scheduler has not run
    assert not rm.get(s, "Pod", "p")["spec"].get("nodeName")
    r = door.delete(s, "Pod", "default", "p")
    _must(r)
    assert rm.get(r.state, "Pod", "p") is None, "an unscheduled pod lingered, but goes at once (CheckGracefulDelete)"


def test_zero_grace_deletes_a_bound_pod_at_once(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _pod("p")))
    r = door.delete(s, "Pod", "default", "p", grace_seconds=0)
    assert rm.get(r.state, "Pod", "p") is None


def test_kubelet_confirms_graceful_deletion(cluster: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(cluster, _pod("p")))
    s = rm.converge(_must(door.delete(s, "Pod", "default", "p")))
    assert rm.get(s, "Pod", "p") is None, "terminating pod not removed after its kubelet synced"


def test_finalizers_hold_an_object_until_removed(cluster: ClusterState) -> None:
    raw = _cm("held")
    raw["metadata"]["finalizers"] = ["example.com/hold"]
    s = rm.apply_manifest(cluster, raw)
    s = _must(door.delete(s, "ConfigMap", "default", "held"))
    obj = rm.get(s, "ConfigMap", "held")
    assert obj is not None and obj["metadata"].get("deletionTimestamp"), "finalizer did not hold the object"
    assert obj["metadata"]["deletionGracePeriodSeconds"] == 0
    again = door.delete(s, "ConfigMap", "default", "held")
    assert again.ok and again.state is s, "a second DELETE of a terminating object changed it"
    obj["metadata"]["finalizers"] = []
    s = _must(door.update(s, obj))
    assert rm.get(s, "ConfigMap", "held") is None, "object with no finalizers left and a deletionTimestamp lingers"


def test_propagation_policies_set_finalizers(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _rs())
    fg = rm.get(_must(door.delete(s, "ReplicaSet", "default", "web", "Foreground")), "ReplicaSet", "web")
    assert fg is not None and fg["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert fg["metadata"].get("deletionTimestamp")
    orphan = rm.get(_must(door.delete(s, "ReplicaSet", "default", "web", "Orphan")), "ReplicaSet", "web")
    assert orphan is not None and orphan["metadata"]["finalizers"] == ["orphan"]
    assert rm.get(_must(door.delete(s, "ReplicaSet", "default", "web", "Background")), "ReplicaSet", "web") is None


def test_marking_for_deletion_bumps_generation(cluster: ClusterState) -> None:
    # store.go markAsDeleting: "This handles Generation bump for resources that don't support graceful deletion"
    s = rm.apply_manifest(cluster, _rs())
    r = door.delete(s, "ReplicaSet", "default", "web", "Foreground")
    got = rm.get(r.state, "ReplicaSet", "web")["metadata"]["generation"]
    assert got == 2, f"generation={got} after a foreground delete, but should be bumped to 2"


def test_generate_name(cluster: ClusterState) -> None:
    raw = _cm("")
    del raw["metadata"]["name"]
    raw["metadata"]["generateName"] = "cfg-"
    r = door.create(cluster, raw)
    _must(r)
    assert r.obj is not None
    name = r.obj["metadata"]["name"]
    assert name.startswith("cfg-") and len(name) == len("cfg-") + 5, f"generated name {name!r}, but should be cfg-XXXXX"


def test_user_can_relabel_a_controller_created_pod(cluster: ClusterState) -> None:
    # kubectl label pod ...: labels are mutable (P-10); the stored pod must already carry its defaults
    s = rm.converge(rm.apply_manifest(cluster, _rs(replicas=1)))
    pod = rm.list_objects(s, "Pod", "default", selector={"app": "web"})[0]
    pod["metadata"]["labels"]["extra"] = "yes"
    r = door.update(s, pod)
    assert r.rejection is None, f"relabelling a ReplicaSet's pod was rejected: {r.rejection}"


def test_no_new_finalizers_while_deleting(cluster: ClusterState) -> None:
    raw = _cm("held")
    raw["metadata"]["finalizers"] = ["example.com/hold"]
    s = rm.apply_manifest(cluster, raw)
    s = _must(door.delete(s, "ConfigMap", "default", "held"))
    obj = rm.get(s, "ConfigMap", "held")
    obj["metadata"]["finalizers"].append("example.com/another")
    r = door.update(s, obj)
    assert r.rejection is not None, "a finalizer was added to an object being deleted, but that is Forbidden"
    assert r.state is s



# ---------------------------------------------------------------------------------------------
# batches: one controller turn's writes committed together
# ---------------------------------------------------------------------------------------------
def _five_pods() -> ClusterState:
    return rm.converge(rm.apply_manifest(rm.new_cluster(2), _rs(replicas=5)))


def _same_result(batched: ClusterState, sequential: ClusterState, what: str) -> None:
    from refmodel.state import index_errors

    for kind in ("Pod", "ReplicaSet"):
        got = {o["metadata"]["name"]: o for o in batched.iter_kind(kind)}
        want = {o["metadata"]["name"]: o for o in sequential.iter_kind(kind)}
        assert got == want, f"{what}: {kind}s differ from one-by-one writes, but a batch is the same writes"
    assert (batched.rv, batched.uid_seq) == (sequential.rv, sequential.uid_seq), (
        f"{what}: rv/uid_seq={batched.rv}/{batched.uid_seq}, but should be {sequential.rv}/{sequential.uid_seq}")
    assert set(batched.dirty) == set(sequential.dirty), (
        f"{what}: queued {sorted(batched.dirty)}, but one-by-one writes queue {sorted(sequential.dirty)}")
    assert not index_errors(batched), f"{what}: {index_errors(batched)[0]}"


def test_batched_status_writes_equal_one_by_one_writes() -> None:
    from refmodel.frozen import with_

    s = _five_pods()
    pods = sorted(s.iter_kind("Pod"), key=lambda p: p["metadata"]["name"])
    updates = [with_(p, status=with_(p["status"], message=f"m{i}")) for i, p in enumerate(pods[:4])]
    seq = s
    for p in updates:
        seq = door.update_status(seq, p).state
    batch = Request("update", subresource="status", controller="kubelet", items=(*updates, pods[4]))
    sent = door.send(s, batch)  # the last item is unchanged: no write
    assert sent.ok and len(sent.changes) == 4, f"{sent.response}, changes={len(sent.changes)}, but four statuses changed"
    assert all(c[3] for c in sent.changes), "a status write was not marked status-only for the watches"
    _same_result(sent.state, seq, "a batch of status updates")


def test_batched_creates_equal_one_by_one_creates() -> None:
    from refmodel.controllers.replicaset import pod_from_template

    s = _five_pods()
    rs = s.get("ReplicaSet", "default", "web")
    pods = [pod_from_template(rs["spec"]["template"], rs, "default") for _ in range(4)]
    seq = s
    for p in pods:
        seq = door.create(seq, p, controller="replicaset").state
    sent = door.send(s, Request("create", controller="replicaset", items=tuple(pods)))
    assert sent.ok and len(sent.response.items) == 4, f"response={sent.response}, but four pods were created"
    assert len({p["metadata"]["name"] for p in sent.response.items}) == 4, "two generated names collide in one batch"
    _same_result(sent.state, seq, "a batch of creates")


def test_batched_creates_stop_at_the_first_rejection() -> None:
    from refmodel.controllers.replicaset import pod_from_template

    s = _five_pods()
    rs = s.get("ReplicaSet", "default", "web")
    pod = pod_from_template(rs["spec"]["template"], rs, "default", "x")
    other = pod_from_template(rs["spec"]["template"], rs, "default", "y")
    sent = door.send(s, Request("create", controller="test", items=(pod, pod, other)))
    assert sent.rejection is not None and sent.rejection.reason == "AlreadyExists", f"rejection={sent.rejection}"
    assert [p["metadata"]["name"] for p in sent.response.items] == ["x"], "the batch went on past its first rejection"
    assert sent.state.get("Pod", "default", "x") is not None and sent.state.get("Pod", "default", "y") is None


def test_a_write_of_a_version_no_longer_stored_is_a_conflict() -> None:
    from refmodel.frozen import with_

    s = _five_pods()
    pod = next(s.iter_kind("Pod"))
    newer = door.update_status(s, with_(pod, status=with_(pod["status"], message="newer"))).state
    for request in (
        Request("update", subresource="status", controller="kubelet",
                items=(with_(pod, status=with_(pod["status"], message="stale")),)),
        Request("update", controller="scheduler", items=(with_(pod, spec=with_(pod["spec"], nodeName="elsewhere")),)),
    ):
        state, response, changes = apiserver.handle(newer, request)
        assert response.rejection is not None and response.rejection.reason == "Conflict", (
            f"response={response}, but a write of resourceVersion {pod['metadata']['resourceVersion']} over "
            f"{newer.get('Pod', 'default', pod['metadata']['name'])['metadata']['resourceVersion']} is a conflict")
        assert state is newer and changes == (), "a rejected write changed the state"


# ---------------------------------------------------------------------------------------------
# check_create (what `kubeoracle validate` asks) answers as a dry-run create does
# ---------------------------------------------------------------------------------------------
def _check_create_cases() -> list[Any]:
    from conftest import shared_manifests

    cases: list[Any] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}, "data": {"a": "1"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}, "data": {"a": 1}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "missing"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "gone"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "taken"}},
        {"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "x"}},
        {"kind": "ConfigMap", "metadata": {"name": "x"}},
        _rs("web", 2),
        _rs("web2", -1),
        _pod("p"),
        _pod("p2", restartPolicy="Sometimes"),
        "not a mapping",
    ]
    d = shared_manifests()
    for sub in ("valid", "invalid"):
        for path in sorted((d / sub).glob("*.yaml")) if d is not None else []:
            docs, _ = rm.yamlio.documents_from(path.read_text())
            cases.extend(doc.obj for doc in docs)
    return cases


def test_check_create_answers_as_a_dry_run_create() -> None:
    state = rm.new_cluster(nodes=1)
    for name in ("gone",):
        state = rm.apply_manifest(state, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    state = rm.apply_manifest(state, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "taken"}})
    state = rm.apply_manifest(state, _rs("held", 1))
    state, response, _ = apiserver.handle(state, Request("delete", "Namespace", "", "gone"))
    assert response.ok, response
    cases = _check_create_cases()
    assert len(cases) > 11, "the shared manifest corpus was not found"
    verdicts = {"accepted": 0, "rejected": 0}
    for obj in cases:
        want = apiserver.handle(state, Request("create", body=copy.deepcopy(obj), dry_run=True))[1].rejection
        got = apiserver.check_create(state, copy.deepcopy(obj))
        assert got == want, f"check_create says {got}, but a dry-run create says {want}, for {obj!r:.300}"
        verdicts["rejected" if want is not None else "accepted"] += 1
    assert verdicts["accepted"] and verdicts["rejected"], verdicts
