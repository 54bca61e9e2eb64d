"""Seeded bugs in the reference model: the suite's self-test (Hypothesis's "bad machines must fail").

Each mutant monkeypatches one function of ``refmodel`` with a plausible bug. ``kubeoracle conformance
--self-test`` (and ``tests/test_mutants.py``) runs the named machine against the mutated model with the
default budget and records which invariant caught it: the kill matrix. A mutant that survives means an
invariant is missing or too weak. Patches are applied in a context and always undone.

Each mutant may have a *witness* (``conformance/witnesses/NAME.yaml``): the requests of one example that
killed it, as an event script. The self-test and the suite's test replay it before any random search
(:func:`replay_witness`, which also checks that the unmutated model passes it), so a kill does not hang
on what a derandomized search happens to draw after a rule is renamed or added; the search still runs
for a mutant without a witness, or whose witness stopped killing it (a model change can do that:
re-record with ``python -m conformance.mutants --record NAME``, or write the script by hand).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
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
    # the self-test columns where the bug is observable at all, and why not elsewhere: DNS answers and routes
    # are not objects, so a system behind the protocol (the external column) cannot show them
    columns: tuple[str, ...] = ("in-model", "external")
    not_applicable: str = ""


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
    from refmodel.controllers import replicaset as m
    from refmodel.controllers import update
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
                    state = update(state, "replicaset", new)[0]
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
    from refmodel.controllers import delete
    from refmodel.controllers import garbage_collector as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def orphan(state: Any, owner: Any) -> Any:
            for ref in state.dependents(owner["metadata"]["uid"]):
                state = delete(state, m.NAME, ref[0], ref[1], ref[2])[0]  # deletes instead of orphaning
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
        def update_status(txn: Any, request: Any, body: Any, info: Any = None) -> Any:
            obj = orig(txn, request, body, info)
            if isinstance(obj, dict) and obj.get("kind") == "ReplicaSet" and txn.writes and txn.writes[-1][2] is obj:
                bumped = with_(obj, metadata=with_(obj["metadata"], generation=obj["metadata"].get("generation", 1) + 1))
                txn.put(txn.writes[-1][0], obj, bumped)  # a status write bumps generation
                return bumped
            return obj
        return update_status
    _wrap(stack, m, "_update_status", make)


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
    from refmodel import kubectl

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def scale(state: Any, kind: str, namespace: str, name: str, replicas: int) -> Any:
            if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas < 0:
                _, rejected, _ = orig(state, kind, namespace, name, replicas)
                scaled, _, changes = orig(state, kind, namespace, name, 0)  # stores 0, reports the rejection
                return scaled, rejected, changes
            return orig(state, kind, namespace, name, replicas)
        return scale
    _wrap(stack, kubectl, "scale", make)


def _api_undelete(stack: ExitStack) -> None:
    from refmodel import apiserver as m
    from refmodel.frozen import with_
    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def delete(txn: Any, request: Any, body: Any) -> Any:
            if body is None and request.kind == "Pod" and request.controller != "kubelet":
                ref = ("Pod", request.namespace or "default", request.name)
                obj = txn.get(*ref)
                if obj is not None and obj["metadata"].get("deletionTimestamp") and request.propagation in (
                        None, "Background"):
                    md = with_(obj["metadata"], deletionTimestamp=None, deletionGracePeriodSeconds=None)
                    new = m._stamp(txn.next_rv(), with_(obj, metadata=md), {})  # a second delete revives it
                    txn.put(ref, obj, new)
                    return new
            return orig(txn, request, body)
        return delete
    _wrap(stack, m, "_delete", make)


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
    from refmodel import kubectl as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def deployment_revision(rss: Any, to_revision: int) -> Any:
            if to_revision > 1:
                return orig(rss, to_revision - 1)  # off by one
            return orig(rss, to_revision)
        return deployment_revision
    _wrap(stack, m, "deployment_revision", make)


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
    from refmodel.controllers import split_key, update
    from refmodel.frozen import FrozenDict, with_

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def sync(state: Any, key: str) -> Any:
            state = orig(state, key)
            ns, name = split_key(key)
            rs = state.get("ReplicaSet", ns, name)
            if rs is None:
                return state
            ann = FrozenDict({**(rs["metadata"].get("annotations") or {}), "mutant/last-sync": str(state.now)})
            state = update(state, "replicaset", with_(rs, metadata=with_(rs["metadata"], annotations=ann)))[0]
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
        def binding(pod: Any, node: str) -> Any:
            return orig(pod, node + "-gone")
        return binding
    _wrap(stack, m, "_binding", make)


def _sched_skips_pods_with_requests(stack: ExitStack) -> None:
    from refmodel.controllers import scheduler as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def feasible(node_map: Any, spec: Any) -> Any:
            if any((c.get("resources") or {}).get("requests") for c in spec.get("containers") or ()):
                return []
            return orig(node_map, spec)
        return feasible
    _wrap(stack, m, "_feasible_nodes", make)


# ---- direct effects and timing (conformance/invariants/direct.py, timing.py) ----------------------
def _wrap_transition(stack: ExitStack, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Change what one kind of request does, at the model's entry point (``refmodel.transition``)."""
    import refmodel
    from refmodel import core

    wrapped = make(core.transition)
    _set(stack, core, "transition", wrapped)
    _set(stack, refmodel, "transition", wrapped)


def _scale_one_higher(stack: ExitStack) -> None:
    from refmodel import kubectl

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def scale(state: Any, kind: str, namespace: str, name: str, replicas: int) -> Any:
            if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas >= 0:
                replicas += 1  # the scale lands one replica higher than asked
            return orig(state, kind, namespace, name, replicas)
        return scale
    _wrap(stack, kubectl, "scale", make)


def _apply_keeps_old_image(stack: ExitStack) -> None:
    from refmodel import events as ev
    from refmodel.frozen import thaw

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def transition(state: Any, event: Any) -> Any:
            if isinstance(event, ev.Apply) and event.obj.get("kind") == "Deployment":
                md = event.obj.get("metadata") or {}
                live = state.get("Deployment", md.get("namespace") or "default", md.get("name", ""))
                if live is not None:  # a template update keeps the images the Deployment had
                    images = {c["name"]: c.get("image") for c in live["spec"]["template"]["spec"]["containers"]}
                    obj = thaw(event.obj)
                    for c in obj["spec"]["template"]["spec"]["containers"]:
                        c["image"] = images.get(c["name"], c.get("image"))
                    event = ev.Apply(obj)
            return orig(state, event)
        return transition
    _wrap_transition(stack, make)


def _deletes_always_orphan(stack: ExitStack) -> None:
    from refmodel import events as ev

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def transition(state: Any, event: Any) -> Any:
            if isinstance(event, ev.Delete) and event.kind in ("Deployment", "ReplicaSet"):
                event = attrs.evolve(event, propagation="Orphan")  # whatever the request said
            return orig(state, event)
        return transition
    _wrap_transition(stack, make)


def _delete_ignored(stack: ExitStack) -> None:
    from refmodel import events as ev
    from refmodel.core import StepResult

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def transition(state: Any, event: Any) -> Any:
            if isinstance(event, ev.Delete) and event.kind == "Pod" and event.propagation == "Foreground":
                r = orig(state, event)
                return r if not r.ok else StepResult(state, None, r.obj)  # answers ok, deletes nothing
            return orig(state, event)
        return transition
    _wrap_transition(stack, make)


def _undo_to_first_revision(stack: ExitStack) -> None:
    from refmodel import kubectl as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def deployment_revision(rss: Any, to_revision: int) -> Any:
            return orig(rss, to_revision or 1)  # "the previous revision" is always revision 1
        return deployment_revision
    _wrap(stack, m, "deployment_revision", make)


def _evicts_early(stack: ExitStack) -> None:
    from refmodel.controllers import nodelifecycle as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def min_toleration_seconds(tolerations: Any, taint: Any) -> Any:
            secs = orig(tolerations, taint)
            return secs // 2 if secs is not None and secs > 0 else secs  # half the toleration
        return min_toleration_seconds
    _wrap(stack, m, "_min_toleration_seconds", make)


def _available_ignores_min_ready(stack: ExitStack) -> None:
    from refmodel.controllers import replicaset as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def is_pod_available(pod: Any, min_ready_seconds: int, now_epoch: int) -> bool:
            return bool(orig(pod, 0, now_epoch))  # Ready counts as available at once
        return is_pod_available
    _wrap(stack, m, "is_pod_available", make)


def _backoff_not_doubling(stack: ExitStack) -> None:
    from refmodel.controllers import kubelet as m
    from refmodel.frozen import with_

    def crash_backoff_next(state: Any, pod: Any, container: str, now: int) -> Any:
        table = state.env.get("crash_backoff") or {}
        key = m._crash_key(pod, container)  # every restart waits the initial 10 s
        return m._set_env(state, "crash_backoff", with_(table, **{key: (m.INITIAL_BACKOFF, now)}))
    _set(stack, m, "_crash_backoff_next", crash_backoff_next)


def _backoff_not_capped(stack: ExitStack) -> None:
    from refmodel.controllers import kubelet as m
    from refmodel.frozen import with_

    def crash_backoff_next(state: Any, pod: Any, container: str, now: int) -> Any:
        table = state.env.get("crash_backoff") or {}
        key = m._crash_key(pod, container)
        entry = table.get(key)
        if entry is None or now - entry[1] > 2 * state.config.max_backoff_seconds:
            backoff = m.INITIAL_BACKOFF
        else:
            backoff = entry[0] * 2  # doubles past the 300 s cap
        return m._set_env(state, "crash_backoff", with_(table, **{key: (backoff, now)}))
    _set(stack, m, "_crash_backoff_next", crash_backoff_next)


def _deadline_early(stack: ExitStack) -> None:
    from refmodel.controllers import deployment as m
    from refmodel.controllers import deployment_util as du
    from refmodel.frozen import with_

    def halved(d: Any) -> Any:
        pds = d["spec"].get("progressDeadlineSeconds")
        if pds is None or pds == du.MAX_INT32:
            return d
        return with_(d, spec=with_(d["spec"], progressDeadlineSeconds=pds // 2))  # half the deadline

    def make_timed_out(orig: Callable[..., Any]) -> Callable[..., Any]:
        def deployment_timed_out(d: Any, new_status: Any, now_epoch: int) -> bool:
            return bool(orig(halved(d), new_status, now_epoch))
        return deployment_timed_out

    def make_requeue(orig: Callable[..., Any]) -> Callable[..., Any]:
        def requeue_stuck_deployment(state: Any, d: Any, new_status: Any) -> Any:
            return orig(state, halved(d), new_status)
        return requeue_stuck_deployment
    _wrap(stack, du, "deployment_timed_out", make_timed_out)
    _wrap(stack, m, "requeue_stuck_deployment", make_requeue)


# ---- networking (issue 10): allocators, endpoints controllers, DNS, kube-proxy --------------------------
_NO_DATAPLANE = ("DNS answers and kube-proxy routes are not objects: a system behind the protocol shows them to "
                 "no one, and the dataplane invariants need the dataplane capability (only the built-in model)")


def _ep_other_namespaces(stack: ExitStack) -> None:
    from refmodel.controllers import endpoints, endpointslice

    def selected_pods(state: Any, svc: Any) -> Any:
        selector = svc["spec"].get("selector")
        if selector is None:
            return []
        return [p for p in state.iter_kind("Pod")
                if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]
    _set(stack, endpoints, "selected_pods", selected_pods)
    _set(stack, endpointslice, "selected_pods", selected_pods)


def _slices_always_ready(stack: ExitStack) -> None:
    from refmodel.controllers import endpointslice

    _set(stack, endpointslice, "is_pod_ready", lambda pod: True)


def _dns_answers_not_ready(stack: ExitStack) -> None:
    from refmodel import dns

    _set(stack, dns, "answers_for", lambda conditions: True)


def _proxy_routes_not_ready(stack: ExitStack) -> None:
    from refmodel import proxy

    _set(stack, proxy, "is_ready_endpoint", lambda conditions: True)


def _alloc_node_port_ignores_holders(stack: ExitStack) -> None:
    from refmodel import allocator

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def next_free(size: int, offset: int, taken: Callable[[int], bool]) -> int | None:
            if size == 2768:  # the node-port range: the first dynamic port, whoever holds it
                return offset
            return orig(size, offset, taken)
        return next_free
    _wrap(stack, allocator, "_next_free", make)


def _alloc_never_frees(stack: ExitStack) -> None:
    from refmodel import state as st

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def put_allocations(self: Any, kind: str, ns: str, name: str, old: Any, new: Any) -> None:
            holds = st._holds_of(kind)
            kept = holds(old) if old is not None else frozenset()
            now = holds(new) if new is not None else frozenset()
            table = self._flat("allocations")
            for value in now - kept:
                table[value] = (ns, name)  # what the Service no longer carries stays held
        return put_allocations
    _wrap(stack, st._Txn, "_put_allocations", make)



# ---- storage and configuration ----------------------------------------------------------------
def _pvc_shrink_admitted(stack: ExitStack) -> None:
    from refmodel.resources import REGISTRY

    info = REGISTRY["PersistentVolumeClaim"]

    def validate_update(old: Any, new: Any) -> Any:
        return [e for e in info.validate_update(old, new) if e.field != "spec.resources.requests.storage"]
    REGISTRY["PersistentVolumeClaim"] = attrs.evolve(info, validate_update=validate_update)
    stack.callback(REGISTRY.__setitem__, "PersistentVolumeClaim", info)


def _claim_unbound_when_idle(stack: ExitStack) -> None:
    from refmodel.controllers import persistentvolume as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def sync_bound_claim(state: Any, claim: Any) -> Any:
            if m._phase(claim) == "Bound" and not m._claim_in_use(state, claim):
                return m._write_status(state, claim, phase="Pending")[0]  # an unused claim is "freed"
            return orig(state, claim)
        return sync_bound_claim
    _wrap(stack, m, "_sync_bound_claim", make)


def _volume_data_overwritten(stack: ExitStack) -> None:
    from refmodel import volumes as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def start(state: Any, pod: Any) -> Any:
            before = state.env.get(m._DATA) or {}
            after_state = orig(state, pod)
            data = after_state.env.get(m._DATA)
            for name, tokens in (data or {}).items():
                if tokens != before.get(name):
                    data = data.set(name, tokens[-1:])  # the new pod's write replaces the volume's content
            return m._set(after_state, m._DATA, data) if data is not None else after_state
        return start
    _wrap(stack, m, "_start", make)


def _rwop_ignored(stack: ExitStack) -> None:
    from refmodel import volumebinding as m

    _set(stack, m, "_rwop_conflict", lambda state, pod, claim_name: False)


def _env_follows_configmap(stack: ExitStack) -> None:
    from refmodel import volumes as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def container_view(state: Any, namespace: str, pod: str, container: str) -> Any:
            view = orig(state, namespace, pod, container)
            obj = state.get("Pod", namespace, pod)
            if view is None or obj is None:
                return view
            c = next(x for x in obj["spec"]["containers"] if x["name"] == container)
            return {**view, "env": m.resolve_env(state, obj, c)[0]}  # the environment read live
        return container_view
    _wrap(stack, m, "container_view", make)


_MODEL_ONLY = ("volume data and container views are shown only by the model (capability container-view): the "
               "external column cannot see them")

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
           _api_undelete, "nodes", ("a deletionTimestamp, once set, is never cleared",), examples=1500),
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
                          "a Deployment that observed its spec has a new ReplicaSet whose revision exceeds every "
                          "old one's"), needs=_DEP),
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
           "rollout",
           ("after settle, a Deployment whose new ReplicaSet is saturated has no old ReplicaSet with replicas",
            "after settle with no fault active, a Deployment whose pods all fit completes its rollout")),
    Mutant("sched-binds-to-ghost", "the scheduler binds pods to a node that does not exist", _sched_binds_to_ghost,
           "nodes", ("every bound pod is bound to a node that exists",)),
    Mutant("sched-skips-requests", "the scheduler never places pods that request resources",
           _sched_skips_pods_with_requests, "nodes", ("after settle, a pending pod fits on no Ready, schedulable node",)),
    Mutant("scale-one-higher", "a scale lands one replica higher than asked", _scale_one_higher, "replicaset",
           ("after an accepted scale, spec.replicas is the number asked for",)),
    Mutant("apply-keeps-old-image", "re-applying a Deployment with a new image keeps the old one",
           _apply_keeps_old_image, "deployment",
           ("after an accepted apply, the object stores every field of its manifest (defaulted)",)),
    Mutant("deletes-always-orphan", "Background and Foreground deletes of owners orphan their dependents",
           _deletes_always_orphan, "replicaset",
           ("after settle, the dependents of an owner deleted in the background or foreground are gone",)),
    Mutant("delete-ignored", "a Foreground delete of a pod is answered ok and deletes nothing", _delete_ignored,
           "replicaset", ("after an accepted delete, the object is gone or marked for deletion",)),
    Mutant("evicts-early", "pods on a failed node are evicted after half their tolerationSeconds", _evicts_early,
           "nodes", ("a pod on a node with a NoExecute taint is evicted no earlier than its tolerationSeconds after "
                     "the taint",)),
    Mutant("available-ignores-min-ready", "a ReplicaSet counts Ready pods available before minReadySeconds",
           _available_ignores_min_ready, "deployment",
           ("a ReplicaSet counts a pod available no earlier than minReadySeconds after it became Ready",)),
    Mutant("backoff-not-doubling", "crash back-off stays at 10 s instead of doubling", _backoff_not_doubling,
           "replicaset", ("a crashed container restarts no earlier than its back-off (10 s, doubling, reset after "
                          "10 min)",)),
    Mutant("backoff-not-capped", "crash back-off keeps doubling past 5 minutes", _backoff_not_capped,
           "replicaset", ("a crash-looping container restarts once its back-off is over, and the back-off stops at "
                          "5 minutes",)),
    Mutant("deadline-early", "a Deployment times out after half its progressDeadlineSeconds", _deadline_early,
           "deployment", ("a Deployment reports ProgressDeadlineExceeded no earlier than progressDeadlineSeconds "
                          "after its last progress",), needs=_DEP),
    Mutant("undo-to-first-revision", "rollout undo without --to-revision goes to revision 1, not the previous one",
           _undo_to_first_revision, "rollout", ("rollout undo restores the template of the chosen revision",),
           needs=_DEP),
    # ---- networking (issue 10) ----
    Mutant("ep-other-namespaces", "the endpoints controllers list matching pods of every namespace",
           _ep_other_namespaces, "services",
           ("after settle, a Service's Endpoints list exactly its matching pods, the ready ones as ready",)),
    Mutant("slices-always-ready", "EndpointSlices mark every endpoint ready and serving", _slices_always_ready,
           "services", ("after settle, a Service's EndpointSlices agree with its Endpoints",)),
    Mutant("node-port-ignores-holders", "automatic node ports ignore the ports other Services hold",
           _alloc_node_port_ignores_holders, "services",
           ("no two Services share a cluster IP or a node port, and every allocated value is in its range",)),
    Mutant("alloc-never-frees", "cluster IPs and node ports stay held after their Service lets them go",
           _alloc_never_frees, "services",
           ("a cluster IP or node port no other Service holds is never refused as already allocated",)),
    Mutant("dns-answers-not-ready", "headless Service names resolve to endpoints that are not ready",
           _dns_answers_not_ready, "services",
           ("cluster DNS answers agree with the Services and their ready endpoints, from any namespace",),
           columns=("in-model",), not_applicable=_NO_DATAPLANE),
    Mutant("proxy-routes-not-ready", "kube-proxy sends traffic to endpoints that are not ready",
           _proxy_routes_not_ready, "services", ("kube-proxy sends a Service's traffic only to its ready endpoints",),
           columns=("in-model",), not_applicable=_NO_DATAPLANE),
)

# ---- StatefulSet controller (statefulset helper) -----------------------------------------------------
_SS = "refmodel.controllers.statefulset.sort_condemned"


def _sts_ordered_ignores_readiness(stack: ExitStack) -> None:
    from refmodel.controllers import statefulset as m

    def blocks(pod: Any, min_ready: int, now: int) -> bool:
        return m.is_terminating(pod) or not m.is_created(pod)  # waits for the pod to exist, not to be Ready
    _set(stack, m, "blocks_ordered_progress", blocks)


def _sts_scale_down_lowest_first(stack: ExitStack) -> None:
    from refmodel.controllers import statefulset as m

    def sort_condemned(condemned: list[Any]) -> None:
        condemned.sort(key=m.get_ordinal)  # ascending: the lowest condemned ordinal goes first
    _set(stack, m, "sort_condemned", sort_condemned)


def _sts_replaces_terminating(stack: ExitStack) -> None:
    from refmodel.controllers import send
    from refmodel.controllers import statefulset as m
    from refmodel.request import Request

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def process_replica(self: Any, replicas: list[Any], i: int) -> bool:
            pod = self.replica(i)
            if m.is_created(pod) and m.is_terminating(pod):  # does not wait for the old pod to be gone
                new = self.new_versioned_pod(m.get_ordinal(pod))
                new["metadata"]["name"] += "-next"
                self.state = send(self.state, Request("create", "Pod", new["metadata"]["namespace"], body=new,
                                                      controller=m.NAME))[0]
            out: bool = orig(self, replicas, i)
            return out
        return process_replica
    _wrap(stack, m._Sync, "process_replica", make)


def _sts_claims_deleted_on_scale_down(stack: ExitStack) -> None:
    from refmodel.controllers import delete
    from refmodel.controllers import statefulset as m

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def process_condemned(self: Any, condemned: list[Any], i: int, first_unhealthy: Any) -> bool:
            before = self.state
            out: bool = orig(self, condemned, i, first_unhealthy)
            pod = condemned[i]
            if self.state is not before and not m.is_terminating(pod):  # it deleted the pod: the claims go too
                for claim in list(m._claims_of(self.state, self.sts, m.get_ordinal(pod))):
                    self.state = delete(self.state, m.NAME, "PersistentVolumeClaim", claim["metadata"]["namespace"],
                                        claim["metadata"]["name"])[0]
            return out
        return process_condemned
    _wrap(stack, m._Sync, "process_condemned", make)


MUTANTS += (
    Mutant("sts-ordered-ignores-readiness", "OrderedReady creates the next pod once the previous one exists, "
           "before it is Running and Ready", _sts_ordered_ignores_readiness, "statefulset",
           ("under OrderedReady a StatefulSet creates pod n only while pods start..n-1 exist, Running and Ready, "
            "one pod per turn",), needs=_SS),
    Mutant("sts-scale-down-lowest-first", "OrderedReady scale-down removes the lowest condemned ordinal first",
           _sts_scale_down_lowest_first, "statefulset",
           ("under OrderedReady a StatefulSet scales down from the highest ordinal, one pod at a time",), needs=_SS),
    Mutant("sts-replaces-terminating", "a terminating StatefulSet pod gets its replacement before it is gone",
           _sts_replaces_terminating, "statefulset",
           ("a StatefulSet never has more than one pod per identity (ordinal)",), needs=_SS),
    Mutant("sts-claims-deleted-on-scale-down", "scale-down deletes the condemned pod's claims whatever the policy",
           _sts_claims_deleted_on_scale_down, "statefulset",
           ("a StatefulSet's template claims are never deleted under Retain, and otherwise only through the "
            "owner references its retention policy sets",), needs=_SS),
    Mutant("pvc-shrink-admitted", "a bound claim's storage request may shrink below its capacity",
           _pvc_shrink_admitted, "storage", ("a claim's requested size never shrinks",)),
    Mutant("claim-unbound-when-idle", "the binder marks a bound claim no pod uses Pending again",
           _claim_unbound_when_idle, "storage", ("a bound claim stays bound to the same volume",)),
    Mutant("volume-data-overwritten", "a pod that mounts a claim replaces the volume's data instead of adding to it",
           _volume_data_overwritten, "storage", ("no data token is lost while its volume exists",),
           columns=("in-model",), not_applicable=_MODEL_ONLY),
    Mutant("rwop-ignored", "the scheduler places a second pod on a ReadWriteOncePod claim",
           _rwop_ignored, "storage", ("one ReadWriteOncePod claim is used by at most one pod",)),
    Mutant("env-follows-configmap", "a container's environment follows ConfigMap updates",
           _env_follows_configmap, "storage", ("a ConfigMap update reaches volume views and never env views",),
           columns=("in-model",), not_applicable=_MODEL_ONLY),
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


# ---- witnesses: one event script per mutant, replayed before any random search ----------------------
WITNESSES = Path(__file__).with_name("witnesses")


def witness_script(mutant: Mutant) -> tuple[dict[str, Any], list[Any]] | None:
    """The mutant's witness script (``conformance/witnesses/NAME.yaml``: the requests of one example
    that killed it, recorded by ``python -m conformance.mutants --record NAME``) as ``(metadata, events)``,
    read by the script loader (scripts carry the requests the API must refuse, a scale to -1, as sent, and
    the field an invalid manifest's rejection must name), or None."""
    from .script import read_script

    path = WITNESSES / f"{mutant.name}.yaml"
    return read_script(str(path)) if path.exists() else None


def replay_witness(mutant: Mutant, column: str = "in-model", adapter: str = "model") -> str | None:
    """The invariant the mutant's witness fails in ``column``; None when it has no witness, the witness
    held, or the unmutated model fails the witness too (then it proves nothing).

    A witness is events, not Hypothesis choices: renaming a rule or an argument, or adding one, does
    not change what it sends, so a mutant it kills stays killed whatever the search draws."""
    from contextlib import nullcontext

    from .adapters import load
    from .script import replay_events
    from .selftest import external_spec

    script = witness_script(mutant)
    if script is None:
        return None
    meta, events = script

    def failures(spec: str, patched: bool) -> list[Any]:
        sut = load(spec)
        try:
            with applied(mutant) if patched else nullcontext():
                return replay_events(sut, events, expect_rejection=meta.get("expect_rejection")).failures
        finally:
            sut.close()

    external = column == "external"
    if failures(external_spec(None) if external else adapter, False):
        return None
    bad = failures(external_spec(mutant), False) if external else failures(adapter, True)
    return bad[0].invariant if bad else None


def kill_report(name: str, examples: int | None = None, steps: int = 30, column: str = "in-model",
                *, witness: bool = True) -> dict[str, Any]:
    """Run one mutant until the first failure: its witness script first (when it has one), then its
    machine, derandomized. What ``tests/test_mutants.py`` checks, in a process of its own (``python -m
    conformance.mutants NAME [COLUMN]``) so that nothing a test run imported or cached before can change
    which examples Hypothesis tries.

    ``column`` is ``in-model`` (the mutant patches this process's model, the built-in adapter runs it)
    or ``external`` (the mutant runs in a child process behind the protocol, see
    :mod:`conformance.adapters.process`, and this process's model, the oracle, stays unmutated).
    """
    mutant = BY_NAME[name]
    if witness:
        inv = replay_witness(mutant, column)
        if inv is not None:
            return {"mutant": name, "column": column, "killed": True, "invariant": inv, "by": "witness"}
    failure = _search(mutant, column, examples, steps)
    return {"mutant": name, "column": column, "killed": failure is not None,
            "invariant": None if failure is None else failure.invariant, "by": "search"}


def _search(mutant: Mutant, column: str, examples: int | None, steps: int) -> Any:
    """The first failure of the mutant's machine (derandomized, no shrinking), or None."""
    from contextlib import nullcontext

    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from .adapters import load
    from .harness import Stats, Violation
    from .machines import factory
    from .selftest import external_spec

    budget = settings(max_examples=examples or mutant.examples, stateful_step_count=steps, derandomize=True,
                      database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
    external = column == "external"
    adapter = load(external_spec(mutant) if external else "model")
    with nullcontext() if external else applied(mutant):
        try:
            run_state_machine_as_test(factory(mutant.machine, adapter, Stats()), settings=budget)
        except Violation as exc:
            return exc.failure
        finally:
            adapter.close()
    return None


def record_witness(name: str) -> str:
    """Search for the mutant in the model (its machine, derandomized), keep the killing example's requests
    as its witness script, and check that the witness kills it in both columns; a line saying what
    happened."""
    from .script import dump_script

    mutant = BY_NAME[name]
    failure = _search(mutant, "in-model", None, 30)
    if failure is None:
        return f"{name}: not found by the search, no witness written"
    path = WITNESSES / f"{name}.yaml"
    old = path.read_text() if path.exists() else None
    WITNESSES.mkdir(exist_ok=True)
    path.write_text(dump_script(failure, failure.events, machine=mutant.machine, adapter="model"))
    columns = {c: replay_witness(mutant, c) for c in ("in-model", "external")}
    if columns["in-model"] is None:
        if old is None:
            path.unlink()
        else:
            path.write_text(old)
        return f"{name}: the recorded example does not kill it on replay, no witness written"
    return f"{name}: witness of {len(failure.events)} events written; " + ", ".join(
        f"{c}: {inv or 'NOT killed'}" for c, inv in columns.items())


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:2] == ["--record"]:  # python -m conformance.mutants --record [NAME ...]
        for n in sys.argv[2:] or [m.name for m in MUTANTS if available(m)]:
            print(record_witness(n), flush=True)
    else:
        print(json.dumps(kill_report(sys.argv[1], column=sys.argv[2] if len(sys.argv) > 2 else "in-model")))
