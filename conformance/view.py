"""Read-only views of a cluster, the input of every invariant.

Invariants read objects through a :class:`View`; they never care whether it wraps the model's
immutable state (:class:`StateView`, zero copies: objects are the model's frozen dicts), the list an
adapter's ``observe()`` returned (:class:`ListView`) or the objects a watch kept up to date
(:class:`WatchView`). Whatever an adapter reports is normalised to the model's representation
(:func:`refmodel.frozen.freeze`: mappings are ``FrozenDict``, lists are tuples), so objects compare
equal across views. ``version(kind)`` is a token that is the same object while nothing of that kind
changed, so checks can skip work (the model's persistent maps, and a watch's per-kind copy on
write, make this free).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from refmodel.frozen import FrozenDict, freeze
from refmodel.state import ClusterState

__all__ = ["ListView", "StateView", "View", "WatchView", "changed_kinds", "controller_uid", "diff_kind", "freeze_plain",
           "index", "view_of"]

Obj = Mapping[str, Any]


class View(Protocol):
    now: int  # epoch seconds of the observed cluster's clock
    duplicates: list[tuple[str, str, str]]  # (kind, namespace, name) reported more than once

    def objects(self, kind: str, namespace: str | None = None) -> Iterable[Obj]: ...

    def get(self, kind: str, namespace: str, name: str) -> Obj | None: ...

    def by_uid(self, uid: str) -> Obj | None: ...

    def version(self, kind: str) -> object: ...

    def versions(self) -> Mapping[str, object]: ...

    def memo(self, key: str, build: Callable[[View], Any]) -> Any: ...


class _Memo:
    __slots__ = ("_memo",)

    def __init__(self) -> None:
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, build: Callable[[Any], Any]) -> Any:
        hit = self._memo.get(key, _MISSING)
        if hit is _MISSING:
            hit = self._memo[key] = build(self)
        return hit


_MISSING = object()


class StateView(_Memo):
    """A view of the reference model's state."""

    __slots__ = ("duplicates", "now", "state")

    def __init__(self, state: ClusterState) -> None:
        super().__init__()
        self.state = state
        self.duplicates: list[tuple[str, str, str]] = []  # a map cannot hold two objects under one key
        self.now = state.config.start_time + state.now

    def objects(self, kind: str, namespace: str | None = None) -> Iterator[Obj]:
        return self.state.iter_kind(kind, namespace)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self.state.get(kind, namespace, name)

    def by_uid(self, uid: str) -> Obj | None:
        return self.state.by_uid_get(uid)

    def version(self, kind: str) -> object:
        return self.state.objects.get(kind)

    def versions(self) -> Mapping[str, object]:
        return self.state.objects  # type: ignore[return-value]


Key = tuple[str, str]  # (namespace, name)


class _ByKind(_Memo):
    """A view held as plain maps, kind -> (namespace, name) -> object: the reads :class:`ListView` and
    :class:`WatchView` share."""

    __slots__ = ("_by_kind",)
    _by_kind: dict[str, dict[Key, Obj]]

    def objects(self, kind: str, namespace: str | None = None) -> Iterator[Obj]:
        objs = self._by_kind.get(kind) or {}
        if namespace is None:
            return iter(objs.values())
        return (o for (ns, _), o in objs.items() if ns == namespace)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return (self._by_kind.get(kind) or {}).get((namespace, name))

    def version(self, kind: str) -> object:
        return self._by_kind.get(kind)

    def versions(self) -> Mapping[str, object]:
        return self._by_kind


class ListView(_ByKind):
    """A view of the objects an adapter reported (normalised with ``freeze``)."""

    __slots__ = ("_uids", "duplicates", "now")

    def __init__(self, objects: Iterable[Obj], now: int | None = None) -> None:
        super().__init__()
        self._by_kind = {}
        self._uids: dict[str, Obj] = {}
        self.now = int(time.time()) if now is None else now
        self.duplicates: list[tuple[str, str, str]] = []
        for obj in map(freeze_plain, objects):
            md = obj.get("metadata") or {}
            key = (md.get("namespace", "") or "", md.get("name", ""))
            bucket = self._by_kind.setdefault(obj.get("kind", ""), {})
            if key in bucket:
                self.duplicates.append((obj.get("kind", ""), *key))
            bucket[key] = obj
            uid = md.get("uid")
            if uid:
                self._uids[uid] = obj

    def by_uid(self, uid: str) -> Obj | None:
        return self._uids.get(uid)


_NO_KINDS: frozenset[str] = frozenset()


class WatchView(_ByKind):
    """A view kept up to date from an adapter's ``changes`` (capability ``watch``).

    Each new view shares the per-kind maps of kinds that did not change with the view before it and
    records what changed (``changed``), so diffs and cached checks cost O(what changed). ``kinds`` is the
    set of kinds whose map is not the one ``prev`` has (``version(kind)`` differs; None for a relist).
    """

    __slots__ = ("changed", "duplicates", "kinds", "now", "prev", "version_token")

    def __init__(self, by_kind: dict[str, dict[Key, Obj]], now: int, version_token: str,
                 prev: WatchView | None = None, changed: dict[str, set[Key]] | None = None,
                 kinds: frozenset[str] | None = None) -> None:
        super().__init__()
        self._by_kind = by_kind
        self.now = now
        self.version_token = version_token
        self.prev = prev
        self.changed = changed
        self.kinds = kinds
        self.duplicates: list[tuple[str, str, str]] = []

    def advance(self, version_token: str, relist: bool, upserts: Iterable[Obj],
                deletes: Iterable[tuple[str, str, str]], now: int) -> WatchView:
        """The view after a watch's batch of changes (``relist``: the batch is everything)."""
        if relist:
            view = ListView(upserts, now)
            return WatchView(view._by_kind, now, version_token)
        if not isinstance(upserts, list | tuple):
            upserts = list(upserts)
        if not isinstance(deletes, list | tuple):
            deletes = list(deletes)
        if not upserts and not deletes:  # nothing written (most controller turns and clock steps)
            if now == self.now:
                self.version_token = version_token
                return self  # the same view: every check and memo over it holds
            quiet = WatchView(self._by_kind, now, version_token, self, {}, _NO_KINDS)  # the maps are never written to
            quiet._memo = self._memo  # what is built from the same objects holds (no memo reads the clock)
            return quiet
        by_kind = dict(self._by_kind)
        copied: set[str] = set()
        changed: dict[str, set[Key]] = {}

        def bucket(kind: str) -> dict[Key, Obj]:
            if kind not in copied:
                copied.add(kind)
                by_kind[kind] = dict(by_kind.get(kind) or {})
            return by_kind[kind]

        for obj in map(freeze_plain, upserts):
            md = obj.get("metadata") or {}
            kind, key = obj.get("kind", ""), (md.get("namespace", "") or "", md.get("name", ""))
            bucket(kind)[key] = obj
            changed.setdefault(kind, set()).add(key)
        for kind, ns, name in deletes:
            if bucket(kind).pop((ns or "", name), None) is not None:
                changed.setdefault(kind, set()).add((ns or "", name))
        for kind in copied:
            if not by_kind[kind]:
                del by_kind[kind]
        kinds = frozenset(k for k in copied if by_kind.get(k) is not self._by_kind.get(k))  # (None twice: still absent)
        return WatchView(by_kind, now, version_token, self, changed, kinds)

    def by_uid(self, uid: str) -> Obj | None:
        uids: dict[str, Obj] = self.memo("uids", _uids)
        return uids.get(uid)


def _uids(view: View) -> dict[str, Obj]:
    return {o["metadata"]["uid"]: o for kind in list(view._by_kind)  # type: ignore[attr-defined]
            for o in view.objects(kind) if o["metadata"].get("uid")}


_SCALARS = frozenset({str, int, bool, float, type(None), FrozenDict})


def _freeze_json(value: Any) -> Any:
    t = type(value)
    if t is dict:
        return FrozenDict({k: v if type(v) in _SCALARS else _freeze_json(v) for k, v in value.items()})
    if t is list:
        return tuple([v if type(v) in _SCALARS else _freeze_json(v) for v in value])
    return freeze(value)  # anything else (a tuple, a Mapping that is not a dict): the general path


def freeze_plain(value: Any) -> Any:
    """:func:`refmodel.frozen.freeze` for what an adapter reports, usually JSON-decoded values (plain
    ``dict``, ``list`` and scalars, checked by exact type, so no ABC ``isinstance`` per node); the same
    result as ``freeze`` for any input."""
    if type(value) in _SCALARS:
        return value
    try:
        return _freeze_json(value)
    except RecursionError:  # a deeply nested report: freeze has a walk that does not recurse
        return freeze(value)


def view_of(objects: Any, now: int | None = None) -> View:
    """A view of what an adapter showed: a View as it is, else a list of objects (normalised)."""
    if isinstance(objects, StateView | ListView | WatchView):
        return objects
    return ListView(objects, now)


def controller_uid(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("uid")  # type: ignore[no-any-return]
    return None


def index(view: View) -> dict[str, list[Obj]]:
    """Pods and ReplicaSets by controller uid (memoised per view)."""

    def build(v: View) -> dict[str, list[Obj]]:
        out: dict[str, list[Obj]] = {}
        for kind in ("Pod", "ReplicaSet"):
            for o in v.objects(kind):
                uid = controller_uid(o)
                if uid is not None:
                    out.setdefault(uid, []).append(o)
        return out

    return view.memo("by-controller", build)  # type: ignore[no-any-return]


def changed_kinds(before: View, after: View) -> frozenset[str] | None:
    """The kinds whose ``version`` differs between two views, when the views know it without comparing
    (the same view, or a watch view and the one it advanced from); else None."""
    if before is after:
        return _NO_KINDS
    if isinstance(after, WatchView) and after.prev is before:
        return after.kinds
    return None


def diff_kind(before: View, after: View, kind: str) -> Iterator[tuple[Obj | None, Obj | None]]:
    """``(old, new)`` for every object of ``kind`` that differs between two views (None: absent).

    Unchanged kinds and namespaces are skipped by identity, so on model views this costs
    O(what changed); on adapter views it compares every object.
    """
    vb, va = before.version(kind), after.version(kind)
    if vb is va:  # the common case (most steps touch few kinds): no generator at all
        return iter(())
    # a step's transition checks and its comparison with the model all ask for the same diffs: each is
    # computed once, kept on the after view (with the before view it is from: a view may follow several)
    memo: dict[str, tuple[View, list[tuple[Obj | None, Obj | None]]]] = after.memo("diffs", _new_dict)
    hit = memo.get(kind)
    if hit is None or hit[0] is not before:
        hit = memo[kind] = (before, list(_diff_kind(before, after, kind, vb, va)))
    return iter(hit[1])


def _new_dict(view: View) -> dict[str, Any]:
    return {}


def _diff_kind(before: View, after: View, kind: str, vb: Any, va: Any) -> Iterator[tuple[Obj | None, Obj | None]]:
    if isinstance(after, WatchView) and after.prev is before and after.changed is not None:
        for key in after.changed.get(kind, ()):
            ob, oa = before.get(kind, *key), after.get(kind, *key)
            if ob is not oa and ob != oa:
                yield ob, oa
        return
    if isinstance(before, StateView) and isinstance(after, StateView):
        ns_b: Any = vb or {}
        ns_a: Any = va or {}
        for ns in set(ns_b.keys()) | set(ns_a.keys()):
            mb, ma = ns_b.get(ns), ns_a.get(ns)
            if mb is ma:
                continue
            mb = mb or {}
            ma = ma or {}
            for name in set(mb.keys()) | set(ma.keys()):
                ob, oa = mb.get(name), ma.get(name)
                if ob is not oa and ob != oa:
                    yield ob, oa
        return
    old = {(o["metadata"].get("namespace") or "", o["metadata"].get("name")): o for o in before.objects(kind)}
    for o in after.objects(kind):
        key = (o["metadata"].get("namespace") or "", o["metadata"].get("name"))
        prev = old.pop(key, None)
        if prev is None or prev != o:
            yield prev, o
    for prev in old.values():
        yield prev, None
