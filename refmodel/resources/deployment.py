"""Deployment (apps/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/apps/v1/defaults.go`` (SetDefaults_Deployment), ``pkg/apis/apps/validation/
validation.go`` (ValidateDeployment, ValidateDeploymentSpec, ValidateDeploymentStrategy,
ValidateRollingUpdateDeployment, ValidatePositiveIntOrPercent, getIntOrPercentValue,
IsNotMoreThan100Percent, ValidateDeploymentUpdate) and ``pkg/registry/apps/deployment/strategy.go``
(ValidateUpdate: the selector is immutable in apps/v1).
**Modelled:** defaults D-1; validation D-2 (maxSurge/maxUnavailable non-negative ints or ``N%``; both zero
is invalid on the RAW values, where a non-percent string counts as its integer value or 0 like Go's
``IntValue``; maxUnavailable at most 100%; no ``rollingUpdate`` with ``Recreate``; progressDeadlineSeconds
> minReadySeconds; replicas, minReadySeconds and revisionHistoryLimit >= 0), L-5 selector rules and the
full template validation shared with ReplicaSets.
**Not modelled (and why):** the deprecated ``spec.rollbackTo`` (not in apps/v1).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import as_dict, meta_finalizer_errors, nonnegative, parse_go_int, percent_errors
from .pod import default_pod_spec
from .replicaset import (
    selector_errors,
    validate_pod_template_spec_for_replica_set,
    validate_replicaset_update,
)

__all__ = [
    "default_deployment",
    "get_int_or_percent_value",
    "is_not_more_than_100_percent",
    "validate_deployment",
    "validate_positive_int_or_percent",
    "validate_rolling_update_deployment",
]

Obj = dict[str, Any]

_PERCENT = re.compile(r"([0-9]+)%")


def default_deployment(obj: Obj) -> None:
    """SetDefaults_Deployment (D-1)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
        if strategy["type"] == "RollingUpdate":
            ru = strategy.setdefault("rollingUpdate", {})
            if isinstance(ru, dict):
                if ru.get("maxUnavailable") is None:
                    ru["maxUnavailable"] = "25%"
                if ru.get("maxSurge") is None:
                    ru["maxSurge"] = "25%"
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        default_pod_spec(tmpl["spec"])


def get_int_or_percent_value(value: Any) -> int:
    """getIntOrPercentValue: the percent number, else ``IntValue()`` (a non-numeric string is 0)."""
    if isinstance(value, str):
        m = _PERCENT.fullmatch(value)
        if m:
            return int(m.group(1))
        return parse_go_int(value) or 0  # strconv.Atoi
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return 0


def validate_positive_int_or_percent(value: Any, field: str) -> list[FieldError]:
    """ValidatePositiveIntOrPercent."""
    if isinstance(value, str):
        return [invalid(field, value, m) for m in percent_errors(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return nonnegative(value, field)
    return [invalid(field, value, "must be an integer or percentage (e.g '5%')")]


def is_not_more_than_100_percent(value: Any, field: str) -> list[FieldError]:
    """IsNotMoreThan100Percent."""
    if isinstance(value, str):
        m = _PERCENT.fullmatch(value)
        if m and int(m.group(1)) > 100:
            return [invalid(field, value, "must not be greater than 100%")]
    return []


def validate_rolling_update_deployment(ru: Obj, field: str) -> list[FieldError]:
    """ValidateRollingUpdateDeployment (D-2)."""
    unavailable, surge = ru.get("maxUnavailable"), ru.get("maxSurge")
    errs = validate_positive_int_or_percent(unavailable, f"{field}.maxUnavailable")
    errs += validate_positive_int_or_percent(surge, f"{field}.maxSurge")
    if get_int_or_percent_value(unavailable) == 0 and get_int_or_percent_value(surge) == 0:
        errs.append(invalid(f"{field}.maxUnavailable", unavailable, "may not be 0 when `maxSurge` is 0"))
    errs += is_not_more_than_100_percent(unavailable, f"{field}.maxUnavailable")
    return errs


def _validate_strategy(strategy: Obj, field: str) -> list[FieldError]:
    stype = strategy.get("type")
    if stype == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            return [forbidden(f"{field}.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            return [required(f"{field}.rollingUpdate", "this should be defaulted and never be nil")]
        return validate_rolling_update_deployment(ru, f"{field}.rollingUpdate")
    return [not_supported(field, strategy, ("Recreate", "RollingUpdate"))]


def validate_deployment(obj: Obj) -> list[FieldError]:
    """ValidateDeployment / ValidateDeploymentSpec."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    sel_errs, convertible = selector_errors(spec, "spec", "deployment")
    errs += sel_errs
    if not convertible:
        errs.append(invalid("spec.selector", spec.get("selector"), "invalid label selector"))
    else:
        errs += validate_pod_template_spec_for_replica_set(spec, "spec", "ReplicaSet")
    errs += _validate_strategy(as_dict(spec.get("strategy")), "spec.strategy")
    min_ready = spec.get("minReadySeconds", 0)
    errs += nonnegative(min_ready, "spec.minReadySeconds")
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errs += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if isinstance(deadline, int) and isinstance(min_ready, int) and deadline <= min_ready:
            errs.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return errs


REGISTRY["Deployment"] = KindInfo(
    "Deployment", ("apps/v1",), True, "deployments", ("deploy",), default=default_deployment,
    validate=validate_deployment, validate_update=validate_replicaset_update, tracks_generation=True,
)
