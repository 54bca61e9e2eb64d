"""What the API server does to a new object before storing it (registry PrepareForCreate and admission),
and to a pod it binds to a node.

**Mirrors:** ``pkg/registry/core/pod/strategy.go`` (PrepareForCreate: phase Pending, QOS class),
``plugin/pkg/admission/defaulttolerationseconds/admission.go`` (not-ready/unreachable NoExecute
tolerations of 300 s), ``pkg/registry/core/namespace/strategy.go`` (phase Active),
``pkg/registry/core/node/strategy.go``; ``pkg/registry/core/pod/storage/storage.go`` (BindingREST.assignPod,
setPodHostAndAnnotations: ``spec.nodeName`` and the PodScheduled condition).
**Modelled:** rules P-1 (new pods are Pending), NODE-2 (default tolerations), NS-2 (phase Active); a Node
created by a user is Ready as if its kubelet had registered it.
The kinds declare these as their ``prepare_create`` (``refmodel/resources/pod.py``, ``namespace.py``,
``node.py``); the API server runs them on every new object, a user's or a controller's.
**Not modelled (and why):** the ServiceAccount admission plugin (token volume, ``serviceAccountName:
default``): no API access from pods is simulated; LimitRanger and ResourceQuota (opaque kinds).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .frozen import EMPTY, FrozenDict, freeze, freeze_dict, with_
from .podutil import pod_qos

if TYPE_CHECKING:
    from .state import ClusterState

__all__ = ["bind_pod", "default_tolerations", "node_status", "prepare_namespace", "prepare_node", "prepare_pod"]

_TOLERATION_CACHE: dict[int, tuple[Any, tuple[Any, ...]]] = {}
_dict_set = dict.__setitem__  # for building a FrozenDict before anyone sees it


def default_tolerations(tolerations: tuple[Any, ...], seconds: int) -> tuple[Any, ...]:
    """Add the not-ready and unreachable NoExecute tolerations unless the pod already has them."""
    hit = _TOLERATION_CACHE.get(id(tolerations))
    if hit is not None and hit[0] is tolerations:
        return hit[1]
    out = tuple(tolerations)
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(
            (t.get("key") == key or (not t.get("key") and t.get("operator") == "Exists"))
            and t.get("effect") in (None, "", "NoExecute")
            for t in out
        ):
            out = (*out, freeze({"key": key, "operator": "Exists", "effect": "NoExecute",
                                  "tolerationSeconds": seconds}))
    if len(_TOLERATION_CACHE) > 10_000:
        _TOLERATION_CACHE.clear()
    _TOLERATION_CACHE[id(tolerations)] = (tolerations, out)
    return out


# spec -> (spec, defaulted spec, initial status, toleration seconds)
_SPEC_CACHE: dict[int, tuple[Any, FrozenDict, FrozenDict, int]] = {}


def prepare_pod(state: ClusterState, pod: FrozenDict) -> FrozenDict:
    spec = pod["spec"]
    seconds = state.config.default_toleration_seconds
    hit = _SPEC_CACHE.get(id(spec))
    if hit is not None and hit[0] is spec and hit[3] == seconds:
        new_spec, status = hit[1], hit[2]
    else:
        tol = default_tolerations(tuple(spec.get("tolerations") or ()), seconds)
        # the Pod kind's own defaults (SetDefaults_PodSpec covers templates; these are Pod-only)
        extra = {k: v for k, v in (("enableServiceLinks", True), ("priority", 0)) if k not in spec}
        new_spec = with_(spec, tolerations=tol, **extra)
        status = FrozenDict({"phase": "Pending", "qosClass": pod_qos(spec)})
        if len(_SPEC_CACHE) > 10_000:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[id(spec)] = (spec, new_spec, status, seconds)
    new = FrozenDict(pod)  # with_(pod, spec=new_spec, status=status), with dict calls (one per new pod)
    _dict_set(new, "spec", new_spec)
    _dict_set(new, "status", status)
    return new


def prepare_namespace(state: ClusterState, ns: FrozenDict) -> FrozenDict:
    return with_(ns, status=FrozenDict({"phase": "Active"}))


def node_status(name: str, index: int, cpu: str = "4", memory: str = "16Gi", pods: int = 110,
                now: str = "") -> FrozenDict:
    """A Ready node's status as its kubelet would post it."""
    cond = [
        {"type": t, "status": "False", "reason": r, "lastHeartbeatTime": now, "lastTransitionTime": now}
        for t, r in (("MemoryPressure", "KubeletHasSufficientMemory"), ("DiskPressure", "KubeletHasNoDiskPressure"),
                     ("PIDPressure", "KubeletHasSufficientPID"))
    ]
    cond.append({"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                 "lastHeartbeatTime": now, "lastTransitionTime": now})
    resources = {"cpu": cpu, "memory": memory, "pods": str(pods)}
    return freeze_dict({
        "capacity": resources,
        "allocatable": resources,
        "conditions": cond,
        "addresses": [{"type": "InternalIP", "address": f"172.18.{index // 250}.{index % 250 + 2}"},
                      {"type": "Hostname", "address": name}],
        "nodeInfo": {"kubeletVersion": "v1.32.0", "containerRuntimeVersion": "containerd://1.7.0",
                     "operatingSystem": "linux", "architecture": "amd64"},
    })


def prepare_node(state: ClusterState, node: FrozenDict) -> FrozenDict:
    status = node.get("status") or EMPTY
    if status.get("conditions"):
        return node
    cap = status.get("capacity") or status.get("allocatable") or EMPTY
    fresh = node_status(node["metadata"].get("name", ""), state.count("Node"), str(cap.get("cpu", "4")),
                        str(cap.get("memory", "16Gi")), int(cap.get("pods", 110)), state.timestamp())
    return with_(node, status=fresh)


# ---------------------------------------------------------------------------------------------
# the binding subresource
# ---------------------------------------------------------------------------------------------
def bind_pod(state: ClusterState, pod: FrozenDict, node: str) -> FrozenDict:
    """What a Binding writes: ``spec.nodeName`` and ``PodScheduled=True``. The result is a new object (the
    API server stamps it in place before anyone sees it)."""
    now = state.timestamp()
    status = pod.get("status") or EMPTY
    if not status.get("conditions"):
        # the usual case: a new pod's first condition (the pods of one template created and bound in the
        # same second share the result: _shared, with its lookup inline)
        hit = _SHARED.get((id(status), now))
        if hit is not None and hit[0] is status:
            status = hit[1]
        else:
            status = _shared(status, now, lambda: with_(status, conditions=_scheduled_conditions(now)))
    else:
        status = with_(status, conditions=_scheduled_after(status["conditions"], now))
    spec = pod["spec"]
    hit = _SHARED.get((id(spec), node))
    new = FrozenDict(pod)
    _dict_set(new, "spec", hit[1] if hit is not None and hit[0] is spec else _shared(
        spec, node, lambda: with_(spec, nodeName=node)))
    _dict_set(new, "status", status)
    return new



_SCHEDULED: dict[tuple[int, str], tuple[Any, tuple[FrozenDict, ...]]] = {}


def _scheduled_after(current: tuple[FrozenDict, ...], now: str) -> tuple[FrozenDict, ...]:
    """``current`` with PodScheduled=True (its lastTransitionTime kept if it was True). Memoised by identity
    of ``current``: the pods the scheduler marked unschedulable together share their conditions, and so
    share them again once bound in the same second (the cache holds ``current``, so its id stays valid)."""
    hit = _SCHEDULED.get((id(current), now))
    if hit is not None and hit[0] is current:
        return hit[1]
    conds = list(current)
    for i, c in enumerate(conds):
        if c.get("type") == "PodScheduled":
            since = c.get("lastTransitionTime") if c.get("status") == "True" else now
            conds[i] = FrozenDict({"type": "PodScheduled", "status": "True", "lastTransitionTime": since})
            break
    else:
        conds.append(FrozenDict({"type": "PodScheduled", "status": "True", "lastTransitionTime": now}))
    out = tuple(conds)
    if len(_SCHEDULED) > 10_000:
        _SCHEDULED.clear()
    _SCHEDULED[(id(current), now)] = (current, out)
    return out


@lru_cache(maxsize=1024)
def _scheduled_conditions(now: str) -> tuple[FrozenDict, ...]:
    return (FrozenDict({"type": "PodScheduled", "status": "True", "lastTransitionTime": now}),)


_SHARED: dict[tuple[int, str], tuple[Any, FrozenDict]] = {}


def _shared(value: FrozenDict, key: str, build: Callable[[], FrozenDict]) -> FrozenDict:
    """``build()``, memoised by identity of ``value`` and by ``key``: pods of one template bound to one node
    share their spec, pods bound in the same second their status (values are immutable, so sharing is
    invisible but for memory). The cache holds ``value``, so its id cannot be reused while cached."""
    k = (id(value), key)
    hit = _SHARED.get(k)
    if hit is not None and hit[0] is value:
        return hit[1]
    out = build()
    if len(_SHARED) > 20_000:
        _SHARED.clear()
    _SHARED[k] = (value, out)
    return out
