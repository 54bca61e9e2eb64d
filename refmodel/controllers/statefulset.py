"""The StatefulSet controller: ordered identities, their claims, revisions and rolling updates.

**Mirrors:** ``pkg/controller/statefulset/stateful_set.go`` (sync, getPodsForStatefulSet, adoptOrphanRevisions,
the pod and set event handlers), ``stateful_set_control.go`` (UpdateStatefulSet, performUpdate,
getStatefulSetRevisions, truncateHistory, updateStatefulSet, processReplica, processCondemned, runForAll,
computeReplicaStatus, updateStatefulSetAfterInvariantEstablished), ``stateful_pod_control.go``
(CreateStatefulPod, UpdateStatefulPod, DeleteStatefulPod, createPersistentVolumeClaims,
ClaimsMatchRetentionPolicy, UpdatePodClaimForRetentionPolicy, PodClaimIsStale), ``stateful_set_utils.go``
(getParentNameAndOrdinal, getPodName, getPersistentVolumeClaimName, getPersistentVolumeClaims,
identityMatches, storageMatches, initIdentity, updateIdentity, updateStorage, isRunningAndReady,
isRunningAndAvailable, isHealthy, newVersionedStatefulSetPod, getPatch, newRevision, ApplyRevision,
nextRevision, isClaimOwnerUpToDate, updateClaimOwnerRefForSetAndPod, hasUnexpectedController,
hasStaleOwnerRef, completeRollingUpdate, getStatefulSetMaxUnavailable) and
``stateful_set_status_updater.go`` (UpdateStatefulSetStatus).
**Modelled:** rules SS-2..SS-16 and traps 8-11: pods ``<set>-<ordinal>`` (ordinals from
``spec.ordinals.start``) with hostname, subdomain (``serviceName``), the pod-name, pod-index and
controller-revision-hash labels; OrderedReady (one create or delete per sync, ascending up, descending down,
any unhealthy pod halting both) and Parallel (everything at once, unhealthy pods ignored); failed and
succeeded pods deleted and re-created under the same name, only once the old object is gone; RollingUpdate
one pod at a time from the highest ordinal down to ``partition`` in both policies, OnDelete, and
``maxUnavailable`` behind ``ClusterConfig.max_unavailable_statefulset`` (the MaxUnavailableStatefulSet gate,
alpha and off in v1.32); ControllerRevisions (:mod:`.history`) with rollback renumbering an equal revision,
``collisionCount`` and history truncation; claims ``<template>-<set>-<ordinal>`` created before their pod,
kept on scale-down and re-used by the same ordinal; the retention policy's owner references (the garbage
collector then deletes claims), stale claims blocking a re-created pod; ``minReadySeconds``; status counts
with ``currentRevision`` advancing when a rolling update completes. The pods and claims are sent as a user's
objects would be, so the API server validates them in full: v1.32 does not validate a StatefulSet's pod
template or claim templates, and an invalid one makes the controller's creates fail (``FailedCreate``),
retried with back-off.
**Not modelled (and why):** Kubernetes Event objects (``SuccessfulCreate``...: the model keeps no events);
storage that no longer matches on a live pod (updateStorage cannot change a pod's volumes, the API server
rejects it; the templates are immutable, so only an adopted foreign pod could hit it); the debug
``pod.alpha.kubernetes.io/initialized`` annotation; slowStartBatch's batches (Parallel creates are sent in
one batch that stops at the first rejection, the same pods either way).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..frozen import EMPTY, FrozenDict, freeze, thaw, with_
from ..intstr import get_scaled_value_from_int_or_percent
from ..labels import selector_matches
from ..podutil import get_controller_of, is_pod_available, is_pod_ready, ready_since
from ..request import Request
from ..state import ClusterState
from . import Controller, delete, ns_key, register, send, split_key, update, update_status
from .controller_ref_manager import adopt, controller_ref, release
from .history import (
    adopt_orphan_revisions,
    create_controller_revision,
    find_equal_revisions,
    list_controller_revisions,
    new_controller_revision,
    sort_controller_revisions,
    update_controller_revision,
)

__all__ = [
    "POD_INDEX_LABEL",
    "POD_NAME_LABEL",
    "REVISION_LABEL",
    "apply_revision",
    "claim_name",
    "get_parent_name_and_ordinal",
    "is_claim_owner_up_to_date",
    "new_revision",
]

NAME = "statefulset"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"  # the PodIndexLabel gate: beta and on since v1.28
REVISION_LABEL = "controller-revision-hash"
_ORDINAL = re.compile(r"(.*)-([0-9]+)$")
_INT32 = 2**31 - 1

Obj = Mapping[str, Any]


# ---------------------------------------------------------------------------------------------
# identity (stateful_set_utils.go)
# ---------------------------------------------------------------------------------------------
_ORDINAL_CACHE: dict[str, tuple[str, int]] = {}


def get_parent_name_and_ordinal(name: str) -> tuple[str, int]:
    """getParentNameAndOrdinal: ``("web", 3)`` for ``web-3``; ``("", -1)`` when the name has no ordinal."""
    hit = _ORDINAL_CACHE.get(name)
    if hit is not None:
        return hit
    m = _ORDINAL.match(name)
    out = ("", -1)
    if m is not None:
        n = int(m.group(2)) if len(m.group(2)) < 12 else _INT32 + 1
        out = (m.group(1), n if n <= _INT32 else -1)
    if len(_ORDINAL_CACHE) > 100_000:
        _ORDINAL_CACHE.clear()
    _ORDINAL_CACHE[name] = out
    return out


def get_ordinal(pod: Obj) -> int:
    return get_parent_name_and_ordinal(pod["metadata"]["name"])[1]


def _start(sts: Obj) -> int:
    return int((sts["spec"].get("ordinals") or EMPTY).get("start") or 0)


def _replicas(sts: Obj) -> int:
    return int(sts["spec"].get("replicas", 1))


def pod_in_ordinal_range(pod: Obj, sts: Obj) -> bool:
    ordinal = get_ordinal(pod)
    return _start(sts) <= ordinal < _start(sts) + _replicas(sts)


def is_member_of(sts: Obj, pod: Obj) -> bool:
    return bool(get_parent_name_and_ordinal(pod["metadata"]["name"])[0] == sts["metadata"]["name"])


def claim_name(template: Obj, sts: Obj, ordinal: int) -> str:
    """getPersistentVolumeClaimName: ``<template>-<set>-<ordinal>``."""
    return f"{template['metadata']['name']}-{sts['metadata']['name']}-{ordinal}"


def _claim_templates(sts: Obj) -> tuple[Obj, ...]:
    return tuple(sts["spec"].get("volumeClaimTemplates") or ())


def identity_matches(sts: Obj, pod: Obj) -> bool:
    """identityMatches (the hostname and subdomain are set at creation only, and cannot change)."""
    parent, ordinal = get_parent_name_and_ordinal(pod["metadata"]["name"])
    labels = pod["metadata"].get("labels") or EMPTY
    return (ordinal >= 0 and parent == sts["metadata"]["name"]
            and pod["metadata"].get("namespace") == sts["metadata"]["namespace"]
            and labels.get(POD_NAME_LABEL) == pod["metadata"]["name"]
            and labels.get(POD_INDEX_LABEL) == str(ordinal))


def storage_matches(sts: Obj, pod: Obj) -> bool:
    """storageMatches: every claim template has its volume, naming this ordinal's claim."""
    ordinal = get_ordinal(pod)
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in pod["spec"].get("volumes") or ()}
    for t in _claim_templates(sts):
        v = volumes.get(t["metadata"]["name"])
        if v is None or (v.get("persistentVolumeClaim") or EMPTY).get("claimName") != claim_name(t, sts, ordinal):
            return False
    return True


def get_persistent_volume_claims(sts: Obj, ordinal: int) -> list[dict[str, Any]]:
    """getPersistentVolumeClaims: the claims of one ordinal, labelled with the template's labels and the
    selector's matchLabels (the claims' owner references come from the retention policy, later)."""
    out = []
    match_labels = (sts["spec"].get("selector") or EMPTY).get("matchLabels") or EMPTY
    for t in _claim_templates(sts):
        claim = thaw(t)
        md = claim.setdefault("metadata", {})
        md["name"] = claim_name(t, sts, ordinal)
        md["namespace"] = sts["metadata"]["namespace"]
        labels = dict(md.get("labels") or {})
        labels.update(match_labels)
        if labels:
            md["labels"] = labels
        claim.pop("status", None)
        claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"
        out.append(claim)
    return out


def new_statefulset_pod(sts: Obj, ordinal: int, revision: str) -> dict[str, Any]:
    """newStatefulSetPod + setPodRevision: the template's pod with its identity (initIdentity), its claims'
    volumes (updateStorage) and the revision label, as a plain object the API server validates in full."""
    template = sts["spec"]["template"]
    tmd = template.get("metadata") or EMPTY
    name = f"{sts['metadata']['name']}-{ordinal}"
    labels = dict(tmd.get("labels") or {})
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal)
    labels[REVISION_LABEL] = revision
    md: dict[str, Any] = {"name": name, "namespace": sts["metadata"]["namespace"], "labels": labels,
                          "ownerReferences": [thaw(controller_ref(sts))]}
    for f in ("annotations", "finalizers"):
        if tmd.get(f):
            md[f] = thaw(tmd[f])
    spec = thaw(template["spec"])
    spec["hostname"] = name
    if sts["spec"].get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    templates = _claim_templates(sts)
    if templates:
        names = {t["metadata"]["name"] for t in templates}
        claim_volumes = [{"name": t["metadata"]["name"],
                          "persistentVolumeClaim": {"claimName": claim_name(t, sts, ordinal)}} for t in templates]
        spec["volumes"] = claim_volumes + [v for v in spec.get("volumes") or () if v.get("name") not in names]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}


# ---------------------------------------------------------------------------------------------
# pod predicates
# ---------------------------------------------------------------------------------------------
def _phase(pod: Obj) -> str:
    return str((pod.get("status") or EMPTY).get("phase") or "")


def is_created(pod: Obj) -> bool:
    return _phase(pod) != ""


def is_terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: Obj) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def is_running_and_available(pod: Obj, min_ready: int, now: int) -> bool:
    return _phase(pod) == "Running" and is_pod_available(pod, min_ready, now)


def is_healthy(pod: Obj) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def blocks_ordered_progress(pod: Obj, min_ready: int, now: int) -> bool:
    """processReplica's wait under OrderedReady: the pod is terminating, not Running and Ready, or not
    yet available (SS-5)."""
    return is_terminating(pod) or not is_running_and_ready(pod) or not is_running_and_available(pod, min_ready, now)


def sort_condemned(condemned: list[Any]) -> None:
    """descendingOrdinal: condemned pods, highest ordinal first (SS-6)."""
    condemned.sort(key=get_ordinal, reverse=True)


def _revision_of(pod: Obj) -> str:
    return str((pod["metadata"].get("labels") or EMPTY).get(REVISION_LABEL, ""))


# ---------------------------------------------------------------------------------------------
# revisions (getPatch, newRevision, ApplyRevision, getStatefulSetRevisions, truncateHistory)
# ---------------------------------------------------------------------------------------------
def get_patch(sts: Obj) -> FrozenDict:
    """getPatch: the revision's data, ``spec.template`` with ``$patch: replace``."""
    patch: FrozenDict = freeze({"spec": {"template": {**thaw(sts["spec"]["template"]), "$patch": "replace"}}})
    return patch


_REVISION_CACHE: dict[tuple[int, int], tuple[Any, Any, FrozenDict]] = {}


def new_revision(sts: Obj, number: int, collision_count: int) -> FrozenDict:
    """newRevision (memoised by the template and annotations objects: every sync computes it; the revision
    number, which the next sync after a new revision asks one higher, is set on the memoised one)."""
    key = (id(sts["spec"]["template"]), collision_count)
    hit = _REVISION_CACHE.get(key)
    if hit is not None and hit[0] is sts["spec"]["template"] and hit[1] is sts["metadata"].get("annotations"):
        rev = hit[2]
        return rev if rev["revision"] == number else with_(rev, revision=number)
    rev = new_controller_revision(sts, ((sts["spec"]["template"].get("metadata") or EMPTY).get("labels")),
                                  get_patch(sts), number, collision_count)
    if len(_REVISION_CACHE) > 1000:
        _REVISION_CACHE.clear()
    _REVISION_CACHE[key] = (sts["spec"]["template"], sts["metadata"].get("annotations"), rev)
    return rev


_TEMPLATE_CACHE: dict[int, tuple[Any, FrozenDict]] = {}


def apply_revision(sts: FrozenDict, revision: Obj) -> FrozenDict:
    """ApplyRevision: the set with the revision's template (its strategic patch replaces the template)."""
    data = revision.get("data")
    hit = _TEMPLATE_CACHE.get(id(data))
    if hit is not None and hit[0] is data:
        frozen = hit[1]
    else:
        template = thaw(((data or EMPTY).get("spec") or EMPTY).get("template") or EMPTY)
        template.pop("$patch", None)
        frozen = freeze(template)
        if len(_TEMPLATE_CACHE) > 1000:
            _TEMPLATE_CACHE.clear()
        _TEMPLATE_CACHE[id(data)] = (data, frozen)
    return with_(sts, spec=with_(sts["spec"], template=frozen))


def _next_revision(revisions: list[FrozenDict]) -> int:
    return int(revisions[-1].get("revision", 0)) + 1 if revisions else 1


def get_statefulset_revisions(state: ClusterState, sts: FrozenDict, revisions: list[FrozenDict]
                              ) -> tuple[ClusterState, FrozenDict | None, FrozenDict | None, int, str]:
    """getStatefulSetRevisions: (state, current, update, collisionCount, error)."""
    collision_count = int((sts.get("status") or EMPTY).get("collisionCount") or 0)
    candidate = new_revision(sts, _next_revision(revisions), collision_count)
    equal = find_equal_revisions(revisions, candidate)
    update_rev: FrozenDict | None
    if equal and revisions[-1]["data"] == equal[-1]["data"]:
        update_rev = revisions[-1]  # the template has not changed
    elif equal:
        # an earlier template again: a rollback renumbers that revision
        state, update_rev = update_controller_revision(state, NAME, equal[-1], int(candidate["revision"]))
    else:
        state, update_rev, collision_count, err = create_controller_revision(state, NAME, sts, candidate,
                                                                             collision_count)
        if update_rev is None:
            return state, None, None, collision_count, err
    current_name = (sts.get("status") or EMPTY).get("currentRevision")
    current = next((r for r in revisions if r["metadata"]["name"] == current_name), None)
    return state, current or update_rev, update_rev, collision_count, ""


def truncate_history(state: ClusterState, sts: Obj, pods: Iterable[Obj], revisions: list[FrozenDict],
                     current: Obj | None, update_rev: Obj | None, used: frozenset[str] = frozenset()
                     ) -> ClusterState:
    """truncateHistory: delete the oldest revisions no pod and neither status revision uses, beyond the limit
    (``used``: revisions of pods not in ``pods``)."""
    if len(revisions) <= int(sts["spec"].get("revisionHistoryLimit", 10)):
        return state  # fewer revisions than the limit: nothing can be beyond it
    live = {r["metadata"]["name"] for r in (current, update_rev) if r is not None} | used
    live.update(_revision_of(p) for p in pods)
    history = [r for r in revisions if r["metadata"]["name"] not in live]
    limit = int(sts["spec"].get("revisionHistoryLimit", 10))
    if limit < 0 or len(history) <= limit:
        return state
    for r in history[:len(history) - limit]:
        state = delete(state, NAME, "ControllerRevision", r["metadata"]["namespace"], r["metadata"]["name"])[0]
    return state


# ---------------------------------------------------------------------------------------------
# claims and the retention policy (stateful_pod_control.go, stateful_set_utils.go)
# ---------------------------------------------------------------------------------------------
def _policy(sts: Obj) -> tuple[str, str]:
    p = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or EMPTY
    return str(p.get("whenScaled") or "Retain"), str(p.get("whenDeleted") or "Retain")


def _matches_ref(ref: Obj, owner: Obj, kind: str, api_version: str) -> bool:
    return bool(ref.get("apiVersion") == api_version and ref.get("kind") == kind
                and ref.get("name") == owner["metadata"]["name"])


def _uid(obj: Obj) -> str:
    return str(obj["metadata"].get("uid") or "")


def _has_owner_ref(claim: Obj, owner: Obj) -> bool:
    uid = _uid(owner)
    return bool(uid) and any(r.get("uid") == uid for r in claim["metadata"].get("ownerReferences") or ())


def has_unexpected_controller(claim: Obj, sts: Obj, pod: Obj) -> bool:
    """hasUnexpectedController: a controller reference that is neither this set nor this pod (by uid)."""
    for ref in claim["metadata"].get("ownerReferences") or ():
        if not ref.get("controller"):
            continue
        if _matches_ref(ref, sts, "StatefulSet", "apps/v1"):
            if ref.get("uid") != _uid(sts):
                return True
            continue
        if _matches_ref(ref, pod, "Pod", "v1"):
            if ref.get("uid") != _uid(pod):
                return True
            continue
        return True
    return False


def _has_non_controller_owner(claim: Obj, sts: Obj, pod: Obj) -> bool:
    uids = {_uid(sts), _uid(pod)} - {""}
    return any(r.get("uid") in uids and not r.get("controller") for r in claim["metadata"].get("ownerReferences") or ())


def is_claim_owner_up_to_date(claim: Obj, sts: Obj, pod: Obj) -> bool:
    """isClaimOwnerUpToDate: the claim's references are what the retention policy asks for (SS-13)."""
    if has_unexpected_controller(claim, sts, pod):
        return not (_has_owner_ref(claim, sts) or _has_owner_ref(claim, pod))
    if _has_non_controller_owner(claim, sts, pod):
        return False
    scaled, deleted = _policy(sts)
    set_ref, pod_ref = _has_owner_ref(claim, sts), _has_owner_ref(claim, pod)
    scaled_down = not pod_in_ordinal_range(pod, sts)
    if scaled == "Delete" and deleted == "Delete":
        return scaled_down != set_ref and scaled_down == pod_ref
    if scaled == "Delete":
        return not set_ref and scaled_down == pod_ref
    if deleted == "Delete":
        return set_ref and not pod_ref
    return not set_ref and not pod_ref


def _controller_ref_to(owner: Obj, kind: str, api_version: str) -> FrozenDict:
    return FrozenDict({"apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
                       "uid": _uid(owner), "controller": True, "blockOwnerDeletion": True})


def update_claim_owner_ref_for_set_and_pod(claim: FrozenDict, sts: Obj, pod: Obj) -> FrozenDict:
    """updateClaimOwnerRefForSetAndPod: drop references to this set and pod, then add what the policy asks."""
    unexpected = has_unexpected_controller(claim, sts, pod)
    refs = [r for r in claim["metadata"].get("ownerReferences") or ()
            if not (_matches_ref(r, sts, "StatefulSet", "apps/v1") or _matches_ref(r, pod, "Pod", "v1"))]
    if not unexpected:
        scaled, deleted = _policy(sts)
        scaled_down = not pod_in_ordinal_range(pod, sts)
        if scaled == "Delete" and scaled_down:
            refs.append(_controller_ref_to(pod, "Pod", "v1"))
        elif deleted == "Delete" and (scaled == "Retain" or not scaled_down):
            refs.append(_controller_ref_to(sts, "StatefulSet", "apps/v1"))
    return with_(claim, metadata=with_(claim["metadata"], ownerReferences=tuple(refs) or None))


def _claims_of(state: ClusterState, sts: Obj, ordinal: int) -> Iterable[FrozenDict]:
    ns = sts["metadata"]["namespace"]
    for t in _claim_templates(sts):
        claim = state.get("PersistentVolumeClaim", ns, claim_name(t, sts, ordinal))
        if claim is not None:
            yield claim


def claims_match_retention_policy(state: ClusterState, sts: Obj, pod: Obj) -> bool:
    """ClaimsMatchRetentionPolicy (a missing claim matches: it is created later)."""
    return all(is_claim_owner_up_to_date(c, sts, pod) for c in _claims_of(state, sts, get_ordinal(pod)))


def update_pod_claim_for_retention_policy(state: ClusterState, sts: Obj, pod: Obj) -> tuple[ClusterState, str]:
    """UpdatePodClaimForRetentionPolicy."""
    for claim in list(_claims_of(state, sts, get_ordinal(pod))):
        if not is_claim_owner_up_to_date(claim, sts, pod):
            state, r = update(state, NAME, update_claim_owner_ref_for_set_and_pod(claim, sts, pod))
            if not r.ok and r.rejection is not None:
                return state, f"could not update claim {claim['metadata']['name']} for delete policy ownerRefs: " \
                              f"{r.rejection.message}"
    return state, ""


def pod_claim_is_stale(state: ClusterState, sts: Obj, pod: Obj) -> bool:
    """PodClaimIsStale: under ``whenScaled: Delete``, a claim still owned by an earlier pod of this name."""
    if _policy(sts)[0] == "Retain":
        return False
    name, uid = pod["metadata"]["name"], _uid(pod)
    return any(r.get("kind") == "Pod" and r.get("apiVersion") == "v1" and r.get("name") == name
               and r.get("uid") != uid
               for c in _claims_of(state, sts, get_ordinal(pod)) for r in c["metadata"].get("ownerReferences") or ())


def create_persistent_volume_claims(state: ClusterState, sts: Obj, ordinal: int) -> tuple[ClusterState, str]:
    """createPersistentVolumeClaims: create the ordinal's missing claims; a claim being deleted is an error."""
    errs = []
    for claim in get_persistent_volume_claims(sts, ordinal):
        md = claim["metadata"]
        existing = state.get("PersistentVolumeClaim", md["namespace"], md["name"])
        if existing is None:
            state, r = send(state, Request("create", "PersistentVolumeClaim", md["namespace"], body=claim,
                                           controller=NAME))
            if r.rejection is not None:
                errs.append(f"failed to create PVC {md['name']}: {r.rejection.message}")
        elif existing["metadata"].get("deletionTimestamp"):
            errs.append(f"pvc {md['name']} is being deleted")
    return state, "; ".join(errs)


def create_stateful_pod(state: ClusterState, sts: Obj, pod: dict[str, Any]) -> tuple[ClusterState, str]:
    """CreateStatefulPod: the claims first, then the pod, then the claims' retention references."""
    ordinal = get_ordinal(pod)
    state, err = create_persistent_volume_claims(state, sts, ordinal)
    if err:
        return state, err
    state, r = send(state, Request("create", "Pod", sts["metadata"]["namespace"], body=pod, controller=NAME))
    if r.rejection is not None:
        if r.rejection.reason == "AlreadyExists":
            return state, r.rejection.message
        err = r.rejection.message
    state, claim_err = update_pod_claim_for_retention_policy(state, sts, pod)
    return state, err or claim_err


def update_stateful_pod(state: ClusterState, sts: Obj, pod: FrozenDict) -> tuple[ClusterState, str]:
    """UpdateStatefulPod: restore the identity labels, create missing claims, fix the claims' references."""
    if not storage_matches(sts, pod):
        state, err = create_persistent_volume_claims(state, sts, get_ordinal(pod))
        if err:
            return state, err
    if not claims_match_retention_policy(state, sts, pod):
        state, err = update_pod_claim_for_retention_policy(state, sts, pod)
        if err:
            return state, err
    if not identity_matches(sts, pod):
        name = pod["metadata"]["name"]
        labels = {**(pod["metadata"].get("labels") or EMPTY), POD_NAME_LABEL: name,
                  POD_INDEX_LABEL: str(get_ordinal(pod))}
        state, r = update(state, NAME, with_(pod, metadata=with_(pod["metadata"], labels=FrozenDict(labels))))
        if r.rejection is not None:
            return state, r.rejection.message
    return state, ""


# ---------------------------------------------------------------------------------------------
# updateStatefulSet: processReplica, processCondemned, the rolling update
# ---------------------------------------------------------------------------------------------
class _Sync:
    """What one updateStatefulSet call works on; ``error`` is the first failure (the sync is retried)."""

    def __init__(self, state: ClusterState, sts: FrozenDict, current: FrozenDict, update_rev: FrozenDict,
                 collision_count: int) -> None:
        self.state = state
        self.replicas: list[Any] = []
        self.replica: Callable[[int], Any] = self.replicas.__getitem__
        self.sts = sts
        self.current = current
        self.update = update_rev
        self.current_set = apply_revision(sts, current)
        self.update_set = apply_revision(sts, update_rev)
        self.collision_count = collision_count
        self.min_ready = int(sts["spec"].get("minReadySeconds") or 0)
        self.now = state.config.start_time + state.now
        self.monotonic = sts["spec"].get("podManagementPolicy", "OrderedReady") != "Parallel"
        self.error = ""
        self.current_delta = 0
        self.passed: set[int] = set()  # replicas that were healthy and needed nothing (the next prefix)
        self.replaced: set[int] = set()  # replicas this sync deleted for an update

    def fail(self, err: str) -> bool:
        if err and not self.error:
            self.error = err
        return bool(err)

    # processReplica: True = stop (monotonic), or an error
    def process_replica(self, replicas: list[Any], i: int) -> bool:
        pod = self.replica(i)
        phase = _phase(pod)
        if phase in ("Failed", "Succeeded"):
            if not is_terminating(pod):
                self.state, r = delete(self.state, NAME, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
                if r.rejection is not None and r.rejection.reason != "NotFound":
                    return self.fail(r.rejection.message) or True
            return True  # re-created on a later sync, once the old object is gone
        if not is_created(pod):
            if pod_claim_is_stale(self.state, self.sts, pod):
                return True
            if "kind" not in pod:  # the placeholder of a missing replica: newVersionedStatefulSetPod
                pod = replicas[i] = self.new_versioned_pod(get_ordinal(pod))
            self.state, err = create_stateful_pod(self.state, self.sts, pod)
            return self.fail(err) or self.monotonic
        if phase == "Pending":
            self.state, err = create_persistent_volume_claims(self.state, self.sts, get_ordinal(pod))
            if self.fail(err):
                return True
        if self.monotonic and blocks_ordered_progress(pod, self.min_ready, self.now):
            return True
        if (identity_matches(self.sts, pod) and storage_matches(self.sts, pod)
                and claims_match_retention_policy(self.state, self.update_set, pod)):
            if not self.min_ready and is_healthy(pod):
                self.passed.add(i)
            return False
        self.state, err = update_stateful_pod(self.state, self.update_set, pod)
        return self.fail(err)

    def process_condemned(self, condemned: list[Any], i: int, first_unhealthy: Any) -> bool:
        pod = condemned[i]
        if is_terminating(pod):
            return bool(self.monotonic)
        if self.monotonic and pod is not first_unhealthy and (
                not is_running_and_ready(pod) or not is_running_and_available(pod, self.min_ready, self.now)):
            return True
        self.state, r = delete(self.state, NAME, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        if r.rejection is not None and r.rejection.reason != "NotFound":
            self.fail(r.rejection.message)
        return True

    def fix_pod_claim(self, condemned: list[Any], i: int) -> bool:
        pod = condemned[i]
        if not claims_match_retention_policy(self.state, self.update_set, pod):
            self.state, err = update_pod_claim_for_retention_policy(self.state, self.update_set, pod)
            return self.fail(err)
        return False

    def run_for_all(self, pods: list[Any], fn: Callable[[list[Any], int], bool], first: int = 0) -> bool:
        """runForAll: in order, stopping at the first ``True`` when monotonic; else every pod (errors stop).
        ``first``: the pods before it are known to pass (:class:`_Prefix`)."""
        for i in range(first, len(pods)):
            if fn(pods, i) and (self.monotonic or self.error):
                return True
        return bool(self.error)

    def new_versioned_pod(self, ordinal: int) -> dict[str, Any]:
        """newVersionedStatefulSetPod: below the partition from the current revision, else the update one."""
        strategy = self.sts["spec"].get("updateStrategy") or EMPTY
        ru = strategy.get("rollingUpdate")
        start = _start(self.sts)
        current_replicas = int((self.sts.get("status") or EMPTY).get("currentReplicas") or 0)
        if ((strategy.get("type") == "RollingUpdate" and ru is None and ordinal < start + current_replicas)
                or (ru is not None and ordinal < start + int(ru.get("partition") or 0))):
            return new_statefulset_pod(self.current_set, ordinal, self.current["metadata"]["name"])
        return new_statefulset_pod(self.update_set, ordinal, self.update["metadata"]["name"])


def compute_replica_status(pods: Iterable[Any], min_ready: int, now: int, current: str, update_rev: str
                           ) -> dict[str, int]:
    """computeReplicaStatus."""
    out = {"replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0}
    for pod in pods:
        created = is_created(pod)
        if created:
            out["replicas"] += 1
        if is_running_and_ready(pod):
            out["readyReplicas"] += 1
            if is_running_and_available(pod, min_ready, now):
                out["availableReplicas"] += 1
        if created and not is_terminating(pod):
            rev = _revision_of(pod)
            if rev == current:
                out["currentReplicas"] += 1
            if rev == update_rev:
                out["updatedReplicas"] += 1
    return out


def update_statefulset(s: _Sync, pods: list[FrozenDict], prefix: _Prefix | None = None) -> dict[str, Any]:
    """updateStatefulSet: the writes of one sync (into ``s.state``) and the status it computes.

    ``prefix``: replicas ``0..j-1`` known (by object identity) to be the healthy, up-to-date pods an earlier
    sync saw; ``pods`` are then the others. The result is the same as without it."""
    sts = s.sts
    cur_name, upd_name = s.current["metadata"]["name"], s.update["metadata"]["name"]
    start, count = _start(sts), _replicas(sts)
    j = len(prefix.pods) if prefix is not None else 0
    replicas: list[Any] = [*prefix.pods, *([None] * (count - j))] if prefix is not None else [None] * count
    condemned: list[Any] = []
    for pod in pods:
        ordinal = get_ordinal(pod)
        if start <= ordinal < start + count:
            replicas[ordinal - start] = pod
        elif ordinal >= 0:
            condemned.append(pod)
    ns = sts["metadata"]["namespace"]

    def replica(i: int) -> Any:
        """A missing replica is built only when it is created; until then a placeholder with its name."""
        if replicas[i] is None:
            replicas[i] = FrozenDict({"metadata": FrozenDict({"name": f"{sts['metadata']['name']}-{start + i}",
                                                              "namespace": ns}), "spec": EMPTY})
        return replicas[i]

    sort_condemned(condemned)
    first_unhealthy = next((replica(i) for i in range(j, count) if not is_healthy(replica(i))), None)
    if first_unhealthy is None:
        first_unhealthy = next((p for p in reversed(condemned) if not is_healthy(p)), None)

    def status() -> dict[str, Any]:
        counts = compute_replica_status([*filter(None, replicas[j:]), *condemned], s.min_ready, s.now, cur_name,
                                        upd_name)
        if prefix is not None:
            for k, v in prefix.counts.items():
                counts[k] += v
        counts["currentReplicas"] += s.current_delta
        return {"observedGeneration": sts["metadata"].get("generation", 1), **counts,
                "currentRevision": cur_name, "updateRevision": upd_name, "collisionCount": s.collision_count}

    if sts["metadata"].get("deletionTimestamp"):
        return {"observedGeneration": sts["metadata"].get("generation", 1),
                **compute_replica_status(pods, s.min_ready, s.now, cur_name, upd_name),
                "currentRevision": cur_name, "updateRevision": upd_name, "collisionCount": s.collision_count}
    s.replicas = replicas
    s.replica = replica
    if s.run_for_all(replicas, s.process_replica, j):
        return status()
    if s.run_for_all(condemned, s.fix_pod_claim):
        return status()
    if s.run_for_all(condemned, lambda pods_, i: s.process_condemned(pods_, i, first_unhealthy)):
        return status()
    strategy = sts["spec"].get("updateStrategy") or EMPTY
    if strategy.get("type") == "OnDelete":
        return status()
    ru = strategy.get("rollingUpdate") or EMPTY
    update_min = int(ru.get("partition") or 0)
    if s.state.config.max_unavailable_statefulset:
        return _update_after_invariant_established(s, [replica(i) for i in range(count)], update_min, status)
    for target in range(len(replicas) - 1, update_min - 1, -1):
        if target < j and prefix is not None and target > prefix.stale_max:
            continue  # healthy and at this revision (the prefix says so): nothing to do here
        pod = replica(target)
        if _revision_of(pod) != upd_name and not is_terminating(pod):
            s.state, r = delete(s.state, NAME, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
            if r.rejection is not None and r.rejection.reason != "NotFound":
                s.fail(r.rejection.message)
            s.current_delta -= 1
            s.replaced.add(target)
            return status()
        if not is_healthy(pod):
            return status()
    return status()


def get_statefulset_max_unavailable(value: Any, replicas: int) -> int:
    """getStatefulSetMaxUnavailable: rounded down, at least 1."""
    if value is None:
        return 1
    return max(1, get_scaled_value_from_int_or_percent(value, replicas, False))


def _update_after_invariant_established(s: _Sync, replicas: list[Any], update_min: int,
                                        status: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """updateStatefulSetAfterInvariantEstablished (gate MaxUnavailableStatefulSet, SS-10)."""
    ru = (s.sts["spec"].get("updateStrategy") or EMPTY).get("rollingUpdate") or EMPTY
    max_unavailable = get_statefulset_max_unavailable(ru.get("maxUnavailable"), len(replicas))
    unavailable = sum(1 for p in replicas if not is_healthy(p))
    if unavailable >= max_unavailable:
        return status()
    budget = max_unavailable - unavailable
    upd_name = s.update["metadata"]["name"]
    for target in range(len(replicas) - 1, update_min - 1, -1):
        if budget <= 0:
            break
        pod = replicas[target]
        if _revision_of(pod) != upd_name and not is_terminating(pod):
            s.state, r = delete(s.state, NAME, "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
            if r.rejection is not None and r.rejection.reason != "NotFound":
                s.fail(r.rejection.message)
                break
            budget -= 1
            s.current_delta -= 1
            s.replaced.add(target)
    return status()


def complete_rolling_update(sts: Obj, status: dict[str, Any]) -> None:
    """completeRollingUpdate: every replica updated and ready makes the update revision current."""
    if ((sts["spec"].get("updateStrategy") or EMPTY).get("type") == "RollingUpdate"
            and status["updatedReplicas"] == status["readyReplicas"] == status["replicas"] == _replicas(sts)):
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]


def _status_value(status: dict[str, Any]) -> FrozenDict:
    """StatefulSetStatus as JSON: zero counts omitted (omitempty) but ``replicas`` and ``availableReplicas``."""
    out = {k: v for k, v in status.items()
           if v or k in ("replicas", "availableReplicas", "collisionCount")}
    return FrozenDict(out)


# ---------------------------------------------------------------------------------------------
# sync
# ---------------------------------------------------------------------------------------------
def _claim_pods(state: ClusterState, sts: FrozenDict, known: frozenset[str] = frozenset(),
                others: tuple[str, ...] | None = None) -> tuple[ClusterState, list[FrozenDict]]:
    """getPodsForStatefulSet: ClaimPods with the isMemberOf filter (``known``: pods of a valid prefix, left
    out; ``others``: the set's other pods, when the owner index says they are all there is)."""
    md = sts["metadata"]
    selector = sts["spec"].get("selector")
    pods = []
    ns, uid = md["namespace"], md["uid"]
    if others is None:
        names = _owned(state, uid)[0]
        others = names if not known else tuple(sorted(known.symmetric_difference(names)))
    for pname in others:
        pod = state.get("Pod", ns, pname)
        ref = get_controller_of(pod) if pod is not None else None
        if pod is None or ref is None or ref.get("uid") != uid:
            continue
        if selector_matches(selector, pod["metadata"].get("labels")) and is_member_of(sts, pod):
            pods.append(pod)
        else:
            state = release(state, NAME, md["uid"], pod)
    if not md.get("deletionTimestamp"):
        for name in sorted((state.orphan_pods.get(md["namespace"]) or EMPTY).keys()):
            orphan = state.get("Pod", md["namespace"], name)
            if (orphan is None or orphan["metadata"].get("deletionTimestamp")
                    or not selector_matches(selector, orphan["metadata"].get("labels"))
                    or not is_member_of(sts, orphan)):
                continue
            state = adopt(state, NAME, sts, orphan)
            adopted = state.get("Pod", md["namespace"], name)
            if adopted is not None:
                pods.append(adopted)
    return state, pods


# ---------------------------------------------------------------------------------------------
# work in O(what changed): the prefix of healthy replicas an earlier sync saw
# ---------------------------------------------------------------------------------------------
class _Prefix:
    """Replicas ``start..start+j-1`` that an earlier sync found healthy and needing nothing: while the set's
    spec and revisions are the same objects, these pods are still active, Ready and labelled as they were,
    and their claims carry the same owner references, the sync's verdict on them is the same, so it need
    not look at them again (upstream looks at every pod on every sync; an OrderedReady scale-up of n pods
    then costs O(n^2)). The check is O(the other pods): the state's per-controller pod counts
    (``ClusterState.pod_stats``) keep their label-set map while no active pod of the set comes, goes or is
    relabelled, and their ready count then accounts for every prefix pod when it equals the prefix's length
    plus the ready pods among the others. Nothing here depends on the state it came from: the objects
    themselves are the keys."""

    __slots__ = ("_name_set", "claim_names", "claim_refs", "counts", "cur", "label_sets", "names", "others",
                 "owned", "owners", "pods", "pvc_map", "revisions", "spec", "stale_max", "unowned", "upd")

    def __init__(self, spec: Any, cur: str, upd: str, names: tuple[str, ...], pods: tuple[Any, ...],
                 claim_names: tuple[str, ...], claim_refs: tuple[Any, ...], counts: dict[str, int],
                 revisions: frozenset[str], stale_max: int) -> None:
        self.spec, self.cur, self.upd = spec, cur, upd
        self.names, self.pods, self.claim_names, self.claim_refs = names, pods, claim_names, claim_refs
        self.counts, self.revisions, self.stale_max = counts, revisions, stale_max
        self._name_set: frozenset[str] | None = None
        self.pvc_map: Any = None  # a claims map known to hold ``claim_refs`` under ``claim_names``
        # no claim of the prefix has an owner (the claims of the Retain policies): while the owner index
        # (ClusterState.by_owner) is the same object, none has gained one since, so each is as it was or
        # gone, and a missing claim matches the retention policy as a claim without owners does
        self.unowned = not any(claim_refs)
        self.owners: Any = None  # ClusterState.by_owner when the claims were last found as ``claim_refs`` say
        self.label_sets: Any = None  # ClusterState.pod_stats[uid].label_sets when the others were listed
        self.owned: Any = None  # ClusterState.by_owner[uid] then
        self.others: tuple[str, ...] = ()  # the set's other pods then

    @property
    def name_set(self) -> frozenset[str]:
        if self._name_set is None:
            self._name_set = frozenset(self.names)
        return self._name_set


_PREFIXES: dict[str, _Prefix] = {}
_OWNED: dict[str, tuple[Any, tuple[str, ...], tuple[Any, ...]]] = {}
_METADATA = operator.itemgetter("metadata")
_OWNER_REFS = operator.methodcaller("get", "ownerReferences")


def _owned(state: ClusterState, uid: str) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(names of the pods, refs of the revisions) that reference the set, memoised by the owner index entry."""
    deps = state.by_owner.get(uid)
    hit = _OWNED.get(uid)
    if hit is not None and hit[0] is deps:
        return hit[1], hit[2]
    refs = tuple(deps) if deps else ()
    out = (tuple([r[2] for r in refs if r[0] == "Pod"]), tuple([r for r in refs if r[0] == "ControllerRevision"]))
    if len(_OWNED) > 10_000:
        _OWNED.clear()
    _OWNED[uid] = (deps, *out)
    return out


def _claim_refs(state: ClusterState, ns: str, names: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The ownerReferences of each named claim (None when one is missing)."""
    pvcs = (state.objects.get("PersistentVolumeClaim") or EMPTY).get(ns) or EMPTY
    try:
        return tuple(map(_OWNER_REFS, map(_METADATA, map(pvcs.get, names))))
    except TypeError:
        return None


def _ready_active(pod: Any) -> bool:
    return pod is not None and not is_terminating(pod) and _phase(pod) not in ("Failed", "Succeeded") and \
        is_pod_ready(pod)


def _valid_prefix(state: ClusterState, sts: FrozenDict) -> _Prefix | None:
    uid = sts["metadata"]["uid"]
    p = _PREFIXES.get(uid)
    if p is None or p.spec is not sts["spec"] or not p.names or sts["metadata"].get("deletionTimestamp"):
        return None
    ns = sts["metadata"]["namespace"]
    pods = (state.objects.get("Pod") or EMPTY).get(ns) or EMPTY
    stats = state.pod_stats.get(uid)
    fast = stats is not None and stats.label_sets is p.label_sets and stats.ready == len(p.names) + sum(
        1 for o in map(pods.get, p.others) if _ready_active(o))
    if not fast:
        # something came, went or was relabelled: compare the prefix pods themselves
        if not all(map(operator.is_, map(pods.get, p.names), p.pods)):
            return None
    if p.claim_names:
        pvcs = (state.objects.get("PersistentVolumeClaim") or EMPTY).get(ns) or EMPTY
        if pvcs is not p.pvc_map:
            # (the binder's writes to a claim change the map, never the owner index)
            if not (p.unowned and state.by_owner is p.owners):
                refs = _claim_refs(state, ns, p.claim_names)
                if refs is None or not all(map(operator.is_, refs, p.claim_refs)):
                    return None
                p.owners = state.by_owner
            p.pvc_map = pvcs
    return p


def _next_prefix(s: _Sync, prefix: _Prefix | None, replicas: list[Any]) -> None:
    """Remember the replicas from ``start`` on that this sync (or the prefix) found healthy and fine, with
    what the state holds after this sync's own writes."""
    uid = s.sts["metadata"]["uid"]
    j = len(prefix.pods) if prefix is not None else 0
    k = j
    while k in s.passed:
        k += 1
    k = min(k, *s.replaced) if s.replaced else k  # a pod deleted for an update is no longer what the prefix remembers
    if k < j:  # the prefix itself lost a pod: start again
        prefix, j = None, 0
        k = 0
    if k == 0 or s.min_ready or s.error:
        _PREFIXES.pop(uid, None)
        return
    cur, upd = s.current["metadata"]["name"], s.update["metadata"]["name"]
    new = replicas[j:k]
    ns = s.sts["metadata"]["namespace"]
    templates = _claim_templates(s.sts)
    new_claim_names = tuple(claim_name(t, s.sts, get_ordinal(p)) for p in new for t in templates)
    new_refs = _claim_refs(s.state, ns, new_claim_names)
    if new_refs is None:
        _PREFIXES.pop(uid, None)
        return
    counts = compute_replica_status(new, 0, s.now, cur, upd)
    stale = [j + i for i, p in enumerate(new) if _revision_of(p) != upd]
    if prefix is not None:
        for key, v in prefix.counts.items():
            counts[key] += v
    p = _Prefix(s.sts["spec"], cur, upd,
                (prefix.names if prefix else ()) + tuple(q["metadata"]["name"] for q in new),
                (prefix.pods if prefix else ()) + tuple(new),
                (prefix.claim_names if prefix else ()) + new_claim_names,
                (prefix.claim_refs if prefix else ()) + new_refs,
                counts, (prefix.revisions if prefix else frozenset()) | {_revision_of(q) for q in new},
                max(stale) if stale else (prefix.stale_max if prefix else -1))
    stats = s.state.pod_stats.get(uid)
    owned = s.state.by_owner.get(uid)
    # the claims this sync leaves (the prefix's claims were checked at its start, and a passing replica's
    # claims are not written)
    p.pvc_map = (s.state.objects.get("PersistentVolumeClaim") or EMPTY).get(ns)
    p.owners = s.state.by_owner
    if stats is not None and prefix is not None and prefix.owned is owned and k == j:
        p.others = prefix.others
    else:
        p.others = tuple(sorted(p.name_set.symmetric_difference(_owned(s.state, uid)[0])))
    p.label_sets, p.owned = (stats.label_sets if stats is not None else None), owned
    if len(_PREFIXES) > 10_000:
        _PREFIXES.clear()
    _PREFIXES[uid] = p


def sync(state: ClusterState, key: str) -> ClusterState:
    ns, name = split_key(key)
    sts = state.get("StatefulSet", ns, name)
    if sts is None:
        return state
    selector = sts["spec"].get("selector")

    def matches(labels: Any) -> bool:
        return selector_matches(selector, labels)

    state = adopt_orphan_revisions(state, NAME, sts, matches)
    prefix = _valid_prefix(state, sts)
    others = prefix.others if prefix is not None and prefix.owned is state.by_owner.get(sts["metadata"]["uid"]) else None
    state, pods = _claim_pods(state, sts, prefix.name_set if prefix is not None and others is None else frozenset(),
                              others)
    revisions = sort_controller_revisions(list_controller_revisions(state, sts, matches, _owned(state, sts["metadata"]["uid"])[1]))
    state, current, update_rev, collision_count, _err = get_statefulset_revisions(state, sts, revisions)
    if current is None or update_rev is None:
        return state.add_timer(state.now + 1, NAME, key, essential=False)
    if prefix is not None and (prefix.cur, prefix.upd) != (current["metadata"]["name"], update_rev["metadata"]["name"]):
        pods = [*prefix.pods, *pods]
        prefix = None
    s = _Sync(state, sts, current, update_rev, collision_count)
    status = update_statefulset(s, pods, prefix)
    _next_prefix(s, prefix, s.replicas)
    state = s.state
    complete_rolling_update(sts, status)
    live = state.get("StatefulSet", ns, name)
    if live is not None and live["metadata"]["uid"] == sts["metadata"]["uid"]:
        new_status = _status_value(status)
        if (live.get("status") or EMPTY) != new_status:
            state = update_status(state, NAME, with_(live, status=new_status))[0]
    if status["currentRevision"] == update_rev["metadata"]["name"]:
        current = update_rev  # a completed rolling update: what the next sync would read from the status
    state = truncate_history(state, sts, pods, revisions, current, update_rev,
                             prefix.revisions if prefix is not None else frozenset())
    if s.error:
        # the sync failed: the work queue retries it with back-off (the model waits a second)
        state = state.add_timer(state.now + 1, NAME, key, essential=False)
    if s.min_ready and status["availableReplicas"] < status["readyReplicas"]:
        since = [t for t in (ready_since(p) for p in pods) if t is not None and t + s.min_ready >= s.now]
        at = (min(since) if since else s.now) + s.min_ready + 1
        state = state.add_timer(at - state.config.start_time, NAME, key)
    return state


# ---------------------------------------------------------------------------------------------
# watches (addPod/updatePod/deletePod, addStatefulSet/updateStatefulSet)
# ---------------------------------------------------------------------------------------------
def _pod_view(pod: Obj) -> tuple[Any, ...]:
    """What of a pod the controller's decisions and status read: a pod write that changes none of it needs
    no sync (Pending and Running differ only for a pod that is not Ready, where they lead to the same)."""
    status = pod.get("status") or EMPTY
    phase = status.get("phase")
    ready = next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    ready_since = ready.get("lastTransitionTime") if ready is not None and ready.get("status") == "True" else None
    md = pod["metadata"]
    return (phase if phase in ("", None, "Failed", "Succeeded") else "live", phase == "Running" and bool(ready_since),
            ready_since, md.get("deletionTimestamp"), md.get("labels"), md.get("ownerReferences"))


def _set_keys_for(state: ClusterState, pod: Obj) -> list[str]:
    ref = get_controller_of(pod)
    ns = pod["metadata"]["namespace"]
    if ref is not None:
        return [f"{ns}/{ref['name']}"] if ref.get("kind") == "StatefulSet" else []
    if pod["metadata"].get("deletionTimestamp"):
        return []
    parent = get_parent_name_and_ordinal(pod["metadata"]["name"])[0]
    sts = state.get("StatefulSet", ns, parent) if parent else None
    if sts is not None and selector_matches(sts["spec"].get("selector"), pod["metadata"].get("labels")):
        return [ns_key(sts)]
    return []


def _pod_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is not None:
        refs = new["metadata"].get("ownerReferences")
        if refs and (old is None or old["metadata"].get("ownerReferences") is refs):
            # the commonest write (a pod of another controller created, bound or given a status): the memo of
            # _other_controller read inline, once for both sides
            hit = _OTHER.get(id(refs))
            if hit is not None and hit[0] is refs and hit[1]:
                return ()
    if _other_controller(old) and _other_controller(new):
        return ()  # another controller's pod (or none), before and after: _set_keys_for gives no key for it
    if old is not None and new is not None:
        ref = get_controller_of(new)
        if ref is not None and ref.get("kind") != "StatefulSet" and get_controller_of(old) == ref:
            return ()  # another controller's pod before and after (updatePod resolves only its controllerRef)
        if _pod_view(old) == _pod_view(new):
            return ()
    keys: list[str] = []
    for pod in (old, new):
        if pod is not None:
            for k in _set_keys_for(state, pod):
                if k not in keys:
                    keys.append(k)
    return keys


_OTHER: dict[int, tuple[Any, bool]] = {}


def _other_controller(pod: FrozenDict | None) -> bool:
    """Whether ``pod`` is absent or controlled by something other than a StatefulSet; memoised by identity of
    its owner references (the pods of one ReplicaSet share them): every pod write of a Deployment's pods
    asks."""
    if pod is None:
        return True
    refs = pod["metadata"].get("ownerReferences")
    if not refs:
        return False
    hit = _OTHER.get(id(refs))
    if hit is not None and hit[0] is refs:
        return hit[1]
    ref = get_controller_of(pod)
    other = ref is not None and ref.get("kind") != "StatefulSet"
    if len(_OTHER) > 10_000:
        _OTHER.clear()
    _OTHER[id(refs)] = (refs, other)
    return other


def _set_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is None:
        return ()
    if old is not None and new.get("spec") == old.get("spec") and (
            new["metadata"].get("deletionTimestamp") == old["metadata"].get("deletionTimestamp")):
        return ()
    return (ns_key(new),)


def _claim_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    """A claim of ``<template>-<set>-<ordinal>`` that goes away may unblock its pod's creation (upstream
    retries with back-off until it is gone; the model looks again when it is)."""
    if new is not None or old is None:
        return ()
    parent = get_parent_name_and_ordinal(old["metadata"]["name"])[0]
    ns = old["metadata"]["namespace"]
    keys = []
    for sts in state.iter_kind("StatefulSet", ns):
        if parent.endswith("-" + sts["metadata"]["name"]) and sts["spec"].get("volumeClaimTemplates"):
            keys.append(ns_key(sts))
    return keys


register(Controller(NAME, sync, {"Pod": _pod_keys, "StatefulSet": _set_keys, "PersistentVolumeClaim": _claim_keys},
                    status_blind=frozenset({"StatefulSet"})))
