"""Invariants of garbage collection and namespace deletion (rules GC-1..GC-5, NS-2, P-8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..view import View
from . import Context, Invariant, Step, Verdict
from ._helpers import name_of, node_ready
from .storage import protected_in_use

__all__ = ["INVARIANTS"]

_KINDS = ("Pod", "ReplicaSet", "Deployment")


def owner_references_resolve(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for kind in _KINDS:
        for o in view.objects(kind):
            refs = o["metadata"].get("ownerReferences")
            if not refs:
                continue
            n += 1
            if o["metadata"].get("deletionTimestamp"):
                continue  # already being collected (a pod waiting for its failed node's kubelet)
            for r in refs:
                if view.by_uid(r.get("uid", "")) is None:
                    bad.append(f"{name_of(o)} still references {r.get('kind')}/{r.get('name')} (uid {r.get('uid')}) "
                               "after settle, but that owner is gone and the dependent should have been collected")
                    break
    return n, bad


def _alive_owners(view: View, obj: Mapping[str, Any]) -> list[str]:
    out = []
    for r in obj["metadata"].get("ownerReferences") or ():
        owner = view.by_uid(r.get("uid", ""))
        if owner is None:
            continue
        md = owner["metadata"]
        if md.get("deletionTimestamp") and "foregroundDeletion" in (md.get("finalizers") or ()):
            continue  # waiting for its dependents: it counts as gone (classifyReferences "waiting")
        out.append(name_of(owner))
    return out


def collector_deletes_only_ownerless(step: Step, ctx: Context) -> Verdict:
    ev = step.event
    if type(ev).__name__ != "Reconcile" or getattr(ev, "controller", "") != "garbagecollector":
        return 0, []
    n, bad = 0, []
    for kind in _KINDS:
        for old in step.before.objects(kind):
            md = old["metadata"]
            if md.get("deletionTimestamp"):
                continue
            new = step.after.get(kind, md.get("namespace") or "", md["name"])
            if new is not None and new["metadata"].get("uid") == md.get("uid") and not new["metadata"].get(
                    "deletionTimestamp"):
                continue
            n += 1
            alive = _alive_owners(step.before, old)
            if alive or not md.get("ownerReferences"):
                why = f"its owner {alive[0]} is alive" if alive else "it has no owner"
                bad.append(f"{name_of(old)} was deleted by the garbage collector, but {why} [{ev}]")
    return n, bad


def orphaned_dependents_survive(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for owner_uid, deps in ctx.orphaned.items():
        if view.by_uid(owner_uid) is not None:
            continue  # the owner itself is still there: "gone after settle" judges that
        ns = view.get("Namespace", "", (ctx.deleted.get(owner_uid) or ("", "", "", ""))[1] or "default")
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            continue  # their namespace is being deleted: everything in it goes (NS-2)
        for uid in deps:
            dep = view.by_uid(uid)
            node = view.get("Node", "", dep["spec"].get("nodeName") or "") if dep is not None and dep.get(
                "kind") == "Pod" else None
            if node is not None and (not node_ready(node) or node["metadata"]["name"] in ctx.down_nodes):
                continue  # evicted from a failed node: the taint manager's doing, not the collector's (NODE-2)
            if dep is None and ctx.orphan_nodes.get(uid) in ctx.down_nodes:
                continue  # the same, once the eviction has removed it (its node was failed when orphaned)
            if dep is None and ctx.orphan_nodes.get(uid) == "" and ctx.down_nodes:
                continue  # unbound when orphaned while a node was down: it may have been bound there and evicted
            n += 1
            if dep is None or dep["metadata"].get("deletionTimestamp"):
                what = "is gone" if dep is None else "is being deleted"
                bad.append(f"dependent uid {uid} of an owner deleted with propagationPolicy=Orphan {what} after "
                           "settle, but orphaned dependents must be kept")
            elif any(r.get("uid") == owner_uid for r in dep["metadata"].get("ownerReferences") or ()):
                bad.append(f"{name_of(dep)} still references its owner (uid {owner_uid}) after an Orphan "
                           "deletion settled, but the reference should have been removed")
    return n, bad


def deleted_objects_are_gone(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    stuck = {p["metadata"]["uid"]: p for p in view.objects("Pod")
             if p["spec"].get("nodeName") and not _node_is_ready(view, p["spec"]["nodeName"])}
    for uid, (_kind, _ns, _name, policy) in ctx.deleted.items():
        obj = view.by_uid(uid)
        n += 1
        if obj is None:
            continue
        if _waits_for_failed_node(view, obj, stuck) or protected_in_use(view, obj):
            continue
        bad.append(f"{name_of(obj)} still exists after settle (deletionTimestamp="
                   f"{obj['metadata'].get('deletionTimestamp')}, finalizers={list(obj['metadata'].get('finalizers') or ())}), "
                   f"but was deleted with propagationPolicy={policy} and nothing blocks it")
    return n, bad


def _node_is_ready(view: View, name: str) -> bool:
    node = view.get("Node", "", name)
    return node is not None and node_ready(node)


def _waits_for_failed_node(view: View, obj: Mapping[str, Any], stuck: Mapping[str, Any]) -> bool:
    """A pod on a dead node stays Terminating until its kubelet returns (NODE-4); so do its owners
    deleted in the foreground and its namespace (NS-2)."""
    if not stuck:
        return False
    uid = obj["metadata"].get("uid")
    if uid in stuck:
        return True
    if obj.get("kind") == "Namespace":
        return any(p["metadata"].get("namespace") == obj["metadata"]["name"] for p in stuck.values())
    frontier = {uid}
    seen: set[str] = set()
    while frontier:
        seen |= frontier
        nxt = set()
        for kind in _KINDS:
            for o in view.objects(kind):
                if any(r.get("uid") in frontier for r in o["metadata"].get("ownerReferences") or ()):
                    if o["metadata"].get("uid") in stuck:
                        return True
                    nxt.add(o["metadata"].get("uid"))
        frontier = nxt - seen
    return False


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("after settle, every owner reference resolves to a live owner (no orphans after background deletion)",
              ("GC-2", "GC-5"), "convergence", owner_references_resolve),
    Invariant("the garbage collector deletes an object only when none of its owners is alive",
              ("GC-2", "GC-3"), "transition", collector_deletes_only_ownerless, intermediate=True,
              needs=frozenset({"single-step", "intermediate"}), changes=_KINDS),
    Invariant("after an Orphan deletion settles, the dependents are kept without the owner reference",
              ("GC-2",), "convergence", orphaned_dependents_survive),
    Invariant("after settle, an object the run deleted is gone unless a pod on a failed node holds it",
              ("GC-2", "NS-2", "P-8", "NODE-4"), "convergence", deleted_objects_are_gone),
)
