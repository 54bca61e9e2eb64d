"""Invariants of Deployments: rollout bounds, revisions, rollback, pause, history, status (rules D-1..D-22)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..view import View, diff_kind, index
from . import Context, Invariant, Step, Verdict
from ._helpers import (
    active,
    available,
    deployment_replicasets,
    equal_ignore_hash,
    fenceposts,
    name_of,
    revision,
)

__all__ = ["INVARIANTS"]

Obj = Mapping[str, Any]


def _deployments(view: View) -> list[Obj]:
    return [d for d in view.objects("Deployment") if not d["metadata"].get("deletionTimestamp")]


def _spec_sum(rss: list[Obj]) -> int:
    return sum(int(rs["spec"].get("replicas", 0)) for rs in rss)


def _new_rs(d: Obj, rss: list[Obj]) -> Obj | None:
    """FindNewReplicaSet: the oldest RS whose template equals the deployment's ignoring the hash (D-5)."""
    matching = [rs for rs in rss if equal_ignore_hash(rs["spec"].get("template"), d["spec"].get("template"))]
    if not matching:
        return None
    return min(matching, key=lambda rs: (rs["metadata"].get("creationTimestamp", ""), rs["metadata"]["name"]))


def _available_pods(view: View, d: Obj, rss: list[Obj], *, committed: bool = False) -> int:
    """Available pods of the Deployment's ReplicaSets; ``committed``: not counting pods beyond a
    ReplicaSet's spec.replicas (already condemned by a scale-down that its controller will carry out)."""
    owned = index(view)
    min_ready = int(d["spec"].get("minReadySeconds", 0) or 0)
    total = 0
    for rs in rss:
        n = sum(1 for p in owned.get(rs["metadata"]["uid"], ())
                if p.get("kind") == "Pod" and active(p) and available(p, min_ready, view.now))
        total += min(n, int(rs["spec"].get("replicas", 0))) if committed else n
    return total


# ---- rollout bounds ---------------------------------------------------------------------------
def growth_within_surge(step: Step, ctx: Context) -> Verdict:
    if step.before.version("ReplicaSet") is step.after.version("ReplicaSet"):
        return 0, []
    n, bad = 0, []
    for d in _deployments(step.after):
        before_d = step.before.get("Deployment", d["metadata"]["namespace"], d["metadata"]["name"])
        if before_d is None or before_d["metadata"].get("uid") != d["metadata"].get("uid"):
            continue
        owned0 = deployment_replicasets(step.before, d)
        known = {rs["metadata"]["uid"] for rs in owned0}
        s0 = _spec_sum(owned0)
        # ReplicaSets it adopted in this step are not its doing (an orphan matching its selector): leave them out
        s1 = _spec_sum([rs for rs in deployment_replicasets(step.after, d) if rs["metadata"]["uid"] in known
                        or step.before.by_uid(rs["metadata"]["uid"]) is None])
        if s1 <= s0:
            continue
        n += 1
        surge, _ = fenceposts(d)
        limit = int(d["spec"].get("replicas", 1)) + surge
        if s1 > limit:
            bad.append(f"{name_of(d)}: its ReplicaSets grew to {s1} replicas, but should stay within "
                       f"replicas + maxSurge = {limit} (was {s0}) [after {step.event}]")
    return n, bad


def availability_floor_during_rollout(step: Step, ctx: Context) -> Verdict:
    start = ctx.settle_start
    if not step.in_settle or start is None or ctx.faults_active:
        return 0, []
    n, bad = 0, []
    for d in _deployments(step.after):
        md = d["metadata"]
        d0 = start.get("Deployment", md["namespace"], md["name"])
        if d0 is None or d0["metadata"].get("uid") != md.get("uid") or d["spec"].get("paused"):
            continue
        if (d["spec"].get("strategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
            continue
        _, unavailable = fenceposts(d)
        floor = int(d["spec"].get("replicas", 1)) - unavailable
        if floor <= 0 or _available_pods(start, d0, deployment_replicasets(start, d0), committed=True) < floor:
            continue  # not yet available when the settle began: the bound only protects what is there
        n += 1
        now = _available_pods(step.after, d, deployment_replicasets(step.after, d))
        if now < floor:
            bad.append(f"{name_of(d)}: {now} available pods, but a rolling update keeps at least replicas - "
                       f"maxUnavailable = {floor} [after {step.event}]")
    return n, bad


# ---- revisions, rollback, pause ---------------------------------------------------------------
def revisions_only_grow(step: Step, ctx: Context) -> Verdict:
    n, bad = 0, []
    for old, new in diff_kind(step.before, step.after, "ReplicaSet"):
        if new is None:
            continue
        owner = next((r for r in new["metadata"].get("ownerReferences") or ()
                      if r.get("controller") and r.get("kind") == "Deployment"), None)
        if owner is None:
            continue
        if old is not None and old["metadata"].get("uid") == new["metadata"].get("uid"):
            if revision(new) < revision(old):
                n += 1
                bad.append(f"{name_of(new)}: revision {revision(new)}, but revisions only grow (was "
                           f"{revision(old)}) [after {step.event}]")
            elif revision(new) > revision(old):
                n += 1
                bad.extend(_above_others(step, new, owner["uid"]))
            continue
        n += 1
        bad.extend(_above_others(step, new, owner["uid"]))
    return n, bad


def _above_others(step: Step, rs: Obj, owner_uid: str) -> list[str]:
    """A ReplicaSet that (re)becomes new gets MaxRevision(others) + 1 (D-7): never a used number."""
    rev = revision(rs)
    others = [o for o in index(step.before).get(owner_uid, ())
              if o.get("kind") == "ReplicaSet" and o["metadata"].get("uid") != rs["metadata"].get("uid")]
    top = max((revision(o) for o in others), default=0)
    if rev <= top:
        return [f"{name_of(rs)}: revision {rev}, but a new revision must exceed every other of its Deployment "
                f"({top}) [after {step.event}]"]
    return []


def undo_restores_the_revision(step: Step, ctx: Context) -> Verdict:
    ev = step.event
    if type(ev).__name__ != "RolloutUndo" or step.outcome is None or step.outcome.status == "unknown":
        return 0, []
    d0 = step.before.get("Deployment", ev.namespace, ev.name)
    if d0 is None:
        return 0, []
    if d0["spec"].get("paused"):  # kubectl: "you cannot rollback a paused deployment; resume it first"
        if step.outcome.status == "ok" and step.after.get("Deployment", ev.namespace, ev.name) != d0:
            return 1, [f"{name_of(d0)} is paused, but undo changed it; a paused deployment cannot be rolled "
                       f"back [after {ev}]"]
        return 1, []
    rss = deployment_replicasets(step.before, d0)
    revs = sorted({revision(rs) for rs in rss if revision(rs) > 0})
    if ev.to_revision:
        target_rev = ev.to_revision
    else:
        target_rev = revs[-2] if len(revs) >= 2 else -1  # LastRevision: the second highest
    target = next((rs for rs in rss if revision(rs) == target_rev), None)
    if target is None:
        if step.outcome.status == "ok":  # kubectl rollback.go deploymentRevision: revisionNotFoundErr, or
            # "no rollout history found" when there is no revision before the newest
            what = f"to missing revision {ev.to_revision}" if ev.to_revision else "with no previous revision"
            return 1, [f"{name_of(d0)}: undo {what} succeeded, but should be rejected (revisions: {revs}) "
                       f"[after {ev}]"]
        return 1, []
    n = 1
    d1 = step.after.get("Deployment", ev.namespace, ev.name)
    if step.outcome.status != "ok" or d1 is None:
        return n, [f"{name_of(d0)}: undo to revision {target_rev} was {step.outcome}, but that revision exists "
                   f"(revisions: {revs}) [after {ev}]"]
    if not equal_ignore_hash(d1["spec"].get("template"), target["spec"].get("template")):
        return n, [f"{name_of(d1)}: template after undo is not the template of revision {target_rev} "
                   f"({name_of(target)}) [after {ev}]"]
    return n, []


def paused_starts_no_rollout(step: Step, ctx: Context) -> Verdict:
    if step.before.version("ReplicaSet") is step.after.version("ReplicaSet"):
        return 0, []
    n, bad = 0, []
    for d in step.after.objects("Deployment"):
        md = d["metadata"]
        d0 = step.before.get("Deployment", md["namespace"], md["name"])
        if not d["spec"].get("paused") or d0 is None or not d0["spec"].get("paused"):
            continue
        n += 1
        for rs in deployment_replicasets(step.after, d):
            if step.before.by_uid(rs["metadata"]["uid"]) is None:  # created, not adopted
                bad.append(f"{name_of(d)} is paused, but {name_of(rs)} was created for it [after {step.event}]")
    return n, bad


def new_revision_is_the_highest(view: View, ctx: Context) -> Verdict:
    """D-7, as getNewReplicaSet keeps it: once a Deployment has observed its spec, its new ReplicaSet's
    revision is above every old ReplicaSet's (SetNewReplicaSetAnnotations raises it to MaxRevision(old) + 1).
    Old ReplicaSets may share a number: one adopted from another Deployment keeps its own revision, and
    upstream renumbers only the new one. Before the controller has observed a changed template, the
    ReplicaSet that matches it may still carry an old number (a rollback by apply), so that is not judged."""
    n, bad = 0, []
    for d in view.objects("Deployment"):
        status = d.get("status") or {}
        if status.get("observedGeneration") != d["metadata"].get("generation"):
            continue
        rss = deployment_replicasets(view, d)
        new = _new_rs(d, rss)
        if new is None:
            continue
        n += 1
        top = max(((revision(rs), name_of(rs)) for rs in rss if rs is not new), default=None)
        if top is not None and revision(new) <= top[0]:
            bad.append(f"{name_of(new)}, the new ReplicaSet of {name_of(d)}, carries revision {revision(new)} and "
                       f"{top[1]} carries {top[0]}, but the new ReplicaSet's revision exceeds every old one's")
    return n, bad


# ---- after settle -----------------------------------------------------------------------------
def has_new_replicaset(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for d in _deployments(view):
        if d["spec"].get("paused"):
            continue
        rss = deployment_replicasets(view, d)
        new = _new_rs(d, rss)
        if new is None and _stale_scaling_deadlock(d, rss):
            continue  # upstream's own deadlock: its sync() never creates the new ReplicaSet
        n += 1
        if new is None:
            bad.append(f"{name_of(d)}: no ReplicaSet with its pod template after settle, but an unpaused "
                       f"Deployment always has one ({len(rss)} ReplicaSets)")
    return n, bad


def saturated_means_old_scaled_down(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for d in _deployments(view):
        rss = deployment_replicasets(view, d)
        new = _new_rs(d, rss)
        want = int(d["spec"].get("replicas", 1))
        if new is None or int(new["spec"].get("replicas", 0)) != want or \
                (new.get("status") or {}).get("availableReplicas", 0) != want:
            continue
        if _stale_scaling_deadlock(d, rss):
            continue  # upstream's own deadlock (its IsSaturated also wants the annotation, which stays stale)
        n += 1
        for rs in rss:
            if rs is not new and int(rs["spec"].get("replicas", 0)) > 0:
                bad.append(f"{name_of(rs)}: spec.replicas={rs['spec'].get('replicas')} after settle, but the new "
                           f"ReplicaSet {name_of(new)} is saturated, so every old one should be at 0")
    return n, bad


def _complete(d: Obj) -> bool:
    """DeploymentComplete (D-18)."""
    st = d.get("status") or {}
    want = int(d["spec"].get("replicas", 1))
    return bool(st.get("updatedReplicas", 0) == want and st.get("replicas", 0) == want
            and st.get("availableReplicas", 0) == want
            and st.get("observedGeneration", 0) >= d["metadata"].get("generation", 0))


def history_is_capped(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for d in _deployments(view):
        if not (_complete(d) or d["spec"].get("paused")):
            continue
        rss = deployment_replicasets(view, d)
        new = _new_rs(d, rss)
        n += 1
        limit = int(d["spec"].get("revisionHistoryLimit", 10))
        old = [rs for rs in rss if rs is not new and not rs["metadata"].get("deletionTimestamp")
               and int(rs["spec"].get("replicas", 0)) == 0 and (rs.get("status") or {}).get("replicas", 0) == 0]
        if len(old) > limit:
            bad.append(f"{name_of(d)}: {len(old)} old ReplicaSets kept after the rollout completed, but "
                       f"revisionHistoryLimit is {limit}")
    return n, bad


def deployment_status_when_stable(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for d in _deployments(view):
        n += 1
        rss = deployment_replicasets(view, d)
        new = _new_rs(d, rss)
        st = d.get("status") or {}

        def total(field: str, rss: list[Obj] = rss) -> int:
            return sum(int((rs.get("status") or {}).get(field, 0)) for rs in rss)

        avail = total("availableReplicas")
        want = {
            "observedGeneration": d["metadata"].get("generation"),
            "replicas": total("replicas"),
            "updatedReplicas": (new.get("status") or {}).get("replicas", 0) if new is not None else 0,
            "readyReplicas": total("readyReplicas"),
            "availableReplicas": avail,
            "unavailableReplicas": max(0, _spec_sum(rss) - avail),
        }
        for k, v in want.items():
            got = st.get(k, 0 if k != "observedGeneration" else None)
            if got != v:
                bad.append(f"{name_of(d)}: status.{k}={got} after settle, but should be {v} (from its ReplicaSets)")
                break
    return n, bad


DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"


def _stale_scaling_deadlock(d: Obj, rss: list[Obj]) -> bool:
    """Upstream v1.32's deadlocks on a stale desired-replicas annotation: ``isScalingEvent`` (sync.go) is
    true while an active ReplicaSet's annotation differs from spec.replicas, so every sync goes to
    ``sync()``, never to ``rolloutRolling`` or ``rolloutRecreate``, and only ``scale()`` (sync.go) could
    refresh the annotation. It does not in two cases, and the model reproduces both, as it must (the
    rollout legitimately never completes):

    * the only active ReplicaSet already has spec.replicas pods: ``scale()`` returns early (kubernetes/
      kubernetes PRs #138036 and #138840, open in 2026; a user who scaled an owned ReplicaSet to the
      Deployment's new size reaches it);
    * a Recreate Deployment with several active ReplicaSets whose new one is not saturated
      (``IsSaturated``): ``scale()`` only scales such sets proportionally for RollingUpdate and returns
      nil otherwise (a rolling update interrupted by a change to Recreate with another size reaches it;
      found by a default conformance run on the rollout machine)."""
    active = [rs for rs in rss if int(rs["spec"].get("replicas") or 0) > 0]
    want = d["spec"].get("replicas", 1)
    stale = [rs for rs in active
             if (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS) not in (None, str(want))]
    if not stale:
        return False
    if len(active) == 1:
        return active[0]["spec"].get("replicas") == want
    return (d["spec"].get("strategy") or {}).get("type") == "Recreate" and not _saturated(d, _new_rs(d, rss))


def _saturated(d: Obj, rs: Obj | None) -> bool:
    """IsSaturated (deployment/util): the new ReplicaSet has, is sized for and has available spec.replicas."""
    if rs is None:
        return False
    want = d["spec"].get("replicas", 1)
    desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
    return (rs["spec"].get("replicas") == want and desired == str(want)
            and (rs.get("status") or {}).get("availableReplicas", 0) == want)


def rollout_completes_without_faults(view: View, ctx: Context) -> Verdict:
    if ctx.faults_active:
        return 0, []
    n, bad = 0, []
    owned = index(view)
    nodes_ok = all(not (node.get("spec") or {}).get("unschedulable") for node in view.objects("Node"))
    if not nodes_ok:
        return 0, []
    for d in _deployments(view):
        if d["spec"].get("paused"):
            continue
        rss = deployment_replicasets(view, d)
        pods = [p for rs in rss for p in owned.get(rs["metadata"]["uid"], ()) if p.get("kind") == "Pod"]
        if any(not p["spec"].get("nodeName") for p in pods):
            continue  # some pod does not fit anywhere: the rollout legitimately stalls (D-19)
        if _stale_scaling_deadlock(d, rss):
            continue  # upstream's own deadlock: see _stale_scaling_deadlock
        n += 1
        if not _complete(d):
            st = d.get("status") or {}
            bad.append(f"{name_of(d)}: updated={st.get('updatedReplicas', 0)} available="
                       f"{st.get('availableReplicas', 0)} replicas={st.get('replicas', 0)} after settle with no "
                       f"fault active, but the rollout should be complete at spec.replicas={d['spec'].get('replicas')}")
    return n, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("whenever a Deployment's ReplicaSets grow, they stay within replicas + maxSurge",
              ("D-11", "D-13", "D-15", "D-3"), "transition", growth_within_surge, intermediate=True, live=False,
              changes=("ReplicaSet",)),
    Invariant("during a rollout with no fault active, available pods never drop below replicas - maxUnavailable",
              ("D-12", "D-13", "D-4"), "transition", availability_floor_during_rollout, intermediate=True,
              needs=frozenset({"intermediate"})),
    Invariant("a Deployment's revision numbers only grow and a new revision exceeds all others",
              ("D-7", "D-21"), "transition", revisions_only_grow, intermediate=True, changes=("ReplicaSet",)),
    Invariant("a Deployment that observed its spec has a new ReplicaSet whose revision exceeds every old one's",
              ("D-7",), "state", new_revision_is_the_highest, reads=("ReplicaSet", "Deployment")),
    Invariant("rollout undo restores the template of the chosen revision", ("D-21",), "transition",
              undo_restores_the_revision, needs=frozenset({"rollouts"})),
    Invariant("a paused Deployment starts no new rollout", ("D-16",), "transition", paused_starts_no_rollout,
              intermediate=True, changes=("ReplicaSet",)),
    Invariant("after settle, an unpaused Deployment has a ReplicaSet with its pod template", ("D-5", "D-6"),
              "convergence", has_new_replicaset),
    Invariant("after settle, a Deployment whose new ReplicaSet is saturated has no old ReplicaSet with replicas",
              ("D-15", "D-12"), "convergence", saturated_means_old_scaled_down),
    Invariant("after a rollout completes, at most revisionHistoryLimit old ReplicaSets are kept", ("D-20",),
              "convergence", history_is_capped),
    Invariant("after settle, Deployment status and observedGeneration agree with its ReplicaSets",
              ("D-17", "D-18"), "convergence", deployment_status_when_stable),
    Invariant("after settle with no fault active, a Deployment whose pods all fit completes its rollout",
              ("D-10", "D-18", "D-14"), "convergence", rollout_completes_without_faults),
)
