"""Namespace: defaulting and validation.

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_Namespace: the ``kubernetes.io/metadata.name``
label), ``pkg/registry/core/namespace/strategy.go`` (PrepareForCreate: spec finalizer ``kubernetes``; the
phase ``Active`` is set by :mod:`refmodel.admission`) and ``pkg/apis/core/validation/validation.go``
(ValidateNamespace, validateFinalizerName, ValidateNamespaceUpdate).
**Modelled:** NS-1 (names are DNS-1123 labels, via the registry's name rule), the immutable name label
kept in sync with the name, spec finalizer names (qualified; unprefixed ones must be standard).
**Not modelled (and why):** the ``finalize`` subresource (the namespace controller edits finalizers
directly through the controller write path).
"""

from __future__ import annotations

from typing import Any

from ..admission import prepare_namespace
from ..errors import FieldError
from . import REGISTRY, KindInfo
from .common import as_dict, as_list, meta_finalizer_errors, validate_finalizers

__all__ = ["default_namespace", "validate_namespace"]

Obj = dict[str, Any]

NAME_LABEL = "kubernetes.io/metadata.name"


def default_namespace(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict) and spec.get("finalizers") is None:
        spec["finalizers"] = ["kubernetes"]
    md = obj.get("metadata")
    if isinstance(md, dict) and isinstance(md.get("name"), str) and md["name"]:
        labels = md.get("labels")
        if not isinstance(labels, dict):
            labels = {}
            md["labels"] = labels
        labels[NAME_LABEL] = md["name"]


def validate_namespace(obj: Obj) -> list[FieldError]:
    """ValidateNamespace: spec finalizer names (the path has no index upstream)."""
    errs = meta_finalizer_errors(obj)
    finalizers = as_list(as_dict(obj.get("spec")).get("finalizers"))
    for err in validate_finalizers(finalizers, "spec.finalizers"):
        errs.append(type(err)(err.type, "spec.finalizers", err.detail, err.value, err.has_value))
    return errs


def prepare_namespace_update(old: Obj, new: Obj) -> None:
    """PrepareForUpdate (pkg/registry/core/namespace/strategy.go): spec.finalizers change only through
    the finalize subresource, so an update keeps the live ones."""
    old_spec: dict[str, Any] = old["spec"] if isinstance(old.get("spec"), dict) else {}
    spec = new.setdefault("spec", {})
    if isinstance(spec, dict):
        if "finalizers" in old_spec:
            spec["finalizers"] = list(old_spec["finalizers"])
        else:
            spec.pop("finalizers", None)


REGISTRY["Namespace"] = KindInfo(
    "Namespace", ("v1",), False, "namespaces", ("ns",), name_rule="label", default=default_namespace,
    validate=validate_namespace, prepare_update=prepare_namespace_update, prepare_create=prepare_namespace,
)
