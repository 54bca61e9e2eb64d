"""The one door (refmodel/apiserver.py ``handle``) and its vocabulary (refmodel/request.py).

Every verb and subresource through ``handle``; Status-shaped failures with field causes; rejected
requests return the state they were given and commit nothing; dry runs; preconditions; strict mode,
which validates controller writes as a user's (a seeded controller that writes an invalid pod is
caught); the names a controller composes are checked even when strict mode is off.

Mirrors ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go`` (Create, Update, Delete,
Get, List), ``rest/create.go`` / ``update.go`` (BeforeCreate, BeforeUpdate), the scale subresource
(``pkg/registry/apps/deployment/storage/storage.go`` ScaleREST; ``pkg/apis/autoscaling/validation``
ValidateScale), the binding subresource (``pkg/registry/core/pod/storage/storage.go`` BindingREST) and
``pkg/controller/deployment/sync.go`` getNewReplicaSet's handling of a failed create.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import door
import pytest

import refmodel as rm
from refmodel import apiserver
from refmodel.frozen import FrozenDict, with_
from refmodel.request import Request, Response, status_of
from refmodel.state import ClusterConfig, ClusterState


def _dep(name: str = "web", replicas: int = 2, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, **extra,
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def _cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {"k": "v"}}


@pytest.fixture(scope="module")
def web() -> ClusterState:
    return rm.converge(rm.apply_manifest(rm.new_cluster(2), _dep()))


def _rejected(state: ClusterState, request: Request, reason: str, field: str = "") -> Response:
    """``request`` is refused with ``reason`` (and a cause at ``field``), and nothing changed."""
    after, response, changes = apiserver.handle(state, request)
    assert response.rejection is not None, f"{request.verb} {request.kind}/{request.name} accepted, but should be {reason}"
    assert response.rejection.reason == reason, f"reason={response.rejection.reason}, but should be {reason}"
    assert after is state and changes == (), "a rejected request changed the state"
    if field:
        assert field in [c.field for c in response.rejection.causes], (
            f"causes={[c.field for c in response.rejection.causes]}, but should name {field}")
    assert response.code == response.rejection.code
    return response


# ---------------------------------------------------------------------------------------------
# every verb
# ---------------------------------------------------------------------------------------------
def test_get_and_list(web: ClusterState) -> None:
    _, got, changes = apiserver.handle(web, Request("get", "Deployment", "default", "web"))
    assert got.ok and got.obj is web.get("Deployment", "default", "web") and changes == ()
    _rejected(web, Request("get", "Deployment", "default", "nope"), "NotFound")
    _rejected(web, Request("get", "Widget", "default", "x"), "NotFound")
    _, listed, _ = apiserver.handle(web, Request("list", "Pod", "default", selector={"app": "web"}))
    names = [p["metadata"]["name"] for p in listed.items]
    assert len(names) == 2 and names == sorted(names), f"listed {names}, but should be the 2 web pods, sorted"
    _, none, _ = apiserver.handle(web, Request("list", "Pod", "default", selector={"app": "other"}))
    assert none.items == ()


def test_create_answers_201_and_stamps_the_object(web: ClusterState) -> None:
    state, response, changes = apiserver.handle(web, Request("create", body=_cm("c1")))
    assert response.code == 201 and response.obj is not None
    md = response.obj["metadata"]
    assert md["uid"] and md["resourceVersion"] == str(state.rv) and md["namespace"] == "default"
    assert [(c[0], c[1], c[3]) for c in changes] == [(("ConfigMap", "default", "c1"), None, False)]
    assert state.get("ConfigMap", "default", "c1") is response.obj


def test_create_namespace_must_match_the_request(web: ClusterState) -> None:
    obj = {**_cm("c2"), "metadata": {"name": "c2", "namespace": "kube-system"}}
    _rejected(web, Request("create", "ConfigMap", "default", body=obj), "BadRequest")


def test_update_keeps_status_and_bumps_generation(web: ClusterState) -> None:
    live = rm.get(web, "Deployment", "web")
    assert live is not None
    live["spec"]["minReadySeconds"] = 3
    live["status"] = {"replicas": 99}
    _state, response, _ = apiserver.handle(web, Request("update", body=live))
    assert response.ok and response.obj is not None
    assert response.obj["metadata"]["generation"] == 2, "a spec change did not bump generation"
    assert response.obj["status"] == web.get("Deployment", "default", "web")["status"], (
        "a main-resource update changed status, but the status strategy keeps it")


def test_update_with_a_stale_resource_version_is_a_conflict(web: ClusterState) -> None:
    live = rm.get(web, "Deployment", "web")
    assert live is not None
    live["metadata"]["resourceVersion"] = "1"
    _rejected(web, Request("update", body=live), "Conflict")
    _rejected(web, Request("delete", "Deployment", "default", "web", resource_version="1"), "Conflict")


def test_merge_patch(web: ClusterState) -> None:
    patch = {"metadata": {"labels": {"tier": "front"}}, "spec": {"paused": True}}
    state, response, _changes = apiserver.handle(web, Request("patch", "Deployment", "default", "web", body=patch))
    assert response.ok and response.obj is not None, response.rejection
    assert response.obj["metadata"]["labels"] == {"tier": "front"} and response.obj["spec"]["paused"] is True
    state, response, _ = apiserver.handle(state, Request("patch", "Deployment", "default", "web",
                                                         body={"spec": {"paused": None}}))
    assert response.obj is not None and "paused" not in response.obj["spec"], "a null in a merge patch did not remove"


def test_patch_is_validated_and_unsupported_types_are_refused(web: ClusterState) -> None:
    _rejected(web, Request("patch", "Deployment", "default", "web", body={"spec": {"replicas": -1}}),
              "Invalid", "spec.replicas")
    # server-side apply needs a field manager (upstream's PatchOptions validation); an unknown type is 415
    _rejected(web, Request("patch", "Deployment", "default", "web", body={"spec": {}}, patch_type="apply"),
              "Invalid", "fieldManager")
    _rejected(web, Request("patch", "Deployment", "default", "web", body={"spec": {}}, patch_type="yaml"),
              "UnsupportedMediaType")
    # a JSON patch whose test operation fails is refused (json-patch's "testing value ... failed")
    _rejected(web, Request("patch", "Deployment", "default", "web", patch_type="json",
                           body=[{"op": "test", "path": "/spec/replicas", "value": 7}]), "Invalid")


def test_json_and_strategic_patches(web: ClusterState) -> None:
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 3}, {"op": "add", "path": "/metadata/labels",
                                                                     "value": {"a": "b"}}]
    _, response, _ = apiserver.handle(web, Request("patch", "Deployment", "default", "web", body=ops,
                                                       patch_type="json"))
    assert response.obj is not None and response.obj["spec"]["replicas"] == 3, response.rejection
    assert response.obj["metadata"]["labels"] == {"a": "b"}
    # strategic: containers merge by name (a merge patch would replace the whole list)
    sidecar = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}}
    _state, response, _ = apiserver.handle(web, Request("patch", "Deployment", "default", "web", body=sidecar,
                                                       patch_type="strategic"))
    assert response.obj is not None, response.rejection
    names = [c["name"] for c in response.obj["spec"]["template"]["spec"]["containers"]]
    assert sorted(names) == ["c", "side"], f"containers {names}, but a strategic patch merges them by name"
    _, response, _ = apiserver.handle(web, Request("patch", "Deployment", "default", "web", body=sidecar,
                                                   patch_type="merge"))
    assert response.obj is not None
    assert [c["name"] for c in response.obj["spec"]["template"]["spec"]["containers"]] == ["side"]
    _rejected(web, Request("patch", "Deployment", "default", "web", body={"metadata": {"name": "other"}}),
              "BadRequest")


def test_delete_with_propagation_and_grace(web: ClusterState) -> None:
    state, response, _ = apiserver.handle(web, Request("delete", "Deployment", "default", "web",
                                                       propagation="Foreground"))
    d = response.obj
    assert d is not None and d["metadata"]["deletionTimestamp"] and "foregroundDeletion" in d["metadata"]["finalizers"]
    pod = next(web.iter_kind("Pod"))
    name = pod["metadata"]["name"]
    state, response, _ = apiserver.handle(web, Request("delete", "Pod", "default", name, grace_period_seconds=0))
    assert response.ok and state.get("Pod", "default", name) is None, "a zero-grace delete kept the pod"
    _rejected(web, Request("delete", "Pod", "default", name, grace_period_seconds=-1), "BadRequest")
    _rejected(web, Request("delete", "Pod", "default", name, propagation="Sideways"), "BadRequest")


def test_unknown_verbs_and_subresources(web: ClusterState) -> None:
    _rejected(web, Request("watch", "Pod", "default"), "MethodNotAllowed")
    _rejected(web, Request("update", "Deployment", "default", "web", subresource="exec"), "NotFound")
    _rejected(web, Request("create", "Pod", "default", "x", body=_cm("x"), subresource="status"), "MethodNotAllowed")


def test_dry_run_answers_but_commits_nothing(web: ClusterState) -> None:
    state, response, changes = apiserver.handle(web, Request("create", body=_cm("dry"), dry_run=True))
    assert response.ok and response.obj is not None and response.obj["metadata"]["name"] == "dry"
    assert state is web and changes == ()


# ---------------------------------------------------------------------------------------------
# subresources
# ---------------------------------------------------------------------------------------------
def test_status_subresource_writes_only_status(web: ClusterState) -> None:
    live = web.get("Deployment", "default", "web")
    body = with_(live, spec=with_(live["spec"], replicas=9), status=FrozenDict({"replicas": 7}))
    _state, response, changes = apiserver.handle(web, Request("update", body=body, subresource="status"))
    assert response.obj is not None and response.obj["status"] == {"replicas": 7}
    assert response.obj["spec"]["replicas"] == 2, "a status write changed spec"
    assert [c[3] for c in changes] == [True], "a status write was not marked status-only for the watches"


# TestScaleUpdate (pkg/registry/apps/deployment/storage/storage_test.go)
def test_scale_subresource(web: ClusterState) -> None:
    body = {"apiVersion": "autoscaling/v1", "kind": "Scale", "spec": {"replicas": 5}}
    state, response, _ = apiserver.handle(web, Request("update", "Deployment", "default", "web", body=body,
                                                       subresource="scale"))
    assert response.ok and response.obj is not None and response.obj["kind"] == "Scale"
    assert response.obj["spec"]["replicas"] == 5
    d = state.get("Deployment", "default", "web")
    assert d["spec"]["replicas"] == 5 and d["metadata"]["generation"] == 2


@pytest.mark.parametrize("replicas", [-1, 2**31, 2**70, "3", True, None])
def test_scale_replicas_must_be_a_non_negative_int32(web: ClusterState, replicas: Any) -> None:
    # ValidateScale; a value past int32 fails to decode upstream (before, Scale(2**70) was stored and hung)
    body = {"spec": {"replicas": replicas}}
    _rejected(web, Request("update", "Deployment", "default", "web", body=body, subresource="scale"),
              "Invalid", "spec.replicas")


def test_scale_of_a_kind_without_the_subresource(web: ClusterState) -> None:
    _rejected(web, Request("update", "ConfigMap", "default", "x", body={"spec": {"replicas": 1}},
                           subresource="scale"), "NotFound")


def test_binding_subresource() -> None:
    s = rm.new_cluster(1)
    s = rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p", "namespace": "default"},
               "target": {"kind": "Node", "name": "node-0"}}
    state, response, _ = apiserver.handle(s, Request("create", "Pod", "default", "p", body=binding,
                                                     subresource="binding"))
    pod = state.get("Pod", "default", "p")
    assert response.code == 201 and pod["spec"]["nodeName"] == "node-0"
    assert any(c["type"] == "PodScheduled" and c["status"] == "True" for c in pod["status"]["conditions"])
    _rejected(state, Request("create", "Pod", "default", "p", body=binding, subresource="binding"), "Conflict")
    _rejected(s, Request("create", "Pod", "default", "p", body={"target": {}}, subresource="binding"),
              "Invalid", "target.name")


# ---------------------------------------------------------------------------------------------
# Status-shaped failures
# ---------------------------------------------------------------------------------------------
def test_a_failure_is_a_status_with_causes(web: ClusterState) -> None:
    bad = _dep("bad", replicas=-2)
    response = _rejected(web, Request("create", body=bad), "Invalid", "spec.replicas")
    status = response.status()
    assert status["kind"] == "Status" and status["status"] == "Failure" and status["code"] == 422
    assert status["reason"] == "Invalid" and status["details"]["name"] == "bad"
    cause = next(c for c in status["details"]["causes"] if c["field"] == "spec.replicas")
    assert cause["reason"] == "FieldValueInvalid" and "greater than or equal to 0" in cause["message"], cause
    assert Response(200, None).status()["status"] == "Success"


def test_namespace_terminating_is_a_status_cause() -> None:
    s = rm.apply_manifest(rm.new_cluster(0), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}})
    s = door.delete(s, "Namespace", "", "gone").state
    obj = {**_cm("late"), "metadata": {"name": "late", "namespace": "gone"}}
    response = _rejected(s, Request("create", body=obj), "Forbidden", "metadata.namespace")
    assert response.rejection is not None and response.rejection.has_cause("NamespaceTerminating")
    assert status_of(response.rejection)["details"]["causes"][0]["reason"] == "NamespaceTerminating"


# ---------------------------------------------------------------------------------------------
# controllers: strict mode and composed names
# ---------------------------------------------------------------------------------------------
@contextmanager
def _rs_writes_bad_pods() -> Iterator[None]:
    """Seeded bug: the ReplicaSet controller stamps every pod it creates with an invalid label value."""
    from refmodel.controllers import replicaset

    original = replicaset.pod_from_template

    def bad(template: Any, owner: Any, namespace: str, name: str = "") -> FrozenDict:
        pod = original(template, owner, namespace, name)
        labels = FrozenDict({**(pod["metadata"].get("labels") or {}), "bad": "-not a label value-"})
        return with_(pod, metadata=with_(pod["metadata"], labels=labels))

    replicaset.pod_from_template = bad  # type: ignore[assignment]
    try:
        yield
    finally:
        replicaset.pod_from_template = original  # type: ignore[assignment]


@pytest.mark.parametrize("strict", [True, False])
def test_strict_mode_rejects_a_controllers_invalid_create(strict: bool) -> None:
    start = rm.apply_manifest(rm.new_cluster(1, config=ClusterConfig(strict=strict)), _dep(replicas=2))
    s = start
    with _rs_writes_bad_pods():
        # a failing ReplicaSet sync is retried every second, forever: look after a few hundred turns
        for n, (_, after) in enumerate(rm.converge_steps(start), start=1):
            s = after
            if n >= 300:
                break
    pods = list(s.iter_kind("Pod"))
    if strict:
        assert pods == [], f"{len(pods)} pod(s) with an invalid label were stored, but strict mode rejects them"
        rs = next(s.iter_kind("ReplicaSet"))
        failure = [c for c in rs["status"].get("conditions") or () if c["type"] == "ReplicaFailure"]
        assert failure and "metadata.labels" in failure[0]["message"], (
            f"conditions={rs['status'].get('conditions')}, but the rejected create should be reported")
    else:
        # without strict mode the controller is trusted: this is what strict mode exists to catch
        assert len(pods) == 2


def test_tests_run_in_strict_mode() -> None:
    assert rm.new_cluster(0).config.strict, "tests/conftest.py should turn strict mode on for every test cluster"


# TestGetNewReplicaSet-like: a create the API rejects is recorded, not stored (sync.go getNewReplicaSet)
@pytest.mark.parametrize("strict", [True, False])
def test_a_deployment_whose_replica_set_name_is_too_long(strict: bool) -> None:
    name = "d" * 253  # a valid Deployment name; "<name>-<hash>" is not a valid ReplicaSet name
    s = rm.new_cluster(1, config=ClusterConfig(strict=strict))
    s = rm.converge(rm.apply_manifest(s, _dep(name)))
    assert list(s.iter_kind("ReplicaSet")) == [], "a ReplicaSet with a name longer than 253 characters was stored"
    d = s.get("Deployment", "default", name)
    progressing = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ReplicaSetCreateError"), progressing
    assert "metadata.name" in progressing["message"] and "Failed to create new replica set" in progressing["message"]


def test_a_controller_batch_equals_its_requests_one_by_one(web: ClusterState) -> None:
    pods = sorted(web.iter_kind("Pod"), key=lambda p: p["metadata"]["name"])
    bodies = [with_(p, metadata=with_(p["metadata"], annotations=FrozenDict({"n": str(i)})))
              for i, p in enumerate(pods)]
    one_by_one = web
    for b in bodies:
        one_by_one = door.update(one_by_one, b, controller="test").state
    batched = door.send(web, Request("update", controller="test", items=tuple(bodies)))
    assert batched.ok and len(batched.changes) == len(bodies)
    for p in pods:
        ref = ("Pod", "default", p["metadata"]["name"])
        assert batched.state.get(*ref) == one_by_one.get(*ref)
    assert (batched.state.rv, set(batched.state.dirty)) == (one_by_one.rv, set(one_by_one.dirty))


def test_a_controller_update_keeps_server_owned_metadata_and_status(web: ClusterState) -> None:
    rs = next(web.iter_kind("ReplicaSet"))
    forged = with_(rs, metadata=with_(rs["metadata"], uid="forged", generation=42),
                   status=FrozenDict({"replicas": 1000}))
    _state, response, _ = apiserver.handle(web, Request("update", body=forged, controller="test"))
    obj = response.obj
    assert obj is not None and obj["metadata"]["uid"] == rs["metadata"]["uid"]
    assert obj["metadata"]["generation"] == rs["metadata"]["generation"] and obj["status"] == rs["status"]


def test_strict_mode_is_part_of_the_config() -> None:
    assert attrs.fields(ClusterConfig).strict.default is not None
    assert not ClusterConfig(strict=False).strict
