"""The PersistentVolume controller: binder, provisioner, reclaimer, and the PVC/PV protection controllers.

**Mirrors:** ``pkg/controller/volume/persistentvolume/pv_controller.go`` (syncClaim, syncUnboundClaim,
syncBoundClaim, syncVolume, bind, bindVolumeToClaim, bindClaimToVolume, unbindVolume, reclaimVolume,
provisionClaimOperation, setClaimProvisioner, and the retroactive default class of
assignDefaultStorageClass), ``pkg/controller/volume/persistentvolume/index.go`` (findBestMatchForClaim,
allPossibleMatchingAccessModes), ``staging/src/k8s.io/component-helpers/storage/volume/pv_helpers.go``
(FindMatchingVolume, CheckVolumeModeMismatches, CheckAccessModes), ``pkg/controller/volume/pvcprotection``
and ``pkg/controller/volume/pvprotection`` (finalizer removal), and the expansion the external resizer and
the kubelet perform together (``kubernetes-csi/external-resizer``).
**Modelled:** rules PV-1..PV-9 and trap 18: phases (claims Pending/Bound/Lost; volumes Pending/Available/
Bound/Released/Failed); matching by class (``""`` only matches ``""``; an unset class gets the default class
from admission, or later from this controller once a default class exists), selector, volume mode, access
modes a superset (fewest modes first), then the smallest capacity that fits; pre-bound volumes and claims;
``WaitForFirstConsumer``: only pre-bound volumes here, the rest after the scheduler picked a node
(``volume.kubernetes.io/selected-node``; :mod:`refmodel.volumebinding`); dynamic provisioning through
:data:`refmodel.provisioners.PROVISIONERS` (an unregistered provisioner leaves the claim Pending with
``ExternalProvisioning``; a claim with a selector is not provisioned); reclaim of a Released volume
(Retain keeps it Released and unbindable, Delete removes it and its data when its provisioner runs and
fails it otherwise, Recycle scrubs it back to Available); growth of a bound claim's volume when its class
allows expansion; the protection finalizers, removed when no pod uses the claim / the volume is not Bound.
Events are recorded once per object and reason.
**Not modelled (and why):** the periodic resync (every write that can change a match wakes the claims it
may concern instead); in-tree volume plugins and their failures; volume attributes classes (off by default
in v1.32); expansion failures and their recovery conditions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import immutables

from ..frozen import EMPTY, FrozenDict, freeze, thaw
from ..labels import selector_matches
from ..provisioners import NO_PROVISIONER, PROVISIONERS
from ..resources.common import quantity
from ..state import ClusterState
from . import Controller, create_many, delete, register, update, update_status

__all__ = [
    "ANN_SELECTED_NODE",
    "claim_class",
    "default_class",
    "find_best_match",
    "storage_request",
    "sync",
    "volume_class",
]

NAME = "persistentvolume"
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
ANN_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
ANN_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
WFFC = "WaitForFirstConsumer"
PVC = "PersistentVolumeClaim"
PV = "PersistentVolume"

Obj = Mapping[str, Any]
_NO_MAP: Any = immutables.Map()


# ---------------------------------------------------------------------------------------------
# reading claims, volumes and classes
# ---------------------------------------------------------------------------------------------
def claim_class(claim: Obj) -> str | None:
    """GetPersistentVolumeClaimClass: the beta annotation, then ``spec.storageClassName``; None when unset."""
    ann = claim["metadata"].get("annotations") or EMPTY
    if ANN_BETA_CLASS in ann:
        return str(ann[ANN_BETA_CLASS])
    value = (claim.get("spec") or EMPTY).get("storageClassName")
    return None if value is None else str(value)


def volume_class(pv: Obj) -> str:
    """GetPersistentVolumeClass: the beta annotation, then ``spec.storageClassName``; "" when unset."""
    ann = pv["metadata"].get("annotations") or EMPTY
    if ANN_BETA_CLASS in ann:
        return str(ann[ANN_BETA_CLASS])
    return str((pv.get("spec") or EMPTY).get("storageClassName") or "")


def storage_request(claim: Obj) -> Any:
    requests = ((claim.get("spec") or EMPTY).get("resources") or EMPTY).get("requests") or EMPTY
    return quantity(requests.get("storage")) or 0


def volume_capacity(pv: Obj) -> Any:
    return quantity(((pv.get("spec") or EMPTY).get("capacity") or EMPTY).get("storage")) or 0


def default_class(state: ClusterState) -> str | None:
    """GetDefaultClass (``pkg/volume/util/storageclass.go``): of the classes annotated default (GA or beta
    annotation), the newest, then the first by name."""
    best: tuple[str, str] | None = None
    for sc in state.iter_kind("StorageClass", ""):
        md = sc["metadata"]
        ann = md.get("annotations") or EMPTY
        if ann.get(ANN_DEFAULT_CLASS) == "true" or ann.get(ANN_BETA_DEFAULT_CLASS) == "true":
            key = (md.get("creationTimestamp", ""), md["name"])
            if best is None or key[0] > best[0] or (key[0] == best[0] and key[1] < best[1]):
                best = key
    return None if best is None else best[1]


def _modes(obj: Obj) -> frozenset[str]:
    return frozenset((obj.get("spec") or EMPTY).get("accessModes") or ())


def _volume_mode(obj: Obj) -> str:
    return str((obj.get("spec") or EMPTY).get("volumeMode") or "Filesystem")


def _phase(obj: Obj) -> str:
    return str((obj.get("status") or EMPTY).get("phase") or "")


def _deleting(obj: Obj) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def _prebound_to(pv: Obj, claim: Obj) -> bool:
    """IsVolumeBoundToClaim: the volume's claimRef names the claim (and its uid, when set)."""
    ref = (pv.get("spec") or EMPTY).get("claimRef")
    if not ref:
        return False
    md = claim["metadata"]
    if ref.get("name") != md["name"] or (ref.get("namespace") or "") != md["namespace"]:
        return False
    return not ref.get("uid") or ref.get("uid") == md["uid"]


def find_best_match(state: ClusterState, claim: Obj, delay_binding: bool, node: Obj | None = None) -> FrozenDict | None:
    """findBestMatchForClaim / FindMatchingVolume: a volume pre-bound to the claim that is big enough,
    else, of the Available unclaimed volumes of the claim's class, mode and selector whose access modes
    are a superset of the claim's, the one with the fewest access modes and then the smallest capacity.

    ``delay_binding`` (a WaitForFirstConsumer class with no node chosen): only pre-bound volumes.
    ``node``: the scheduler's candidate node (volumes whose node affinity excludes it do not match)."""
    from ..volumebinding import volume_fits_node

    want = storage_request(claim)
    modes = _modes(claim)
    vmode = _volume_mode(claim)
    cls = claim_class(claim) or ""
    selector = (claim.get("spec") or EMPTY).get("selector")

    def usable(pv: FrozenDict | None) -> bool:
        return pv is not None and not _deleting(pv) and _volume_mode(pv) == vmode and modes <= _modes(pv) and (
            node is None or volume_fits_node(pv, node))

    md = claim["metadata"]
    claimed: Any = state.env.get(_CLAIMED) or EMPTY
    prebound = state.get(PV, "", str(claimed.get((md["namespace"], md["name"])) or ""))
    if prebound is not None and usable(prebound) and _prebound_to(prebound, claim) and (
            volume_capacity(prebound) >= want):
        return prebound
    best: tuple[int, Any, str] | None = None
    best_pv: FrozenDict | None = None
    for name in state.env.get(_BINDABLE) or ():
        pv = state.get(PV, "", name)
        if pv is None or not usable(pv):
            continue
        size = volume_capacity(pv)
        if (pv.get("spec") or EMPTY).get("claimRef") or _phase(pv) != "Available":
            continue
        if selector is not None and not selector_matches(selector, pv["metadata"].get("labels") or EMPTY):
            continue
        if volume_class(pv) != cls or (delay_binding and node is None):
            continue
        if size < want:
            continue
        key = (len(_modes(pv)), size, pv["metadata"]["name"])
        if best is None or key < best:
            best, best_pv = key, pv
    return best_pv


# The binder's index of volumes (``state.env``), kept by :func:`sync_volume` for every volume write: the
# names of volumes with no claimRef (the candidates of a match) and, by claim, the volume whose claimRef names
# it. Entries may be stale (each is checked against the object), never missing: a volume gets a claimRef
# only from a write that wakes its sync, which runs before the claims the same write wakes. Static binding
# scans the unclaimed volumes per claim, as upstream's index does; provisioned volumes cost no scan.
_BINDABLE = "pv_bindable"  # Map[volume name, None]
_CLAIMED = "pv_claimed"  # Map[(namespace, claim), volume name]


def _index_volume(state: ClusterState, name: str, pv: Obj | None) -> ClusterState:
    env = state.env
    bindable = env.get(_BINDABLE) or _NO_MAP
    claimed = env.get(_CLAIMED) or _NO_MAP
    ref = None if pv is None else (pv.get("spec") or EMPTY).get("claimRef")
    new_bindable = bindable.set(name, None) if pv is not None and not ref else (
        bindable.delete(name) if name in bindable else bindable)
    new_claimed = claimed
    if ref and ref.get("name"):
        key = (str(ref.get("namespace") or ""), str(ref["name"]))
        if claimed.get(key) != name:
            new_claimed = claimed.set(key, name)
    if new_bindable is bindable and new_claimed is claimed:
        return state
    return state.replace(env=env.set(_BINDABLE, new_bindable).set(_CLAIMED, new_claimed))


def _satisfies(pv: Obj, claim: Obj) -> str:
    """checkVolumeSatisfyClaim: "" when the volume can serve the claim, else why not."""
    if volume_capacity(pv) < storage_request(claim):
        return "requested PV is too small"
    if volume_class(pv) != (claim_class(claim) or ""):
        return "storageClassName does not match"
    if _volume_mode(pv) != _volume_mode(claim):
        return "incompatible volumeMode"
    if not _modes(claim) <= _modes(pv):
        return "incompatible accessMode"
    return ""


# ---------------------------------------------------------------------------------------------
# writes
# ---------------------------------------------------------------------------------------------
def _with_meta(obj: Obj, annotations: Mapping[str, str] | None = None, finalizers: tuple[str, ...] | None = None
               ) -> dict[str, Any]:
    out: dict[str, Any] = thaw(obj)
    md = out["metadata"]
    if annotations:
        md["annotations"] = {**(md.get("annotations") or {}), **annotations}
    if finalizers is not None:
        md["finalizers"] = list(finalizers)
        if not finalizers:
            md.pop("finalizers")
    return out


def _write(state: ClusterState, obj: dict[str, Any]) -> tuple[ClusterState, FrozenDict | None]:
    state, response = update(state, NAME, freeze(obj))
    stored = response.obj if response.rejection is None else None
    return state, stored if isinstance(stored, FrozenDict) else None


def _write_status(state: ClusterState, obj: Obj, **status: Any) -> tuple[ClusterState, FrozenDict]:
    current = obj.get("status") or EMPTY
    if all(current.get(k) == freeze(v) for k, v in status.items()):
        return state, FrozenDict(obj)
    new = thaw(obj)
    new_status = new.setdefault("status", {})
    for k, v in status.items():
        if v is None:
            new_status.pop(k, None)
        else:
            new_status[k] = v
    state, response = update_status(state, NAME, freeze(new))
    stored = response.obj if response.rejection is None else None
    return state, stored if isinstance(stored, FrozenDict) else FrozenDict(obj)


def record_event(state: ClusterState, obj: Obj, etype: str, reason: str, message: str) -> ClusterState:
    """An Event about ``obj`` (core/v1), once per object and reason; a new message updates it."""
    md = obj["metadata"]
    ns = md.get("namespace") or "default"
    name = f"{md['name']}.{reason.lower()}"
    existing = state.get("Event", ns, name)
    if existing is not None and existing.get("message") == message:
        return state
    now = state.timestamp()
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": obj["kind"], "apiVersion": obj.get("apiVersion", "v1"), "name": md["name"],
                           "uid": md.get("uid", ""), **({"namespace": md["namespace"]} if md.get("namespace") else {})},
        "reason": reason, "message": message, "type": etype, "count": 1,
        "source": {"component": "persistentvolume-controller"},
        "firstTimestamp": now, "lastTimestamp": now,
    }
    if existing is None:
        return create_many(state, NAME, (freeze(event),))[0]
    ev = thaw(existing)
    ev.update(message=message, lastTimestamp=now, count=int(ev.get("count") or 1) + 1)
    return update(state, NAME, freeze(ev))[0]


def _claim_ref(claim: Obj) -> dict[str, Any]:
    md = claim["metadata"]
    return {"kind": PVC, "apiVersion": "v1", "namespace": md["namespace"], "name": md["name"], "uid": md["uid"],
            "resourceVersion": md.get("resourceVersion", "")}


def bind(state: ClusterState, pv: FrozenDict, claim: FrozenDict) -> ClusterState:
    """bind: the volume's claimRef, its phase Bound, the claim's volumeName, its phase, modes and capacity."""
    if not _prebound_to(pv, claim) or not (pv["spec"].get("claimRef") or EMPTY).get("uid"):
        new_pv = _with_meta(pv, {ANN_BOUND_BY_CONTROLLER: "yes"} if not _prebound_to(pv, claim) else None)
        new_pv["spec"]["claimRef"] = _claim_ref(claim)
        state, stored = _write(state, new_pv)
        if stored is None:
            return state
        pv = stored
    state, pv = _write_status(state, pv, phase="Bound", message=None, reason=None)
    if claim["spec"].get("volumeName") != pv["metadata"]["name"] or (
            (claim["metadata"].get("annotations") or EMPTY).get(ANN_BIND_COMPLETED) != "yes"):
        ann = {ANN_BIND_COMPLETED: "yes"}
        if claim["spec"].get("volumeName") != pv["metadata"]["name"]:
            ann[ANN_BOUND_BY_CONTROLLER] = "yes"
        new_claim = _with_meta(claim, ann)
        new_claim["spec"]["volumeName"] = pv["metadata"]["name"]
        state, stored = _write(state, new_claim)
        if stored is None:
            return state
        claim = stored
    capacity = thaw(pv["spec"].get("capacity") or {})
    state, claim = _write_status(state, claim, phase="Bound", accessModes=list(pv["spec"].get("accessModes") or ()),
                                 capacity=capacity)
    return _wake_consumers(state, claim)


def _wake_consumers(state: ClusterState, claim: Obj) -> ClusterState:
    """A claim became usable: the scheduler retries pending pods, the kubelets of pods waiting for it sync."""
    from .. import volumes

    if "" in state.pods_by_node:
        state = state.enqueue("scheduler", "queue")
    return volumes.wake_blocked(state, claim["metadata"]["namespace"])


# ---------------------------------------------------------------------------------------------
# sync
# ---------------------------------------------------------------------------------------------
def sync(state: ClusterState, key: str) -> ClusterState:
    what, _, rest = key.partition("/")
    if what == "claim":
        ns, _, name = rest.partition("/")
        claim = state.get(PVC, ns, name)
        return state if claim is None else sync_claim(state, claim)
    pv = state.get(PV, "", rest)
    state = _index_volume(state, rest, pv)
    return state if pv is None else sync_volume(state, pv)


def sync_claim(state: ClusterState, claim: FrozenDict) -> ClusterState:
    if _deleting(claim):
        return _release_claim_protection(state, claim)
    if not claim["spec"].get("volumeName"):
        return _sync_unbound_claim(state, claim)
    return _sync_bound_claim(state, claim)


def _sync_unbound_claim(state: ClusterState, claim: FrozenDict) -> ClusterState:
    cls_name = claim_class(claim)
    if cls_name is None:
        default = default_class(state)
        if default is not None:  # retroactive default StorageClass assignment (GA in v1.28)
            new = thaw(claim)
            new["spec"]["storageClassName"] = default
            return _write(state, new)[0]
    sc = state.get("StorageClass", "", cls_name) if cls_name else None
    delay = sc is not None and sc.get("volumeBindingMode") == WFFC
    selected = (claim["metadata"].get("annotations") or EMPTY).get(ANN_SELECTED_NODE)
    node = state.get("Node", "", selected) if selected else None
    pv = find_best_match(state, claim, delay and node is None, node)
    if pv is not None:
        return bind(state, pv, claim)
    if delay and not selected:
        if "" in state.pods_by_node:  # a pod waiting for this claim may be placed now
            state = state.enqueue("scheduler", "queue")
        return record_event(state, claim, "Normal", "WaitForFirstConsumer",
                            "waiting for first consumer to be created before binding")
    if not cls_name:
        return record_event(state, claim, "Normal", "FailedBinding",
                            "no persistent volumes available for this claim and no storage class is set")
    if sc is None:
        return record_event(state, claim, "Warning", "ProvisioningFailed",
                            f'storageclass.storage.k8s.io "{cls_name}" not found')
    if (claim.get("spec") or EMPTY).get("selector") is not None:
        return record_event(state, claim, "Warning", "ProvisioningFailed",
                            "claim.Spec.Selector is not supported for dynamic provisioning")
    return _provision(state, claim, sc, selected)


def _provision(state: ClusterState, claim: FrozenDict, sc: FrozenDict, node: str | None) -> ClusterState:
    """provisionClaimOperation: mark the claim with its provisioner, then (if it runs) create the volume."""
    provisioner_name = str(sc.get("provisioner") or "")
    ann = claim["metadata"].get("annotations") or EMPTY
    if ann.get(ANN_STORAGE_PROVISIONER) != provisioner_name and provisioner_name != NO_PROVISIONER:
        state, stored = _write(state, _with_meta(claim, {ANN_STORAGE_PROVISIONER: provisioner_name,
                                                          ANN_BETA_STORAGE_PROVISIONER: provisioner_name}))
        if stored is None:
            return state
        claim = stored
    provisioner = PROVISIONERS.get(provisioner_name)
    if provisioner is None:
        if provisioner_name == NO_PROVISIONER:
            return record_event(state, claim, "Normal", "FailedBinding",
                                "no persistent volumes available for this claim and no storage class is set")
        return record_event(
            state, claim, "Normal", "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{provisioner_name}' or "
            "manually by the system administrator. If volume creation is delayed, please verify that the "
            "provisioner is running and correctly registered.")
    name = f"pvc-{claim['metadata']['uid']}"
    if state.get(PV, "", name) is not None:
        return state  # provisioned already: the volume's own sync binds it
    problems = provisioner.parameter_errors(sc.get("parameters") or EMPTY)
    if problems:
        return record_event(state, claim, "Warning", "ProvisioningFailed",
                            f"failed to provision volume with StorageClass \"{sc['metadata']['name']}\": "
                            + "; ".join(problems))
    spec = thaw(claim["spec"])
    requests = (spec.get("resources") or {}).get("requests") or {}
    pv: dict[str, Any] = {
        "apiVersion": "v1", "kind": PV,
        "metadata": {"name": name, "annotations": {ANN_PROVISIONED_BY: provisioner_name}},
        "spec": {
            "capacity": {"storage": requests.get("storage")},
            "accessModes": list(spec.get("accessModes") or ()),
            "volumeMode": spec.get("volumeMode") or "Filesystem",
            "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
            "storageClassName": sc["metadata"]["name"],
            "claimRef": _claim_ref(claim),
            **provisioner.volume_source(claim, sc, node),
        },
    }
    if sc.get("mountOptions"):
        pv["spec"]["mountOptions"] = list(sc["mountOptions"])
    state, response = create_many(state, NAME, (freeze(pv),))
    if response.rejection is not None:
        return record_event(state, claim, "Warning", "ProvisioningFailed", response.rejection.message)
    return record_event(state, claim, "Normal", "ProvisioningSucceeded",
                        f"Successfully provisioned volume {name} using {provisioner_name}")


def _sync_bound_claim(state: ClusterState, claim: FrozenDict) -> ClusterState:
    name = claim["spec"]["volumeName"]
    pv = state.get(PV, "", name)
    if pv is None:
        if _phase(claim) == "Lost":
            return state
        state, claim = _write_status(state, claim, phase="Lost")
        return record_event(state, claim, "Warning", "ClaimLost",
                            "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
    ref = pv["spec"].get("claimRef")
    if not ref:
        if _phase(pv) not in ("Available", "Pending", ""):
            return state
        why = _satisfies(pv, claim)
        if why:
            return record_event(state, claim, "Warning", "VolumeMismatch",
                                f'Cannot bind to requested volume "{name}": {why}')
        return bind(state, pv, claim)
    if not _prebound_to(pv, claim):
        if _phase(claim) == "Bound":
            state, claim = _write_status(state, claim, phase="Lost")
            return record_event(state, claim, "Warning", "ClaimMisbound",
                                "Two claims are bound to the same volume, this one is bound incorrectly")
        return record_event(state, claim, "Warning", "FailedBinding",
                            f'volume "{name}" already bound to a different claim.')
    if _phase(claim) != "Bound" or _phase(pv) != "Bound" or not ref.get("uid"):
        return bind(state, pv, claim)
    return _expand(state, pv, claim)


def _expand(state: ClusterState, pv: FrozenDict, claim: FrozenDict) -> ClusterState:
    """A bound claim asking for more than its volume has: the volume grows (resizer and kubelet at once)."""
    want = storage_request(claim)
    if want <= volume_capacity(pv):
        cap = (claim.get("status") or EMPTY).get("capacity")
        if cap != pv["spec"].get("capacity"):
            state, claim = _write_status(state, claim, capacity=thaw(pv["spec"].get("capacity") or {}))
        return state
    provisioner = PROVISIONERS.get(str((pv["metadata"].get("annotations") or EMPTY).get(ANN_PROVISIONED_BY) or ""))
    if provisioner is None or not provisioner.can_expand():
        return record_event(state, claim, "Warning", "ExternalExpanding",
                            "waiting for an external controller to expand this PVC")
    requested = claim["spec"]["resources"]["requests"]["storage"]
    new_pv = thaw(pv)
    new_pv["spec"]["capacity"]["storage"] = requested
    state, stored = _write(state, new_pv)
    if stored is None:
        return state
    state, claim = _write_status(state, claim, capacity=thaw(stored["spec"]["capacity"]),
                                 allocatedResources={"storage": requested})
    return record_event(state, claim, "Normal", "FileSystemResizeSuccessful",
                        "MountVolume.NodeExpandVolume succeeded for volume")


def _claim_in_use(state: ClusterState, claim: Obj) -> bool:
    """pvcprotection isBeingUsed: a pod of the namespace that is not terminal names the claim."""
    md = claim["metadata"]
    for pod in state.iter_kind("Pod", md["namespace"]):
        if (pod.get("status") or EMPTY).get("phase") in ("Succeeded", "Failed"):
            continue
        for v in pod["spec"].get("volumes") or ():
            pvc = v.get("persistentVolumeClaim")
            if pvc is not None and pvc.get("claimName") == md["name"]:
                return True
    return False


def _release_claim_protection(state: ClusterState, claim: FrozenDict) -> ClusterState:
    finalizers = tuple(claim["metadata"].get("finalizers") or ())
    if PVC_PROTECTION not in finalizers or _claim_in_use(state, claim):
        return state
    return _write(state, _with_meta(claim, finalizers=tuple(f for f in finalizers if f != PVC_PROTECTION)))[0]


def sync_volume(state: ClusterState, pv: FrozenDict) -> ClusterState:
    from .. import volumes

    if _deleting(pv):
        # pvprotection isBeingUsed: Bound to a claim that still exists
        finalizers = tuple(pv["metadata"].get("finalizers") or ())
        ref = pv["spec"].get("claimRef") or EMPTY
        claim = state.get(PVC, str(ref.get("namespace") or ""), str(ref.get("name") or ""))
        used = _phase(pv) == "Bound" and claim is not None and claim["metadata"]["uid"] == ref.get("uid")
        if PV_PROTECTION in finalizers and not used:
            state = _write(state, _with_meta(pv, finalizers=tuple(f for f in finalizers if f != PV_PROTECTION)))[0]
        if state.get(PV, "", pv["metadata"]["name"]) is None:
            state = volumes.drop_data(state, pv["metadata"]["name"])
        return state
    ref = pv["spec"].get("claimRef")
    if not ref:
        if _phase(pv) != "Available":
            state, pv = _write_status(state, pv, phase="Available")
            state = _wake_unbound_claims(state)
        return state
    claim = state.get(PVC, str(ref.get("namespace") or ""), str(ref.get("name") or ""))
    if not ref.get("uid"):
        # pre-bound by its creator to a claim the controller has not bound yet
        if _phase(pv) not in ("Available", "Released", "Failed"):
            state, pv = _write_status(state, pv, phase="Available")
        return state if claim is None else state.enqueue(NAME, _claim_key(claim))
    if claim is not None and claim["metadata"]["uid"] != ref.get("uid"):
        claim = None
    if claim is None:
        if _phase(pv) not in ("Released", "Failed"):
            state, pv = _write_status(state, pv, phase="Released")
            return _reclaim(state, pv)
        return state
    if not claim["spec"].get("volumeName"):
        return state.enqueue(NAME, _claim_key(claim))
    if claim["spec"]["volumeName"] == pv["metadata"]["name"]:
        if _phase(pv) != "Bound":
            state, pv = _write_status(state, pv, phase="Bound")
        return state
    # the claim is bound to another volume: a volume the controller pre-bound is freed
    if (pv["metadata"].get("annotations") or EMPTY).get(ANN_BOUND_BY_CONTROLLER) == "yes":
        new = thaw(pv)
        new["spec"].pop("claimRef", None)
        new["metadata"]["annotations"].pop(ANN_BOUND_BY_CONTROLLER, None)
        state, stored = _write(state, new)
        if stored is not None:
            state, _ = _write_status(state, stored, phase="Available")
    return state


def _reclaim(state: ClusterState, pv: FrozenDict) -> ClusterState:
    """reclaimVolume: Retain keeps the Released volume; Delete removes it; Recycle scrubs it."""
    from .. import volumes

    policy = pv["spec"].get("persistentVolumeReclaimPolicy") or "Retain"
    name = pv["metadata"]["name"]
    if policy == "Retain":
        return state
    if policy == "Recycle":
        new = thaw(pv)
        new["spec"].pop("claimRef", None)
        state, stored = _write(state, new)
        if stored is None:
            return state
        state = volumes.drop_data(state, name)
        state, _ = _write_status(state, stored, phase="Available")
        return _wake_unbound_claims(state)
    provisioner = str((pv["metadata"].get("annotations") or EMPTY).get(ANN_PROVISIONED_BY) or "")
    if provisioner not in PROVISIONERS:
        state, pv = _write_status(state, pv, phase="Failed",
                                  message=f'error getting deleter volume plugin for volume "{name}": no deletable '
                                          "volume plugin matched")
        return record_event(state, pv, "Warning", "VolumeFailedDelete", pv["status"]["message"])
    state = delete(state, NAME, PV, "", name)[0]
    if state.get(PV, "", name) is None:
        state = volumes.drop_data(state, name)
    return state


def _claim_key(claim: Obj) -> str:
    return f"claim/{claim['metadata']['namespace']}/{claim['metadata']['name']}"


def _wake_unbound_claims(state: ClusterState) -> ClusterState:
    """A volume became Available or a class appeared: the unbound claims may match now (the resync)."""
    items = [(NAME, _claim_key(c)) for c in state.iter_kind(PVC)
             if not c["spec"].get("volumeName") and not _deleting(c)]
    return state.enqueue_many(items)


# ---------------------------------------------------------------------------------------------
# watches
# ---------------------------------------------------------------------------------------------
def _claim_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    obj = new if new is not None else old
    assert obj is not None
    keys = [_claim_key(obj)] if new is not None else []
    volume = (obj.get("spec") or EMPTY).get("volumeName")
    if volume and (new is None or _deleting(new)):
        keys.append(f"volume/{volume}")
    return keys


def _volume_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    obj = new if new is not None else old
    assert obj is not None
    keys = [f"volume/{obj['metadata']['name']}"]
    ref = (obj.get("spec") or EMPTY).get("claimRef")
    if ref and ref.get("namespace") and ref.get("name"):
        keys.append(f"claim/{ref['namespace']}/{ref['name']}")
    return keys


def _class_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is None or (old is not None and old["metadata"].get("annotations") == new["metadata"].get("annotations")):
        return ()
    return [_claim_key(c) for c in state.iter_kind(PVC) if not c["spec"].get("volumeName") and not _deleting(c)]


def _pod_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    """A pod that used claims is gone or finished: claims being deleted may lose their protection."""
    pod = old if new is None else new
    assert pod is not None
    volumes = pod["spec"].get("volumes")
    if not volumes or (new is not None and (new.get("status") or EMPTY).get("phase") not in ("Succeeded", "Failed")):
        return ()
    ns = pod["metadata"]["namespace"]
    keys = []
    for v in volumes:
        pvc = v.get("persistentVolumeClaim")
        if pvc is not None:
            claim = state.get(PVC, ns, pvc.get("claimName", ""))
            if claim is not None and _deleting(claim):
                keys.append(_claim_key(claim))
    return keys


def _claim_namespaces(state: ClusterState) -> Any:
    """The namespaces that hold a claim (the claims' namespace map: it keeps no empty namespace): the gate of
    the pod watch, which looks only at claims in the pod's own namespace."""
    return state.objects.get(PVC) or ()


register(Controller(NAME, sync, {PVC: _claim_keys, PV: _volume_keys, "StorageClass": _class_keys, "Pod": _pod_keys},
                    gates={"Pod": _claim_namespaces}))

