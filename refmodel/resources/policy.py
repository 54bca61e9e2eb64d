"""PodDisruptionBudget (policy/v1): validation.

**Mirrors:** ``pkg/apis/policy/validation/validation.go`` (ValidatePodDisruptionBudget,
ValidatePodDisruptionBudgetSpec with ``apps/validation`` ValidatePositiveIntOrPercent and
IsNotMoreThan100Percent; ValidatePodDisruptionBudgetStatusUpdate) and
``pkg/registry/policy/poddisruptionbudget/strategy.go`` (status reset on create, spec updates allowed in
policy/v1, generation bumps on spec changes, status through its subresource).
**Modelled:** minAvailable xor maxUnavailable; each a non-negative integer or a percentage of at most 100%;
the selector (an empty or missing selector is valid: in policy/v1 it selects every pod of the namespace);
unhealthyPodEvictionPolicy; finalizer names.
**Not modelled (and why):** the disruption controller (status is never computed) and eviction (the model
has no Eviction subresource); status validation (status is written only by that controller);
AllowInvalidLabelValueInSelector (it only lets an update keep an old invalid selector value, which this model
never stores).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, invalid, not_supported
from . import REGISTRY, KindInfo
from .common import as_dict, meta_finalizer_errors, validate_label_selector
from .deployment import is_not_more_than_100_percent, validate_positive_int_or_percent

__all__ = ["validate_pod_disruption_budget"]

EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def validate_pod_disruption_budget(obj: dict[str, Any]) -> list[FieldError]:
    """ValidatePodDisruptionBudget / ValidatePodDisruptionBudgetSpec."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errs.append(invalid("spec", dict(spec), "minAvailable and maxUnavailable cannot be both set"))
    for key in ("minAvailable", "maxUnavailable"):
        value = spec.get(key)
        if value is not None:
            errs += validate_positive_int_or_percent(value, f"spec.{key}")
            errs += is_not_more_than_100_percent(value, f"spec.{key}")
    if spec.get("selector") is not None:
        errs += validate_label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in EVICTION_POLICIES:
        errs.append(not_supported("spec.unhealthyPodEvictionPolicy", policy, EVICTION_POLICIES))
    return errs


REGISTRY["PodDisruptionBudget"] = KindInfo(
    "PodDisruptionBudget", ("policy/v1",), True, "poddisruptionbudgets", ("pdb",),
    validate=validate_pod_disruption_budget, tracks_generation=True, reconciled=False,
)
