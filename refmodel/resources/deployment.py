"""Deployment: defaulting and validation.

**Mirrors:** ``pkg/apis/apps/v1/defaults.go`` (SetDefaults_Deployment), ``pkg/apis/apps/validation/
validation.go`` (ValidateDeployment, ValidateDeploymentSpec, ValidateRollingUpdateDeployment).
**Modelled:** defaults D-1.
**Not modelled:** see the validation notes.
"""

from __future__ import annotations

from typing import Any

from . import REGISTRY, KindInfo
from .pod import default_pod_spec

__all__ = ["default_deployment"]

Obj = dict[str, Any]


def default_deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            ru = strategy.setdefault("rollingUpdate", {})
            if isinstance(ru, dict):
                ru.setdefault("maxUnavailable", "25%")
                ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        default_pod_spec(tmpl["spec"])


REGISTRY["Deployment"] = KindInfo(
    "Deployment", ("apps/v1",), True, "deployments", ("deploy",), default=default_deployment,
    tracks_generation=True,
)
