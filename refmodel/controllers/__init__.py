"""The controllers: one module per upstream controller, one registry, one notification path.

**Mirrors:** kube-controller-manager's controller set (``cmd/kube-controller-manager/app/controllermanager.go``
NewControllerDescriptors), kube-scheduler and the kubelet; each controller's informer event handlers
(``addPod``/``updatePod``/``deletePod`` ...) become ``watches``: functions from a write to the work keys
it makes dirty.
**Modelled:** registration; the controllers' client (:func:`send` and its shorthands): every write is a
:class:`~refmodel.request.Request` naming the controller, served by :func:`refmodel.apiserver.handle`,
and the writes it commits go to the watches (:func:`notify`) before the controller reads again, as an
informer delivers them; the write -> work-queue notification, where a watch may be declared blind to a
kind's status writes (``status_blind``) or gated to the namespaces where it can have work (``gates``), so
that the common write costs no call to it.
**Not modelled:** leader election, informer resync periods (a controller that needs time to pass asks for
a timer instead).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any

import attrs

from .. import apiserver
from ..frozen import FrozenDict
from ..request import Change, Request, Response
from ..state import ClusterState

__all__ = ["CONTROLLERS", "Controller", "Watch", "bind_many", "create_many", "delete", "delete_many", "notify", "register",
           "send", "update", "update_many", "update_status", "update_status_many"]

Watch = Callable[[ClusterState, FrozenDict | None, FrozenDict | None], Iterable[str]]
Gate = Callable[[ClusterState], Container[str]]
Sync = Callable[[ClusterState, str], ClusterState]


@attrs.frozen
class Controller:
    name: str
    sync: Sync
    watches: Mapping[str, Watch] = attrs.field(factory=dict)
    environment: bool = False  # True for the node-side actors (kubelet, node lifecycle)
    # kinds whose status-only writes (the status subresource) can never make this controller's watch
    # return a key: notify skips the call (tests/test_notify.py checks the claim on every such write)
    status_blind: frozenset[str] = frozenset()
    # kind -> the namespaces in which the kind's watch may return a key, as a function of the state (the
    # endpoints controllers' pod watch: those with a Service that has a selector): notify calls the watch
    # only for writes there (tests/test_notify.py checks the claim on every write)
    gates: Mapping[str, Gate] = attrs.field(factory=dict)
    # kinds whose watch returns keys only when an object goes away (``new`` is None): notify skips the call
    # for every other write (tests/test_notify.py checks the claim on every write)
    removals_only: frozenset[str] = frozenset()


CONTROLLERS: dict[str, Controller] = {}
_WATCHERS: dict[str, list[tuple[str, Watch]]] = {}  # every watch of a kind: what a removal wakes
_UPDATE_WATCHERS: dict[str, list[tuple[str, Watch]]] = {}  # what a create or update wakes (not removals_only)
_STATUS_WATCHERS: dict[str, list[tuple[str, Watch]]] = {}  # what a status write wakes (nor status_blind)
_GATES: dict[tuple[str, str], Gate] = {}  # (controller, kind) -> its gate
_GATED_KINDS: set[str] = set()  # the kinds with a gated watch


def register(controller: Controller) -> Controller:
    CONTROLLERS[controller.name] = controller
    for kind, watch in controller.watches.items():
        _WATCHERS.setdefault(kind, []).append((controller.name, watch))
        if kind not in controller.removals_only:
            _UPDATE_WATCHERS.setdefault(kind, []).append((controller.name, watch))
            if kind not in controller.status_blind:
                _STATUS_WATCHERS.setdefault(kind, []).append((controller.name, watch))
        gate = controller.gates.get(kind)
        if gate is not None:
            _GATES[(controller.name, kind)] = gate
            _GATED_KINDS.add(kind)
    return controller


def notify(state: ClusterState, changes: Iterable[Change]) -> ClusterState:
    """Queue the work keys the controllers' watches derive from committed writes, in order, all seen
    against ``state`` (a removal wakes every watch of its kind; a create or an update those not declared
    ``removals_only``; a status-only write, of those, the ones not blind to it; a gated watch is called only
    for writes in the namespaces its gate names in ``state``)."""
    items: list[tuple[str, str]] = []
    append = items.append
    # (kind, removal, status_only) -> (its watches, {gated controller: namespaces its gate opens} or None,
    # {namespace: the watches a write there calls}), per call
    batch: dict[tuple[str, bool, bool], tuple[Any, dict[str, Container[str]] | None, dict[str, Any]]] = {}
    kind: Any = None
    removal = status = False
    listed: Any = ()
    gates: dict[str, Container[str]] | None = None
    by_ns: dict[str, Any] = {}
    for ref, old, new, status_only in changes:
        if ref[0] is not kind or (new is None) is not removal or status_only is not status:
            # (a batch's writes are mostly of one kind and one sort)
            kind, removal, status = ref[0], new is None, status_only
            which = (kind, removal, status)
            got = batch.get(which)
            if got is None:
                table = _WATCHERS if removal else _STATUS_WATCHERS if status else _UPDATE_WATCHERS
                listed = table.get(kind) or ()
                opened = {name: gate(state) for (name, gated), gate in _GATES.items() if gated == kind} if (
                    kind in _GATED_KINDS) else None
                got = batch[which] = (listed, opened or None, {})
            listed, gates, by_ns = got
        watchers = listed
        if gates is not None:
            ns = ref[1]
            watchers = by_ns.get(ns)
            if watchers is None:
                watchers = by_ns[ns] = [(n, w) for n, w in listed if n not in gates or ns in gates[n]]
        for name, watch in watchers:
            keys = watch(state, old, new)
            if keys:
                for key in keys:
                    append((name, key))
    return state.enqueue_many(items)


# ---------------------------------------------------------------------------------------------
# the controllers' client: requests through the one door, the writes to the watches
# ---------------------------------------------------------------------------------------------
def send(state: ClusterState, request: Request) -> tuple[ClusterState, Response]:
    """Serve ``request`` and deliver its committed writes to the watches."""
    state, response, changes = apiserver.handle(state, request)
    if changes:
        state = notify(state, changes)
    return state, response


def update(state: ClusterState, controller: str, obj: FrozenDict) -> tuple[ClusterState, Response]:
    """PUT of a stored object's new version (``obj`` carries the stored resourceVersion)."""
    return send(state, Request("update", body=obj, controller=controller))


def update_status(state: ClusterState, controller: str, obj: FrozenDict) -> tuple[ClusterState, Response]:
    """PUT of ``obj``'s status through the status subresource."""
    return send(state, Request("update", body=obj, subresource="status", controller=controller))


def create_many(state: ClusterState, controller: str, objs: Iterable[FrozenDict]) -> tuple[ClusterState, Response]:
    """One turn's creates, as one batch: stops at the first rejection, the ones before it stay."""
    return send(state, Request("create", controller=controller, items=tuple(objs)))


def bind_many(state: ClusterState, controller: str, bindings: Iterable[FrozenDict]) -> ClusterState:
    """One scheduling turn's Bindings (POST pods/NAME/binding), as one batch."""
    items = tuple(bindings)
    if not items:
        return state
    return send(state, Request("create", subresource="binding", controller=controller, items=items))[0]


def update_many(state: ClusterState, controller: str, objs: Iterable[FrozenDict]) -> ClusterState:
    """One turn's updates of distinct objects (a scheduler turn's bindings), as one batch."""
    items = tuple(objs)
    return send(state, Request("update", controller=controller, items=items))[0] if items else state


def update_status_many(state: ClusterState, controller: str, objs: Iterable[FrozenDict]) -> ClusterState:
    """One turn's status writes of distinct objects (a kubelet's node sync), as one batch."""
    items = tuple(objs)
    if not items:
        return state
    return send(state, Request("update", subresource="status", controller=controller, items=items))[0]


def delete(state: ClusterState, controller: str, kind: str, namespace: str, name: str,
           propagation: str | None = None, grace_period_seconds: int | None = None) -> tuple[ClusterState, Response]:
    return send(state, Request("delete", kind, namespace, name, propagation=propagation,
                               grace_period_seconds=grace_period_seconds, controller=controller))


def delete_many(state: ClusterState, controller: str, objs: Iterable[FrozenDict],
                grace_period_seconds: int | None = None) -> tuple[ClusterState, Response]:
    """One turn's DELETEs of distinct objects (a ReplicaSet's burst, a kubelet's final removals), as one
    batch with the same options for each: stops at the first rejection, the ones before it stay."""
    return send(state, Request("delete", controller=controller, items=tuple(objs),
                               grace_period_seconds=grace_period_seconds))


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
ORDER = ("replicaset", "deployment", "garbage_collector", "kubelet", "namespace", "nodelifecycle", "scheduler",
         "endpoints", "endpointslice", "service", "statefulset",
         "persistentvolume", "volumemanager")


def _load() -> None:
    import importlib

    for module in ORDER:
        importlib.import_module(f"{__name__}.{module}")


_load()
