"""ReplicationController (v1): defaulting and validation.

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_ReplicationController: the selector and the
object's labels default to the template's labels, replicas to 1) and ``pkg/apis/core/validation/
validation.go`` (ValidateReplicationController, ValidateReplicationControllerSpec, ValidateNonEmptySelector,
ValidatePodTemplateSpecForRC, ValidateReplicationControllerUpdate) with
``pkg/registry/core/replicationcontroller/strategy.go`` (generation, status subresource; the selector may
change in core/v1).
**Modelled:** replicas and minReadySeconds >= 0; the selector (a plain label map) is required and non-empty
once defaulted, and must match the template's labels; the template is required and validated in full as a
Pod template (restartPolicy Always only, no activeDeadlineSeconds). A writable GCE PD with several replicas is
accepted: ValidateReadOnlyPersistentDisks was skipped from v1.29 (SkipReadOnlyValidationGCE on) and removed
with its gate in v1.31.
**Not modelled (and why):** the replication manager (the model reconciles ReplicaSets, not RCs: an RC is
checked and stored, its pods are not created); status validation (status is written by that manager only).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import as_dict, meta_finalizer_errors, nonnegative, validate_labels
from .pod import default_pod_spec, validate_pod_template_spec

__all__ = ["default_replication_controller", "validate_replication_controller"]

Obj = dict[str, Any]


def default_replication_controller(obj: Obj) -> None:
    """SetDefaults_ReplicationController."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    template = spec.get("template")
    labels = as_dict(template.get("metadata")).get("labels") if isinstance(template, dict) else None
    if isinstance(labels, dict):
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        md = obj.get("metadata")
        if isinstance(md, dict) and not md.get("labels"):
            md["labels"] = dict(labels)
    spec.setdefault("replicas", 1)
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        default_pod_spec(template["spec"])


def _spec_errors(spec: Obj) -> list[FieldError]:
    """ValidateReplicationControllerSpec / ValidatePodTemplateSpecForRC."""
    errs = nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    selector = as_dict(spec.get("selector"))
    if not selector:
        errs.append(required("spec.selector"))
    else:
        errs += validate_labels(selector, "spec.selector")
    replicas = spec.get("replicas")
    errs += nonnegative(replicas, "spec.replicas")
    template = spec.get("template")
    if not isinstance(template, dict):
        return [*errs, required("spec.template")]
    labels = as_dict(as_dict(template.get("metadata")).get("labels"))
    if selector and any(labels.get(k) != v for k, v in selector.items()):
        errs.append(invalid("spec.template.metadata.labels", dict(labels), "`selector` does not match template `labels`"))
    errs += validate_pod_template_spec(template, "spec.template")
    tspec = as_dict(template.get("spec"))
    if tspec.get("restartPolicy") != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", tspec.get("restartPolicy", ""), ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                              "activeDeadlineSeconds in ReplicationController is not Supported"))
    return errs


def validate_replication_controller(obj: Obj) -> list[FieldError]:
    """ValidateReplicationController (and ValidateReplicationControllerUpdate, which adds nothing for the
    spec: the selector and template may change)."""
    return meta_finalizer_errors(obj) + _spec_errors(as_dict(obj.get("spec")))


REGISTRY["ReplicationController"] = KindInfo(
    "ReplicationController", ("v1",), True, "replicationcontrollers", ("rc",), name_rule="subdomain",
    default=default_replication_controller, validate=validate_replication_controller,
    tracks_generation=True, reconciled=False,
)
