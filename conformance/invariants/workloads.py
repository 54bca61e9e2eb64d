"""Invariants of ReplicaSets, their pods and the kubelet (rules RS-1..RS-5, P-1..P-7, GC-1)."""

from __future__ import annotations

from ..view import View, controller_uid, index
from . import Context, Invariant, Verdict
from ._helpers import active, available, name_of, node_ready, ready, selector_matches
from .storage import held_by_storage

__all__ = ["INVARIANTS"]

_PULL_ERRORS = frozenset({"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"})


def one_controller_reference(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for kind in ("Pod", "ReplicaSet"):
        for o in view.objects(kind):
            refs = o["metadata"].get("ownerReferences")
            if not refs:
                continue
            n += 1
            controllers = [r for r in refs if r.get("controller")]
            if len(controllers) > 1:
                owners = ", ".join(f"{r.get('kind')}/{r.get('name')}" for r in controllers)
                bad.append(f"{name_of(o)} has {len(controllers)} controller references ({owners}), "
                           "but should have at most one")
    return n, bad


def _live_replicasets(view: View) -> list[object]:
    return [rs for rs in view.objects("ReplicaSet") if not rs["metadata"].get("deletionTimestamp")]


def replicas_match_after_settle(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    owned = index(view)
    for rs in _live_replicasets(view):
        n += 1
        want = int(rs["spec"].get("replicas", 1))  # type: ignore[index]
        pods = [p for p in owned.get(rs["metadata"]["uid"], ()) if p.get("kind") == "Pod" and active(p)]  # type: ignore[index]
        if len(pods) != want:
            bad.append(f"{name_of(rs)}: {len(pods)} active pods after settle, but should be spec.replicas={want}")  # type: ignore[arg-type]
    return n, bad


def pods_match_their_replicaset(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    live = _live_replicasets(view)
    by_uid = {rs["metadata"]["uid"]: rs for rs in view.objects("ReplicaSet")}
    for pod in view.objects("Pod"):
        if not active(pod):
            continue
        md = pod["metadata"]
        uid = controller_uid(pod)
        if uid is not None and uid in by_uid:
            n += 1
            rs = by_uid[uid]
            if not selector_matches(rs["spec"].get("selector"), md.get("labels")):
                bad.append(f"{name_of(pod)} is controlled by {name_of(rs)} with labels {dict(md.get('labels') or {})}, "
                           f"but should be released: they do not match {rs['spec'].get('selector')}")
        elif uid is None:
            matching = [rs for rs in live if rs["metadata"]["namespace"] == md.get("namespace")  # type: ignore[index]
                        and selector_matches(rs["spec"].get("selector"), md.get("labels"))]  # type: ignore[index]
            if matching:
                n += 1
                bad.append(f"{name_of(pod)} is an orphan after settle, but should be adopted by "
                           f"{name_of(matching[0])}, whose selector matches it")  # type: ignore[arg-type]
    return n, bad


def replicaset_status_when_stable(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    owned = index(view)
    for rs in view.objects("ReplicaSet"):
        md, spec, status = rs["metadata"], rs["spec"], rs.get("status") or {}
        n += 1
        pods = [p for p in owned.get(md["uid"], ()) if p.get("kind") == "Pod" and active(p)]
        min_ready = int(spec.get("minReadySeconds", 0) or 0)
        tmpl = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        want = {
            "replicas": len(pods),
            "readyReplicas": sum(1 for p in pods if ready(p)),
            "availableReplicas": sum(1 for p in pods if available(p, min_ready, view.now)),
            "fullyLabeledReplicas": sum(1 for p in pods if tmpl.items() <= (p["metadata"].get("labels") or {}).items()),
            "observedGeneration": md.get("generation"),
        }
        for k, v in want.items():
            got = status.get(k, 0 if k != "observedGeneration" else None)
            if got != v:
                bad.append(f"{name_of(rs)}: status.{k}={got} after settle, but should be {v}")
                break
    return n, bad


def settled_pods_run(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    nodes = {node["metadata"]["name"]: node for node in view.objects("Node")}
    for pod in view.objects("Pod"):
        md = pod["metadata"]
        node = nodes.get(pod["spec"].get("nodeName") or "")
        if node is None or not node_ready(node) or not active(pod):
            continue
        if (md.get("namespace"), md.get("name")) in ctx.unready_pods:
            continue
        status = pod.get("status") or {}
        if any(((cs.get("state") or {}).get("waiting") or {}).get("reason") in _PULL_ERRORS
               for cs in status.get("containerStatuses") or ()):
            continue
        if held_by_storage(view, pod):  # a claim not usable yet, a missing ConfigMap/Secret (CM-6, PV-9)
            continue
        n += 1
        if status.get("phase") != "Running" or not ready(pod):
            bad.append(f"{name_of(pod)}: phase={status.get('phase')}, ready={ready(pod)} after settle on Ready node "
                       f"{node['metadata']['name']}, but should be Running and Ready (nothing holds it back)")
    return n, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("no object has more than one controller owner reference", ("GC-1", "RS-5"), "state",
              one_controller_reference, intermediate=True, reads=("Pod", "ReplicaSet")),
    Invariant("after settle, every ReplicaSet not being deleted has exactly spec.replicas active pods",
              ("RS-1", "P-7"), "convergence", replicas_match_after_settle),
    Invariant("after settle, a ReplicaSet's pods match its selector and no matching orphan is left",
              ("RS-5",), "convergence", pods_match_their_replicaset),
    Invariant("after settle, ReplicaSet status counts its active pods and observedGeneration equals generation",
              ("RS-4", "P-6", "P-7"), "convergence", replicaset_status_when_stable),
    Invariant("after settle, a pod on a Ready node with nothing holding it back is Running and Ready",
              ("P-1", "P-5"), "convergence", settled_pods_run),
)
