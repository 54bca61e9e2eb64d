"""Invariants of StatefulSets: ordered creation and scale-down, one pod per identity, claims kept
(rules SS-2, SS-3, SS-5, SS-6, SS-13; traps 8, 11 and 19).

The two ordering properties judge single StatefulSet controller turns (a ``Reconcile`` of
``statefulset``): they need an adapter that shows them (``single-step`` and ``intermediate``). The
identity and claim properties judge every step, any adapter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..view import View, controller_uid, diff_kind
from . import Context, Invariant, Step, Verdict
from ._helpers import name_of, ready

__all__ = ["INVARIANTS"]

Obj = Mapping[str, Any]
_ORDINAL = re.compile(r"(.*)-([0-9]+)$")
_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def _ordinal(name: str) -> tuple[str, int]:
    m = _ORDINAL.match(name)
    return (m.group(1), int(m.group(2))) if m is not None and len(m.group(2)) < 10 else ("", -1)


def _set_of(view: View, pod: Obj) -> Obj | None:
    uid = controller_uid(pod)
    owner = view.by_uid(uid) if uid else None
    return owner if owner is not None and owner.get("kind") == "StatefulSet" else None


def _range(sts: Obj) -> tuple[int, int]:
    spec = sts["spec"]
    start = int((spec.get("ordinals") or {}).get("start") or 0)
    return start, start + int(spec.get("replicas", 1))


def _ordered(sts: Obj) -> bool:
    return sts["spec"].get("podManagementPolicy", "OrderedReady") == "OrderedReady"


def _terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def _healthy(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and ready(pod) and not _terminating(pod)


def _sts_turn(step: Step) -> bool:
    ev = step.event
    return type(ev).__name__ == "Reconcile" and getattr(ev, "controller", "") == "statefulset"


def _set_pods(view: View, sts: Obj) -> list[Obj]:
    uid = sts["metadata"]["uid"]
    return [p for p in view.objects("Pod", sts["metadata"]["namespace"]) if controller_uid(p) == uid]


# ---- SS-5: OrderedReady creates pod n only after 0..n-1 are Running and Ready, one per turn ----------
def ordered_creation(step: Step, ctx: Context) -> Verdict:
    if not _sts_turn(step):
        return 0, []
    n, bad = 0, []
    created: dict[str, list[str]] = {}
    for old, new in diff_kind(step.before, step.after, "Pod"):
        if new is None or (old is not None and old["metadata"].get("uid") == new["metadata"].get("uid")):
            continue
        sts = _set_of(step.before, new)
        if sts is None or not _ordered(sts):
            continue
        n += 1
        name = new["metadata"]["name"]
        created.setdefault(sts["metadata"]["uid"], []).append(name)
        _, ordinal = _ordinal(name)
        start, _ = _range(sts)
        ns = sts["metadata"]["namespace"]
        for k in range(start, ordinal):
            pred = step.before.get("Pod", ns, f"{sts['metadata']['name']}-{k}")
            if pred is None or not _healthy(pred):
                what = "missing" if pred is None else (
                    f"phase={(pred.get('status') or {}).get('phase')}, ready={ready(pred)}, "
                    f"terminating={_terminating(pred)}")
                bad.append(f"{ns}/{name} was created while {ns}/{sts['metadata']['name']}-{k} was {what}, but "
                           f"under OrderedReady pod {ordinal} is created only after ordinals {start}..{ordinal - 1} "
                           f"are Running and Ready [{step.event}]")
                break
    for _uid, names in created.items():
        if len(names) > 1:
            bad.append(f"{len(names)} pods ({', '.join(sorted(names))}) were created in one turn, but an "
                       f"OrderedReady StatefulSet creates one pod at a time [{step.event}]")
    return n, bad


# ---- SS-6: OrderedReady scale-down: highest condemned ordinal first, one at a time -------------------
def ordered_scale_down(step: Step, ctx: Context) -> Verdict:
    if not _sts_turn(step):
        return 0, []
    n, bad = 0, []
    removed: dict[str, list[tuple[int, Obj]]] = {}
    sets: dict[str, Obj] = {}
    for old, new in diff_kind(step.before, step.after, "Pod"):
        if old is None or _terminating(old):
            continue
        if new is not None and new["metadata"].get("uid") == old["metadata"].get("uid") and not _terminating(new):
            continue
        sts = _set_of(step.before, old)
        if sts is None or not _ordered(sts) or sts["metadata"].get("deletionTimestamp"):
            continue
        _, ordinal = _ordinal(old["metadata"]["name"])
        start, end = _range(sts)
        if ordinal < 0 or start <= ordinal < end:
            continue  # a replica: replaced (failed, or a rolling update), not condemned
        uid = sts["metadata"]["uid"]
        sets[uid] = sts
        removed.setdefault(uid, []).append((ordinal, old))
    for uid, gone in removed.items():
        sts = sets[uid]
        n += 1
        label = f"{sts['metadata']['namespace']}/{sts['metadata']['name']}"
        pods = _set_pods(step.before, sts)
        if len(gone) > 1:
            bad.append(f"{label} deleted {len(gone)} condemned pods in one turn "
                       f"({', '.join(name_of(p) for _, p in gone)}), but OrderedReady deletes one at a time "
                       f"[{step.event}]")
            continue
        ordinal, pod = gone[0]
        start, end = _range(sts)
        # what upstream waits for (stateful_set_control.go): processReplica stops at a terminating replica,
        # and processCondemned walks the condemned pods from the highest ordinal down and stops at the first
        # terminating one; a lower condemned pod that is terminating (evicted, deleted by hand) is not
        # reached yet, so it does not hold the deletion of a higher one
        waiting = [p for p in pods if _terminating(p) and (
            start <= (o := _ordinal(p["metadata"]["name"])[1]) < end or o > ordinal)]
        if waiting:
            bad.append(f"{label} deleted {name_of(pod)} while {name_of(waiting[0])} was still terminating, but "
                       f"OrderedReady waits for each pod to be gone [{step.event}]")
            continue
        condemned = [o for o in (_ordinal(p["metadata"]["name"])[1] for p in pods) if o >= 0 and not start <= o < end]
        if ordinal != max(condemned):
            bad.append(f"{label} deleted ordinal {ordinal} while ordinal {max(condemned)} was condemned too, "
                       f"but OrderedReady scale-down removes the highest ordinal first [{step.event}]")
    return n, bad


# ---- SS-2, trap 19: never two pods for one identity -----------------------------------------------------
def one_pod_per_identity(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    seen: dict[tuple[str, str], Obj] = {}
    for pod in view.objects("Pod"):
        labels = pod["metadata"].get("labels") or {}
        index = labels.get(_INDEX_LABEL)
        uid = controller_uid(pod)
        if index is None or uid is None:
            continue
        n += 1
        key = (uid, str(index))
        other = seen.get(key)
        if other is not None:
            bad.append(f"{name_of(pod)} and {name_of(other)} both hold ordinal {index} of one StatefulSet, but a "
                       "StatefulSet has at most one pod per identity (a replacement waits for the old pod to be gone)")
        else:
            seen[key] = pod
    return n, bad


# ---- SS-3, SS-13, trap 11: template claims are deleted only as the retention policy says ----------------
def _template_claims(view: View) -> list[tuple[Obj, Obj]]:
    """(claim, set) for every claim named ``<template>-<set>-<ordinal>`` after a live set's template
    (memoised per view: every step asks for its before view's)."""
    return view.memo("sts-template-claims", _find_template_claims)  # type: ignore[no-any-return]


def _find_template_claims(view: View) -> list[tuple[Obj, Obj]]:
    out = []
    for sts in view.objects("StatefulSet"):
        ns = sts["metadata"]["namespace"]
        name = sts["metadata"]["name"]
        for t in sts["spec"].get("volumeClaimTemplates") or ():
            prefix = f"{t['metadata']['name']}-{name}-"
            for claim in view.objects("PersistentVolumeClaim", ns):
                cname = claim["metadata"]["name"]
                if cname.startswith(prefix) and cname[len(prefix):].isdigit():
                    out.append((claim, sts))
    return out


def claims_deleted_only_by_policy(step: Step, ctx: Context) -> Verdict:
    claims = _template_claims(step.before)
    if step.before.version("PersistentVolumeClaim") is step.after.version("PersistentVolumeClaim"):
        return len(claims), []  # every claim is the same object after the step: none was deleted
    n, bad = 0, []
    for claim, sts in claims:
        md = claim["metadata"]
        n += 1
        if _terminating(claim):
            continue
        after = step.after.get("PersistentVolumeClaim", md["namespace"], md["name"])
        if after is not None and after["metadata"].get("uid") == md.get("uid") and not _terminating(after):
            continue
        ns = step.after.get("Namespace", "", md["namespace"])
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            continue  # the namespace goes, and everything in it (NS-2)
        if type(step.event).__name__ == "Delete" and getattr(step.event, "kind", "") == "PersistentVolumeClaim":
            continue  # a user deleted it
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        scaled, deleted = policy.get("whenScaled", "Retain"), policy.get("whenDeleted", "Retain")
        refs = [r for r in md.get("ownerReferences") or () if r.get("kind") in ("Pod", "StatefulSet")]
        if scaled == deleted == "Retain" and not refs:
            bad.append(f"{name_of(claim)} (a claim of {name_of(sts)}) was deleted, but under the Retain policy a "
                       f"StatefulSet's claims are never deleted [{step.event}]")
        elif not refs:
            bad.append(f"{name_of(claim)} was deleted with no owner reference, but a StatefulSet's claims are "
                       f"deleted only through the references its retention policy sets (whenScaled={scaled}, "
                       f"whenDeleted={deleted}) [{step.event}]")
    return n, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("under OrderedReady a StatefulSet creates pod n only while pods start..n-1 exist, Running and Ready, "
              "one pod per turn", ("SS-5",), "transition", ordered_creation, intermediate=True,
              needs=frozenset({"single-step", "intermediate"}), changes=("Pod",)),
    Invariant("under OrderedReady a StatefulSet scales down from the highest ordinal, one pod at a time",
              ("SS-6",), "transition", ordered_scale_down, intermediate=True,
              needs=frozenset({"single-step", "intermediate"}), changes=("Pod",)),
    Invariant("a StatefulSet never has more than one pod per identity (ordinal)", ("SS-2",), "state",
              one_pod_per_identity, intermediate=True, reads=("Pod",)),
    Invariant("a StatefulSet's template claims are never deleted under Retain, and otherwise only through the "
              "owner references its retention policy sets", ("SS-3", "SS-13"), "transition",
              claims_deleted_only_by_policy, intermediate=True, live=False),
)
