"""Pod predicates the controllers share.

**Mirrors:** ``pkg/api/v1/pod/util.go`` (IsPodReady, IsPodAvailable, GetPodCondition),
``pkg/controller/controller_utils.go`` (IsPodActive, IsPodTerminal), ``pkg/apis/core/v1/helper/qos/qos.go``
(GetPodQOS), ``pkg/apis/meta/v1`` (GetControllerOf).
**Modelled:** rules P-5, P-6 (strict ``<`` for availability), P-7.
**Not modelled:** readiness gates' external conditions (no controller sets them; a pod with gates stays unready).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .frozen import EMPTY
from .quantity import milli_value
from .state import parse_time

__all__ = [
    "get_condition",
    "get_controller_of",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "is_pod_terminal",
    "pod_qos",
    "pod_requests",
]


def get_condition(status: Mapping[str, Any] | None, ctype: str) -> Mapping[str, Any] | None:
    if not status:
        return None
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c  # type: ignore[no-any-return]
    return None


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    c = get_condition(pod.get("status"), "Ready")
    return c is not None and c.get("status") == "True"


def is_pod_available(pod: Mapping[str, Any], min_ready_seconds: int, now_epoch: int) -> bool:
    """Ready, and ready for strictly more than ``minReadySeconds`` (IsPodAvailable)."""
    c = get_condition(pod.get("status"), "Ready")
    if c is None or c.get("status") != "True":
        return False
    if min_ready_seconds == 0:
        return True
    t = c.get("lastTransitionTime")
    if not t:
        return False
    return parse_time(t) + min_ready_seconds < now_epoch


def ready_since(pod: Mapping[str, Any]) -> int | None:
    c = get_condition(pod.get("status"), "Ready")
    if c is None or c.get("status") != "True" or not c.get("lastTransitionTime"):
        return None
    return parse_time(c["lastTransitionTime"])


def is_pod_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or EMPTY).get("phase") in ("Succeeded", "Failed")


def is_pod_active(pod: Mapping[str, Any]) -> bool:
    """Not terminal and not being deleted (IsPodActive): what ReplicaSets count."""
    return not pod["metadata"].get("deletionTimestamp") and not is_pod_terminal(pod)


def get_controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def pod_requests(spec: Mapping[str, Any]) -> tuple[int, int]:
    """(milli-CPU, memory bytes) requested: max(sum of app containers, largest init container)."""
    cpu = mem = 0
    for c in spec.get("containers") or ():
        req = (c.get("resources") or EMPTY).get("requests") or EMPTY
        if "cpu" in req:
            cpu += milli_value(req["cpu"])
        if "memory" in req:
            mem += milli_value(req["memory"]) // 1000
    for c in spec.get("initContainers") or ():
        req = (c.get("resources") or EMPTY).get("requests") or EMPTY
        if "cpu" in req:
            cpu = max(cpu, milli_value(req["cpu"]))
        if "memory" in req:
            mem = max(mem, milli_value(req["memory"]) // 1000)
    overhead = spec.get("overhead") or EMPTY
    if "cpu" in overhead:
        cpu += milli_value(overhead["cpu"])
    if "memory" in overhead:
        mem += milli_value(overhead["memory"]) // 1000
    return cpu, mem


DEFAULT_MILLI_CPU_REQUEST = 100  # pkg/scheduler/util/pod_resources.go (GetNonzeroRequests)
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
_VECTOR_CACHE: dict[int, tuple[Any, tuple[int, int, int, int, int]]] = {}


def pod_requests_vector(spec: Mapping[str, Any]) -> tuple[int, int, int, int, int]:
    """(cpu milli, memory, 1 pod, non-zero cpu milli, non-zero memory) for fit and scoring.

    Pods created from one template share their ``containers`` value, so the result is memoised by
    its identity (the cache holds the value itself, so the id cannot be reused while cached).
    """
    containers = spec.get("containers")
    if not spec.get("initContainers") and not spec.get("overhead"):
        hit = _VECTOR_CACHE.get(id(containers))
        if hit is not None and hit[0] is containers:
            return hit[1]
    cpu, mem = pod_requests(spec)
    nzc = nzm = 0
    for c in spec.get("containers") or ():
        req = (c.get("resources") or EMPTY).get("requests") or EMPTY
        nzc += milli_value(req["cpu"]) if "cpu" in req else DEFAULT_MILLI_CPU_REQUEST
        nzm += milli_value(req["memory"]) // 1000 if "memory" in req else DEFAULT_MEMORY_REQUEST
    vec = (cpu, mem, 1, max(nzc, cpu), max(nzm, mem))
    if len(_VECTOR_CACHE) > 50_000:
        _VECTOR_CACHE.clear()
    if not spec.get("initContainers") and not spec.get("overhead"):
        _VECTOR_CACHE[id(containers)] = (containers, vec)
    return vec


def pod_qos(spec: Mapping[str, Any]) -> str:
    """BestEffort, Burstable or Guaranteed (GetPodQOS, simplified to cpu and memory)."""
    containers = list(spec.get("containers") or ()) + list(spec.get("initContainers") or ())
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or EMPTY
        req = res.get("requests") or EMPTY
        lim = res.get("limits") or EMPTY
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim:
                guaranteed = False
            elif r in req and milli_value(req[r]) != milli_value(lim[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
