"""Namespace: defaulting and validation.

**Mirrors:** ``pkg/apis/core/validation/validation.go`` (ValidateNamespace),
``pkg/registry/core/namespace/strategy.go`` (PrepareForCreate: phase Active, finalizer ``kubernetes``).
"""

from __future__ import annotations

from typing import Any

from . import REGISTRY, KindInfo

Obj = dict[str, Any]


def default_namespace(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("finalizers", ["kubernetes"])
    md = obj.get("metadata")
    if isinstance(md, dict):
        labels = md.setdefault("labels", {}) if md.get("labels") is not None else md.setdefault("labels", {})
        if isinstance(labels, dict) and isinstance(md.get("name"), str):
            labels["kubernetes.io/metadata.name"] = md["name"]


REGISTRY["Namespace"] = KindInfo(
    "Namespace", ("v1",), False, "namespaces", ("ns",), name_rule="label", default=default_namespace,
)
