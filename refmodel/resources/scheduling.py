"""PriorityClass (scheduling.k8s.io/v1) and Lease (coordination.k8s.io/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/scheduling/validation/validation.go`` (ValidatePriorityClass,
ValidatePriorityClassUpdate) with ``pkg/apis/scheduling/helpers.go`` (IsKnownSystemPriorityClass) and
``pkg/apis/core/validation`` (ValidatePreemptionPolicy); ``pkg/apis/scheduling/v1/defaults.go``
(SetDefaults_PriorityClass); ``pkg/apis/coordination/validation/validation.go`` (ValidateLease,
ValidateLeaseSpec, ValidateCoordinatedLeaseStrategy).
**Modelled:** PriorityClass: the ``system-`` prefix is reserved for the two built-in classes with their exact
values, user values at most one billion, preemptionPolicy (defaulted to PreemptLowerPriority), value and
preemptionPolicy immutable. Lease: leaseDurationSeconds > 0, leaseTransitions >= 0, strategy and
preferredHolder (with upstream's doubled ``spec.strategy.strategy`` path).
**Not modelled (and why):** the Priority admission plugin (one globalDefault class, the built-in classes a
cluster starts with, a pod's priority from its class): the model's pods carry no priority; leader election
itself (nothing in the model elects).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported
from . import REGISTRY, KindInfo
from .common import as_dict, immutable, meta_finalizer_errors, qualified_name_errors

__all__ = ["default_priority_class", "validate_lease", "validate_priority_class", "validate_priority_class_update"]

Obj = dict[str, Any]

HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_PREFIX = "system-"
SYSTEM_CLASSES = {"system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000}
PREEMPTION_POLICIES = ("PreemptLowerPriority", "Never")


def default_priority_class(obj: Obj) -> None:
    """SetDefaults_PriorityClass."""
    if obj.get("preemptionPolicy") is None:
        obj["preemptionPolicy"] = "PreemptLowerPriority"


def _known_system_class_error(name: str, value: Any, global_default: Any) -> str | None:
    """IsKnownSystemPriorityClass."""
    if name not in SYSTEM_CLASSES:
        return f"{name} is not a known system priority class"
    if value != SYSTEM_CLASSES[name]:
        return f"value of {name} PriorityClass must be {SYSTEM_CLASSES[name]}"
    if global_default is True:
        return f"globalDefault of {name} PriorityClass must be false"
    return None


def validate_priority_class(obj: Obj) -> list[FieldError]:
    """ValidatePriorityClass."""
    errs = meta_finalizer_errors(obj)
    name = str(as_dict(obj.get("metadata")).get("name") or "")
    value = obj.get("value", 0)
    if name.startswith(SYSTEM_PREFIX):
        err = _known_system_class_error(name, value, obj.get("globalDefault"))
        if err is not None:
            errs.append(forbidden("metadata.name", f"priority class names with '{SYSTEM_PREFIX}' prefix are reserved "
                                                   f"for system use only. error: {err}"))
    elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.append(forbidden("value", f"maximum allowed value of a user defined priority is "
                                       f"{HIGHEST_USER_DEFINABLE_PRIORITY}"))
    policy = obj.get("preemptionPolicy")
    if policy is not None and policy not in PREEMPTION_POLICIES:
        errs.append(not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
    return errs


def validate_priority_class_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidatePriorityClassUpdate: value and preemptionPolicy never change."""
    errs: list[FieldError] = []
    if new.get("value", 0) != old.get("value", 0):
        errs.append(forbidden("value", "may not be changed in an update."))
    return errs + immutable(new.get("preemptionPolicy"), old.get("preemptionPolicy"), "preemptionPolicy")


LEASE_STRATEGIES = ("OldestEmulationVersion",)


def validate_lease(obj: Obj) -> list[FieldError]:
    """ValidateLease / ValidateLeaseSpec."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    duration, transitions = spec.get("leaseDurationSeconds"), spec.get("leaseTransitions")
    if isinstance(duration, int) and duration <= 0:
        errs.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    if isinstance(transitions, int) and transitions < 0:
        errs.append(invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
    strategy = spec.get("strategy")
    if isinstance(strategy, str):
        path = "spec.strategy.strategy"  # upstream appends the child twice
        if "/" not in strategy:
            if strategy not in LEASE_STRATEGIES:
                errs.append(not_supported(path, strategy, LEASE_STRATEGIES))
        else:
            errs += [invalid(path, strategy, m) for m in qualified_name_errors(strategy)]
    if spec.get("preferredHolder") and not spec.get("strategy"):
        errs.append(forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"))
    return errs


REGISTRY["PriorityClass"] = KindInfo(
    "PriorityClass", ("scheduling.k8s.io/v1",), False, "priorityclasses", ("pc",), name_rule="subdomain",
    default=default_priority_class, validate=validate_priority_class, validate_update=validate_priority_class_update,
    has_status=False, top_level=("value", "globalDefault", "description", "preemptionPolicy"),
)
REGISTRY["Lease"] = KindInfo(
    "Lease", ("coordination.k8s.io/v1",), True, "leases", (), name_rule="subdomain", validate=validate_lease,
    has_status=False, top_level=("spec",),
)
