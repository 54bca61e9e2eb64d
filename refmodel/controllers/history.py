"""Controller history: ControllerRevisions, the snapshots a StatefulSet (or DaemonSet) keeps of its template.

**Mirrors:** ``pkg/controller/history/controller_history.go`` (ControllerRevisionName,
HashControllerRevision, NewControllerRevision, SortControllerRevisions, EqualRevision,
FindEqualRevisions, realHistory.ListControllerRevisions / CreateControllerRevision /
UpdateControllerRevision / DeleteControllerRevision / AdoptControllerRevision).
**Modelled:** revision names ``<parent>-<hash>`` (the parent's name cut to 223 characters), the hash an
32-bit FNV hash (hash/fnv New32, not New32a) of the revision's data and of the collision count; creation
that, on a name already taken by a revision with other data, bumps the collision count and tries the next
name (a taken name with the same data is that revision); ordering by revision number, then creation time,
then name; equality by data; adoption of orphans; every write through the controllers' door.
**Not modelled (and why):** the hash is over canonical JSON of the data, not Go's
``json.Marshal`` bytes (the same difference as ``deployment_util.compute_hash``: names differ from a real
cluster's, their properties do not).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..frozen import EMPTY, FrozenDict, freeze, thaw, with_
from ..podutil import get_controller_of
from ..request import Request
from ..state import ClusterState, parse_time
from . import send, update
from .controller_ref_manager import controller_ref
from .deployment_util import safe_encode_string

__all__ = ["controller_revision_name", "create_controller_revision", "equal_revision", "find_equal_revisions",
           "hash_controller_revision", "new_controller_revision", "sort_controller_revisions"]

NAME_PREFIX_MAX = 223


def controller_revision_name(prefix: str, hash_: str) -> str:
    """ControllerRevisionName."""
    return f"{prefix[:NAME_PREFIX_MAX]}-{hash_}"


def _canonical(data: Any) -> bytes:
    return json.dumps(thaw(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _fnv32(data: bytes, h: int = 0x811C9DC5) -> int:
    """hash/fnv New32 (multiply, then xor), as HashControllerRevision uses."""
    for b in data:
        h = ((h * 0x01000193) & 0xFFFFFFFF) ^ b
    return h


def hash_controller_revision(data: Any, probe: int | None) -> str:
    """HashControllerRevision: the FNV hash of the data, then of the probe (the collision count, in decimal) when set."""
    h = _fnv32(_canonical(data))
    if probe is not None:
        h = _fnv32(str(probe).encode(), h)
    return safe_encode_string(str(h))


def new_controller_revision(parent: Mapping[str, Any], template_labels: Mapping[str, str] | None, data: Any,
                            revision: int, collision_count: int | None) -> FrozenDict:
    """NewControllerRevision: labelled like the template, controlled by ``parent``, named by its hash."""
    md = parent["metadata"]
    meta: dict[str, Any] = {
        "name": controller_revision_name(md["name"], hash_controller_revision(data, collision_count)),
        "namespace": md["namespace"], "ownerReferences": (controller_ref(parent),),
    }
    if template_labels:
        meta["labels"] = FrozenDict(template_labels)
    if md.get("annotations"):
        meta["annotations"] = md["annotations"]
    return FrozenDict({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": FrozenDict(meta),
                       "data": freeze(data), "revision": revision})


def _created(rev: Mapping[str, Any]) -> int:
    ts = rev["metadata"].get("creationTimestamp")
    return parse_time(ts) if ts else 0


def sort_controller_revisions(revisions: Iterable[FrozenDict]) -> list[FrozenDict]:
    """SortControllerRevisions: by revision, then creation time, then name."""
    return sorted(revisions, key=lambda r: (r.get("revision", 0), _created(r), r["metadata"]["name"]))


def equal_revision(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """EqualRevision: both absent, or the same data."""
    if a is None or b is None:
        return a is None and b is None
    return bool(a.get("data") == b.get("data"))


def find_equal_revisions(revisions: Iterable[FrozenDict], needle: Mapping[str, Any]) -> list[FrozenDict]:
    """FindEqualRevisions."""
    return [r for r in revisions if equal_revision(r, needle)]


def list_controller_revisions(state: ClusterState, parent: Mapping[str, Any], selector_matches: Any,
                              refs: Iterable[Any] | None = None) -> list[FrozenDict]:
    """ListControllerRevisions: the revisions in the parent's namespace its selector matches that it controls
    (``refs``: the candidates, when the caller already has them; else everything that references the parent)."""
    md = parent["metadata"]
    out = []
    for ref in state.dependents(md["uid"]) if refs is None else refs:
        if ref[0] != "ControllerRevision":
            continue
        rev = state.get_ref(ref)
        if rev is None or not selector_matches(rev["metadata"].get("labels")):
            continue
        owner = get_controller_of(rev)
        if owner is not None and owner.get("uid") == md["uid"]:
            out.append(rev)
    return out


def create_controller_revision(state: ClusterState, controller: str, parent: Mapping[str, Any],
                               revision: FrozenDict, collision_count: int
                               ) -> tuple[ClusterState, FrozenDict | None, int, str]:
    """CreateControllerRevision: (state, the stored revision or None, collision count, error message)."""
    ns = parent["metadata"]["namespace"]
    while True:
        name = controller_revision_name(parent["metadata"]["name"],
                                        hash_controller_revision(revision["data"], collision_count))
        clone = with_(revision, metadata=with_(revision["metadata"], name=name))
        state, response = send(state, Request("create", controller=controller, items=(clone,)))
        if response.ok:
            return state, state.get("ControllerRevision", ns, name), collision_count, ""
        rejection = response.rejection
        assert rejection is not None
        if rejection.reason != "AlreadyExists":
            return state, None, collision_count, rejection.message
        existing = state.get("ControllerRevision", ns, name)
        if existing is not None and existing.get("data") == clone["data"]:
            return state, existing, collision_count, ""
        collision_count += 1


def update_controller_revision(state: ClusterState, controller: str, revision: FrozenDict, number: int
                               ) -> tuple[ClusterState, FrozenDict]:
    """UpdateControllerRevision: the same revision renumbered (a rollback to an earlier template)."""
    if revision.get("revision") == number:
        return state, revision
    state, response = update(state, controller, with_(revision, revision=number))
    return state, response.obj if response.ok and response.obj is not None else revision


def adopt_orphan_revisions(state: ClusterState, controller: str, parent: Mapping[str, Any],
                           selector_matches: Any) -> ClusterState:
    """AdoptOrphanRevisions: revisions in the namespace with no controller that the selector matches."""
    md = parent["metadata"]
    if md.get("deletionTimestamp"):
        return state
    for rev in list(state.iter_kind("ControllerRevision", md["namespace"])):
        if get_controller_of(rev) is None and selector_matches(rev["metadata"].get("labels") or EMPTY):
            refs = (*tuple(rev["metadata"].get("ownerReferences") or ()), controller_ref(parent))
            state = update(state, controller, with_(rev, metadata=with_(rev["metadata"], ownerReferences=refs)))[0]
    return state
