"""The namespace controller: deleting a namespace deletes everything in it.

**Mirrors:** ``pkg/controller/namespace/namespace_controller.go`` (syncNamespaceFromKey) and
``pkg/controller/namespace/deletion/namespaced_resources_deleter.go`` (Delete, deleteAllContent,
retryOnConflictError, finalizeNamespace).
**Modelled:** rule NS-2: a namespace with a deletionTimestamp is Terminating; every namespaced object in
it is deleted (pods gracefully); once nothing is left the ``kubernetes`` spec finalizer is removed and
the namespace disappears; the ``NamespaceContentRemaining`` condition reports what is still there.
**Not modelled (and why):** discovery failures (every kind is known to the model), the
NamespaceDeletionDiscoveryFailure/GroupVersionParsingFailure conditions.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..frozen import EMPTY, FrozenDict, freeze, with_
from ..state import ClusterState
from . import Controller, delete, register, update, update_status

NAME = "namespace"


def sync(state: ClusterState, name: str) -> ClusterState:
    from ..resources import REGISTRY

    ns = state.get("Namespace", "", name)
    if ns is None or not ns["metadata"].get("deletionTimestamp"):
        return state
    remaining: dict[str, int] = {}
    for info in REGISTRY.values():
        if not info.namespaced:
            continue
        for obj in sorted(state.iter_kind(info.kind, name), key=lambda o: o["metadata"]["name"]):  # hash-free
            md = obj["metadata"]
            if not md.get("deletionTimestamp"):
                state = delete(state, NAME, info.kind, name, md["name"])[0]
            if state.get(info.kind, name, md["name"]) is not None:
                remaining[info.plural] = remaining.get(info.plural, 0) + 1
    ns = state.get("Namespace", "", name) or ns
    status = ns.get("status") or EMPTY
    conds = [c for c in status.get("conditions") or () if c.get("type") != "NamespaceContentRemaining"]
    if remaining:
        detail = ", ".join(f"{k} has {v} resource instances" for k, v in sorted(remaining.items()))
        conds.append(freeze({"type": "NamespaceContentRemaining", "status": "True",
                             "reason": "SomeResourcesRemain", "message": f"Some resources are remaining: {detail}",
                             "lastTransitionTime": state.timestamp()}))
        new_status = with_(status, conditions=tuple(conds))
        if new_status != status and [c.get("message") for c in new_status["conditions"]] != [
                c.get("message") for c in status.get("conditions") or ()]:
            state = update_status(state, NAME, with_(ns, status=new_status))[0]
        return state
    spec = ns.get("spec") or EMPTY
    fins = tuple(f for f in spec.get("finalizers") or () if f != "kubernetes")
    new = with_(ns, spec=with_(spec, finalizers=fins or None))
    return update(state, NAME, new)[0]


def _ns_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is not None and new["metadata"].get("deletionTimestamp"):
        if old is None or not old["metadata"].get("deletionTimestamp"):
            return (new["metadata"]["name"],)
    return ()


def _content_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is None and old is not None:
        ns_name = old["metadata"].get("namespace")
        if ns_name:
            ns = state.get("Namespace", "", ns_name)
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                return (ns_name,)
    return ()


def _register() -> None:
    from ..resources import REGISTRY

    watches = {kind: _content_keys for kind, info in REGISTRY.items() if info.namespaced}
    watches["Namespace"] = _ns_keys
    register(Controller(NAME, sync, watches, status_blind=frozenset(watches),
                        removals_only=frozenset(watches) - {"Namespace"}))


_register()
