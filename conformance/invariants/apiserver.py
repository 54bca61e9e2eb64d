"""Invariants of the API server: versions, generations, rejected writes, names, deletion (the
differential oracle, the adapter against the harness's model, is :mod:`conformance.invariants.differential`).

Upstream sources for the ``API-*`` ids (their catalogue entries are in :mod:`conformance.catalogue`):

* API-1 resourceVersion: every write stores a new, larger etcd revision
  (``staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go`` GuaranteedUpdate; the value is opaque to
  clients but monotonic per object; compared here as integers, as etcd revisions are);
* API-2 generation: ``metadata.generation`` is bumped by the registry strategies exactly when the spec
  changes (``pkg/registry/apps/deployment/strategy.go`` and ``replicaset/strategy.go``
  PrepareForUpdate: ``if !apiequality.Semantic.DeepEqual(newX.Spec, oldX.Spec) { Generation++ }``),
  and once more when the object is first marked for deletion (``registry/rest/delete.go`` BeforeDelete,
  ``registry/generic/registry/store.go`` markAsDeleting);
* API-3 a rejected request stores nothing (``registry/generic/registry/store.go`` Create/Update
  validate before writing);
* API-4 graceful deletion only ever moves forward: a set deletionTimestamp is never cleared
  (``registry/rest/delete.go`` BeforeDelete).
* API-5 a name is unique per kind and namespace, a uid per cluster (``registry/generic/registry/store.go``
  Create answers AlreadyExists; ``registry/rest/meta.go`` FillObjectMetaSystemFields assigns the uid).
"""

from __future__ import annotations

from typing import Any

from ..view import View, diff_kind
from . import Context, Invariant, Step, Verdict
from ._helpers import name_of

__all__ = ["INVARIANTS", "TRACKED"]

TRACKED: tuple[str, ...] = ("Namespace", "Node", "Pod", "ReplicaSet", "Deployment")
_GENERATION_KINDS: tuple[str, ...] = ("ReplicaSet", "Deployment", "StatefulSet")


def _rv(obj: object) -> int:
    try:
        return int(obj["metadata"].get("resourceVersion") or 0)  # type: ignore[index]
    except (TypeError, ValueError):
        return 0


def resource_version_only_grows(step: Step, ctx: Context) -> Verdict:
    n, bad = 0, []
    for kind in TRACKED:
        for old, new in diff_kind(step.before, step.after, kind):
            if old is None or new is None or old["metadata"].get("uid") != new["metadata"].get("uid"):
                continue
            n += 1
            if _rv(new) <= _rv(old):
                bad.append(f"{name_of(new)}: resourceVersion={_rv(new)} after a change, but should be greater "
                           f"than {_rv(old)} [after {step.event}]")
    return n, bad


def generation_changes_iff_spec_does(step: Step, ctx: Context) -> Verdict:
    n, bad = 0, []
    for kind in _GENERATION_KINDS:
        for old, new in diff_kind(step.before, step.after, kind):
            if old is None or new is None or old["metadata"].get("uid") != new["metadata"].get("uid"):
                continue
            n += 1
            g0, g1 = old["metadata"].get("generation", 0), new["metadata"].get("generation", 0)
            # the first deletion mark bumps generation too (registry/rest/delete.go BeforeDelete,
            # generic/registry/store.go markAsDeleting): controllers must notice it
            spec_changed = old.get("spec") != new.get("spec") or (
                bool(new["metadata"].get("deletionTimestamp")) and not old["metadata"].get("deletionTimestamp"))
            if spec_changed and g1 <= g0:
                bad.append(f"{name_of(new)}: generation={g1} after a spec change, but should be greater than "
                           f"{g0} [after {step.event}]")
            elif not spec_changed and g1 != g0:
                bad.append(f"{name_of(new)}: generation={g1} with an unchanged spec, but should stay {g0} "
                           f"[after {step.event}]")
    return n, bad


def rejected_write_changes_nothing(step: Step, ctx: Context) -> Verdict:
    if step.in_settle or step.outcome is None or step.outcome.status != "rejected":
        return 0, []
    whole = "single-step" in ctx.capabilities  # nothing else runs between two requests
    live = "virtual-time" not in ctx.capabilities  # the cluster's controllers run while the request is made
    target = _target(step.event)
    bad = []
    for kind in TRACKED:
        for old, new in diff_kind(step.before, step.after, kind):
            obj = new if new is not None else old
            assert obj is not None
            if not whole and (kind, obj["metadata"].get("namespace") or "", obj["metadata"]["name"]) != target:
                continue
            if live and old is not None and (old["metadata"].get("deletionTimestamp") if new is None
                                              else _users_part(old) == _users_part(new)):
                continue  # meanwhile a controller wrote its status (its owner's, its spec) or ended its deletion
            what = "appeared" if old is None else "disappeared" if new is None else "changed"
            bad.append(f"{name_of(obj)} {what}, but a rejected request ({step.outcome.reason}) must change "
                       f"nothing [after {step.event}]")
    return 1, bad


def _users_part(obj: object) -> object:
    """What only a user's request writes, on a cluster whose controllers keep running: the spec (but
    the node a pod is bound to, the volume a claim is bound to) and the labels; nothing of an object
    another controller owns (its owner's controller writes its spec)."""
    md = obj["metadata"]  # type: ignore[index]
    if any(r.get("controller") for r in md.get("ownerReferences") or ()):
        return None
    spec = {k: v for k, v in (obj.get("spec") or {}).items() if k not in ("nodeName", "volumeName")}  # type: ignore[attr-defined]
    return spec, md.get("labels")


def _target(event: object) -> tuple[str, str, str] | None:
    kind = getattr(event, "kind", None)
    name = getattr(event, "name", None)
    if kind and name:
        return kind, getattr(event, "namespace", "") or "", name
    obj = getattr(event, "obj", None)
    if obj is not None:
        md = obj.get("metadata") or {}
        return obj.get("kind", ""), md.get("namespace") or ("default" if obj.get("kind") != "Namespace" else ""), \
            md.get("name", "")
    return None


def invalid_manifests_are_rejected(step: Step, ctx: Context) -> Verdict:
    field = ctx.expect_rejection
    if field is None or step.in_settle or step.outcome is None or step.outcome.status == "unknown":
        return 0, []
    got = step.outcome
    if got.status != "rejected":
        return 1, [f"an invalid manifest was accepted, but it must be rejected naming {field} [{step.event}]"]
    if got.field != field and field not in got.message:
        return 1, [f"an invalid manifest was rejected naming {got.field or '(no field)'} ({got.message[:160]}), "
                   f"but the rejection must name {field}"]
    return 1, []


def names_and_uids_are_unique(view: View, ctx: Context) -> Verdict:
    n, bad = 0, []
    for kind, ns, name in view.duplicates:
        bad.append(f"{kind}/{ns}/{name} is reported more than once, but names are unique per kind and namespace")
    seen: dict[str, Any] = {}  # uid -> the object that has it (named only in a violation)
    for kind in TRACKED:
        for o in view.objects(kind):
            n += 1
            uid = o["metadata"].get("uid")
            if not uid:
                bad.append(f"{name_of(o)} has no uid, but every stored object has one")
            elif uid in seen:
                bad.append(f"{name_of(o)} has uid {uid}, but so has {name_of(seen[uid])}; uids are unique in a "
                           "cluster")
            else:
                seen[uid] = o
    return n, bad


def terminating_objects_stay_terminating(step: Step, ctx: Context) -> Verdict:
    n, bad = 0, []
    for kind in TRACKED:
        for old, new in diff_kind(step.before, step.after, kind):
            if old is None or new is None or not old["metadata"].get("deletionTimestamp"):
                continue
            if old["metadata"].get("uid") != new["metadata"].get("uid"):
                continue
            n += 1
            if not new["metadata"].get("deletionTimestamp"):
                bad.append(f"{name_of(new)}: deletionTimestamp cleared, but a deletion never goes back "
                           f"[after {step.event}]")
    return n, bad


def cluster_settles(view: View, ctx: Context) -> Verdict:
    if ctx.settled:
        return 1, []
    return 1, ["the cluster did not settle: controllers kept writing or essential timers kept firing, "
               "but every controller must go quiet once its objects match their spec"]


_STABLE_KINDS = ("Deployment", "ReplicaSet", "Namespace", "Node")


def _pod_essentials(p: object) -> object:
    md = p["metadata"]  # type: ignore[index]
    st = p.get("status") or {}  # type: ignore[attr-defined]
    return (md.get("uid"), md.get("deletionTimestamp"), md.get("labels"), md.get("ownerReferences"),
            p["spec"], st.get("phase"),  # type: ignore[index]
            tuple((c.get("type"), c.get("status")) for c in st.get("conditions") or ()))


def stays_settled(view: View, ctx: Context) -> Verdict:
    later = ctx.later
    if later is None or not ctx.settled:
        return 0, []
    bad = []
    for kind in _STABLE_KINDS:
        for old, new in diff_kind(view, later, kind):
            obj = new if new is not None else old
            assert obj is not None
            bad.append(f"{name_of(obj)} changed while an hour passed with no requests after settle, but a "
                       "settled cluster stays as it is")
            break
    pods_then = {p["metadata"].get("uid"): _pod_essentials(p) for p in view.objects("Pod")}
    for p in later.objects("Pod"):
        if pods_then.pop(p["metadata"].get("uid"), None) != _pod_essentials(p):
            bad.append(f"{name_of(p)} appeared or changed (beyond container back-off) while an hour passed with "
                       "no requests after settle, but a settled cluster stays as it is")
            break
    if pods_then and not bad:
        bad.append(f"{len(pods_then)} pod(s) vanished while an hour passed with no requests after settle")
    return 1, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("the cluster settles: controllers stop writing and essential timers run out",
              ("RS-1", "D-10", "NODE-1"), "convergence", cluster_settles),
    Invariant("after settle, an hour with no requests changes nothing but container back-off",
              ("RS-1", "D-10", "P-3"), "convergence", stays_settled, needs=frozenset({"virtual-time"})),
    Invariant("resourceVersion only grows", ("API-1",), "transition", resource_version_only_grows,
              intermediate=True, changes=TRACKED),
    Invariant("generation changes if and only if the spec does", ("API-2", "RS-4", "D-18"), "transition",
              generation_changes_iff_spec_does, intermediate=True, changes=_GENERATION_KINDS),
    Invariant("a rejected write changes nothing", ("API-3",), "transition", rejected_write_changes_nothing),
    Invariant("a manifest that breaks a validation rule is rejected, naming the field",
              ("D-2", "L-5", "N-1", "N-2", "N-6", "P-4"), "transition", invalid_manifests_are_rejected),
    Invariant("names are unique per kind and namespace, and uids are unique", ("API-5", "NS-3"), "state",
              names_and_uids_are_unique, reads=TRACKED),
    Invariant("a deletionTimestamp, once set, is never cleared", ("API-4", "P-8", "GC-2"), "transition",
              terminating_objects_stay_terminating, intermediate=True, changes=TRACKED),
)
