"""Deeply immutable, API-shaped object bodies.

**Mirrors:** nothing upstream; this is the model's value representation.
**Modelled:** every stored object is a tree of :class:`FrozenDict` (a ``dict`` that refuses
mutation) and ``tuple`` (for lists), with scalars at the leaves. Reading is plain ``dict``
speed; writing builds a new node and shares every untouched subtree, so a state kept per step
never copies the cluster.
**Not modelled:** nothing; :func:`thaw` turns a value back into plain ``dict``/``list`` for users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    t = type(value)
    if t is str or t is int or t is bool or t is float or value is None or t is FrozenDict:
        return value
    if t is dict or isinstance(value, Mapping):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if t is list or t is tuple:
        return tuple([freeze(v) for v in value])
    return value


def freeze_dict(value: Mapping[str, Any]) -> FrozenDict:
    """:func:`freeze` for a mapping, typed as such."""
    out = freeze(value)
    assert isinstance(out, FrozenDict)
    return out


def thaw(value: Any) -> Any:
    """Return a plain mutable copy (dicts and lists) of a frozen value."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


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
