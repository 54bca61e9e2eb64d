"""The ReplicaSet controller.

**Mirrors:** ``pkg/controller/replicaset/replica_set.go`` (syncReplicaSet, manageReplicas, claimPods,
getPodsToDelete, getPodsRankedByRelatedPodsOnSameNode, slowStartBatch), ``replica_set_utils.go``
(calculateStatus, updateReplicaSetStatus), ``pkg/controller/controller_utils.go``
(ActivePodsWithRanks.Less, logarithmicRankDiff, GetPodFromTemplate) and
``pkg/controller/controller_ref_manager.go`` (ClaimPods: adopt and release).
**Modelled:** rules RS-1..RS-6: diff against active owned pods, bursts capped at 500 per sync, deletion
ranking with upstream's eight criteria (log-scale timestamps, pod-deletion-cost) as one sort key per pod that
compares as ``Less`` does pair by pair, and a partial selection of the pods to delete, adoption of matching
orphans and release of owned pods whose labels stop matching, status counts, observedGeneration,
requeue after ``minReadySeconds`` so availability is noticed.
**Cost (issue 9):** a sync that creates or deletes costs the pods it touches. A scale-down keeps its
deletion order between bursts (:class:`_Ranking`): the first burst lists the ReplicaSet's active pods and
builds one key per pod (``ranked``), per node, and a heap over the nodes' most deletable pods under the
nodes' ranks (the related pods per node, from the state's per-controller node counts); each later burst takes
the ``burst`` most deletable from that heap, after ranking again only the nodes whose counts moved since the
last burst, as the state's log of per-node count moves names them (``ClusterState.node_counts``,
:class:`~refmodel.state.NodeCountLog`, appended by the state's transaction where the counts move): O(nodes moved + burst log
nodes) per burst, where every node was ranked on every burst before (bursts x nodes, the one term of the
controller's cost that grew faster than n: ``node_entries`` per pod of a rollout 0.16 at 10,000 pods, 0.76 at
40,000). The nodes moved between two bursts are those of the pods bound, deleted and removed meanwhile, at most
about two per pod the rollout replaces: ``node_entries`` per pod of a rollout is 0.12 at 10,000 pods and 0.50
at 40,000, still growing while a rollout's bursts touch most nodes (500 pods a burst over n/100 nodes) and
bounded by those moves beyond; a scale-down of one Deployment in bursts of 16 ranks about one node per pod
removed, whatever the number of nodes (``tests/test_work_counters.py``; 24.9 at 4,000 pods before). The
heap is rebuilt over every node when the ranking is, or the related ReplicaSets changed, or the log does not
reach back to the last burst. The order is rebuilt (O(pods)) when
one of the ReplicaSet's active pods was written since (its ``PodStats`` entry is then another object) or the clock
moved a ready or creation time into another log-scale bucket (then from the pods the kept order holds, not a
listing of the active pods): a rollout of n pods ranks each pod about once per wave of the
rolling update, whatever n, where upstream's getPodsToDelete lists and sorts every pod on every burst.
The selection is the one a full ranking makes (``tests/test_replicaset.py`` checks every burst of a rollout
against it). A scale-down whose pods keep being written between bursts rebuilds on each burst, as upstream.
Left as upstream does it: with ``minReadySeconds`` set, each sync counts the available pods and finds the
next one to become available by listing the ReplicaSet's pods (O(pods) per sync; the state keeps ready
counts, not ready times).
A burst's deletions are one request (:func:`~refmodel.controllers.delete_many`), as ``slowStartBatch`` sends
them in parallel.
**Not modelled (and why):** expectations (writes are visible at once in the model, so they are always
satisfied); slow-start batch failures (creates fail only when the namespace is terminating, which the
model reports as the ``ReplicaFailure`` condition).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from itertools import repeat
from operator import add
from typing import Any

from ..counters import active as _counters
from ..frozen import EMPTY, FrozenDict, freeze, with_
from ..labels import selector_matches
from ..podutil import get_controller_of, is_pod_active, is_pod_available, is_pod_ready, ready_since
from ..resources.common import parse_go_int
from ..state import ClusterState, NodeCountLog, parse_time
from . import (
    Controller,
    create_many,
    delete,
    delete_many,
    ns_key,
    register,
    split_key,
    update_status,
)
from .controller_ref_manager import adopt, controlled, controller_ref, release

__all__ = ["active_pods_with_ranks_less", "calculate_status", "get_pods_to_delete", "pod_from_template"]

NAME = "replicaset"
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


_POD_META_CACHE: dict[int, tuple[Any, Any, FrozenDict]] = {}


def pod_from_template(template: Mapping[str, Any], owner: Mapping[str, Any], namespace: str,
                      name: str = "") -> FrozenDict:
    """GetPodFromTemplate: labels, annotations, finalizers and spec of the template; a controller ref."""
    hit = _POD_META_CACHE.get(id(template))
    if hit is not None and hit[0] is template and hit[1] is owner and not name:
        md_frozen = hit[2]
    else:
        tmd = template.get("metadata") or EMPTY
        md: dict[str, Any] = {"namespace": namespace, "ownerReferences": (controller_ref(owner),)}
        if name:
            md["name"] = name
        else:
            md["generateName"] = owner["metadata"]["name"] + "-"
        for f in ("labels", "annotations", "finalizers"):
            if tmd.get(f):
                md[f] = tmd[f]
        md_frozen = FrozenDict(md)
        if not name:
            if len(_POD_META_CACHE) > 10_000:
                _POD_META_CACHE.clear()
            _POD_META_CACHE[id(template)] = (template, owner, md_frozen)
    return FrozenDict({"apiVersion": "v1", "kind": "Pod", "metadata": md_frozen, "spec": template["spec"]})


# ---------------------------------------------------------------------------------------------
# pods owned by a replica set
# ---------------------------------------------------------------------------------------------
def active_count(state: ClusterState, owner_uid: str) -> int:
    stats = state.pod_stats.get(owner_uid)
    return stats.active if stats else 0


def active_pods(state: ClusterState, owner_uid: str) -> list[FrozenDict]:
    return [p for p in owned_pods(state, owner_uid) if is_pod_active(p)]


def owned_pods(state: ClusterState, owner_uid: str) -> list[FrozenDict]:
    return list(controlled(state, owner_uid, "Pod"))


def claim_pods(state: ClusterState, rs: FrozenDict) -> tuple[ClusterState, list[FrozenDict] | None]:
    """ClaimPods: adopt matching orphans, release owned pods that no longer match.

    Returns the active claimed pods when it had to list them anyway, else None: callers then count
    them from the incremental index (:func:`active_pods`) and list them only when they must.
    """
    md = rs["metadata"]
    ns = md["namespace"]
    uid = md["uid"]
    selector = rs["spec"].get("selector")
    stats = state.pod_stats.get(uid)
    claimed: list[FrozenDict] | None = None
    # release: only when some owned active pod's labels stop matching (counted incrementally)
    if stats is not None and any(
        not selector_matches(selector, dict(labels)) for labels in stats.label_sets
    ):
        claimed = []
        for pod in owned_pods(state, uid):
            if not is_pod_active(pod):
                continue
            if selector_matches(selector, pod["metadata"].get("labels")):
                claimed.append(pod)
                continue
            state = release(state, NAME, uid, pod)
    # adopt: active orphans in the namespace that match, unless we are being deleted
    if not md.get("deletionTimestamp"):
        orphans = state.orphan_pods.get(ns)
        if orphans:
            for name in sorted(orphans.keys()):
                orphan = state.get("Pod", ns, name)
                if orphan is None or not selector_matches(selector, orphan["metadata"].get("labels")):
                    continue
                state = adopt(state, NAME, rs, orphan)
                claimed = None  # recompute below
    return state, claimed


# ---------------------------------------------------------------------------------------------
# deletion ranking (ActivePodsWithRanks.Less)
# ---------------------------------------------------------------------------------------------
_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def _log_bucket(now: int, t: int | None) -> int:
    """floor(log2(now - t)) with durations in nanoseconds; -1 when not positive (logarithmicRankDiff)."""
    if t is None:
        return -1
    d = (now - t) * 1_000_000_000
    if d <= 0:
        return -1
    return math.floor(math.log2(d))


def _deletion_cost(pod: Mapping[str, Any]) -> int:
    value = (pod["metadata"].get("annotations") or EMPTY).get(POD_DELETION_COST)
    if value is None:
        return 0
    return parse_go_int(value, 32) or 0  # GetDeletionCostFromPodAnnotations: strconv.ParseInt(v, 10, 32)


def _max_restarts(pod: Mapping[str, Any]) -> int:
    counts = [c.get("restartCount", 0) for c in (pod.get("status") or EMPTY).get("containerStatuses") or ()]
    return max(counts, default=0)


def active_pods_with_ranks_less(a: Mapping[str, Any], rank_a: int, b: Mapping[str, Any], rank_b: int,
                                now: int) -> bool:
    """True when pod ``a`` should be deleted before pod ``b`` (upstream's eight rules, in order)."""
    na, nb = a["spec"].get("nodeName") or "", b["spec"].get("nodeName") or ""
    if (na == "") != (nb == ""):
        return na == ""
    pa = _PHASE_ORDER.get((a.get("status") or EMPTY).get("phase", ""), 0)
    pb = _PHASE_ORDER.get((b.get("status") or EMPTY).get("phase", ""), 0)
    if pa != pb:
        return pa < pb
    ra, rb = is_pod_ready(a), is_pod_ready(b)
    if ra != rb:
        return not ra
    ca, cb = _deletion_cost(a), _deletion_cost(b)
    if ca != cb:
        return ca < cb
    if rank_a != rank_b:
        return rank_a > rank_b
    if ra and rb:
        ta, tb = ready_since(a), ready_since(b)
        if ta != tb:
            if ta is None or tb is None:
                return ta is None
            ba, bb = _log_bucket(now, ta), _log_bucket(now, tb)
            if ba == bb:
                return bool(a["metadata"].get("uid", "") < b["metadata"].get("uid", ""))
            return ba < bb  # more recently ready (smaller age) first
    xa, xb = _max_restarts(a), _max_restarts(b)
    if xa != xb:
        return xa > xb
    cta = a["metadata"].get("creationTimestamp")
    ctb = b["metadata"].get("creationTimestamp")
    if cta != ctb:
        ta2 = parse_time(cta) if cta else None
        tb2 = parse_time(ctb) if ctb else None
        if ta2 is None or tb2 is None:
            return ta2 is None
        ba, bb = _log_bucket(now, ta2), _log_bucket(now, tb2)
        if ba == bb:
            return bool(a["metadata"].get("uid", "") < b["metadata"].get("uid", ""))
        return ba < bb  # newer first
    return bool(a["metadata"].get("uid", "") < b["metadata"].get("uid", ""))


def _related_nodes(state: ClusterState, rs: FrozenDict) -> list[Any]:
    """getPodsRankedByRelatedPodsOnSameNode's related pods, counted per node: the active pods of every
    ReplicaSet with the same controller (this one too), as the state's per-controller node counts
    (``PodStats.nodes``). A ReplicaSet without a controller has no related ReplicaSets
    (getReplicaSetsWithSameController returns nothing), so every rank is 0."""
    return [nodes for _, nodes in _related(state, rs) if nodes]


def _related(state: ClusterState, rs: FrozenDict) -> list[tuple[str, Any]]:
    """The uid and per-node counts (``PodStats.nodes``, empty when it has no active pod) of every ReplicaSet
    with the same controller as ``rs`` (``rs`` too); none when ``rs`` has no controller."""
    owner = get_controller_of(rs)
    if owner is None:
        return []
    out = []
    for kind, ns, name in state.dependents(owner["uid"]):
        if kind == "ReplicaSet":
            other = state.get(kind, ns, name)
            if other is not None:
                uid = other["metadata"]["uid"]
                stats = state.pod_stats.get(uid)
                out.append((uid, EMPTY if stats is None else stats.nodes))
    return out


def _rank_on(related: list[Any], node: str) -> int:
    """The rank of a pod on ``node``: how many related pods it shares the node with (0 when unscheduled)."""
    return sum(counts.get(node, 0) for counts in related) if node else 0


def _node_ranks(related: list[Any], nodes: list[str]) -> dict[str, int]:
    """``_rank_on`` of each of ``nodes``, counted by C-level passes (a scale-down burst asks for every node
    that still has one of the ReplicaSet's pods: the one per-burst term that grows with the cluster)."""
    counts: Iterable[int] = repeat(0)
    for per_node in related:
        counts = map(add, counts, map(per_node.get, nodes, repeat(0)))
    ranks = dict(zip(nodes, counts))
    if "" in ranks:
        ranks[""] = 0  # an unscheduled pod has no node to share
    return ranks


def _ranks(state: ClusterState, rs: FrozenDict, pods: list[FrozenDict]) -> dict[tuple[str, str], int]:
    """getPodsRankedByRelatedPodsOnSameNode: each pod's rank, by (namespace, name)."""
    related = _related_nodes(state, rs)
    return {(p["metadata"]["namespace"], p["metadata"]["name"]): _rank_on(related, p["spec"].get("nodeName") or "")
            for p in pods}


class _ReadyTie:
    """The tail of the sort key of a ready pod whose group (same criteria 1-4 and ready-time bucket) mixes
    equal and different ready times: ``Less`` compares such pods by uid when their ready times differ and by
    restarts, creation time and uid when they are equal, which no tuple expresses, so it is compared here."""

    __slots__ = ("ready_at", "tail", "uid")

    def __init__(self, ready_at: int | None, tail: tuple[Any, ...], uid: str) -> None:
        self.ready_at, self.tail, self.uid = ready_at, tail, uid

    def __lt__(self, other: _ReadyTie) -> bool:
        if self.ready_at != other.ready_at:
            return self.uid < other.uid
        return self.tail < other.tail


Keyed = tuple[tuple[int, int, int, int], tuple[Any, ...]]


def _keyed(pods: list[FrozenDict], now: int, buckets: dict[int, int] | None = None) -> list[Keyed]:
    """Each pod's sort key but its rank, as (criteria 1-4, rest): the full key, in the order of
    ``active_pods_with_ranks_less`` (ActivePodsWithRanks.Less), is ``(*first, -rank, *rest)``, and
    key(a) < key(b) exactly when Less(a, b), wherever Less is a strict order. Criteria 1-4 are unscheduled,
    phase, not ready and deletion cost (5 is the rank); a ready pod then goes by its ready-time bucket (6);
    the tail is (restarts, creation bucket, uid) (criteria 7, 8 and the uid tie-break), or the uid alone for
    ready pods whose ready times differ within one bucket (Less's rankDiff == 0 rule), or :class:`_ReadyTie`
    when a group mixes both. Groups are taken without the rank (each is a union of groups of one rank), so
    the keys stay right whatever the ranks are when they are compared. Counted as ``ranked``."""
    heads: list[tuple[tuple[int, int, int, int], tuple[int, ...]]] = []
    tails: list[tuple[Any, ...]] = []
    ready_ats: list[int | None] = []
    uids: list[str] = []
    groups: dict[tuple[Any, ...], list[int]] = {}
    if buckets is None:
        buckets = {}  # time -> its log-scale bucket at ``now`` (a template's pods share times)
    for i, p in enumerate(pods):
        hit = _KEY_PARTS.get(id(p))
        if hit is not None and hit[0] is p:
            parts = hit[1]
        else:
            parts = _key_parts(p)
            if len(_KEY_PARTS) > 400_000:
                _KEY_PARTS.clear()
            _KEY_PARTS[id(p)] = (p, parts)
        first, ready, ready_at, created, restarts, uid = parts
        if created is None:
            tail: tuple[Any, ...] = (restarts, 0, 0, uid)
        else:
            b = buckets.get(created)
            if b is None:
                b = buckets[created] = _log_bucket(now, created)
            tail = (restarts, 1, b, uid)
        ready_part: tuple[int, ...] = ()
        if ready:
            if ready_at is None:
                ready_part = (0, 0)
            else:
                b = buckets.get(ready_at)
                if b is None:
                    b = buckets[ready_at] = _log_bucket(now, ready_at)
                ready_part = (1, b)
            groups.setdefault((first, ready_part), []).append(i)
        heads.append((first, ready_part))
        tails.append(tail)
        ready_ats.append(ready_at)
        uids.append(uid)
    for members in groups.values():
        distinct = len({ready_ats[i] for i in members})
        if distinct == 1:
            continue  # equal ready times: restarts, creation, uid (the tails as built)
        for i in members:
            tails[i] = (uids[i],) if distinct == len(members) else (_ReadyTie(ready_ats[i], tails[i], uids[i]),)
    counters = _counters()
    if counters is not None:
        counters.add(NAME, "ranked", len(pods))
    return [(first, (*ready_part, *tail)) for (first, ready_part), tail in zip(heads, tails, strict=True)]


def _sort_keys(pods: list[FrozenDict], ranks: dict[tuple[str, str], int], now: int) -> list[tuple[Any, ...]]:
    """One full sort key per pod (see :func:`_keyed`), with the ranks given by (namespace, name)."""
    return [(*first, -ranks[(p["metadata"]["namespace"], p["metadata"]["name"])], *rest)
            for p, (first, rest) in zip(pods, _keyed(pods, now), strict=True)]


KeyParts = tuple[tuple[int, int, int, int], bool, int | None, int | None, int, str]
_KEY_PARTS: dict[int, tuple[Any, KeyParts]] = {}


def _key_parts(p: Mapping[str, Any]) -> KeyParts:
    """What a pod's sort key is made of, but the clock: criteria 1-4, whether it is ready, its ready time,
    creation time, restarts (negated) and uid. Memoised by identity of the pod (a scale-down ranks the
    same pods again, at later times too)."""
    md = p["metadata"]
    status = p.get("status") or EMPTY
    ready = is_pod_ready(p)
    ct = md.get("creationTimestamp")
    first = (1 if p["spec"].get("nodeName") else 0, _PHASE_ORDER.get(status.get("phase", ""), 0), 1 if ready else 0,
             _deletion_cost(p))
    return (first, ready, ready_since(p) if ready else None, parse_time(ct) if ct else None, -_max_restarts(p),
            md.get("uid", ""))


def get_pods_to_delete(state: ClusterState, rs: FrozenDict, pods: list[FrozenDict], diff: int) -> list[FrozenDict]:
    """The ``diff`` pods to delete, most deletable first (getPodsToDelete): each pod's sort key is built
    once, and a partial selection picks the ``diff`` smallest (the order is total: uids break every tie)."""
    if diff >= len(pods):
        return list(pods)
    keys = _sort_keys(pods, _ranks(state, rs, pods), state.config.start_time + state.now)
    chosen = heapq.nsmallest(diff, range(len(pods)), key=keys.__getitem__)
    return [pods[i] for i in chosen]


# ---------------------------------------------------------------------------------------------
# the deletion order kept across the bursts of a scale-down
# ---------------------------------------------------------------------------------------------
class _Ranking:
    """A ReplicaSet's active pods in deletion order, per node, as the last burst of its scale-down left
    them: valid while the state's ``PodStats`` entry of the ReplicaSet is the same object (no active pod of
    it was written since, but for the deletions that burst made) and no ready or creation time its keys hold
    has moved into another log-scale bucket since (``buckets``). Within a node every pod has the same rank, so
    a node's pods sort by their keys without it; a burst merges the nodes' queues under each node's current
    rank. ``queues`` hold the most deletable pod last. The merge's heap is kept between bursts too
    (``heap``: one live entry per node, its key in ``tops``, the rank it was built with in ``ranks``), with
    the related ReplicaSets it was ranked against (``related``) and the state's :class:`NodeCountLog` link
    as of that burst (``mark``): the next burst ranks again only the nodes the log names since."""

    __slots__ = ("buckets", "heap", "mark", "now", "queues", "ranks", "related", "stats", "tops")

    def __init__(self, stats: Any, now: int, queues: dict[str, list[tuple[Any, Any, FrozenDict]]],
                 buckets: dict[int, int]) -> None:
        self.stats, self.now, self.queues = stats, now, queues
        self.buckets = buckets  # every ready and creation time the keys hold -> its bucket at ``now``
        self.heap: list[tuple[tuple[Any, ...], str]] | None = None  # None: to be built
        self.tops: dict[str, tuple[Any, ...]] = {}  # node -> the key of its live heap entry
        self.ranks: dict[str, int] = {}  # node -> the rank its live heap entry was built with
        self.related: frozenset[str] = frozenset()
        self.mark: NodeCountLog | None = None


_RANKINGS: dict[str, _Ranking] = {}
_HEAP_SLACK = 64  # replaced entries a kept heap may hold beyond its live ones before it is compacted
_STALE = object()


def _ranking(state: ClusterState, uid: str, now: int) -> _Ranking:
    stats = state.pod_stats.get(uid)
    r = _RANKINGS.get(uid)
    if r is not None and r.stats is stats:
        if r.now != now and all(_log_bucket(now, t) == b for t, b in r.buckets.items()):
            r.now = now  # the clock moved, but no time changed bucket: the keys are the same
        if r.now == now:
            return r
        # only the clock moved a time into another bucket: the kept queues hold every active pod, on its node
        # (keyed again without listing them: a listing reads every pod, from memory at large sizes)
        nodes = [node for node, q in r.queues.items() for _ in q]
        pods = [e[2] for q in r.queues.values() for e in q]
    else:
        pods = active_pods(state, uid)
        nodes = [p["spec"].get("nodeName") or "" for p in pods]
    queues: dict[str, list[tuple[Any, Any, FrozenDict]]] = {}
    buckets: dict[int, int] = {}
    for p, node, (first, rest) in zip(pods, nodes, _keyed(pods, now, buckets), strict=True):
        q = queues.get(node)
        if q is None:
            q = queues[node] = []
        q.append((first, rest, p))
    for q in queues.values():
        q.sort(key=_without_pod, reverse=True)
    if len(_RANKINGS) > 64:
        _RANKINGS.clear()
    r = _RANKINGS[uid] = _Ranking(stats, now, queues, buckets)
    return r


def _name_of(pod: Mapping[str, Any]) -> str:
    return str(pod["metadata"]["name"])


def _without_pod(entry: tuple[Any, Any, FrozenDict]) -> tuple[Any, Any]:
    return entry[0], entry[1]


def _take(state: ClusterState, rs: FrozenDict, diff: int) -> list[FrozenDict]:
    """getPodsToDelete over the ReplicaSet's active pods, from its kept order: the ``diff`` most deletable,
    in order, by a merge of the per-node queues (O(nodes moved + diff log nodes) when the order and the
    merge's heap are still valid, O(pods) to rebuild them). The same pods as :func:`get_pods_to_delete` over
    :func:`active_pods` in name order. When every active pod goes, upstream deletes them in its informer's
    list order, which nothing fixes; here they go in name order (the index's own order follows the keys'
    hashes, which differ between processes: the deletions' order, and so every state after them, would not
    replay elsewhere)."""
    uid = rs["metadata"]["uid"]
    if diff >= active_count(state, uid):
        _RANKINGS.pop(uid, None)
        return sorted(active_pods(state, uid), key=_name_of)
    r = _ranking(state, uid, state.config.start_time + state.now)
    r.stats = _STALE  # until :func:`_taken` sees the deletions done
    heap = _heap(state, rs, r)
    queues, tops = r.queues, r.tops
    ranks = r.ranks
    out: list[FrozenDict] = []
    while len(out) < diff:
        key, node = heap[0]
        if tops.get(node) is not key:
            heapq.heappop(heap)  # an entry its node's rank or top has replaced since
            continue
        q = queues[node]
        out.append(q.pop()[2])
        if q:
            first, rest, _ = q[-1]
            key = tops[node] = (*first, -ranks[node], *rest)
            heapq.heapreplace(heap, (key, node))
        else:
            heapq.heappop(heap)
            del queues[node], tops[node], ranks[node]
    return out


def _heap(state: ClusterState, rs: FrozenDict, r: _Ranking) -> list[tuple[tuple[Any, ...], str]]:
    """The merge's heap of ``r`` under the nodes' current ranks: kept from the last burst with the nodes
    the state's :class:`NodeCountLog` names since ranked again (``node_entries`` counts them), or built
    over every node (all counted) when nothing was kept, the related ReplicaSets changed or the log does
    not reach back to the mark."""
    related = _related(state, rs)
    uids = frozenset(u for u, _ in related)
    log = state.node_counts
    moved = log.since(r.mark) if r.heap is not None and r.mark is not None and r.related == uids else None
    counts = [nodes for _, nodes in related if nodes]
    queues, tops, ranks = r.queues, r.tops, r.ranks
    if moved is None:
        ranks.clear()
        ranks.update(_node_ranks(counts, list(queues)))
        tops.clear()
        heap = []
        for node, q in queues.items():
            first, rest, _ = q[-1]
            key = tops[node] = (*first, -ranks[node], *rest)
            heap.append((key, node))
        heapq.heapify(heap)
        entries = len(queues)
    else:
        heap = r.heap  # type: ignore[assignment]
        nodes = {node for owner, node in moved if owner in uids and node in queues}
        for node in nodes:
            rank = _rank_on(counts, node)
            if rank != ranks[node]:
                ranks[node] = rank
                first, rest, _ = queues[node][-1]
                key = tops[node] = (*first, -rank, *rest)
                heapq.heappush(heap, (key, node))
        if len(heap) > 2 * len(tops) + _HEAP_SLACK:  # more replaced entries than live ones: drop them
            heap = [(key, node) for node, key in tops.items()]
            heapq.heapify(heap)
        entries = len(nodes)
    r.heap, r.related, r.mark = heap, uids, log
    counters = _counters()
    if counters is not None:
        counters.add(NAME, "node_entries", entries)
    return heap


def _taken(state: ClusterState, uid: str, deleted: list[FrozenDict]) -> None:
    """After a burst's deletions: the kept order stays valid for the state they left, if each of them made
    its pod inactive (a rejected deletion leaves a pod the order no longer holds)."""
    r = _RANKINGS.get(uid)
    if r is None:
        return
    for pod in deleted:
        now = state.get("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        if now is not None and is_pod_active(now):
            del _RANKINGS[uid]
            return
    if r.stats is _STALE:
        r.stats = state.pod_stats.get(uid)


# ---------------------------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------------------------
def calculate_status(state: ClusterState, rs: FrozenDict, pods: list[FrozenDict] | None,
                     manage_error: str = "") -> FrozenDict:
    """calculateStatus: counts over the active claimed pods (``pods``; None = use the incremental index)."""
    spec = rs["spec"]
    min_ready = spec.get("minReadySeconds", 0) or 0
    tmpl_labels = frozenset(((spec.get("template") or EMPTY).get("metadata") or EMPTY).get("labels", EMPTY).items())
    now = state.config.start_time + state.now
    if pods is None:
        stats = state.pod_stats.get(rs["metadata"]["uid"])
        replicas = stats.active if stats else 0
        ready = stats.ready if stats else 0
        labeled = sum(n for ls, n in stats.label_sets.items() if tmpl_labels <= ls) if stats else 0
        if min_ready:
            available = sum(1 for p in owned_pods(state, rs["metadata"]["uid"])
                            if is_pod_active(p) and is_pod_available(p, min_ready, now))
        else:
            available = ready
    else:
        replicas = len(pods)
        labeled = sum(1 for p in pods if tmpl_labels <= frozenset((p["metadata"].get("labels") or EMPTY).items()))
        ready = sum(1 for p in pods if is_pod_ready(p))
        available = sum(1 for p in pods if is_pod_available(p, min_ready, now))
    old = rs.get("status") or EMPTY
    conditions = list(old.get("conditions") or ())
    existing = any(c.get("type") == "ReplicaFailure" for c in conditions)
    if manage_error and not existing:
        diff = replicas - int(spec.get("replicas", 1))
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        conditions.append(freeze({
            "type": "ReplicaFailure", "status": "True", "reason": reason, "message": manage_error,
            "lastTransitionTime": state.timestamp(),
        }))
    elif not manage_error and existing:
        conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    status: dict[str, Any] = {
        "replicas": replicas,
        "fullyLabeledReplicas": labeled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": rs["metadata"].get("generation", 1),
    }
    if conditions:
        status["conditions"] = tuple(conditions)
    # upstream omits zero counts (omitempty) except replicas
    for k in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
        if not status[k]:
            del status[k]
    return FrozenDict(status)


# ---------------------------------------------------------------------------------------------
# sync
# ---------------------------------------------------------------------------------------------
def sync(state: ClusterState, key: str) -> ClusterState:
    ns, name = split_key(key)
    rs = state.get("ReplicaSet", ns, name)
    if rs is None:
        return state
    state, claimed = claim_pods(state, rs)
    uid = rs["metadata"]["uid"]
    count = len(claimed) if claimed is not None else active_count(state, uid)
    manage_error = ""
    if not rs["metadata"].get("deletionTimestamp"):
        state, manage_error = manage_replicas(state, rs, count, claimed)
    # Upstream counts the pods it listed before manageReplicas, so its status lags one sync behind
    # its own creates and deletes; the model counts from the incremental index after them. The
    # creates/deletes re-queue this key, so both settle on the same status.
    rs = state.get("ReplicaSet", ns, name) or rs
    status = calculate_status(state, rs, None, manage_error)
    state = update_status(state, NAME, with_(rs, status=status))[0]
    if manage_error:
        # the sync failed: the work queue retries it (rate-limited; the model waits one second)
        state = state.add_timer(state.now + 1, NAME, key)
    min_ready = rs["spec"].get("minReadySeconds", 0) or 0
    if min_ready and status.get("availableReplicas", 0) < status.get("readyReplicas", 0):
        # Look again when the earliest ready pod becomes available: upstream does this twice, with
        # AddAfter(minReadySeconds) when every replica is ready and, from updatePod, minReadySeconds+1
        # after any pod turns Ready; one timer per pending pod covers both.
        # (only pods not yet available count: an earlier time would re-queue at once, forever)
        now_epoch = state.config.start_time + state.now
        since = [t for t in (ready_since(p) for p in active_pods(state, uid))
                 if t is not None and t + min_ready >= now_epoch]
        at = (min(since) if since else now_epoch) + min_ready + 1
        state = state.add_timer(at - state.config.start_time, NAME, key)
    return state


def manage_replicas(state: ClusterState, rs: FrozenDict, count: int,
                    pods: list[FrozenDict] | None = None) -> tuple[ClusterState, str]:
    """Create or delete pods so ``count`` active pods become ``spec.replicas`` (at most 500 per sync)."""
    spec = rs["spec"]
    diff = count - int(spec.get("replicas", 1))
    burst = state.config.burst_replicas
    ns = rs["metadata"]["namespace"]
    if diff < 0:
        n = min(-diff, burst)
        template = spec["template"]
        # slowStartBatch sends the creates in growing batches and stops at the first error; the model
        # creates them in order and stops at the first rejection, the same pods either way
        state, r = create_many(state, NAME, [pod_from_template(template, rs, ns) for _ in range(n)])
        rejection = r.rejection
        if rejection is not None:
            if rejection.has_cause("NamespaceTerminating"):
                return state, ""  # expected while the namespace goes away: not a failure
            return state, rejection.message
    elif diff > 0:
        n = min(diff, burst)
        chosen = _take(state, rs, n) if pods is None else get_pods_to_delete(state, rs, pods, n)
        state = _delete_pods(state, chosen)
        if pods is None:
            _taken(state, rs["metadata"]["uid"], chosen)
    return state, ""


def _delete_pods(state: ClusterState, pods: list[FrozenDict]) -> ClusterState:
    """The burst's DELETEs, in order, as one batch (one turn's writes, one transaction). Upstream sends
    them in parallel and each stands alone: when one is rejected (the batch stops there), the pods the batch
    did not reach are deleted one by one, and the rejected one is simply rejected again (a rejected request
    changes nothing)."""
    if not pods:
        return state
    state, response = delete_many(state, NAME, pods)
    if response.rejection is not None:
        for pod in pods:
            md = pod["metadata"]
            if state.get("Pod", md["namespace"], md["name"]) is pod:
                state = delete(state, NAME, "Pod", md["namespace"], md["name"])[0]
    return state


# ---------------------------------------------------------------------------------------------
# watches (the informer handlers addPod/updatePod/deletePod, addRS/updateRS)
# ---------------------------------------------------------------------------------------------
def _pod_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is not None:
        refs = new["metadata"].get("ownerReferences")
        if refs and (old is None or refs is old["metadata"].get("ownerReferences")):
            # the common create or update: one controller, the same before and after (its memo read inline)
            ns = new["metadata"]["namespace"]
            hit = _KEYS.get(id(refs))
            found = hit[2] if hit is not None and hit[0] is refs and hit[1] == ns else _controller_keys(ns, refs)
            if found is not None:
                return found
    keys: list[str] = []
    for pod in (old, new):
        if pod is None:
            continue
        ref = get_controller_of(pod)
        ns = pod["metadata"]["namespace"]
        if ref is not None:
            if ref.get("kind") == "ReplicaSet":
                k = f"{ns}/{ref['name']}"
                if k not in keys:
                    keys.append(k)
        elif is_pod_active(pod):
            # an orphan: every ReplicaSet whose selector matches may adopt it (getPodReplicaSets)
            for rs in sorted(state.iter_kind("ReplicaSet", ns), key=lambda o: o["metadata"]["name"]):  # hash-free
                if selector_matches(rs["spec"].get("selector"), pod["metadata"].get("labels")):
                    k = ns_key(rs)
                    if k not in keys:
                        keys.append(k)
    return keys


_KEYS: dict[int, tuple[Any, str, tuple[str, ...] | None]] = {}


def _controller_keys(ns: str, refs: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The work key of the ReplicaSet controlling a pod with these owner references: ``()`` when its
    controller is of another kind, None when it has none. Memoised by identity of ``refs`` (the pods of
    one ReplicaSet share them)."""
    hit = _KEYS.get(id(refs))
    if hit is not None and hit[0] is refs and hit[1] == ns:
        return hit[2]
    ref = next((r for r in refs if r.get("controller")), None)
    keys = None if ref is None else ((f"{ns}/{ref['name']}",) if ref.get("kind") == "ReplicaSet" else ())
    if len(_KEYS) > 10_000:
        _KEYS.clear()
    _KEYS[id(refs)] = (refs, ns, keys)
    return keys


def _rs_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    obj = new if new is not None else old
    assert obj is not None
    if new is not None and old is not None and new.get("spec") == old.get("spec") and (
            new["metadata"].get("deletionTimestamp") == old["metadata"].get("deletionTimestamp")):
        return ()  # our own status writes and annotation changes need no sync
    return (ns_key(obj),)


register(Controller(NAME, sync, {"Pod": _pod_keys, "ReplicaSet": _rs_keys}, status_blind=frozenset({"ReplicaSet"})))
