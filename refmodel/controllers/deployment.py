"""The Deployment controller (``kubectl rollout undo|pause|resume`` are client-side: :mod:`refmodel.kubectl`).

**Mirrors:** ``pkg/controller/deployment/deployment_controller.go`` (syncDeployment, getReplicaSetsForDeployment,
getPodMapForDeployment, the informer handlers addDeployment/updateDeployment/deleteDeployment,
addReplicaSet/updateReplicaSet/deleteReplicaSet, deletePod); ``sync.go`` (syncStatusOnly, sync,
checkPausedConditions, getAllReplicaSetsAndSyncRevision, getNewReplicaSet, scale,
scaleReplicaSetAndRecordEvent, scaleReplicaSet, cleanupDeployment, syncDeploymentStatus, calculateStatus,
isScalingEvent); ``rolling.go`` (rolloutRolling, reconcileNewReplicaSet, reconcileOldReplicaSets,
cleanupUnhealthyReplicas, scaleDownOldReplicaSetsForRollingUpdate); ``recreate.go`` (rolloutRecreate,
scaleDownOldReplicaSetsForRecreate, oldPodsRunning, scaleUpNewReplicaSetForRecreate); ``progress.go``
(syncRolloutStatus, getReplicaFailures, requeueStuckDeployment); ``rollback.go`` (rollback,
rollbackToTemplate, updateDeploymentAndClearRollbackTo: the deprecated ``rollbackTo`` annotation);
``pkg/controller/controller_ref_manager.go`` (ClaimReplicaSets, ClaimObject: adopt and release);
``pkg/registry/apps/deployment/strategy.go`` (deploymentStatusStrategy keeps annotations written with the
status).
**Modelled:** rules D-5..D-22 and GC-6 (helpers in :mod:`.deployment_util`): dispatch (deleting -> status
only; paused -> scale + cleanup; rollbackTo annotation; scaling event -> proportional scale; Recreate;
RollingUpdate), adoption of matching orphan ReplicaSets and release of owned ones that stop matching, the new
ReplicaSet ``<name>-<pod-template-hash>`` with hash collisions counted in ``status.collisionCount``, revision,
revision-history, desired-replicas and max-replicas annotations, annotations copied to the new ReplicaSet,
``minReadySeconds`` synced to it, one rolling step per sync, Recreate waiting for every old pod to stop
(Pending and Unknown count as running), proportional scaling, history cleanup by revision once complete or
paused, status with ``unavailableReplicas`` from the spec sum, the Available and Progressing conditions with
every reason, ReplicaFailure copied from the ReplicaSets, the progress deadline (strict ``<``) with a timer
at ``lastUpdateTime + progressDeadlineSeconds + 1`` (requeueStuckDeployment's ``AddAfter(after + 1s)``).
Upstream writes the revision annotation together with the status (the status strategy keeps annotations);
the model does it as an annotation update followed by a status update.
**Not modelled (and why):**
- Stale informer reads and the resulting update conflicts: each sync reads the current state, which is
  what upstream converges to after its conflict retries.
- Re-syncing after the controller's own status writes: the model re-queues only where the next sync
  would act on the new status (history cleanup gated on DeploymentComplete of the stored status, hash
  collisions); progress checks use the timer instead. A progress-check wake-up that upstream would leave
  queued after the rollout completed, paused or timed out (it would be a no-op) is dropped, so ``converge``
  does not advance the clock to it; the pending wake-up is remembered in ``state.env`` under
  ``deployment_progress_timers``. Wake-ups that cannot change the status (Progressing is
  NewReplicaSetAvailable, so DeploymentTimedOut is false) and upstream's rate-limited requeues past the
  deadline are non-essential retries (back-off 1, 2, 4 ... 1000 s) that ``converge`` does not wait for.
- minReadySeconds: upstream's deployment controller does not requeue for it; the ReplicaSet controller
  does (and its status update wakes the deployment).
- Events (ScalingReplicaSet, DeploymentRollback...) and metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..frozen import EMPTY, FrozenDict, with_
from ..labels import selector_matches
from ..podutil import get_controller_of
from ..request import Request
from ..state import ClusterState, parse_time
from . import Controller, delete, ns_key, register, send, split_key, update, update_status
from . import deployment_util as du
from .controller_ref_manager import adopt, controlled, controller_ref, release

__all__ = [
    "calculate_status",
    "cleanup_deployment",
    "cleanup_unhealthy_replicas",
    "old_pods_running",
    "reconcile_new_replica_set",
    "reconcile_old_replica_sets",
    "recreate_pod",
    "scale",
    "scale_down_old_replica_sets_for_rolling_update",
    "sync",
]

NAME = "deployment"
TIMERS_ENV = "deployment_progress_timers"


class _Abort(Exception):
    """A sync that upstream ends with an error (and a rate-limited requeue): the writes so far stand."""

    def __init__(self, state: ClusterState) -> None:
        super().__init__("deployment sync aborted")
        self.state = state


Obj = Mapping[str, Any]


def _key(d: Obj) -> str:
    return ns_key(d)


def _now(state: ClusterState) -> int:
    return state.config.start_time + state.now


# ---------------------------------------------------------------------------------------------
# syncDeployment
# ---------------------------------------------------------------------------------------------
def sync(state: ClusterState, key: str) -> ClusterState:
    ns, name = split_key(key)
    d = state.get("Deployment", ns, name)
    if d is None:
        return _set_progress_timer(state, key, None)  # gone: no progress check is pending any more
    try:
        return _sync_deployment(state, d)
    except _Abort as e:
        return e.state


def _sync_deployment(state: ClusterState, d: FrozenDict) -> ClusterState:
    selector = d["spec"].get("selector")
    if selector is not None and not selector.get("matchLabels") and not selector.get("matchExpressions"):
        # "SelectingAll": a non-empty selector is required; only observedGeneration is synced.
        status = d.get("status") or EMPTY
        gen = d["metadata"].get("generation", 0)
        if status.get("observedGeneration", 0) < gen:
            state = update_status(state, NAME, with_(d, status=with_(status, observedGeneration=gen)))[0]
        return state
    state = claim_replica_sets(state, d)
    if d["metadata"].get("deletionTimestamp"):
        return _sync_status_only(state, d)
    state, d = check_paused_conditions(state, d)
    if d["spec"].get("paused"):
        return _sync(state, d)
    if du.get_rollback_to(d) is not None:
        return rollback(state, d)
    state, d, scaling = is_scaling_event(state, d)
    if scaling:
        return _sync(state, d)
    strategy = (d["spec"].get("strategy") or EMPTY).get("type")
    if strategy == "Recreate":
        return rollout_recreate(state, d)
    if strategy == "RollingUpdate":
        return rollout_rolling(state, d)
    return state


# ---------------------------------------------------------------------------------------------
# ReplicaSets of a deployment (ClaimReplicaSets)
# ---------------------------------------------------------------------------------------------
def _selector(d: Obj) -> Any:
    return d["spec"].get("selector")


def _labels(obj: Obj) -> Any:
    return obj["metadata"].get("labels")


def claim_replica_sets(state: ClusterState, d: FrozenDict) -> ClusterState:
    """ClaimReplicaSets: adopt matching orphans (unless deleting), release owned RSs that stopped matching."""
    md = d["metadata"]
    uid = md["uid"]
    ns = md["namespace"]
    deleting = bool(md.get("deletionTimestamp"))
    selector = _selector(d)
    # the candidates: what we own (to release) and what nobody controls (to adopt), from the indexes
    candidates = [*controlled(state, uid, "ReplicaSet"),
                  *(rs for rs in (state.get("ReplicaSet", ns, name) for name in state.orphans_of_kind("ReplicaSet", ns))
                    if rs is not None)]
    for rs in du.sort_by_creation(candidates):  # one order whatever the indexes' (hash) order
        ref = get_controller_of(rs)
        matches = selector_matches(selector, _labels(rs))
        if ref is not None:
            if ref.get("uid") != uid or matches or deleting:
                continue
            state = release(state, NAME, uid, rs)
            continue
        if deleting or not matches or rs["metadata"].get("deletionTimestamp"):
            continue
        state = adopt(state, NAME, d, rs)
    return state


def replica_sets_of(state: ClusterState, d: Obj) -> list[FrozenDict]:
    """The claimed ReplicaSets: controlled by ``d`` and matching its selector, oldest first."""
    selector = _selector(d)
    return du.sort_by_creation(rs for rs in controlled(state, d["metadata"]["uid"], "ReplicaSet")
                               if selector_matches(selector, _labels(rs)))


def _pods_of(state: ClusterState, d: Obj, rs: Obj) -> Iterator[FrozenDict]:
    """getPodMapForDeployment, one ReplicaSet: pods controlled by it that match the deployment's selector."""
    selector = _selector(d)
    for pod in controlled(state, rs["metadata"]["uid"], "Pod"):
        if selector_matches(selector, _labels(pod)):
            yield pod


# ---------------------------------------------------------------------------------------------
# writes
# ---------------------------------------------------------------------------------------------
def _write_deployment(state: ClusterState, d: FrozenDict) -> tuple[ClusterState, FrozenDict]:
    """UpdateStatus of ``d``: its annotations (kept by the status strategy) and its status."""
    md = d["metadata"]
    live = state.get("Deployment", md["namespace"], md["name"])
    if live is None:
        return state, d
    ann = md.get("annotations") or None
    if (live["metadata"].get("annotations") or None) != ann:
        state, r = update(state, NAME, with_(live, metadata=with_(live["metadata"], annotations=ann)))
        live = r.obj or live
    state, r = update_status(state, NAME, with_(live, status=d.get("status") or EMPTY))
    return state, (r.obj or live)


def _update_rs(state: ClusterState, rs: Obj, replicas: int | None = None,
               annotations: Mapping[str, str] | None = None, min_ready: int | None = None,
               ) -> tuple[ClusterState, FrozenDict]:
    """Update a ReplicaSet's spec fields and annotations on top of its live version."""
    md = rs["metadata"]
    live = state.get("ReplicaSet", md["namespace"], md["name"])
    if live is None:
        raise _Abort(state)
    spec = live["spec"]
    if replicas is not None:
        spec = with_(spec, replicas=replicas)
    if min_ready is not None:
        spec = with_(spec, minReadySeconds=min_ready or None)
    new = with_(live, spec=spec)
    if annotations is not None:
        new = with_(new, metadata=with_(new["metadata"], annotations=FrozenDict(annotations) or None))
    state, r = update(state, NAME, new)
    if not r.ok or r.obj is None:
        raise _Abort(state)
    return state, r.obj


def scale_replica_set(state: ClusterState, rs: Obj, new_scale: int, d: Obj) -> tuple[ClusterState, bool, Any]:
    """scaleReplicaSet: new size and replica annotations in one update; True when the size changed."""
    size_needs_update = du.spec_replicas(rs) != new_scale
    desired = du.spec_replicas(d)
    max_replicas = desired + du.max_surge(d)
    if size_needs_update or du.replicas_annotations_need_update(rs, desired, max_replicas):
        annotated, _ = du.set_replicas_annotations(rs, desired, max_replicas)
        state, stored = _update_rs(state, rs, replicas=new_scale, annotations=du.annotations_of(annotated))
        return state, size_needs_update, stored
    return state, False, rs


def scale_replica_set_and_record_event(state: ClusterState, rs: Obj, new_scale: int,
                                       d: Obj) -> tuple[ClusterState, bool, Any]:
    if du.spec_replicas(rs) == new_scale:
        return state, False, rs
    return scale_replica_set(state, rs, new_scale, d)


# ---------------------------------------------------------------------------------------------
# new and old ReplicaSets, revisions
# ---------------------------------------------------------------------------------------------
def get_all_replica_sets_and_sync_revision(state: ClusterState, d: FrozenDict, create: bool,
                                           ) -> tuple[ClusterState, FrozenDict, Any, list[Any]]:
    rs_list = replica_sets_of(state, d)
    _, all_old = du.find_old_replica_sets(d, rs_list)
    state, d, new_rs = get_new_replica_set(state, d, rs_list, all_old, create)
    return state, d, new_rs, all_old


def get_new_replica_set(state: ClusterState, d: FrozenDict, rs_list: Sequence[FrozenDict],
                        old_rss: Sequence[FrozenDict], create: bool) -> tuple[ClusterState, FrozenDict, Any]:
    """getNewReplicaSet: sync the existing new RS's annotations and the deployment's revision, or create it."""
    existing = du.find_new_replica_set(d, rs_list)
    new_revision = str(du.max_revision(old_rss) + 1)
    now = state.timestamp()
    if existing is not None:
        rs_copy, annotations_updated = du.set_new_replica_set_annotations(d, existing, new_revision, True)
        d_min_ready = int(d["spec"].get("minReadySeconds", 0) or 0)
        if annotations_updated or int(existing["spec"].get("minReadySeconds", 0) or 0) != d_min_ready:
            state, stored = _update_rs(state, existing, annotations=du.annotations_of(rs_copy),
                                       min_ready=d_min_ready)
            return state, d, stored
        new_d, needs_update = du.set_deployment_revision(
            d, du.annotations_of(rs_copy).get(du.REVISION_ANNOTATION, ""))
        status = new_d.get("status") or EMPTY
        if du.has_progress_deadline(d) and du.get_deployment_condition(status, du.DEPLOYMENT_PROGRESSING) is None:
            cond = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "True", du.FOUND_NEW_RS_REASON,
                                               f'Found new replica set "{rs_copy["metadata"]["name"]}"', now)
            new_d = with_(new_d, status=du.set_deployment_condition(status, cond))
            needs_update = True
        if needs_update:
            state, d = _write_deployment(state, new_d)
        return state, d, rs_copy
    if not create:
        return state, d, None
    state, d, created, already_exists = _create_new_replica_set(state, d, old_rss, new_revision)
    new_d, needs_update = du.set_deployment_revision(d, new_revision)
    if not already_exists and du.has_progress_deadline(d):
        cond = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "True", du.NEW_REPLICA_SET_REASON,
                                           f'Created new replica set "{created["metadata"]["name"]}"', now)
        new_d = with_(new_d, status=du.set_deployment_condition(new_d.get("status") or EMPTY, cond))
        needs_update = True
    if needs_update:
        state, d = _write_deployment(state, new_d)
    return state, d, created


def _create_new_replica_set(state: ClusterState, d: FrozenDict, old_rss: Sequence[FrozenDict],
                            new_revision: str) -> tuple[ClusterState, FrozenDict, FrozenDict, bool]:
    md = d["metadata"]
    status = d.get("status") or EMPTY
    template = d["spec"]["template"]
    collision_count = status.get("collisionCount")
    pod_template_hash = du.compute_hash(template, collision_count)
    tmd = template.get("metadata") or EMPTY
    labels = du.clone_and_add_label(tmd.get("labels"), du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, pod_template_hash)
    new_template = with_(template, metadata=with_(tmd, labels=labels))
    selector = du.clone_selector_and_add_label(_selector(d), du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
                                               pod_template_hash)
    min_ready = int(d["spec"].get("minReadySeconds", 0) or 0)
    spec: dict[str, Any] = {"replicas": 0, "selector": selector, "template": new_template}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    new_rs = FrozenDict({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": FrozenDict({"name": f"{md['name']}-{pod_template_hash}", "namespace": md["namespace"],
                                "labels": labels, "ownerReferences": (controller_ref(d),)}),
        "spec": FrozenDict(spec),
    })
    count = du.new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
    new_rs = with_(new_rs, spec=with_(new_rs["spec"], replicas=count))
    new_rs, _ = du.set_new_replica_set_annotations(d, new_rs, new_revision, False)
    state_after, r = send(state, Request("create", body=new_rs, controller=NAME))
    if r.ok and r.obj is not None:
        return state_after, d, r.obj, False
    rej = r.rejection
    assert rej is not None
    name = new_rs["metadata"]["name"]
    if rej.reason == "AlreadyExists":
        rs = state.get("ReplicaSet", md["namespace"], name)
        ref = get_controller_of(rs) if rs is not None else None
        if rs is not None and ref is not None and ref.get("uid") == md["uid"] and du.equal_ignore_hash(
                d["spec"]["template"], rs["spec"].get("template")):
            return state, d, rs, True
        # a hash collision: bump collisionCount and try again with another name
        new_status = with_(status, collisionCount=int(collision_count or 0) + 1)
        state, _ = _write_deployment(state, with_(d, status=new_status))
        raise _Abort(state.enqueue(NAME, _key(d)))
    if rej.has_cause("NamespaceTerminating"):
        raise _Abort(state)  # the namespace is terminating: nothing to report
    if du.has_progress_deadline(d):
        cond = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "False", du.FAILED_RS_CREATE_REASON,
                                           f'Failed to create new replica set "{name}": {rej.message}',
                                           state.timestamp())
        state, _ = _write_deployment(state, with_(d, status=du.set_deployment_condition(status, cond)))
    raise _Abort(state)


# ---------------------------------------------------------------------------------------------
# sync / syncStatusOnly / pause / scaling events
# ---------------------------------------------------------------------------------------------
def _sync_status_only(state: ClusterState, d: FrozenDict) -> ClusterState:
    state, d, new_rs, old_rss = get_all_replica_sets_and_sync_revision(state, d, False)
    return sync_deployment_status(state, [*old_rss, new_rs], new_rs, d)


def _sync(state: ClusterState, d: FrozenDict) -> ClusterState:
    """sync: scaling events and paused deployments (proportional scaling, cleanup when paused)."""
    state, d, new_rs, old_rss = get_all_replica_sets_and_sync_revision(state, d, False)
    state = scale(state, d, new_rs, old_rss)
    if d["spec"].get("paused") and du.get_rollback_to(d) is None:
        state = cleanup_deployment(state, old_rss, d)
    return sync_deployment_status(state, [*old_rss, new_rs], new_rs, d)


def check_paused_conditions(state: ClusterState, d: FrozenDict) -> tuple[ClusterState, FrozenDict]:
    """checkPausedConditions: Progressing=Unknown DeploymentPaused / DeploymentResumed (not over a timeout)."""
    if not du.has_progress_deadline(d):
        return state, d
    status = d.get("status") or EMPTY
    cond = du.get_deployment_condition(status, du.DEPLOYMENT_PROGRESSING)
    if cond is not None and cond.get("reason") == du.TIMED_OUT_REASON:
        return state, d
    paused_exists = cond is not None and cond.get("reason") == du.PAUSED_DEPLOY_REASON
    paused = bool(d["spec"].get("paused"))
    now = state.timestamp()
    if paused and not paused_exists:
        new = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "Unknown", du.PAUSED_DEPLOY_REASON,
                                          "Deployment is paused", now)
    elif not paused and paused_exists:
        new = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "Unknown", du.RESUMED_DEPLOY_REASON,
                                          "Deployment is resumed", now)
    else:
        return state, d
    return _write_deployment(state, with_(d, status=du.set_deployment_condition(status, new)))


def is_scaling_event(state: ClusterState, d: FrozenDict) -> tuple[ClusterState, FrozenDict, bool]:
    """isScalingEvent: some active RS was sized for another deployment size (desired-replicas annotation)."""
    state, d, new_rs, old_rss = get_all_replica_sets_and_sync_revision(state, d, False)
    replicas = du.spec_replicas(d)
    for rs in du.filter_active_replica_sets([*old_rss, new_rs]):
        desired, ok = du.get_desired_replicas_annotation(rs)
        if ok and desired != replicas:
            return state, d, True
    return state, d, False


def scale(state: ClusterState, d: Obj, new_rs: Obj | None, old_rss: Sequence[Obj]) -> ClusterState:
    """scale: the single active RS takes d.replicas; a saturated new RS zeroes old ones; otherwise, for
    RollingUpdate, spread the difference proportionally (largest first, leftover to the first)."""
    replicas = du.spec_replicas(d)
    active_or_latest = du.find_active_or_latest(new_rs, old_rss)
    if active_or_latest is not None:
        if du.spec_replicas(active_or_latest) == replicas:
            return state
        state, _, _ = scale_replica_set_and_record_event(state, active_or_latest, replicas, d)
        return state
    if du.is_saturated(d, new_rs):
        for old in du.filter_active_replica_sets(old_rss):
            state, _, _ = scale_replica_set_and_record_event(state, old, 0, d)
        return state
    if not du.is_rolling_update(d):
        return state
    newest_first = sorted(old_rss, key=du.creation_key, reverse=True)  # FindActiveOrLatest sorted them
    all_rss = du.filter_active_replica_sets([*newest_first, new_rs])
    all_replicas = du.get_replica_count_for_replica_sets(all_rss)
    allowed = replicas + du.max_surge(d) if replicas > 0 else 0
    to_add = allowed - all_replicas
    if to_add > 0:
        all_rss = du.sort_by_size_newer(all_rss)
    elif to_add < 0:
        all_rss = du.sort_by_size_older(all_rss)
    added = 0
    sizes: list[int] = []
    for rs in all_rss:
        if to_add != 0:
            proportion = du.get_proportion(rs, d, to_add, added)
            sizes.append(du.spec_replicas(rs) + proportion)
            added += proportion
        else:
            sizes.append(du.spec_replicas(rs))
    for i, rs in enumerate(all_rss):
        size = sizes[i]
        if i == 0 and to_add != 0:
            size = max(size + (to_add - added), 0)
        state, _, _ = scale_replica_set(state, rs, size, d)
    return state


def cleanup_deployment(state: ClusterState, old_rss: Sequence[Obj], d: Obj) -> ClusterState:
    """cleanupDeployment: keep revisionHistoryLimit old RSs; delete the lowest revisions among the rest,
    skipping any that still has replicas, an unobserved generation or a deletionTimestamp."""
    if not du.has_revision_history_limit(d):
        return state
    cleanable = [rs for rs in old_rss if rs is not None and not rs["metadata"].get("deletionTimestamp")]
    diff = len(cleanable) - int(d["spec"]["revisionHistoryLimit"])
    if diff <= 0:
        return state
    for rs in du.sort_by_revision(cleanable)[:diff]:
        status = rs.get("status") or EMPTY
        if (status.get("replicas", 0) != 0 or du.spec_replicas(rs) != 0
                or rs["metadata"].get("generation", 0) > status.get("observedGeneration", 0)
                or rs["metadata"].get("deletionTimestamp")):
            continue
        state_after, r = delete(state, NAME, "ReplicaSet", rs["metadata"]["namespace"], rs["metadata"]["name"])
        if not r.ok and r.rejection is not None and r.rejection.reason != "NotFound":
            raise _Abort(state_after)
        state = state_after
    return state


# ---------------------------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------------------------
def calculate_status(all_rss: Sequence[Obj | None], new_rs: Obj | None, d: Obj, now: str) -> FrozenDict:
    """calculateStatus: counts from the ReplicaSets' statuses; unavailable from the spec sum; Available."""
    available = du.get_available_replica_count_for_replica_sets(all_rss)
    total = du.get_replica_count_for_replica_sets(all_rss)
    old = d.get("status") or EMPTY
    status: dict[str, Any] = {
        "observedGeneration": d["metadata"].get("generation", 0),
        "replicas": du.get_actual_replica_count_for_replica_sets(all_rss),
        "updatedReplicas": du.get_actual_replica_count_for_replica_sets([new_rs]),
        "readyReplicas": du.get_ready_replica_count_for_replica_sets(all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
    }
    status = {k: v for k, v in status.items() if v}  # int32 fields are omitempty
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = tuple(old["conditions"])
    out = FrozenDict(status)
    if available >= du.spec_replicas(d) - du.max_unavailable(d):
        cond = du.new_deployment_condition(du.DEPLOYMENT_AVAILABLE, "True", du.MINIMUM_REPLICAS_AVAILABLE,
                                           "Deployment has minimum availability.", now)
    else:
        cond = du.new_deployment_condition(du.DEPLOYMENT_AVAILABLE, "False", du.MINIMUM_REPLICAS_UNAVAILABLE,
                                           "Deployment does not have minimum availability.", now)
    return du.set_deployment_condition(out, cond)


def sync_deployment_status(state: ClusterState, all_rss: Sequence[Obj | None], new_rs: Obj | None,
                           d: FrozenDict) -> ClusterState:
    """syncDeploymentStatus (paused, scaling and deleting deployments): no progress estimation."""
    state = _set_progress_timer(state, _key(d), None)
    new_status = calculate_status(all_rss, new_rs, d, state.timestamp())
    if new_status == (d.get("status") or EMPTY):
        return state
    state, _ = _write_deployment(state, with_(d, status=new_status))
    return state


def sync_rollout_status(state: ClusterState, all_rss: Sequence[Obj | None], new_rs: Obj | None,
                        d: FrozenDict) -> ClusterState:
    """syncRolloutStatus: status plus the Progressing condition (complete, progressing or timed out)."""
    now_s = state.timestamp()
    new_status = calculate_status(all_rss, new_rs, d, now_s)
    if not du.has_progress_deadline(d):
        new_status = du.remove_deployment_condition(new_status, du.DEPLOYMENT_PROGRESSING)
    old_status = d.get("status") or EMPTY
    current = du.get_deployment_condition(old_status, du.DEPLOYMENT_PROGRESSING)
    is_complete = (new_status.get("replicas", 0) == new_status.get("updatedReplicas", 0) and current is not None
                   and current.get("reason") == du.NEW_RS_AVAILABLE_REASON)
    if du.has_progress_deadline(d) and not is_complete:
        name = d["metadata"]["name"]
        subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs is not None else f'Deployment "{name}"'
        if du.deployment_complete(d, new_status):
            cond = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "True", du.NEW_RS_AVAILABLE_REASON,
                                               f"{subject} has successfully progressed.", now_s)
            new_status = du.set_deployment_condition(new_status, cond)
        elif du.deployment_progressing(d, new_status):
            cond = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "True", du.REPLICA_SET_UPDATED_REASON,
                                               f"{subject} is progressing.", now_s)
            if current is not None:
                if current.get("status") == "True":
                    cond = with_(cond, lastTransitionTime=current.get("lastTransitionTime"))
                new_status = du.remove_deployment_condition(new_status, du.DEPLOYMENT_PROGRESSING)
            new_status = du.set_deployment_condition(new_status, cond)
        elif du.deployment_timed_out(d, new_status, _now(state)):
            cond = du.new_deployment_condition(du.DEPLOYMENT_PROGRESSING, "False", du.TIMED_OUT_REASON,
                                               f"{subject} has timed out progressing.", now_s)
            new_status = du.set_deployment_condition(new_status, cond)
    failures = get_replica_failures(all_rss, new_rs)
    if failures:
        new_status = du.set_deployment_condition(new_status, failures[0])
    else:
        new_status = du.remove_deployment_condition(new_status, du.DEPLOYMENT_REPLICA_FAILURE)
    if new_status == old_status:
        return requeue_stuck_deployment(state, d, new_status)
    state, stored = _write_deployment(state, with_(d, status=new_status))
    # What upstream's re-sync after this write would do: schedule the progress check, and clean up
    # history once the stored status says the rollout is complete.
    state = requeue_stuck_deployment(state, stored, new_status)
    if du.deployment_complete(d, new_status) and not du.deployment_complete(d, old_status):
        state = state.enqueue(NAME, _key(d))
    return state


def get_replica_failures(all_rss: Sequence[Obj | None], new_rs: Obj | None) -> list[FrozenDict]:
    """getReplicaFailures: the new RS's ReplicaFailure conditions, else the old ones'."""
    conds = [du.replica_set_to_deployment_condition(c) for c in ((new_rs or EMPTY).get("status") or EMPTY).get(
        "conditions") or () if c.get("type") == du.DEPLOYMENT_REPLICA_FAILURE]
    if conds:
        return conds
    for rs in all_rss:
        if rs is None:
            continue
        conds.extend(du.replica_set_to_deployment_condition(c) for c in (rs.get("status") or EMPTY).get(
            "conditions") or () if c.get("type") == du.DEPLOYMENT_REPLICA_FAILURE)
    return conds


def requeue_stuck_deployment(state: ClusterState, d: Obj, new_status: Mapping[str, Any]) -> ClusterState:
    """requeueStuckDeployment: wake up at lastUpdateTime + progressDeadlineSeconds (+1 s) for a progress check.

    Upstream's ``AddAfter(after + 1 s)`` becomes a timer ``converge`` waits for, unless the check cannot
    change anything: with a ``NewReplicaSetAvailable`` condition DeploymentTimedOut is false and no progress
    is estimated, so that wake-up is a retry. Past the deadline upstream requeues rate-limited (exponential
    back-off); the model retries after as long as the deadline has been past (1, 2, 4 ... 1000 s).
    """
    key = _key(d)
    current = du.get_deployment_condition(d.get("status") or EMPTY, du.DEPLOYMENT_PROGRESSING)
    if not du.has_progress_deadline(d) or current is None:
        return _set_progress_timer(state, key, None)
    if du.deployment_complete(d, new_status) or current.get("reason") == du.TIMED_OUT_REASON:
        return _set_progress_timer(state, key, None)
    last = current.get("lastUpdateTime")
    deadline = (parse_time(last) if last else 0) + int(d["spec"]["progressDeadlineSeconds"])
    now = _now(state)
    essential = current.get("reason") != du.NEW_RS_AVAILABLE_REASON
    if deadline - now >= 1:
        at = deadline + 1  # AddAfter(after + 1 s)
    elif essential:
        at = now + 1  # rate-limited requeue: the next virtual second (timed out by then)
    else:
        at = now + min(max(now - deadline, 1), 1000)
    return _set_progress_timer(state, key, at - state.config.start_time, essential)


def _set_progress_timer(state: ClusterState, key: str, at: int | None, essential: bool = True) -> ClusterState:
    """Keep at most one pending progress check per deployment (virtual seconds since start; None = none)."""
    timers = state.env.get(TIMERS_ENV) or EMPTY
    prev = timers.get(key)
    want = None if at is None else (at, essential)
    if prev == want:
        if at is not None and (NAME, key) not in (state.timers.get(at) or EMPTY):
            return state.add_timer(at, NAME, key, essential)  # it fired: ask again
        return state
    if prev is not None:
        slot = state.timers.get(prev[0])
        if slot is not None and (NAME, key) in slot:
            slot = slot.delete((NAME, key))
            state = state.replace(timers=state.timers.set(prev[0], slot) if len(slot) else state.timers.delete(
                prev[0]))
    state = state.replace(env=state.env.set(TIMERS_ENV, with_(timers, **{key: want})))
    if at is not None:
        state = state.add_timer(at, NAME, key, essential)
    return state


# ---------------------------------------------------------------------------------------------
# RollingUpdate
# ---------------------------------------------------------------------------------------------
def rollout_rolling(state: ClusterState, d: FrozenDict) -> ClusterState:
    state, d, new_rs, old_rss = get_all_replica_sets_and_sync_revision(state, d, True)
    all_rss = [*old_rss, new_rs]
    state, scaled_up = reconcile_new_replica_set(state, all_rss, new_rs, d)
    if scaled_up:
        return sync_rollout_status(state, all_rss, new_rs, d)
    state, scaled_down = reconcile_old_replica_sets(state, all_rss, du.filter_active_replica_sets(old_rss),
                                                    new_rs, d)
    if scaled_down:
        return sync_rollout_status(state, all_rss, new_rs, d)
    if du.deployment_complete(d, d.get("status") or EMPTY):
        state = cleanup_deployment(state, old_rss, d)
    return sync_rollout_status(state, all_rss, new_rs, d)


def reconcile_new_replica_set(state: ClusterState, all_rss: Sequence[Obj | None], new_rs: Obj,
                              d: Obj) -> tuple[ClusterState, bool]:
    """reconcileNewReplicaSet: scale the new RS down to d.replicas, or up as far as maxSurge allows."""
    replicas = du.spec_replicas(d)
    if du.spec_replicas(new_rs) == replicas:
        return state, False
    if du.spec_replicas(new_rs) > replicas:
        state, scaled, _ = scale_replica_set_and_record_event(state, new_rs, replicas, d)
        return state, scaled
    count = du.new_rs_new_replicas(d, all_rss, new_rs)
    state, scaled, _ = scale_replica_set_and_record_event(state, new_rs, count, d)
    return state, scaled


def reconcile_old_replica_sets(state: ClusterState, all_rss: Sequence[Obj | None], old_rss: Sequence[Obj],
                               new_rs: Obj, d: Obj) -> tuple[ClusterState, bool]:
    """reconcileOldReplicaSets: scale old RSs down as far as availability (and the new RS's unavailable
    pods) allows, unhealthy replicas first."""
    if du.get_replica_count_for_replica_sets(old_rss) == 0:
        return state, False
    all_pods = du.get_replica_count_for_replica_sets(all_rss)
    min_available = du.spec_replicas(d) - du.max_unavailable(d)
    new_unavailable = du.spec_replicas(new_rs) - int((new_rs.get("status") or EMPTY).get("availableReplicas", 0))
    max_scaled_down = all_pods - min_available - new_unavailable
    if max_scaled_down <= 0:
        return state, False
    state, updated_old, cleanup_count, ok = cleanup_unhealthy_replicas(state, old_rss, d, max_scaled_down)
    if not ok:
        return state, False
    state, scaled_down_count, ok = scale_down_old_replica_sets_for_rolling_update(
        state, [*updated_old, new_rs], updated_old, d)
    if not ok:
        return state, False
    return state, cleanup_count + scaled_down_count > 0


def cleanup_unhealthy_replicas(state: ClusterState, old_rss: Sequence[Obj], d: Obj,
                               max_cleanup_count: int) -> tuple[ClusterState, list[Any], int, bool]:
    """cleanupUnhealthyReplicas: oldest first, remove up to max_cleanup_count unavailable replicas.

    Returns (state, old RSs as updated, replicas removed, ok); ``ok`` is False where upstream errs.
    """
    rss = du.sort_by_creation(old_rss)
    total = 0
    for i, rs in enumerate(rss):
        if total >= max_cleanup_count:
            break
        replicas = du.spec_replicas(rs)
        available = int((rs.get("status") or EMPTY).get("availableReplicas", 0))
        if replicas == 0 or replicas == available:
            continue
        count = min(max_cleanup_count - total, replicas - available)
        new_count = replicas - count
        if new_count > replicas:
            return state, rss, 0, False  # "got invalid request to scale down"
        state, _, updated = scale_replica_set_and_record_event(state, rs, new_count, d)
        total += count
        rss[i] = updated
    return state, rss, total, True


def scale_down_old_replica_sets_for_rolling_update(state: ClusterState, all_rss: Sequence[Obj | None],
                                                   old_rss: Sequence[Obj], d: Obj,
                                                   ) -> tuple[ClusterState, int, bool]:
    """scaleDownOldReplicaSetsForRollingUpdate: oldest first, down to minAvailable *available* pods."""
    min_available = du.spec_replicas(d) - du.max_unavailable(d)
    available = du.get_available_replica_count_for_replica_sets(all_rss)
    if available <= min_available:
        return state, 0, True
    total = 0
    target = available - min_available
    for rs in du.sort_by_creation(old_rss):
        if total >= target:
            break
        replicas = du.spec_replicas(rs)
        if replicas == 0:
            continue
        count = min(replicas, target - total)
        new_count = replicas - count
        if new_count > replicas:
            return state, total, False
        state, _, _ = scale_replica_set_and_record_event(state, rs, new_count, d)
        total += count
    return state, total, True


# ---------------------------------------------------------------------------------------------
# Recreate
# ---------------------------------------------------------------------------------------------
def rollout_recreate(state: ClusterState, d: FrozenDict) -> ClusterState:
    state, d, new_rs, old_rss = get_all_replica_sets_and_sync_revision(state, d, False)
    all_rss = [*old_rss, new_rs]
    state, scaled_down = scale_down_old_replica_sets_for_recreate(state, du.filter_active_replica_sets(old_rss), d)
    if scaled_down:
        return sync_rollout_status(state, all_rss, new_rs, d)
    pod_map = {rs["metadata"]["uid"]: _pods_of(state, d, rs) for rs in old_rss}
    if old_pods_running(new_rs, old_rss, pod_map):
        return sync_rollout_status(state, all_rss, new_rs, d)
    if new_rs is None:
        state, d, new_rs, old_rss = get_all_replica_sets_and_sync_revision(state, d, True)
        all_rss = [*old_rss, new_rs]
    state, _, _ = scale_replica_set_and_record_event(state, new_rs, du.spec_replicas(d), d)
    if du.deployment_complete(d, d.get("status") or EMPTY):
        state = cleanup_deployment(state, old_rss, d)
    return sync_rollout_status(state, all_rss, new_rs, d)


def scale_down_old_replica_sets_for_recreate(state: ClusterState, old_rss: Sequence[Obj],
                                             d: Obj) -> tuple[ClusterState, bool]:
    scaled = False
    for rs in old_rss:
        if du.spec_replicas(rs) == 0:
            continue
        state, did, _ = scale_replica_set_and_record_event(state, rs, 0, d)
        scaled = scaled or did
    return state, scaled


def old_pods_running(new_rs: Obj | None, old_rss: Sequence[Obj],
                     pod_map: Mapping[str, Iterable[Obj]] | None) -> bool:
    """oldPodsRunning: an old RS reports replicas, or a pod of an old RS is not Succeeded/Failed."""
    if du.get_actual_replica_count_for_replica_sets(old_rss) > 0:
        return True
    new_uid = new_rs["metadata"].get("uid") if new_rs is not None else None
    for uid, pods in (pod_map or EMPTY).items():
        if new_rs is not None and uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or EMPTY).get("phase") in ("Succeeded", "Failed"):
                continue
            return True  # Pending, Running and (deprecated) Unknown all count as running
    return False


# ---------------------------------------------------------------------------------------------
# deprecated rollbackTo (annotation round-tripped from extensions/v1beta1 and apps/v1beta1)
# ---------------------------------------------------------------------------------------------
def rollback(state: ClusterState, d: FrozenDict) -> ClusterState:
    state, d, new_rs, old_rss = get_all_replica_sets_and_sync_revision(state, d, True)
    all_rss = [*old_rss, new_rs]
    to = du.get_rollback_to(d)
    if to == 0:
        to = du.last_revision(all_rss)
        if to == 0:
            return _update_deployment_and_clear_rollback_to(state, d)
    for rs in all_rss:
        if rs is None:
            continue
        try:
            v = du.revision(rs)
        except du.RevisionError:
            continue
        if v == to:
            if not du.equal_ignore_hash(d["spec"]["template"], rs["spec"].get("template")):
                d = du.set_from_replica_set_template(d, rs["spec"]["template"])
                d = du.set_deployment_annotations_to(d, rs)
            return _update_deployment_and_clear_rollback_to(state, d)
    return _update_deployment_and_clear_rollback_to(state, d)


def _update_deployment_and_clear_rollback_to(state: ClusterState, d: FrozenDict) -> ClusterState:
    ann = {k: v for k, v in du.annotations_of(d).items() if k != du.DEPRECATED_ROLLBACK_TO}
    md = d["metadata"]
    live = state.get("Deployment", md["namespace"], md["name"])
    if live is None:
        return state
    new = with_(live, spec=d["spec"], metadata=with_(live["metadata"], annotations=FrozenDict(ann) or None))
    return update(state, NAME, new)[0]


# ---------------------------------------------------------------------------------------------
# watches (informer handlers)
# ---------------------------------------------------------------------------------------------
def _sans_own_writes(d: FrozenDict) -> tuple[Any, Any]:
    md = d["metadata"]
    ann = {k: v for k, v in (md.get("annotations") or EMPTY).items() if k != du.REVISION_ANNOTATION}
    return d.get("spec"), with_(md, resourceVersion=None, annotations=FrozenDict(ann) or None)


def _deployment_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    """add/update/deleteDeployment, except for the controller's own status and revision writes."""
    obj = new if new is not None else old
    assert obj is not None
    if old is not None and new is not None and _sans_own_writes(old) == _sans_own_writes(new):
        return ()
    return (_key(obj),)


def _owner_key(state: ClusterState, obj: Obj, kind: str) -> str | None:
    ref = get_controller_of(obj)
    if ref is None or ref.get("kind") != kind:
        return None
    ns = obj["metadata"]["namespace"]
    owner = state.get(kind, ns, ref.get("name", ""))
    if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
        return None
    return f"{ns}/{ref['name']}"


def _rs_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    """add/update/deleteReplicaSet: the controlling deployment(s); for orphans every matching deployment."""
    keys: list[str] = []
    for rs in (old, new):
        if rs is None:
            continue
        k = _owner_key(state, rs, "Deployment")
        if k is not None and k not in keys:
            keys.append(k)
    if new is not None and get_controller_of(new) is None and (
            old is None or _labels(old) != _labels(new) or get_controller_of(old) is not None):
        ns = new["metadata"]["namespace"]
        # getDeploymentsForReplicaSet: every matching Deployment, queued oldest first (the lister's order is
        # a map's; the model's must not depend on the string-hash seed)
        for d in du.sort_by_creation(state.iter_kind("Deployment", ns)):
            if selector_matches(_selector(d), _labels(new)):
                k = _key(d)
                if k not in keys:
                    keys.append(k)
    return keys


def _pod_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    """deletePod: a Recreate deployment whose last pod is gone."""
    if new is not None or old is None:
        return ()
    found = _recreate_of(state, old)
    if found is None:
        return ()
    key, d = found
    for other in replica_sets_of(state, d):
        for _ in _pods_of(state, d, other):
            return ()
    return (key,)


def _recreate_of(state: ClusterState, pod: FrozenDict) -> tuple[str, FrozenDict] | None:
    """The key and object of the Recreate Deployment that controls ``pod`` through its ReplicaSet, if any."""
    ns = pod["metadata"]["namespace"]
    rs_ref = get_controller_of(pod)
    if rs_ref is None or rs_ref.get("kind") != "ReplicaSet":
        return None
    rs = state.get("ReplicaSet", ns, rs_ref.get("name", ""))
    if rs is None or rs["metadata"].get("uid") != rs_ref.get("uid"):
        return None
    d_ref = get_controller_of(rs)
    if d_ref is None or d_ref.get("kind") != "Deployment":
        return None
    d = state.get("Deployment", ns, d_ref.get("name", ""))
    if d is None or d["metadata"].get("uid") != d_ref.get("uid") or (
            (d["spec"].get("strategy") or EMPTY).get("type") != "Recreate"):
        return None
    return f"{ns}/{d_ref['name']}", d


def recreate_pod(state: ClusterState, pod: FrozenDict) -> bool:
    """Whether ``pod`` belongs to a Recreate Deployment: the one case where the watch of a pod's removal
    (deletePod) reads the other pods, so a batch of removals would not wake what one at a time would."""
    return _recreate_of(state, pod) is not None


register(Controller(NAME, sync, {"Deployment": _deployment_keys, "ReplicaSet": _rs_keys, "Pod": _pod_keys},
                    status_blind=frozenset({"Deployment", "Pod"}), removals_only=frozenset({"Pod"})))
