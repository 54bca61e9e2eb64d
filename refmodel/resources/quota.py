"""ResourceQuota and LimitRange (v1): validation.

**Mirrors:** ``pkg/apis/core/validation/validation.go`` (ValidateResourceQuota, ValidateResourceQuotaSpec,
ValidateResourceQuotaResourceName, validateResourceName, ValidateResourceQuantityValue,
validateResourceQuotaScopes, validateScopeSelector, validateScopedResourceSelectorRequirement,
ValidateResourceQuotaUpdate, ValidateLimitRange, validateLimitRangeTypeName, validateLimitRangeResourceName,
validateContainerResourceName) with ``pkg/apis/core/helper/helpers.go`` (IsStandardQuotaResourceName,
IsStandardResourceName, IsIntegerResourceName, IsExtendedResourceName, IsStandardResourceQuotaScope,
IsResourceQuotaScopeValidForResource, IsStandardLimitRangeType, IsOvercommitAllowed).
**Modelled:** ResourceQuota: resource names (standard, hugepages or qualified), non-negative quantities,
whole numbers for object counts and extended resources, scopes (known, valid for the limited resources,
not conflicting) and scope selectors (operators and values), scopes immutable. LimitRange: limit types
(Pod, Container, PersistentVolumeClaim or qualified) without duplicates, resource names per type, no
defaults for Pod limits, a storage min or max for PVC limits, and the orderings min <= defaultRequest <=
default <= max, maxLimitRequestRatio >= 1 and <= max/min, default == defaultRequest for resources that may
not be overcommitted.
**Not modelled (and why):** the ResourceQuota and LimitRanger admission plugins and the quota controller
(no usage is tracked and no defaults are applied to pods: the model's pods are not limited by them); status
validation (controller-written); quantities in messages keep the user's spelling (``Quantity.String()``'s
canonical form is not modelled, see :mod:`refmodel.quantity`); the VolumeAttributesClass scope (beta and off
by default in v1.32).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import FieldError, duplicate, forbidden, invalid, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    meta_finalizer_errors,
    qualified_name_errors,
    quantity,
    render_quantity,
)
from .pod import _container_resource_name_errors as container_resource_name_errors
from .pod import resource_quantity_value_errors

__all__ = ["validate_limit_range", "validate_resource_quota", "validate_resource_quota_update"]

Obj = dict[str, Any]

_COMPUTE = ("cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
            "limits.cpu", "limits.memory", "limits.ephemeral-storage")
_COUNTS = ("pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
           "persistentvolumeclaims", "services.nodeports", "services.loadbalancers")
STANDARD_QUOTA_RESOURCES = frozenset(_COMPUTE + _COUNTS + ("requests.storage",))
STANDARD_RESOURCES = STANDARD_QUOTA_RESOURCES | {"storage"}
QUOTA_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
                "CrossNamespacePodAffinity")
_POD_COMPUTE = frozenset({"cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"})
_EXISTS_ONLY_SCOPES = ("BestEffort", "NotBestEffort", "Terminating", "NotTerminating", "CrossNamespacePodAffinity")
_CONFLICTING = (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating"))
LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")


def _is_quota_hugepages(name: str) -> bool:
    return name.startswith(("hugepages-", "requests.hugepages-"))


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _resource_name_errors(name: str, field: str) -> list[FieldError]:
    """validateResourceName."""
    errs = [invalid(field, name, m) for m in qualified_name_errors(name)]
    if not errs and "/" not in name and name not in STANDARD_RESOURCES and not _is_quota_hugepages(name):
        errs.append(invalid(field, name, "must be a standard resource type or fully qualified"))
    return errs


def _quota_resource_name_errors(name: str, field: str) -> list[FieldError]:
    """ValidateResourceQuotaResourceName."""
    errs = _resource_name_errors(name, field)
    if "/" not in name and name not in STANDARD_QUOTA_RESOURCES and not _is_quota_hugepages(name):
        errs.append(invalid(field, name, "must be a standard resource for quota"))
    return errs


def _scope_valid_for(scope: str, resource: str) -> bool:
    """IsResourceQuotaScopeValidForResource."""
    if scope in ("Terminating", "NotTerminating", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"):
        return resource == "pods" or resource in _POD_COMPUTE
    if scope == "BestEffort":
        return resource == "pods"
    return True


def _standard_quota_resource(name: str) -> bool:
    return name in STANDARD_QUOTA_RESOURCES or _is_quota_hugepages(name)


def _scopes_errors(spec: Obj, hard: list[str]) -> list[FieldError]:
    """validateResourceQuotaScopes."""
    scopes = [s for s in as_list(spec.get("scopes")) if isinstance(s, str)]
    errs: list[FieldError] = []
    for scope in scopes:
        if scope not in QUOTA_SCOPES:
            errs.append(invalid("spec.scopes", scopes, "unsupported scope"))
        for k in sorted(hard):
            if _standard_quota_resource(k) and not _scope_valid_for(scope, k):
                errs.append(invalid("spec.scopes", scopes, "unsupported scope applied to resource"))
    for pair in _CONFLICTING:
        if set(pair) <= set(scopes):
            errs.append(invalid("spec.scopes", scopes, "conflicting scopes"))
    return errs


def _scope_selector_errors(spec: Obj, hard: list[str]) -> list[FieldError]:
    """validateScopeSelector / validateScopedResourceSelectorRequirement."""
    selector = spec.get("scopeSelector")
    if not isinstance(selector, dict):
        return []
    field = "spec.scopeSelector.matchExpressions"
    errs: list[FieldError] = []
    names: set[str] = set()
    for req in as_list(selector.get("matchExpressions")):
        r = as_dict(req)
        scope, op, values = r.get("scopeName"), r.get("operator"), as_list(r.get("values"))
        if scope not in QUOTA_SCOPES:
            errs.append(invalid(f"{field}.scopeName", scope, "unsupported scope"))
        for k in sorted(hard):
            if _standard_quota_resource(k) and not _scope_valid_for(str(scope), k):
                errs.append(invalid(field, dict(selector), "unsupported scope applied to resource"))
        if scope in _EXISTS_ONLY_SCOPES and op != "Exists":
            errs.append(invalid(f"{field}.operator", op, "must be 'Exist' when scope is any of "
                                "ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, "
                                "ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or "
                                "ResourceQuotaScopeCrossNamespacePodAffinity"))
        if op in ("In", "NotIn"):
            if not values:
                errs.append(required(f"{field}.values", "must be at least one value when `operator` is 'In' or "
                                                        "'NotIn' for scope selector"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(invalid(f"{field}.values", list(values), "must be no value when `operator` is 'Exist' or "
                                                                     "'DoesNotExist' for scope selector"))
        else:
            errs.append(invalid(f"{field}.operator", op, "not a valid selector operator"))
        if isinstance(scope, str):
            names.add(scope)
    for pair in _CONFLICTING:
        if set(pair) <= names:
            errs.append(invalid(field, list(as_list(spec.get("scopes"))), "conflicting scopes"))
    return errs


def validate_resource_quota(obj: Obj) -> list[FieldError]:
    """ValidateResourceQuota / ValidateResourceQuotaSpec."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    hard = as_dict(spec.get("hard"))
    for name, value in hard.items():
        path = f"spec.hard[{name}]"
        errs += _quota_resource_name_errors(str(name), path)
        errs += resource_quantity_value_errors(str(name), value, path)
    names = [str(k) for k in hard]
    return errs + _scopes_errors(spec, names) + _scope_selector_errors(spec, names)


def validate_resource_quota_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateResourceQuotaUpdate: the set of scopes never changes."""
    new_scopes = as_list(as_dict(new.get("spec")).get("scopes"))
    old_scopes = as_list(as_dict(old.get("spec")).get("scopes"))
    if set(map(str, new_scopes)) != set(map(str, old_scopes)):
        return [invalid("spec.scopes", list(new_scopes), "field is immutable")]
    return []


def _limit_type_errors(value: str, field: str) -> list[FieldError]:
    """validateLimitRangeTypeName."""
    errs = [invalid(field, value, m) for m in qualified_name_errors(value)]
    if not errs and "/" not in value and value not in LIMIT_TYPES:
        errs.append(invalid(field, value, "must be a standard limit type or fully qualified"))
    return errs


def _limit_resource_errors(limit_type: str, name: str, field: str) -> list[FieldError]:
    """validateLimitRangeResourceName."""
    if limit_type in ("Pod", "Container"):
        return container_resource_name_errors(name, field)
    return _resource_name_errors(name, field)


def _overcommit_allowed(name: str) -> bool:
    """IsOvercommitAllowed: native resources other than hugepages."""
    return _is_native(name) and not name.startswith("hugepages-")


def _ratio_text(value: Fraction) -> str:
    return f"{float(value):f}"


def _limit_errors(limit: Obj, ltype: str, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    tables: dict[str, dict[str, Any]] = {}
    keys: set[str] = set()
    sections = ["max", "min"] + ([] if ltype == "Pod" else ["default", "defaultRequest"]) + ["maxLimitRequestRatio"]
    if ltype == "Pod":
        for key in ("default", "defaultRequest"):
            if as_dict(limit.get(key)):
                errs.append(forbidden(f"{field}.{key}", "may not be specified when `type` is 'Pod'"))
    for section in sections:
        table = {str(k): v for k, v in as_dict(limit.get(section)).items()}
        tables[section] = table
        for k in table:
            errs += _limit_resource_errors(ltype, k, f"{field}.{section}[{k}]")
            keys.add(k)
    if ltype == "PersistentVolumeClaim" and "storage" not in tables["min"] and "storage" not in tables["max"]:
        errs.append(required(f"{field}.limits", "either minimum or maximum storage value is required, but neither "
                                                "was provided"))
    for k in sorted(keys):
        raw = {s: tables.get(s, {}).get(k) for s in ("min", "max", "default", "defaultRequest", "maxLimitRequestRatio")}
        q = {s: quantity(v) for s, v in raw.items() if v is not None}
        text = {s: render_quantity(v) for s, v in raw.items() if v is not None}
        lo, hi, dflt, dreq, ratio = (q.get(s) for s in ("min", "max", "default", "defaultRequest",
                                                          "maxLimitRequestRatio"))
        if lo is not None and hi is not None and lo > hi:
            errs.append(invalid(f"{field}.min[{k}]", text["min"],
                                f"min value {text['min']} is greater than max value {text['max']}"))
        if dreq is not None and lo is not None and lo > dreq:
            errs.append(invalid(f"{field}.defaultRequest[{k}]", text["defaultRequest"],
                                f"min value {text['min']} is greater than default request value "
                                f"{text['defaultRequest']}"))
        if dreq is not None and hi is not None and dreq > hi:
            errs.append(invalid(f"{field}.defaultRequest[{k}]", text["defaultRequest"],
                                f"default request value {text['defaultRequest']} is greater than max value "
                                f"{text['max']}"))
        if dreq is not None and dflt is not None and dreq > dflt:
            errs.append(invalid(f"{field}.defaultRequest[{k}]", text["defaultRequest"],
                                f"default request value {text['defaultRequest']} is greater than default limit "
                                f"value {text['default']}"))
        if dflt is not None and lo is not None and lo > dflt:
            errs.append(invalid(f"{field}.default[{k}]", text["min"],
                                f"min value {text['min']} is greater than default value {text['default']}"))
        if dflt is not None and hi is not None and dflt > hi:
            errs.append(invalid(f"{field}.default[{k}]", text["max"],
                                f"default value {text['default']} is greater than max value {text['max']}"))
        if ratio is not None and ratio < 1:
            errs.append(invalid(f"{field}.maxLimitRequestRatio[{k}]", text["maxLimitRequestRatio"],
                                f"ratio {text['maxLimitRequestRatio']} is less than 1"))
        if ratio is not None and lo is not None and hi is not None and lo != 0:
            limit_ratio = Fraction(hi) / Fraction(lo)
            if ratio > limit_ratio:
                errs.append(invalid(f"{field}.maxLimitRequestRatio[{k}]", text["maxLimitRequestRatio"],
                                    f"ratio {text['maxLimitRequestRatio']} is greater than max/min = "
                                    f"{_ratio_text(limit_ratio)}"))
        if not _overcommit_allowed(k) and dflt is not None and dreq is not None and dflt != dreq:
            errs.append(invalid(f"{field}.defaultRequest[{k}]", text["defaultRequest"],
                                f"default value {text['default']} must equal to defaultRequest value "
                                f"{text['defaultRequest']} in {k}"))
    return errs


def validate_limit_range(obj: Obj) -> list[FieldError]:
    """ValidateLimitRange (updates are validated the same way)."""
    errs = meta_finalizer_errors(obj)
    seen: set[str] = set()
    for i, limit in enumerate(as_list(as_dict(obj.get("spec")).get("limits"))):
        lim = as_dict(limit)
        raw = lim.get("type")
        ltype = raw if isinstance(raw, str) else ""
        errs += _limit_type_errors(ltype, f"spec.limits[{i}].type")
        if ltype in seen:
            errs.append(duplicate(f"spec.limits[{i}].type", ltype))
        seen.add(ltype)
        errs += _limit_errors(lim, ltype, f"spec.limits[{i}]")
    return errs


REGISTRY["ResourceQuota"] = KindInfo(
    "ResourceQuota", ("v1",), True, "resourcequotas", ("quota",), name_rule="subdomain",
    validate=validate_resource_quota, validate_update=validate_resource_quota_update, reconciled=False,
)
REGISTRY["LimitRange"] = KindInfo(
    "LimitRange", ("v1",), True, "limitranges", ("limits",), name_rule="subdomain", validate=validate_limit_range,
    has_status=False, top_level=("spec",), reconciled=False,
)
