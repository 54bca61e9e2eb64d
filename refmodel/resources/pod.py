"""Pod: defaulting and validation.

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_Pod, SetDefaults_PodSpec,
SetDefaults_Container), ``pkg/apis/core/validation/validation.go`` (ValidatePodCreate, ValidatePodSpec,
ValidatePodUpdate), ``pkg/registry/core/pod/strategy.go`` (PrepareForCreate).
**Modelled:** see the functions; the pod template of workloads shares :func:`default_pod_spec`.
**Not modelled:** see the module's validation notes.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, required
from . import REGISTRY, KindInfo

__all__ = ["default_pod", "default_pod_spec", "image_pull_policy_for", "validate_pod"]

Obj = dict[str, Any]


def image_pull_policy_for(image: str) -> str:
    """``Always`` for ``:latest`` or untagged images, else ``IfNotPresent`` (SetDefaults_Container)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _default_container(c: Obj) -> None:
    if isinstance(c.get("image"), str) and "imagePullPolicy" not in c:
        c["imagePullPolicy"] = image_pull_policy_for(c["image"])
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")


def default_pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                _default_container(c)


def default_pod(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        default_pod_spec(spec)
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)


def validate_pod(obj: Obj) -> list[FieldError]:
    errs: list[FieldError] = []
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [required("spec")]
    containers = spec.get("containers")
    if not containers:
        errs.append(required("spec.containers"))
    for i, c in enumerate(containers or []):
        if not isinstance(c, dict):
            continue
        if not c.get("name"):
            errs.append(required(f"spec.containers[{i}].name"))
        if not c.get("image"):
            errs.append(required(f"spec.containers[{i}].image"))
    return errs


REGISTRY["Pod"] = KindInfo(
    "Pod", ("v1",), True, "pods", ("po",), default=default_pod, validate=validate_pod,
)
