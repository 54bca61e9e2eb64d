"""ReplicaSet: defaulting and validation.

**Mirrors:** ``pkg/apis/apps/v1/defaults.go`` (SetDefaults_ReplicaSet), ``pkg/apis/apps/validation/
validation.go`` (ValidateReplicaSet).
"""

from __future__ import annotations

from typing import Any

from . import REGISTRY, KindInfo
from .pod import default_pod_spec

__all__ = ["default_replicaset"]

Obj = dict[str, Any]


def default_replicaset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        default_pod_spec(tmpl["spec"])


REGISTRY["ReplicaSet"] = KindInfo(
    "ReplicaSet", ("apps/v1",), True, "replicasets", ("rs",), default=default_replicaset,
    tracks_generation=True,
)
