"""The garbage collector: ownerReferences, and the Background, Foreground and Orphan policies.

**Mirrors:** ``pkg/controller/garbagecollector/garbagecollector.go`` (attemptToDeleteItem,
classifyReferences, processDeletingDependentsItem, orphanDependents, attemptToOrphanWorker) and
``graph_builder.go`` (processGraphChanges: a vanished owner queues its dependents; an owner with the
``foregroundDeletion`` or ``orphan`` finalizer is processed).
**Modelled:** rules GC-1..GC-5: a dependent is deleted when none of its owners exists any more (by uid);
owners that are gone or that wait for their dependents are removed from a dependent that still has a
live owner; an owner deleted in the foreground keeps its ``foregroundDeletion`` finalizer until no
dependent with ``blockOwnerDeletion`` is left, and its dependents are deleted in the foreground too;
an ``orphan`` finalizer strips the owner's references from every dependent and then releases the owner;
dependency cycles do not block collection.
**Not modelled (and why):** the cross-namespace owner reference event (``OwnerRefInvalidNamespace``):
such references are treated as dangling, which is what upstream ends up doing; the dependency graph is
the state's owner index rather than a separate cache.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from ..frozen import FrozenDict, with_
from ..state import ClusterState, Ref
from . import Controller, delete, register, update

__all__ = ["classify_references"]

NAME = "garbagecollector"
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _ref_key(ref: Ref) -> str:
    return "/".join(ref)


def _parse(key: str) -> Ref:
    kind, ns, name = key.split("/", 2)
    return kind, ns, name


def _dependents(state: ClusterState, uid: str) -> list[Ref]:
    """The dependents of ``uid`` in one fixed order (kind, namespace, name): the owner index is a hash map,
    and the order of the collector's writes must not depend on the string-hash seed."""
    return sorted(state.dependents(uid))


def classify_references(state: ClusterState, obj: Mapping[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """(solid, dangling, waitingForDependentsDeletion) owner references (classifyReferences)."""
    solid, dangling, waiting = [], [], []
    ns = obj["metadata"].get("namespace", "")
    for ref in obj["metadata"].get("ownerReferences") or ():
        owner = state.by_uid_get(ref.get("uid", ""))
        # isDangling: the owner is looked up in the dependent's namespace (or cluster scope)
        if (owner is None or owner["kind"] != ref.get("kind") or owner["metadata"]["name"] != ref.get("name")
                or owner["metadata"].get("namespace", "") not in ("", ns)):
            dangling.append(ref)
            continue
        md = owner["metadata"]
        if md.get("deletionTimestamp") and FOREGROUND in (md.get("finalizers") or ()):
            waiting.append(ref)
        else:
            solid.append(ref)
    return solid, dangling, waiting


def sync(state: ClusterState, key: str) -> ClusterState:
    ref = _parse(key)
    obj = state.get_ref(ref)
    if obj is None:
        return state
    md = obj["metadata"]
    finalizers = md.get("finalizers") or ()
    if md.get("deletionTimestamp"):
        if ORPHAN in finalizers:
            return _orphan_dependents(state, obj)
        if FOREGROUND in finalizers:
            return _process_deleting_dependents(state, obj)
        return state
    if not md.get("ownerReferences"):
        return state
    return _attempt_to_delete(state, obj)


def _attempt_to_delete(state: ClusterState, obj: FrozenDict) -> ClusterState:
    solid, dangling, waiting = classify_references(state, obj)
    md = obj["metadata"]
    kind, ns, name = obj["kind"], md.get("namespace", ""), md["name"]
    if solid:
        if not dangling and not waiting:
            return state
        drop = {r["uid"] for r in (*dangling, *waiting)}
        refs = tuple(r for r in md["ownerReferences"] if r["uid"] not in drop)
        return update(state, NAME, with_(obj, metadata=with_(md, ownerReferences=refs or None)))[0]
    if waiting and _dependents(state, md["uid"]):
        # an owner waits for us and we have dependents of our own: delete in the foreground too; if one
        # of those dependents is itself deleting its dependents, this may be a cycle: first make our
        # owner references non-blocking (unblockOwnerReferencesStrategicMergePatch)
        for dep_ref in _dependents(state, md["uid"]):
            dep = state.get_ref(dep_ref)
            if dep is not None and dep["metadata"].get("deletionTimestamp") and FOREGROUND in (
                    dep["metadata"].get("finalizers") or ()):
                refs = tuple(with_(r, blockOwnerDeletion=False) if r.get("blockOwnerDeletion") else r
                             for r in md["ownerReferences"])
                state = update(state, NAME, with_(obj, metadata=with_(md, ownerReferences=refs)))[0]
                break
        return delete(state, NAME, kind, ns, name, "Foreground")[0]
    policy = None
    fins = md.get("finalizers") or ()
    if ORPHAN in fins:
        policy = "Orphan"
    elif FOREGROUND in fins:
        policy = "Foreground"
    else:
        policy = "Background"
    return delete(state, NAME, kind, ns, name, policy)[0]


def _orphan_dependents(state: ClusterState, owner: FrozenDict) -> ClusterState:
    uid = owner["metadata"]["uid"]
    for dep_ref in _dependents(state, uid):
        dep = state.get_ref(dep_ref)
        if dep is None:
            continue
        refs = tuple(r for r in dep["metadata"].get("ownerReferences") or () if r.get("uid") != uid)
        state = update(state, NAME, with_(dep, metadata=with_(dep["metadata"], ownerReferences=refs or None)))[0]
    owner = state.get(owner["kind"], owner["metadata"].get("namespace", ""), owner["metadata"]["name"]) or owner
    fins = tuple(f for f in owner["metadata"].get("finalizers") or () if f != ORPHAN)
    return update(state, NAME, with_(owner, metadata=with_(owner["metadata"], finalizers=fins or None)))[0]


def _process_deleting_dependents(state: ClusterState, owner: FrozenDict) -> ClusterState:
    uid = owner["metadata"]["uid"]
    blocking = False
    for dep_ref in _dependents(state, uid):
        dep = state.get_ref(dep_ref)
        if dep is None:
            continue
        ref = next((r for r in dep["metadata"].get("ownerReferences") or () if r.get("uid") == uid), None)
        if ref is None:
            continue
        if ref.get("blockOwnerDeletion"):
            blocking = True
        if not dep["metadata"].get("deletionTimestamp"):
            state = state.enqueue(NAME, _ref_key(dep_ref))
    if blocking:
        return state
    fins = tuple(f for f in owner["metadata"].get("finalizers") or () if f != FOREGROUND)
    return update(state, NAME, with_(owner, metadata=with_(owner["metadata"], finalizers=fins or None)))[0]


def _keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    keys: list[str] = []
    if new is None and old is not None:
        # the owner vanished: its dependents must be looked at
        keys.extend(_ref_key(r) for r in _dependents(state, old["metadata"]["uid"]))
        # a dependent that vanished may unblock an owner waiting in the foreground
        for r in old["metadata"].get("ownerReferences") or ():
            owner = state.by_uid_get(r.get("uid", ""))
            if owner is not None and owner["metadata"].get("deletionTimestamp"):
                keys.append(_ref_key((owner["kind"], owner["metadata"].get("namespace", ""), owner["metadata"]["name"])))
        return keys
    if new is None:
        return keys
    md = new["metadata"]
    if old is not None and not md.get("deletionTimestamp") and md.get("ownerReferences") is old["metadata"].get(
            "ownerReferences"):
        return keys  # the common update: neither being deleted nor re-owned
    ref = (new["kind"], md.get("namespace", ""), md["name"])
    fins = md.get("finalizers") or ()
    if md.get("deletionTimestamp") and (FOREGROUND in fins or ORPHAN in fins):
        if old is None or old["metadata"].get("finalizers") != fins or not old["metadata"].get("deletionTimestamp"):
            keys.append(_ref_key(ref))
    refs = md.get("ownerReferences")
    if refs and (old is None or old["metadata"].get("ownerReferences") != refs) and _owner_elsewhere(state, refs, ref[1]):
        keys.append(_ref_key(ref))
    # a dependent being deleted may unblock a foreground owner
    if md.get("deletionTimestamp") and refs and (old is None or not old["metadata"].get("deletionTimestamp")):
        for r in refs:
            owner = state.by_uid_get(r.get("uid", ""))
            if owner is not None and owner["metadata"].get("deletionTimestamp"):
                keys.append(_ref_key((owner["kind"], owner["metadata"].get("namespace", ""), owner["metadata"]["name"])))
    return keys


def _owner_elsewhere(state: ClusterState, refs: Any, namespace: str) -> bool:
    """Whether an owner ``refs`` name is missing, or in a namespace other than ``namespace`` (nor
    cluster-scoped). Memoised for the last question asked, by identity of the references and of the uid
    index (which says where every object is; held weakly, so the memo keeps no cluster alive): a
    controller's burst of creates asks it of every new dependent, in one state."""
    memo = _ELSEWHERE
    if memo[1] is refs and memo[2] == namespace and memo[0]() is state.by_uid:
        return bool(memo[3])
    elsewhere = False
    for r in refs:
        owner = state.by_uid_get(r.get("uid", ""))
        if owner is None or owner["metadata"].get("namespace", "") not in ("", namespace):
            elsewhere = True
            break
    memo[:] = [weakref.ref(state.by_uid), refs, namespace, elsewhere]
    return elsewhere


_ELSEWHERE: list[Any] = [lambda: None, None, None, False]  # (uid index, weakly; refs, namespace, answer)


def _register() -> None:
    from ..resources import REGISTRY

    register(Controller(NAME, sync, {kind: _keys for kind in REGISTRY}, status_blind=frozenset(REGISTRY)))


_register()
