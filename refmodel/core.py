"""``step`` (the transition function) and ``converge`` (the discrete-event loop).

**Mirrors:** the cluster as a whole: kube-apiserver handling requests, the environment (nodes, container
runtime, time) producing facts, and kube-controller-manager, kube-scheduler and kubelets draining their
work queues (``staging/src/k8s.io/client-go/util/workqueue``: a key is queued at most once; processing
removes it; a controller can ask to be re-queued after a delay, ``AddAfter``).
**Modelled:** every event of :mod:`refmodel.events` in one ``match``: user events become kubectl verbs
(:mod:`refmodel.kubectl`) sent through :func:`refmodel.apiserver.handle`, and the writes they commit
feed the controllers' watches (:func:`refmodel.controllers.notify`), as informers deliver them; ``converge`` runs the dirty work
items in queue order, and when none is left advances the virtual clock to the next essential timer;
it stops when only back-off retries remain, and raises :class:`NotConverged` when work never runs out.
``converge`` takes a run of queued kubelet pod keys in one go (:func:`refmodel.controllers.kubelet.sync_pods`:
the same final state, no state built per pod), and a run of node status keys likewise
(:func:`refmodel.controllers.kubelet.flush_many`: status write requests of whole nodes' statuses, at least 256
each), and holds no state between steps (the run it hands a state to frees what it replaces as it goes);
``converge_steps`` steps one key at a time.
**Not modelled (and why):** real concurrency: one interleaving at a time is chosen (queue order); the
conformance machines explore others by firing ``Reconcile`` events in other orders.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, assert_never

import attrs

from . import controllers, kubectl
from .controllers import CONTROLLERS, kubelet, nodelifecycle
from .counters import WorkCounters, counting
from .errors import NotConverged, Rejection
from .events import (
    Apply,
    ClockAdvanced,
    ContainerExited,
    Cordon,
    Delete,
    Event,
    ImagePullFailed,
    ImagePullRecovered,
    NodeFailed,
    NodeRecovered,
    PodKilled,
    ReadinessChanged,
    Reconcile,
    RolloutPause,
    RolloutResume,
    RolloutUndo,
    Scale,
    Uncordon,
)
from .request import Response
from .state import ClusterState

__all__ = ["StepResult", "converge", "converge_steps", "cyclic_gc_paused", "fire_due_timers", "step", "transition"]


@attrs.frozen
class StepResult:
    state: ClusterState
    rejection: Rejection | None = None
    obj: object = None
    notice: str = ""

    @property
    def ok(self) -> bool:
        return self.rejection is None


def _sent(result: kubectl.Result) -> StepResult:
    """A user verb's outcome: its writes go to the watches (the informers), then the answer is returned."""
    state, response, changes = result
    if changes:
        state = controllers.notify(state, changes)
    return StepResult(state, response.rejection, response.obj, response.notice)


def _from(state: ClusterState, response: Response) -> StepResult:
    return StepResult(state, response.rejection, response.obj, response.notice)


def step(state: ClusterState, event: Event) -> ClusterState:
    """THE transition function: ``functools.reduce(step, events, s0)`` replays a trace."""
    return transition(state, event).state


def transition(state: ClusterState, event: Event) -> StepResult:
    """Like :func:`step`, but also says whether the API server rejected the event's request.

    User events are kubectl verbs (:mod:`refmodel.kubectl`) sent through the one door; the writes they
    commit are fed to the controllers' watches here."""
    match event:
        case Apply(obj=obj):
            return _sent(kubectl.apply(state, obj))
        case Delete(kind=kind, namespace=ns, name=name, propagation=propagation):
            return _sent(kubectl.delete(state, kind, ns, name, propagation))
        case Scale(kind=kind, namespace=ns, name=name, replicas=replicas):
            return _sent(kubectl.scale(state, kind, ns, name, replicas))
        case RolloutUndo(namespace=ns, name=name, to_revision=rev, kind=kind):
            return _sent(kubectl.rollout_undo(state, ns, name, rev, kind))
        case RolloutPause(namespace=ns, name=name):
            return _sent(kubectl.rollout_pause(state, ns, name, True))
        case RolloutResume(namespace=ns, name=name):
            return _sent(kubectl.rollout_pause(state, ns, name, False))
        case Cordon(node=node):
            return _sent(kubectl.cordon(state, node, True))
        case Uncordon(node=node):
            return _sent(kubectl.cordon(state, node, False))
        case NodeFailed(node=node):
            return _node_exists(state, node) or StepResult(nodelifecycle.node_failed(state, node))
        case NodeRecovered(node=node):
            return _node_exists(state, node) or StepResult(nodelifecycle.node_recovered(state, node))
        case PodKilled(namespace=ns, name=name):
            # a force delete (grace period 0): gone at once unless a finalizer holds it
            return _sent(kubectl.delete(state, "Pod", ns, name, None, grace_period_seconds=0))
        case ContainerExited(namespace=ns, pod=pod, container=container, exit_code=code):
            return _from(*kubelet.container_exited(state, ns, pod, container, code))
        case ImagePullFailed(image=image):
            return StepResult(kubelet.image_pull_failed(state, image))
        case ImagePullRecovered(image=image):
            return StepResult(kubelet.image_pull_recovered(state, image))
        case ReadinessChanged(namespace=ns, pod=pod, ready=ready):
            return _from(*kubelet.readiness_changed(state, ns, pod, ready))
        case ClockAdvanced(seconds=seconds):
            if seconds < 0:
                return StepResult(state, Rejection("BadRequest", "the clock only moves forward", 400))
            return StepResult(fire_due_timers(state.replace(now=state.now + seconds)))
        case Reconcile(controller=controller, key=key):
            c = CONTROLLERS.get(controller)
            if c is None:
                return StepResult(state, Rejection("NotFound", f"unknown controller {controller!r}", 404))
            item = (controller, key)
            if item in state.dirty:
                state = state.replace(dirty=state.dirty.delete(item))
            return StepResult(c.sync(state, key))
        case _:
            assert_never(event)


def _node_exists(state: ClusterState, node: str) -> StepResult | None:
    if state.get("Node", "", node) is None:
        return StepResult(state, Rejection("NotFound", f'nodes "{node}" not found', 404, "Node", node))
    return None


# ---------------------------------------------------------------------------------------------
# converge
# ---------------------------------------------------------------------------------------------
def fire_due_timers(state: ClusterState) -> ClusterState:
    """Move every timer due at or before ``state.now`` into the work queue."""
    due = [t for t in state.timers if t <= state.now]
    if not due:
        return state
    timers = state.timers
    items: list[tuple[str, str]] = []
    for t in sorted(due):
        items.extend(_sorted_items(timers[t].keys()))
        timers = timers.delete(t)
    return state.replace(timers=timers).enqueue_many(items)


def _sorted_items(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``sorted(items)`` for (controller, key) pairs: grouped by controller, each group sorted by its keys
    alone (strings compare about three times faster than pairs; a bulk converge fires 100,000 pod timers at
    once)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        group = groups.get(item[0])
        if group is None:
            group = groups[item[0]] = []
        group.append(item)
    out: list[tuple[str, str]] = []
    for controller in sorted(groups):
        group = groups[controller]
        group.sort(key=_key_of)
        out.extend(group)
    return out


def _next_essential(state: ClusterState) -> int | None:
    best: int | None = None
    for t, slot in state.timers.items():
        if (best is None or t < best) and any(slot.values()):
            best = t
    return best


def converge(
    state: ClusterState,
    controllers: tuple[str, ...] | None = None,
    *,
    max_steps: int | None = None,
    horizon: int = 7 * 24 * 3600,
    counters: WorkCounters | None = None,
) -> ClusterState:
    """Run controllers (and the environment) until nothing is left to do.

    With ``controllers`` given, only those run, the clock does not move and no environment actor
    (kubelet, node lifecycle) runs unless named. Raises :class:`NotConverged` if work keeps coming
    after ``max_steps`` reconciles or past ``horizon`` virtual seconds. With ``counters`` given, the
    reconciles of each controller (``reconciles``) and the controllers' per-object visits are counted
    into it (:mod:`refmodel.counters`); the result is the same.
    """
    final = state
    with cyclic_gc_paused():
        if counters is None:
            for final in _run(state, controllers, max_steps, horizon):  # noqa: B007
                pass
            return final
        with counting(counters):
            for event, final in converge_steps(state, controllers, max_steps=max_steps, horizon=horizon):  # noqa: B007
                if isinstance(event, Reconcile):
                    counters.add(event.controller, "reconciles")
    return final


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector for one ``converge`` call (or another bulk build of
    acyclic values: ``kubeoracle validate`` reads and checks whole manifest files under it), then
    restore it.

    Every value ``converge`` builds is immutable (FrozenDict, tuple, ``immutables.Map``, frozen attrs
    records), and an immutable value can only refer to values that existed before it: they cannot form a
    reference cycle, and reference counting frees each superseded state the moment it is dropped. The
    cyclic collector finds nothing to free here, yet its full collections walk the whole growing heap:
    they took about 45% of a 100,000-pod converge. Collection resumes when the call ends (also on error),
    and a caller that turned the collector off keeps it off.

    The objects built meanwhile (the returned state: a million containers at 100,000 pods) are put in the
    oldest generation, as they would be once they had survived two collections: re-enabled as they are,
    the first young collection would walk every one of them (6% of a 100,000-pod converge). Every tracked
    object goes there (``gc.freeze`` then ``gc.unfreeze``), so nothing becomes uncollectable; skipped when
    the caller has frozen objects of its own (``gc.get_freeze_count``), which ``unfreeze`` would release.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def converge_steps(
    state: ClusterState,
    controllers: tuple[str, ...] | None = None,
    *,
    max_steps: int | None = None,
    horizon: int = 7 * 24 * 3600,
) -> Iterator[tuple[Event, ClusterState]]:
    """``converge`` one event at a time: yields ``(event, state after it)`` for every ``Reconcile``
    and every ``ClockAdvanced`` it performs, so callers can check every intermediate state.
    ``functools.reduce(step, [e for e, _ in converge_steps(s)], s)`` gives the same final state.
    """
    log: list[tuple[str, Any]] = []
    for out in _run(state, controllers, max_steps, horizon, log):
        what, arg = log.pop()
        yield (Reconcile(what, arg) if what else ClockAdvanced(arg)), out


def _run(state: ClusterState, controllers: tuple[str, ...] | None, max_steps: int | None, horizon: int,
         log: list[tuple[str, Any]] | None = None) -> Iterator[ClusterState]:
    """The loop of ``converge``: with ``log`` given, yields the state after every reconcile and every clock
    advance, and appends what each step was (``(controller, key)``, or ``("", seconds)``) before yielding it
    (``converge`` alone builds no event values: one per reconcile was a measurable share of a bulk
    converge); without, yields the final state alone. No caller then holds a state between steps, so a
    state is freed as soon as the next is built, and a run of kubelet keys is handed the only reference to
    the state it starts from: the pods a run of status writes replaces are freed as each of its requests
    commits, while they are still in the processor's caches (freed after the run, each was read from
    memory once more: :func:`refmodel.controllers.kubelet.flush_many`)."""
    allowed = None if controllers is None else frozenset(controllers)
    unknown = (allowed or frozenset()) - set(CONTROLLERS)
    if unknown:
        raise ValueError(f"unknown controller(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(CONTROLLERS))}")
    budget = max_steps if max_steps is not None else 200_000 + 20 * _size(state)
    start_size = _size(state)
    start = state.now
    steps = 0
    while True:
        if allowed is None:
            items = sorted(state.dirty.items(), key=_seq_of)  # queue order: seq numbers are unique
        else:
            items = sorted(((item, seq) for item, seq in state.dirty.items() if item[0] in allowed), key=_seq_of)
        if items:
            i, n = 0, len(items)
            while i < n:
                item = items[i][0]
                i += 1
                if log is None and item[0] == kubelet.NAME:
                    # a run of pod keys, or of node status keys: one state for the run (no caller sees the
                    # ones between)
                    run_of = _status_key if item[1].startswith(kubelet.STATUS_PREFIX) else _pod_key
                    if run_of(item[1]):
                        j = i
                        while j < n and items[j][0][0] == kubelet.NAME and run_of(items[j][0][1]):
                            j += 1
                        if j > i:
                            keys = [it[0][1] for it in items[i - 1:j]]
                            # the run is handed the only reference to the state: the
                            # objects its writes replace are freed as each request commits
                            handed = [state]
                            del state
                            state, done = (kubelet.flush_many if run_of is _status_key else kubelet.sync_pods)(
                                handed.pop(), keys)
                            steps += done
                            i = j
                            continue
                dirty = state.dirty
                if item not in dirty:
                    continue
                state = state.replace(dirty=dirty.delete(item))
                state = CONTROLLERS[item[0]].sync(state, item[1])
                steps += 1
                if log is not None:
                    log.append(item)
                    yield state
            if steps > budget and state.dirty and max_steps is None:
                budget = _budget(start_size, state)
            if steps > budget and state.dirty:
                raise NotConverged(
                    f"still {len(state.dirty)} work item(s) after {steps} reconciles "
                    f"(e.g. {sorted(state.dirty.keys())[:3]}), but should have settled [at t={state.now}s]")
            continue
        if allowed is not None:
            break
        t = _next_essential(state)
        if t is None:
            break
        if steps > budget and max_steps is None:
            budget = _budget(start_size, state)
        if steps > budget:
            raise NotConverged(
                f"timers keep waking controllers: {steps} reconciles up to t={state.now}s, but the cluster "
                f"should have settled (next timer at t={t}s)")
        if t - start > horizon:
            raise NotConverged(f"timers still pending at t={t}s, more than {horizon}s after the start at t={start}s")
        seconds = max(t - state.now, 0)
        state = fire_due_timers(state.replace(now=state.now + seconds))
        if log is not None:
            log.append(("", seconds))
            yield state
    if log is None:
        yield state


_seq_of = itemgetter(1)


def _pod_key(key: str) -> bool:
    return "/" in key


def _status_key(key: str) -> bool:
    return key.startswith(kubelet.STATUS_PREFIX)


_key_of = itemgetter(1)


def _size(state: ClusterState) -> int:
    return sum(state.count(k) for k in ("Pod", "ReplicaSet", "Deployment", "Node"))


def _budget(start_size: int, state: ClusterState) -> int:
    """The default reconcile budget once the first one is spent: 20 per object at the start and per replica
    the workloads ask for now (pod workers take a few reconciles per pod, so a converge from empty to n
    replicas needs work in proportion to n, not to the objects it started with). Computed only when the
    first budget runs out, so it costs nothing on the common path; pods created beyond what the
    workloads ask for still exhaust it."""
    wanted = sum(int((o.get("spec") or {}).get("replicas", 1) or 0)
                 for kind in ("Deployment", "ReplicaSet") for o in state.iter_kind(kind))
    return 200_000 + 20 * (start_size + wanted)
