"""Controller references: who controls what, adopting orphans and releasing what stopped matching.

**Mirrors:** ``pkg/controller/controller_ref_manager.go`` (BaseControllerRefManager.ClaimObject,
PodControllerRefManager.AdoptPod/ReleasePod, ReplicaSetControllerRefManager.AdoptReplicaSet/
ReleaseReplicaSet) and ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/controller_ref.go``
(NewControllerRef, GetControllerOf).
**Modelled:** rule RS-5 and GC-6: the controller reference a controller sets (``controller`` and
``blockOwnerDeletion`` true); the objects of a kind an owner controls, read from the state's owner index
(never a scan of the namespace); adoption appends the controller reference, release removes it.
**Not modelled (and why):** the uid precondition of the adoption patch and the "can adopt" recheck of a
fresh owner: controllers write within their own turn, so the owner they read is the live one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..frozen import FrozenDict, freeze_dict, with_
from ..podutil import get_controller_of
from ..state import ClusterState
from . import update

__all__ = ["adopt", "controlled", "controller_ref", "release"]


def controller_ref(owner: Mapping[str, Any]) -> FrozenDict:
    """NewControllerRef: the owner reference a controller puts on what it creates or adopts."""
    md = owner["metadata"]
    return freeze_dict({
        "apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": md["name"], "uid": md["uid"],
        "controller": True, "blockOwnerDeletion": True,
    })


def controlled(state: ClusterState, owner_uid: str, kind: str) -> Iterator[FrozenDict]:
    """The objects of ``kind`` whose controller reference points at ``owner_uid``, lazily (an owner
    may control 100,000 pods and callers often stop at the first)."""
    deps = state.by_owner.get(owner_uid)
    if not deps:
        return
    for dep_kind, ns, name in deps:
        if dep_kind != kind:
            continue
        obj = state.get(kind, ns, name)
        if obj is None:
            continue
        ref = get_controller_of(obj)
        if ref is not None and ref.get("uid") == owner_uid:
            yield obj


def adopt(state: ClusterState, controller: str, owner: Mapping[str, Any], obj: FrozenDict) -> ClusterState:
    """Append ``owner``'s controller reference to an orphan (a write by ``controller``)."""
    refs = (*tuple(obj["metadata"].get("ownerReferences") or ()), controller_ref(owner))
    return update(state, controller, with_(obj, metadata=with_(obj["metadata"], ownerReferences=refs)))[0]


def release(state: ClusterState, controller: str, owner_uid: str, obj: FrozenDict) -> ClusterState:
    """Remove every reference to ``owner_uid`` from ``obj`` (a write by ``controller``)."""
    refs = tuple(r for r in obj["metadata"].get("ownerReferences") or () if r.get("uid") != owner_uid)
    return update(state, controller, with_(obj, metadata=with_(obj["metadata"], ownerReferences=refs or None)))[0]
