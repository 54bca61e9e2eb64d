"""The controllers: one module per upstream controller, one registry, one notification path.

**Mirrors:** kube-controller-manager's controller set (``cmd/kube-controller-manager/app/controllermanager.go``
NewControllerDescriptors), kube-scheduler and the kubelet; each controller's informer event handlers
(``addPod``/``updatePod``/``deletePod`` ...) become ``watches``: functions from a write to the work keys
it makes dirty.
**Modelled:** registration, the write -> work-queue notification, and the per-kind ``PrepareForCreate``
hooks that admission and registries apply to new objects.
**Not modelled:** leader election, informer resync periods (a controller that needs time to pass asks for
a timer instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ..frozen import FrozenDict
from ..state import ClusterState

__all__ = ["CONTROLLERS", "Controller", "Watch", "notify", "notify_many", "prepare_for_create", "register"]

Watch = Callable[[ClusterState, FrozenDict | None, FrozenDict | None], Iterable[str]]
Sync = Callable[[ClusterState, str], ClusterState]
Prepare = Callable[[ClusterState, FrozenDict], FrozenDict]


@attrs.frozen
class Controller:
    name: str
    sync: Sync
    watches: Mapping[str, Watch] = attrs.field(factory=dict)
    environment: bool = False  # True for the node-side actors (kubelet, node lifecycle)
    # kinds whose status-only writes (the status subresource) can never make this controller's watch
    # return a key: notify skips the call (tests/test_core.py checks the claim on every such write)
    status_blind: frozenset[str] = frozenset()


CONTROLLERS: dict[str, Controller] = {}
_WATCHERS: dict[str, list[tuple[str, Watch]]] = {}
_STATUS_WATCHERS: dict[str, list[tuple[str, Watch]]] = {}
PREPARERS: dict[str, Prepare] = {}


def register(controller: Controller) -> Controller:
    CONTROLLERS[controller.name] = controller
    for kind, watch in controller.watches.items():
        _WATCHERS.setdefault(kind, []).append((controller.name, watch))
        if kind not in controller.status_blind:
            _STATUS_WATCHERS.setdefault(kind, []).append((controller.name, watch))
    return controller


def register_prepare(kind: str, fn: Prepare) -> None:
    PREPARERS[kind] = fn


def notify(state: ClusterState, kind: str, old: FrozenDict | None, new: FrozenDict | None, *,
           status_only: bool = False) -> ClusterState:
    """Queue the work keys the controllers' watches derive from a write (``status_only``: only
    ``status`` changed, through the status subresource)."""
    watchers = (_STATUS_WATCHERS if status_only else _WATCHERS).get(kind)
    if not watchers:
        return state
    items: list[tuple[str, str]] = []
    for name, watch in watchers:
        for key in watch(state, old, new):
            items.append((name, key))
    return state.enqueue_many(items)


def notify_many(state: ClusterState, writes: Iterable[tuple[tuple[str, str, str], FrozenDict | None, FrozenDict | None]],
                *, status_only: bool = False) -> ClusterState:
    """:func:`notify` for several writes (``(ref, old, new)``), in order, all seen against ``state``."""
    table = _STATUS_WATCHERS if status_only else _WATCHERS
    items: list[tuple[str, str]] = []
    for ref, old, new in writes:
        for name, watch in table.get(ref[0]) or ():
            for key in watch(state, old, new):
                items.append((name, key))
    return state.enqueue_many(items)


def prepare_for_create(state: ClusterState, kind: str, obj: FrozenDict) -> FrozenDict:
    fn = PREPARERS.get(kind)
    return obj if fn is None else fn(state, obj)


def ns_key(obj: Mapping[str, Any]) -> str:
    md = obj["metadata"]
    ns = md.get("namespace", "")
    return f"{ns}/{md['name']}" if ns else md["name"]


def split_key(key: str) -> tuple[str, str]:
    if "/" in key:
        ns, name = key.split("/", 1)
        return ns, name
    return "", key


# Registration order is notification order: the controllers a write wakes are queued in this order,
# which fixes the interleaving ``converge`` explores. It is explicit so that it never depends on which
# module happens to import which.
ORDER = ("replicaset", "deployment", "garbage_collector", "kubelet", "namespace", "nodelifecycle", "scheduler")


def _load() -> None:
    import importlib

    for module in ORDER:
        importlib.import_module(f"{__name__}.{module}")


_load()
