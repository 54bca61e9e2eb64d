"""Read-only views of a cluster, the input of every invariant.

Invariants read objects through a :class:`View`; they never care whether it wraps the model's
immutable state (:class:`StateView`, zero copies: objects are the model's frozen dicts) or the list an
adapter's ``observe()`` returned (:class:`ListView`). ``version(kind)`` is a token that is the same
object while nothing of that kind changed, so checks can skip work (the model's persistent maps make
this free).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from refmodel.state import ClusterState

__all__ = ["ListView", "StateView", "View", "controller_uid", "diff_kind", "index"]

Obj = Mapping[str, Any]


class View(Protocol):
    now: int  # epoch seconds of the observed cluster's clock
    duplicates: list[tuple[str, str, str]]  # (kind, namespace, name) reported more than once

    def objects(self, kind: str, namespace: str | None = None) -> Iterable[Obj]: ...

    def get(self, kind: str, namespace: str, name: str) -> Obj | None: ...

    def by_uid(self, uid: str) -> Obj | None: ...

    def version(self, kind: str) -> object: ...

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


class ListView(_Memo):
    """A view of the objects an adapter reported."""

    __slots__ = ("_by_kind", "_uids", "duplicates", "now")

    def __init__(self, objects: Iterable[Obj], now: int | None = None) -> None:
        super().__init__()
        self._by_kind: dict[str, dict[tuple[str, str], Obj]] = {}
        self._uids: dict[str, Obj] = {}
        self.now = int(time.time()) if now is None else now
        self.duplicates: list[tuple[str, str, str]] = []
        for obj in objects:
            md = obj.get("metadata") or {}
            key = (md.get("namespace", "") or "", md.get("name", ""))
            bucket = self._by_kind.setdefault(obj.get("kind", ""), {})
            if key in bucket:
                self.duplicates.append((obj.get("kind", ""), *key))
            bucket[key] = obj
            uid = md.get("uid")
            if uid:
                self._uids[uid] = obj

    def objects(self, kind: str, namespace: str | None = None) -> Iterator[Obj]:
        objs = self._by_kind.get(kind) or {}
        if namespace is None:
            return iter(objs.values())
        return (o for (ns, _), o in objs.items() if ns == namespace)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return (self._by_kind.get(kind) or {}).get((namespace, name))

    def by_uid(self, uid: str) -> Obj | None:
        return self._uids.get(uid)

    def version(self, kind: str) -> object:
        return self._by_kind.get(kind)


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


def diff_kind(before: View, after: View, kind: str) -> Iterator[tuple[Obj | None, Obj | None]]:
    """``(old, new)`` for every object of ``kind`` that differs between two views (None: absent).

    Unchanged kinds and namespaces are skipped by identity, so on model views this costs
    O(what changed); on adapter views it compares every object.
    """
    vb, va = before.version(kind), after.version(kind)
    if vb is va:
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
