"""Event objects for what the model's actors do, so ``kubectl describe`` reads as it does on a cluster.

The reference model's controllers write the objects they own and nothing else (an Event is a side
channel, not part of the behaviour the suite judges), so the server derives the Events from the writes
it sees, as an event recorder next to each actor would emit them.

**Mirrors:** the ``EventRecorder`` calls of each actor, with upstream's reasons and messages:
``pkg/scheduler/schedule_one.go`` (``Scheduled``: ``Successfully assigned NS/POD to NODE``;
``FailedScheduling``), ``pkg/kubelet/images/image_manager.go`` (``Pulled``), ``pkg/kubelet/kuberuntime/
kuberuntime_container.go`` (``Created``, ``Started``, ``Killing``: ``Stopping container C``),
``pkg/kubelet/images`` (``Failed``, ``BackOff`` for an image that cannot be pulled),
``pkg/controller/controller_utils.go`` (``SuccessfulCreate``: ``Created pod: P``; ``SuccessfulDelete``),
``pkg/controller/deployment/sync.go`` ``scaleReplicaSet`` (``ScalingReplicaSet``: ``Scaled up replica set
RS from 1 to 3``), ``staging/src/k8s.io/client-go/tools/record/event.go`` (``makeEvent``: name
``<object>.<hex nanoseconds>``, ``firstTimestamp`` = ``lastTimestamp``, ``count`` 1, ``source``).
**Modelled:** one Event per observed fact (a pod bound to a node, a container started, a pod of a
ReplicaSet created or deleted, a ReplicaSet scaled by its Deployment, a pod being terminated, an image
pull failing), in the involved object's namespace.
**Not modelled (and why):** event aggregation and de-duplication (``count`` stays 1: each fact is seen
once), the events.k8s.io/v1 API, the one-hour TTL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["events_for"]

Obj = Mapping[str, Any]


def _ref(obj: Obj) -> dict[str, Any]:
    md = obj["metadata"]
    return {"kind": obj["kind"], "namespace": md.get("namespace", ""), "name": md["name"],
            "uid": md.get("uid", ""), "apiVersion": obj["apiVersion"],
            "resourceVersion": md.get("resourceVersion", "")}


def _owner(obj: Obj, kind: str) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller") and ref.get("kind") == kind:
            return dict(ref)
    return None


def _statuses(pod: Obj | None) -> dict[str, Mapping[str, Any]]:
    if pod is None:
        return {}
    return {cs["name"]: cs for cs in (pod.get("status") or {}).get("containerStatuses") or ()}


def _images(pod: Obj) -> dict[str, str]:
    return {c["name"]: c.get("image", "") for c in (pod.get("spec") or {}).get("containers") or ()}


Fact = tuple[dict[str, Any], str, str, str, str, str]  # involved, type, reason, message, component, host


def _pod_facts(old: Obj | None, new: Obj | None) -> Iterable[Fact]:
    pod = new if new is not None else old
    assert pod is not None
    ref = _ref(pod)
    node = (pod.get("spec") or {}).get("nodeName", "")
    old_node = ((old or {}).get("spec") or {}).get("nodeName", "")
    md = pod["metadata"]
    if new is not None and node and not old_node:
        yield (ref, "Normal", "Scheduled", f"Successfully assigned {md.get('namespace')}/{md['name']} to {node}",
               "default-scheduler", "")
    if new is not None:
        before = _statuses(old)
        images = _images(new)
        for name, cs in _statuses(new).items():
            state = cs.get("state") or {}
            was = (before.get(name) or {}).get("state") or {}
            restarts = cs.get("restartCount", 0)
            restarted = restarts != (before.get(name) or {}).get("restartCount", 0)
            if "running" in state and ("running" not in was or restarted):
                cref = dict(ref, fieldPath=f"spec.containers{{{name}}}")
                image = cs.get("image") or images.get(name, "")
                yield (cref, "Normal", "Pulled", f'Container image "{image}" already present on machine'
                       if restarted else f'Successfully pulled image "{image}"', "kubelet", node)
                yield (cref, "Normal", "Created", f"Created container: {name}", "kubelet", node)
                yield (cref, "Normal", "Started", f"Started container {name}", "kubelet", node)
            reason = (state.get("waiting") or {}).get("reason")
            was_reason = (was.get("waiting") or {}).get("reason")
            if reason in ("ErrImagePull", "ImagePullBackOff") and reason != was_reason:
                cref = dict(ref, fieldPath=f"spec.containers{{{name}}}")
                image = images.get(name, "")
                if reason == "ErrImagePull":
                    yield (cref, "Warning", "Failed", f'Failed to pull image "{image}": image not found',
                           "kubelet", node)
                else:
                    yield (cref, "Normal", "BackOff", f'Back-off pulling image "{image}"', "kubelet", node)
            if reason == "CrashLoopBackOff" and reason != was_reason:
                cref = dict(ref, fieldPath=f"spec.containers{{{name}}}")
                yield (cref, "Warning", "BackOff", "Back-off restarting failed container "
                       f"{name} in pod {md['name']}_{md.get('namespace')}({md.get('uid', '')})", "kubelet", node)
        dying = new["metadata"].get("deletionTimestamp") and not (old or {}).get("metadata", {}).get(
            "deletionTimestamp")
        if dying and node:
            for name in _images(new):
                yield (dict(ref, fieldPath=f"spec.containers{{{name}}}"), "Normal", "Killing",
                       f"Stopping container {name}", "kubelet", node)
    rs = _owner(pod, "ReplicaSet")
    if rs is not None:
        rs_ref = {"kind": "ReplicaSet", "namespace": md.get("namespace", ""), "name": rs["name"],
                  "uid": rs.get("uid", ""), "apiVersion": rs.get("apiVersion", "apps/v1")}
        if old is None:
            yield (rs_ref, "Normal", "SuccessfulCreate", f"Created pod: {md['name']}", "replicaset-controller", "")
        elif new is not None and new["metadata"].get("deletionTimestamp") and not old["metadata"].get(
                "deletionTimestamp"):
            yield (rs_ref, "Normal", "SuccessfulDelete", f"Deleted pod: {md['name']}", "replicaset-controller", "")


def _rs_facts(old: Obj | None, new: Obj | None) -> Iterable[Fact]:
    if new is None:
        return
    d = _owner(new, "Deployment")
    if d is None:
        return
    was = ((old or {}).get("spec") or {}).get("replicas", 0) if old is not None else 0
    now = (new.get("spec") or {}).get("replicas", 1)
    if was == now:
        return
    md = new["metadata"]
    d_ref = {"kind": "Deployment", "namespace": md.get("namespace", ""), "name": d["name"],
             "uid": d.get("uid", ""), "apiVersion": d.get("apiVersion", "apps/v1")}
    direction = "up" if now > was else "down"
    yield (d_ref, "Normal", "ScalingReplicaSet", f"Scaled {direction} replica set {md['name']} from {was} to {now}",
           "deployment-controller", "")


def events_for(changes: Iterable[tuple[str, Obj | None, Obj | None]], timestamp: str,
               name_of: Any) -> list[dict[str, Any]]:
    """The Event objects for a list of ``(kind, old, new)`` writes; ``name_of(object name)`` names each."""
    out: list[dict[str, Any]] = []
    for kind, old, new in changes:
        if kind == "Pod":
            facts: Iterable[Fact] = _pod_facts(old, new)
        elif kind == "ReplicaSet":
            facts = _rs_facts(old, new)
        else:
            continue
        for involved, type_, reason, message, component, host in facts:
            ns = involved.get("namespace") or "default"
            source: dict[str, str] = {"component": component}
            if host:
                source["host"] = host
            out.append({
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name_of(involved["name"]), "namespace": ns},
                "involvedObject": {k: v for k, v in involved.items() if v != ""},
                "reason": reason, "message": message, "type": type_, "source": source,
                "firstTimestamp": timestamp, "lastTimestamp": timestamp, "count": 1,
                "reportingComponent": component, "reportingInstance": host,
            })
    return out
