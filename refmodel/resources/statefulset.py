"""StatefulSet (apps/v1): defaulting, create and update validation (the controller is a later issue).

**Mirrors:** ``pkg/apis/apps/v1/defaults.go`` (SetDefaults_StatefulSet; the claim templates get
SetDefaults_PersistentVolumeClaim, so they are stored with ``volumeMode: Filesystem`` and
``status.phase: Pending``), ``pkg/apis/apps/validation/validation.go`` (ValidateStatefulSetName,
ValidateStatefulSetSpec, ValidatePodTemplateSpecForStatefulSet, validateRollingUpdateStatefulSet,
ValidatePersistentVolumeClaimRetentionPolicy, ValidateStatefulSetUpdate) and
``pkg/registry/apps/statefulset/strategy.go`` (Validate, ValidateUpdate).
**Modelled:** SS-1 defaults, N-4 (names are DNS labels), podManagementPolicy and updateStrategy rules
(partition >= 0, maxUnavailable a positive int or percent <= 100%), the PVC retention policy enum,
replicas/minReadySeconds/ordinals.start >= 0, L-5 selector rules, template ``restartPolicy: Always`` and no
``activeDeadlineSeconds``; SS-14 on update with v1.32's message (``revisionHistoryLimit`` became mutable
only in v1.33, so it is not in the list).
**Not modelled (and why):** as upstream in v1.32, the template's PodSpec and the volumeClaimTemplates are
NOT validated here (ValidatePodTemplateSpecForStatefulSet keeps that TODO): the StatefulSet controller's pod
creates are what fail (``FailedCreate``), so the controller must validate the pods it builds with
:func:`refmodel.resources.pod.validate_pod`. The MaxUnavailableStatefulSet gate is off (alpha).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import as_dict, as_list, meta_finalizer_errors, nonnegative, validate_labels
from .deployment import get_int_or_percent_value, validate_positive_int_or_percent
from .persistentvolume import default_pvc_spec
from .pod import default_pod_spec, validate_annotations
from .replicaset import selector_errors, template_matches_selector

__all__ = ["default_statefulset", "validate_statefulset", "validate_statefulset_update"]

Obj = dict[str, Any]

MUTABLE_SPEC_FIELDS = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                       "minReadySeconds")
FORBIDDEN_UPDATE_MESSAGE = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)


def default_statefulset(obj: Obj) -> None:
    """SetDefaults_StatefulSet (SS-1)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    us = spec.setdefault("updateStrategy", {})
    if isinstance(us, dict):
        if not us.get("type"):
            us["type"] = "RollingUpdate"
        if us["type"] == "RollingUpdate":
            ru = us.setdefault("rollingUpdate", {})
            if isinstance(ru, dict) and ru.get("partition") is None:
                ru["partition"] = 0
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    if isinstance(policy, dict):
        for key in ("whenDeleted", "whenScaled"):
            if not policy.get(key):
                policy[key] = "Retain"
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        default_pod_spec(tmpl["spec"])
    for claim in as_list(spec.get("volumeClaimTemplates")):
        if isinstance(claim, dict):
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            if isinstance(claim.get("spec"), dict):
                default_pvc_spec(claim["spec"])
            status = claim.setdefault("status", {})
            if isinstance(status, dict):
                status.setdefault("phase", "Pending")


def _validate_update_strategy(strategy: Obj, field: str) -> list[FieldError]:
    stype = strategy.get("type", "")
    if not stype:
        return [required(field)]
    if stype == "OnDelete":
        if strategy.get("rollingUpdate") is not None:
            return [invalid(f"{field}.rollingUpdate", strategy["rollingUpdate"],
                            "only allowed for updateStrategy 'RollingUpdate'")]
        return []
    if stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            return []
        errs = nonnegative(ru.get("partition", 0), f"{field}.rollingUpdate.partition")
        mu = ru.get("maxUnavailable")
        if mu is not None:
            p = f"{field}.rollingUpdate.maxUnavailable"
            errs += validate_positive_int_or_percent(mu, p)
            if get_int_or_percent_value(mu) == 0:
                errs.append(invalid(p, mu, "cannot be 0"))
            if isinstance(mu, str) and mu.endswith("%") and get_int_or_percent_value(mu) > 100:
                errs.append(invalid(p, mu, "must not be greater than 100%"))
        return errs
    return [invalid(field, strategy, "must be 'RollingUpdate' or 'OnDelete'")]


def validate_statefulset(obj: Obj) -> list[FieldError]:
    """ValidateStatefulSet / ValidateStatefulSetSpec."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    policy = spec.get("podManagementPolicy", "")
    if not policy:
        errs.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errs.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    errs += _validate_update_strategy(as_dict(spec.get("updateStrategy")), "spec.updateStrategy")
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(retention, dict):
        for key in ("whenDeleted", "whenScaled"):
            if retention.get(key) not in ("Retain", "Delete"):
                errs.append(not_supported(f"spec.persistentVolumeClaimRetentionPolicy.{key}", retention.get(key, ""),
                                          ("Retain", "Delete")))
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    if isinstance(spec.get("ordinals"), dict):
        errs += nonnegative(spec["ordinals"].get("start", 0), "spec.ordinals.start")
    sel_errs, convertible = selector_errors(spec, "spec", "statefulset")
    errs += sel_errs
    template = as_dict(spec.get("template"))
    if not convertible:
        errs.append(invalid("spec.selector", spec.get("selector"), ""))
    else:
        if not template_matches_selector(spec.get("selector"), template):
            errs.append(invalid("spec.template.metadata.labels", as_dict(template.get("metadata")).get("labels"),
                                "`selector` does not match template `labels`"))
        md = as_dict(template.get("metadata"))
        errs += validate_labels(md.get("labels"), "spec.template.labels")
        errs += validate_annotations(md.get("annotations"), "spec.template.annotations")
    tspec = as_dict(template.get("spec"))
    if tspec.get("restartPolicy", "") != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", tspec.get("restartPolicy", ""), ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                              "activeDeadlineSeconds in StatefulSet is not Supported"))
    return errs


def validate_statefulset_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateStatefulSetUpdate (SS-14)."""
    old_spec, new_spec = as_dict(old.get("spec")), as_dict(new.get("spec"))
    rest_old = {k: v for k, v in old_spec.items() if k not in MUTABLE_SPEC_FIELDS}
    rest_new = {k: v for k, v in new_spec.items() if k not in MUTABLE_SPEC_FIELDS}
    if rest_old != rest_new:
        return [forbidden("spec", FORBIDDEN_UPDATE_MESSAGE)]
    return []


REGISTRY["StatefulSet"] = KindInfo(
    "StatefulSet", ("apps/v1",), True, "statefulsets", ("sts",), name_rule="label",
    default=default_statefulset, validate=validate_statefulset, validate_update=validate_statefulset_update,
    tracks_generation=True,
)
