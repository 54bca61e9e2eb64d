"""Node: validation of taints, pod CIDRs, resources, and of updates.

**Mirrors:** ``pkg/apis/core/validation/validation.go`` (ValidateNode, validateNodeTaints,
ValidateNodeResources, ValidateNodeUpdate) and ``pkg/registry/core/node/strategy.go``.
**Modelled:** taints (key qualified, value a label value, effect required and known, unique per key and
effect; reported under ``metadata.taints`` as upstream does), pod CIDRs (valid, at most one per family,
no duplicates), non-negative capacity and allocatable; on update pod CIDRs and providerID may only be set
once.
**Not modelled (and why):** the deprecated ``configSource`` and the taint/avoid-pods annotations.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..admission import prepare_node
from ..errors import FieldError, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    label_value_errors,
    meta_finalizer_errors,
    quantity,
    render_quantity,
    validate_qualified_name,
)

__all__ = ["validate_node", "validate_node_update"]

Obj = dict[str, Any]

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _taints(taints: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[tuple[Any, Any]] = set()
    for i, taint in enumerate(as_list(taints)):
        t = as_dict(taint)
        p = f"{field}[{i}]"
        errs += validate_qualified_name(str(t.get("key", "")), f"{p}.key")
        msgs = label_value_errors(str(t.get("value", "")))
        if msgs:
            errs.append(invalid(f"{p}.value", t.get("value", ""), ";".join(msgs)))
        effect = t.get("effect", "")
        if not effect:
            errs.append(required(f"{p}.effect"))
        elif effect not in TAINT_EFFECTS:
            errs.append(not_supported(f"{p}.effect", effect, TAINT_EFFECTS))
        key = (t.get("key"), effect)
        if key in seen:
            errs.append(FieldError("Duplicate value", p, "taints must be unique by key and effect pair", t, True))
            continue
        seen.add(key)
    return errs


def _resources(status: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    for section in ("capacity", "allocatable"):
        for name, value in as_dict(status.get(section)).items():
            q = quantity(value)
            if q is not None and q < 0:
                errs.append(invalid(f"status.{section}.{name}", render_quantity(value),
                                    "must be greater than or equal to 0"))
    return errs


def validate_node(obj: Obj) -> list[FieldError]:
    """ValidateNode."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    errs += _taints(spec.get("taints"), "metadata.taints")
    errs += _resources(as_dict(obj.get("status")))
    cidrs = as_list(spec.get("podCIDRs"))
    families: list[int] = []
    for i, cidr in enumerate(cidrs):
        try:
            families.append(ipaddress.ip_network(str(cidr), strict=False).version)
        except ValueError:
            errs.append(invalid(f"spec.podCIDRs[{i}]", cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
                                                             "2001:db8::/64)"))
    if len(cidrs) > 1:
        if len(cidrs) > 2 or len(set(families)) != len(families):
            errs.append(invalid("spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"))
        seen: set[Any] = set()
        for i, cidr in enumerate(cidrs):
            if not isinstance(cidr, str):  # an ill-typed item (the structural check reports it)
                continue
            if cidr in seen:
                errs.append(FieldError("Duplicate value", f"spec.podCIDRs[{i}]", "", cidr, True))
            seen.add(cidr)
    return errs


def validate_node_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateNodeUpdate: podCIDRs and providerID may only go from unset to set."""
    errs: list[FieldError] = []
    old_spec, new_spec = as_dict(old.get("spec")), as_dict(new.get("spec"))
    old_cidrs = as_list(old_spec.get("podCIDRs"))
    if old_cidrs and old_cidrs != as_list(new_spec.get("podCIDRs")):
        errs.append(forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'))
    old_provider = old_spec.get("providerID") or ""
    if old_provider and old_provider != (new_spec.get("providerID") or ""):
        errs.append(forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'))
    if old_spec.get("externalID") != new_spec.get("externalID"):
        errs.append(forbidden("spec.externalID", "may not be updated"))
    return errs


REGISTRY["Node"] = KindInfo("Node", ("v1",), False, "nodes", ("no",), validate=validate_node,
                            validate_update=validate_node_update, prepare_create=prepare_node)
