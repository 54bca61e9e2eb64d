"""StatefulSet: defaulting and validation (the controller comes with the StatefulSet issue).

**Mirrors:** ``pkg/apis/apps/v1/defaults.go`` (SetDefaults_StatefulSet), ``pkg/apis/apps/validation/
validation.go`` (ValidateStatefulSet, ValidateStatefulSetUpdate).
"""

from __future__ import annotations

from typing import Any

from . import REGISTRY, KindInfo
from .pod import default_pod_spec

Obj = dict[str, Any]


def default_statefulset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if isinstance(us, dict) and us.get("type", "RollingUpdate") == "RollingUpdate":
        us.setdefault("type", "RollingUpdate")
        ru = us.setdefault("rollingUpdate", {})
        if isinstance(ru, dict):
            ru.setdefault("partition", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        default_pod_spec(tmpl["spec"])


REGISTRY["StatefulSet"] = KindInfo(
    "StatefulSet", ("apps/v1",), True, "statefulsets", ("sts",), name_rule="label",
    default=default_statefulset, tracks_generation=True,
)
