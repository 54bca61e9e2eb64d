"""Role, ClusterRole, RoleBinding and ClusterRoleBinding (rbac.authorization.k8s.io/v1).

**Mirrors:** ``pkg/apis/rbac/validation/validation.go`` (ValidateRole, ValidateClusterRole with its
aggregationRule check, ValidatePolicyRule, ValidateRoleBinding, ValidateClusterRoleBinding,
ValidateRoleBindingSubject, the Validate*Update functions: ``cannot change roleRef``; names by ValidateRBACName
= path.IsValidPathSegmentName) and ``pkg/apis/rbac/v1/defaults.go`` (SetDefaults_ClusterRoleBinding,
SetDefaults_RoleBinding, SetDefaults_Subject).
**Modelled:** defaults (roleRef.apiGroup, a subject's apiGroup by its kind); policy rules (verbs required;
resource rules need apiGroups and resources, and resourceNames may go with several resources; nonResourceURLs
only in ClusterRoles and never mixed with resource rules); aggregationRule selectors; roleRef (group, kind, name) and
its immutability; subjects (ServiceAccount names are DNS subdomains without an apiGroup, and need a namespace
in a ClusterRoleBinding; User and Group need the RBAC group).
**Not modelled (and why):** authorization itself and the escalation check of the registry (the model has one
all-powerful user, so a binding never grants more than its creator holds); ClusterRole aggregation (no
controller for it runs).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    dns1123_subdomain_errors,
    meta_finalizer_errors,
    path_segment_name_errors,
    validate_label_selector,
)
from .replicaset import selector_convertible

__all__ = [
    "default_binding",
    "validate_binding_update",
    "validate_cluster_role",
    "validate_cluster_role_binding",
    "validate_role",
    "validate_role_binding",
]

Obj = dict[str, Any]

GROUP = "rbac.authorization.k8s.io"
_API = (f"{GROUP}/v1",)


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def validate_policy_rule(rule: Any, namespaced: bool, field: str) -> list[FieldError]:
    """validatePolicyRule."""
    r = as_dict(rule)
    errs: list[FieldError] = []
    if not as_list(r.get("verbs")):
        errs.append(required(f"{field}.verbs", "verbs must contain at least one value"))
    urls = as_list(r.get("nonResourceURLs"))
    if urls:
        if namespaced:
            errs.append(invalid(f"{field}.nonResourceURLs", list(urls),
                                "namespaced rules cannot apply to non-resource URLs"))
        if as_list(r.get("apiGroups")) or as_list(r.get("resources")) or as_list(r.get("resourceNames")):
            errs.append(invalid(f"{field}.nonResourceURLs", list(urls),
                                "rules cannot apply to both regular resources and non-resource URLs"))
        return errs
    if not as_list(r.get("apiGroups")):
        errs.append(required(f"{field}.apiGroups", "resource rules must supply at least one api group"))
    if not as_list(r.get("resources")):
        errs.append(required(f"{field}.resources", "resource rules must supply at least one resource"))
    return errs


def _rules_errors(obj: Obj, namespaced: bool) -> list[FieldError]:
    errs = meta_finalizer_errors(obj)
    for i, rule in enumerate(as_list(obj.get("rules"))):
        errs += validate_policy_rule(rule, namespaced, f"rules[{i}]")
    return errs


def validate_role(obj: Obj) -> list[FieldError]:
    """ValidateRole."""
    return _rules_errors(obj, True)


def validate_cluster_role(obj: Obj) -> list[FieldError]:
    """ValidateClusterRole: its rules, and an aggregationRule needs valid cluster-role selectors."""
    errs = _rules_errors(obj, False)
    rule = obj.get("aggregationRule")
    if isinstance(rule, dict):
        selectors = as_list(rule.get("clusterRoleSelectors"))
        if not selectors:
            errs.append(required("aggregationRule.clusterRoleSelectors",
                                 "at least one clusterRoleSelector required if aggregationRule is non-nil"))
        for i, sel in enumerate(selectors):
            path = f"aggregationRule.clusterRoleSelectors[{i}]"
            errs += validate_label_selector(sel, path)
            if not selector_convertible(as_dict(sel)):
                errs.append(invalid(path, sel, "invalid label selector."))
    return errs


def _subject_errors(subject: Any, namespaced: bool, field: str) -> list[FieldError]:
    """validateRoleBindingSubject."""
    s = as_dict(subject)
    name, kind, group = _s(s.get("name")), _s(s.get("kind")), _s(s.get("apiGroup"))
    errs: list[FieldError] = []
    if not name:
        errs.append(required(f"{field}.name"))
    if kind == "ServiceAccount":
        if name:
            errs += [invalid(f"{field}.name", name, m) for m in dns1123_subdomain_errors(name)]
        if group:
            errs.append(not_supported(f"{field}.apiGroup", group, ("",)))
        if not namespaced and not _s(s.get("namespace")):
            errs.append(required(f"{field}.namespace"))
    elif kind in ("User", "Group"):
        if not name:
            errs.append(invalid(f"{field}.name", name, f"{kind.lower()} name cannot be empty"))
        if group != GROUP:
            errs.append(not_supported(f"{field}.apiGroup", group, (GROUP,)))
    else:
        errs.append(not_supported(f"{field}.kind", kind, ("ServiceAccount", "User", "Group")))
    return errs


def _binding_errors(obj: Obj, namespaced: bool) -> list[FieldError]:
    errs = meta_finalizer_errors(obj)
    ref = as_dict(obj.get("roleRef"))
    if _s(ref.get("apiGroup")) != GROUP:
        errs.append(not_supported("roleRef.apiGroup", _s(ref.get("apiGroup")), (GROUP,)))
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if _s(ref.get("kind")) not in kinds:
        errs.append(not_supported("roleRef.kind", _s(ref.get("kind")), kinds))
    name = _s(ref.get("name"))
    if not name:
        errs.append(required("roleRef.name"))
    else:
        errs += [invalid("roleRef.name", name, m) for m in path_segment_name_errors(name)]
    for i, subject in enumerate(as_list(obj.get("subjects"))):
        errs += _subject_errors(subject, namespaced, f"subjects[{i}]")
    return errs


def validate_role_binding(obj: Obj) -> list[FieldError]:
    """ValidateRoleBinding."""
    return _binding_errors(obj, True)


def validate_cluster_role_binding(obj: Obj) -> list[FieldError]:
    """ValidateClusterRoleBinding."""
    return _binding_errors(obj, False)


def validate_binding_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateRoleBindingUpdate / ValidateClusterRoleBindingUpdate: the roleRef never changes."""
    new_ref, old_ref = as_dict(new.get("roleRef")), as_dict(old.get("roleRef"))
    if new_ref != old_ref:
        return [invalid("roleRef", dict(new_ref), "cannot change roleRef")]
    return []


def default_binding(obj: Obj) -> None:
    """SetDefaults_RoleBinding / SetDefaults_ClusterRoleBinding / SetDefaults_Subject."""
    ref = obj.get("roleRef")
    if isinstance(ref, dict) and not ref.get("apiGroup"):
        ref["apiGroup"] = GROUP
    for subject in as_list(obj.get("subjects")):
        if isinstance(subject, dict) and not subject.get("apiGroup"):
            kind = subject.get("kind")
            if kind == "ServiceAccount":
                subject["apiGroup"] = ""
            elif kind in ("User", "Group"):
                subject["apiGroup"] = GROUP


def _register(kind: str, namespaced: bool, plural: str, top: tuple[str, ...], **kw: Any) -> None:
    REGISTRY[kind] = KindInfo(kind, _API, namespaced, plural, name_rule="path", has_status=False, top_level=top,
                              **kw)


_register("Role", True, "roles", ("rules",), validate=validate_role)
_register("ClusterRole", False, "clusterroles", ("rules", "aggregationRule"), validate=validate_cluster_role)
_register("RoleBinding", True, "rolebindings", ("subjects", "roleRef"), default=default_binding,
          validate=validate_role_binding, validate_update=validate_binding_update)
_register("ClusterRoleBinding", False, "clusterrolebindings", ("subjects", "roleRef"), default=default_binding,
          validate=validate_cluster_role_binding, validate_update=validate_binding_update)
