"""The kubelet and the container runtime of each node.

**Mirrors:** ``pkg/kubelet/kubelet.go`` (syncPod, SyncTerminatingPod), ``pkg/kubelet/kubelet_pods.go``
(generateAPIPodStatus, getPhase), ``pkg/kubelet/status/generate.go`` (GeneratePodReadyCondition,
GenerateContainersReadyCondition, GeneratePodInitializedCondition), ``pkg/kubelet/kuberuntime``
(image pull back-off ``ErrImagePull``/``ImagePullBackOff``, crash back-off ``CrashLoopBackOff``:
``kuberuntime_manager.go`` doBackOff, 10 s doubling to 300 s), ``pkg/kubelet/prober`` (readiness:
ready after ``initialDelaySeconds``; readiness never restarts a container).
**Modelled:** rules P-1, P-2, P-3, P-5, P-8: a bound pod is Pending (ContainerCreating) while its sandbox
gets an IP and its images are pulled (``config.image_pull_seconds`` of virtual time), then Running;
containers are ready when running and their readiness probe's initial delay has passed (or as a
``ReadinessChanged`` fact says); ``ContainerExited`` applies the restart policy with back-off; phases
Succeeded/Failed for ``OnFailure``/``Never``; images that cannot be pulled retry with back-off forever;
terminating pods are confirmed gone on the next sync (``status_manager.go`` syncPod ->
``canBeDeleted`` -> a zero-grace Delete; the removals of a run of syncs go as one request, as the status
managers send them in parallel); a failed node's kubelet does nothing.
Work is per pod, as upstream's pod workers (``pkg/kubelet/pod_workers.go``: UpdatePod, podWorkerLoop, one
worker per pod UID): the work key ``namespace/name`` syncs that pod alone, and its timers (image pull done,
readiness delay, crash and pull back-off) are the pod's own; a binding, a spec change, a deletion, a
finalizer change, a ``ReadinessChanged`` fact and an image becoming pullable queue the pods they touch. A
pod's sync leaves its new status pending for its node's status manager (``status_manager.go``
SetPodStatus), whose key ``status:<node>`` writes the node's pending statuses together (syncBatch); a
status is written onto the pod as it is at the flush when only its metadata or spec changed meanwhile (the
status manager patches the status of the pod it gets, ``status_manager.go`` syncPod -> mergePodStatus,
PatchPodStatus; dropping it lost what the runtime did, e.g. a crash restart whose back-off the runtime had
already counted), and dropped, the pod synced again, when another writer changed its status (that write
would conflict) or the pod went or was replaced; the next sync of a pod starts
from its pending status (the status manager's cache). Node-level events fan out through the pods-by-node
index: the key ``<node>`` (what a node's recovery queues, and the only key form before pods had their
own) syncs every pod of the node and writes their statuses at its end. A sync costs what its pod costs,
whatever the number of pods on the node. ``converge`` takes runs of queued pod keys (:func:`sync_pods`) and
of status keys (:func:`flush_many`) in one go, to the state the keys one at a time give. Still growing with
the cluster: on nodes that fill evenly, each scheduler turn gives every node about one new pod, so a node's
statuses are flushed in about as many small batches as there are turns (19 per node at 100,000 pods, 11 at
10,000); a run of flushes goes in requests of at least :data:`FLUSH_RUN` statuses, but each node's pending
table is still touched per batch.
**Not modelled (and why):** liveness/startup probes (no container health is simulated beyond the
explicit ``ContainerExited`` and ``ReadinessChanged`` facts); init containers run instantly and succeed
(their ordering rules belong to the Pods issue); volumes are mounted instantly (storage issue);
``activeDeadlineSeconds``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from operator import itemgetter
from typing import Any

import immutables

from .. import volumes
from ..counters import active as _counters
from ..errors import Rejection
from ..frozen import EMPTY, FrozenDict, freeze, freeze_dict, with_
from ..podutil import get_condition, get_controller_of
from ..request import Response
from ..state import ClusterState, parse_time
from . import (
    Controller,
    delete,
    delete_many,
    deployment,
    register,
    update_status,
    update_status_many,
)

__all__ = ["container_exited", "flush_many", "image_pull_failed", "image_pull_recovered", "readiness_changed",
           "sync_pods"]

NAME = "kubelet"
INITIAL_BACKOFF = 10


def _down(state: ClusterState, node: str) -> bool:
    return node in (state.env.get("down_nodes") or EMPTY)


def _backoff(state: ClusterState, attempts: int) -> int:
    return int(min(INITIAL_BACKOFF * (2 ** max(attempts - 1, 0)), state.config.max_backoff_seconds))


def pod_ip(n: int) -> str:
    """The n-th pod IP handed out (10.244.0.0/14; a new one for every new pod)."""
    base = (10 << 24) | (244 << 16)
    v = base + n
    return f"{(v >> 24) & 255}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"


def node_ip(node: Mapping[str, Any]) -> str:
    """The node's InternalIP; memoised by identity of the node (every pod sync asks)."""
    hit = _NODE_IPS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    ip = ""
    for a in (node.get("status") or EMPTY).get("addresses") or ():
        if a.get("type") == "InternalIP":
            ip = str(a.get("address"))
            break
    if len(_NODE_IPS) > 20_000:
        _NODE_IPS.clear()
    _NODE_IPS[id(node)] = (node, ip)
    return ip


_NODE_IPS: dict[int, tuple[Any, str]] = {}


@lru_cache(maxsize=8192)
def _condition(ctype: str, status: str, reason: str, last_transition: str) -> FrozenDict:
    """One pod condition; pods that change together share the value (it is immutable)."""
    cond = {"type": ctype, "status": status, "lastTransitionTime": last_transition}
    if reason:
        cond["reason"] = reason
    return FrozenDict(cond)


_CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
Updates = tuple[tuple[str, bool, str], ...]  # (condition type, status, reason) in _CONDITION_ORDER
_CONDITIONS: dict[tuple[int, Updates, str], tuple[Any, tuple[FrozenDict, ...]]] = {}


def _with_conditions(status: Mapping[str, Any], updates: Updates, now: str, **changes: Any) -> FrozenDict:
    """Set condition statuses (and other ``changes``); lastTransitionTime moves only when the status flips
    (kubelet's rule). ``with_(status, conditions=..., **changes)``, built with dict calls (one per pod sync
    that writes; no caller sets a value to None, which ``with_`` would remove)."""
    new = FrozenDict(status)
    _dict_set(new, "conditions", _conditions_after(status.get("conditions") or (), updates, now))
    _dict_update(new, changes)
    return new


def _conditions_after(current: tuple[FrozenDict, ...], updates: Updates, now: str) -> tuple[FrozenDict, ...]:
    """The conditions ``updates`` leave. Memoised by identity of ``current``: pods that change together
    share their conditions (the cache holds ``current`` itself, so its id stays valid)."""
    key = (id(current), updates, now)
    hit = _CONDITIONS.get(key)
    if hit is not None and hit[0] is current:
        return hit[1]
    conds = {c["type"]: c for c in current}
    order = [c["type"] for c in current]
    for ctype, value, reason in updates:
        want = "True" if value else "False"
        cur = conds.get(ctype)
        if cur is not None and cur.get("status") == want and (cur.get("reason") or "") == reason:
            continue
        ltt = cur["lastTransitionTime"] if cur is not None and cur.get("status") == want else now
        conds[ctype] = _condition(ctype, want, reason, ltt)
        if cur is None:
            order.append(ctype)
    out = tuple(conds[t] for t in order)
    if len(_CONDITIONS) > 10_000:
        _CONDITIONS.clear()
    _CONDITIONS[key] = (current, out)
    return out


def _ready_updates(ready: bool, phase: str | None) -> Updates:
    """Ready and ContainersReady as GeneratePodReadyCondition/GenerateContainersReadyCondition set them."""
    reason = "" if ready else _not_ready_reason(phase)
    return (("Ready", ready, reason), ("ContainersReady", ready, reason))


_READY: Updates = (("Ready", True, ""), ("ContainersReady", True, ""))
_ADMITTED: Updates = (("PodReadyToStartContainers", True, ""), ("Initialized", True, ""),
                      ("Ready", False, "ContainersNotReady"), ("ContainersReady", False, "ContainersNotReady"))


def _container_spec(pod: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for c in pod["spec"].get("containers") or ():
        if c.get("name") == name:
            return c  # type: ignore[no-any-return]
    return None


def _probe_ready(state: ClusterState, pod: Mapping[str, Any], c: Mapping[str, Any], started: int) -> tuple[bool, int | None]:
    """(ready now, time it becomes ready) for a running container."""
    readiness: Any = state.env.get("readiness") or {}
    override = readiness.get((pod["metadata"]["namespace"], pod["metadata"]["name"]))
    if override is not None:
        return bool(override), None
    probe = c.get("readinessProbe")
    if not probe:
        return True, None
    delay = int(probe.get("initialDelaySeconds", 0) or 0)
    at = started + delay
    now = state.config.start_time + state.now
    return (now >= at), (None if now >= at else at)


def _phase(pod: Mapping[str, Any], statuses: list[Mapping[str, Any]]) -> str:
    """getPhase: Running while any container runs or will restart; Succeeded/Failed when all stopped for good.

    A container of the spec with no status at all counts as unknown, which keeps the pod Pending.
    """
    policy = pod["spec"].get("restartPolicy", "Always")
    running = waiting = succeeded = failed = 0
    named = {cs.get("name") for cs in statuses}
    waiting += sum(1 for c in pod["spec"].get("containers") or () if c.get("name") not in named)
    for cs in statuses:
        st = cs.get("state") or EMPTY
        if "running" in st:
            running += 1
        elif "terminated" in st:
            if st["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
            else:
                failed += 1
        else:
            last = cs.get("lastState") or EMPTY
            if "terminated" in last:
                running += 1  # restarting counts as running
            else:
                waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if policy == "Always":
        return "Running"
    if failed and policy == "Never":
        return "Failed"
    if failed:  # OnFailure restarts failed containers
        return "Running"
    return "Succeeded"


# ---------------------------------------------------------------------------------------------
# sync
# ---------------------------------------------------------------------------------------------
class _StatusQueue:
    """The statuses a sync computes, with the pod IPs handed out (``pkg/kubelet/status/status_manager.go``
    SetPodStatus) and the pod's timers. A node's pending statuses wait in the state (:data:`PENDING`) until
    its status key is reconciled (:func:`_flush`, syncBatch); a node key's sync writes them at its end.
    A plain slotted class: one is built per pod sync."""

    __slots__ = ("host_ip", "ip_seq", "now_s", "timers", "writes")

    def __init__(self, ip_seq: int, now_s: str, host_ip: str) -> None:
        self.ip_seq = ip_seq
        self.now_s = now_s  # the sync's time, as status fields carry it
        self.host_ip = host_ip
        self.writes: list[tuple[FrozenDict, FrozenDict]] = []
        self.timers: list[tuple[int, bool]] = []  # (virtual time, essential) for the pod's own key


PENDING = "kubelet_pending_statuses"  # env: Map[node, Map[(namespace, name), (stored pod, status to write)]]
STATUS_PREFIX = "status:"  # the work key of a node's status manager: "status:<node>"
_EMPTY_MAP: Any = immutables.Map()


def pod_key(pod: Mapping[str, Any]) -> str:
    """A pod worker's work key: ``namespace/name`` (upstream keys its pod workers by UID)."""
    md = pod["metadata"]
    return f"{md['namespace']}/{md['name']}"


def sync(state: ClusterState, key: str) -> ClusterState:
    """One kubelet work item. Keys: ``namespace/name`` (one pod's worker), ``status:<node>`` (that node's
    status manager writes the pending statuses), or a node name (the node-level sync: every pod of the node,
    through the pods-by-node index, its statuses written at the end: what a node's recovery asks for, and
    the work key of every pod before pods had their own)."""
    if "/" in key:
        ns, name = key.split("/", 1)
        pod = state.get("Pod", ns, name)
        if pod is None:
            return state
        node_name = pod["spec"].get("nodeName")
        if not node_name or _down(state, node_name):
            return state
        node = state.get("Node", "", node_name)
        if node is None:
            return state
        counters = _counters()
        if counters is not None:
            counters.add(NAME, "pod_visits")
        state = _sync_one(state, pod, node, node_name)
        return state
    if key.startswith(STATUS_PREFIX):
        return _flush(state, key[len(STATUS_PREFIX):])
    return _sync_node(state, key)


def _with_status(pod: FrozenDict, status: FrozenDict) -> FrozenDict:
    """``pod`` with ``status``: the object a status write sends (built with dict calls: one per status)."""
    new = FrozenDict(pod)
    _dict_set(new, "status", status)
    return new


_dict_set = dict.__setitem__
_dict_update = dict.update


def _sync_node(state: ClusterState, node_name: str) -> ClusterState:
    node = state.get("Node", "", node_name)
    if node is None or _down(state, node_name):
        return state
    pods = state.pods_on_node(node_name)
    counters = _counters()
    if counters is not None:
        counters.add(NAME, "pod_visits", len(pods))
    for pod in pods:
        state = _sync_one(state, pod, node, node_name)
    item = (NAME, STATUS_PREFIX + node_name)
    if item in state.dirty:
        state = state.replace(dirty=state.dirty.delete(item))
    return _flush(state, node_name)


def _sync_one(state: ClusterState, pod: FrozenDict, node: FrozenDict, node_name: str) -> ClusterState:
    """syncPod for one pod, from the status its status manager holds for it (a pending one, if any): the
    new status joins the node's pending statuses, and the node's status key is queued."""
    md = pod["metadata"]
    ref = (md["namespace"], md["name"])
    table = state.env.get(PENDING)
    pending = table.get(node_name) if table is not None else None
    entry = pending.get(ref) if pending is not None else None
    seen = pod if entry is None or entry[0] is not pod else with_(pod, status=entry[1])
    queue = _StatusQueue(state.ip_seq, state.timestamp(), node_ip(node))
    state = sync_pod(state, seen, node, queue)
    if not queue.writes and queue.ip_seq == state.ip_seq and not queue.timers:
        return state
    # one new state for the pending status, the IPs handed out, the pod's timers and the status key queued
    # (this runs once per pod event: a state per change would be four)
    changes: dict[str, Any] = {}
    if queue.ip_seq != state.ip_seq:
        changes["ip_seq"] = queue.ip_seq
    if queue.timers:
        changes["timers"] = _with_timers(state, (NAME, f"{ref[0]}/{ref[1]}"), queue.timers)
    if queue.writes:
        table = state.env.get(PENDING) or _EMPTY_MAP
        pending = (table.get(node_name) or _EMPTY_MAP).set(ref, (pod, queue.writes[-1][1]))
        changes["env"] = state.env.set(PENDING, table.set(node_name, pending))
        item = (NAME, STATUS_PREFIX + node_name)
        if item not in state.dirty:  # ClusterState.enqueue, folded into this state
            changes["dirty"] = state.dirty.set(item, state.seq)
            changes["seq"] = state.seq + 1
    return state.replace(**changes)


def _with_timers(state: ClusterState, item: tuple[str, str], timers: list[tuple[int, bool]]) -> Any:
    """``state.timers`` after ``ClusterState.add_timer`` for each of ``timers`` (in one map update)."""
    table = state.timers
    for at, essential in timers:
        at = max(at, state.now)
        slot = table.get(at) or _EMPTY_MAP
        was = slot.get(item)
        if was is True or was == essential:
            continue
        table = table.set(at, slot.set(item, essential or bool(was)))
    return table


class _Run:
    """What a run of pod syncs (:func:`sync_pods`) changes, kept in mutable builders over ``base`` (the state
    the syncs read: the run changes only what no pod sync reads, so ``base`` answers them as the state
    after the syncs before would): the work queue, the pods' timers, the pending statuses and the IPs
    handed out."""

    __slots__ = ("base", "dirty", "down", "ip_seq", "now_s", "pending", "pendings", "queued", "seq", "slots")

    def __init__(self, base: ClusterState) -> None:
        self.base = base
        self.now_s = base.timestamp()
        self.down = base.env.get("down_nodes") or EMPTY
        self.dirty = base.dirty.mutate()
        self.seq = base.seq
        self.ip_seq = base.ip_seq
        self.pending = base.env.get(PENDING)  # the table as ``base`` has it (None: empty)
        self.pendings: dict[str, Any] = {}  # node -> mutation of its pending statuses
        self.slots: dict[int, Any] = {}  # virtual time -> mutation of its timer slot
        self.queued: set[str] = set()  # nodes whose status key is queued (the run only adds to the queue)

    def state(self) -> ClusterState:
        base = self.base
        changes: dict[str, Any] = {"dirty": self.dirty.finish(), "seq": self.seq}
        if self.ip_seq != base.ip_seq:
            changes["ip_seq"] = self.ip_seq
        if self.slots:
            with base.timers.mutate() as timers:
                for at, slot in self.slots.items():
                    timers[at] = slot.finish()
                changes["timers"] = timers.finish()
        if self.pendings:
            with (self.pending or _EMPTY_MAP).mutate() as table:
                for node_name, pending in self.pendings.items():
                    table[node_name] = pending.finish()
                changes["env"] = base.env.set(PENDING, table.finish())
        return base.replace(**changes)


def sync_pods(state: ClusterState, keys: list[str]) -> tuple[ClusterState, int]:
    """``converge``'s way through a run of queued pod keys: the state that taking each off the queue and
    reconciling it (:func:`sync`), one after another, gives, built once (the number of keys still queued,
    hence reconciled, with it). The final removals of terminated pods (the zero-grace DELETE that
    :func:`sync_pod` sends) wait and go as one request (:func:`_remove`) before the next sync that does
    more, or at the end: a removal changes nothing a later pod's removal reads, and its watches answer
    from the removed pod (but for a Recreate Deployment's pods, removed one by one:
    :func:`_removed_alone`). Before this, each removal was computed twice (on the run's state, thrown
    away, then again) and sent alone: about three quarters of the kubelet time of a 10,000-pod rollout
    (cProfile). A pod sync that changes more than its pending status, its timers, the IPs and the queue
    (a back-off table, a volume gate) is run by :func:`sync` itself on the state as the syncs before it
    left it. A state per pod sync was a third of a bulk converge's kubelet
    time (each one's queue, timer and pending maps copied, and dropped at the next)."""
    run = _Run(state)
    done = 0
    read_from = None  # the state the lookups below were made in (``run.base``; a new one after a full sync)
    names: dict[str, Any] = {}  # namespace -> the pods' names map, in ``read_from``
    nodes: dict[str, tuple[FrozenDict | None, str]] = {}  # node name -> (node, its IP), in ``read_from``
    removals: list[FrozenDict] = []  # terminated pods whose final removal is not sent yet, in key order
    alone: dict[str, bool] = {}  # controller uid -> its pods' removals go alone (this run)
    for key in keys:
        item = (NAME, key)
        dirty = run.dirty
        if dirty.pop(item, None) is None:  # (queued items map to their sequence number)
            continue
        done += 1
        base = run.base
        if base is not read_from:
            read_from, names, nodes = base, {}, {}
        ns, _, name = key.partition("/")
        in_ns = names.get(ns)
        if in_ns is None:
            in_ns = names[ns] = (base.objects.get("Pod") or _EMPTY_MAP).get(ns) or _EMPTY_MAP
        pod = in_ns.get(name)
        if pod is None:
            continue
        node_name = pod["spec"].get("nodeName")
        if not node_name or node_name in run.down:
            continue
        got = nodes.get(node_name)
        if got is None:
            found = base.get("Node", "", node_name)
            got = nodes[node_name] = (found, "" if found is None else node_ip(found))
        node, host_ip = got
        if node is None:
            continue
        md = pod["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            # its sync is the final removal (sync_pod): sent with the next removals in one request
            if not _removed_alone(base, pod, alone):
                removals.append(pod)
                continue
            removals.append(pod)  # a request of its own, after the removals before it
            state = run.state()
            if len(removals) > 1:
                state = _remove(state, removals[:-1])
            run = _Run(_remove(state, removals[-1:]))
            removals = []
            continue
        if removals:  # the removals before this pod's sync go first, as one at a time they would
            run = _Run(_remove(run.state(), removals))
            removals = []
            base, dirty = run.base, run.dirty
        ref = (md["namespace"], md["name"])  # the pod's own strings (the pods map's keys: found by identity)
        pending = run.pendings.get(node_name)
        if pending is None and run.pending is not None:
            pending = run.pending.get(node_name)
        entry = pending.get(ref) if pending is not None else None
        seen = pod if entry is None or entry[0] is not pod else with_(pod, status=entry[1])
        queue = _StatusQueue(run.ip_seq, run.now_s, host_ip)
        if sync_pod(base, seen, node, queue) is not base:
            # more than the run keeps: this pod again, by sync, on the state the syncs before it left
            run = _Run(sync(run.state(), key))
            continue
        if not queue.writes and queue.ip_seq == run.ip_seq and not queue.timers:
            continue
        run.ip_seq = queue.ip_seq
        if queue.timers:
            now = base.now
            for at, essential in queue.timers:  # ClusterState.add_timer, as _with_timers applies it
                at = max(at, now)
                slot = run.slots.get(at)
                if slot is None:
                    slot = run.slots[at] = (base.timers.get(at) or _EMPTY_MAP).mutate()
                was = slot.get(item)
                if was is True or was == essential:
                    continue
                slot[item] = essential or bool(was)
        if queue.writes:
            mutation = run.pendings.get(node_name)
            if mutation is None:
                mutation = run.pendings[node_name] = (pending or _EMPTY_MAP).mutate()
            mutation[ref] = (pod, queue.writes[-1][1])
            if node_name not in run.queued:
                status_item = (NAME, STATUS_PREFIX + node_name)
                if status_item not in dirty:
                    dirty[status_item] = run.seq
                    run.seq += 1
                run.queued.add(node_name)
    state = run.state()
    return (_remove(state, removals) if removals else state), done


def _remove(state: ClusterState, pods: list[FrozenDict]) -> ClusterState:
    """The final removals of a run's terminated pods (what :func:`sync_pod` sends for each), as one batch
    (the kubelet's status managers confirm in parallel, one request each, upstream): the same writes in
    the same order, and the same work queued in the same order, as one request per pod."""
    return delete_many(state, NAME, pods, grace_period_seconds=0)[0]


def _removed_alone(state: ClusterState, pod: FrozenDict, memo: dict[str, bool]) -> bool:
    """Whether the final removal of ``pod`` must be a request of its own: when it may be the last pod of a
    Recreate Deployment, whose deletePod handler counts the pods left (in a batch, every removal would see
    the batch's end and wake the Deployment at the first one). Every other watch of a pod's removal answers
    from the pod and objects that removals do not change. Memoised per controller uid, for one run."""
    ref = get_controller_of(pod)
    if ref is None:
        return False
    uid = ref.get("uid", "")
    alone = memo.get(uid)
    if alone is None:
        alone = memo[uid] = deployment.recreate_pod(state, pod)
    return alone


def _flush(state: ClusterState, node_name: str) -> ClusterState:
    """The node's status manager (syncBatch): write its pending statuses together, in pod-key order, each
    onto the pod as it is now (:func:`_writable`). A status whose pod went, was replaced or had its status
    written by another since it was computed is dropped (the write would conflict) and that pod's worker
    queued again, to compute it from the pod as it is now."""
    table = state.env.get(PENDING)
    pending = table.get(node_name) if table is not None else None
    if pending is None:
        return state
    rest = table.delete(node_name)
    state = state.replace(env=state.env.set(PENDING, rest) if len(rest) else state.env.delete(PENDING))
    return _write_pending(state, pending)


def _write_pending(state: ClusterState, pending: Any) -> ClusterState:
    """:func:`_flush` of a node whose pending statuses (``pending``) are already taken out of the state."""
    writes: list[tuple[FrozenDict, FrozenDict]] = []
    retry: list[tuple[str, str]] = []
    pods = state.objects.get("Pod") or _EMPTY_MAP
    for ref, (stored, status) in sorted(pending.items(), key=_ref_of):
        current = (pods.get(ref[0]) or _EMPTY_MAP).get(ref[1])
        if current is None:
            continue
        if _writable(current, stored):
            writes.append((current, status))
        else:
            retry.append((NAME, f"{ref[0]}/{ref[1]}"))
    if writes:
        state = update_status_many(state, NAME, [_with_status(pod, status) for pod, status in writes])
    return state.enqueue_many(retry)


def flush_many(state: ClusterState, keys: list[str]) -> tuple[ClusterState, int]:
    """``converge``'s way through a run of queued status keys (``status:<node>``): the state that taking
    each off the queue and flushing its node (:func:`_flush`), one after another, gives, with the
    statuses of consecutive nodes written as one request of at least :data:`FLUSH_RUN` statuses (the number
    of keys still queued, hence reconciled, with it). A flush only writes the statuses of its own node's
    pods and queues what those status writes wake; no watch of a pod's status write reads other pods, nor
    queues a status key, so the flushes before cannot change what a later one writes or wakes
    (tests/test_kubelet.py compares the two on scenarios with Services, StatefulSets and dropped statuses).
    From the first node with a status to drop (its pod changed: the pod is queued again after its node's
    writes) or a pod pending on two nodes, the rest of the run is flushed one node at a time. At 100,000
    pods on default-size nodes a bulk converge flushes each node about 19 times, with about 11 statuses each:
    a request per 256 statuses instead of one per node.

    Why runs of :data:`FLUSH_RUN` and not one request for the whole run: once the readiness timers fire
    together, one run flushes every pod of the cluster; in one request, each pod was read cold again by each
    pass over the request (the bodies built, the writes, the unscheduled-pod log, the watches, the bodies
    freed). A run's statuses are written and watched, and its bodies freed, while they are still in the
    processor's caches; each node's pending statuses are dropped once its bodies are built, so that, with
    ``converge`` holding no other reference to the state it hands over, the pods a request replaces are freed
    when the next state is built (refmodel/state.py's header has the simulated cache misses)."""
    dirty = state.dirty
    queued = [key for key in keys if (NAME, key) in dirty]
    if not queued:
        return state, 0
    table = state.env.get(PENDING)
    flushed = [] if table is None else [key[len(STATUS_PREFIX):] for key in queued]
    flushed = [node_name for node_name in flushed if node_name in table]
    nodes: list[Any] = [table.get(node_name) for node_name in flushed]  # their pending statuses
    with dirty.mutate() as mm:
        for key in queued:
            del mm[(NAME, key)]
        changes: dict[str, Any] = {"dirty": mm.finish()}
    if flushed:
        with table.mutate() as rest:
            for node_name in flushed:
                del rest[node_name]
            left = rest.finish()
        changes["env"] = state.env.set(PENDING, left) if len(left) else state.env.delete(PENDING)
    state = state.replace(**changes)
    del table  # (each node's pending statuses are dropped once its bodies are built: ``nodes[i] = None``)
    writes: list[FrozenDict] = []
    refs: set[tuple[str, str]] = set()
    pods = state.objects.get("Pod") or _EMPTY_MAP
    ns, in_ns = None, _EMPTY_MAP  # the pods of the namespace last looked in
    for i in range(len(nodes)):
        pending = nodes[i]
        mark = len(writes)
        for ref, (stored, status) in sorted(pending.items(), key=_ref_of):
            if ref[0] != ns:
                ns, in_ns = ref[0], pods.get(ref[0]) or _EMPTY_MAP
            current = in_ns.get(ref[1])
            if ref in refs or (current is not None and not _writable(current, stored)):
                # from this node on, one node at a time, as converge_steps takes them
                del writes[mark:]
                if writes:
                    state = update_status_many(state, NAME, writes)
                for rest_pending in nodes[i:]:
                    state = _write_pending(state, rest_pending)
                return state, len(queued)
            refs.add(ref)
            if current is not None:
                body = FrozenDict(current)  # _with_status(current, status), inline: one per status
                _dict_set(body, "status", status)
                writes.append(body)
        nodes[i] = pending = None
        if len(writes) >= FLUSH_RUN:
            state = update_status_many(state, NAME, writes)
            writes = []
            pods, ns, in_ns = state.objects.get("Pod") or _EMPTY_MAP, None, _EMPTY_MAP
    if writes:
        state = update_status_many(state, NAME, writes)
    return state, len(queued)


#: the statuses :func:`flush_many` sends in one request, at least (whole nodes' statuses; the API server
#: indexes a batch in runs of the same length, ``apiserver._INDEX_RUN``). Simulated (callgrind, 5,000 pods,
#: 4 MiB last-level cache), a bulk converge's last-level misses per pod are 197 with runs of 64, 198 with 256
#: and 214 with 1,024, for 0.8% more instructions with 64 than with 256 (a commit per request)
FLUSH_RUN = 256


_ref_of = itemgetter(0)


def _writable(current: FrozenDict, stored: FrozenDict) -> bool:
    """Whether a status computed from ``stored`` may be written onto ``current``, the pod as it is at the
    flush: the same pod (uid) whose status nobody else wrote meanwhile (``status_manager.go`` syncPod: the
    status goes onto the pod it gets, whatever its metadata and spec became)."""
    return current is stored or (current["metadata"].get("uid") == stored["metadata"].get("uid")
                                 and current.get("status") == stored.get("status"))


def sync_pod(state: ClusterState, pod: FrozenDict, node: FrozenDict, queue: _StatusQueue) -> ClusterState:
    """syncPod for one pod: effects on the state now, the pod's new status into ``queue``."""
    md = pod["metadata"]
    status = pod.get("status") or EMPTY
    if md.get("deletionTimestamp"):
        # SIGTERM, containers stop, the kubelet confirms with a zero-grace delete; a finalizer keeps the
        # object, so the kubelet reports the stopped containers and a terminal phase (SyncTerminatingPod)
        if not md.get("finalizers"):
            return delete(state, NAME, "Pod", md["namespace"], md["name"], grace_period_seconds=0)[0]
        if status.get("phase") not in ("Succeeded", "Failed"):
            queue.writes.append((pod, _terminated_status(state, pod)))
        return state
    phase = status.get("phase")
    if phase in ("Succeeded", "Failed"):
        return state
    if phase == "Running" and _settled(state, pod, status):
        return state
    now_s = queue.now_s
    now = state.config.start_time + state.now
    if not status.get("startTime"):
        return _admit(state, pod, node, queue)
    state, held = volumes.kubelet_gate(state, pod, status)  # claims, ConfigMaps, Secrets: refmodel/volumes.py
    if held is not None:
        if held is not status:
            queue.writes.append((pod, held))
        return state
    bad = state.env.get("bad_images") or EMPTY
    containers = pod["spec"].get("containers") or ()
    if phase == "Pending" and status.get("containerStatuses") is _creating_statuses(containers) and not (
            bad and any(c.get("image") in bad for c in containers)):
        # the common case of the loop below, without it: a pod untouched since admission
        pulled_at = parse_time(status["startTime"]) + state.config.image_pull_seconds
        if now < pulled_at:  # still pulling: nothing changes until the pull is done
            queue.timers.append((pulled_at - state.config.start_time, True))
            return state
        fast = _fast_start(state, pod, containers, status, now_s)
        if fast is not None:
            queue.writes.append((pod, fast))
            return state
    statuses = list(status.get("containerStatuses") or ())
    changed = False
    next_at: list[tuple[int, bool]] = []
    pulled_at = parse_time(status["startTime"]) + state.config.image_pull_seconds
    for i, cs in enumerate(statuses):
        st = cs.get("state") or EMPTY
        c = _container_spec(pod, cs["name"]) or EMPTY
        image = c.get("image", cs.get("image"))
        if "waiting" in st:
            reason = st["waiting"].get("reason")
            if reason == "CrashLoopBackOff":
                finished = parse_time((cs.get("lastState") or EMPTY)["terminated"]["finishedAt"])
                restart_at = finished + _crash_wait(state, pod, cs["name"], finished)
                if now < restart_at:
                    next_at.append((restart_at, True))
                    continue
                state = _crash_backoff_next(state, pod, cs["name"], now)
                statuses[i] = _running(cs, now_s, cs.get("restartCount", 0) + 1)
                changed = True
                continue
            # pulling (ContainerCreating) or pull back-off
            if image in bad:
                attempts = _pull_attempts(state, pod)
                retry_at = _pull_retry_at(state, pod)
                if reason in ("ContainerCreating", None) or now >= retry_at:
                    attempts += 1
                    new_reason = "ErrImagePull" if reason != "ErrImagePull" or attempts <= 1 else "ImagePullBackOff"
                    statuses[i] = with_(cs, state=freeze({"waiting": {
                        "reason": new_reason,
                        "message": f'Back-off pulling image "{image}"' if new_reason == "ImagePullBackOff"
                        else f'failed to pull and unpack image "{image}": not found'}}))
                    state = _set_pull_backoff(state, pod, attempts, now + _backoff(state, attempts))
                    changed = True
                    next_at.append((now + _backoff(state, attempts), False))
                else:
                    next_at.append((retry_at, False))
                continue
            if now < pulled_at and reason == "ContainerCreating":
                next_at.append((pulled_at, True))
                continue
            statuses[i] = _running(cs, now_s, cs.get("restartCount", 0))
            changed = True
    # readiness
    all_ready = bool(statuses)
    for i, cs in enumerate(statuses):
        st = cs.get("state") or EMPTY
        if "running" in st:
            c = _container_spec(pod, cs["name"]) or EMPTY
            ready, at = _probe_ready(state, pod, c, parse_time(st["running"]["startedAt"]))
            if at is not None:
                next_at.append((at, True))
            if bool(cs.get("ready")) != ready:
                statuses[i] = with_(cs, ready=ready)
                changed = True
        elif cs.get("ready"):
            statuses[i] = with_(cs, ready=False)
            changed = True
        all_ready = all_ready and bool(statuses[i].get("ready"))
    new_phase = _phase(pod, statuses)
    cond = get_condition(status, "Ready")
    ready_now = cond is not None and cond.get("status") == "True"
    if changed or new_phase != phase or ready_now != all_ready:
        new_status = with_(status, phase=new_phase, containerStatuses=tuple(statuses))
        if new_phase in ("Succeeded", "Failed"):
            all_ready = False
        new_status = _with_conditions(new_status, _ready_updates(all_ready, new_phase), now_s)
        queue.writes.append((pod, new_status))
        if _pull_attempts(state, pod) and not any(
                (s.get("state") or EMPTY).get("waiting", EMPTY).get("reason") in ("ErrImagePull", "ImagePullBackOff")
                for s in statuses):
            state = _clear_pull_backoff(state, pod)
    start = state.config.start_time
    queue.timers.extend((at - start, essential) for at, essential in next_at)
    return state


def _settled(state: ClusterState, pod: FrozenDict, status: Mapping[str, Any]) -> bool:
    """Nothing for the kubelet to do: every container running and ready, no readiness fact pending."""
    readiness = state.env.get("readiness")
    if readiness and (pod["metadata"]["namespace"], pod["metadata"]["name"]) in readiness:
        return False
    for cs in status.get("containerStatuses") or ():
        if not cs.get("ready") or "running" not in cs["state"]:
            return False
    cond = get_condition(status, "Ready")
    return cond is not None and cond.get("status") == "True"


def _not_ready_reason(phase: str | None) -> str:
    """GeneratePodReadyCondition's reason: PodCompleted, PodFailed or ContainersNotReady."""
    return {"Succeeded": "PodCompleted", "Failed": "PodFailed"}.get(phase or "", "ContainersNotReady")


def _running(cs: Mapping[str, Any], now_s: str, restarts: int) -> FrozenDict:
    return with_(cs, state=_running_state(now_s), restartCount=restarts, started=True, ready=False)


def _terminated_status(state: ClusterState, pod: FrozenDict) -> FrozenDict:
    """Every container stopped (exit 0 on SIGTERM), and the terminal phase getPhase gives."""
    now_s = state.timestamp()
    status = pod.get("status") or EMPTY
    statuses = []
    for cs in status.get("containerStatuses") or ():
        st = cs.get("state") or EMPTY
        if "terminated" in st:
            statuses.append(cs)
            continue
        started = st["running"]["startedAt"] if "running" in st else now_s
        statuses.append(with_(cs, ready=False, started=False, state=freeze({"terminated": {
            "exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": now_s}})))
    failed = any(cs["state"]["terminated"].get("exitCode", 0) != 0 for cs in statuses)
    phase = "Failed" if failed else "Succeeded"
    new_status = with_(status, phase=phase, containerStatuses=tuple(statuses))
    return _with_conditions(new_status, _ready_updates(False, phase), now_s)


_CREATING: dict[int, tuple[Any, tuple[FrozenDict, ...]]] = {}


def _creating_statuses(containers: tuple[Any, ...]) -> tuple[FrozenDict, ...]:
    """The container statuses of a pod whose images are being pulled; shared by pods of one template."""
    hit = _CREATING.get(id(containers))
    if hit is not None and hit[0] is containers:
        return hit[1]
    statuses = tuple(
        freeze_dict({"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": False,
                     "restartCount": 0, "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}})
        for c in containers
    )
    if len(_CREATING) > 10_000:
        _CREATING.clear()
    _CREATING[id(containers)] = (containers, statuses)
    return statuses


@lru_cache(maxsize=4096)
def _host_ips(ip: str) -> tuple[FrozenDict]:
    """``status.hostIPs`` of the pods of one node (shared)."""
    return (FrozenDict({"ip": ip}),)


@lru_cache(maxsize=4096)
def _running_state(now_s: str) -> FrozenDict:
    return FrozenDict({"running": FrozenDict({"startedAt": now_s})})


_STARTED: dict[tuple[int, str], tuple[Any, tuple[FrozenDict, ...]]] = {}
_PROBED: dict[int, tuple[Any, bool]] = {}


def _started_statuses(containers: tuple[Any, ...], now_s: str) -> tuple[FrozenDict, ...]:
    """Every container running and ready since ``now_s``; shared by pods of one template started together."""
    key = (id(containers), now_s)
    hit = _STARTED.get(key)
    if hit is not None and hit[0] is containers:
        return hit[1]
    statuses = tuple(with_(cs, state=_running_state(now_s), started=True, ready=True)
                     for cs in _creating_statuses(containers))
    if len(_STARTED) > 10_000:
        _STARTED.clear()
    _STARTED[key] = (containers, statuses)
    return statuses


def _has_probes(containers: tuple[Any, ...]) -> bool:
    hit = _PROBED.get(id(containers))
    if hit is not None and hit[0] is containers:
        return hit[1]
    probed = any(c.get("readinessProbe") for c in containers)
    _PROBED[id(containers)] = (containers, probed)
    return probed


def _fast_start(state: ClusterState, pod: FrozenDict, containers: tuple[Any, ...], status: Mapping[str, Any],
                now_s: str) -> FrozenDict | None:
    """A pod whose images are pulled, with no readiness probe and no readiness fact, becomes Running and
    Ready (what the loop in sync_pod gives it). None when a probe or a fact is involved."""
    if _has_probes(containers):
        return None
    readiness = state.env.get("readiness")
    if readiness and (pod["metadata"]["namespace"], pod["metadata"]["name"]) in readiness:
        return None
    return _with_conditions(status, _READY, now_s, phase="Running", containerStatuses=_started_statuses(containers, now_s))


def _admit(state: ClusterState, pod: FrozenDict, node: FrozenDict, queue: _StatusQueue) -> ClusterState:
    """First sight of a pod: sandbox with an IP, images start pulling (phase Pending, ContainerCreating)."""
    status = pod.get("status") or EMPTY
    host_ip = queue.host_ip
    now_s = queue.now_s
    if pod["spec"].get("hostNetwork"):
        ip = host_ip
    else:
        queue.ip_seq += 1
        ip = pod_ip(queue.ip_seq)
    statuses = _creating_statuses(pod["spec"].get("containers") or ())
    queue.writes.append((pod, _with_conditions(
        status, _ADMITTED, now_s, phase="Pending", hostIP=host_ip, hostIPs=_host_ips(host_ip), podIP=ip,
        podIPs=(FrozenDict({"ip": ip}),), startTime=now_s, containerStatuses=statuses)))
    # pulls finish after the configured virtual time (a zero pull time still takes one more turn)
    queue.timers.append((state.now + state.config.image_pull_seconds, True))
    return state


# ---------------------------------------------------------------------------------------------
# crash back-off (client-go flowcontrol.Backoff as kuberuntime doBackOff uses it)
# ---------------------------------------------------------------------------------------------
def _crash_key(pod: Mapping[str, Any], container: str) -> str:
    return f"{pod['metadata']['uid']}/{container}"


def _crash_wait(state: ClusterState, pod: Mapping[str, Any], container: str, finished: int) -> int:
    """Seconds after ``finished`` before the restart: 0 the first time (or after a quiet spell longer than
    twice the cap), then the current back-off (IsInBackOffSince)."""
    entry = (state.env.get("crash_backoff") or EMPTY).get(_crash_key(pod, container))
    if entry is None:
        return 0
    backoff, last = entry
    if finished - last > 2 * state.config.max_backoff_seconds:
        return 0
    return int(backoff)


def _crash_backoff_next(state: ClusterState, pod: Mapping[str, Any], container: str, now: int) -> ClusterState:
    """Backoff.Next at a restart: start at 10 s, double up to the cap, reset after a long quiet spell."""
    table = state.env.get("crash_backoff") or EMPTY
    key = _crash_key(pod, container)
    entry = table.get(key)
    cap = state.config.max_backoff_seconds
    if entry is None or now - entry[1] > 2 * cap:
        backoff = INITIAL_BACKOFF
    else:
        backoff = min(entry[0] * 2, cap)
    return _set_env(state, "crash_backoff", with_(table, **{key: (backoff, now)}))


# ---------------------------------------------------------------------------------------------
# image pull back-off bookkeeping (the kubelet's in-memory back-off table)
# ---------------------------------------------------------------------------------------------
def _pull_key(pod: Mapping[str, Any]) -> str:
    return str(pod["metadata"]["uid"])


def _pull_attempts(state: ClusterState, pod: Mapping[str, Any]) -> int:
    entry = (state.env.get("pull_backoff") or EMPTY).get(_pull_key(pod))
    return int(entry[0]) if entry else 0


def _pull_retry_at(state: ClusterState, pod: Mapping[str, Any]) -> int:
    entry = (state.env.get("pull_backoff") or EMPTY).get(_pull_key(pod))
    return int(entry[1]) if entry else 0


def _set_pull_backoff(state: ClusterState, pod: Mapping[str, Any], attempts: int, retry_at: int) -> ClusterState:
    table = state.env.get("pull_backoff") or EMPTY
    return _set_env(state, "pull_backoff", with_(table, **{_pull_key(pod): (attempts, retry_at)}))


def _clear_pull_backoff(state: ClusterState, pod: Mapping[str, Any]) -> ClusterState:
    table = state.env.get("pull_backoff") or EMPTY
    return _set_env(state, "pull_backoff", with_(table, **{_pull_key(pod): None}))


def _set_env(state: ClusterState, key: str, value: Any) -> ClusterState:
    return state.replace(env=state.env.set(key, value))


# ---------------------------------------------------------------------------------------------
# environment facts
# ---------------------------------------------------------------------------------------------
def image_pull_failed(state: ClusterState, image: str) -> ClusterState:
    bad = state.env.get("bad_images") or frozenset()
    return _set_env(state, "bad_images", frozenset(bad) | {image})


def image_pull_recovered(state: ClusterState, image: str) -> ClusterState:
    bad = frozenset(state.env.get("bad_images") or frozenset())
    if image not in bad:
        return state
    state = _set_env(state, "bad_images", bad - {image})
    # pods waiting on that image pull again at once
    table = state.env.get("pull_backoff") or EMPTY
    keys = set()
    for uid in table:
        pod = state.by_uid_get(uid)
        if pod is not None and pod["spec"].get("nodeName"):
            if any(c.get("image") == image for c in pod["spec"].get("containers") or ()):
                keys.add(pod_key(pod))
                state = _set_pull_backoff(state, pod, table[uid][0], state.config.start_time + state.now)
    return state.enqueue_many([(NAME, k) for k in sorted(keys)])


def _no_pod(state: ClusterState, name: str) -> tuple[ClusterState, Response]:
    return state, Response.failure(Rejection("NotFound", f'pods "{name}" not found', 404, "Pod", name))


def readiness_changed(state: ClusterState, namespace: str, name: str, ready: bool) -> tuple[ClusterState, Response]:
    pod = state.get("Pod", namespace, name)
    if pod is None:
        return _no_pod(state, name)
    # the readiness facts, keyed by (namespace, pod): an immutable map, as everything in the state
    table = state.env.get("readiness") or immutables.Map()
    state = _set_env(state, "readiness", table.set((namespace, name), ready))
    if pod["spec"].get("nodeName"):
        state = state.enqueue(NAME, pod_key(pod))
    return state, Response(200, pod)


def container_exited(state: ClusterState, namespace: str, name: str, container: str,
                     exit_code: int) -> tuple[ClusterState, Response]:
    """A container of a running pod exited: record it, then restart per restartPolicy after back-off."""
    pod = state.get("Pod", namespace, name)
    if pod is None:
        return _no_pod(state, name)
    status = pod.get("status") or EMPTY
    statuses = list(status.get("containerStatuses") or ())
    idx = next((i for i, cs in enumerate(statuses) if cs.get("name") == container), None)
    if idx is None or "running" not in (statuses[idx].get("state") or EMPTY):
        return state, Response.failure(Rejection(
            "BadRequest", f'container "{container}" of pod "{name}" is not running', 400, "Pod", name))
    if _down(state, pod["spec"].get("nodeName", "")):
        return state, Response(200, pod)
    cs = statuses[idx]
    now_s = state.timestamp()
    terminated = {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                  "startedAt": cs["state"]["running"]["startedAt"], "finishedAt": now_s}
    policy = pod["spec"].get("restartPolicy", "Always")
    restart = policy == "Always" or (policy == "OnFailure" and exit_code != 0)
    if restart:
        new_cs = with_(cs, ready=False, started=False, lastState=freeze({"terminated": terminated}),
                       state=freeze({"waiting": {"reason": "CrashLoopBackOff",
                                                 "message": f"back-off restarting failed container {container}"}}))
    else:
        new_cs = with_(cs, ready=False, started=False, state=freeze({"terminated": terminated}))
    statuses[idx] = new_cs
    phase = _phase(pod, statuses)
    new_status = with_(status, phase=phase, containerStatuses=tuple(statuses))
    new_status = _with_conditions(new_status, _ready_updates(False, phase), now_s)
    state, r = update_status(state, NAME, with_(pod, status=new_status))
    if restart:
        now = state.config.start_time + state.now
        at = now + _crash_wait(state, pod, container, now) - state.config.start_time
        state = state.add_timer(at, NAME, pod_key(pod), True)
    return state, r


# ---------------------------------------------------------------------------------------------
# watches
# ---------------------------------------------------------------------------------------------
def _pod_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    """A binding, a spec change, a deletion or a finalizer change queues the pod's own worker."""
    if new is None:
        return ()
    if not new["spec"].get("nodeName"):
        return ()
    if old is None or (old["spec"] is not new["spec"] and old["spec"] != new["spec"]):
        return (pod_key(new),)
    old_md = old["metadata"]
    new_md = new["metadata"]
    if old_md.get("deletionTimestamp") != new_md.get("deletionTimestamp") or (
            old_md.get("finalizers") != new_md.get("finalizers")):
        return (pod_key(new),)
    return ()


register(Controller(NAME, sync, {"Pod": _pod_keys}, environment=True, status_blind=frozenset({"Pod"})))
