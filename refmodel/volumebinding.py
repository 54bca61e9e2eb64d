"""The scheduler's volume plugins: pods with PersistentVolumeClaims are placed where their volumes can be.

**Mirrors:** ``pkg/scheduler/framework/plugins/volumebinding`` (volume_binding.go PreFilter/Filter/PreBind with
binder.go FindPodVolumes, AssumePodVolumes, BindPodVolumes: a missing claim, a claim being deleted and an
unbound claim of an Immediate class make the pod unschedulable; bound volumes must allow the node by their
node affinity; unbound WaitForFirstConsumer claims need a matching volume or a class that can provision on
the node; PreBind pre-binds the chosen volumes or sets ``volume.kubernetes.io/selected-node`` and the pod is
bound only once every claim is Bound) and ``pkg/scheduler/framework/plugins/volumerestrictions``
(ReadWriteOncePod: one pod per claim in the whole cluster).
**Modelled:** rules PV-2 (node affinity, the scheduler path), the WaitForFirstConsumer half of PV-2/PV-5, and
ReadWriteOncePod. The scheduler (:mod:`refmodel.controllers.scheduler`) hands the pods that use claims to
:func:`schedule_claim_pods` first in each turn; they are placed one at a time with the scheduler's own
filters and score, among the nodes their volumes allow.
**Not modelled (and why):** the bind timeout (a claim that never binds keeps its pod pending for ever, which
is what a user sees for ten minutes before the retry); the volume limits (CSI attach limits per node) and the
zone plugin (the model has no zones); preemption.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .frozen import EMPTY, FrozenDict, freeze, thaw
from .podutil import pod_requests_vector
from .provisioners import NO_PROVISIONER
from .state import ClusterState

__all__ = ["claim_names", "schedule_claim_pods", "volume_fits_node"]

PVC = "PersistentVolumeClaim"
_NO_CLAIMS: tuple[str, ...] = ()
_CLAIMS_CACHE: dict[int, tuple[Any, tuple[str, ...]]] = {}


def claim_names(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The claims a pod spec's volumes name (memoised by identity: pods of one template share the spec)."""
    volumes = spec.get("volumes")
    if not volumes:
        return _NO_CLAIMS
    hit = _CLAIMS_CACHE.get(id(volumes))
    if hit is not None and hit[0] is volumes:
        return hit[1]
    names = tuple(str(v["persistentVolumeClaim"].get("claimName", "")) for v in volumes
                  if v.get("persistentVolumeClaim") is not None)
    if len(_CLAIMS_CACHE) > 10_000:
        _CLAIMS_CACHE.clear()
    _CLAIMS_CACHE[id(volumes)] = (volumes, names)
    return names


def volume_fits_node(pv: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """CheckNodeAffinity: the volume's required node affinity admits the node (no affinity: every node)."""
    from .controllers.scheduler import _node_selector_term_matches

    required = ((pv.get("spec") or EMPTY).get("nodeAffinity") or EMPTY).get("required")
    if not required:
        return True
    labels = node["metadata"].get("labels") or EMPTY
    name = node["metadata"]["name"]
    return any(_node_selector_term_matches(t, labels, name) for t in required.get("nodeSelectorTerms") or ())


def _class_allows_node(sc: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the class can provision a volume reachable from ``node`` (allowedTopologies)."""
    terms = sc.get("allowedTopologies")
    if not terms:
        return True
    labels = node["metadata"].get("labels") or EMPTY
    return any(all(labels.get(e.get("key")) in (e.get("values") or ()) for e in t.get("matchLabelExpressions") or ())
               for t in terms)


def schedule_claim_pods(state: ClusterState, pods: list[FrozenDict]) -> tuple[ClusterState, list[FrozenDict]]:
    """Place the pods (in queue order) that use claims; return the state and the pods left to place."""
    rest: list[FrozenDict] = []
    claimed: list[FrozenDict] = []
    for pod in pods:
        (claimed if claim_names(pod["spec"]) else rest).append(pod)
    if not claimed:
        return state, pods
    for pod in claimed:
        state = _schedule_one(state, pod)
    return state, rest


def _rwop_conflict(state: ClusterState, pod: Mapping[str, Any], claim_name: str) -> bool:
    ns, me = pod["metadata"]["namespace"], pod["metadata"]["name"]
    for other in state.iter_kind("Pod", ns):
        if other["metadata"]["name"] == me or not other["spec"].get("nodeName"):
            continue
        if (other.get("status") or EMPTY).get("phase") in ("Succeeded", "Failed"):
            continue
        if claim_name in claim_names(other["spec"]):
            return True
    return False


def _schedule_one(state: ClusterState, pod: FrozenDict) -> ClusterState:
    from .controllers import bind_many
    from .controllers import persistentvolume as pvc_ctl
    from .controllers import scheduler as sched

    spec = pod["spec"]
    ns = pod["metadata"]["namespace"]
    nodes = (state.objects.get("Node") or EMPTY).get("") or EMPTY
    claims = []
    for name in claim_names(spec):
        claim = state.get(PVC, ns, name)
        if claim is None:
            return _unschedulable(state, pod, len(nodes), f'persistentvolumeclaim "{name}" not found')
        if claim["metadata"].get("deletionTimestamp"):
            return _unschedulable(state, pod, len(nodes), f'persistentvolumeclaim "{name}" is being deleted')
        if "ReadWriteOncePod" in (claim["spec"].get("accessModes") or ()) and _rwop_conflict(state, pod, name):
            return _unschedulable(state, pod, len(nodes), "node has pod using PersistentVolumeClaim with the same name "
                                  "and ReadWriteOncePod access mode")
        claims.append(claim)
    bound: list[FrozenDict] = []
    delayed: list[tuple[FrozenDict, FrozenDict | None]] = []
    for claim in claims:
        volume = claim["spec"].get("volumeName")
        if volume and (claim.get("status") or EMPTY).get("phase") == "Bound":
            pv = state.get("PersistentVolume", "", volume)
            if pv is not None:
                bound.append(pv)
            continue
        cls = pvc_ctl.claim_class(claim)
        sc = state.get("StorageClass", "", cls) if cls else None
        if sc is None or sc.get("volumeBindingMode") != pvc_ctl.WFFC:
            return _unschedulable(state, pod, len(nodes), "pod has unbound immediate PersistentVolumeClaims")
        delayed.append((claim, sc))
    feasible = sched._feasible_nodes(nodes, spec)
    # a delayed claim with a volume pre-bound to it (provisioned for the node picked before) goes where it is
    prebound = [pvc_ctl.find_best_match(state, c, True, None) for c, _sc in delayed]
    allowed: list[str] = []
    conflict = missing = 0
    for name in feasible:
        node = nodes[name]
        if not all(volume_fits_node(pv, node) for pv in bound):
            conflict += 1
            continue
        if not all(volume_fits_node(pre, node) if pre is not None else (
                pvc_ctl.find_best_match(state, c, True, node) is not None
                or (sc is not None and sc.get("provisioner") != NO_PROVISIONER and _class_allows_node(sc, node)))
                   for (c, sc), pre in zip(delayed, prebound, strict=True)):
            missing += 1
            continue
        allowed.append(name)
    if not allowed and (conflict or missing):
        reasons = []
        if conflict:
            reasons.append(f"{conflict} node(s) had volume node affinity conflict")
        if missing:
            reasons.append(f"{missing} node(s) didn't find available persistent volumes to bind")
        return _unschedulable(state, pod, len(nodes), ", ".join(reasons))
    chosen = sched._best_node(state, nodes, allowed, pod_requests_vector(spec))
    if chosen is None:
        return sched._mark_unschedulable(state, pod, len(nodes))
    if delayed:
        return _prebind(state, delayed, nodes[chosen])
    return bind_many(state, sched.NAME, (sched._binding(pod, chosen),))


def _prebind(state: ClusterState, delayed: list[tuple[FrozenDict, FrozenDict | None]], node: FrozenDict) -> ClusterState:
    """BindPodVolumes: a matching volume is pre-bound to its claim, otherwise the claim is marked with the
    node for the provisioner; the pod waits (unbound) until the PV controller has bound every claim."""
    from .controllers import persistentvolume as pvc_ctl
    from .controllers import update

    node_name = node["metadata"]["name"]
    for claim, _sc in delayed:
        pv = pvc_ctl.find_best_match(state, claim, True, node)
        if pv is not None:
            if not (pv["spec"].get("claimRef") or EMPTY).get("uid"):
                new = thaw(pv)
                new["spec"]["claimRef"] = pvc_ctl._claim_ref(claim)
                new["metadata"].setdefault("annotations", {})[pvc_ctl.ANN_BOUND_BY_CONTROLLER] = "yes"
                state = update(state, "scheduler", freeze(new))[0]
            continue
        if (claim["metadata"].get("annotations") or EMPTY).get(pvc_ctl.ANN_SELECTED_NODE) != node_name:
            new = thaw(claim)
            new["metadata"].setdefault("annotations", {})[pvc_ctl.ANN_SELECTED_NODE] = node_name
            state = update(state, "scheduler", freeze(new))[0]
    return state


def _unschedulable(state: ClusterState, pod: FrozenDict, n_nodes: int, reason: str) -> ClusterState:
    from .controllers import scheduler as sched

    return sched._mark_unschedulable(state, pod, n_nodes, f"0/{n_nodes} nodes are available: {reason}.")
