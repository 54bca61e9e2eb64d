"""Direct effects of a request: what an accepted request must have stored, judged with no oracle.

Each check reads the request, the adapter's answer and the views before and after; none asks the
reference model what the answer should have been, so a system under test whose effects are wrong but
self-consistent (scale lands one higher; an apply keeps the old image; deletes orphan instead of
cascading) fails here even when the differential comparison is off (a real cluster).

The ids these invariants cite are in :mod:`conformance.catalogue`; their upstream sources:

* API-6 the scale subresource sets ``spec.replicas`` to ``scale.spec.replicas``
  (``pkg/registry/apps/deployment/storage/storage.go`` and ``pkg/registry/apps/replicaset/storage/
  storage.go``: ScaleREST.Update, scaleUpdatedObjectInfo.UpdatedObject copies ``Spec.Replicas``);
* API-7 an accepted apply stores the fields of the manifest, after the kind's defaulting
  (``staging/src/k8s.io/kubectl/pkg/cmd/apply/patcher.go`` Patch: a three-way strategic merge whose
  result holds every field of the new manifest; ``pkg/apis/apps/v1/defaults.go`` SetDefaults_Deployment,
  ``pkg/apis/core/v1/defaults.go`` SetDefaults_Pod run on the decoded object before it is stored). One
  exception: a name that the previous applied configuration (the ``kubectl.kubernetes.io/last-applied-
  configuration`` annotation kubectl reads from the live object) repeated in a list merged by name may be
  gone, because the three-way patch walks both configurations sorted by name (``staging/src/k8s.io/
  apimachinery/pkg/util/strategicpatch/patch.go`` diffListsOfMaps), takes the repeat for an item the new
  manifest removed and sends a delete directive that removes every item of that name
  (kubernetes/kubernetes#58477, open; kubernetes/kubectl#1750);
* API-8 an accepted DELETE removes the object or marks it (deletionTimestamp) for graceful deletion or
  for its finalizers (``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go`` Delete,
  updateForGracefulDeletionAndFinalizers);
* GC-2, GC-3 Background and Foreground deletion delete the dependents unless another owner of theirs
  is alive (``pkg/controller/garbagecollector/garbagecollector.go`` attemptToDeleteItem,
  classifyReferences); Orphan is judged by ``orphaned_dependents_survive`` in :mod:`.gc`.

**Not modelled (and why):** the apply check judges only the fields the manifest itself carries (values
the server adds and fields a previous apply set are someone else's); lists are compared element by
element with the manifest's own keys, as strategic merge keeps the manifest's order for the lists of the
modelled kinds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence, Set
from typing import Any

from refmodel.frozen import thaw

from ..view import View
from . import Context, Invariant, Step, Verdict
from ._helpers import name_of
from .gc import _node_is_ready, _waits_for_failed_node

__all__ = ["INVARIANTS"]

Obj = Mapping[str, Any]
_CLUSTER_SCOPED = ("Namespace", "Node")
_OWNER_KINDS = ("Deployment", "ReplicaSet")
_DEPENDENT_KINDS = ("ReplicaSet", "Pod")


def _ns(kind: str, namespace: str | None) -> str:
    return "" if kind in _CLUSTER_SCOPED else (namespace or "default")


def _accepted(step: Step, event_type: str) -> bool:
    return (not step.in_settle and type(step.event).__name__ == event_type and step.outcome is not None
            and step.outcome.status == "ok")


# ---- scale ------------------------------------------------------------------------------------
def scale_sets_replicas(step: Step, ctx: Context) -> Verdict:
    """API-6: after an accepted scale, ``spec.replicas`` is the number asked for (in the stored object
    and in the answer, when the adapter returns one)."""
    if not _accepted(step, "Scale"):
        return 0, []
    ev = step.event
    want = ev.replicas
    bad = []
    stored = step.after.get(ev.kind, _ns(ev.kind, ev.namespace), ev.name)
    answer = step.outcome.obj if step.outcome is not None else None
    for what, obj in (("stored", stored), ("returned", answer)):
        if not isinstance(obj, Mapping) or not isinstance(obj.get("spec"), Mapping):
            continue
        got = obj["spec"].get("replicas")
        if got != want:
            bad.append(f"{name_of(obj)}: {what} spec.replicas={got} after an accepted scale, but should be "
                       f"{want}, the number asked for [after {ev}]")
            break
    return 1, bad


# ---- apply ------------------------------------------------------------------------------------
class _Defaulted:
    """The manifest after its kind's defaulting, computed only when a stored value differs from the
    manifest's own (defaulting fills fields in and normalises few values, so that is rare)."""

    def __init__(self, manifest: Obj) -> None:
        self.manifest = manifest
        self._value: Any = None

    def at(self, path: tuple[str | int, ...]) -> Any:
        if self._value is None:
            from refmodel.resources import REGISTRY

            self._value = thaw(self.manifest)
            info = REGISTRY.get(str(self._value.get("kind", "")))
            if info is not None:
                info.default(self._value)
        v = self._value
        for k in path:
            v = v[k]
        return v


def _label(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".") or "(object)"


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
Named = tuple[Any, ...]  # a path whose list items are named by their ``name`` (positional lists: their index)


def _repeated_names(config: Any, named: Named = ()) -> set[tuple[Named, Any]]:
    """``(named path of a list merged by name, name)`` for every name such a list of ``config`` repeats."""
    out: set[tuple[Named, Any]] = set()
    if isinstance(config, Mapping):
        for k, v in config.items():
            out |= _repeated_names(v, (*named, k))
    elif isinstance(config, Sequence) and not isinstance(config, str):
        seen: set[Any] = set()
        by_name = bool(config) and all(isinstance(m, Mapping) and isinstance(m.get("name"), str) for m in config)
        for i, m in enumerate(config):
            if by_name:
                if m["name"] in seen:
                    out.add((named, m["name"]))
                seen.add(m["name"])
            out |= _repeated_names(m, (*named, m["name"] if by_name else i))
    return out


def _previous_repeats(before: Obj | None) -> set[tuple[Named, Any]]:
    """The names the previous applied configuration of ``before`` repeated (none if it has none or it is not
    JSON: kubectl then makes a two-way patch)."""
    text = (((before or {}).get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not isinstance(text, str):
        return set()
    try:
        return _repeated_names(json.loads(text))
    except ValueError:
        return set()


def _first_mismatch(path: tuple[str | int, ...], mine: Any, got: Any, defaulted: _Defaulted,
                    repeats: Set[tuple[Named, Any]] = frozenset(), named: Named = ()) -> str | None:
    """Where ``got`` (stored) differs from the manifest, defaulted, on the manifest's own keys. ``repeats``:
    the names the previous applied configuration repeated (:func:`_repeated_names`), which may be gone."""
    if got is mine or got == mine:  # the whole subtree as sent (one comparison of the frozen values)
        return None
    if isinstance(mine, Mapping):
        if not isinstance(got, Mapping):
            return f"{_label(path)} is {got!r}"
        for k, v in mine.items():
            if not path and k == "status":
                continue  # apply does not write status (the status subresource does)
            hit = _first_mismatch((*path, k), v, got.get(k), defaulted, repeats, (*named, k))
            if hit:
                return hit
        return None
    if isinstance(mine, Sequence) and not isinstance(mine, str):
        if mine and all(isinstance(m, Mapping) and "name" in m for m in mine) and isinstance(got, Sequence):
            # a list merged by name (containers, env, volumes): the three-way strategic merge keeps the
            # items others added that the last applied manifest did not have (a rollout undo restores them).
            # Some such lists merge on another key (volumeMounts on mountPath) and may repeat a name: an item
            # is stored when some stored item of its name carries it
            by_name: dict[Any, list[Any]] = {}
            for g in got:
                if isinstance(g, Mapping):
                    by_name.setdefault(g.get("name"), []).append(g)
            for i, m in enumerate(mine):
                if m["name"] not in by_name:
                    if (named, m["name"]) in repeats:
                        continue  # deleted by the three-way patch (kubernetes/kubernetes#58477): see the header
                    return f"{_label((*path, i))} (name {m['name']!r}) is missing"
                hits = [_first_mismatch((*path, i), m, g, defaulted, repeats, (*named, m["name"]))
                        for g in by_name[m["name"]]]
                if None not in hits:
                    return hits[0]
            return None
        if not isinstance(got, Sequence) or isinstance(got, str) or len(got) != len(mine):
            return f"{_label(path)} is {thaw(got)!r}, but the manifest has {len(mine)} item(s) there"
        for i, (m, g) in enumerate(zip(mine, got)):
            hit = _first_mismatch((*path, i), m, g, defaulted, repeats, (*named, i))
            if hit:
                return hit
        return None
    if got == mine:
        return None
    want = defaulted.at(path)
    if got != want:
        return f"{_label(path)}={got!r}, but the manifest (defaulted) has {want!r}"
    return None


def apply_stores_the_manifest(step: Step, ctx: Context) -> Verdict:
    """API-7: every field an accepted apply's manifest carries is stored as sent, after defaulting."""
    if not _accepted(step, "Apply"):
        return 0, []
    manifest = step.event.obj
    md = manifest.get("metadata") or {}
    kind = str(manifest.get("kind", ""))
    if not md.get("name"):
        return 0, []  # generateName: the stored name is the server's choice
    stored = step.after.get(kind, _ns(kind, md.get("namespace")), md["name"])
    if stored is None:
        return 0, []  # already gone again (a real cluster's controllers run concurrently)
    if kind == "Secret" and "stringData" in manifest:  # write-only, merged into data (CM-7)
        manifest = {k: v for k, v in manifest.items() if k != "stringData"}
    before = step.before.get(kind, _ns(kind, md.get("namespace")), md["name"])
    hit = _first_mismatch((), manifest, stored, _Defaulted(manifest), _previous_repeats(before))
    if hit is None:
        return 1, []
    return 1, [f"{name_of(stored)}: {hit}; an accepted apply stores the fields of its manifest [after {step.event}]"]


# ---- delete -----------------------------------------------------------------------------------
def _dependents(view: View, uid: str) -> tuple[str, ...]:
    return tuple(o["metadata"]["uid"] for kind in _DEPENDENT_KINDS for o in view.objects(kind)
                 if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or ()))


def delete_marks_or_removes(step: Step, ctx: Context) -> Verdict:
    """API-8: after an accepted delete the object is gone or carries a deletionTimestamp. Also notes the
    dependents of a Background or Foreground delete, for :func:`cascaded_dependents_are_deleted`."""
    if not _accepted(step, "Delete"):
        return 0, []
    ev = step.event
    ns = _ns(ev.kind, ev.namespace)
    obj = step.before.get(ev.kind, ns, ev.name)
    if obj is None:
        return 0, []
    uid = obj["metadata"]["uid"]
    policy = ev.propagation or "Background"
    if ev.kind in _OWNER_KINDS:
        if policy == "Orphan":
            ctx.cascades.pop(uid, None)
        elif uid not in ctx.cascades:
            # a re-delete of an Orphan deletion in progress swaps the GC finalizer (registry/store.go
            # deletionFinalizersForGarbageCollection): the dependents it still has then go
            ctx.cascades[uid] = (name_of(obj), policy, _dependents(step.before, uid))
    after = step.after.by_uid(uid)
    if after is not None and not after["metadata"].get("deletionTimestamp"):
        return 1, [f"{name_of(obj)} is still there with no deletionTimestamp after an accepted delete, but it "
                   f"should be gone or marked for deletion [after {ev}]"]
    return 1, []


def cascaded_dependents_are_deleted(view: View, ctx: Context) -> Verdict:
    """GC-2, GC-3: after settle, the dependents an owner had when it was deleted with propagationPolicy
    Background or Foreground are gone, unless another owner of theirs is alive or a pod on a failed node
    holds them (NODE-4)."""
    if not ctx.settled or not ctx.cascades:
        return 0, []
    n, bad = 0, []
    stuck = {p["metadata"]["uid"]: p for p in view.objects("Pod")
             if p["spec"].get("nodeName") and not _node_is_ready(view, p["spec"]["nodeName"])}
    for owner_uid, (owner, policy, deps) in list(ctx.cascades.items()):
        left = []
        for uid in deps:
            dep = view.by_uid(uid)
            n += 1
            if dep is None:
                continue
            left.append(uid)
            others = [r for r in dep["metadata"].get("ownerReferences") or ()
                      if r.get("uid") != owner_uid and view.by_uid(r.get("uid", "")) is not None]
            if others or (dep["metadata"].get("deletionTimestamp") and _waits_for_failed_node(view, dep, stuck)):
                continue
            refs = [f"{r.get('kind')}/{r.get('name')}" for r in dep["metadata"].get("ownerReferences") or ()]
            bad.append(f"{name_of(dep)} still exists after settle (ownerReferences={refs or 'none'}), but its "
                       f"owner {owner} was deleted with propagationPolicy={policy}, so it should be deleted")
        if left:
            ctx.cascades[owner_uid] = (owner, policy, tuple(left))
        else:
            del ctx.cascades[owner_uid]
    return n, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("after an accepted scale, spec.replicas is the number asked for", ("API-6",), "transition",
              scale_sets_replicas),
    Invariant("after an accepted apply, the object stores every field of its manifest (defaulted)",
              ("API-7", "D-1"), "transition", apply_stores_the_manifest),
    Invariant("after an accepted delete, the object is gone or marked for deletion", ("API-8", "P-8", "GC-2"),
              "transition", delete_marks_or_removes),
    Invariant("after settle, the dependents of an owner deleted in the background or foreground are gone",
              ("GC-2", "GC-3"), "convergence", cascaded_dependents_are_deleted),
)
