"""DaemonSet (apps/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/apps/v1/defaults.go`` (SetDefaults_DaemonSet: RollingUpdate with maxUnavailable 1 and
maxSurge 0, revisionHistoryLimit 10), ``pkg/apis/apps/validation/validation.go`` (ValidateDaemonSet,
ValidateDaemonSetSpec, ValidateDaemonSetUpdateStrategy, ValidateRollingUpdateDaemonSet, ValidateDaemonSetUpdate)
with ``pkg/apis/core/validation`` (ValidatePodTemplateSpec) and
``pkg/registry/apps/daemonset/strategy.go`` (the selector is immutable in apps/v1; generation; status through
its subresource).
**Modelled:** the selector (valid, non-empty, matching the template labels: a missing one matches nothing);
the Pod template validated in full (restartPolicy Always only, no activeDeadlineSeconds; writable GCE PD
volumes are accepted since the read-only check went with SkipReadOnlyValidationGCE in v1.31);
minReadySeconds and revisionHistoryLimit >= 0; the update
strategy (OnDelete, or RollingUpdate with maxUnavailable and maxSurge as non-negative ints or percentages up
to 100%, exactly one of them non-zero); the selector's immutability.
**Not modelled (and why):** the DaemonSet controller (a DaemonSet is checked and stored; its pods are not
created); templateGeneration (internal only, not in apps/v1); status validation (controller-written).
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
    nonnegative,
    validate_label_selector,
)
from .deployment import (
    get_int_or_percent_value,
    is_not_more_than_100_percent,
    validate_positive_int_or_percent,
)
from .pod import default_pod_spec, validate_pod_template_spec
from .replicaset import selector_convertible, template_matches_selector

__all__ = ["default_daemon_set", "validate_daemon_set", "validate_daemon_set_update"]

Obj = dict[str, Any]


def default_daemon_set(obj: Obj) -> None:
    """SetDefaults_DaemonSet."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    strategy = spec.setdefault("updateStrategy", {})
    if isinstance(strategy, dict):
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
        if strategy["type"] == "RollingUpdate":
            ru = strategy.get("rollingUpdate")
            if not isinstance(ru, dict):
                ru = strategy["rollingUpdate"] = {}
            if ru.get("maxUnavailable") is None:
                ru["maxUnavailable"] = 1
            if ru.get("maxSurge") is None:
                ru["maxSurge"] = 0
    spec.setdefault("revisionHistoryLimit", 10)
    tspec = as_dict(spec.get("template")).get("spec")
    if isinstance(tspec, dict):
        default_pod_spec(tspec)


def _rolling_update(ru: Obj, field: str) -> list[FieldError]:
    """ValidateRollingUpdateDaemonSet."""
    unavailable, surge = ru.get("maxUnavailable"), ru.get("maxSurge")
    errs = validate_positive_int_or_percent(unavailable, f"{field}.maxUnavailable")
    errs += validate_positive_int_or_percent(surge, f"{field}.maxSurge")
    errs += is_not_more_than_100_percent(unavailable, f"{field}.maxUnavailable")
    errs += is_not_more_than_100_percent(surge, f"{field}.maxSurge")
    has_unavailable = get_int_or_percent_value(unavailable) != 0
    has_surge = get_int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        errs.append(invalid(f"{field}.maxSurge", surge, "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        errs.append(required(f"{field}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return errs


def _update_strategy(strategy: Obj, field: str) -> list[FieldError]:
    """ValidateDaemonSetUpdateStrategy."""
    stype = strategy.get("type")
    if stype == "OnDelete":
        return []
    if stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            return [required(f"{field}.rollingUpdate")]
        return _rolling_update(ru, f"{field}.rollingUpdate")
    return [not_supported(field, dict(strategy), ("RollingUpdate", "OnDelete"))]


def validate_daemon_set(obj: Obj) -> list[FieldError]:
    """ValidateDaemonSet / ValidateDaemonSetSpec."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    selector = spec.get("selector")
    errs += validate_label_selector(selector, "spec.selector")
    template = spec.get("template")
    if (selector is None or selector_convertible(as_dict(selector))) and \
            not template_matches_selector(selector, template):
        labels = as_dict(as_dict(as_dict(template).get("metadata")).get("labels"))
        errs.append(invalid("spec.template.metadata.labels", dict(labels),
                            "`selector` does not match template `labels`"))
    if isinstance(selector, dict) and not as_dict(selector.get("matchLabels")) \
            and not as_list(selector.get("matchExpressions")):
        errs.append(invalid("spec.selector", dict(selector), "empty selector is invalid for daemonset"))
    errs += validate_pod_template_spec(template if isinstance(template, dict) else {}, "spec.template")
    tspec = as_dict(as_dict(template).get("spec"))
    if tspec.get("restartPolicy") != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", tspec.get("restartPolicy", ""), ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                              "activeDeadlineSeconds in DaemonSet is not Supported"))
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += _update_strategy(as_dict(spec.get("updateStrategy")), "spec.updateStrategy")
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return errs


def validate_daemon_set_update(old: Obj, new: Obj) -> list[FieldError]:
    """The apps/v1 registry strategy: ``spec.selector`` is immutable."""
    return immutable(as_dict(new.get("spec")).get("selector"), as_dict(old.get("spec")).get("selector"),
                     "spec.selector")


REGISTRY["DaemonSet"] = KindInfo(
    "DaemonSet", ("apps/v1",), True, "daemonsets", ("ds",), name_rule="subdomain", default=default_daemon_set,
    validate=validate_daemon_set, validate_update=validate_daemon_set_update, tracks_generation=True,
    reconciled=False,
)
