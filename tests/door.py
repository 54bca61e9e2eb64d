"""Test shorthands over the one door: each builds a :class:`refmodel.request.Request`, serves it with
:func:`refmodel.apiserver.handle` and feeds the committed writes to the watches, as ``core`` does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from refmodel import apiserver, controllers, kubectl
from refmodel.errors import Rejection
from refmodel.frozen import FrozenDict
from refmodel.request import Change, Request, Response
from refmodel.state import ClusterState

CONTROLLER = "test-controller"  # the name a test's controller-side requests carry


@attrs.frozen
class Sent:
    state: ClusterState
    response: Response
    changes: tuple[Change, ...] = ()

    @property
    def obj(self) -> FrozenDict | None:
        return self.response.obj

    @property
    def rejection(self) -> Rejection | None:
        return self.response.rejection

    @property
    def ok(self) -> bool:
        return self.response.ok


def send(state: ClusterState, request: Request) -> Sent:
    state, response, changes = apiserver.handle(state, request)
    return Sent(controllers.notify(state, changes) if changes else state, response, changes)


def create(state: ClusterState, obj: Mapping[str, Any], *, controller: str = "", dry_run: bool = False) -> Sent:
    return send(state, Request("create", body=obj, controller=controller, dry_run=dry_run))


def update(state: ClusterState, obj: Mapping[str, Any], *, controller: str = "") -> Sent:
    return send(state, Request("update", body=obj, controller=controller))


def update_status(state: ClusterState, obj: Mapping[str, Any], *, controller: str = CONTROLLER) -> Sent:
    return send(state, Request("update", body=obj, subresource="status", controller=controller))


def delete(state: ClusterState, kind: str, namespace: str, name: str, propagation: str | None = None,
           grace_seconds: int | None = None, *, controller: str = "") -> Sent:
    return send(state, Request("delete", kind, namespace, name, propagation=propagation,
                               grace_period_seconds=grace_seconds, controller=controller))


def apply(state: ClusterState, obj: Mapping[str, Any]) -> Sent:
    state, response, changes = kubectl.apply(state, obj)
    return Sent(controllers.notify(state, changes) if changes else state, response, changes)


def force_store(state: ClusterState, obj: FrozenDict) -> tuple[ClusterState, FrozenDict]:
    """A test fixture for states no request can produce (a creationTimestamp in the past, a status
    written with the object): ``obj`` replaces the stored object of its name as given (resourceVersion
    bumped), and the watches see the write. Not a door: only fixtures use it."""
    md = obj["metadata"]
    ref = (obj["kind"], md.get("namespace", ""), md["name"])
    old = state.get(*ref)
    rv = state.rv + 1
    new = FrozenDict({**obj, "metadata": FrozenDict({**md, "resourceVersion": str(rv)})})
    change = (ref, old, new, False)
    txn = state._transaction()
    txn.put(ref, old, new)
    return controllers.notify(txn.finish({"rv": rv}), (change,)), new

