"""ReplicaSet (apps/v1): defaulting and validation, plus the workload-template helpers Deployments share.

**Mirrors:** ``pkg/apis/apps/v1/defaults.go`` (SetDefaults_ReplicaSet), ``pkg/apis/apps/validation/
validation.go`` (ValidateReplicaSet, ValidateReplicaSetSpec, ValidatePodTemplateSpecForReplicaSet,
ValidateReplicaSetUpdate) and ``pkg/registry/apps/replicaset/strategy.go`` (ValidateUpdate: the selector is
immutable in apps/v1).
**Modelled:** replicas and minReadySeconds >= 0; L-5: the selector is required, valid, non-empty and must
match the template labels (a missing selector also fails the match, as ``LabelSelectorAsSelector(nil)`` is
"nothing"); the template is validated in full (P-4: ``restartPolicy: Always`` only, no
``activeDeadlineSeconds``) because the pods a controller creates from it are not validated again.
**Not modelled (and why):** nothing else is validated upstream for this kind.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported, required
from ..labels import selector_matches
from ..state import ORPHAN_INDEX
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    immutable,
    meta_finalizer_errors,
    nonnegative,
    validate_label_selector,
)
from .pod import default_pod_spec, validate_pod_template_spec

__all__ = [
    "default_replicaset",
    "selector_convertible",
    "selector_errors",
    "template_matches_selector",
    "validate_pod_template_spec_for_replica_set",
    "validate_replicaset",
    "validate_replicaset_update",
]

Obj = dict[str, Any]

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def default_replicaset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        default_pod_spec(tmpl["spec"])


def selector_convertible(selector: Obj) -> bool:
    """Whether ``LabelSelectorAsSelector`` succeeds (operators known, In/NotIn with values ...)."""
    for req in as_list(selector.get("matchExpressions")):
        r = as_dict(req)
        op = r.get("operator")
        if op not in _OPERATORS:
            return False
        if op in ("In", "NotIn") and not as_list(r.get("values")):
            return False
        if op in ("Exists", "DoesNotExist") and as_list(r.get("values")):
            return False
    return True


def selector_errors(spec: Obj, field: str, kind_word: str) -> tuple[list[FieldError], bool]:
    """Selector checks shared by the apps/v1 workloads; also says whether the selector converts."""
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return [required(f"{field}.selector")], True
    errs = validate_label_selector(selector, f"{field}.selector")
    if not as_dict(selector.get("matchLabels")) and not as_list(selector.get("matchExpressions")):
        errs.append(invalid(f"{field}.selector", selector, f"empty selector is invalid for {kind_word}"))
    return errs, selector_convertible(selector)


def template_matches_selector(selector: Any, template: Any) -> bool:
    """``selector.Matches(template labels)``, where a nil selector matches nothing and ``{}`` everything."""
    if not isinstance(selector, dict):
        return False
    if not as_dict(selector.get("matchLabels")) and not as_list(selector.get("matchExpressions")):
        return True
    labels = as_dict(as_dict(as_dict(template).get("metadata")).get("labels"))
    return selector_matches(selector, labels)


def _template_labels(template: Any) -> Any:
    return as_dict(as_dict(template).get("metadata")).get("labels")


def validate_pod_template_spec_for_replica_set(spec: Obj, field: str, owner_word: str) -> list[FieldError]:
    """ValidatePodTemplateSpecForReplicaSet (used for ReplicaSets and Deployments)."""
    template = spec.get("template")
    path = f"{field}.template"
    if not isinstance(template, dict):
        return [required(path)]
    errs: list[FieldError] = []
    if not template_matches_selector(spec.get("selector"), template):
        errs.append(invalid(f"{path}.metadata.labels", _template_labels(template),
                            "`selector` does not match template `labels`"))
    errs += validate_pod_template_spec(template, path)
    tspec = as_dict(template.get("spec"))
    if tspec.get("restartPolicy", "") != "Always":
        errs.append(not_supported(f"{path}.spec.restartPolicy", tspec.get("restartPolicy", ""), ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden(f"{path}.spec.activeDeadlineSeconds",
                              f"activeDeadlineSeconds in {owner_word} is not Supported"))
    return errs


def validate_replicaset(obj: Obj) -> list[FieldError]:
    """ValidateReplicaSet / ValidateReplicaSetSpec."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    sel_errs, convertible = selector_errors(spec, "spec", "deployment")  # upstream's wording, sic
    errs += sel_errs
    if not convertible:
        errs.append(invalid("spec.selector", spec.get("selector"), "invalid label selector"))
    else:
        errs += validate_pod_template_spec_for_replica_set(spec, "spec", "ReplicaSet")
    return errs


def validate_replicaset_update(old: Obj, new: Obj) -> list[FieldError]:
    """The apps/v1 registry strategy: ``spec.selector`` is immutable."""
    return immutable(as_dict(new.get("spec")).get("selector"), as_dict(old.get("spec")).get("selector"),
                     "spec.selector")


REGISTRY["ReplicaSet"] = KindInfo(
    "ReplicaSet", ("apps/v1",), True, "replicasets", ("rs",), default=default_replicaset,
    validate=validate_replicaset, validate_update=validate_replicaset_update, tracks_generation=True,
    indexes=frozenset({ORPHAN_INDEX}),
)
