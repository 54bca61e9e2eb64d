"""Timing rules, judged from the timestamps the objects carry: no oracle and no virtual time needed.

Every check reads times the API itself reports (a taint's ``timeAdded``, a condition's
``lastTransitionTime`` and ``lastUpdateTime``, a container's ``startedAt`` and ``finishedAt``, a pod's
``deletionTimestamp``) and the time of the observation (``View.now``). Those timestamps have whole-second
precision (``metav1.Time`` is serialised truncated to the second: ``apimachinery/pkg/apis/meta/v1/time.go``
MarshalJSON), and every bound here is allowed exactly that rounding: for true times ``a`` and ``b`` and a
whole number of seconds ``s``, ``b >= a + s`` implies ``floor(b) >= floor(a) + s``, and ``b > a + s``
implies ``floor(b) >= floor(a) + s`` too; nothing looser.

* NODE-2, SCH-6 eviction: the taint manager deletes a pod on a node with a NoExecute taint no earlier
  than its smallest matching ``tolerationSeconds`` after the taint was added, at once when a taint is not
  tolerated, never when the matching tolerations have no ``tolerationSeconds``
  (``pkg/controller/tainteviction/taint_eviction.go`` processPodOnNode, getMinTolerationTime; the 300 s
  come from ``plugin/pkg/admission/defaulttolerationseconds/admission.go``). Its work is scheduled when it
  processes the node, which is no earlier than ``timeAdded``, so ``timeAdded + seconds`` is a lower bound.
* P-6 availability: a ReplicaSet counts a pod available only once it has been Ready for more than
  ``minReadySeconds`` (``pkg/api/v1/pod/util.go`` IsPodAvailable, used by
  ``pkg/controller/replicaset/replica_set_utils.go`` calculateStatus).
* P-3 crash back-off: the kubelet restarts an exited container at once the first time, then only when
  ``now - finishedAt >= backoff``; the back-off starts at 10 s, doubles at every restart up to 300 s,
  and starts again at 10 s when the container exits more than 600 s (twice the cap) after the last
  restart (``pkg/kubelet/kuberuntime/kuberuntime_manager.go`` doBackOff; ``pkg/kubelet/kubelet.go``
  ``backOffPeriod = 10 s``, ``MaxContainerBackOff = 300 s``; ``client-go/util/flowcontrol/backoff.go``
  Next, IsInBackOffSince, hasExpired: ``lastUpdate`` is the time of the restart).
* D-19 progress deadline: Progressing turns False with reason ProgressDeadlineExceeded only when
  ``lastUpdateTime + progressDeadlineSeconds < now`` (``pkg/controller/deployment/util/
  deployment_util.go`` DeploymentTimedOut, called from ``pkg/controller/deployment/progress.go``
  syncRolloutStatus; ``lastUpdateTime`` moves only on progress, DeploymentProgressing).

**Not modelled (and why):** the transition checks see what happens inside a settle only when the adapter
shows its intermediate states (capability ``intermediate``); otherwise they judge what happens during
requests. The upper bound of the back-off needs ``virtual-time`` (on a real cluster the kubelet also waits
for its next pod sync, ``backOffPeriod`` plus jitter); it is excused when a request moved the clock past
the restart time with no controller running, or the node was down meanwhile.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from ..view import controller_uid, diff_kind, index
from . import Context, Invariant, Step, Verdict
from ._helpers import _condition, active, epoch, name_of, node_ready, selector_matches

__all__ = ["INVARIANTS"]

Obj = Mapping[str, Any]
INITIAL_BACKOFF = 10  # kubelet.go backOffPeriod
MAX_BACKOFF = 300  # kubelet.go MaxContainerBackOff
DEFAULT_PROGRESS_DEADLINE = 600  # apps/v1 SetDefaults_Deployment (D-1)
_USER_DELETES = ("Delete", "PodKilled")


# ---- eviction ---------------------------------------------------------------------------------
def _tolerates(tol: Obj, taint: Obj) -> bool:
    """ToleratesTaint (``staging/src/k8s.io/api/core/v1/toleration.go``)."""
    if tol.get("effect") and tol.get("effect") != taint.get("effect"):
        return False
    if tol.get("key") and tol.get("key") != taint.get("key"):
        return False
    op = tol.get("operator") or "Equal"
    if op == "Exists":
        return True
    return op == "Equal" and (tol.get("value") or "") == (taint.get("value") or "")


def earliest_eviction(tolerations: Iterable[Obj], taints: list[Obj]) -> int | None:
    """The earliest epoch second the taint manager may delete a pod for these NoExecute taints
    (None: never)."""
    tolerations = list(tolerations)
    added = [epoch(t.get("timeAdded")) for t in taints]
    if any(a is None for a in added):
        return None  # a taint without timeAdded: nothing to measure from
    used: list[Obj] = []
    untolerated: list[int] = []
    for taint, at in zip(taints, added):
        matching = [tol for tol in tolerations if _tolerates(tol, taint)]
        if not matching:
            untolerated.append(at)  # type: ignore[arg-type]
        used.extend(matching)
    if untolerated:
        return min(untolerated)
    seconds = [int(tol["tolerationSeconds"]) for tol in used if tol.get("tolerationSeconds") is not None]
    if not seconds:
        return None  # getMinTolerationTime -1: tolerated forever
    return min(a for a in added if a is not None) + max(min(seconds), 0)


def _deleted_at(old: Obj, new: Obj | None, now: int) -> int:
    """When a pod was deleted: deletionTimestamp minus its grace period, or (gone) at the latest now."""
    if new is None:
        return now
    md = new["metadata"]
    ts = epoch(md.get("deletionTimestamp"))
    return now if ts is None else ts - int(md.get("deletionGracePeriodSeconds") or 0)


def _by_taint_manager(new: Obj | None) -> bool:
    c = _condition(new, "DisruptionTarget") if new is not None else None
    return c is not None and c.get("reason") == "DeletionByTaintManager"


def _someone_else_deleted(step: Step, pod: Obj, new: Obj | None) -> bool:
    """Another actor may have deleted the pod in this step: the user, its ReplicaSet scaling down (or
    being deleted), the garbage collector, the namespace controller, or a ReplicaSet that adopted the
    orphan and deleted it as a surplus in the same turn (``replica_set.go`` syncReplicaSet claims the
    pods, then manageReplicas deletes; the taint manager never changes owner references)."""
    if not step.in_settle and type(step.event).__name__ in _USER_DELETES:
        return True
    if new is not None and controller_uid(new) != controller_uid(pod):
        return True
    md = pod["metadata"]
    if _own_controller_turn(step, pod, new):
        return True
    ns0 = step.before.get("Namespace", "", md.get("namespace") or "")
    ns1 = step.after.get("Namespace", "", md.get("namespace") or "")
    if (ns0 is not None and ns1 is None) or any(ns is not None and ns["metadata"].get("deletionTimestamp")
                                                for ns in (ns0, ns1)):
        return True
    owner = controller_uid(pod)
    if owner is None:
        return bool(md.get("ownerReferences")) or _adoptable_surplus(step, pod)
    rs0, rs1 = step.before.by_uid(owner), step.after.by_uid(owner)
    if rs0 is None or rs1 is None or rs0["metadata"].get("deletionTimestamp") or rs1["metadata"].get(
            "deletionTimestamp"):
        return True
    want = min(int(rs0["spec"].get("replicas", 1)), int(rs1["spec"].get("replicas", 1)))
    pods = [p for p in index(step.before).get(owner, ()) if p.get("kind") == "Pod" and active(p)]
    return len(pods) > want  # a surplus: the ReplicaSet controller deletes pods on failed nodes first


def _own_controller_turn(step: Step, pod: Obj, new: Obj | None) -> bool:
    """The step is a turn of the pod's own controller (an intermediate state named ``Reconcile(controller,
    key)``, the controller named after its kind): it deleted the pod, for its own reasons (a StatefulSet's
    rolling update or scale-down, a failed pod replaced), not the taint manager."""
    event = step.event
    controller, key = getattr(event, "controller", None), getattr(event, "key", None)
    if not step.in_settle or not isinstance(controller, str) or not isinstance(key, str):
        return False
    ns = pod["metadata"].get("namespace") or ""
    refs = [*(pod["metadata"].get("ownerReferences") or ()),
            *(((new or {}).get("metadata") or {}).get("ownerReferences") or ())]
    return any(r.get("controller") and str(r.get("kind", "")).lower() == controller and key == f"{ns}/{r.get('name')}"
               for r in refs)


def _adoptable_surplus(step: Step, orphan: Obj) -> bool:
    """A ReplicaSet whose selector matches the orphan has more active pods (its own and matching orphans)
    than it wants: it may have adopted the orphan and deleted it in one turn (with a zero grace period it is
    gone at once, so no owner reference of the new version tells)."""
    ns, labels = orphan["metadata"].get("namespace") or "", orphan["metadata"].get("labels") or {}
    for rs in step.before.objects("ReplicaSet", ns):
        selector = (rs.get("spec") or {}).get("selector")
        if rs["metadata"].get("deletionTimestamp") or not selector_matches(selector, labels):
            continue
        after = step.after.by_uid(rs["metadata"].get("uid") or "")
        want = min(int(rs["spec"].get("replicas", 1)), int((after or rs)["spec"].get("replicas", 1)))
        uid = rs["metadata"].get("uid")
        mine = [p for p in step.before.objects("Pod", ns) if active(p) and (
            controller_uid(p) == uid or (controller_uid(p) is None and not p["metadata"].get("ownerReferences")
                                         and selector_matches(selector, p["metadata"].get("labels") or {})))]
        if len(mine) > want:
            return True
    return False


def eviction_not_before_toleration(step: Step, ctx: Context) -> Verdict:
    """NODE-2, SCH-6: a pod the taint manager deletes from a node with NoExecute taints is deleted no earlier
    than :func:`earliest_eviction` (``taint_eviction.go`` processPodOnNode, getMinTolerationTime). Deletions
    another actor may have made in the same step are not judged (:func:`_someone_else_deleted`), unless the
    pod carries the taint manager's DisruptionTarget condition (``addConditionAndDeletePod``)."""
    if step.before.version("Pod") is step.after.version("Pod"):
        return 0, []
    n, bad = 0, []
    for old, new in diff_kind(step.before, step.after, "Pod"):
        if old is None or old["metadata"].get("deletionTimestamp"):
            continue
        if new is not None and new["metadata"].get("uid") == old["metadata"].get("uid") and not new[
                "metadata"].get("deletionTimestamp"):
            continue
        if new is not None and new["metadata"].get("uid") != old["metadata"].get("uid"):
            new = None  # deleted and created again under the same name
        node = step.before.get("Node", "", old["spec"].get("nodeName") or "")
        if node is None:
            continue
        taints = [t for t in (node.get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute"]
        if not taints:
            continue
        if not _by_taint_manager(new) and _someone_else_deleted(step, old, new):
            continue
        earliest = earliest_eviction(old["spec"].get("tolerations") or (), taints)
        if earliest is None:
            continue
        n += 1
        when = _deleted_at(old, new, step.after.now)
        if when < earliest:
            keys = ", ".join(f"{t.get('key')} since {t.get('timeAdded')}" for t in taints)
            bad.append(f"{name_of(old)} was evicted from {node['metadata']['name']} {earliest - when} s before "
                       f"its tolerations allow (deleted at {when}, earliest {earliest}; NoExecute taints: {keys}) "
                       f"[after {step.event}]")
    return n, bad


# ---- availability -----------------------------------------------------------------------------
def _ready_for(pod: Obj, min_ready: int, now: int) -> bool:
    c = _condition(pod, "Ready")
    if c is None or c.get("status") != "True":
        return False
    t = epoch(c.get("lastTransitionTime"))
    # IsPodAvailable: ltt + minReadySeconds < now with now exact; at whole seconds: <= (module header)
    return t is not None and t + min_ready <= now


def available_not_before_min_ready(step: Step, ctx: Context) -> Verdict:
    """P-6, RS-4: a ReplicaSet status written in this step counts no more pods available than have been
    Ready for minReadySeconds by then (``pkg/api/v1/pod/util.go`` IsPodAvailable; ``replica_set_utils.go``
    calculateStatus). Pods of the ReplicaSet before or after the step count, in either version (its status
    is computed from the pods it saw before it deleted any)."""
    if step.before.version("ReplicaSet") is step.after.version("ReplicaSet"):
        return 0, []
    n, bad = 0, []
    for old, rs in diff_kind(step.before, step.after, "ReplicaSet"):
        if rs is None:
            continue
        status = rs.get("status") or {}
        if old is not None and old["metadata"].get("uid") == rs["metadata"].get("uid") and (
                old.get("status") or {}) == status:
            continue  # its status was not written in this step
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        claimed = int(status.get("availableReplicas") or 0)
        if not min_ready or not claimed:
            continue
        n += 1
        uid = rs["metadata"]["uid"]
        now = step.after.now
        could = set()
        for view in (step.before, step.after):
            for p in index(view).get(uid, ()):
                if p.get("kind") == "Pod" and _ready_for(p, min_ready, now):
                    could.add(p["metadata"]["uid"])
        if claimed > len(could):
            bad.append(f"{name_of(rs)}: status.availableReplicas={claimed}, but only {len(could)} of its pods "
                       f"have been Ready for minReadySeconds={min_ready} by {now} [after {step.event}]")
    return n, bad


# ---- crash back-off ---------------------------------------------------------------------------
def _note_time_and_nodes(step: Step, ctx: Context) -> None:
    if not step.in_settle and step.after.now > step.before.now:
        ctx.clock_jumps.append((step.before.now, step.after.now))
        del ctx.clock_jumps[:-64]
    for name in ctx.down_nodes:
        ctx.node_down_at[name] = step.after.now
    if step.before.version("Node") is not step.after.version("Node"):
        for node in step.after.objects("Node"):
            if not node_ready(node):
                ctx.node_down_at[node["metadata"]["name"]] = step.after.now


def _restarts(step: Step) -> Iterable[tuple[Obj, Obj, Obj]]:
    """(pod, previous container status, container status) for every container restarted in this step."""
    for old, new in diff_kind(step.before, step.after, "Pod"):
        if old is None or new is None or old["metadata"].get("uid") != new["metadata"].get("uid"):
            continue
        statuses0 = (old.get("status") or {}).get("containerStatuses") or ()
        statuses1 = (new.get("status") or {}).get("containerStatuses") or ()
        if statuses0 is statuses1:
            continue
        before = {cs.get("name"): cs for cs in statuses0}
        for cs in statuses1:
            prev = before.get(cs.get("name"))
            if prev is not None and int(cs.get("restartCount") or 0) != int(prev.get("restartCount") or 0):
                yield new, prev, cs


def _waits(entry: tuple[frozenset[int], int, int] | None, finished: int) -> tuple[set[int], set[int]]:
    """The back-offs the kubelet may apply to a restart after an exit at ``finished``, and those it may
    hold after it (flowcontrol.Backoff: a table entry, expired when the exit comes more than twice the cap
    after the last restart; ``finished`` and the restart time are whole seconds, so a gap of exactly
    600 s may be either)."""
    if entry is None:
        return {0}, {INITIAL_BACKOFF}
    backoffs, last, _ = entry
    gap = finished - last
    waits: set[int] = set()
    nxt: set[int] = set()
    if gap <= 2 * MAX_BACKOFF:  # possibly not expired
        waits |= backoffs
        nxt |= {min(2 * b, MAX_BACKOFF) for b in backoffs}
    if gap >= 2 * MAX_BACKOFF:  # possibly expired
        waits.add(0)
        nxt.add(INITIAL_BACKOFF)
    return waits, nxt


def _judge_restarts(step: Step, ctx: Context) -> list[tuple[Obj, Obj, int, set[int], int]]:
    """Follow every container's back-off; (pod, status, delay, possible waits, exit time) per restart
    whose history is known. Memoised per step, both back-off invariants read it."""
    # a view may be the after of several steps: the memo names its step by a weak reference (a step's id may be
    # reused once it is gone, and a strong one would tie the view into a cycle through its own step)
    memo: dict[str, tuple[weakref.ref[Step], list[Any]]] = step.after.memo("crash-restarts", lambda v: {})
    hit = memo.get("last")
    if hit is not None and hit[0]() is step:
        return hit[1]
    _note_time_and_nodes(step, ctx)
    out = []
    if step.before.version("Pod") is not step.after.version("Pod"):
        for pod, prev, cs in _restarts(step):
            key = (pod["metadata"]["uid"], str(cs.get("name")))
            count0, count1 = int(prev.get("restartCount") or 0), int(cs.get("restartCount") or 0)
            known = ctx.backoffs.get(key)
            started = epoch(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
            finished = epoch(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
            history_known = count0 == 0 or (known is not None and known[2] == count0 and bool(known[0]))
            if count1 != count0 + 1 or started is None or finished is None or not history_known:
                ctx.backoffs[key] = (frozenset(), -1, count1)  # a restart not seen: the history is lost
                continue
            waits, nxt = _waits(known if count0 else None, finished)
            ctx.backoffs[key] = (frozenset(nxt), started, count1)
            out.append((pod, cs, started - finished, waits, finished))
    memo["last"] = (weakref.ref(step), out)
    return out


def restart_not_before_backoff(step: Step, ctx: Context) -> Verdict:
    """P-3: a restarted container ran again no sooner after its exit than the kubelet's back-off allows
    (``kuberuntime_manager.go`` doBackOff with ``flowcontrol.Backoff`` IsInBackOffSince and Next)."""
    judged = _judge_restarts(step, ctx)
    bad = []
    for pod, cs, delay, waits, _ in judged:
        if delay < min(waits):
            bad.append(f"{name_of(pod)}: container {cs.get('name')} restarted {delay} s after it exited "
                       f"(restart {cs.get('restartCount')}), but the kubelet's back-off holds it for {min(waits)} s "
                       f"(10 s, doubling at each restart) [after {step.event}]")
    return len(judged), bad


def restart_not_after_backoff(step: Step, ctx: Context) -> Verdict:
    """P-3: under virtual time a container restarts as soon as its back-off is over, and the back-off never
    exceeds ``MaxContainerBackOff`` (``pkg/kubelet/kubelet.go``); premise: restarts at the cap."""
    judged = _judge_restarts(step, ctx)
    n, bad = 0, []
    for pod, cs, delay, waits, finished in judged:
        due = finished + max(waits)
        if max(waits) == MAX_BACKOFF:
            n += 1  # the premise that matters here: the back-off reached its cap
        node = pod["spec"].get("nodeName") or ""
        if ctx.node_down_at.get(node, -1) >= finished or any(a <= due < b for a, b in ctx.clock_jumps):
            continue  # the kubelet was away, or a request moved the clock past the restart time
        if delay > max(waits):
            bad.append(f"{name_of(pod)}: container {cs.get('name')} restarted {delay} s after it exited "
                       f"(restart {cs.get('restartCount')}), but its back-off is {max(waits)} s (10 s doubling, "
                       f"at most {MAX_BACKOFF} s) [after {step.event}]")
    return n, bad


# ---- progress deadline ------------------------------------------------------------------------
def _progressing(d: Obj) -> Obj | None:
    return _condition(d, "Progressing")


def deadline_not_before_progress_deadline(step: Step, ctx: Context) -> Verdict:
    """D-19: Progressing turns False with ProgressDeadlineExceeded no earlier than progressDeadlineSeconds
    after the lastUpdateTime it had before (``deployment_util.go`` DeploymentTimedOut, ``progress.go``
    syncRolloutStatus)."""
    if step.before.version("Deployment") is step.after.version("Deployment"):
        return 0, []
    n, bad = 0, []
    for old, new in diff_kind(step.before, step.after, "Deployment"):
        if old is None or new is None or old["metadata"].get("uid") != new["metadata"].get("uid"):
            continue
        c1 = _progressing(new)
        if c1 is None or c1.get("status") != "False" or c1.get("reason") != "ProgressDeadlineExceeded":
            continue
        c0 = _progressing(old)
        if c0 is None or c0.get("reason") == "ProgressDeadlineExceeded":
            continue
        last = epoch(c0.get("lastUpdateTime"))
        if last is None:
            continue
        deadline = min(int(d["spec"].get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE)) for d in (old, new))
        n += 1
        at = epoch(c1.get("lastUpdateTime")) or step.after.now
        if at < last + deadline:
            bad.append(f"{name_of(new)}: Progressing=False (ProgressDeadlineExceeded) at {at}, {last + deadline - at} s "
                       f"early: the last progress was at {last} and progressDeadlineSeconds is {deadline} "
                       f"[after {step.event}]")
    return n, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("a pod on a node with a NoExecute taint is evicted no earlier than its tolerationSeconds after the "
              "taint", ("NODE-2", "SCH-6"), "transition", eviction_not_before_toleration, intermediate=True,
              changes=("Pod",)),
    Invariant("a ReplicaSet counts a pod available no earlier than minReadySeconds after it became Ready",
              ("P-6", "RS-4"), "transition", available_not_before_min_ready, intermediate=True,
              changes=("ReplicaSet",)),
    Invariant("a crashed container restarts no earlier than its back-off (10 s, doubling, reset after 10 min)",
              ("P-3",), "transition", restart_not_before_backoff, intermediate=True),
    Invariant("a crash-looping container restarts once its back-off is over, and the back-off stops at 5 minutes",
              ("P-3",), "transition", restart_not_after_backoff, intermediate=True,
              needs=frozenset({"virtual-time"})),
    Invariant("a Deployment reports ProgressDeadlineExceeded no earlier than progressDeadlineSeconds after its last "
              "progress", ("D-19",), "transition", deadline_not_before_progress_deadline, intermediate=True,
              changes=("Deployment",)),
)
