"""PersistentVolume and PersistentVolumeClaim: defaulting, create and update validation.

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_PersistentVolume: reclaim policy ``Retain``,
volumeMode ``Filesystem``; SetDefaults_PersistentVolumeClaimSpec: volumeMode ``Filesystem``) and
``pkg/apis/core/validation/validation.go`` (ValidatePersistentVolume, ValidatePersistentVolumeSpec,
ValidatePersistentVolumeUpdate, ValidatePersistentVolumeClaim, ValidatePersistentVolumeClaimSpec,
ValidatePersistentVolumeClaimUpdate with validateStorageClassUpgradeFromAnnotation /
validateStorageClassUpgradeFromNil, validateDataSource, validateDataSourceRef, validateVolumeNodeAffinity).
**Modelled:** PV-8 and PV-10: access modes (required, supported, ReadWriteOncePod alone), capacity
(``storage`` only, positive), exactly one volume source with the sources' required fields, local volumes
need node affinity, reclaim policy and volume mode enums, storage class names; claims: access modes,
``resources.requests.storage`` required and positive, selector, data sources; updates: the PV source and
volume mode are immutable, a claim's spec is immutable except ``volumeName`` once and, for bound claims,
``resources.requests`` (with RecoverVolumeExpansionFailure, beta and on in v1.32, a request may shrink but
not to or below ``status.capacity``), the legacy ``volume.beta.kubernetes.io/storage-class`` annotation
upgrade path.
Admission (``plugin/pkg/admission/storage/persistentvolume/resize``, ``plugin/pkg/admission/storageclass/
setdefault``, ``plugin/pkg/admission/storage/storageobjectinuseprotection``): a claim grows only when its class
has ``allowVolumeExpansion``; a claim with no class gets the default class; claims and volumes get their
protection finalizers; both start in phase Pending (the binder is ``refmodel/controllers/persistentvolume.py``).
**Not modelled (and why):** VolumeAttributesClass (beta, off by default in v1.32); the
in-tree plugins' less common fields (ISCSI IQN formats, Azure disk URIs).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    immutable,
    meta_finalizer_errors,
    quantity,
    render_quantity,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_label_selector,
)

__all__ = [
    "default_persistent_volume",
    "default_pvc",
    "validate_persistent_volume",
    "validate_persistent_volume_update",
    "validate_pvc",
    "validate_pvc_spec",
    "validate_pvc_update",
]

Obj = dict[str, Any]

ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
VOLUME_MODES = ("Block", "Filesystem")
BETA_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
# PersistentVolumeSource members in ValidatePersistentVolumeSpec's order, with their required fields.
PV_SOURCES: dict[str, tuple[str, ...]] = {
    "hostPath": ("path",),
    "gcePersistentDisk": ("pdName",),
    "awsElasticBlockStore": ("volumeID",),
    "glusterfs": ("endpoints", "path"),
    "flocker": (),
    "nfs": ("server", "path"),
    "rbd": ("monitors", "image"),
    "quobyte": ("registry", "volume"),
    "cephfs": ("monitors",),
    "iscsi": ("targetPortal", "iqn"),
    "cinder": ("volumeID",),
    "fc": (),
    "flexVolume": ("driver",),
    "azureFile": ("secretName", "shareName"),
    "vsphereVolume": ("volumePath",),
    "photonPersistentDisk": ("pdID",),
    "portworxVolume": ("volumeID",),
    "azureDisk": ("diskName", "diskURI"),
    "scaleIO": ("gateway", "system", "volumeName"),
    "local": ("path",),
    "storageos": ("volumeName",),
    "csi": ("driver", "volumeHandle"),
}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def default_persistent_volume(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")


def default_pvc_spec(spec: Obj) -> None:
    spec.setdefault("volumeMode", "Filesystem")


def default_pvc(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        default_pvc_spec(spec)


def _access_modes(modes: Any, field: str, required_msg: str) -> list[FieldError]:
    items = as_list(modes)
    errs: list[FieldError] = []
    if not items:
        errs.append(required(field, required_msg))
    rwop = other = False
    for mode in items:
        if mode not in ACCESS_MODES:
            errs.append(not_supported(field, mode, ACCESS_MODES))
        elif mode == "ReadWriteOncePod":
            rwop = True
        else:
            other = True
    if rwop and other:
        errs.append(forbidden(field, "may not use ReadWriteOncePod with other access modes"))
    return errs


def _class_name(value: Any, field: str) -> list[FieldError]:
    name = _str(value)
    return validate_dns1123_subdomain(name, field) if name else []


def _validate_node_affinity(affinity: Any, field: str) -> list[FieldError]:
    from .pod import validate_node_selector

    required_sel = as_dict(affinity).get("required")
    if not isinstance(required_sel, dict):
        return [required(f"{field}.required", "must specify required node constraints")]
    return validate_node_selector(required_sel, f"{field}.required")


def validate_persistent_volume_spec(spec: Obj, name: str, field: str = "spec") -> list[FieldError]:
    errs = _access_modes(spec.get("accessModes"), f"{field}.accessModes", "")
    capacity = spec.get("capacity")
    cap = as_dict(capacity)
    if not cap:
        errs.append(required(f"{field}.capacity"))
    if "storage" not in cap or len(cap) > 1:
        errs.append(not_supported(f"{field}.capacity", cap, ("storage",)))
    for res, value in cap.items():
        q = quantity(value)
        if q is None:
            continue
        if q < 0:
            errs.append(invalid(f"{field}.capacity[{res}]", render_quantity(value), "must be a valid resource quantity"))
        if q <= 0:
            errs.append(invalid(f"{field}.capacity[{res}]", render_quantity(value), "must be greater than zero"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported(f"{field}.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES))
    has_affinity = spec.get("nodeAffinity") is not None
    if has_affinity:
        errs += _validate_node_affinity(spec.get("nodeAffinity"), f"{field}.nodeAffinity")
    count = 0
    for key, needed in PV_SOURCES.items():
        if key not in spec:
            continue
        if count > 0:
            errs.append(forbidden(f"{field}.{key}", "may not specify more than 1 volume type"))
            continue
        count += 1
        src = as_dict(spec.get(key))
        for req in needed:
            if src.get(req) in (None, "", []):
                errs.append(required(f"{field}.{key}.{req}"))
        if key in ("hostPath", "local") and ".." in _str(src.get("path")).split("/"):
            errs.append(invalid(f"{field}.{key}.path", src.get("path"), "must not contain '..'"))
        if key == "nfs" and _str(src.get("path")) and not _str(src.get("path")).startswith("/"):
            errs.append(invalid(f"{field}.nfs.path", src.get("path"), "must be an absolute path"))
        if key == "local" and not has_affinity:
            errs.append(required(f"{field}.nodeAffinity", "Local volume requires node affinity"))
        if key == "storageos" and _str(src.get("volumeName")):
            errs += validate_dns1123_label(src["volumeName"], f"{field}.storageos.volumeName")
    if count == 0:
        errs.append(required(field, "must specify a volume type"))
    host_path = _str(as_dict(spec.get("hostPath")).get("path"))
    if host_path and host_path.rstrip("/") == "" and policy == "Recycle":
        errs.append(forbidden(f"{field}.persistentVolumeReclaimPolicy", "may not be 'recycle' for a hostPath mount "
                                                                        "of '/'"))
    errs += _class_name(spec.get("storageClassName"), f"{field}.storageClassName")
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errs.append(not_supported(f"{field}.volumeMode", mode, VOLUME_MODES))
    return errs


def validate_persistent_volume(obj: Obj) -> list[FieldError]:
    """ValidatePersistentVolume (PV-10: cluster-scoped, DNS subdomain names)."""
    errs = meta_finalizer_errors(obj)
    name = _str(as_dict(obj.get("metadata")).get("name"))
    return errs + validate_persistent_volume_spec(as_dict(obj.get("spec")), name)


def _source_of(spec: Obj) -> dict[str, Any]:
    return {k: spec[k] for k in PV_SOURCES if k in spec}


def validate_persistent_volume_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidatePersistentVolumeUpdate: the volume source and volume mode are immutable."""
    old_spec, new_spec = as_dict(old.get("spec")), as_dict(new.get("spec"))
    old_src, new_src = _source_of(old_spec), _source_of(new_spec)
    old_csi, new_csi = as_dict(old_src.get("csi")), as_dict(new_src.get("csi"))
    if old_csi and new_csi and "controllerExpandSecretRef" not in old_csi:
        new_src = {**new_src, "csi": {k: v for k, v in new_csi.items() if k != "controllerExpandSecretRef"}}
    errs: list[FieldError] = []
    if new_src != old_src:
        errs.append(forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after "
                                                             "creation"))
    errs += immutable(new_spec.get("volumeMode"), old_spec.get("volumeMode"), "volumeMode")
    if old_spec.get("nodeAffinity") is not None and new_spec.get("nodeAffinity") != old_spec.get("nodeAffinity"):
        errs.append(invalid("nodeAffinity", new_spec.get("nodeAffinity"),
                            "field is immutable, except for updating from beta label to GA"))
    return errs


def _data_source(ref: Any, field: str) -> list[FieldError]:
    r = as_dict(ref)
    errs: list[FieldError] = []
    if not _str(r.get("name")):
        errs.append(required(f"{field}.name"))
    if not _str(r.get("kind")):
        errs.append(required(f"{field}.kind"))
    group = _str(r.get("apiGroup"))
    if not group and r.get("kind") != "PersistentVolumeClaim":
        errs.append(invalid(field, r.get("kind", ""), "must be 'PersistentVolumeClaim' when referencing the default "
                                                      "apiGroup"))
    if group:
        errs += validate_dns1123_subdomain(group, f"{field}.apiGroup")
    return errs


def validate_pvc_spec(spec: Obj, field: str = "spec") -> list[FieldError]:
    """ValidatePersistentVolumeClaimSpec (also used for StatefulSet and ephemeral claim templates)."""
    errs = _access_modes(spec.get("accessModes"), f"{field}.accessModes", "at least 1 access mode is required")
    if spec.get("selector") is not None:
        errs += validate_label_selector(spec.get("selector"), f"{field}.selector")
    requests = as_dict(as_dict(spec.get("resources")).get("requests"))
    storage_path = f"{field}.resources[storage]"
    if "storage" not in requests:
        errs.append(required(storage_path))
    else:
        q = quantity(requests["storage"])
        if q is not None and q <= 0:
            errs.append(invalid(storage_path, render_quantity(requests["storage"]), "must be greater than zero"))
    errs += _class_name(spec.get("storageClassName"), f"{field}.storageClassName")
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errs.append(not_supported(f"{field}.volumeMode", mode, VOLUME_MODES))
    if spec.get("dataSource") is not None:
        errs += _data_source(spec.get("dataSource"), f"{field}.dataSource")
    ref = spec.get("dataSourceRef")
    if ref is not None:
        errs += _data_source(ref, f"{field}.dataSourceRef")
        ns = _str(as_dict(ref).get("namespace"))
        if ns:
            errs += validate_dns1123_label(ns, f"{field}.dataSourceRef.namespace")
            if spec.get("dataSource") is not None:
                errs.append(invalid(field, f"{field}.dataSource", "may not be specified when dataSourceRef.namespace "
                                                                  "is specified"))
        elif spec.get("dataSource") is not None:
            ds = as_dict(spec.get("dataSource"))
            r = as_dict(ref)
            if (ds.get("apiGroup"), ds.get("kind"), ds.get("name")) != (r.get("apiGroup"), r.get("kind"),
                                                                       r.get("name")):
                errs.append(invalid(field, f"{field}.dataSource", "must match dataSourceRef"))
    return errs


def validate_pvc(obj: Obj) -> list[FieldError]:
    return meta_finalizer_errors(obj) + validate_pvc_spec(as_dict(obj.get("spec")))


def _annotations(obj: Obj) -> dict[str, Any]:
    return as_dict(as_dict(obj.get("metadata")).get("annotations"))


def validate_pvc_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidatePersistentVolumeClaimUpdate (PV-8). Status is the live object's (PrepareForUpdate)."""
    errs: list[FieldError] = []
    old_spec, new_spec = as_dict(old.get("spec")), as_dict(new.get("spec"))
    old_clone, new_clone = dict(old_spec), dict(new_spec)
    if not _str(old_spec.get("volumeName")):
        old_clone.pop("volumeName", None)
        if "volumeName" in new_spec:
            old_clone["volumeName"] = new_spec["volumeName"]
    old_ann, new_ann = _annotations(old), _annotations(new)
    old_sc, new_sc = old_spec.get("storageClassName"), new_spec.get("storageClassName")
    if (BETA_STORAGE_CLASS_ANNOTATION in old_ann and old_sc is None and new_sc is not None
            and new_sc == old_ann[BETA_STORAGE_CLASS_ANNOTATION]
            and new_ann.get(BETA_STORAGE_CLASS_ANNOTATION, new_sc) == old_ann[BETA_STORAGE_CLASS_ANNOTATION]):
        new_clone.pop("storageClassName", None)
    else:
        new_value = _str(new_ann.get(BETA_STORAGE_CLASS_ANNOTATION))
        if new_value != _str(old_ann.get(BETA_STORAGE_CLASS_ANNOTATION)):
            errs.append(invalid(f"metadata.annotations.{BETA_STORAGE_CLASS_ANNOTATION}", new_value,
                                "field is immutable"))
        if (new_sc is not None and old_sc is None
                and (BETA_STORAGE_CLASS_ANNOTATION not in old_ann or new_sc == old_ann[BETA_STORAGE_CLASS_ANNOTATION])):
            new_clone.pop("storageClassName", None)
    bound = as_dict(old.get("status")).get("phase") == "Bound"
    new_requests = as_dict(as_dict(new_spec.get("resources")).get("requests"))
    old_requests = as_dict(as_dict(old_spec.get("resources")).get("requests"))
    if bound and "resources" in new_clone:
        res = dict(as_dict(new_clone["resources"]))
        requests = dict(as_dict(res.get("requests")))
        if "storage" in old_requests:
            requests["storage"] = old_requests["storage"]
        else:
            requests.pop("storage", None)
        res["requests"] = requests
        new_clone["resources"] = res
    if bound and "volumeAttributesClassName" in new_clone:
        new_clone["volumeAttributesClassName"] = old_spec.get("volumeAttributesClassName")
    if new_clone != old_clone:
        errs.append(forbidden("spec", "spec is immutable after creation except resources.requests and "
                                      "volumeAttributesClassName for bound claims"))
    new_size, old_size = quantity(new_requests.get("storage")), quantity(old_requests.get("storage"))
    status_size = quantity(as_dict(as_dict(old.get("status")).get("capacity")).get("storage")) or 0
    if new_size is not None and old_size is not None and new_size < old_size and new_size <= status_size:
        errs.append(forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"))
    errs += immutable(new_spec.get("volumeMode"), old_spec.get("volumeMode"), "volumeMode")
    return errs


# ---------------------------------------------------------------------------------------------
# admission (the plugins that need the cluster) and PrepareForCreate
# ---------------------------------------------------------------------------------------------
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def _with_finalizer(md: Any, finalizer: str) -> Any:
    from ..frozen import with_

    finalizers = tuple(md.get("finalizers") or ())
    return md if finalizer in finalizers else with_(md, finalizers=(*finalizers, finalizer))


def prepare_pvc(state: Any, pvc: Any) -> Any:
    """PrepareForCreate (phase Pending), the DefaultStorageClass admission plugin (an unset class becomes the
    default class, if there is one) and StorageObjectInUseProtection (the pvc-protection finalizer)."""
    from ..frozen import FrozenDict, with_

    spec = pvc["spec"]
    annotations = pvc["metadata"].get("annotations") or {}
    if spec.get("storageClassName") is None and BETA_STORAGE_CLASS_ANNOTATION not in annotations:
        from ..controllers.persistentvolume import default_class

        default = default_class(state)
        if default is not None:
            spec = with_(spec, storageClassName=default)
    md = _with_finalizer(pvc["metadata"], PVC_PROTECTION)
    return with_(pvc, metadata=md, spec=spec, status=FrozenDict({"phase": "Pending"}))


def prepare_persistent_volume(state: Any, pv: Any) -> Any:
    """PrepareForCreate (phase Pending) and StorageObjectInUseProtection (the pv-protection finalizer)."""
    from ..frozen import FrozenDict, with_

    return with_(pv, metadata=_with_finalizer(pv["metadata"], PV_PROTECTION), status=FrozenDict({"phase": "Pending"}))


def admit_pvc_update(state: Any, old: Obj, new: Obj) -> Any:
    """The PersistentVolumeClaimResize admission plugin: a claim may grow only if its class allows expansion."""
    from ..errors import Rejection

    new_size = quantity(as_dict(as_dict(as_dict(new.get("spec")).get("resources")).get("requests")).get("storage"))
    old_size = quantity(as_dict(as_dict(as_dict(old.get("spec")).get("resources")).get("requests")).get("storage"))
    if new_size is None or old_size is None or new_size <= old_size:
        return None
    cls = _str(as_dict(new.get("spec")).get("storageClassName"))
    sc = state.get("StorageClass", "", cls) if cls else None
    if sc is not None and sc.get("allowVolumeExpansion") is True:
        return None
    name = _str(as_dict(new.get("metadata")).get("name"))
    return Rejection("Forbidden", f'persistentvolumeclaims "{name}" is forbidden: only dynamically provisioned pvc '
                     "can be resized and the storageclass that provisions the pvc must support resize", 403,
                     "PersistentVolumeClaim", name)


REGISTRY["PersistentVolume"] = KindInfo(
    "PersistentVolume", ("v1",), False, "persistentvolumes", ("pv",), default=default_persistent_volume,
    validate=validate_persistent_volume, validate_update=validate_persistent_volume_update,
    prepare_create=prepare_persistent_volume,
)
REGISTRY["PersistentVolumeClaim"] = KindInfo(
    "PersistentVolumeClaim", ("v1",), True, "persistentvolumeclaims", ("pvc",), default=default_pvc,
    validate=validate_pvc, validate_update=validate_pvc_update, prepare_create=prepare_pvc,
    admit_update=admit_pvc_update,
)
