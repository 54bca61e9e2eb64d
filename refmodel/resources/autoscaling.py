"""HorizontalPodAutoscaler (autoscaling/v2, and autoscaling/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/autoscaling/validation/validation.go`` (ValidateHorizontalPodAutoscaler,
validateHorizontalPodAutoscalerSpec, ValidateCrossVersionObjectReference, validateMetrics, validateMetricSpec,
validateObjectSource, validateExternalSource, validatePodsSource, validateResourceSource,
validateContainerResourceSource, validateMetricTarget, validateMetricIdentifier, validateBehavior,
validateScalingRules, validateScalingPolicy) and ``pkg/apis/autoscaling/v2/defaults.go``
(SetDefaults_HorizontalPodAutoscaler, SetDefaults_HorizontalPodAutoscalerBehavior, GenerateHPAScaleUpRules,
GenerateHPAScaleDownRules), ``pkg/apis/autoscaling/v1/defaults.go`` and the v1 conversion of
targetCPUUtilizationPercentage into a Resource metric (its errors carry the internal path upstream too).
**Modelled:** minReplicas >= 1 (HPAScaleToZero is alpha and off), maxReplicas > 0 and >= minReplicas, the
scale target reference, every metric source with its target, the scaling behavior (stabilization window
0-3600 s, selectPolicy, policies of type Pods or Percent with positive values and periods up to 1800 s), and
the v2 defaults (minReplicas 1, 80% CPU utilization when no metric is given, the scale-up and scale-down rules
when a behavior is given).
**Not modelled (and why):** the HPA controller and the metrics pipeline (nothing scales by metrics in the
model); the scale-to-zero rule (its feature gate is off in v1.32); status validation (controller-written).
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    meta_finalizer_errors,
    path_segment_name_errors,
    quantity,
    render_quantity,
)
from .common import validate_dns1123_label as dns1123_label
from .pod import _container_resource_name_errors as container_resource_name_errors

__all__ = ["default_hpa", "validate_hpa"]

Obj = dict[str, Any]

MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW_SECONDS = 3600
MIN_REPLICAS_LOWER_BOUND = 1
SOURCE_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
_SOURCE_FIELDS = {"Object": "object", "Pods": "pods", "Resource": "resource", "External": "external",
                  "ContainerResource": "containerResource"}
SELECT_POLICIES = ("Disabled", "Max", "Min")
POLICY_TYPES = ("Percent", "Pods")
_SCALE_UP: Obj = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                  "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                               {"type": "Percent", "value": 100, "periodSeconds": 15}]}
_SCALE_DOWN: Obj = {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rules(given: Any, defaults: Obj) -> Obj:
    """copyHPAScalingRules over the default rules."""
    rules = copy.deepcopy(defaults)
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies"):
            if given.get(key) is not None:
                rules[key] = given[key]
    return rules


def default_hpa(obj: Obj) -> None:
    """SetDefaults_HorizontalPodAutoscaler (v2; v1 defaults minReplicas only)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if obj.get("apiVersion") == "autoscaling/v1":
        return
    if not as_list(spec.get("metrics")):
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _rules(behavior.get("scaleUp"), _SCALE_UP)
        behavior["scaleDown"] = _rules(behavior.get("scaleDown"), _SCALE_DOWN)


def _ref_errors(ref: Any, field: str) -> list[FieldError]:
    """ValidateCrossVersionObjectReference."""
    r = as_dict(ref)
    errs: list[FieldError] = []
    for key in ("kind", "name"):
        value = r.get(key) if isinstance(r.get(key), str) else ""
        if not value:
            errs.append(required(f"{field}.{key}"))
        else:
            errs += [invalid(f"{field}.{key}", value, m) for m in path_segment_name_errors(str(value))]
    return errs


def _identifier_errors(metric: Any, field: str) -> list[FieldError]:
    """validateMetricIdentifier."""
    name = as_dict(metric).get("name")
    if not isinstance(name, str) or not name:
        return [required(f"{field}.name", "must specify a metric name")]
    return [invalid(f"{field}.name", name, m) for m in path_segment_name_errors(name)]


def _target_errors(target: Obj, field: str) -> list[FieldError]:
    """validateMetricTarget."""
    errs: list[FieldError] = []
    ttype = target.get("type") or ""
    if not ttype:
        errs.append(required(f"{field}.type", "must specify a metric target type"))
    if ttype not in ("Utilization", "Value", "AverageValue"):
        errs.append(invalid(f"{field}.type", ttype, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        if target.get(key) is not None:
            q = quantity(target[key])
            if q is not None and q <= 0:
                errs.append(invalid(f"{field}.{key}", render_quantity(target[key]), "must be positive"))
    utilization = _int(target.get("averageUtilization"))
    if utilization is not None and utilization < 1:
        errs.append(invalid(f"{field}.averageUtilization", utilization, "must be greater than 0"))
    return errs


def _source_errors(kind: str, src: Obj, field: str) -> list[FieldError]:
    target = as_dict(src.get("target"))
    tpath = f"{field}.target"
    errs: list[FieldError] = []
    if kind == "object":
        errs += _ref_errors(src.get("describedObject"), f"{field}.describedObject")
        errs += _identifier_errors(src.get("metric"), f"{field}.metric")
        errs += _target_errors(target, tpath)
        if target.get("value") is None and target.get("averageValue") is None:
            errs.append(required(f"{tpath}.averageValue", "must set either a target value or averageValue"))
    elif kind == "external":
        errs += _identifier_errors(src.get("metric"), f"{field}.metric")
        errs += _target_errors(target, tpath)
        if target.get("value") is None and target.get("averageValue") is None:
            errs.append(required(f"{tpath}.averageValue", "must set either a target value for metric or a per-pod "
                                                          "target"))
        if target.get("value") is not None and target.get("averageValue") is not None:
            errs.append(forbidden(f"{tpath}.value", "may not set both a target value for metric and a per-pod target"))
    elif kind == "pods":
        errs += _identifier_errors(src.get("metric"), f"{field}.metric")
        errs += _target_errors(target, tpath)
        if target.get("averageValue") is None:
            errs.append(required(f"{tpath}.averageValue", "must specify a positive target averageValue"))
    else:  # resource, containerResource
        name = src.get("name") if isinstance(src.get("name"), str) else ""
        if not name:
            errs.append(required(f"{field}.name", "must specify a resource name"))
        elif kind == "containerResource":
            errs += container_resource_name_errors(str(name), f"{field}.name")
        if kind == "containerResource":
            container = src.get("container") if isinstance(src.get("container"), str) else ""
            if not container:
                errs.append(required(f"{field}.container", "must specify a container"))
            else:
                errs += dns1123_label(str(container), f"{field}.container")
        errs += _target_errors(target, tpath)
        if target.get("averageUtilization") is None and target.get("averageValue") is None:
            errs.append(required(f"{tpath}.averageUtilization", "must set either a target raw value or a target "
                                                                "utilization"))
        if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
            errs.append(forbidden(f"{tpath}.averageValue", "may not set both a target raw value and a target "
                                                           "utilization"))
    return errs


def _metric_errors(metric: Obj, field: str) -> list[FieldError]:
    """validateMetricSpec."""
    errs: list[FieldError] = []
    mtype = metric.get("type") or ""
    if not mtype:
        errs.append(required(f"{field}.type", "must specify a metric source type"))
    if mtype not in SOURCE_TYPES:
        errs.append(not_supported(f"{field}.type", mtype, SOURCE_TYPES))
    present: list[str] = []
    for key in ("object", "external", "pods", "resource", "containerResource"):
        if isinstance(metric.get(key), dict):
            present.append(key)
            if len(present) == 1:
                errs += _source_errors(key, metric[key], f"{field}.{key}")
    expected = _SOURCE_FIELDS.get(str(mtype))
    if expected is None:
        errs.append(not_supported(f"{field}.type", mtype, SOURCE_TYPES))
    elif not isinstance(metric.get(expected), dict):
        errs.append(required(f"{field}.{expected}", "must populate information for the given metric source"))
    if len(present) != 1:
        errs += [forbidden(f"{field}.{key}", "must populate the given metric source only") for key in present
                 if key != expected]
    return errs


def _scaling_rules_errors(rules: Any, field: str) -> list[FieldError]:
    """validateScalingRules / validateScalingPolicy."""
    if not isinstance(rules, dict):
        return []
    errs: list[FieldError] = []
    window = _int(rules.get("stabilizationWindowSeconds"))
    if window is not None and window < 0:
        errs.append(invalid(f"{field}.stabilizationWindowSeconds", window, "must be greater than or equal to zero"))
    if window is not None and window > MAX_STABILIZATION_WINDOW_SECONDS:
        errs.append(invalid(f"{field}.stabilizationWindowSeconds", window,
                            f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    select = rules.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        errs.append(not_supported(f"{field}.selectPolicy", select, SELECT_POLICIES))
    policies = as_list(rules.get("policies"))
    if not policies:
        errs.append(required(f"{field}.policies", "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        p, path = as_dict(policy), f"{field}.policies[{i}]"
        if p.get("type") not in ("Pods", "Percent"):
            errs.append(not_supported(f"{path}.type", p.get("type", ""), POLICY_TYPES))
        value, period = _int(p.get("value")) or 0, _int(p.get("periodSeconds")) or 0
        if value <= 0:
            errs.append(invalid(f"{path}.value", value, "must be greater than zero"))
        if period <= 0:
            errs.append(invalid(f"{path}.periodSeconds", period, "must be greater than zero"))
        if period > MAX_PERIOD_SECONDS:
            errs.append(invalid(f"{path}.periodSeconds", period, f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return errs


def validate_hpa(obj: Obj) -> list[FieldError]:
    """ValidateHorizontalPodAutoscaler on the spec as converted to the internal version."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    min_replicas, max_replicas = _int(spec.get("minReplicas")), _int(spec.get("maxReplicas")) or 0
    if min_replicas is not None and min_replicas < MIN_REPLICAS_LOWER_BOUND:
        errs.append(invalid("spec.minReplicas", min_replicas,
                            f"must be greater than or equal to {MIN_REPLICAS_LOWER_BOUND}"))
    if max_replicas < 1:
        errs.append(invalid("spec.maxReplicas", max_replicas, "must be greater than 0"))
    if min_replicas is not None and max_replicas < min_replicas:
        errs.append(invalid("spec.maxReplicas", max_replicas, "must be greater than or equal to `minReplicas`"))
    errs += _ref_errors(spec.get("scaleTargetRef"), "spec.scaleTargetRef")
    if obj.get("apiVersion") == "autoscaling/v1":
        percent = _int(spec.get("targetCPUUtilizationPercentage"))
        if percent is not None and percent < 1:  # converted to a Resource metric with averageUtilization
            errs.append(invalid("spec.metrics[0].resource.target.averageUtilization", percent,
                                "must be greater than 0"))
        return errs
    for i, metric in enumerate(as_list(spec.get("metrics"))):
        errs += _metric_errors(as_dict(metric), f"spec.metrics[{i}]")
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        errs += _scaling_rules_errors(behavior.get("scaleUp"), "spec.behavior.scaleUp")
        errs += _scaling_rules_errors(behavior.get("scaleDown"), "spec.behavior.scaleDown")
    return errs


REGISTRY["HorizontalPodAutoscaler"] = KindInfo(
    "HorizontalPodAutoscaler", ("autoscaling/v2", "autoscaling/v1"), True, "horizontalpodautoscalers", ("hpa",),
    name_rule="subdomain", default=default_hpa, validate=validate_hpa, tracks_generation=True, reconciled=False,
)
