"""The StatefulSet controller (refmodel/controllers/statefulset.py), its history (controllers/history.py) and
``kubectl rollout undo statefulset``.

Mirrors ``pkg/controller/statefulset/stateful_set_utils_test.go`` (TestGetParentNameAndOrdinal,
TestIdentityMatches, TestStorageMatches, TestUpdateIdentity, TestUpdateStorage, TestIsRunningAndReady,
TestGetPersistentVolumeClaims, TestCreateApplyRevision, TestClaimOwnerUpToDate,
TestUpdateClaimOwnerRefForSetAndPod), ``stateful_set_control_test.go`` (TestStatefulSetControl's
CreatesPods, ScalesUp, ScalesDown, ReplacesPods, RecreatesFailedPod, RecreatesSucceededPod, CreatePodFailure;
TestStatefulSetControlRollingUpdate, TestStatefulSetControlRollingUpdateWithPartition,
TestStatefulSetControlOnDeleteUpdate, TestStatefulSetControlRollback, TestStatefulSetControlLimitsHistory,
TestStatefulSetAvailability, TestStatefulSetControlWithStartOrdinal, TestParallelScale,
TestStatefulSetControlMaxUnavailable) and the conformance tests of ``test/e2e/apps/statefulset.go`` named
below; ``staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback_test.go`` (TestStatefulSetRollback).
Rules SS-2..SS-13, SS-15 and SS-16.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

import refmodel as rm
from refmodel import kubectl
from refmodel.controllers import statefulset as ssc
from refmodel.controllers.history import hash_controller_revision
from refmodel.core import converge_steps
from refmodel.events import (
    Apply,
    Delete,
    NodeFailed,
    PodKilled,
    ReadinessChanged,
    RolloutUndo,
    Scale,
)
from refmodel.frozen import freeze
from refmodel.state import ClusterConfig

NS = "default"


def sts(name: str = "web", replicas: int = 3, policy: str = "OrderedReady", claims: bool = True,
        image: str = "nginx:1.27", **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas, "serviceName": name, "podManagementPolicy": policy,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "app", "image": image}]}},
    }
    if claims:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
    spec.update(extra)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": NS}, "spec": spec}


def cluster(*objs: dict[str, Any], config: ClusterConfig | None = None) -> rm.ClusterState:
    state = rm.new_cluster(nodes=3) if config is None else rm.new_cluster(nodes=3).replace(config=config)
    for o in objs:
        state = rm.apply_manifest(state, o)
    return rm.converge(state)


def pods(state: rm.ClusterState, name: str = "web") -> list[str]:
    return sorted((p["metadata"]["name"] for p in rm.list_objects(state, "Pod", namespace=NS)
                   if p["metadata"]["name"].startswith(name + "-")), key=lambda n: int(n.rsplit("-", 1)[1]))


def claims(state: rm.ClusterState) -> dict[str, str]:
    return {c["metadata"]["name"]: c["metadata"]["uid"] for c in rm.list_objects(state, "PersistentVolumeClaim")}


def status(state: rm.ClusterState, name: str = "web") -> dict[str, Any]:
    obj = rm.get(state, "StatefulSet", name, NS)
    assert obj is not None
    return dict(obj.get("status") or {})


def step(state: rm.ClusterState, *events: Any) -> rm.ClusterState:
    for e in events:
        result = rm.core.transition(state, e)
        assert result.rejection is None, f"{e}: rejected: {result.rejection}"
        state = result.state
    return state


def pod_events(state: rm.ClusterState) -> Iterator[tuple[str, str, rm.ClusterState]]:
    """``("created"|"deleting"|"gone", pod, state)`` for every pod change during a converge, in order."""
    seen = {p["metadata"]["name"]: bool(p["metadata"].get("deletionTimestamp")) for p in rm.list_objects(state, "Pod")}
    for _, after in converge_steps(state):
        now = {p["metadata"]["name"]: bool(p["metadata"].get("deletionTimestamp"))
               for p in rm.list_objects(after, "Pod")}
        for name in sorted(set(seen) | set(now)):
            if name not in seen:
                yield "created", name, after
            elif name not in now:
                yield "gone", name, after
            elif now[name] and not seen[name]:
                yield "deleting", name, after
        seen = now


def converge_recording(state: rm.ClusterState) -> tuple[rm.ClusterState, list[tuple[str, str]]]:
    out = []
    final = state
    for what, name, after in pod_events(state):
        out.append((what, name))
        final = after
    return rm.converge(final), out


# ---------------------------------------------------------------------------------------------
# stateful_set_utils_test.go
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "want"), [
    ("web-0", ("web", 0)), ("web-10", ("web", 10)), ("my-web-3", ("my-web", 3)), ("web", ("", -1)),
    ("web-", ("", -1)), ("web-x", ("", -1)), ("web-99999999999", ("web", -1)),
])
def test_get_parent_name_and_ordinal(name: str, want: tuple[str, int]) -> None:
    # TestGetParentNameAndOrdinal
    assert ssc.get_parent_name_and_ordinal(name) == want


def _stored_set(**extra: Any) -> Any:
    state = cluster(sts(replicas=1, **extra))
    return state, state.get("StatefulSet", NS, "web"), state.get("Pod", NS, "web-0")


def test_identity_matches_and_update_identity() -> None:
    # TestIdentityMatches, TestUpdateIdentity
    state, s, pod = _stored_set()
    assert ssc.identity_matches(s, pod)
    assert pod["spec"]["hostname"] == "web-0" and pod["spec"]["subdomain"] == "web"
    stripped = freeze({**pod, "metadata": {**pod["metadata"], "labels": {"app": "web"}}})
    assert not ssc.identity_matches(s, stripped)
    # a user who strips the identity labels gets them back at the next sync
    state = rm.converge(step(state, Apply({**rm.get(state, "Pod", "web-0", NS), "metadata": {
        **rm.get(state, "Pod", "web-0", NS)["metadata"], "labels": {"app": "web"}}})))
    labels = rm.get(state, "Pod", "web-0", NS)["metadata"]["labels"]
    assert labels[ssc.POD_NAME_LABEL] == "web-0" and labels[ssc.POD_INDEX_LABEL] == "0", labels


def test_storage_matches_and_get_persistent_volume_claims() -> None:
    # TestStorageMatches, TestUpdateStorage, TestGetPersistentVolumeClaims
    _, s, pod = _stored_set()
    assert ssc.storage_matches(s, pod)
    assert [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"]] == ["data-web-0"]
    other = freeze({**pod, "spec": {**pod["spec"], "volumes": [{"name": "data", "emptyDir": {}}]}})
    assert not ssc.storage_matches(s, other)
    claim = ssc.get_persistent_volume_claims(s, 7)[0]
    assert claim["metadata"]["name"] == "data-web-7" and claim["metadata"]["labels"] == {"app": "web"}
    assert "ownerReferences" not in claim["metadata"]


def test_is_running_and_ready() -> None:
    # TestIsRunningAndReady
    _, _, pod = _stored_set()
    assert ssc.is_running_and_ready(pod) and ssc.is_healthy(pod)
    assert not ssc.is_running_and_ready(freeze({**pod, "status": {**pod["status"], "phase": "Pending"}}))
    unready = freeze({**pod, "status": {**pod["status"], "conditions": [{"type": "Ready", "status": "False"}]}})
    assert not ssc.is_running_and_ready(unready)
    assert not ssc.is_healthy(freeze({**pod, "metadata": {**pod["metadata"], "deletionTimestamp": "x"}}))


def test_create_apply_revision() -> None:
    # TestCreateApplyRevision: a revision's data applied to a changed set gives back the old template
    _, s, _ = _stored_set()
    rev = ssc.new_revision(s, 1, 0)
    assert rev["data"]["spec"]["template"]["$patch"] == "replace"
    changed = freeze({**s, "spec": {**s["spec"], "template": {**s["spec"]["template"], "spec": {
        "containers": [{"name": "app", "image": "nginx:2"}]}}}})
    restored = ssc.apply_revision(changed, rev)
    assert restored["spec"]["template"] == s["spec"]["template"]
    assert rev["metadata"]["name"] == f"web-{hash_controller_revision(rev['data'], 0)}"
    assert ssc.new_revision(s, 1, 1)["metadata"]["name"] != rev["metadata"]["name"]  # the collision count


_POLICIES = [("Retain", "Retain"), ("Retain", "Delete"), ("Delete", "Retain"), ("Delete", "Delete")]


@pytest.mark.parametrize(("scaled", "deleted"), _POLICIES)
@pytest.mark.parametrize("scaled_down", [False, True])
def test_update_claim_owner_ref_for_set_and_pod(scaled: str, deleted: str, scaled_down: bool) -> None:
    # TestUpdateClaimOwnerRefForSetAndPod and TestClaimOwnerUpToDate: the refs each policy asks for, and
    # a claim updated by the one is up to date for the other
    policy = {"whenScaled": scaled, "whenDeleted": deleted}
    state, s, pod = _stored_set(persistentVolumeClaimRetentionPolicy=policy)
    if scaled_down:
        s = freeze({**s, "spec": {**s["spec"], "replicas": 0}})
    claim = state.get("PersistentVolumeClaim", NS, "data-web-0")
    bare = freeze({**claim, "metadata": {k: v for k, v in claim["metadata"].items() if k != "ownerReferences"}})
    fixed = ssc.update_claim_owner_ref_for_set_and_pod(bare, s, pod)
    kinds = sorted(r["kind"] for r in fixed["metadata"].get("ownerReferences") or ())
    want = {("Retain", "Retain"): [], ("Retain", "Delete"): ["StatefulSet"],
            ("Delete", "Retain"): ["Pod"] if scaled_down else [],
            ("Delete", "Delete"): ["Pod"] if scaled_down else ["StatefulSet"]}[(scaled, deleted)]
    assert kinds == want
    assert ssc.is_claim_owner_up_to_date(fixed, s, pod)
    assert ssc.is_claim_owner_up_to_date(bare, s, pod) == (want == [])


def test_claim_with_unexpected_controller_is_left_alone() -> None:
    # TestClaimOwnerUpToDate ("unexpected controller"): a claim another controller owns is not touched
    state, s, pod = _stored_set(persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete", "whenDeleted": "Delete"})
    claim = state.get("PersistentVolumeClaim", NS, "data-web-0")
    foreign = {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "u-1", "controller": True}
    other = freeze({**claim, "metadata": {**claim["metadata"], "ownerReferences": [foreign]}})
    assert ssc.is_claim_owner_up_to_date(other, s, pod)
    assert ssc.update_claim_owner_ref_for_set_and_pod(other, s, pod)["metadata"]["ownerReferences"] == (foreign,)


# ---------------------------------------------------------------------------------------------
# stateful_set_control_test.go
# ---------------------------------------------------------------------------------------------
def test_creates_pods() -> None:
    # TestStatefulSetControl/CreatesPods
    state = cluster(sts(replicas=3))
    assert pods(state) == ["web-0", "web-1", "web-2"]
    st = status(state)
    assert (st["replicas"], st["readyReplicas"], st["currentReplicas"], st["updatedReplicas"],
            st["availableReplicas"], st["observedGeneration"]) == (3, 3, 3, 3, 3, 1)
    assert st["currentRevision"] == st["updateRevision"]
    for name in pods(state):
        pod = rm.get(state, "Pod", name, NS)
        assert pod["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
        assert pod["metadata"]["labels"][ssc.REVISION_LABEL] == st["currentRevision"]


def test_scales_up_and_down_in_order() -> None:
    # TestStatefulSetControl/ScalesUp and ScalesDown: ascending creation, descending deletion, one at a time
    state = cluster(sts(replicas=1))
    state, events = converge_recording(step(state, Scale("StatefulSet", NS, "web", 4)))
    assert [n for w, n in events if w == "created"] == ["web-1", "web-2", "web-3"]
    state, events = converge_recording(step(state, Scale("StatefulSet", NS, "web", 1)))
    assert [n for w, n in events if w == "deleting"] == ["web-3", "web-2", "web-1"]
    order = [(w, n) for w, n in events if w in ("deleting", "gone")]
    assert order == [("deleting", "web-3"), ("gone", "web-3"), ("deleting", "web-2"), ("gone", "web-2"),
                     ("deleting", "web-1"), ("gone", "web-1")], order
    assert pods(state) == ["web-0"] and status(state)["replicas"] == 1


def test_replaces_pods() -> None:
    # TestStatefulSetControl/ReplacesPods: a deleted pod comes back with the same name and claim
    state = cluster(sts(replicas=3))
    before = claims(state)
    old_uid = rm.get(state, "Pod", "web-1", NS)["metadata"]["uid"]
    state = rm.converge(step(state, PodKilled(NS, "web-1")))
    assert pods(state) == ["web-0", "web-1", "web-2"]
    assert rm.get(state, "Pod", "web-1", NS)["metadata"]["uid"] != old_uid
    assert claims(state) == before


@pytest.mark.parametrize("phase", ["Failed", "Succeeded"])
def test_recreates_terminated_pod(phase: str) -> None:
    # TestStatefulSetControl/RecreatesFailedPod and RecreatesSucceededPod: deleted, then re-created once gone
    state = cluster(sts(replicas=2))
    pod = state.get("Pod", NS, "web-0")
    state, _ = rm.core.controllers.update_status(state, "kubelet", freeze(
        {**pod, "status": {**pod["status"], "phase": phase}}))
    state = rm.converge(state, controllers=("statefulset",))
    got = rm.get(state, "Pod", "web-0", NS)
    assert got["metadata"]["uid"] != pod["metadata"]["uid"], "the terminated pod is deleted and re-created"
    assert got["status"]["phase"] == "Pending"
    state = rm.converge(state)
    assert rm.get(state, "Pod", "web-0", NS)["status"]["phase"] == "Running"
    assert rm.get(state, "Pod", "web-0", NS)["metadata"]["uid"] != pod["metadata"]["uid"]


def test_create_pod_failure_is_failed_create_not_a_crash() -> None:
    # TestStatefulSetControl/CreatePodFailure: v1.32 does not validate the template's PodSpec on the set,
    # so the set is accepted and its pod creates fail; nothing is created, the sync retries with back-off
    bad = sts(replicas=2)
    bad["spec"]["template"]["spec"]["containers"][0]["name"] = "Not_A_Label"
    state = cluster(bad)
    assert pods(state) == []
    assert status(state)["replicas"] == 0
    assert rm.get(state, "PersistentVolumeClaim", "data-web-0", NS) is not None  # the claim came first


def test_with_start_ordinal() -> None:
    # TestStatefulSetControlWithStartOrdinal
    state = cluster(sts(replicas=3, ordinals={"start": 2}))
    assert pods(state) == ["web-2", "web-3", "web-4"]
    state = rm.converge(step(state, Apply(sts(replicas=3, ordinals={"start": 0}))))
    assert pods(state) == ["web-0", "web-1", "web-2"]


def test_parallel_scale() -> None:
    # TestParallelScale: every pod is created in the first sync
    state = rm.apply_manifest(rm.new_cluster(nodes=3), sts(replicas=4, policy="Parallel"))
    state = rm.converge(state, controllers=("statefulset",))
    assert pods(state) == ["web-0", "web-1", "web-2", "web-3"]


def _image(state: rm.ClusterState, pod: str) -> str:
    return str(rm.get(state, "Pod", pod, NS)["spec"]["containers"][0]["image"])


def test_rolling_update_highest_ordinal_first() -> None:
    # TestStatefulSetControlRollingUpdate: one pod at a time from the highest ordinal, in both policies
    for policy in ("OrderedReady", "Parallel"):
        state = cluster(sts(replicas=3, policy=policy))
        old_rev = status(state)["currentRevision"]
        state, events = converge_recording(step(state, Apply(sts(replicas=3, policy=policy, image="nginx:2"))))
        assert [n for w, n in events if w == "deleting"] == ["web-2", "web-1", "web-0"], (policy, events)
        assert all(_image(state, p) == "nginx:2" for p in pods(state))
        st = status(state)
        assert st["currentRevision"] == st["updateRevision"] != old_rev
        assert st["currentReplicas"] == st["updatedReplicas"] == 3
        assert len(rm.list_objects(state, "ControllerRevision")) == 2


def test_rolling_update_with_partition() -> None:
    # TestStatefulSetControlRollingUpdateWithPartition
    upd = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    state = cluster(sts(replicas=4, updateStrategy=upd))
    state = rm.converge(step(state, Apply(sts(replicas=4, image="nginx:2", updateStrategy=upd))))
    assert [_image(state, p) for p in pods(state)] == ["nginx:1.27", "nginx:1.27", "nginx:2", "nginx:2"]
    st = status(state)
    assert st["currentRevision"] != st["updateRevision"]
    assert (st["currentReplicas"], st["updatedReplicas"]) == (2, 2)


def test_on_delete_update() -> None:
    # TestStatefulSetControlOnDeleteUpdate: nothing replaced until deleted; re-created at the update revision
    upd = {"type": "OnDelete"}
    state = cluster(sts(replicas=3, updateStrategy=upd))
    state = rm.converge(step(state, Apply(sts(replicas=3, image="nginx:2", updateStrategy=upd))))
    assert [_image(state, p) for p in pods(state)] == ["nginx:1.27"] * 3
    state = rm.converge(step(state, PodKilled(NS, "web-0")))
    assert [_image(state, p) for p in pods(state)] == ["nginx:2", "nginx:1.27", "nginx:1.27"]


def test_rollback_renumbers_the_equal_revision() -> None:
    # TestStatefulSetControlRollback: going back to an earlier template creates no revision
    state = cluster(sts(replicas=2))
    state = rm.converge(step(state, Apply(sts(replicas=2, image="nginx:2"))))
    state = rm.converge(step(state, Apply(sts(replicas=2))))
    revs = sorted((r["revision"], r["metadata"]["name"]) for r in rm.list_objects(state, "ControllerRevision"))
    assert len(revs) == 2 and revs[-1][0] == 3, revs
    st = status(state)
    assert st["updateRevision"] == st["currentRevision"] == revs[-1][1]
    assert all(_image(state, p) == "nginx:1.27" for p in pods(state))


def test_limits_history() -> None:
    # TestStatefulSetControlLimitsHistory: non-live revisions beyond revisionHistoryLimit are deleted
    state = cluster(sts(replicas=1, revisionHistoryLimit=2))
    for i in range(5):
        state = rm.converge(step(state, Apply(sts(replicas=1, image=f"nginx:{i + 2}", revisionHistoryLimit=2))))
    revs = rm.list_objects(state, "ControllerRevision")
    assert len(revs) == 3, [(r["revision"], r["metadata"]["name"]) for r in revs]  # 2 history + the live one
    assert max(r["revision"] for r in revs) == 6


def test_availability_min_ready_seconds() -> None:
    # TestStatefulSetAvailability: availableReplicas counts pods ready for more than minReadySeconds, and
    # OrderedReady waits for availability before the next ordinal
    state = rm.apply_manifest(rm.new_cluster(nodes=3), sts(replicas=2, minReadySeconds=30))
    created_at = {}
    for what, name, after in pod_events(state):
        if what == "created":
            created_at[name] = after.now
        state = after
    state = rm.converge(state)
    assert created_at["web-1"] - created_at["web-0"] > 30, created_at
    st = status(state)
    assert st["availableReplicas"] == st["readyReplicas"] == 2


def test_max_unavailable_behind_its_gate() -> None:
    # TestStatefulSetControlMaxUnavailable (gate on): two pods replaced at a time; off: one
    for gate, want in ((False, 1), (True, 2)):
        upd = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 2}}
        state = cluster(sts(replicas=4, updateStrategy=upd, claims=False),
                        config=ClusterConfig(max_unavailable_statefulset=gate, strict=True))
        state = step(state, Apply(sts(replicas=4, image="nginx:2", updateStrategy=upd, claims=False)))
        most = 0
        for _, after in converge_steps(state):
            deleting = sum(1 for p in rm.list_objects(after, "Pod") if p["metadata"].get("deletionTimestamp")
                           or p["status"].get("phase") != "Running" or not ssc.is_running_and_ready(p))
            most = max(most, deleting + 4 - len(rm.list_objects(after, "Pod")))
            state = after
        assert most == want, (gate, most)
        assert all(_image(state, p) == "nginx:2" for p in pods(state))


# ---------------------------------------------------------------------------------------------
# claims: kept, re-used, and the retention policy
# ---------------------------------------------------------------------------------------------
def test_scale_5_to_2_to_5_keeps_the_same_five_claims() -> None:
    state = cluster(sts(replicas=5))
    five = claims(state)
    assert sorted(five) == [f"data-web-{i}" for i in range(5)]
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 2)))
    assert pods(state) == ["web-0", "web-1"] and claims(state) == five
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 5)))
    assert pods(state) == [f"web-{i}" for i in range(5)] and claims(state) == five
    for i in range(5):
        vol = rm.get(state, "Pod", f"web-{i}", NS)["spec"]["volumes"][0]
        assert vol["persistentVolumeClaim"]["claimName"] == f"data-web-{i}"


@pytest.mark.parametrize(("scaled", "deleted"), _POLICIES)
def test_retention_policy(scaled: str, deleted: str) -> None:
    policy = {"whenScaled": scaled, "whenDeleted": deleted}
    state = cluster(sts(replicas=3, persistentVolumeClaimRetentionPolicy=policy))
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 1)))
    left = sorted(claims(state))
    assert left == (["data-web-0"] if scaled == "Delete" else ["data-web-0", "data-web-1", "data-web-2"])
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 3)))  # scaled-down claims come back fresh
    assert sorted(claims(state)) == ["data-web-0", "data-web-1", "data-web-2"]
    state = rm.converge(step(state, Delete("StatefulSet", NS, "web")))
    assert pods(state) == []
    assert sorted(claims(state)) == ([] if deleted == "Delete" else ["data-web-0", "data-web-1", "data-web-2"])


@pytest.mark.parametrize("propagation", ["Background", "Foreground", "Orphan"])
def test_delete_with_each_propagation(propagation: str) -> None:
    state = cluster(sts(replicas=2))
    state = rm.converge(step(state, Delete("StatefulSet", NS, "web", propagation)))
    assert rm.get(state, "StatefulSet", "web", NS) is None
    assert pods(state) == ([] if propagation != "Orphan" else ["web-0", "web-1"])
    assert sorted(claims(state)) == ["data-web-0", "data-web-1"]  # Retain: never deleted
    if propagation == "Orphan":  # a new set of the same name adopts the pods and the revision
        state = rm.converge(step(state, Apply(sts(replicas=2))))
        assert all(rm.get(state, "Pod", p, NS)["metadata"]["ownerReferences"] for p in pods(state))
        assert len(rm.list_objects(state, "ControllerRevision")) == 1


# ---------------------------------------------------------------------------------------------
# conformance (test/e2e/apps/statefulset.go)
# ---------------------------------------------------------------------------------------------
def test_scaling_should_happen_in_predictable_order_and_halt_if_any_stateful_pod_is_unhealthy() -> None:
    # [sig-apps] StatefulSet Basic StatefulSet functionality Scaling should happen in predictable order
    # and halt if any stateful pod is unhealthy [Slow] [Conformance]
    state = cluster(sts(replicas=1))
    state = rm.converge(step(state, ReadinessChanged(NS, "web-0", False)))
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 3)))
    assert pods(state) == ["web-0"], "scale-up halts while web-0 is unhealthy"
    state, events = converge_recording(step(state, ReadinessChanged(NS, "web-0", True)))
    assert [n for w, n in events if w == "created"] == ["web-1", "web-2"]
    # the e2e test breaks every pod's probe: a condemned pod that is unhealthy blocks unless it is the
    # first unhealthy pod (web-0, which goes last), so nothing is deleted
    state = rm.converge(step(state, *(ReadinessChanged(NS, f"web-{i}", False) for i in range(3))))
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 0)))
    assert pods(state) == ["web-0", "web-1", "web-2"], "scale-down halts while the pods are unhealthy"
    state, events = converge_recording(step(state, *(ReadinessChanged(NS, f"web-{i}", True) for i in range(3))))
    assert [n for w, n in events if w == "deleting"] == ["web-2", "web-1", "web-0"]


def test_scale_down_deletes_the_first_unhealthy_pod_last() -> None:
    # processCondemned: only web-0 unhealthy: the healthy higher ordinals go first, then web-0 (the first
    # unhealthy pod may be deleted), one at a time
    state = cluster(sts(replicas=3))
    state = rm.converge(step(state, ReadinessChanged(NS, "web-0", False)))
    state, events = converge_recording(step(state, Scale("StatefulSet", NS, "web", 0)))
    assert [n for w, n in events if w == "deleting"] == ["web-2", "web-1", "web-0"]


def test_burst_scaling_should_run_to_completion_even_with_unhealthy_pods() -> None:
    # [sig-apps] StatefulSet ... Burst scaling should run to completion even with unhealthy pods
    state = cluster(sts(replicas=1, policy="Parallel"))
    state = rm.converge(step(state, ReadinessChanged(NS, "web-0", False)))
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 3)))
    assert pods(state) == ["web-0", "web-1", "web-2"]
    state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 0)))
    assert pods(state) == []


def test_failing_pod_1_stops_pod_2_under_ordered_ready_not_under_parallel() -> None:
    for policy, want in (("OrderedReady", ["web-0", "web-1"]), ("Parallel", ["web-0", "web-1", "web-2"])):
        state = cluster(sts(replicas=2, policy=policy))
        state = rm.converge(step(state, ReadinessChanged(NS, "web-1", False)))
        state = rm.converge(step(state, Scale("StatefulSet", NS, "web", 3)))
        assert pods(state) == want, policy


def test_should_perform_rolling_updates_and_roll_backs_of_template_modifications() -> None:
    # [sig-apps] StatefulSet ... should perform rolling updates and roll backs of template modifications
    state = cluster(sts(replicas=3))
    first = status(state)["currentRevision"]
    state = rm.converge(step(state, Apply(sts(replicas=3, image="nginx:2"))))
    second = status(state)["currentRevision"]
    assert second != first and all(_image(state, p) == "nginx:2" for p in pods(state))
    state, events = converge_recording(step(state, RolloutUndo(NS, "web", 0, "StatefulSet")))
    assert [n for w, n in events if w == "deleting"] == ["web-2", "web-1", "web-0"]
    st = status(state)
    assert st["currentRevision"] == st["updateRevision"] == first, "the rollback re-uses the first revision"
    assert all(_image(state, p) == "nginx:1.27" for p in pods(state))
    assert len(rm.list_objects(state, "ControllerRevision")) == 2


def test_should_perform_canary_updates_and_phased_rolling_updates_of_template_modifications() -> None:
    # [sig-apps] StatefulSet ... should perform canary updates and phased rolling updates of template
    # modifications: a partition above replicas updates nothing; lowering it updates one ordinal (the
    # canary), a deleted pod below the partition comes back at the current revision; then phases down
    def upd(p: int) -> dict[str, Any]:
        return {"type": "RollingUpdate", "rollingUpdate": {"partition": p}}

    state = cluster(sts(replicas=3, updateStrategy=upd(0)))
    state = rm.converge(step(state, Apply(sts(replicas=3, image="nginx:2", updateStrategy=upd(3)))))
    assert [_image(state, p) for p in pods(state)] == ["nginx:1.27"] * 3
    state = rm.converge(step(state, Apply(sts(replicas=3, image="nginx:2", updateStrategy=upd(2)))))
    assert [_image(state, p) for p in pods(state)] == ["nginx:1.27", "nginx:1.27", "nginx:2"]
    state = rm.converge(step(state, PodKilled(NS, "web-0")))
    assert _image(state, "web-0") == "nginx:1.27", "a deleted pod below the partition keeps the current revision"
    for p in (1, 0):
        state = rm.converge(step(state, Apply(sts(replicas=3, image="nginx:2", updateStrategy=upd(p)))))
        assert [_image(state, q) for q in pods(state)] == ["nginx:1.27"] * p + ["nginx:2"] * (3 - p)
    st = status(state)
    assert st["currentRevision"] == st["updateRevision"]


def test_should_recreate_evicted_statefulset_and_not_before_the_old_pod_is_gone() -> None:
    # [sig-apps] StatefulSet ... Should recreate evicted statefulset; trap 19: a pod on a failed node stays
    # Terminating and its ordinal is not re-created while the object exists (at most one identity)
    state = cluster(sts(replicas=2))
    node = rm.get(state, "Pod", "web-1", NS)["spec"]["nodeName"]
    state = step(state, NodeFailed(node))
    for _, after in converge_steps(state, horizon=600):
        same = [p for p in rm.list_objects(after, "Pod") if p["metadata"]["name"] == "web-1"]
        assert len(same) <= 1
        state = after
    assert rm.get(state, "Pod", "web-1", NS)["metadata"].get("deletionTimestamp"), "evicted, still Terminating"


# ---------------------------------------------------------------------------------------------
# kubectl rollout undo statefulset (rollback_test.go)
# ---------------------------------------------------------------------------------------------
def test_statefulset_rollback_via_kubectl() -> None:
    # TestStatefulSetRollback: no history, a specific revision, a missing one, already matching
    state = cluster(sts(replicas=1))
    _, response, _ = kubectl.rollout_undo(state, NS, "web", 0, "StatefulSet")
    assert response.rejection is not None and "no last revision" in response.rejection.message
    state = rm.converge(step(state, Apply(sts(replicas=1, image="nginx:2"))))
    _, response, _ = kubectl.rollout_undo(state, NS, "web", 9, "StatefulSet")
    assert response.rejection is not None and "unable to find specified revision 9" in response.rejection.message
    _, response, _ = kubectl.rollout_undo(state, NS, "web", 2, "StatefulSet")
    assert response.ok and "skipped rollback" in (response.notice or "")
    _, response, _ = kubectl.rollout_undo(state, NS, "web", 1, "StatefulSet")
    assert response.ok and response.obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    _, response, _ = kubectl.rollout_undo(state, NS, "nope", 0, "StatefulSet")
    assert response.rejection is not None and response.rejection.reason == "NotFound"


# ---------------------------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------------------------
def test_corpus_statefulsets_converge(manifests_dir: Any) -> None:
    found = 0
    for path in sorted((manifests_dir / "valid").glob("*.yaml")):
        objs = rm.load_manifests(path.read_text())
        if not any(o.get("kind") == "StatefulSet" for o in objs):
            continue
        state = rm.new_cluster(nodes=3)
        for o in objs:
            state = rm.apply_manifest(state, o)
        state = rm.converge(state)
        for o in objs:
            if o.get("kind") != "StatefulSet":
                continue
            found += 1
            ns = o["metadata"].get("namespace", "default")
            got = rm.get(state, "StatefulSet", o["metadata"]["name"], ns)
            want = int(got["spec"]["replicas"])
            st = got["status"]
            templates = got["spec"].get("volumeClaimTemplates") or ()
            set_name = o["metadata"]["name"]
            for i in range(want):
                pod = rm.get(state, "Pod", f"{set_name}-{i}", ns)
                if pod is not None and ssc.is_running_and_ready(pod):
                    continue
                # a replica may wait for what its file does not provide (a claim whose class's provisioner
                # this cluster lacks, a ConfigMap it mounts): it stays Pending, and OrderedReady creates no more
                assert pod is not None and pod["status"].get("phase") == "Pending", f"{path.name}: {set_name}-{i}"
                if got["spec"]["podManagementPolicy"] == "OrderedReady":
                    assert st.get("readyReplicas", 0) == i and rm.get(state, "Pod", f"{set_name}-{i + 1}", ns) is None
                break
            else:
                assert st.get("readyReplicas", 0) == st["replicas"] == want, f"{path.name}: {st}"
            for t in templates:
                for i in range(int(st["replicas"])):
                    name = f"{t['metadata']['name']}-{set_name}-{i}"
                    assert rm.get(state, "PersistentVolumeClaim", name, ns) is not None, f"{path.name}: {name}"
    assert found >= 3


# ---------------------------------------------------------------------------------------------
# the prefix memo (work in O(what changed)) changes nothing
# ---------------------------------------------------------------------------------------------
def _scenario(state: rm.ClusterState) -> list[Any]:
    """A scale-up with readiness flaps, kills, a rolling update and a scale-down, one turn at a time."""
    seen = []
    events: list[Any] = [Scale("StatefulSet", NS, "web", 6), ReadinessChanged(NS, "web-1", False),
                         PodKilled(NS, "web-0"), ReadinessChanged(NS, "web-1", True),
                         Apply(sts(replicas=6, image="nginx:2")), Scale("StatefulSet", NS, "web", 2)]
    for e in events:
        state = rm.core.transition(state, e).state
        for _ in range(12):
            steps = list(itertools.islice(converge_steps(state), 5))
            if not steps:
                break
            state = steps[-1][1]
            seen.append(sorted((p["metadata"]["name"], p["metadata"].get("deletionTimestamp") is not None,
                                p["status"].get("phase")) for p in rm.list_objects(state, "Pod")))
    state = rm.converge(state)
    seen.append([rm.get(state, "StatefulSet", "web", NS)["status"], sorted(claims(state))])
    return seen


def test_the_prefix_memo_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    base = cluster(sts(replicas=1))
    with_memo = _scenario(base)
    monkeypatch.setattr(ssc, "_valid_prefix", lambda state, s: None)
    without = _scenario(base)
    assert with_memo == without


def _claim_edits(state: rm.ClusterState) -> list[Any]:
    """A healthy set's claims edited by hand while its prefix is remembered (no pod changes): an owner
    reference to the set (the Retain policies want none), then a claim being deleted; after each, a
    stray claim of the set's name pattern comes and goes, which wakes the set (a claim's removal does)."""
    owner = rm.get(state, "StatefulSet", "web", NS)
    assert owner is not None
    seen = []
    for name, change in (("data-web-1", "owner"), ("data-web-0", "delete")):
        claim = rm.get(state, "PersistentVolumeClaim", name, NS)
        assert claim is not None
        if change == "owner":
            claim["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                                                     "uid": owner["metadata"]["uid"]}]
            state = rm.apply_manifest(state, claim)
        else:
            state = step(state, Delete("PersistentVolumeClaim", NS, name))
        stray = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data-web-9", "namespace": NS},
                 "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
        state = rm.converge(step(rm.apply_manifest(state, stray), Delete("PersistentVolumeClaim", NS, "data-web-9")))
        seen.append({c["metadata"]["name"]: ([r["kind"] for r in c["metadata"].get("ownerReferences") or ()],
                                             bool(c["metadata"].get("deletionTimestamp")))
                     for c in rm.list_objects(state, "PersistentVolumeClaim")})
    return seen


def test_the_prefix_memo_sees_claims_edited_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # TestClaimOwnerUpToDate's Retain/Retain row, on a claim of a replica the prefix memo holds: the
    # owner reference the claim gains is found and dropped (the binder's writes to a claim are skipped
    # over only while no claim of the prefix gains an owner), and a claim being deleted (kept by the
    # pvc-protection finalizer while its pod runs) changes no verdict
    base = cluster(sts(replicas=3))
    with_memo = _claim_edits(base)
    assert with_memo[0]["data-web-1"] == ([], False), (
        f"data-web-1 is {with_memo[0]['data-web-1']} (owner kinds, being deleted) after a sync, but under the "
        "Retain policies the controller drops a reference to the set")
    assert with_memo[1]["data-web-0"] == ([], True), f"data-web-0 is {with_memo[1]['data-web-0']}, but should be " \
        "kept by pvc-protection while web-0 runs"
    monkeypatch.setattr(ssc, "_valid_prefix", lambda state, s: None)
    assert with_memo == _claim_edits(base)


def test_outside_strict_mode_the_sets_pods_are_stored_and_refused_as_in_strict_mode() -> None:
    # the API server does not strict-decode a controller's plain object outside strict mode (it is built from
    # the stored, checked template): the pods and claims are the same, and an invalid pod is still refused
    import attrs

    def run(strict: bool, manifest: dict[str, Any]) -> rm.ClusterState:
        config = attrs.evolve(rm.new_cluster(nodes=3).config, strict=strict)
        return cluster(manifest, config=config)

    for manifest in (sts(replicas=3), sts(name="db", replicas=2, policy="Parallel")):
        name = manifest["metadata"]["name"]
        loose, strict = run(False, manifest), run(True, manifest)
        for kind in ("Pod", "PersistentVolumeClaim", "StatefulSet", "ControllerRevision"):
            got, want = rm.list_objects(loose, kind), rm.list_objects(strict, kind)
            assert got == want, f"{name}: the {kind} objects differ outside strict mode: {got} against {want}"
        assert len(pods(loose, name)) == manifest["spec"]["replicas"]
    bad = sts(replicas=2)
    bad["spec"]["template"]["spec"]["containers"][0]["name"] = "Not_A_Label"
    state = run(False, bad)
    assert pods(state) == [], f"pods {pods(state)} were created from an invalid template outside strict mode"
