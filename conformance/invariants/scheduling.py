"""Invariants of scheduling and node failure (rules SCH-1..SCH-5, NODE-1..NODE-4)."""

from __future__ import annotations

from ..view import View, index
from . import Context, Invariant, Step, Verdict
from ._helpers import (
    active,
    allocatable,
    name_of,
    node_ready,
    node_usage,
    pod_requests,
    schedulable_for,
)
from .storage import unschedulable_for_volumes

__all__ = ["INVARIANTS"]


def bound_pods_have_nodes(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for pod in view.objects("Pod"):
        node = pod["spec"].get("nodeName")
        if not node:
            continue
        n += 1
        if view.get("Node", "", node) is None:
            bad.append(f"{name_of(pod)} is bound to node {node}, but no such node exists")
    return n, bad


def nodes_within_allocatable(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    usage = node_usage(view)
    for node in view.objects("Node"):
        name = node["metadata"]["name"]
        used = usage.get(name)
        if used is None:
            continue
        n += 1
        cap = allocatable(node)
        for i, what in enumerate(("cpu (milli)", "memory (bytes)", "pods")):
            if used[i] > cap[i]:
                bad.append(f"Node/{name}: requested {what}={used[i]} by its pods, but allocatable is {cap[i]}")
    return n, bad


def binds_only_to_fitting_nodes(step: Step, ctx: Context) -> Verdict:
    if step.before.version("Pod") is step.after.version("Pod"):
        return 0, []
    n, bad = 0, []
    usage = None
    for pod in step.after.objects("Pod"):
        node_name = pod["spec"].get("nodeName")
        if not node_name:
            continue
        md = pod["metadata"]
        old = step.before.get("Pod", md.get("namespace") or "", md["name"])
        if old is None or old["spec"].get("nodeName") or old["metadata"].get("uid") != md.get("uid"):
            continue  # created bound (spec.nodeName set by its author bypasses the scheduler, SCH-1) or not new
        n += 1
        node = step.before.get("Node", "", node_name)
        if node is None:
            bad.append(f"{name_of(pod)} was bound to {node_name}, but that node did not exist [after {step.event}]")
            continue
        why = schedulable_for(node, pod["spec"])
        if why:
            bad.append(f"{name_of(pod)} was bound to {node_name}, which {why}, but pods only go to Ready, "
                       f"schedulable nodes [after {step.event}]")
            continue
        if usage is None:
            usage = node_usage(step.before)
        used = usage.get(node_name, (0, 0, 0))
        req = pod_requests(pod["spec"])
        cap = allocatable(node)
        if used[0] + req[0] > cap[0] or used[1] + req[1] > cap[1] or used[2] + 1 > cap[2]:
            bad.append(f"{name_of(pod)} (requests cpu={req[0]}m memory={req[1]}) was bound to {node_name} with "
                       f"{used[0]}m/{used[1]} in use of {cap[0]}m/{cap[1]}, but must fit [after {step.event}]")
    return n, bad


def pending_pods_have_no_room(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    usage = node_usage(view)
    nodes = list(view.objects("Node"))
    for pod in view.objects("Pod"):
        if pod["spec"].get("nodeName") or not active(pod):
            continue
        if unschedulable_for_volumes(view, pod):  # its claims hold it back (PV-2, PV-9)
            continue
        n += 1
        req = pod_requests(pod["spec"])
        for node in nodes:
            if schedulable_for(node, pod["spec"]):
                continue
            used = usage.get(node["metadata"]["name"], (0, 0, 0))
            cap = allocatable(node)
            if used[0] + req[0] <= cap[0] and used[1] + req[1] <= cap[1] and used[2] + 1 <= cap[2]:
                bad.append(f"{name_of(pod)} is Pending after settle, but fits on the Ready, schedulable node "
                           f"{node['metadata']['name']}")
                break
    return n, bad


def no_active_pods_on_failed_nodes(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for node in view.objects("Node"):
        if node_ready(node):
            continue
        name = node["metadata"]["name"]
        for pod in view.objects("Pod"):
            if pod["spec"].get("nodeName") != name:
                continue
            n += 1
            if active(pod):
                bad.append(f"{name_of(pod)} is still active on the not-Ready node {name} after settle, but should "
                           "have been evicted once its 300 s toleration ran out")
    return n, bad


def failed_node_pods_replaced(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    failed = {node["metadata"]["name"] for node in view.objects("Node") if not node_ready(node)}
    if not failed:
        return 0, []
    owned = index(view)
    for rs in view.objects("ReplicaSet"):
        if rs["metadata"].get("deletionTimestamp"):
            continue
        pods = [p for p in owned.get(rs["metadata"]["uid"], ()) if p.get("kind") == "Pod"]
        lost = [p for p in pods if p["spec"].get("nodeName") in failed]
        if not lost:
            continue
        n += 1
        act = [p for p in pods if active(p)]
        want = int(rs["spec"].get("replicas", 1))
        if len(act) != want:
            bad.append(f"{name_of(rs)}: {len(act)} active pods after settle with {len(lost)} pod(s) on failed "
                       f"node(s) {sorted(failed)}, but should have replaced them to reach {want}")
    return n, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("every bound pod is bound to a node that exists", ("SCH-2", "P-13"), "state", bound_pods_have_nodes,
              intermediate=True, reads=("Pod", "Node")),
    Invariant("the requests of the pods on a node fit within its allocatable", ("SCH-3",), "state",
              nodes_within_allocatable, intermediate=True, reads=("Pod", "Node")),
    Invariant("a pod is bound only to a Ready, schedulable node where it fits", ("SCH-2", "SCH-3", "SCH-5"),
              "transition", binds_only_to_fitting_nodes, intermediate=True, live=False, changes=("Pod",)),
    Invariant("after settle, a pending pod fits on no Ready, schedulable node", ("SCH-2", "SCH-3"), "convergence",
              pending_pods_have_no_room),
    Invariant("after settle, no active pod is left on a node that is not Ready", ("NODE-1", "NODE-2"),
              "convergence", no_active_pods_on_failed_nodes, needs=frozenset({"node-faults"})),
    Invariant("after settle, the pods a ReplicaSet lost on a failed node are replaced", ("NODE-4", "P-7"),
              "convergence", failed_node_pods_replaced, needs=frozenset({"node-faults"})),
)
