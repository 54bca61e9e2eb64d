"""CSIDriver and VolumeAttachment (storage.k8s.io/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/storage/validation/validation.go`` (ValidateCSIDriver, validateCSIDriverSpec,
validateAttachRequired, validatePodInfoOnMount, validateStorageCapacity, validateFSGroupPolicy,
validateTokenRequests, validateVolumeLifecycleModes, validateSELinuxMount, ValidateCSIDriverUpdate,
ValidateVolumeAttachment, ValidateVolumeAttachmentV1, validateVolumeAttachmentSource,
ValidateVolumeAttachmentUpdate) with ``pkg/apis/core/validation`` (ValidateCSIDriverName,
ValidatePersistentVolumeSpec) and ``pkg/apis/storage/v1/defaults.go`` (SetDefaults_CSIDriver).
**Modelled:** CSIDriver: the driver name (at most 63 characters, a DNS subdomain once lower-cased, at path
``name`` as upstream reports it), the defaulted booleans, fsGroupPolicy, token requests (unique audiences,
10 minutes to 2^32 seconds), volume lifecycle modes, and attachRequired, volumeLifecycleModes immutable.
VolumeAttachment: the attacher (a CSI driver name), exactly one source (a PV name or an inline PV spec: a CSI
source with access modes, no capacity or claimRef), the node name, and the spec immutable.
**Not modelled (and why):** attaching itself (no attach/detach controller or CSI driver runs in the model);
status validation (written by the external attacher); the inline spec's CSI source fields (the rest of
ValidatePersistentVolumeSpec).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, duplicate, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import as_dict, as_list, dns1123_subdomain_errors, immutable, meta_finalizer_errors

__all__ = ["default_csi_driver", "validate_csi_driver", "validate_csi_driver_update", "validate_volume_attachment",
           "validate_volume_attachment_update"]

Obj = dict[str, Any]

FS_GROUP_POLICIES = ("File", "None", "ReadWriteOnceWithFSType")
LIFECYCLE_MODES = ("Persistent", "Ephemeral")


def csi_driver_name_errors(name: str, field: str) -> list[FieldError]:
    """ValidateCSIDriverName."""
    errs: list[FieldError] = []
    if not name:
        errs.append(required(field))
    if len(name) > 63:
        errs.append(FieldError("Too long", field, "must have at most 63 bytes", name, False))
    errs += [invalid(field, name, m) for m in dns1123_subdomain_errors(name.lower())]
    return errs


def default_csi_driver(obj: Obj) -> None:
    """SetDefaults_CSIDriver (CSIInlineVolume is GA; SELinuxMountReadWriteOncePod is on in v1.32)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    for key, value in (("attachRequired", True), ("podInfoOnMount", False), ("storageCapacity", False),
                       ("fsGroupPolicy", "ReadWriteOnceWithFSType"), ("requiresRepublish", False),
                       ("seLinuxMount", False)):
        if spec.get(key) is None:
            spec[key] = value
    if not as_list(spec.get("volumeLifecycleModes")):
        spec["volumeLifecycleModes"] = ["Persistent"]


def validate_csi_driver(obj: Obj) -> list[FieldError]:
    """ValidateCSIDriver (the name is checked here, not by ValidateObjectMeta)."""
    errs = meta_finalizer_errors(obj)
    errs += csi_driver_name_errors(str(as_dict(obj.get("metadata")).get("name") or ""), "name")
    spec = as_dict(obj.get("spec"))
    for key, path in (("attachRequired", "attachedRequired"), ("podInfoOnMount", "podInfoOnMount"),
                      ("storageCapacity", "storageCapacity"), ("seLinuxMount", "seLinuxMount")):
        if spec.get(key) is None:
            errs.append(required(f"spec.{path}"))
    policy = spec.get("fsGroupPolicy")
    if policy is not None and policy not in FS_GROUP_POLICIES:
        errs.append(not_supported("spec.fsGroupPolicy", policy, FS_GROUP_POLICIES))
    errs += _token_requests(spec.get("tokenRequests"))
    for mode in as_list(spec.get("volumeLifecycleModes")):
        if mode not in LIFECYCLE_MODES:
            errs.append(not_supported("spec.volumeLifecycleModes", mode, LIFECYCLE_MODES))
    return errs


def _token_requests(requests: Any) -> list[FieldError]:
    """validateTokenRequests."""
    errs: list[FieldError] = []
    audiences: set[str] = set()
    for i, req in enumerate(as_list(requests)):
        r = as_dict(req)
        path = f"spec.tokenRequests[{i}]"
        audience = str(r.get("audience") or "")
        if audience in audiences:
            errs.append(duplicate(f"{path}.audience", audience))
            continue
        audiences.add(audience)
        seconds = r.get("expirationSeconds")
        if not isinstance(seconds, int):
            continue
        if seconds < 600:
            errs.append(invalid(f"{path}.expirationSeconds", seconds, "may not specify a duration less than 10 minutes"))
        if seconds > 1 << 32:
            errs.append(invalid(f"{path}.expirationSeconds", seconds,
                                "may not specify a duration larger than 2^32 seconds"))
    return errs


def validate_csi_driver_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateCSIDriverUpdate: attachRequired and volumeLifecycleModes never change (upstream's path for the
    first is ``spec.attachedRequired``)."""
    spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    return (immutable(spec.get("attachRequired"), old_spec.get("attachRequired"), "spec.attachedRequired")
            + immutable(spec.get("volumeLifecycleModes"), old_spec.get("volumeLifecycleModes"),
                        "spec.volumeLifecycleModes"))


def _inline_volume_spec(spec: Obj, field: str) -> list[FieldError]:
    """ValidatePersistentVolumeSpec with validateInlinePersistentVolumeSpec: no claimRef or capacity, a CSI
    source, access modes."""
    errs: list[FieldError] = []
    if spec.get("claimRef") is not None:
        errs.append(forbidden(f"{field}.claimRef", "may not be specified in the context of inline volumes"))
    if as_dict(spec.get("capacity")):
        errs.append(forbidden(f"{field}.capacity", "may not be specified in the context of inline volumes"))
    if not isinstance(spec.get("csi"), dict):
        errs.append(required(f"{field}.csi", "has to be specified in the context of inline volumes"))
    if not as_list(spec.get("accessModes")):
        errs.append(required(f"{field}.accessModes"))
    return errs


def validate_volume_attachment(obj: Obj) -> list[FieldError]:
    """ValidateVolumeAttachment and ValidateVolumeAttachmentV1."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    attacher = spec.get("attacher") if isinstance(spec.get("attacher"), str) else ""
    if not attacher:
        errs.append(required("spec.attacher"))
    source = as_dict(spec.get("source"))
    pv_name, inline = source.get("persistentVolumeName"), source.get("inlineVolumeSpec")
    if pv_name is None and inline is None:
        errs.append(required("spec.source", "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
    elif pv_name is not None and inline is not None:
        errs.append(forbidden("spec.source", "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
    elif pv_name is not None:
        if not pv_name:
            errs.append(required("spec.source.persistentVolumeName", "must specify non empty persistentVolumeName"))
    elif isinstance(inline, dict):
        errs += _inline_volume_spec(inline, "spec.source.inlineVolumeSpec")
    node = str(spec.get("nodeName") or "")
    errs += [invalid("spec.nodeName", node, m) for m in dns1123_subdomain_errors(node)]
    # ValidateVolumeAttachmentV1
    errs += csi_driver_name_errors(str(attacher), "spec.attacher") if attacher else []
    if isinstance(pv_name, str) and pv_name:
        errs += [invalid("spec.source.persistentVolumeName", pv_name, m) for m in dns1123_subdomain_errors(pv_name)]
    return errs


def validate_volume_attachment_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateVolumeAttachmentUpdate: the spec never changes."""
    if as_dict(new.get("spec")) != as_dict(old.get("spec")):
        return [invalid("spec", dict(as_dict(new.get("spec"))), "field is immutable")]
    return []


REGISTRY["CSIDriver"] = KindInfo(
    "CSIDriver", ("storage.k8s.io/v1",), False, "csidrivers", (), name_rule="path", default=default_csi_driver,
    validate=validate_csi_driver, validate_update=validate_csi_driver_update, has_status=False, top_level=("spec",),
)
REGISTRY["VolumeAttachment"] = KindInfo(
    "VolumeAttachment", ("storage.k8s.io/v1",), False, "volumeattachments", (), name_rule="subdomain",
    validate=validate_volume_attachment, validate_update=validate_volume_attachment_update, reconciled=False,
)
