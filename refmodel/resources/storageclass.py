"""StorageClass (storage.k8s.io/v1): defaulting, create and update validation.

**Mirrors:** ``pkg/apis/storage/v1/defaults.go`` (SetDefaults_StorageClass: reclaimPolicy ``Delete``,
volumeBindingMode ``Immediate``) and ``pkg/apis/storage/validation/validation.go`` (ValidateStorageClass,
validateProvisioner, validateParameters, validateReclaimPolicy, validateVolumeBindingMode,
validateAllowedTopologies with ``pkg/apis/core/validation`` ValidateTopologySelectorTerm,
ValidateStorageClassUpdate).
**Modelled:** PV-7 and PV-10: provisioner required and a qualified name, parameter keys non-empty and
bounded, reclaim policy ``Delete``/``Retain``, binding mode ``Immediate``/``WaitForFirstConsumer``,
allowed topologies (values required and unique, keys qualified, no duplicate terms); updates may not
change parameters, provisioner, reclaimPolicy or volumeBindingMode.
**Not modelled (and why):** nothing else is validated upstream for this kind.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, duplicate, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    immutable,
    meta_finalizer_errors,
    qualified_name_errors,
    validate_qualified_name,
)

__all__ = ["default_storage_class", "validate_storage_class", "validate_storage_class_update"]

Obj = dict[str, Any]

RECLAIM_POLICIES = ("Delete", "Retain")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
MAX_PARAMETERS = 512
MAX_PARAMETER_BYTES = 256 * (1 << 10)


def default_storage_class(obj: Obj) -> None:
    if obj.get("reclaimPolicy") is None:
        obj["reclaimPolicy"] = "Delete"
    if obj.get("volumeBindingMode") is None:
        obj["volumeBindingMode"] = "Immediate"


def _allowed_topologies(terms: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: list[dict[str, frozenset[Any]]] = []
    for i, term in enumerate(as_list(terms)):
        exprs: dict[str, frozenset[Any]] = {}
        for j, req in enumerate(as_list(as_dict(term).get("matchLabelExpressions"))):
            r = as_dict(req)
            p = f"{field}[{i}].matchLabelExpressions[{j}]"
            values = as_list(r.get("values"))
            if not values:
                errs.append(required(f"{p}.values"))
            seen_values: set[Any] = set()
            for k, v in enumerate(values):
                if v in seen_values:
                    errs.append(duplicate(f"{p}.values[{k}]", v))
                seen_values.add(v)
            key = r.get("key", "")
            errs += validate_qualified_name(str(key), f"{p}.key")
            if key in exprs:
                errs.append(duplicate(f"{p}.key", key))
            exprs[str(key)] = frozenset(seen_values)
        if exprs in seen:
            errs.append(duplicate(f"{field}[{i}].matchLabelExpressions", ""))
        seen.append(exprs)
    return errs


def validate_storage_class(obj: Obj) -> list[FieldError]:
    """ValidateStorageClass."""
    errs = meta_finalizer_errors(obj)
    provisioner = obj.get("provisioner")
    if not provisioner:
        errs.append(required("provisioner", ""))
    elif isinstance(provisioner, str):
        errs += [invalid("provisioner", provisioner, m) for m in qualified_name_errors(provisioner.lower())]
    params = as_dict(obj.get("parameters"))
    if len(params) > MAX_PARAMETERS:
        errs.append(FieldError("Too long", "parameters", f"must have at most {MAX_PARAMETERS} items"))
    else:
        size = 0
        for k, v in params.items():
            if not k:
                errs.append(invalid("parameters", k, "field can not be empty."))
            size += len(str(k)) + len(str(v))
        if size > MAX_PARAMETER_BYTES:
            errs.append(FieldError("Too long", "parameters", f"must have at most {MAX_PARAMETER_BYTES} bytes"))
    policy = obj.get("reclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported("reclaimPolicy", policy, RECLAIM_POLICIES))
    mode = obj.get("volumeBindingMode")
    if mode is None:
        errs.append(required("volumeBindingMode"))
    elif mode not in BINDING_MODES:
        errs.append(not_supported("volumeBindingMode", mode, BINDING_MODES))
    errs += _allowed_topologies(obj.get("allowedTopologies"), "allowedTopologies")
    return errs


def validate_storage_class_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateStorageClassUpdate (PV-7)."""
    errs: list[FieldError] = []
    if as_dict(old.get("parameters")) != as_dict(new.get("parameters")):
        errs.append(forbidden("parameters", "updates to parameters are forbidden."))
    if new.get("provisioner") != old.get("provisioner"):
        errs.append(forbidden("provisioner", "updates to provisioner are forbidden."))
    if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
        errs.append(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    errs += immutable(new.get("volumeBindingMode"), old.get("volumeBindingMode"), "volumeBindingMode")
    return errs


REGISTRY["StorageClass"] = KindInfo(
    "StorageClass", ("storage.k8s.io/v1",), False, "storageclasses", ("sc",), name_rule="subdomain",
    default=default_storage_class, validate=validate_storage_class, validate_update=validate_storage_class_update,
    has_status=False,
    top_level=("provisioner", "parameters", "reclaimPolicy", "mountOptions", "allowVolumeExpansion",
               "volumeBindingMode", "allowedTopologies"),
)
