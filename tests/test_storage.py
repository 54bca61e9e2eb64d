"""PersistentVolumes, claims and StorageClasses: the binder's tables, provisioning, reclaim, the scheduler's
volume binding and volume data (rules PV-1..PV-9; refmodel/controllers/persistentvolume.py)."""

from __future__ import annotations

from typing import Any

import pytest

import refmodel as rm
from refmodel import volumes
from refmodel.controllers import persistentvolume as pvc_ctl
from refmodel.events import Delete

GI = "Gi"


def pv(name: str, size: str = "1Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), cls: str | None = "",
       policy: str = "Retain", labels: dict[str, str] | None = None, mode: str | None = None,
       claim: str | None = None, affinity_node: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"capacity": {"storage": size}, "accessModes": list(modes),
                            "persistentVolumeReclaimPolicy": policy, "hostPath": {"path": f"/mnt/{name}"}}
    if cls is not None:
        spec["storageClassName"] = cls
    if mode:
        spec["volumeMode"] = mode
    if claim:
        spec["claimRef"] = {"namespace": "default", "name": claim}
    if affinity_node:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [affinity_node]}]}]}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": labels or {}},
            "spec": spec}


def pvc(name: str, size: str = "1Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), cls: str | None = "",
        selector: dict[str, Any] | None = None, mode: str | None = None, volume: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}}
    if cls is not None:
        spec["storageClassName"] = cls
    if selector is not None:
        spec["selector"] = selector
    if mode:
        spec["volumeMode"] = mode
    if volume:
        spec["volumeName"] = volume
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "default"},
            "spec": spec}


def storage_class(name: str, provisioner: str = "kubeoracle.io/in-memory", *, mode: str = "Immediate",
                  policy: str = "Delete", expand: bool | None = None, default: bool = False) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
                           "provisioner": provisioner, "volumeBindingMode": mode, "reclaimPolicy": policy}
    if expand is not None:
        obj["allowVolumeExpansion"] = expand
    if default:
        obj["metadata"]["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    return obj


def pod(name: str, *claims: str, node: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": "app", "image": "nginx",
                        "volumeMounts": [{"name": f"v{i}", "mountPath": f"/data{i}"} for i in range(len(claims))]}],
        "volumes": [{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}} for i, c in enumerate(claims)]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def cluster(*objs: dict[str, Any], nodes: int = 2, default_class: str = "standard") -> rm.ClusterState:
    state = rm.new_cluster(nodes, config=rm.ClusterConfig(strict=True, default_storage_class=default_class))
    for obj in objs:
        state = rm.apply_manifest(state, obj)
    return rm.converge(state)


def claim(state: rm.ClusterState, name: str) -> dict[str, Any]:
    got = rm.get(state, "PersistentVolumeClaim", name)
    assert got is not None, f"claim {name} is missing, but should exist"
    return got


def bound_to(state: rm.ClusterState, name: str) -> str | None:
    c = claim(state, name)
    return c["spec"].get("volumeName") if c["status"].get("phase") == "Bound" else None


def phase(state: rm.ClusterState, kind: str, name: str) -> str | None:
    got = rm.get(state, kind, name)
    return None if got is None else got.get("status", {}).get("phase")


def events(state: rm.ClusterState, reason: str) -> list[str]:
    return [e["message"] for e in rm.list_objects(state, "Event") if e["reason"] == reason]


# ---------------------------------------------------------------------------------------------
# matching (index_test.go, binder_test.go)
# ---------------------------------------------------------------------------------------------
# TestMatchVolume: each claim binds the volume upstream's table says, or none
@pytest.mark.parametrize(("volumes_", "claim_", "want"), [
    # the smallest volume that fits
    ([pv("small", "1Gi"), pv("medium", "5Gi"), pv("large", "10Gi")], pvc("c", "3Gi"), "medium"),
    # nothing big enough
    ([pv("small", "1Gi")], pvc("c", "3Gi"), None),
    # access modes must be a superset
    ([pv("rwo", "1Gi", ("ReadWriteOnce",)), pv("rwx", "5Gi", ("ReadWriteMany", "ReadWriteOnce"))],
     pvc("c", "1Gi", ("ReadWriteMany",)), "rwx"),
    # class "" only matches "" (and not a volume of class "gold")
    ([pv("gold", "1Gi", cls="gold"), pv("none", "5Gi", cls="")], pvc("c", "1Gi", cls=""), "none"),
    ([pv("gold", "1Gi", cls="gold")], pvc("c", "1Gi", cls=""), None),
    # selectors
    ([pv("a", "1Gi", labels={"tier": "a"}), pv("b", "1Gi", labels={"tier": "b"})],
     pvc("c", "1Gi", selector={"matchLabels": {"tier": "b"}}), "b"),
    # volume mode must be equal (nil = Filesystem)
    ([pv("block", "1Gi", mode="Block"), pv("fs", "5Gi")], pvc("c", "1Gi"), "fs"),
    ([pv("fs", "5Gi")], pvc("c", "1Gi", mode="Block"), None),
])
def test_match_volume(volumes_: list[dict[str, Any]], claim_: dict[str, Any], want: str | None) -> None:
    state = cluster(*volumes_, claim_)
    assert bound_to(state, "c") == want, f"claim c bound to {bound_to(state, 'c')}, but should be {want}"


# TestFindingVolumeWithDifferentAccessModes: the fewest-modes superset wins before the smallest capacity
def test_finding_volume_with_different_access_modes() -> None:
    state = cluster(pv("many-modes", "1Gi", ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany")),
                    pv("two-modes", "10Gi", ("ReadWriteOnce", "ReadOnlyMany")),
                    pvc("c", "1Gi", ("ReadOnlyMany", "ReadWriteOnce")))
    assert bound_to(state, "c") == "two-modes"


# TestFindingPreboundVolumes: a volume pre-bound to the claim wins even when another fits better
def test_finding_prebound_volumes() -> None:
    state = cluster(pv("exact", "1Gi"), pv("prebound", "10Gi", claim="c"), pvc("c", "1Gi"))
    assert bound_to(state, "c") == "prebound"
    volume = rm.get(state, "PersistentVolume", "prebound")
    assert volume is not None and volume["spec"]["claimRef"]["uid"] == claim(state, "c")["metadata"]["uid"]


# TestSync "2-1 - claim prebound to a volume by volumeName"
def test_claim_prebound_by_volume_name() -> None:
    state = cluster(pv("a", "1Gi"), pv("b", "5Gi"), pvc("c", "1Gi", volume="b"))
    assert bound_to(state, "c") == "b"
    assert phase(state, "PersistentVolume", "a") == "Available"


def test_claim_prebound_to_a_volume_of_another_claim_stays_pending() -> None:
    state = cluster(pv("a", "1Gi"), pvc("first", "1Gi"))
    state = rm.converge(rm.apply_manifest(state, pvc("second", "1Gi", volume="a")))
    assert bound_to(state, "first") == "a"
    assert phase(state, "PersistentVolumeClaim", "second") == "Pending"
    assert events(state, "FailedBinding") == ['volume "a" already bound to a different claim.']


def test_binding_sets_both_sides_and_capacity_of_the_volume() -> None:
    state = cluster(pv("big", "10Gi"), pvc("c", "1Gi"))
    c = claim(state, "c")
    volume = rm.get(state, "PersistentVolume", "big")
    assert volume is not None
    assert (c["status"]["phase"], volume["status"]["phase"]) == ("Bound", "Bound")
    assert c["status"]["capacity"] == {"storage": "10Gi"}, "the claim reports the volume's capacity, not its request"
    assert volume["spec"]["claimRef"]["name"] == "c"
    assert c["metadata"]["annotations"][pvc_ctl.ANN_BIND_COMPLETED] == "yes"


# ---------------------------------------------------------------------------------------------
# classes and provisioning
# ---------------------------------------------------------------------------------------------
def test_unset_class_gets_the_default_class_and_is_provisioned() -> None:
    state = cluster(pvc("c", "2Gi", cls=None))
    c = claim(state, "c")
    assert c["spec"]["storageClassName"] == "standard"
    name = bound_to(state, "c")
    assert name == f"pvc-{c['metadata']['uid']}"
    volume = rm.get(state, "PersistentVolume", name)
    assert volume is not None
    assert volume["spec"]["capacity"] == {"storage": "2Gi"}
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete"


def test_no_default_class_in_a_bare_cluster_leaves_an_unset_class_pending() -> None:
    state = cluster(pvc("c", "1Gi", cls=None), default_class="")
    assert claim(state, "c")["spec"].get("storageClassName") is None
    assert phase(state, "PersistentVolumeClaim", "c") == "Pending"
    # a default class created later is assigned retroactively and the claim is provisioned
    state = rm.converge(rm.apply_manifest(state, storage_class("late", default=True)))
    assert claim(state, "c")["spec"]["storageClassName"] == "late"
    assert bound_to(state, "c") is not None


def test_empty_class_is_never_provisioned() -> None:
    state = cluster(pvc("c", "1Gi", cls=""))
    assert phase(state, "PersistentVolumeClaim", "c") == "Pending"
    assert rm.list_objects(state, "PersistentVolume") == []
    assert events(state, "FailedBinding") == [
        "no persistent volumes available for this claim and no storage class is set"]


def test_unknown_provisioner_leaves_the_claim_pending_with_external_provisioning() -> None:
    state = cluster(storage_class("ext", "example.com/nobody-runs-this"), pvc("c", "1Gi", cls="ext"))
    assert phase(state, "PersistentVolumeClaim", "c") == "Pending"
    msgs = events(state, "ExternalProvisioning")
    assert len(msgs) == 1 and "external provisioner 'example.com/nobody-runs-this'" in msgs[0]
    ann = claim(state, "c")["metadata"]["annotations"]
    assert ann[pvc_ctl.ANN_STORAGE_PROVISIONER] == "example.com/nobody-runs-this"


def test_missing_class_leaves_the_claim_pending() -> None:
    state = cluster(pvc("c", "1Gi", cls="slow"))
    assert phase(state, "PersistentVolumeClaim", "c") == "Pending"
    assert events(state, "ProvisioningFailed") == ['storageclass.storage.k8s.io "slow" not found']


def test_claim_with_selector_is_not_provisioned() -> None:
    state = cluster(pvc("c", "1Gi", cls="standard", selector={"matchLabels": {"a": "b"}}))
    assert phase(state, "PersistentVolumeClaim", "c") == "Pending"
    assert rm.list_objects(state, "PersistentVolume") == []


def test_storage_class_is_immutable_but_expansion_can_change() -> None:
    state = cluster(storage_class("gold"))
    changed = storage_class("gold", policy="Retain")
    with pytest.raises(rm.Invalid, match="reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden"):
        rm.apply_manifest(state, changed)
    state = rm.apply_manifest(state, storage_class("gold", expand=True))
    assert rm.get(state, "StorageClass", "gold")["allowVolumeExpansion"] is True  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# expansion (PV-8)
# ---------------------------------------------------------------------------------------------
def test_claim_grows_when_the_class_allows_expansion() -> None:
    state = cluster(storage_class("grow", expand=True), pvc("c", "1Gi", cls="grow"))
    state = rm.converge(rm.apply_manifest(state, pvc("c", "3Gi", cls="grow")))
    c = claim(state, "c")
    assert c["status"]["capacity"] == {"storage": "3Gi"}
    volume = rm.get(state, "PersistentVolume", c["spec"]["volumeName"])
    assert volume is not None and volume["spec"]["capacity"] == {"storage": "3Gi"}


def test_claim_cannot_grow_when_the_class_forbids_expansion() -> None:
    state = cluster(storage_class("fixed", expand=False), pvc("c", "1Gi", cls="fixed"))
    with pytest.raises(rm.Invalid, match="only dynamically provisioned pvc can be resized"):
        rm.apply_manifest(state, pvc("c", "3Gi", cls="fixed"))


def test_claim_cannot_shrink() -> None:
    state = cluster(pvc("c", "2Gi", cls=None))
    with pytest.raises(rm.Invalid, match=r"field can not be less than status\.capacity"):
        rm.apply_manifest(state, pvc("c", "1Gi", cls="standard"))


# ---------------------------------------------------------------------------------------------
# reclaim (PV-6) and protection (PV-9)
# ---------------------------------------------------------------------------------------------
def _delete(state: rm.ClusterState, kind: str, name: str) -> rm.ClusterState:
    return rm.converge(rm.step(state, Delete(kind, "default" if kind != "PersistentVolume" else "", name)))


def test_retain_keeps_a_released_volume_that_no_claim_binds_again() -> None:
    state = cluster(pv("keep", "1Gi", policy="Retain"), pvc("c", "1Gi"))
    state = _delete(state, "PersistentVolumeClaim", "c")
    assert phase(state, "PersistentVolume", "keep") == "Released"
    state = rm.converge(rm.apply_manifest(state, pvc("again", "1Gi")))
    assert phase(state, "PersistentVolumeClaim", "again") == "Pending", "a Released volume is not re-bindable"


def test_delete_policy_removes_a_provisioned_volume_and_its_data() -> None:
    state = cluster(pvc("c", "1Gi", cls=None), pod("writer", "c"))
    name = bound_to(state, "c")
    assert name is not None and volumes.volume_data(state, name)
    state = _delete(state, "Pod", "writer")
    state = _delete(state, "PersistentVolumeClaim", "c")
    assert rm.get(state, "PersistentVolume", name) is None
    assert volumes.volume_data(state, name) == ()


def test_delete_policy_fails_a_volume_no_provisioner_can_delete() -> None:
    state = cluster(pv("manual", "1Gi", policy="Delete"), pvc("c", "1Gi"))
    state = _delete(state, "PersistentVolumeClaim", "c")
    assert phase(state, "PersistentVolume", "manual") == "Failed"


def test_recycle_scrubs_the_volume_back_to_available() -> None:
    state = cluster(pv("r", "1Gi", policy="Recycle"), pvc("c", "1Gi"), pod("writer", "c"))
    state = _delete(state, "Pod", "writer")
    state = _delete(state, "PersistentVolumeClaim", "c")
    assert phase(state, "PersistentVolume", "r") == "Available"
    assert volumes.volume_data(state, "r") == ()


def test_claim_in_use_is_kept_until_its_pod_is_gone() -> None:
    state = cluster(pvc("c", "1Gi", cls=None), pod("user", "c"))
    state = _delete(state, "PersistentVolumeClaim", "c")
    c = claim(state, "c")
    assert c["metadata"].get("deletionTimestamp"), "the claim is being deleted"
    assert bound_to(state, "c") is not None, "but stays bound while its pod runs"
    state = _delete(state, "Pod", "user")
    assert rm.get(state, "PersistentVolumeClaim", "c") is None


def test_claim_whose_volume_vanished_is_lost() -> None:
    state = cluster(pv("v", "1Gi"), pvc("c", "1Gi"))
    # force the volume away (an administrator removing its finalizer)
    volume = rm.get(state, "PersistentVolume", "v")
    assert volume is not None
    volume["metadata"]["finalizers"] = []
    state, response = rm.controllers.send(state, rm.Request("update", body=volume))
    assert response.rejection is None, response.rejection
    state = _delete(state, "PersistentVolume", "v")
    assert rm.get(state, "PersistentVolume", "v") is None
    assert phase(state, "PersistentVolumeClaim", "c") == "Lost"


# ---------------------------------------------------------------------------------------------
# pods and the scheduler (volumebinding, volumerestrictions)
# ---------------------------------------------------------------------------------------------
def test_pod_whose_claim_is_unbound_stays_pending() -> None:
    state = cluster(pvc("c", "1Gi", cls=""), pod("p", "c"))
    p = rm.get(state, "Pod", "p")
    assert p is not None and not p["spec"].get("nodeName")
    cond = next(c for c in p["status"]["conditions"] if c["type"] == "PodScheduled")
    assert cond["message"] == "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims."


def test_pod_whose_claim_is_missing_stays_pending_until_it_exists() -> None:
    state = cluster(pod("p", "later"))
    p = rm.get(state, "Pod", "p")
    assert p is not None and not p["spec"].get("nodeName")
    state = rm.converge(rm.apply_manifest(state, pvc("later", "1Gi", cls=None)))
    assert phase(state, "Pod", "p") == "Running"


def test_wait_for_first_consumer_binds_after_the_scheduler_picks_a_node() -> None:
    state = cluster(storage_class("wffc", mode="WaitForFirstConsumer"), pvc("c", "1Gi", cls="wffc"))
    assert phase(state, "PersistentVolumeClaim", "c") == "Pending"
    assert events(state, "WaitForFirstConsumer") == ["waiting for first consumer to be created before binding"]
    state = rm.converge(rm.apply_manifest(state, pod("p", "c")))
    c = claim(state, "c")
    node = rm.get(state, "Pod", "p")["spec"]["nodeName"]  # type: ignore[index]
    assert c["metadata"]["annotations"][pvc_ctl.ANN_SELECTED_NODE] == node
    assert bound_to(state, "c") is not None and phase(state, "Pod", "p") == "Running"


def test_wait_for_first_consumer_picks_the_node_of_a_local_volume() -> None:
    state = cluster(storage_class("local", "kubernetes.io/no-provisioner", mode="WaitForFirstConsumer"),
                    pv("local-1", "1Gi", cls="local", affinity_node="node-1"), pvc("c", "1Gi", cls="local"),
                    pod("p", "c"))
    assert rm.get(state, "Pod", "p")["spec"]["nodeName"] == "node-1"  # type: ignore[index]
    assert bound_to(state, "c") == "local-1"


def test_bound_volume_node_affinity_limits_the_nodes() -> None:
    state = cluster(pv("local-0", "1Gi", affinity_node="node-0"), pvc("c", "1Gi"), pod("p", "c"))
    assert rm.get(state, "Pod", "p")["spec"]["nodeName"] == "node-0"  # type: ignore[index]


def test_read_write_once_pod_claim_is_used_by_one_pod() -> None:
    state = cluster(pvc("c", "1Gi", ("ReadWriteOncePod",), cls=None), pod("first", "c"), pod("second", "c"))
    running = [p["metadata"]["name"] for p in rm.list_objects(state, "Pod") if p["spec"].get("nodeName")]
    assert running == ["first"]
    second = rm.get(state, "Pod", "second")
    cond = next(c for c in second["status"]["conditions"] if c["type"] == "PodScheduled")  # type: ignore[index]
    assert "ReadWriteOncePod" in cond["message"]


def test_read_write_once_volume_attaches_to_one_node() -> None:
    state = cluster(pvc("c", "1Gi", cls=None), pod("a", "c", node="node-0"), pod("b", "c", node="node-1"))
    phases = {p["metadata"]["name"]: p["status"]["phase"] for p in rm.list_objects(state, "Pod")}
    assert phases == {"a": "Running", "b": "Pending"}
    waiting = rm.get(state, "Pod", "b")["status"]["containerStatuses"][0]["state"]["waiting"]  # type: ignore[index]
    assert waiting["reason"] == "ContainerCreating"


def test_read_write_once_volume_moves_to_the_waiting_pod_when_its_user_is_gone() -> None:
    # the attach/detach controller detaches a volume once no pod on its node uses it, and attaches it to the
    # node where a pod waits for it (its reconciler, pkg/controller/volume/attachdetach/reconciler): the waiting
    # pod starts, with no other write to wake its kubelet (the kubeoracle conformance run found it stuck)
    state = cluster(pvc("c", "1Gi", cls=None), pod("a", "c", node="node-0"), pod("b", "c", node="node-1"))
    state = rm.converge(rm.transition(state, Delete("Pod", "default", "a")).state)
    assert rm.get(state, "Pod", "a") is None
    assert rm.get(state, "Pod", "b")["status"]["phase"] == "Running"  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# volume data
# ---------------------------------------------------------------------------------------------
def test_volume_keeps_the_data_of_every_pod_that_used_it() -> None:
    state = cluster(pvc("c", "1Gi", cls=None), pod("one", "c"))
    name = bound_to(state, "c")
    assert name is not None
    first = volumes.volume_data(state, name)
    assert len(first) == 1 and first[0].startswith("default/one@")
    state = _delete(state, "Pod", "one")
    state = rm.converge(rm.apply_manifest(state, pod("two", "c")))
    data = volumes.volume_data(state, name)
    assert data[0] == first[0] and len(data) == 2 and data[1].startswith("default/two@")
    view = rm.container_view(state, "default", "two", "app")
    assert view is not None and view["data"] == {"/data0": data}


# ---------------------------------------------------------------------------------------------
# the seed notes' StorageClass (its fields indented under metadata and parameters)
# ---------------------------------------------------------------------------------------------
SEED_NOTES_CLASS = """\
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  provisioner: kubernetes.io/aws-ebs
  parameters:
    type: gp2
    fsType: ext4
    reclaimPolicy: Delete
    volumeBindingMode: Immediate
"""


def test_seed_notes_storage_class_is_rejected_saying_where_its_fields_belong() -> None:
    state = rm.new_cluster(1, config=rm.ClusterConfig(default_storage_class=""))
    (obj,) = rm.load_manifests(SEED_NOTES_CLASS)
    with pytest.raises(rm.Invalid) as err:
        rm.apply_manifest(state, obj)
    text = str(err.value)
    assert 'unknown field "metadata.provisioner": provisioner is a field of the StorageClass itself and belongs ' \
           "at the top level" in text, text
    assert 'unknown field "metadata.parameters"' in text, text


def test_class_fields_written_as_parameters_fail_provisioning_saying_where_they_belong() -> None:
    sc = storage_class("notes")
    sc["parameters"] = {"type": "gp2", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"}
    state = cluster(sc, pvc("c", "1Gi", cls="notes"))
    assert phase(state, "PersistentVolumeClaim", "c") == "Pending"
    (msg,) = events(state, "ProvisioningFailed")
    assert 'invalid parameter "reclaimPolicy": reclaimPolicy is a field of the StorageClass itself and belongs at ' \
           "the top level, not under parameters" in msg, msg


# ---------------------------------------------------------------------------------------------
# the corpus: storage manifests converge as on a cluster with a default class (kind, minikube)
# ---------------------------------------------------------------------------------------------
# file (the first of its group in tests/test_corpus.py) -> claim -> (phase, the event reason that says why)
CORPUS_CLAIMS: dict[str, dict[str, tuple[str, str | None]]] = {
    "k8s-examples__azure-pv.yaml": {"sample-storage-claim": ("Bound", None)},
    "k8s-examples__nfs-pv.yaml": {"nfs": ("Bound", None)},  # storageClassName "" and volumeName: static
    "k8s-examples__minio-standalone-pvc.yaml": {"minio-pv-claim": ("Bound", "ProvisioningSucceeded")},
    "k8s-kubernetes__claim-01.yaml": {"myclaim-1": ("Bound", "ProvisioningSucceeded")},
    # class "manual", its PV in the group; the StatefulSet's claim templates: the default class
    "k8s-website__mysql-configmap.yaml": {"mysql-pv-claim": ("Bound", None),
                                          **{f"data-mysql-{i}": ("Bound", "ProvisioningSucceeded") for i in range(3)}},
    "krane__redis.yaml": {"hello-cloud-redis": ("Bound", "ProvisioningSucceeded")},
    "krane__pvc.yaml": {"without-storage-class": ("Bound", "ProvisioningSucceeded"),
                        "with-storage-class": ("Pending", "ProvisioningFailed")},  # its class is not defined
    # no class: admission gives it the default class, which the class-less PV it names does not have
    "k8s-examples__pv.yaml": {"my-model-pvc": ("Pending", "VolumeMismatch")},
    "k8s-website__pv-claim.yaml": {"task-pv-claim": ("Pending", "ProvisioningFailed")},  # class "manual" missing
    # kind's provisioner runs (an in-memory stand-in); WaitForFirstConsumer: bound once a pod uses the claim
    "local-path__local-path-storage.yaml": {"local-path-pvc": ("Bound", "ProvisioningSucceeded"),
                                            "local-rwop-volume-pvc": ("Pending", "WaitForFirstConsumer"),
                                            "www-web-0": ("Bound", "ProvisioningSucceeded")},  # the StatefulSet's
    # a provisioner the files deploy as a container: the model runs no container code
    "nfs-subdir__class.yaml": {"test-claim": ("Pending", "ExternalProvisioning")},
}


@pytest.mark.parametrize("first", sorted(CORPUS_CLAIMS))
def test_corpus_claims_converge(manifests_dir: Any, first: str) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_corpus import GROUPS

    group = next((g for g in GROUPS if g[0] == first), (first,))
    objs = [o for n in group for o in rm.load_manifests((manifests_dir / "valid" / n).read_text(encoding="utf-8"))]
    state = cluster(*sorted(objs, key=lambda o: o.get("kind") != "Namespace"), nodes=3)
    got = {c["metadata"]["name"]: c["status"]["phase"] for c in rm.list_objects(state, "PersistentVolumeClaim")}
    want = CORPUS_CLAIMS[first]
    assert got == {k: v[0] for k, v in want.items()}, f"{first}: claims {got}, but should be {want}"
    reasons = {(e["involvedObject"]["name"], e["reason"]) for e in rm.list_objects(state, "Event", namespace=None)}
    for name, (_phase, reason) in want.items():
        if reason is not None:
            assert (name, reason) in reasons, f"{first}: claim {name} has events {sorted(reasons)}, but not {reason}"
    for pod in rm.list_objects(state, "Pod", namespace=None):
        claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"].get("volumes") or ()
                  if "persistentVolumeClaim" in v]
        if claims and all(got.get(c) == "Bound" for c in claims) and not any(
                ((cs.get("state") or {}).get("waiting") or {}).get("reason") == "CreateContainerConfigError"
                for cs in pod["status"].get("containerStatuses") or ()):
            assert pod["status"]["phase"] == "Running", f"{first}: pod {pod['metadata']['name']} with bound claims " \
                                                        f"is {pod['status']['phase']}, but should be Running"


def test_corpus_wordpress_waits_for_its_secret(manifests_dir: Any) -> None:
    """The tutorial creates mysql-pass with a kustomization the corpus does not carry: the pods wait for it."""
    objs = rm.load_manifests((manifests_dir / "valid" / "k8s-website__wordpress-mysql-deployment.yaml").read_text())
    state = cluster(*objs, nodes=3)
    assert bound_to(state, "mysql-pv-claim") is not None
    (mysql,) = [p for p in rm.list_objects(state, "Pod") if p["metadata"]["labels"].get("tier") == "mysql"]
    assert mysql["status"]["containerStatuses"][0]["state"]["waiting"] == {
        "reason": "CreateContainerConfigError", "message": 'secret "mysql-pass" not found'}
    state = rm.converge(rm.apply_manifest(state, {"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "mysql-pass", "namespace": "default"}, "stringData": {"password": "s3cret"}}))
    (mysql,) = [p for p in rm.list_objects(state, "Pod") if p["metadata"]["labels"].get("tier") == "mysql"]
    assert mysql["status"]["phase"] == "Running"
    view = rm.container_view(state, "default", mysql["metadata"]["name"], "mysql")
    assert view is not None and view["env"]["MYSQL_ROOT_PASSWORD"] == "s3cret"


# ---------------------------------------------------------------------------------------------
# StatefulSets: their claims bind with the binder, and scale-down/up loses nothing
# ---------------------------------------------------------------------------------------------
def _statefulset(replicas: int) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "main", "image": "nginx",
                                                           "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}


def _claims_volumes_data(state: rm.ClusterState) -> dict[str, tuple[str, tuple[str, ...]]]:
    out = {}
    for c in rm.list_objects(state, "PersistentVolumeClaim"):
        assert c["status"]["phase"] == "Bound", f"claim {c['metadata']['name']} is {c['status']['phase']}"
        out[c["metadata"]["name"]] = (c["spec"]["volumeName"], volumes.volume_data(state, c["spec"]["volumeName"]))
    return out


def test_statefulset_scaled_down_and_up_keeps_its_claims_volumes_and_data() -> None:
    state = cluster(_statefulset(5), nodes=3)
    first = _claims_volumes_data(state)
    assert sorted(first) == [f"data-web-{i}" for i in range(5)]
    assert all(len(tokens) == 1 and tokens[0].startswith(f"default/web-{name[-1]}@")
               for name, (_pv, tokens) in first.items()), first
    state = rm.converge(rm.apply_manifest(state, _statefulset(2)))
    assert _claims_volumes_data(state) == first, "scale-down keeps every claim, its volume and its data"
    state = rm.converge(rm.apply_manifest(state, _statefulset(5)))
    again = _claims_volumes_data(state)
    for name, (pv, tokens) in first.items():
        assert again[name][0] == pv, f"{name} rebound to {again[name][0]}, but should keep volume {pv}"
        assert again[name][1][: len(tokens)] == tokens, f"{name} lost data: {again[name][1]} after {tokens}"
    for i in range(5):
        view = rm.container_view(state, "default", f"web-{i}", "main")
        assert view is not None and view["data"]["/data"] == again[f"data-web-{i}"][1]


def test_volume_deleted_while_bound_goes_once_its_claim_is_gone() -> None:
    # pvprotection: the volume waits for its claim, then goes (Retain keeps nothing once the PV object is gone)
    state = cluster(pv("v", "1Gi"), pvc("c", "1Gi"))
    state = _delete(state, "PersistentVolume", "v")
    volume = rm.get(state, "PersistentVolume", "v")
    assert volume is not None and volume["metadata"].get("deletionTimestamp") and bound_to(state, "c") == "v"
    state = _delete(state, "PersistentVolumeClaim", "c")
    assert rm.get(state, "PersistentVolume", "v") is None
