"""Seeded bugs in the reference model: the suite's self-test (Hypothesis's "bad machines must fail").

Each mutant monkeypatches one function of ``refmodel`` with a plausible bug. ``kubeoracle conformance
--self-test`` (and ``tests/test_mutants.py``) runs the named machine against the mutated model with the
default budget and records which invariant caught it: the kill matrix. A mutant that survives means an
invariant is missing or too weak. Patches are applied in a context and always undone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import attrs

__all__ = ["MUTANTS", "Mutant", "applied"]

Patch = Callable[[ExitStack], None]


@attrs.frozen
class Mutant:
    name: str
    description: str
    patch: Patch
    machine: str  # the machine whose rules expose it
    expect: tuple[str, ...] = ()  # invariant names expected to catch it (documentation; any kill counts)
    needs: str = ""  # a refmodel attribute path that must exist (e.g. a controller not yet written)
    examples: int = 400  # at most this many examples in the suite's own test (it stops at the first kill)


def _set(stack: ExitStack, obj: Any, name: str, value: Any) -> None:
    old = getattr(obj, name)
    setattr(obj, name, value)
    stack.callback(setattr, obj, name, old)


def _wrap(stack: ExitStack, obj: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    _set(stack, obj, name, make(getattr(obj, name)))


def _controller(stack: ExitStack, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    from refmodel.controllers import CONTROLLERS

    c = CONTROLLERS[name]
    CONTROLLERS[name] = attrs.evolve(c, sync=make(c.sync))
    stack.callback(CONTROLLERS.__setitem__, name, c)


# ---- ReplicaSet controller --------------------------------------------------------------------
def _rs_one_short(stack: ExitStack) -> None:
    from refmodel.controllers import replicaset as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def manage_replicas(state: Any, rs: Any, count: Any, *rest: Any, **kw: Any) -> Any:
            n = count if isinstance(count, int) else len(count)
            if n + 1 == int(rs["spec"].get("replicas", 1)):
                return state, ""  # the last missing pod is never created
            return orig(state, rs, count, *rest, **kw)
        return manage_replicas
    _wrap(stack, m, "manage_replicas", make)


def _rs_counts_terminating(stack: ExitStack) -> None:
    from refmodel.controllers import replicaset as m
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def calculate_status(state: Any, rs: Any, pods: Any, manage_error: str = "") -> Any:
            status = orig(state, rs, pods, manage_error)
            terminating = sum(1 for kind, ns, name in state.dependents(rs["metadata"]["uid"])
                              if kind == "Pod" and (p := state.get(kind, ns, name)) is not None
                              and p["metadata"].get("deletionTimestamp"))
            return with_(status, replicas=status["replicas"] + terminating)
        return calculate_status
    _wrap(stack, m, "calculate_status", make)


def _rs_stale_observed_generation(stack: ExitStack) -> None:
    from refmodel.controllers import replicaset as m
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def calculate_status(state: Any, rs: Any, pods: Any, manage_error: str = "") -> Any:
            status = orig(state, rs, pods, manage_error)
            return with_(status, observedGeneration=min(status.get("observedGeneration", 1), 1))
        return calculate_status
    _wrap(stack, m, "calculate_status", make)


def _rs_never_adopts(stack: ExitStack) -> None:
    from refmodel.controllers import replicaset as m

    def claim_pods(state: Any, rs: Any) -> Any:
        uid = rs["metadata"]["uid"]
        from refmodel.podutil import is_pod_active

        return state, [p for p in m.owned_pods(state, uid) if is_pod_active(p)]
    _set(stack, m, "claim_pods", claim_pods)


def _rs_steals_pods(stack: ExitStack) -> None:
    from refmodel import apiserver
    from refmodel.controllers import replicaset as m
    from refmodel.frozen import with_
    from refmodel.labels import selector_matches

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def claim_pods(state: Any, rs: Any) -> Any:
            state, pods = orig(state, rs)
            ns, uid = rs["metadata"]["namespace"], rs["metadata"]["uid"]
            for pod in list(state.iter_kind("Pod", ns)):
                refs = pod["metadata"].get("ownerReferences") or ()
                if refs and all(r.get("uid") != uid for r in refs) and selector_matches(
                        rs["spec"].get("selector"), pod["metadata"].get("labels")):
                    new = with_(pod, metadata=with_(pod["metadata"], ownerReferences=(*refs, m.controller_ref(rs))))
                    state = apiserver.controller_update(state, new, old=pod).state
            return state, pods
        return claim_pods
    _wrap(stack, m, "claim_pods", make)


# ---- scheduler ----------------------------------------------------------------------------------
def _sched_ignores_cordon(stack: ExitStack) -> None:
    from refmodel.controllers import scheduler as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def static_reason(pod_spec: Any, node: Any) -> str:
            r: str = orig(pod_spec, node)
            return "" if r in ("node(s) were unschedulable",) or "unschedulable" in r else r
        return static_reason
    _wrap(stack, m, "_static_reason", make)


def _sched_ignores_resources(stack: ExitStack) -> None:
    from refmodel.controllers import scheduler as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def fit_reasons(alloc: Any, used: Any, req: Any) -> Any:
            return [x for x in orig(alloc, used, req) if not x.startswith("Insufficient cpu")]
        return fit_reasons

    def make_fits(orig: Callable[..., Any]) -> Callable[..., Any]:
        def fits(alloc: Any, used: Any, req: Any) -> Any:
            return orig(alloc, used, (0, *req[1:]))  # as if the pod requested no CPU
        return fits
    _wrap(stack, m, "_fit_reasons", make)
    _wrap(stack, m, "_fits", make_fits)


def _sched_ignores_not_ready(stack: ExitStack) -> None:
    from refmodel.controllers import scheduler as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def static_reason(pod_spec: Any, node: Any) -> str:
            r: str = orig(pod_spec, node)
            return "" if r == "node(s) were not ready" or "untolerated taint {node.kubernetes.io/unreachable" in r \
                else r
        return static_reason
    _wrap(stack, m, "_static_reason", make)


# ---- garbage collector, node lifecycle, namespaces ----------------------------------------------
def _gc_leaves_orphans(stack: ExitStack) -> None:
    from refmodel.controllers import garbage_collector as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def attempt(state: Any, obj: Any) -> Any:
            solid, dangling, waiting = m.classify_references(state, obj)
            if not solid and dangling and not waiting:
                return state  # background deletion: dependents of a vanished owner are left behind
            return orig(state, obj)
        return attempt
    _wrap(stack, m, "_attempt_to_delete", make)


def _gc_orphan_deletes(stack: ExitStack) -> None:
    from refmodel import apiserver
    from refmodel.controllers import garbage_collector as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def orphan(state: Any, owner: Any) -> Any:
            for ref in state.dependents(owner["metadata"]["uid"]):
                state = apiserver.delete(state, ref[0], ref[1], ref[2]).state  # deletes instead of orphaning
            return orig(state, owner)
        return orphan
    _wrap(stack, m, "_orphan_dependents", make)


def _gc_foreground_stuck(stack: ExitStack) -> None:
    from refmodel.controllers import garbage_collector as m

    def process(state: Any, owner: Any) -> Any:
        for dep_ref in state.dependents(owner["metadata"]["uid"]):
            dep = state.get_ref(dep_ref)
            if dep is not None and not dep["metadata"].get("deletionTimestamp"):
                state = state.enqueue(m.NAME, m._ref_key(dep_ref))
        return state  # never removes the foregroundDeletion finalizer
    _set(stack, m, "_process_deleting_dependents", process)


def _node_never_evicts(stack: ExitStack) -> None:
    from refmodel.controllers import nodelifecycle as m

    _set(stack, m, "_evict", lambda state, node: state)


def _namespace_keeps_pods(stack: ExitStack) -> None:
    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def sync(state: Any, name: str) -> Any:
            ns = state.get("Namespace", "", name)
            if ns is not None and ns["metadata"].get("deletionTimestamp") and state.count("Pod", name):
                return state  # waits for pods it never deletes
            return orig(state, name)
        return sync
    _controller(stack, "namespace", make)


# ---- API server -----------------------------------------------------------------------------------
def _api_rv_not_bumped_for_status(stack: ExitStack) -> None:
    from refmodel import apiserver as m
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def stamp(rv: int, obj: Any, md_changes: dict[str, Any], **changes: Any) -> Any:
            status_only = not md_changes and obj.get("kind") == "ReplicaSet"
            old_rv = obj["metadata"].get("resourceVersion")
            new = orig(rv, obj, md_changes, **changes)
            if status_only and old_rv is not None:  # a status write keeps the old resourceVersion
                new = with_(new, metadata=with_(new["metadata"], resourceVersion=old_rv))
            return new
        return stamp
    _wrap(stack, m, "_stamp", make)


def _api_generation_on_status(stack: ExitStack) -> None:
    from refmodel import apiserver as m
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def update_status(state: Any, new: Any) -> Any:
            r = orig(state, new)
            obj = r.obj
            if r.ok and obj is not None and obj.get("kind") == "ReplicaSet" and obj is not new and \
                    state.get("ReplicaSet", obj["metadata"]["namespace"], obj["metadata"]["name"]) is not obj:
                bumped = with_(obj, metadata=with_(obj["metadata"], generation=obj["metadata"].get("generation", 1) + 1))
                return m.controller_update(r.state, bumped, old=obj)  # a status write bumps generation
            return r
        return update_status
    _wrap(stack, m, "update_status", make)


def _api_uid_reuse(stack: ExitStack) -> None:
    from refmodel import apiserver as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def new_uid(n: int) -> str:
            if n > 20:  # hands out the uids of the cluster's first objects again
                return orig((n - 1) % 8 + 1)  # type: ignore[no-any-return]
            return orig(n)  # type: ignore[no-any-return]
        return new_uid
    _wrap(stack, m, "_new_uid", make)


def _api_negative_scale(stack: ExitStack) -> None:
    from refmodel import apiserver, core
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def scale(state: Any, kind: str, namespace: str, name: str, replicas: int) -> Any:
            obj = state.get(kind, namespace or "default", name)
            if obj is not None and isinstance(replicas, int) and replicas < 0:
                r = apiserver.controller_update(state, with_(obj, spec=with_(obj["spec"], replicas=0)), old=obj)
                return apiserver.WriteResult(r.state, None, orig(state, kind, namespace, name, replicas).rejection)
            return orig(state, kind, namespace, name, replicas)
        return scale
    _wrap(stack, core, "scale", make)


def _api_undelete(stack: ExitStack) -> None:
    from refmodel import apiserver as m
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def delete(state: Any, kind: str, namespace: str, name: str, propagation: str | None = None,
                   grace_seconds: int | None = None) -> Any:
            obj = state.get(kind, (namespace or "default") if kind != "Namespace" else "", name)
            if obj is not None and obj["metadata"].get("deletionTimestamp") and kind == "Pod" and propagation in (
                    None, "Background"):
                md = with_(obj["metadata"], deletionTimestamp=None, deletionGracePeriodSeconds=None)
                return m.controller_update(state, with_(obj, metadata=md), old=obj)
            return orig(state, kind, namespace, name, propagation, grace_seconds)
        return delete
    _wrap(stack, m, "delete", make)


# ---- kubelet ----------------------------------------------------------------------------------------
def _kubelet_probe_never_ready(stack: ExitStack) -> None:
    from refmodel.controllers import kubelet as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def probe_ready(state: Any, pod: Any, c: Any, started: int) -> Any:
            if c.get("readinessProbe"):
                return False, None  # a probed container never turns ready
            return orig(state, pod, c, started)
        return probe_ready
    _wrap(stack, m, "_probe_ready", make)


# ---- Deployment controller --------------------------------------------------------------------------
def _dep_surge_rounded_down(stack: ExitStack) -> None:
    from refmodel.controllers import deployment_util as du
    from refmodel.intstr import get_scaled_value_from_int_or_percent as scaled

    def resolve_fenceposts(max_surge_v: Any, max_unavailable_v: Any, desired: int) -> tuple[int, int]:
        surge = scaled(0 if max_surge_v is None else max_surge_v, desired, False)  # down instead of up
        unavailable = scaled(0 if max_unavailable_v is None else max_unavailable_v, desired, False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        return surge, unavailable
    _set(stack, du, "resolve_fenceposts", resolve_fenceposts)


def _dep_unavailable_clamped_wrong(stack: ExitStack) -> None:
    from refmodel.controllers import deployment_util as du

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def max_unavailable(d: Any) -> int:
            v: int = orig(d)
            return min(v + 1, du.spec_replicas(d))  # clamps one too high
        return max_unavailable
    _wrap(stack, du, "max_unavailable", make)


def _dep_kills_old_first(stack: ExitStack) -> None:
    from refmodel.controllers import deployment as m
    from refmodel.controllers import deployment_util as du

    def reconcile_old(state: Any, all_rss: Any, old_rss: Any, new_rs: Any, d: Any) -> Any:
        scaled = False
        for rs in old_rss:  # scale every old RS to zero at once, available or not
            if du.spec_replicas(rs) > 0:
                state, s, _ = m.scale_replica_set_and_record_event(state, rs, 0, d)
                scaled = scaled or s
        return state, scaled
    _set(stack, m, "reconcile_old_replica_sets", reconcile_old)


def _dep_surge_unbounded(stack: ExitStack) -> None:
    from refmodel.controllers import deployment_util as du

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def new_rs_new_replicas(d: Any, all_rss: Any, new_rs: Any) -> int:
            return du.spec_replicas(d)  # the new RS jumps to full size regardless of maxSurge
        return new_rs_new_replicas
    _wrap(stack, du, "new_rs_new_replicas", make)


def _dep_undo_wrong_revision(stack: ExitStack) -> None:
    from refmodel.controllers import deployment as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def deployment_revision(rss: Any, to_revision: int) -> Any:
            if to_revision > 1:
                return orig(rss, to_revision - 1)  # off by one
            return orig(rss, to_revision)
        return deployment_revision
    _wrap(stack, m, "_deployment_revision", make)


def _dep_history_never_cleaned(stack: ExitStack) -> None:
    from refmodel.controllers import deployment as m

    _set(stack, m, "cleanup_deployment", lambda state, old_rss, d: state)


def _dep_pause_ignored(stack: ExitStack) -> None:
    from refmodel.controllers import deployment as m
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def check_paused(state: Any, d: Any) -> Any:
            state, d = orig(state, d)
            return state, with_(d, spec=with_(d["spec"], paused=None))  # behaves as if never paused
        return check_paused
    _wrap(stack, m, "check_paused_conditions", make)


def _dep_revision_reused(stack: ExitStack) -> None:
    from refmodel.controllers import deployment_util as du

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def max_revision(all_rss: Any) -> int:
            return max(int(orig(all_rss)) - 1, 0)  # the next revision repeats the current one
        return max_revision
    _wrap(stack, du, "max_revision", make)


def _dep_status_stale(stack: ExitStack) -> None:
    from refmodel.controllers import deployment as m
    from refmodel.frozen import with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def calculate_status(all_rss: Any, new_rs: Any, d: Any, now: str) -> Any:
            status = orig(all_rss, new_rs, d, now)
            return with_(status, availableReplicas=status.get("availableReplicas", 0) + 1)
        return calculate_status
    _wrap(stack, m, "calculate_status", make)


_DEP = "refmodel.controllers.deployment_util.resolve_fenceposts"

# ---- settling, time and validation -------------------------------------------------------------
def _rs_never_settles(stack: ExitStack) -> None:
    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def sync(state: Any, key: str) -> Any:
            state = orig(state, key)
            return state.add_timer(state.now + 3600, "replicaset", key)  # an essential re-queue, forever
        return sync
    _controller(stack, "replicaset", make)


def _rs_writes_when_idle(stack: ExitStack) -> None:
    from refmodel import apiserver
    from refmodel.controllers import split_key
    from refmodel.frozen import FrozenDict, with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def sync(state: Any, key: str) -> Any:
            state = orig(state, key)
            ns, name = split_key(key)
            rs = state.get("ReplicaSet", ns, name)
            if rs is None:
                return state
            ann = FrozenDict({**(rs["metadata"].get("annotations") or {}), "mutant/last-sync": str(state.now)})
            state = apiserver.controller_update(state, with_(rs, metadata=with_(rs["metadata"], annotations=ann)),
                                                old=rs).state
            return state.add_timer(state.now + 600, "replicaset", key, essential=False)  # a quiet retry
        return sync
    _controller(stack, "replicaset", make)


def _validation_ignores_selector(stack: ExitStack) -> None:
    from refmodel.resources import REGISTRY

    for kind in ("Deployment", "ReplicaSet"):
        info = REGISTRY[kind]

        def validate(obj: Any, _orig: Callable[..., Any] = info.validate) -> Any:
            return [e for e in _orig(obj) if "selector" not in e.field and "selector" not in e.detail]
        REGISTRY[kind] = attrs.evolve(info, validate=validate)
        stack.callback(REGISTRY.__setitem__, kind, info)


def _dep_never_rolls_out(stack: ExitStack) -> None:
    from refmodel.controllers import deployment_util as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def find_new_replica_set(d: Any, rs_list: Any) -> Any:
            rss = list(rs_list)
            return orig(d, rss) or (m.sort_by_creation(rss)[0] if rss else None)  # the oldest RS stays "new"
        return find_new_replica_set
    _wrap(stack, m, "find_new_replica_set", make)


def _dep_never_scales_old_down(stack: ExitStack) -> None:
    from refmodel.controllers import deployment as m

    def reconcile_old_replica_sets(state: Any, *args: Any, **kw: Any) -> Any:
        return state, False
    _set(stack, m, "reconcile_old_replica_sets", reconcile_old_replica_sets)


def _sched_binds_to_ghost(stack: ExitStack) -> None:
    from refmodel.controllers import scheduler as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def bound(state: Any, pod: Any, node: str) -> Any:
            return orig(state, pod, node + "-gone")
        return bound
    _wrap(stack, m, "_bound", make)


def _sched_skips_pods_with_requests(stack: ExitStack) -> None:
    from refmodel.controllers import scheduler as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def feasible(node_map: Any, spec: Any) -> Any:
            if any((c.get("resources") or {}).get("requests") for c in spec.get("containers") or ()):
                return []
            return orig(node_map, spec)
        return feasible
    _wrap(stack, m, "_feasible_nodes", make)


MUTANTS: tuple[Mutant, ...] = (
    Mutant("rs-one-pod-short", "ReplicaSet never creates its last missing pod", _rs_one_short, "replicaset",
           ("after settle, every ReplicaSet not being deleted has exactly spec.replicas active pods",)),
    Mutant("rs-status-counts-terminating", "ReplicaSet status.replicas counts terminating pods",
           _rs_counts_terminating, "nodes",
           ("after settle, ReplicaSet status counts its active pods and observedGeneration equals generation",)),
    Mutant("rs-observed-generation-stuck", "ReplicaSet status.observedGeneration stays at 1",
           _rs_stale_observed_generation, "replicaset",
           ("after settle, ReplicaSet status counts its active pods and observedGeneration equals generation",)),
    Mutant("rs-never-adopts", "ReplicaSet never adopts matching orphan pods", _rs_never_adopts, "replicaset",
           ("after settle, a ReplicaSet's pods match its selector and no matching orphan is left",)),
    Mutant("rs-steals-pods", "ReplicaSet claims pods already controlled by another ReplicaSet", _rs_steals_pods,
           "replicaset", ("no object has more than one controller owner reference",)),
    Mutant("sched-ignores-cordon", "scheduler binds pods to cordoned nodes", _sched_ignores_cordon, "nodes",
           ("a pod is bound only to a Ready, schedulable node where it fits",)),
    Mutant("sched-ignores-cpu", "scheduler ignores CPU requests", _sched_ignores_resources, "nodes",
           ("the requests of the pods on a node fit within its allocatable",
            "a pod is bound only to a Ready, schedulable node where it fits")),
    Mutant("sched-ignores-not-ready", "scheduler binds pods to failed (not Ready) nodes", _sched_ignores_not_ready,
           "nodes", ("a pod is bound only to a Ready, schedulable node where it fits",)),
    Mutant("gc-leaves-orphans", "background deletion leaves dependents with a dangling owner", _gc_leaves_orphans,
           "deployment", ("after settle, every owner reference resolves to a live owner "
                          "(no orphans after background deletion)",)),
    Mutant("gc-orphan-deletes", "Orphan propagation deletes the dependents", _gc_orphan_deletes, "deployment",
           ("after an Orphan deletion settles, the dependents are kept without the owner reference",
            "the garbage collector deletes an object only when none of its owners is alive")),
    Mutant("gc-foreground-stuck", "Foreground deletion never releases its owner", _gc_foreground_stuck,
           "replicaset", ("after settle, an object the run deleted is gone unless a pod on a failed node holds it",)),
    Mutant("node-never-evicts", "pods on a failed node are never evicted", _node_never_evicts, "nodes",
           ("after settle, no active pod is left on a node that is not Ready",
            "after settle, the pods a ReplicaSet lost on a failed node are replaced")),
    # 600: with per-pod kubelet work keys the derandomized search takes another path (the reconcile rule
    # picks among other dirty items); the example that killed it within 400 still kills it, and the search
    # now reaches a kill within 600
    Mutant("namespace-keeps-pods", "a deleted namespace never deletes its pods", _namespace_keeps_pods,
           "replicaset", ("after settle, an object the run deleted is gone unless a pod on a failed node holds it",),
           examples=600),
    Mutant("api-status-keeps-rv", "a ReplicaSet status write keeps the old resourceVersion",
           _api_rv_not_bumped_for_status, "replicaset", ("resourceVersion only grows",)),
    Mutant("api-generation-on-status", "a ReplicaSet status write bumps its generation", _api_generation_on_status,
           "replicaset", ("generation changes if and only if the spec does",)),
    Mutant("api-uid-reuse", "uids are handed out again after 20 objects", _api_uid_reuse, "replicaset",
           ("names are unique per kind and namespace, and uids are unique",)),
    Mutant("api-rejected-scale-writes", "a rejected negative scale still writes replicas: 0", _api_negative_scale,
           "replicaset", ("a rejected write changes nothing",)),
    Mutant("api-second-delete-undeletes", "deleting a terminating pod again clears its deletionTimestamp",
           _api_undelete, "nodes", ("a deletionTimestamp, once set, is never cleared",)),
    Mutant("kubelet-probe-never-ready", "containers with a readiness probe never become ready",
           _kubelet_probe_never_ready, "replicaset",
           ("after settle, a pod on a Ready node with nothing holding it back is Running and Ready",)),
    Mutant("dep-surge-rounded-down", "maxSurge percentages are rounded down", _dep_surge_rounded_down,
           "rollout", ("during a rollout with no fault active, available pods never drop below replicas - "
                          "maxUnavailable",), needs=_DEP),
    Mutant("dep-unavailable-clamped-wrong", "maxUnavailable is clamped one too high", _dep_unavailable_clamped_wrong,
           "rollout", ("during a rollout with no fault active, available pods never drop below replicas - "
                          "maxUnavailable",), needs=_DEP),
    Mutant("dep-old-killed-first", "old pods are scaled down before new ones are available", _dep_kills_old_first,
           "rollout", ("during a rollout with no fault active, available pods never drop below replicas - "
                          "maxUnavailable",), needs=_DEP),
    Mutant("dep-surge-unbounded", "the new ReplicaSet jumps to full size, ignoring maxSurge", _dep_surge_unbounded,
           "rollout", ("whenever a Deployment's ReplicaSets grow, they stay within replicas + maxSurge",),
           needs=_DEP),
    Mutant("dep-undo-wrong-revision", "rollout undo --to-revision=N restores revision N-1", _dep_undo_wrong_revision,
           "rollout", ("rollout undo restores the template of the chosen revision",), needs=_DEP),
    Mutant("dep-history-never-cleaned", "old ReplicaSets beyond revisionHistoryLimit are never deleted",
           _dep_history_never_cleaned, "rollout",
           ("after a rollout completes, at most revisionHistoryLimit old ReplicaSets are kept",), needs=_DEP),
    Mutant("dep-pause-ignored", "a paused Deployment still rolls out", _dep_pause_ignored, "deployment",
           ("a paused Deployment starts no new rollout",), needs=_DEP),
    Mutant("dep-revision-reused", "a new ReplicaSet reuses the current revision number", _dep_revision_reused,
           "rollout", ("a Deployment's revision numbers only grow and a new revision exceeds all others",
                          "no two ReplicaSets of a Deployment carry the same revision"), needs=_DEP),
    Mutant("dep-status-overcounts", "Deployment status.availableReplicas counts one too many", _dep_status_stale,
           "deployment", ("after settle, Deployment status and observedGeneration agree with its ReplicaSets",),
           needs=_DEP),
    Mutant("rs-never-settles", "a ReplicaSet re-queues itself forever", _rs_never_settles, "replicaset",
           ("the cluster settles: controllers stop writing and essential timers run out",)),
    Mutant("rs-writes-when-idle", "a ReplicaSet keeps writing on quiet retries after settle", _rs_writes_when_idle,
           "replicaset", ("after settle, an hour with no requests changes nothing but container back-off",)),
    Mutant("validation-ignores-selector", "apps/v1 selector rules are not validated",
           _validation_ignores_selector, "mixed",
           ("a manifest that breaks a validation rule is rejected, naming the field",)),
    Mutant("dep-never-rolls-out", "a template change never gets a ReplicaSet of its own", _dep_never_rolls_out,
           "deployment", ("after settle, an unpaused Deployment has a ReplicaSet with its pod template",)),
    Mutant("dep-old-never-scaled-down", "old ReplicaSets are never scaled down", _dep_never_scales_old_down,
           "deployment",
           ("after settle, a Deployment whose new ReplicaSet is saturated has no old ReplicaSet with replicas",
            "after settle with no fault active, a Deployment whose pods all fit completes its rollout")),
    Mutant("sched-binds-to-ghost", "the scheduler binds pods to a node that does not exist", _sched_binds_to_ghost,
           "nodes", ("every bound pod is bound to a node that exists",)),
    Mutant("sched-skips-requests", "the scheduler never places pods that request resources",
           _sched_skips_pods_with_requests, "nodes", ("after settle, a pending pod fits on no Ready, schedulable node",)),
)

BY_NAME: dict[str, Mutant] = {m.name: m for m in MUTANTS}


def available(mutant: Mutant) -> bool:
    """Whether the model has what the mutant patches (a controller may not be written yet)."""
    if not mutant.needs:
        return True
    import importlib

    module, _, attr = mutant.needs.rpartition(".")
    try:
        return hasattr(importlib.import_module(module), attr)
    except ImportError:
        return False


@contextmanager
def applied(mutant: Mutant) -> Iterator[None]:
    with ExitStack() as stack:
        mutant.patch(stack)
        yield


def kill_report(name: str, examples: int | None = None, steps: int = 30) -> dict[str, Any]:
    """Run one mutant's machine, derandomized, until the first failure: what ``tests/test_mutants.py``
    checks, in a process of its own (``python -m conformance.mutants NAME``) so that nothing a test run
    imported or cached before can change which examples Hypothesis tries."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from .adapters import load
    from .harness import Stats, Violation
    from .machines import factory

    mutant = next(m for m in MUTANTS if m.name == name)
    budget = settings(max_examples=examples or mutant.examples, stateful_step_count=steps, derandomize=True,
                      database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
    with applied(mutant):
        try:
            run_state_machine_as_test(factory(mutant.machine, load("model"), Stats()), settings=budget)
        except Violation as exc:
            return {"mutant": name, "killed": True, "invariant": exc.failure.invariant}
    return {"mutant": name, "killed": False, "invariant": None}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(kill_report(sys.argv[1])))
