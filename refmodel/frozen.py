"""Deeply immutable, API-shaped object bodies.

**Mirrors:** nothing upstream; this is the model's value representation.
**Modelled:** every stored object is a tree of :class:`FrozenDict` (a ``dict`` that refuses
mutation) and ``tuple`` (for lists), with scalars at the leaves. Reading is plain ``dict``
speed; writing builds a new node and shares every untouched subtree, so a state kept per step
never copies the cluster.
**Not modelled:** nothing; :func:`thaw` turns a value back into plain ``dict``/``list`` for users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn

__all__ = ["EMPTY", "FrozenDict", "freeze", "freeze_dict", "get_in", "set_in", "thaw", "with_"]


class FrozenDict(dict[str, Any]):
    """A ``dict`` that cannot be changed after construction (hashable by identity of content)."""

    __slots__ = ()

    def _immutable(self, *_: object, **__: object) -> NoReturn:
        raise TypeError("FrozenDict is immutable; build a new one with with_()/set_in()")

    __setitem__ = _immutable
    __delitem__ = _immutable
    clear = _immutable
    pop = _immutable
    popitem = _immutable
    setdefault = _immutable
    update = _immutable
    __ior__ = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda kv: kv[0])))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: object) -> FrozenDict:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))


EMPTY = FrozenDict()
_dict_update = dict.update  # the base-class methods, for building a FrozenDict before anyone sees it
_dict_pop = dict.pop


def freeze(value: Any) -> Any:
    """Return a deeply immutable copy of a JSON-like value (dicts, lists, scalars)."""
    try:
        return _freeze(value)
    except RecursionError:  # a deeply nested input (up to the loader's 10,000 levels): no recursion
        return _walk(value, lambda d: FrozenDict(d), tuple)


def _freeze(value: Any) -> Any:
    t = type(value)
    if t is str or t is int or t is bool or t is float or value is None or t is FrozenDict:
        return value
    if t is dict or isinstance(value, Mapping):
        return FrozenDict({k: _freeze(v) for k, v in value.items()})
    if t is list or t is tuple:
        return tuple([_freeze(v) for v in value])
    return value


def freeze_dict(value: Mapping[str, Any]) -> FrozenDict:
    """:func:`freeze` for a mapping, typed as such."""
    out = freeze(value)
    assert isinstance(out, FrozenDict)
    return out


def thaw(value: Any) -> Any:
    """Return a plain mutable copy (dicts and lists) of a frozen value."""
    try:
        return _thaw(value)
    except RecursionError:
        return _walk(value, dict, list)


def _thaw(value: Any) -> Any:
    t = type(value)
    if t is str or t is int or t is bool or t is float or value is None:
        return value
    if t is FrozenDict or t is dict:  # (a str leaf, the commonest value, is kept without a call)
        return {k: v if type(v) is str else _thaw(v) for k, v in value.items()}
    if t is tuple or t is list:
        return [v if type(v) is str else _thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    return value


def _walk(value: Any, make_map: Callable[[dict[str, Any]], Any], make_seq: Callable[[list[Any]], Any]) -> Any:
    """Rebuild a nested value bottom-up with an explicit stack (no recursion, whatever the depth)."""
    if not isinstance(value, Mapping | list | tuple):
        return value
    # each frame: (source items, built children, is_mapping); a child is finished before its parent
    root: list[Any] = []
    stack: list[tuple[Any, list[Any], bool, list[Any]]] = []

    def open_(v: Any, out: list[Any]) -> None:
        if isinstance(v, Mapping):
            stack.append((iter(list(v.items())), [], True, out))
        else:
            stack.append((iter(list(v)), [], False, out))

    open_(value, root)
    while stack:
        items, built, is_map, out = stack[-1]
        for item in items:
            child = item[1] if is_map else item
            if isinstance(child, Mapping | list | tuple) and not isinstance(child, str):
                slot: list[Any] = []
                built.append((item[0], slot) if is_map else slot)
                open_(child, slot)
                break
            built.append((item[0], [child]) if is_map else [child])
        else:
            stack.pop()
            if is_map:
                out.append(make_map({k: s[0] for k, s in built}))
            else:
                out.append(make_seq([s[0] for s in built]))
    return root[0]


def with_(d: Mapping[str, Any], **changes: Any) -> FrozenDict:
    """A copy of ``d`` with top-level keys replaced; a value of ``None`` removes the key."""
    new = FrozenDict(d)
    _dict_update(new, changes)
    for k, v in changes.items():
        if v is None:
            _dict_pop(new, k, None)
    return new


def get_in(d: Any, path: Iterable[str | int], default: Any = None) -> Any:
    """``d[p0][p1]...`` or ``default`` when any step is missing."""
    cur = d
    for p in path:
        if isinstance(p, int):
            if not isinstance(cur, tuple | list) or not -len(cur) <= p < len(cur):
                return default
            cur = cur[p]
        else:
            if not isinstance(cur, Mapping) or p not in cur:
                return default
            cur = cur[p]
    return cur


def set_in(d: Mapping[str, Any], path: tuple[str, ...], value: Any) -> FrozenDict:
    """A copy of ``d`` with the value at ``path`` replaced (``None`` removes it); missing maps are created."""
    key = path[0]
    if len(path) == 1:
        return with_(d, **{key: value})
    child = d.get(key)
    if not isinstance(child, Mapping):
        child = EMPTY
    return with_(d, **{key: set_in(child, path[1:], value)})
