"""The cluster state: one immutable value holding every object, its indexes, the clock and the work queue.

**Mirrors:** etcd plus the informer caches and work queues of kube-controller-manager
(``staging/src/k8s.io/client-go/tools/cache`` indexers, ``util/workqueue``).
**Modelled:** objects by kind, namespace and name in persistent maps (``immutables.Map``); secondary
indexes kept incrementally on every write (uid and owner uid for every kind; the pod indexes (label sets,
pods by node, node usage, per-controller pod counts and pods per node, orphan pods) and the no-controller index for the
kinds whose registry entry declares them, ``KindInfo.indexes``), checked against a recomputation by :func:`index_errors`; writes
applied through a transaction (:class:`_Txn`) that mutates the maps it changes in place and builds one
new state per batch of writes; the set of dirty ``(controller, key)`` work items and the timers that
re-queue them; the virtual clock; the environment's facts (failed nodes, images that cannot be pulled);
monotonic counters for uids, resourceVersions and pod IPs.
A controller's batch of creates, Bindings or status writes moves the indexes in one pass per run of
(at most 256 of) them (:meth:`_Txn.index_creates`, :meth:`_Txn.index_bindings`, :meth:`_Txn.index_statuses`): the counts
the writes move (a controller's :class:`PodStats`, a node's usage) are summed and written once per
controller and node and transaction, not once per pod, and the index entries a run of one controller's pods
goes to are looked up once.
Cost that still grows with the cluster: every read and write of a persistent map costs O(log32 n) node
visits, and the maps keyed by pod (the objects, the work queue, the timers, the uid, owner and label-set
indexes) have about four levels at 100,000 pods against three at 10,000: per pod a bulk converge still makes
about twenty such lookups and writes (its create, binding and two status writes, its work keys queued and
taken, its timer). The hot paths avoid repeating them (a transaction does not re-read what it writes;
``enqueue_many`` drops duplicates before looking in the queue). What grows most is memory traffic, not
work: instruction counts are linear in the pods (20,000 cost 2.01 times 10,000), but a processor's last-level
cache (32 MiB here) holds the objects of about 10,000 pods, so at 100,000 every pass over all the pods reads
each one from memory again. Such passes come once the pods' readiness timers fire together: every pod is
synced, its status written, indexed and watched, and its previous version freed. A simulated cache at the
same pods-to-cache ratio as 40,000 pods here (callgrind ``--cache-sim``, 5,000 pods, 4 MiB last-level cache)
counts about 70 last-level misses per pod in that work (139 before the flushes were cut into requests and
the replaced versions freed as they go): the kubelet's syncs, in key order, 27 (each pod read, its new
status built); the flush, in node order, 32 (19 to build each node's bodies and free the versions the
request before replaced, 13 to write and index them); the timers fired and the queue they filled, freed, 8.
Work that re-reads what was just written is therefore done while it is still cached: the index upkeep of a
batch runs every 256 writes (``apiserver._INDEX_RUN``); a run of flushes goes in requests of at least 256
statuses (``kubelet.FLUSH_RUN``), each written, watched and its bodies freed before the next is built; and
``converge`` holds no state between steps, so the pods a request replaces are freed when it commits (freed
in a pass of their own after the run, in map order, they were 41% of the misses and 8% of the
instructions). What is left is two reads of each pod from memory (the sync's and the flush's, in different
orders) and the allocations they make.
**Not modelled:** watch streams and informer lag: a controller sees the state as of its turn, which is
one of the interleavings a real cluster allows.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from itertools import repeat
from operator import add as _add
from operator import sub as _sub
from typing import Any

import attrs
import immutables

from .frozen import FrozenDict

__all__ = [
    "ALLOCATION_INDEX",
    "ORPHAN_INDEX",
    "POD_INDEXES",
    "ClusterConfig",
    "ClusterState",
    "NodeCountLog",
    "PodStats",
    "Ref",
    "UnscheduledLog",
    "format_time",
    "index_errors",
    "parse_time",
]

Map = immutables.Map
Ref = tuple[str, str, str]  # (kind, namespace, name); namespace "" for cluster-scoped kinds
WorkItem = tuple[str, str]  # (controller, key)

_EMPTY: Any = immutables.Map()
_NO_LABELS: Any = {}


#: the default of ``ClusterConfig.strict`` for configs built without it; the test suite sets it to True
STRICT_BY_DEFAULT = False


@attrs.frozen
class ClusterConfig:
    """Explicit inputs that upstream takes from flags and feature gates."""

    service_cidr: str = "10.0.0.0/24"  # kube-apiserver default (rule SVC-2)
    node_port_range: tuple[int, int] = (30000, 32767)  # rule SVC-5
    pod_cidr_base: str = "10.244.0.0"
    cluster_domain: str = "cluster.local"
    # the modelled cloud's pool of load-balancer addresses (refmodel/controllers/service.py); "" = no cloud:
    # LoadBalancer Services stay pending, as on a cluster without a cloud-controller-manager (SVC-6)
    load_balancer_ips: str = ""
    node_monitor_grace_period: int = 40  # seconds without a heartbeat before Ready=Unknown (NODE-1)
    default_toleration_seconds: int = 300  # DefaultTolerationSeconds admission (NODE-2)
    image_pull_seconds: int = 1  # virtual time a successful image pull takes
    termination_seconds: int = 0  # virtual time between SIGTERM and the kubelet confirming termination
    burst_replicas: int = 500  # ReplicaSet BurstReplicas (RS-1)
    max_unavailable_statefulset: bool = False  # feature gate MaxUnavailableStatefulSet: alpha, off in v1.32 (SS-10)
    max_backoff_seconds: int = 300  # kubelet crash/pull back-off cap (P-3)
    terminated_pod_gc_threshold: int = 12500  # PodGC (P-13)
    start_time: int = 1735689600  # 2025-01-01T00:00:00Z, the epoch of the virtual clock
    # validate every controller write as a user's (the API server's full checks): a controller that
    # writes what the API would reject is caught. Off by default (controllers build their objects from
    # validated templates, and validating each pod costs); the test suite turns it on (tests/conftest.py)
    strict: bool = attrs.field(factory=lambda: STRICT_BY_DEFAULT)
    # the default StorageClass a new cluster has ("" for none, as a bare kube-apiserver): like kind's and
    # minikube's "standard", served by the model's in-memory provisioner (refmodel/provisioners.py), so that
    # claims with no class (a StatefulSet's volumeClaimTemplates) bind as they do on a development cluster
    default_storage_class: str = "standard"


class _AccessLog:
    """An immutable linked log, newest link first, that a state carries as an access path, not as part of its
    value: every log of a class equals every other (a state's equality and hash ignore it), a copy (pickle)
    starts empty, and past :data:`LOG_CAP` entries the chain starts again (a reader whose mark is gone
    rebuilds from the state). A reader keeps the link it last read (its mark) and asks what came since."""

    __slots__ = ("items", "older", "size")

    def __init__(self, older: Any = None, items: tuple[Any, ...] = (), size: int = 0) -> None:
        self.older, self.items, self.size = older, items, size

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return 0

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), ())

    def _linked(self, items: tuple[Any, ...]) -> Any:
        size = self.size + len(items)
        if size > LOG_CAP:
            return type(self)(None, items, len(items))
        return type(self)(self, items, size)

    def _since(self, mark: _AccessLog) -> list[Any] | None:
        """The entries after ``mark`` (a link of this log), oldest first; None when ``mark`` is not in this log
        (another state's, or dropped by the cap)."""
        links = []
        link: _AccessLog | None = self
        while link is not mark:
            if link is None:
                return None
            links.append(link.items)
            link = link.older
        return [e for items in reversed(links) for e in items]


class UnscheduledLog(_AccessLog):
    """The writes of pods with no node, newest first: one link per request that wrote any pod that had no
    node before or after the write (created, bound, written or removed while unscheduled), holding for
    each, in the order written, its (namespace, name) and the pod as written when it still has no node
    (None when the write bound or removed it). The API server appends a link on commit (:meth:`after`); the
    scheduler's queue takes what was written since its last turn (:meth:`since`), as upstream's scheduling
    queue is fed the informer's add/update/delete events of unassigned pods (``pkg/scheduler/eventhandlers.go``:
    addPodToSchedulingQueue, updatePodInSchedulingQueue, deletePodFromSchedulingQueue) rather than listing
    them (refmodel/controllers/scheduler.py).

    An access path, not part of the state's value: every log equals every other (a state's equality and
    hash ignore it) and a copy (pickle) starts empty. Capped at :data:`LOG_CAP` writes: past it the chain
    starts again, and a reader whose mark is gone lists the pending pods instead.
    """

    __slots__ = ()

    def after(self, writes: list[tuple[Ref, Any, Any, bool]]) -> UnscheduledLog:
        """This log with a link for ``writes`` (one request's committed writes), or itself when none wrote a
        pod that had no node before or after."""
        out = []
        for ref, old, new, status_only in writes:
            if ref[0] == "Pod":
                if new is not None:
                    if not new["spec"].get("nodeName"):
                        out.append(((ref[1], ref[2]), new))
                        continue
                    if status_only:  # (the spec, and so the node, is the one before: the commonest write)
                        continue
                if old is not None and not old["spec"].get("nodeName"):
                    out.append(((ref[1], ref[2]), None))
        return self._linked(tuple(out)) if out else self

    def since(self, mark: UnscheduledLog) -> list[tuple[tuple[str, str], FrozenDict | None]] | None:
        """The writes after ``mark``, oldest first; None when ``mark`` is gone (:meth:`_AccessLog._since`)."""
        return self._since(mark)


LOG_CAP = 1 << 14


class NodeCountLog(_AccessLog):
    """The moves of the per-node pod counts (:attr:`PodStats.nodes`), newest first: one link per transaction
    that moved a controller's count of active pods on a node (a binding, a graceful deletion, a pod that
    finishes, is removed, adopted or released), holding the (controller uid, node) pairs it moved, as the
    transaction moved them (:meth:`_Txn._settle` and :meth:`_Txn._put_pod`, where the counts move: a write
    that moves none, the commonest status write, costs nothing here). :meth:`_Txn.finish` appends the link
    (:meth:`after`); the ReplicaSet controller reads what moved since its last scale-down burst
    (:meth:`since`) and ranks again only the nodes named (refmodel/controllers/replicaset.py), as upstream's
    informers hand each controller the pod events rather than a list to diff. A pair may be named with a
    net move of zero (a reader looks the counts up); no move goes unnamed.

    An access path, not part of the state's value, as :class:`UnscheduledLog`: every log equals every other,
    a copy (pickle) starts empty, and past :data:`LOG_CAP` pairs the chain starts again (a reader whose
    mark is gone counts every node again).
    """

    __slots__ = ()

    def after(self, moves: list[tuple[str, str]]) -> NodeCountLog:
        """This log with a link for ``moves`` (the pairs one transaction moved, :meth:`_Txn.finish`)."""
        return self._linked(tuple(moves))  # type: ignore[no-any-return]

    def since(self, mark: NodeCountLog) -> list[tuple[str, str]] | None:
        """The pairs logged after ``mark``, oldest first; None when ``mark`` is gone (:meth:`_AccessLog._since`)."""
        return self._since(mark)


@attrs.frozen
class ClusterState:
    """Everything there is. Build one with :func:`refmodel.new_cluster`; change it only with ``step``."""

    objects: Any = _EMPTY  # Map[kind, Map[namespace, Map[name, FrozenDict]]]
    by_uid: Any = _EMPTY  # Map[uid, Ref]
    by_owner: Any = _EMPTY  # Map[owner uid, Map[Ref, None]]
    pod_labels: Any = _EMPTY  # Map[(namespace, key, value), Map[label set, None]]: the pods' label sets with it
    pod_label_sets: Any = _EMPTY  # Map[(namespace, label set), Map[name, None]]; a label set is a frozenset of items
    pods_by_node: Any = _EMPTY  # Map[node ("" = unscheduled), Map[(namespace, name), None]]
    orphan_pods: Any = _EMPTY  # Map[namespace, Map[name, None]]: active pods with no controller
    orphans: Any = _EMPTY  # Map[(kind, namespace), Map[name, None]]: ReplicaSets with no controller
    pod_stats: Any = _EMPTY  # Map[controller uid, PodStats] of its active pods
    node_usage: Any = _EMPTY  # Map[node, (cpu milli, memory, pods, non-zero cpu, non-zero memory)]
    allocations: Any = _EMPTY  # Map[allocated value (("ip", addr) | ("port", n)), (namespace, name) holding it]
    dirty: Any = _EMPTY  # Map[WorkItem, seq]
    timers: Any = _EMPTY  # Map[time, Map[WorkItem, bool essential]]
    env: Any = _EMPTY  # Map[str, Any]: environment facts ("down_nodes", "bad_images", ...)
    now: int = 0  # seconds since config.start_time
    rv: int = 1  # last resourceVersion handed out
    uid_seq: int = 0
    ip_seq: int = 0
    seq: int = 0  # work-queue order
    config: ClusterConfig = ClusterConfig()
    # the writes of unscheduled pods, for the scheduler's queue (not part of the value: :class:`UnscheduledLog`)
    unscheduled: UnscheduledLog = attrs.field(factory=UnscheduledLog, eq=False, repr=False)
    # the moves of the per-node pod counts, for the ReplicaSet's deletion ranking (not part of the value:
    # :class:`NodeCountLog`)
    node_counts: NodeCountLog = attrs.field(factory=NodeCountLog, eq=False, repr=False)

    def replace(self, **changes: Any) -> ClusterState:
        """``attrs.evolve`` for this class (replaced below by a generated, faster equivalent)."""
        return attrs.evolve(self, **changes)

    # ---- reads -------------------------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> FrozenDict | None:
        ns_map = self.objects.get(kind)
        if ns_map is None:
            return None
        names = ns_map.get(namespace)
        if names is None:
            return None
        obj: FrozenDict | None = names.get(name)
        return obj

    def get_ref(self, ref: Ref) -> FrozenDict | None:
        return self.get(ref[0], ref[1], ref[2])

    def by_uid_get(self, uid: str) -> FrozenDict | None:
        ref = self.by_uid.get(uid)
        return None if ref is None else self.get_ref(ref)

    def iter_kind(self, kind: str, namespace: str | None = None) -> Iterator[FrozenDict]:
        ns_map = self.objects.get(kind)
        if ns_map is None:
            return
        if namespace is not None:
            names = ns_map.get(namespace)
            if names is not None:
                yield from names.values()
            return
        for names in ns_map.values():
            yield from names.values()

    def count(self, kind: str, namespace: str | None = None) -> int:
        ns_map = self.objects.get(kind)
        if ns_map is None:
            return 0
        if namespace is not None:
            names = ns_map.get(namespace)
            return 0 if names is None else len(names)
        return sum(len(n) for n in ns_map.values())

    def dependents(self, owner_uid: str) -> list[Ref]:
        deps = self.by_owner.get(owner_uid)
        return [] if deps is None else list(deps.keys())

    def pods_on_node(self, node: str) -> list[FrozenDict]:
        keys = self.pods_by_node.get(node)
        if not keys:
            return []
        pods = self.objects.get("Pod")
        out = []
        for ns, name in sorted(keys):  # a fixed order: the index is a hash map
            pod = pods[ns][name]
            out.append(pod)
        return out

    def pods_with_labels(self, namespace: str, pairs: list[tuple[str, str]]) -> list[str]:
        """Names of the pods in ``namespace`` whose labels hold every (key, value) of ``pairs`` (at least
        one), from the label index: the label sets of the rarest pair, then their pods. Pods of one template
        share a label set, so this looks at a handful of sets, not at every pod."""
        candidates = []
        for k, v in pairs:
            sets = self.pod_labels.get((namespace, k, v))
            if sets is None:
                return []
            candidates.append(sets)
        out: list[str] = []
        for ls in min(candidates, key=len):
            if all(p in ls for p in pairs):
                out.extend(self.pod_label_sets[(namespace, ls)].keys())
        return out

    def pods_with_label(self, namespace: str, key: str, value: str) -> list[str]:
        return self.pods_with_labels(namespace, [(key, value)])

    def timestamp(self, offset: int = 0) -> str:
        return format_time(self.config.start_time + self.now + offset)

    def holder(self, value: Any) -> tuple[str, str] | None:
        """The (namespace, name) of the object holding ``value`` in the cluster's allocators, or None."""
        got: tuple[str, str] | None = self.allocations.get(value)
        return got

    def orphans_of_kind(self, kind: str, namespace: str) -> list[str]:
        """Names of the objects of ``kind`` (ReplicaSet) in ``namespace`` that have no controller."""
        names = self.orphans.get((kind, namespace))
        return [] if names is None else sorted(names)

    # ---- raw writes (used only by apiserver.py) ----------------------------------------------
    def _transaction(self) -> _Txn:
        """A transaction on this state: writes applied in place to private copies of the maps they
        touch, read back by :meth:`_Txn.get`, and a new state from :meth:`_Txn.finish` (this one is
        never changed; an unfinished transaction is simply dropped)."""
        return _Txn(self)

    def enqueue(self, controller: str, key: str) -> ClusterState:
        item = (controller, key)
        if item in self.dirty:
            return self
        return self.replace(dirty=self.dirty.set(item, self.seq), seq=self.seq + 1)

    def enqueue_many(self, items: list[WorkItem]) -> ClusterState:
        if not items:
            return self
        dirty = self.dirty
        if len(items) > 1:
            # duplicates first, with a dict (a batch's writes name their controller's key once each): a
            # lookup in the queue, a persistent map as large as the cluster's backlog, costs several times more
            items = list(dict.fromkeys(items))
        items = [i for i in items if i not in dirty]
        if not items:
            return self
        seq = self.seq
        with dirty.mutate() as mm:
            for item in items:
                mm[item] = seq
                seq += 1
            dirty = mm.finish()
        return self.replace(dirty=dirty, seq=seq)

    def add_timer(self, at: int, controller: str, key: str, essential: bool = True) -> ClusterState:
        """Re-queue ``(controller, key)`` at virtual time ``at`` (seconds since start).

        Timers that are not ``essential`` are retries (back-off): ``converge`` does not wait for them.
        """
        at = max(at, self.now)
        slot = self.timers.get(at) or _EMPTY
        item = (controller, key)
        if slot.get(item) is True or slot.get(item) == essential:
            return self
        return self.replace(timers=self.timers.set(at, slot.set(item, essential or bool(slot.get(item)))))


class _Txn:
    """A batch of writes being applied to a state: every map it changes is mutated in place
    (``Map.mutate``), inner maps of the nested indexes too, and the new state is built once by
    :meth:`finish`. Nothing outside ever sees a map before it is finished, so states stay values.

    **Mirrors:** the informer indexers of client-go (``cache.Indexer``: an object's index entries move
    with every add/update/delete).
    """

    __slots__ = ("flat", "moves", "names", "nested", "node_moves", "state", "usage", "written")

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        # the controllers (uids) one of whose active pods was written: :meth:`finish` gives each a new
        # ``PodStats`` entry (equal, unless a count moved), so the entry's identity changes with every write
        # of an active pod of its controller (the ReplicaSet's deletion ranking keeps its order while the
        # entry stays the same object: refmodel/controllers/replicaset.py)
        self.written: set[str] = set()
        self.flat: dict[str, Any] = {}  # field -> MapMutation of a flat index
        self.nested: dict[tuple[str, Any], Any] = {}  # (field, key) -> MapMutation of an inner map
        self.names: dict[tuple[str, str], Any] = {}  # (kind, namespace) -> MapMutation of the objects' names
        # counts that moved and are not yet in the indexes (sums commute: each entry is replaced once, by
        # :meth:`_settle` before any other change of ``pod_stats`` and by :meth:`finish`):
        # controller uid -> [ready pods moved, {node: pods moved}, active pods moved, {label set: pods moved}];
        # node -> its usage moved (node_usage)
        self.moves: dict[str, list[Any]] = {}
        self.usage: dict[str, tuple[int, ...]] = {}
        self.node_moves: list[tuple[str, str]] = []  # (controller uid, node) of every per-node count moved

    def _flat(self, field: str) -> Any:
        mm = self.flat.get(field)
        if mm is None:
            mm = self.flat[field] = getattr(self.state, field).mutate()
        return mm

    def _inner(self, field: str, key: Any) -> Any:
        k = (field, key)
        mm = self.nested.get(k)
        if mm is None:
            inner = getattr(self.state, field).get(key)
            mm = self.nested[k] = (_EMPTY if inner is None else inner).mutate()
        return mm

    def get(self, kind: str, ns: str, name: str) -> FrozenDict | None:
        """The object as this transaction's writes left it."""
        names = self.names.get((kind, ns))
        if names is not None:
            obj: FrozenDict | None = names.get(name)
            return obj
        return self.state.get(kind, ns, name)

    def holder(self, value: Any) -> tuple[str, str] | None:
        """:meth:`ClusterState.holder` as this transaction's writes left it."""
        mm = self.flat.get("allocations")
        got: tuple[str, str] | None = (mm if mm is not None else self.state.allocations).get(value)
        return got

    @property
    def config(self) -> ClusterConfig:
        return self.state.config

    def finish(self, extra: dict[str, Any]) -> ClusterState:
        state = self.state
        changes = extra
        if self.moves:
            self._settle()
        if self.node_moves:  # the ReplicaSet's deletion ranking reads the per-node count moves
            changes["node_counts"] = state.node_counts.after(self.node_moves)
        if self.usage:
            usage = self._flat("node_usage")
            for node, vec in self.usage.items():
                usage[node] = tuple(map(_add, usage.get(node) or (0, 0, 0, 0, 0), vec))
        if self.written:
            stats = self._flat("pod_stats")
            before = state.pod_stats
            for uid in self.written:
                entry = stats.get(uid)
                if entry is not None and entry is before.get(uid):  # (not replaced by a count that moved)
                    stats[uid] = _pod_stats(entry.active, entry.ready, entry.label_sets, entry.nodes)
        for field, mm in self.flat.items():
            changes[field] = mm.finish()
        outers: dict[str, Any] = {}
        for (field, key), mm in self.nested.items():
            outer = outers.get(field)
            if outer is None:
                outer = outers[field] = getattr(state, field).mutate()
            inner = mm.finish()
            if len(inner):
                outer[key] = inner
            elif key in outer:
                del outer[key]
        for field, outer in outers.items():
            changes[field] = outer.finish()
        if self.names:
            objects = state.objects.mutate()
            for (kind, ns), mm in self.names.items():
                names = mm.finish()
                ns_map = objects.get(kind) or _EMPTY
                if len(names):
                    objects[kind] = ns_map.set(ns, names)
                elif ns in ns_map:
                    objects[kind] = ns_map.delete(ns)
            changes["objects"] = objects.finish()
        return state.replace(**changes)

    def names_of(self, kind: str, ns: str) -> Any:
        """The transaction's map of the names of ``kind`` in ``ns`` (a mutation: what :meth:`get` reads).
        A writer that stores into it itself (:meth:`index_statuses`) moves the index entries after."""
        names = self.names.get((kind, ns))
        if names is None:
            ns_map = self.state.objects.get(kind)
            current = ns_map.get(ns) if ns_map is not None else None
            names = self.names[(kind, ns)] = (_EMPTY if current is None else current).mutate()
        return names

    def index_statuses(self, changes: list[tuple[Ref, Any, Any, bool]]) -> None:
        """The index upkeep of status-only writes already stored in :meth:`names_of`'s maps, in order:
        what :meth:`put` with ``status_only`` does after storing, for a batch at once (a kubelet's node
        flush: the commonest request). Readiness is all a live pod's status write can move in its
        controller's :class:`PodStats`, so the moves are summed per controller and each entry is
        replaced once; a write into or out of a terminal phase goes through :meth:`_put_pod` in its turn."""
        moves = self.moves
        kind = None
        pods = False
        # the writes of a batch mostly share their owner references and conditions (pods of one controller
        # that changed together): the last ones looked up are kept
        refs_seen: Any = None
        uid: str | None = None
        move: list[Any] = []
        conds_seen: tuple[Any, Any] = (None, None)
        ready = 0
        for ref, old, new, _ in changes:
            if ref[0] is not kind:
                kind = ref[0]
                pods = POD_INDEXES in (_INDEX_CACHE.get(kind) or _indexes_of(kind))
            if not pods:
                continue
            old_status = old.get("status") or _NO_LABELS
            new_status = new.get("status") or _NO_LABELS
            if old_status.get("phase") in _TERMINAL or new_status.get("phase") in _TERMINAL:
                self._put_pod(ref[1], ref[2], old, new, old["metadata"], new["metadata"], True)
                refs_seen = None  # (_put_pod may settle the moves: look the entry up again)
                continue
            new_md = new["metadata"]
            if new_md.get("deletionTimestamp"):
                continue
            # _count_moved, with its memo lookups inline
            refs = new_md.get("ownerReferences")
            if refs is not refs_seen or moves is not self.moves:
                if not refs:
                    continue
                hit = _UID_CACHE.get(id(refs))
                uid = hit[1] if hit is not None and hit[0] is refs else _controller_uid(refs)
                refs_seen, moves = refs, self.moves
                if uid is None:
                    continue
                self.written.add(uid)
                move = moves.get(uid) or []
            elif uid is None:
                continue
            old_conds = old_status.get("conditions")
            new_conds = new_status.get("conditions")
            if old_conds is new_conds:
                continue
            if conds_seen[0] is not old_conds or conds_seen[1] is not new_conds:
                conds_seen = (old_conds, new_conds)
                ready = _is_ready(new_conds) - _is_ready(old_conds)
            if ready:
                if not move:
                    move = moves[uid] = [0, {}, 0, {}]
                move[0] += ready

    def index_bindings(self, changes: list[tuple[Ref, Any, Any, bool]]) -> None:
        """The index upkeep of bindings already stored in :meth:`names_of`'s maps, in order: what
        :meth:`put` does after storing, for a scheduler turn at once. A binding moves a live pod from no
        node to its node: pods_by_node, its node's usage and its controller's counts per node; any other
        write goes through the general upkeep in its turn."""
        nested = self.nested
        unbound = self._inner("pods_by_node", "")
        usage = self.usage
        # the controller the last binding's pod counts for: a turn's pods share their owner references
        refs_seen: Any = None
        uid: str | None = None
        for ref, old, new, _ in changes:
            old_md = old["metadata"]
            new_md = new["metadata"]
            new_spec = new["spec"]
            new_node = new_spec.get("nodeName") or ""
            refs = new_md.get("ownerReferences")
            old_status = old.get("status") or _NO_LABELS
            new_status = new.get("status") or _NO_LABELS
            if (ref[0] != "Pod" or old["spec"].get("nodeName") or not new_node
                    or old_md.get("labels") is not new_md.get("labels") or old_md.get("ownerReferences") is not refs
                    or old_md.get("deletionTimestamp") or new_md.get("deletionTimestamp")
                    or old_status.get("phase") in _TERMINAL or new_status.get("phase") in _TERMINAL):
                self._index(ref, old, new, False)
                refs_seen = None  # (the general upkeep may settle the moves)
                continue
            key = (ref[1], ref[2])
            unbound.pop(key, None)
            inner = nested.get(("pods_by_node", new_node))
            (inner if inner is not None else self._inner("pods_by_node", new_node))[key] = None
            # _use(new_node, requests, _add)
            vec = _podutil.pod_requests_vector(new_spec)
            was = usage.get(new_node)
            usage[new_node] = vec if was is None else tuple(map(_add, was, vec))
            # _count_moved(new_md, old_status, new_status, "", new_node)
            if refs is not refs_seen:
                refs_seen = refs
                uid = _controller_uid(refs)
                if uid is not None:
                    self.written.add(uid)
            if uid is None:
                continue
            old_conds = old_status.get("conditions")
            new_conds = new_status.get("conditions")
            ready = 0 if old_conds is new_conds else _is_ready(new_conds) - _is_ready(old_conds)
            move = self.moves.get(uid)
            if move is None:
                move = self.moves[uid] = [0, {}, 0, {}]
            move[0] += ready
            nodes = move[1]
            nodes[new_node] = nodes.get(new_node, 0) + 1

    def _use(self, node: str, vec: tuple[int, ...], op: Any) -> None:
        """Move ``node``'s usage by ``vec`` (``op``: add or subtract), applied to node_usage by :meth:`finish`."""
        was = self.usage.get(node)
        self.usage[node] = tuple(map(op, was if was is not None else (0, 0, 0, 0, 0), vec))

    def _settle(self) -> None:
        """Apply the count moves held in ``moves`` to ``pod_stats``: one new entry per controller."""
        stats = self._flat("pod_stats")
        node_moves = self.node_moves
        for uid, (ready, nodes, active, label_sets) in self.moves.items():
            if nodes:
                node_moves.extend(zip(repeat(uid), nodes))
            entry = stats.get(uid) or PodStats()
            stats[uid] = _pod_stats(entry.active + active, entry.ready + ready, _summed(entry.label_sets, label_sets),
                                    _summed(entry.nodes, nodes))
        self.moves = {}

    def index_creates(self, changes: list[tuple[Ref, Any, Any, bool]]) -> None:
        """The index upkeep of new objects already stored in :meth:`names_of`'s maps, in order: what
        :meth:`put` does after storing, for a controller's burst of creates at once. The common one is a
        controller's new pod, not yet bound: uid, owner, label-set and pods-by-node entries, and its
        controller's counts (summed, as the other moves); any other goes through the general upkeep in its
        turn."""
        by_uid = self._flat("by_uid")
        kind = None
        pods = False
        # the index entries the last fast create went to: a burst's pods share their owner references, labels
        # and namespace (forgotten after a create the general upkeep takes, which may settle the moves)
        seen: tuple[Any, Any, str] | None = None
        owners: list[Any] = []
        ls: frozenset[tuple[str, str]] = frozenset()
        members: Any = None
        unbound: Any = None
        move: list[Any] = []
        for ref, _, new, _ in changes:
            if ref[0] is not kind:
                kind = ref[0]
                indexes = _INDEX_CACHE.get(kind) or _indexes_of(kind)
                pods = POD_INDEXES in indexes and ALLOCATION_INDEX not in indexes
            md = new["metadata"]
            refs = md.get("ownerReferences")
            labels = md.get("labels")
            status = new.get("status") or _NO_LABELS
            if not pods or not refs or not labels or new["spec"].get("nodeName") or md.get("deletionTimestamp") or (
                    status.get("phase") in _TERMINAL):
                self._index(ref, None, new, False)
                seen = None
                continue
            ns = ref[1]
            if seen is None or seen[0] is not refs or seen[1] is not labels or seen[2] != ns:
                uid = _controller_uid(refs)
                if uid is None:
                    self._index(ref, None, new, False)
                    seen = None
                    continue
                seen = (refs, labels, ns)
                owners = [self._inner("by_owner", owner) for owner in _owner_uids_of(refs)]
                ls = _label_set(labels)
                members = self._inner("pod_label_sets", (ns, ls))
                unbound = self._inner("pods_by_node", "")
                move = self.moves.get(uid) or []
                if not move:
                    move = self.moves[uid] = [0, {}, 0, {}]
            name = ref[2]
            by_uid[md["uid"]] = ref
            for inner in owners:
                inner[ref] = None
            if not len(members):
                for item in ls:
                    self._inner("pod_labels", (ns, *item))[ls] = None
            members[name] = None
            unbound[(ns, name)] = None
            conditions = status.get("conditions")
            if conditions and _is_ready(conditions):
                move[0] += 1
            move[2] += 1
            counts = move[3]
            counts[ls] = counts.get(ls, 0) + 1

    def put(self, ref: Ref, old: FrozenDict | None, new: FrozenDict | None, status_only: bool = False) -> None:
        """Store ``new`` in place of ``old`` (None: absent) and move their index entries. ``status_only``
        says only status (and resourceVersion) changed: the status subresource's writes. ``old`` is what
        the transaction holds (the API server's writers read it with :meth:`get` just before)."""
        kind, ns, name = ref
        names = self.names.get((kind, ns))
        if names is None:  # (names_of, inline: a single write's transaction asks once)
            ns_map = self.state.objects.get(kind)
            current = ns_map.get(ns) if ns_map is not None else None
            names = self.names[(kind, ns)] = (_EMPTY if current is None else current).mutate()
        if new is None:
            names.pop(name, None)
        else:
            names[name] = new
        self._index(ref, old, new, status_only)

    def _index(self, ref: Ref, old: FrozenDict | None, new: FrozenDict | None, status_only: bool) -> None:
        """Move the index entries of a write that is stored: :meth:`put` after storing."""
        kind, ns, name = ref
        if status_only:
            # identity, owners and labels are as they were: only what a pod counts for may move
            if POD_INDEXES in (_INDEX_CACHE.get(kind) or _indexes_of(kind)):
                old_status = old.get("status") or _NO_LABELS  # type: ignore[union-attr]
                new_status = new.get("status") or _NO_LABELS  # type: ignore[union-attr]
                if old_status.get("phase") in _TERMINAL or new_status.get("phase") in _TERMINAL:
                    self._put_pod(ns, name, old, new, old["metadata"], new["metadata"], True)  # type: ignore[index]
                    return
                # the commonest write of all (a kubelet's status update of a live pod): _put_pod's common
                # update, with neither spec, labels, owners nor terminal state moving
                new_md = new["metadata"]  # type: ignore[index]
                if not new_md.get("deletionTimestamp"):
                    self._count_moved(new_md, old_status, new_status, "", "")
            return
        old_md = old["metadata"] if old is not None else None
        new_md = new["metadata"] if new is not None else None
        # uid index
        if old_md is None:
            if new_md is not None:
                self._flat("by_uid")[new_md["uid"]] = ref
        elif new_md is None:
            self._flat("by_uid").pop(old_md["uid"], None)
        # owner index
        old_refs = old_md.get("ownerReferences") if old_md is not None else None
        new_refs = new_md.get("ownerReferences") if new_md is not None else None
        if old_refs is not new_refs and old_refs != new_refs:
            old_owners = _owner_uids_of(old_refs)
            new_owners = _owner_uids_of(new_refs)
            for uid in old_owners - new_owners if old_owners else ():
                self._inner("by_owner", uid).pop(ref, None)
            for uid in new_owners - old_owners if new_owners else ():
                self._inner("by_owner", uid)[ref] = None
        indexes = _INDEX_CACHE.get(kind) or _indexes_of(kind)
        if POD_INDEXES in indexes:
            self._put_pod(ns, name, old, new, old_md, new_md)
        elif ORPHAN_INDEX in indexes and (old is None or new is None or old_refs is not new_refs):
            was = old is not None and not _has_controller(old_refs)
            now = new is not None and not _has_controller(new_refs)
            if was != now:
                if now:
                    self._inner("orphans", (kind, ns))[name] = None
                else:
                    self._inner("orphans", (kind, ns)).pop(name, None)
        if ALLOCATION_INDEX in indexes:
            self._put_allocations(kind, ns, name, old, new)

    def _put_allocations(self, kind: str, ns: str, name: str, old: FrozenDict | None,
                         new: FrozenDict | None) -> None:
        """The values (cluster IPs, node ports) an object holds move with it: a removed object frees them."""
        holds = _holds_of(kind)
        was = holds(old) if old is not None else frozenset()
        now = holds(new) if new is not None else frozenset()
        if was == now:
            return
        table = self._flat("allocations")
        for value in was - now:
            if table.get(value) == (ns, name):
                del table[value]
        for value in now - was:
            table[value] = (ns, name)

    def _count_moved(self, new_md: Any, old_status: Any, new_status: Any, old_node: str, new_node: str) -> None:
        """The common update of a live pod (a status write or a binding): only its readiness and its node
        can change what it counts for in its controller's :class:`PodStats`."""
        uid = _controller_uid(new_md.get("ownerReferences"))
        if uid is None:
            return
        self.written.add(uid)
        old_conds = old_status.get("conditions")
        new_conds = new_status.get("conditions")
        ready = 0 if old_conds is new_conds else _is_ready(new_conds) - _is_ready(old_conds)
        if ready or old_node != new_node:
            move = self.moves.get(uid)
            if move is None:
                move = self.moves[uid] = [0, {}, 0, {}]
            move[0] += ready
            if old_node != new_node:
                nodes = move[1]
                if old_node:
                    nodes[old_node] = nodes.get(old_node, 0) - 1
                if new_node:
                    nodes[new_node] = nodes.get(new_node, 0) + 1

    def _put_pod(self, ns: str, name: str, old: FrozenDict | None, new: FrozenDict | None,
                 old_md: Any, new_md: Any, status_only: bool = False) -> None:
        old_labels = (old_md.get("labels") or _NO_LABELS) if old_md is not None else _NO_LABELS
        new_labels = old_labels if status_only else (
            (new_md.get("labels") or _NO_LABELS) if new_md is not None else _NO_LABELS)
        if old_labels is not new_labels and old_labels != new_labels:
            # one posting list per label set, not per label: a pod of a template costs one insert however
            # many labels it has; a label set new to the namespace is filed under each of its labels
            if old_labels:  # unlabelled pods match no equality selector: they are not filed
                ls = _label_set(old_labels)
                members = self._inner("pod_label_sets", (ns, ls))
                members.pop(name, None)
                if not len(members):
                    for item in ls:
                        self._inner("pod_labels", (ns, *item)).pop(ls, None)
            if new_labels:
                ls = _label_set(new_labels)
                members = self._inner("pod_label_sets", (ns, ls))
                if not len(members):
                    for item in ls:
                        self._inner("pod_labels", (ns, *item))[ls] = None
                members[name] = None
        old_status = (old.get("status") or _NO_LABELS) if old is not None else _NO_LABELS
        new_status = (new.get("status") or _NO_LABELS) if new is not None else _NO_LABELS
        old_terminal = old_status.get("phase") in _TERMINAL
        new_terminal = new_status.get("phase") in _TERMINAL
        if (old["spec"] if old is not None else None) is not (new["spec"] if new is not None else None) or (
                old_terminal != new_terminal):
            self._put_pod_node(ns, name, old, new)
        if old_terminal == new_terminal and (status_only or (
                old_md is not None and new_md is not None and old_labels is new_labels and (
                    old_md.get("ownerReferences") is new_md.get("ownerReferences")) and (
                    old_md.get("deletionTimestamp") == new_md.get("deletionTimestamp")))):
            # the common update (a status write or a binding): only readiness and the node can change what
            # the pod counts for
            if old_terminal or new_md.get("deletionTimestamp"):
                return
            old_node = new_node = ""
            if not status_only:
                old_node = old["spec"].get("nodeName") or ""  # type: ignore[index]
                new_node = new["spec"].get("nodeName") or ""  # type: ignore[index]
            self._count_moved(new_md, old_status, new_status, old_node, new_node)
            return
        old_c, old_fact = _pod_fact(old)
        new_c, new_fact = _pod_fact(new)
        if old_c == new_c and old_fact == new_fact:
            if new_c is not None and new_fact is not None:
                self.written.add(new_c)
            return
        if self.moves:
            self._settle()
        for uid, fact, sign in ((old_c, old_fact, -1), (new_c, new_fact, 1)):
            if fact is None:
                continue
            if uid is None:
                orphans = self._inner("orphan_pods", ns)
                if sign > 0:
                    orphans[name] = None
                else:
                    orphans.pop(name, None)
            else:
                stats = self._flat("pod_stats")
                entry = (stats.get(uid) or PodStats()).add(fact, sign)
                if fact[2]:
                    self.node_moves.append((uid, fact[2]))
                if entry.active:
                    stats[uid] = entry
                else:
                    stats.pop(uid, None)

    def _put_pod_node(self, ns: str, name: str, old: FrozenDict | None, new: FrozenDict | None) -> None:
        """pods_by_node and node_usage (what the scheduler's NodeInfo holds)."""
        old_node = (old["spec"].get("nodeName") or "") if old is not None else None
        new_node = (new["spec"].get("nodeName") or "") if new is not None else None
        if old_node != new_node:
            if old_node is not None:
                self._inner("pods_by_node", old_node).pop((ns, name), None)
            if new_node is not None:
                self._inner("pods_by_node", new_node)[(ns, name)] = None
        old_use = _node_use(old)
        new_use = _node_use(new)
        if old_use != new_use:
            if old_use is not None:
                self._use(old_use[0], old_use[1], _sub)
            if new_use is not None:
                self._use(new_use[0], new_use[1], _add)


def index_errors(state: ClusterState) -> list[str]:
    """Every secondary index compared with a recomputation from the objects: one message per index that
    differs (none when the incremental upkeep is right). Linear in the cluster: for tests and debugging."""
    by_uid: dict[str, Any] = {}
    by_owner: dict[str, set[Any]] = {}
    labels: dict[Any, set[Any]] = {}
    label_sets: dict[Any, set[str]] = {}
    by_node: dict[str, set[Any]] = {}
    usage: dict[str, tuple[int, ...]] = {}
    pod_orphans: dict[str, set[str]] = {}
    stats: dict[str, PodStats] = {}
    orphans: dict[Any, set[str]] = {}
    allocations: dict[Any, tuple[str, str]] = {}
    for kind, ns_map in state.objects.items():
        for ns, names in ns_map.items():
            for name, obj in names.items():
                ref = (kind, ns, name)
                md = obj["metadata"]
                by_uid[md["uid"]] = ref
                for u in _owner_uids(md):
                    by_owner.setdefault(u, set()).add(ref)
                if ORPHAN_INDEX in _indexes_of(kind) and not _has_controller(md.get("ownerReferences")):
                    orphans.setdefault((kind, ns), set()).add(name)
                if ALLOCATION_INDEX in _indexes_of(kind):
                    for value in _holds_of(kind)(obj):
                        allocations[value] = (ns, name)
                if POD_INDEXES not in _indexes_of(kind):
                    continue
                ls = _label_set(md.get("labels"))
                if ls:
                    label_sets.setdefault((ns, ls), set()).add(name)
                for k, v in ls:
                    labels.setdefault((ns, k, v), set()).add(ls)
                by_node.setdefault(obj["spec"].get("nodeName") or "", set()).add((ns, name))
                use = _node_use(obj)
                if use is not None:
                    usage[use[0]] = tuple(map(_add, usage.get(use[0], (0, 0, 0, 0, 0)), use[1]))
                uid, fact = _pod_fact(obj)
                if fact is not None:
                    if uid is None:
                        pod_orphans.setdefault(ns, set()).add(name)
                    else:
                        stats[uid] = stats.get(uid, PodStats()).add(fact, 1)
    want: dict[str, Any] = {"by_uid": by_uid, "by_owner": by_owner, "pod_labels": labels,
                            "pod_label_sets": label_sets, "pods_by_node": by_node,
                            "node_usage": usage, "orphan_pods": pod_orphans, "pod_stats": stats, "orphans": orphans,
                            "allocations": allocations}
    got: dict[str, Any] = {
        "by_uid": dict(state.by_uid.items()),
        "by_owner": {k: set(v.keys()) for k, v in state.by_owner.items()},
        "pod_labels": {k: set(v.keys()) for k, v in state.pod_labels.items()},
        "pod_label_sets": {k: set(v.keys()) for k, v in state.pod_label_sets.items()},
        "pods_by_node": {k: set(v.keys()) for k, v in state.pods_by_node.items()},
        "node_usage": {k: tuple(v) for k, v in state.node_usage.items() if any(v)},
        "orphan_pods": {k: set(v.keys()) for k, v in state.orphan_pods.items()},
        "pod_stats": dict(state.pod_stats.items()),
        "orphans": {k: set(v.keys()) for k, v in state.orphans.items()},
        "allocations": dict(state.allocations.items()),
    }
    return [f"index {name}={got[name]}, but should be {want[name]}" for name in want if got[name] != want[name]]


def _generate_replace() -> None:
    """Generate ``ClusterState.replace``: one direct constructor call, about twice as fast as evolve.

    States are replaced on every write, so this is on the hot path of every controller.
    """
    names = [a.name for a in attrs.fields(ClusterState)]
    params = ", ".join(f"{n}=_MISSING" for n in names)
    # attrs' __init__ sets each slot through object.__setattr__; the slot descriptors' own setters are
    # quicker, and the class has no validators or converters that __init__ would run
    body = "".join(f"    _set_{n}(new, self.{n} if {n} is _MISSING else {n})\n" for n in names)
    namespace: dict[str, Any] = {"_MISSING": object(), "_new": object.__new__, "_cls": ClusterState}
    namespace.update({f"_set_{n}": getattr(ClusterState, n).__set__ for n in names})
    exec(f"def replace(self, {params}):\n    new = _new(_cls)\n{body}    return new\n", namespace)
    namespace["replace"].__doc__ = ClusterState.replace.__doc__
    ClusterState.replace = namespace["replace"]  # type: ignore[method-assign]


_generate_replace()


@attrs.frozen
class PodStats:
    """Counts over the active pods of one controller, kept incrementally (what calculateStatus counts, and
    the pods per node the ReplicaSet's deletion ranking counts). Replaced on every write of one of those
    pods, even when no count moves: the ReplicaSet controller keeps a deletion order while the entry is the
    same object (``refmodel/controllers/replicaset.py``)."""

    active: int = 0
    ready: int = 0
    label_sets: Any = _EMPTY  # Map[frozenset of label items, count]
    nodes: Any = _EMPTY  # Map[node name, count] of the pods bound to a node

    def add(self, fact: tuple[bool, frozenset[tuple[str, str]], str], sign: int) -> PodStats:
        ready, labels, node = fact
        n = self.label_sets.get(labels, 0) + sign
        sets = self.label_sets.set(labels, n) if n else self.label_sets.delete(labels)
        return _pod_stats(self.active + sign, self.ready + (sign if ready else 0), sets, _count(self.nodes, node, sign))


def _slot_setters() -> tuple[Any, ...]:
    return tuple(getattr(PodStats, a.name).__set__ for a in attrs.fields(PodStats))


_SET_ACTIVE, _SET_READY, _SET_LABEL_SETS, _SET_NODES = _slot_setters()


def _pod_stats(active: int, ready: int, label_sets: Any, nodes: Any) -> PodStats:
    """``PodStats(...)`` through the slots' own setters: a third of the frozen ``__init__``'s cost (one is
    built on every write of a controller's active pod)."""
    new: PodStats = object.__new__(PodStats)
    _SET_ACTIVE(new, active)
    _SET_READY(new, ready)
    _SET_LABEL_SETS(new, label_sets)
    _SET_NODES(new, nodes)
    return new


def _summed(counts: Any, moved: dict[Any, int]) -> Any:
    """``counts`` (a Map of positive counts) with each key's count moved by ``moved``'s."""
    if not moved:
        return counts
    with counts.mutate() as mm:
        for key, n in moved.items():
            n += mm.get(key, 0)
            if n:
                mm[key] = n
            elif key in mm:
                del mm[key]
        return mm.finish()


def _count(counts: Any, key: str, sign: int) -> Any:
    """``counts`` (a Map of positive counts) with ``key``'s count moved by ``sign``; the empty key is not counted."""
    if not key:
        return counts
    n = counts.get(key, 0) + sign
    return counts.set(key, n) if n else counts.delete(key)


_TERMINAL = ("Succeeded", "Failed")


def _pod_fact(pod: Any) -> tuple[str | None, tuple[bool, frozenset[tuple[str, str]], str] | None]:
    """(controller uid, (ready, labels, node)) for an active pod; (uid, None) for inactive or absent ones."""
    if pod is None:
        return None, None
    md = pod["metadata"]
    uid = _controller_uid(md.get("ownerReferences"))
    status = pod.get("status")
    if md.get("deletionTimestamp") or (status and status.get("phase") in _TERMINAL):
        return uid, None
    return uid, (_is_ready(status.get("conditions") if status else None), _label_set(md.get("labels")),
                 pod["spec"].get("nodeName") or "")


_UID_CACHE: dict[int, tuple[Any, str | None]] = {}
_READY_CACHE: dict[int, tuple[Any, bool]] = {}


def _controller_uid(refs: Any) -> str | None:
    """The controller's uid among ``refs``; memoised by identity (pods of one owner share the tuple)."""
    if not refs:
        return None
    hit = _UID_CACHE.get(id(refs))
    if hit is not None and hit[0] is refs:
        return hit[1]
    uid = next((r.get("uid") for r in refs if r.get("controller")), None)
    if len(_UID_CACHE) > 50_000:
        _UID_CACHE.clear()
    _UID_CACHE[id(refs)] = (refs, uid)
    return uid


def _is_ready(conditions: Any) -> bool:
    """Whether ``conditions`` hold Ready=True; memoised by identity (pods that change together share them)."""
    if not conditions:
        return False
    hit = _READY_CACHE.get(id(conditions))
    if hit is not None and hit[0] is conditions:
        return hit[1]
    ready = next((c.get("status") == "True" for c in conditions if c.get("type") == "Ready"), False)
    if len(_READY_CACHE) > 50_000:
        _READY_CACHE.clear()
    _READY_CACHE[id(conditions)] = (conditions, ready)
    return ready


_LABELSET_CACHE: dict[int, tuple[Any, frozenset[tuple[str, str]]]] = {}


def _label_set(labels: Any) -> frozenset[tuple[str, str]]:
    """``frozenset(labels.items())``, memoised by identity (pods of one template share their labels)."""
    if not labels:
        return frozenset()
    hit = _LABELSET_CACHE.get(id(labels))
    if hit is not None and hit[0] is labels:
        return hit[1]
    fs = frozenset(labels.items())
    if len(_LABELSET_CACHE) > 50_000:
        _LABELSET_CACHE.clear()
    _LABELSET_CACHE[id(labels)] = (labels, fs)
    return fs


def _node_use(pod: Any) -> tuple[str, tuple[int, int, int, int, int]] | None:
    """What a pod takes from its node: requests of a bound, non-terminal pod (scheduler's NodeInfo)."""
    if pod is None:
        return None
    node = pod["spec"].get("nodeName")
    if not node or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return None
    return node, _podutil.pod_requests_vector(pod["spec"])


# The secondary indexes a kind can declare (``KindInfo.indexes``): POD_INDEXES keeps the pod indexes
# (label sets, pods by node, node usage, per-controller pod counts, orphan pods); ORPHAN_INDEX keeps the
# objects of the kind that have no controller (a ReplicaSet's adoption candidates).
POD_INDEXES = "pods"
ORPHAN_INDEX = "orphans"
# ALLOCATION_INDEX keeps which object holds each value its ``KindInfo.holds`` names (a Service's cluster IPs
# and node ports): the allocators' bitmaps, so a removed object frees its values and a rejected write,
# never stored, holds none
ALLOCATION_INDEX = "allocations"
_INDEX_CACHE: dict[str, frozenset[str]] = {}
_HOLDS_CACHE: dict[str, Any] = {}


def _holds_of(kind: str) -> Any:
    """The kind's ``KindInfo.holds``: object -> the allocated values it holds."""
    got = _HOLDS_CACHE.get(kind)
    if got is None:
        from . import resources

        info = resources.lookup(kind)
        got = _HOLDS_CACHE[kind] = info.holds if info is not None and info.holds is not None else (
            lambda obj: frozenset())
    return got


def _indexes_of(kind: str) -> frozenset[str]:
    """The indexes ``kind`` declares in its registry entry (read once per kind)."""
    got = _INDEX_CACHE.get(kind)
    if got is None:
        from . import resources

        info = resources.lookup(kind)
        got = _INDEX_CACHE[kind] = info.indexes if info is not None else frozenset()
    return got


def _has_controller(refs: Any) -> bool:
    return bool(refs) and any(r.get("controller") for r in refs)


def _owner_uids(md: Any) -> frozenset[str]:
    return _NO_OWNERS if md is None else _owner_uids_of(md.get("ownerReferences"))


_NO_OWNERS: frozenset[str] = frozenset()
_OWNERS_CACHE: dict[int, tuple[Any, frozenset[str]]] = {}


def _owner_uids_of(refs: Any) -> frozenset[str]:
    """The owners' uids in ``refs``; memoised by identity (pods of one owner share the tuple)."""
    if not refs:
        return _NO_OWNERS
    hit = _OWNERS_CACHE.get(id(refs))
    if hit is not None and hit[0] is refs:
        return hit[1]
    uids = frozenset(r["uid"] for r in refs if r.get("uid"))
    if len(_OWNERS_CACHE) > 50_000:
        _OWNERS_CACHE.clear()
    _OWNERS_CACHE[id(refs)] = (refs, uids)
    return uids


_TIME_CACHE: dict[int, str] = {}


def format_time(epoch_seconds: int) -> str:
    """RFC 3339 UTC with second precision, as Kubernetes serialises ``metav1.Time``."""
    s = _TIME_CACHE.get(epoch_seconds)
    if s is None:
        s = _dt.datetime.fromtimestamp(epoch_seconds, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if len(_TIME_CACHE) < 100_000:
            _TIME_CACHE[epoch_seconds] = s
    return s


_PARSE_CACHE: dict[str, int] = {}


def parse_time(text: str) -> int:
    """Inverse of :func:`format_time` (epoch seconds)."""
    v = _PARSE_CACHE.get(text)
    if v is None:
        v = int(_dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.UTC).timestamp())
        if len(_PARSE_CACHE) < 100_000:
            _PARSE_CACHE[text] = v
    return v


# imported last, as a module: podutil reads parse_time from this module (either may be imported first)
from . import podutil as _podutil  # noqa: E402
