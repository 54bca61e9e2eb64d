"""kubectl's client side (refmodel/kubectl.py): user verbs turned into requests.

Mirrors ``staging/src/k8s.io/kubectl/pkg/cmd/apply`` (client-side apply: last-applied annotation,
three-way merge, retainKeys), ``pkg/cmd/scale``, ``pkg/polymorphichelpers/rollback.go``
(DeploymentRollbacker.Rollback, deploymentRevision), ``objectpauser.go`` / ``objectresumer.go`` and
``pkg/drain/cordon.go``. Each verb returns ``(state, Response, changes)``; ``changes`` are exactly the
writes the verb's requests committed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import refmodel as rm
from refmodel import kubectl
from refmodel.controllers import notify
from refmodel.state import ClusterState


def _dep(image: str = "nginx:1.27", replicas: int = 2, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}, **spec,
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}


def _apply(state: ClusterState, obj: dict[str, Any]) -> ClusterState:
    """Apply and settle: the committed writes go to the watches (as core.step does), then converge."""
    state, response, changes = kubectl.apply(state, obj)
    assert response.ok, response.rejection
    return rm.converge(notify(state, changes))


@pytest.fixture(scope="module")
def rolled() -> ClusterState:
    """web at revision 1 (nginx:1.27), then revision 2 (nginx:1.28)."""
    s = _apply(rm.new_cluster(2), _dep("nginx:1.27"))
    return _apply(s, _dep("nginx:1.28"))


def _image(state: ClusterState) -> str:
    return str(state.get("Deployment", "default", "web")["spec"]["template"]["spec"]["containers"][0]["image"])


# ---------------------------------------------------------------------------------------------
# apply
# ---------------------------------------------------------------------------------------------
def test_apply_creates_with_the_last_applied_annotation() -> None:
    _state, response, changes = kubectl.apply(rm.new_cluster(0), _dep())
    assert response.code == 201 and len(changes) == 1
    last = json.loads(response.obj["metadata"]["annotations"][kubectl.LAST_APPLIED])
    assert last == _dep(), "the annotation should hold the applied manifest"


def test_apply_three_way_merge_keeps_fields_others_set(rolled: ClusterState) -> None:
    s, _, _ = kubectl.scale(rolled, "Deployment", "default", "web", 5)  # set by someone else
    s = _apply(s, {**_dep("nginx:1.28", replicas=2), "metadata": {"name": "web", "labels": {"team": "a"}}})
    d = s.get("Deployment", "default", "web")
    assert d["metadata"]["labels"] == {"team": "a"}
    assert d["spec"]["replicas"] == 2, "replicas is in both manifests, so the applied value wins"
    manifest = _dep("nginx:1.28")
    del manifest["spec"]["replicas"]
    s = _apply(s, manifest)
    d = s.get("Deployment", "default", "web")
    assert d["spec"]["replicas"] == 1, "replicas the last apply set and this one drops is removed (then defaulted)"
    assert "labels" not in d["metadata"], "labels the last apply set and this one drops should be removed"
    s, _, _ = kubectl.scale(s, "Deployment", "default", "web", 4)
    s = _apply(s, manifest)
    assert s.get("Deployment", "default", "web")["spec"]["replicas"] == 4, (
        "replicas set by kubectl scale, in neither manifest, should be kept")


def test_apply_clears_retain_keys_fields() -> None:
    s = _apply(rm.new_cluster(0), _dep())
    assert "rollingUpdate" in s.get("Deployment", "default", "web")["spec"]["strategy"]
    s = _apply(s, _dep(strategy={"type": "Recreate"}))
    strategy = s.get("Deployment", "default", "web")["spec"]["strategy"]
    assert strategy == {"type": "Recreate"}, f"strategy={strategy}, but retainKeys drops the defaulted rollingUpdate"


def test_reapplying_the_last_applied_manifest_sends_nothing(rolled: ClusterState) -> None:
    # apply/patcher.go patchSimple: an empty three-way patch is not sent ("unchanged")
    manifest = json.loads(rolled.get("Deployment", "default", "web")["metadata"]["annotations"][kubectl.LAST_APPLIED])
    live = rolled.get("Deployment", "default", "web")
    state, response, changes = kubectl.apply(rolled, manifest)
    assert response.ok and response.obj is live, "an unchanged apply should answer the object as stored"
    assert state is rolled and changes == (), f"an unchanged apply wrote {len(changes)} object(s)"
    scaled, _, _ = kubectl.scale(rolled, "Deployment", "default", "web", 5)  # the same manifest, a changed object
    state, response, changes = kubectl.apply(scaled, manifest)
    assert response.ok and len(changes) == 1, "a re-apply over a field someone else changed should write"
    assert response.obj["spec"]["replicas"] == manifest["spec"]["replicas"]
    bare = {k: v for k, v in manifest.items()}
    bare["metadata"] = {"name": "bare"}
    created, _, _ = rm.apiserver.handle(rolled, rm.Request("create", "Deployment", "default", body=bare))
    state, response, changes = kubectl.apply(created, bare)
    assert response.ok and len(changes) == 1, "an object without the last-applied annotation should get it"
    assert kubectl.LAST_APPLIED in response.obj["metadata"]["annotations"]


def test_a_reapply_that_writes_keeps_the_stored_status_as_it_is(rolled: ClusterState) -> None:
    """An update (here apply's) takes status from the stored object: the new object holds the stored status itself,
    not a copy (fails when the status is thawed and frozen again on every update, or taken from the request)."""
    live = rolled.get("Deployment", "default", "web")
    assert live["status"], "the fixture's Deployment should have a status"
    manifest = _dep("nginx:1.28", replicas=3)
    manifest["status"] = {"replicas": 99}  # a status in the request body is not stored
    state, response, changes = kubectl.apply(rolled, manifest)
    assert response.ok and len(changes) == 1, (response.rejection, "one write")
    new = state.get("Deployment", "default", "web")
    assert new["spec"]["replicas"] == 3 and new["metadata"]["generation"] == live["metadata"]["generation"] + 1
    assert new["status"] is live["status"], (new["status"], "the stored status itself", "after a re-apply")


def test_apply_of_an_invalid_manifest_changes_nothing(rolled: ClusterState) -> None:
    state, response, changes = kubectl.apply(rolled, _dep(replicas=-1))
    assert response.rejection is not None and response.rejection.field == "spec.replicas"
    assert state is rolled and changes == ()


# ---------------------------------------------------------------------------------------------
# scale, cordon
# ---------------------------------------------------------------------------------------------
def test_scale_is_an_update_of_the_scale_subresource(rolled: ClusterState) -> None:
    state, response, changes = kubectl.scale(rolled, "Deployment", "", "web", 7)
    assert response.obj is not None and response.obj["kind"] == "Scale" and response.obj["spec"]["replicas"] == 7
    assert [c[0] for c in changes] == [("Deployment", "default", "web")]
    state, response, _ = kubectl.scale(rolled, "Deployment", "default", "web", 2**70)
    assert response.rejection is not None and response.rejection.field == "spec.replicas" and state is rolled


def test_cordon_and_uncordon() -> None:
    s = rm.new_cluster(1)
    s, response, changes = kubectl.cordon(s, "node-0")
    assert response.ok and s.get("Node", "", "node-0")["spec"]["unschedulable"] is True and len(changes) == 1
    again, response, changes = kubectl.cordon(s, "node-0")
    assert response.notice == "already cordoned" and changes == () and again is s
    s, response, _ = kubectl.cordon(s, "node-0", False)
    assert "unschedulable" not in s.get("Node", "", "node-0")["spec"]
    _, response, _ = kubectl.cordon(s, "node-9")
    assert response.rejection is not None and response.rejection.reason == "NotFound"


# ---------------------------------------------------------------------------------------------
# rollout undo / pause / resume (rollback.go)
# ---------------------------------------------------------------------------------------------
def test_undo_goes_to_the_previous_revision(rolled: ClusterState) -> None:
    state, response, changes = kubectl.rollout_undo(rolled, "default", "web")
    assert response.ok and response.notice == "rolled back" and len(changes) == 1
    assert _image(state) == "nginx:1.27"


def test_undo_to_a_revision(rolled: ClusterState) -> None:
    state, response, _ = kubectl.rollout_undo(rolled, "default", "web", 1)
    assert _image(state) == "nginx:1.27"
    state, response, changes = kubectl.rollout_undo(rolled, "default", "web", 2)
    assert response.notice.startswith("skipped rollback") and changes == () and state is rolled
    for rev in (3, -1):
        _, response, _ = kubectl.rollout_undo(rolled, "default", "web", rev)
        assert response.rejection is not None and "unable to find specified revision" in response.rejection.message


def test_deployment_revision_picks_the_second_newest_for_zero(rolled: ClusterState) -> None:
    rss = list(rolled.iter_kind("ReplicaSet"))
    prev = kubectl.deployment_revision(rss, 0)
    assert prev is not None and prev["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert kubectl.deployment_revision(rss[:1], 0) is None


def test_pause_resume_and_undo_of_a_paused_deployment(rolled: ClusterState) -> None:
    s, response, _ = kubectl.rollout_pause(rolled, "default", "web", True)
    assert response.ok and s.get("Deployment", "default", "web")["spec"]["paused"] is True
    _, response, _ = kubectl.rollout_pause(s, "default", "web", True)
    assert response.rejection is not None and "is already paused" in response.rejection.message
    _, response, _ = kubectl.rollout_undo(s, "default", "web")
    assert response.rejection is not None and "cannot rollback a paused deployment" in response.rejection.message
    s, response, _ = kubectl.rollout_pause(s, "default", "web", False)
    assert response.ok and "paused" not in s.get("Deployment", "default", "web")["spec"]
    _, response, _ = kubectl.rollout_pause(s, "default", "web", False)
    assert response.rejection is not None and "is not paused" in response.rejection.message
    _, response, _ = kubectl.rollout_pause(s, "default", "nope", True)
    assert response.rejection is not None and response.rejection.reason == "NotFound"
