"""The node lifecycle controller and its NoExecute taint manager.

**Mirrors:** ``pkg/controller/nodelifecycle/node_lifecycle_controller.go`` (monitorNodeHealth,
tryUpdateNodeHealth, doNoExecuteTaintingPass, doNoScheduleTaintingPass, MarkPodsNotReady in
``pkg/controller/util/node/controller_utils.go``), ``pkg/controller/tainteviction/taint_eviction.go``
(processPodOnNode, getMinTolerationTime: evict after the smallest ``tolerationSeconds``).
**Modelled:** rules NODE-1, NODE-2, NODE-4, SCH-5, SCH-6: a failed node stops heart-beating; after
``node_monitor_grace_period`` it becomes Ready=Unknown, gets the ``node.kubernetes.io/unreachable``
NoExecute and NoSchedule taints and its pods are marked not ready; pods that do not tolerate the taint
are deleted after their ``tolerationSeconds`` (300 s by admission default) and stay Terminating while
the kubelet is gone; a recovered node is Ready again and its taints are removed; a cordoned node gets the
``node.kubernetes.io/unschedulable`` NoSchedule taint.
**Not modelled (and why):** eviction rate limiting and zone disruption states (NODE-3): with no zones in
the model every node is in one zone and evictions are not throttled; leases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..frozen import EMPTY, FrozenDict, freeze, with_
from ..podutil import get_condition
from ..state import ClusterState, parse_time
from . import Controller, delete, register, update, update_status
from .kubelet import _with_conditions

__all__ = ["node_failed", "node_recovered"]

NAME = "nodelifecycle"
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


def node_failed(state: ClusterState, node: str) -> ClusterState:
    down = state.env.get("down_nodes") or EMPTY
    if node in down:
        return state
    env = state.env.set("down_nodes", with_(down, **{node: state.now}))
    state = state.replace(env=env)
    return state.add_timer(state.now + state.config.node_monitor_grace_period, NAME, node)


def node_recovered(state: ClusterState, node: str) -> ClusterState:
    down = state.env.get("down_nodes") or EMPTY
    if node not in down:
        return state
    state = state.replace(env=state.env.set("down_nodes", with_(down, **{node: None})))
    return state.enqueue(NAME, node).enqueue("kubelet", node)


def _taint_set(taints: tuple[Mapping[str, Any], ...], key: str, effect: str, present: bool,
               now: str) -> tuple[tuple[Mapping[str, Any], ...], bool]:
    has = any(t.get("key") == key and t.get("effect") == effect for t in taints)
    if present and not has:
        return (*taints, freeze({"key": key, "effect": effect, "timeAdded": now})), True
    if not present and has:
        return tuple(t for t in taints if not (t.get("key") == key and t.get("effect") == effect)), True
    return taints, False


def sync(state: ClusterState, name: str) -> ClusterState:
    node = state.get("Node", "", name)
    if node is None:
        return state
    down = state.env.get("down_nodes") or EMPTY
    now_s = state.timestamp()
    status = node.get("status") or EMPTY
    ready = get_condition(status, "Ready")
    taints = tuple((node.get("spec") or EMPTY).get("taints") or ())
    changed = False
    if name in down:
        since = down[name]
        if state.now < since + state.config.node_monitor_grace_period:
            return state.add_timer(since + state.config.node_monitor_grace_period, NAME, name)
        if ready is None or ready.get("status") != "Unknown":
            conds = []
            for c in status.get("conditions") or ():
                if c.get("type") in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
                    c = with_(c, status="Unknown", reason="NodeStatusUnknown",
                              message="Kubelet stopped posting node status.", lastTransitionTime=now_s)
                conds.append(c)
            status = with_(status, conditions=tuple(conds))
            changed = True
        for effect in ("NoSchedule", "NoExecute"):
            taints, ch = _taint_set(taints, UNREACHABLE, effect, True, now_s)
            changed = changed or ch
    else:
        if ready is not None and ready.get("status") != "True":
            conds = []
            for c in status.get("conditions") or ():
                if c.get("type") == "Ready":
                    c = with_(c, status="True", reason="KubeletReady", message="kubelet is posting ready status",
                              lastTransitionTime=now_s)
                elif c.get("type") in ("MemoryPressure", "DiskPressure", "PIDPressure"):
                    c = with_(c, status="False", lastTransitionTime=now_s)
                conds.append(c)
            status = with_(status, conditions=tuple(conds))
            changed = True
        for key in (UNREACHABLE, NOT_READY):
            for effect in ("NoSchedule", "NoExecute"):
                taints, ch = _taint_set(taints, key, effect, False, now_s)
                changed = changed or ch
    cordoned = bool((node.get("spec") or EMPTY).get("unschedulable"))
    taints, ch = _taint_set(taints, UNSCHEDULABLE, "NoSchedule", cordoned, now_s)
    changed = changed or ch
    if changed:
        # the conditions through the status subresource (tryUpdateNodeHealth's UpdateStatus), then the
        # taints on the node (AddOrUpdateTaintOnNode / RemoveTaintOffNode)
        if status is not (node.get("status") or EMPTY):
            state, r = update_status(state, NAME, with_(node, status=status))
            node = r.obj or node
        new = with_(node, spec=with_(node.get("spec") or EMPTY, taints=taints or None))
        state, r = update(state, NAME, new)
        node = r.obj or node
    if name in down:
        state = _mark_pods_not_ready(state, name, now_s)
        state = _evict(state, node)
    return state


def _mark_pods_not_ready(state: ClusterState, node: str, now_s: str) -> ClusterState:
    for pod in state.pods_on_node(node):
        c = get_condition(pod.get("status"), "Ready")
        if c is not None and c.get("status") == "True":
            status = _with_conditions(pod["status"], (("Ready", False, ""),), now_s)
            state = update_status(state, NAME, with_(pod, status=status))[0]
    return state


def _min_toleration_seconds(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> int | None:
    """-1 = forever, None = not tolerated, else seconds (getMinTolerationTime)."""
    from .scheduler import _toleration_matches

    best: int | None = None
    for t in tolerations:
        if not _toleration_matches(t, taint):
            continue
        secs = t.get("tolerationSeconds")
        if secs is None:
            return -1
        secs = max(int(secs), 0)
        best = secs if best is None else min(best, secs)
    return best


def _evict(state: ClusterState, node: FrozenDict) -> ClusterState:
    taints = [t for t in (node.get("spec") or EMPTY).get("taints") or () if t.get("effect") == "NoExecute"]
    if not taints:
        return state
    now = state.config.start_time + state.now
    next_at: int | None = None
    for pod in state.pods_on_node(node["metadata"]["name"]):
        if pod["metadata"].get("deletionTimestamp"):
            continue
        tolerations = pod["spec"].get("tolerations") or ()
        evict_at: int | None = None
        forever = True
        for taint in taints:
            secs = _min_toleration_seconds(tolerations, taint)
            added = parse_time(taint["timeAdded"]) if taint.get("timeAdded") else now
            if secs is None:
                evict_at, forever = now, False
                break
            if secs >= 0:
                forever = False
                at = added + secs
                evict_at = at if evict_at is None else min(evict_at, at)
        if forever or evict_at is None:
            continue
        if evict_at <= now:
            state = delete(state, NAME, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])[0]
        else:
            next_at = evict_at if next_at is None else min(next_at, evict_at)
    if next_at is not None:
        state = state.add_timer(next_at - state.config.start_time, NAME, node["metadata"]["name"])
    return state


def _node_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is None:
        return ()
    if old is None or bool((old.get("spec") or EMPTY).get("unschedulable")) != bool(
            (new.get("spec") or EMPTY).get("unschedulable")):
        return (new["metadata"]["name"],)
    return ()


register(Controller(NAME, sync, {"Node": _node_keys}, environment=True))
