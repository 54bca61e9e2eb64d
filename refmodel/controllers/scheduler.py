"""kube-scheduler: filter, score, bind.

**Mirrors:** ``pkg/scheduler/schedule_one.go`` (schedulePod, findNodesThatFitPod, prioritizeNodes,
selectHost), the filter plugins ``nodeunschedulable`` (NodeUnschedulable), ``noderesources/fit.go``
(Fit: fitsRequest), ``nodeaffinity`` (NodeAffinity: nodeSelector and required node affinity),
``tainttoleration`` (TaintToleration.Filter), ``nodename``, and the score plugin
``noderesources/least_allocated.go`` (leastResourceScorer) with ``pkg/scheduler/util/pod_resources.go``
(non-zero default requests 100m / 200Mi); ``pkg/scheduler/internal/queue`` (priority, then creation order).
**Modelled:** rules SCH-1..SCH-5: only pods with no ``nodeName`` and the default scheduler; nodes must be
Ready, schedulable, untainted (or tolerated NoSchedule/NoExecute), match ``nodeSelector`` and required
node affinity, and fit cpu, memory and pod count (requests of every non-terminal pod on the node);
the feasible node with the highest LeastAllocated score wins, ties to the lowest name (upstream breaks
ties at random, so any tie-break is faithful); unschedulable pods get ``PodScheduled=False`` with reason
``Unschedulable`` and are retried when nodes or pods change.
**The queue (issue 9):** ``pkg/scheduler/internal/queue/scheduling_queue.go`` keeps a pod that found no node
in ``unschedulablePods`` (``AddUnschedulableIfNotPresent``) until a cluster event its filters registered
(``EventsToRegister``: node added or changed, an assigned pod deleted) moves it back
(``MoveAllToActiveOrBackoffQueue``), and ``schedule_one.go`` (``handleSchedulingFailure`` -> ``updatePod``)
writes PodScheduled=False only when ``UpdatePodCondition`` reports a change. The model's turns come on
those events (the watches below) and retry every pending pod, in queue order.
The queue is kept between turns (:class:`_Queue`) and fed, as upstream's is by its informer's events of
unassigned pods (``pkg/scheduler/eventhandlers.go``: addPodToSchedulingQueue, updatePodInSchedulingQueue,
deletePodFromSchedulingQueue), by the state's log of the writes of unscheduled pods
(``ClusterState.unscheduled``, appended by the API server on commit, :class:`~refmodel.state.UnscheduledLog`):
a turn takes only the pods written since the last one (created, bound, marked, deleted: the log holds
each as written, so nothing is looked up), builds their entries again (order, filters, the message they
carry: counted as ``entries``) or drops them, and moves them in the ordered list; the turn then marks the
log (a fresh link in the state it returns) and its own writes reach the next turn the same way.
A state whose log does not reach back to the kept queue's mark (another state, a branch, the log's cap)
gets its queue built from the pending pods. The entries are also kept by template, by use of claims and by
the message they carry, so a turn need not look at the others.
A turn over one template's pods (a rollout's surge) binds in order until no node has room for the
template, then gives every remaining pod one message: only those not carrying it yet (from the entries
by message) are visited and written. A pod left unschedulable therefore costs nothing per turn, as in
upstream's unschedulablePods (counted as ``attempts``: pods placed or marked one by one;
``tests/test_work_counters.py`` holds it and ``entries`` per pod between sizes).
With several templates pending, the turn walks them pod by pod (``_Turn.in_order``), as before. Backoff
(``podBackoffQ``, 1 s doubling to 10 s) is not modelled: the model retries on the turn the event brings
(kept from before; changing it would move every placement).
**Cost:** a one-template turn is O(pods written since the last turn + pods placed + pods newly marked +
nodes whose score changed), and moves the ordered list of pending entries in C (a ``del`` of the pods
bound, an ``extend`` of the new ones: a memmove, no entry visited). Before the log, every turn looked up
every pending pod by name (turns x pending pods): 3.1 lookups per pod of a rollout at 10,000 pods, 4.2
at 20,000; now none, and 1.52 and 1.56 entries built per pod (a pod's creation, and its mark when it
waited). What remains is mostly the scheduler's
writes, one binding per pod and one PodScheduled=False per pod that waited (each waiting pod is marked
once, all with one message; a larger share of the surge waits for the old pods' removal at larger sizes,
which is behaviour, not cost), through the apiserver. A one-template turn sends its PodScheduled=False
writes as one request, and the pods it marks with one message share their conditions
(:func:`_unschedulable_conditions`), so the kubelet's and the state's memos keyed by the conditions'
identity serve them with one entry.
Still growing with the cluster (measured on an image rollout on default nodes; counted as ``merged``):
new pending pods are merged into the kept order by a sort of the entries from the first new one's place on,
and a rollout's pods are created within a few virtual seconds, so their creation timestamps tie and their
generated names interleave: each merge sorts again most of the pods still waiting (0.63 kept entries per
pod at 10,000 pods, 3.06 at 40,000: turns x waiting pods, C-level but touching each entry; about 30 ms a
merge of 15,000 entries on a loaded machine). A blocked sorted list (``sortedcontainers.SortedKeyList``)
inserts in O(log n) but costs microseconds per insert and per index in Python, about as much at 15,000
waiting pods: not done.
The heaps of node scores are kept only while nothing but the scheduler's own bindings changed node usage; a
rollout's removals free room between turns, so most turns score every node again (``least_allocated_score``
1.12 calls per pod at 10,000 pods, 1.43 at 40,000), and a turn that leaves pods unschedulable counts the
reasons over every node (0.09 nodes per pod at 10,000, 0.33 at 40,000; upstream's filters run over every
node for each pod that fails). Both are O(turns x nodes): a few percent of a rollout's instructions.
The bindings of a turn are committed together. The "0/N nodes are available" reasons are one pass over
the nodes per template and node usage, not per pod. A lone pod is placed by one pass over the feasible
nodes (``_best_node``): O(nodes) per pod, as upstream's findNodesThatFitPod and prioritizeNodes, which
filter every node and score ``percentageOfNodesToScore`` of them (42% at 1,000 nodes). This is the one
cluster-sized cost of a one-replica scale; the filter and the score are inlined in that pass, which keeps
the scale of one Deployment on 1,001 default-size nodes (100,000 pods) within about 3x of the same scale on
11 nodes (1,000 pods). A score index kept in the state would remove it (not done: the pass is what
upstream pays too).
**Not modelled (and why):** the other score plugins (BalancedAllocation, ImageLocality, default
PodTopologySpread, InterPodAffinity) and percentageOfNodesToScore: they only change which of the
feasible nodes is chosen, which upstream leaves open and the conformance comparison canonicalises;
preemption; pod affinity; volume binding (storage issue).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from itertools import compress, repeat
from operator import add, is_, itemgetter, ne
from typing import Any

from .. import volumebinding
from ..counters import active as _counters
from ..frozen import EMPTY, FrozenDict, freeze, with_
from ..podutil import get_condition, pod_requests_vector
from ..quantity import milli_value, value_ceil
from ..resources.common import parse_go_int
from ..state import ClusterState, UnscheduledLog
from . import Controller, bind_many, register, update_status, update_status_many

__all__ = ["least_allocated_score", "node_allocatable", "node_is_ready", "tolerates", "unschedulable_reasons"]

NAME = "scheduler"
KEY = "queue"
MAX_NODE_SCORE = 100


def node_is_ready(node: Mapping[str, Any]) -> bool:
    c = get_condition(node.get("status"), "Ready")
    return c is not None and c.get("status") == "True"


_ALLOC_CACHE: dict[int, tuple[Any, tuple[int, int, int]]] = {}


def node_allocatable(node: Mapping[str, Any]) -> tuple[int, int, int]:
    """(cpu milli, memory bytes, pods) from ``status.allocatable`` (falling back to capacity)."""
    status = node.get("status") or EMPTY
    alloc = status.get("allocatable") or status.get("capacity") or EMPTY
    hit = _ALLOC_CACHE.get(id(alloc))
    if hit is not None and hit[0] is alloc:
        return hit[1]
    vec = (
        milli_value(alloc.get("cpu", 0)),
        value_ceil(alloc.get("memory", 0)),
        value_ceil(alloc.get("pods", 110)),
    )
    _ALLOC_CACHE[id(alloc)] = (alloc, vec)
    return vec


def _toleration_matches(tol: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """ToleratesTaint (staging/src/k8s.io/api/core/v1/toleration.go)."""
    if tol.get("effect") and tol.get("effect") != taint.get("effect"):
        return False
    if tol.get("key") and tol.get("key") != taint.get("key"):
        return False
    op = tol.get("operator") or "Equal"
    if op == "Exists":
        return True
    if not tol.get("key") and op == "Equal" and tol.get("key", "") == "" and tol.get("value", "") == "":
        return taint.get("key") == "" and (taint.get("value") or "") == ""
    return (tol.get("value") or "") == (taint.get("value") or "")


def tolerates(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    return any(_toleration_matches(t, taint) for t in tolerations)


def _node_selector_term_matches(term: Mapping[str, Any], labels: Mapping[str, str], node_name: str = "") -> bool:
    """One NodeSelectorTerm: its matchExpressions (on labels) AND its matchFields (``metadata.name``).

    A term with neither matches nothing; an invalid requirement (bad label value) matches nothing.
    """
    from ..resources.common import label_value_errors

    exprs = term.get("matchExpressions") or ()
    fields = term.get("matchFields") or ()
    if not exprs and not fields:
        return False
    for f in fields:
        if f.get("key") != "metadata.name":
            return False
        values = f.get("values") or ()
        op = f.get("operator")
        if op == "In" and not (len(values) == 1 and node_name in values):
            return False
        if op == "NotIn" and not (len(values) == 1 and node_name not in values):
            return False
        if op not in ("In", "NotIn"):
            return False
    for e in exprs:
        if any(isinstance(v, str) and label_value_errors(v) for v in e.get("values") or ()):
            return False
        key, op, values = e.get("key"), e.get("operator"), list(e.get("values") or ())
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op in ("Gt", "Lt"):
            # labels.Requirement.Matches: both sides through strconv.ParseInt(v, 10, 64); an error never matches
            lv = parse_go_int(labels.get(key))
            rv = parse_go_int(values[0]) if len(values) == 1 else None
            if lv is None or rv is None or (op == "Gt" and not lv > rv) or (op == "Lt" and not lv < rv):
                return False
    return True


def _static_reason(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """Why a node is infeasible regardless of resources ('' when it is feasible).

    Node readiness is not a filter of its own in v1.32: the not-ready/unreachable taints do that work.
    """
    nspec = node.get("spec") or EMPTY
    if nspec.get("unschedulable"):
        ok = any(
            _toleration_matches(t, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
            for t in pod_spec.get("tolerations") or ()
        )
        if not ok:
            return "node(s) were unschedulable"
    tolerations = pod_spec.get("tolerations") or ()
    for taint in nspec.get("taints") or ():
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
            return "node(s) had untolerated taint {{{}: {}}}".format(taint.get("key"), taint.get("value") or "")
    labels = node["metadata"].get("labels") or EMPTY
    for k, v in (pod_spec.get("nodeSelector") or EMPTY).items():
        if labels.get(k) != v:
            return "node(s) didn't match Pod's node affinity/selector"
    required = (((pod_spec.get("affinity") or EMPTY).get("nodeAffinity") or EMPTY)
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required:
        terms = required.get("nodeSelectorTerms") or ()
        if not any(_node_selector_term_matches(t, labels, node["metadata"]["name"]) for t in terms):
            return "node(s) didn't match Pod's node affinity/selector"
    return ""


def least_allocated_score(alloc: tuple[int, int, int], used: tuple[int, ...], req: tuple[int, ...]) -> int:
    """(cpu score + memory score) / 2 with each ``(capacity - requested) * 100 / capacity``."""
    total = 0
    for cap, requested in ((alloc[0], used[3] + req[3]), (alloc[1], used[4] + req[4])):
        if cap == 0 or requested > cap:
            continue
        total += (cap - requested) * MAX_NODE_SCORE // cap
    return total // 2


def _fit_reasons(alloc: tuple[int, int, int], used: tuple[int, ...], req: tuple[int, ...]) -> list[str]:
    """fitsRequest: every resource that does not fit (empty when the pod fits)."""
    out = []
    if used[2] + 1 > alloc[2]:
        out.append("Too many pods")
    if req[0] and used[0] + req[0] > alloc[0]:
        out.append("Insufficient cpu")
    if req[1] and used[1] + req[1] > alloc[1]:
        out.append("Insufficient memory")
    return out


_REASONS: list[tuple[Any, Any, tuple[Any, ...], tuple[int, ...], dict[str, int]]] = []  # at most one entry


def unschedulable_reasons(state: ClusterState, pod: Mapping[str, Any]) -> dict[str, int]:
    """Reason -> number of nodes, for the ``0/N nodes are available`` message.

    A pass over every node, as upstream's filters make for a pod that fits nowhere; memoised for the last
    (node map, node usage, selector/tolerations/affinity, requests) by identity, so the pods of one
    template that a turn cannot place cost one pass, not one each (turns x pending pods x nodes)."""
    spec = pod["spec"]
    req = pod_requests_vector(spec)
    node_map = (state.objects.get("Node") or EMPTY).get("")
    parts = (spec.get("nodeSelector"), spec.get("tolerations"), spec.get("affinity"))
    if _REASONS:
        last_nodes, last_usage, last_parts, last_req, last = _REASONS[0]
        if last_nodes is node_map and last_usage is state.node_usage and last_req == req and all(
                a is b for a, b in zip(last_parts, parts, strict=True)):
            return dict(last)
    reasons = _reasons(state, spec, req)
    _REASONS[:] = [(node_map, state.node_usage, parts, req, reasons)]
    return dict(reasons)


def _reasons(state: ClusterState, spec: Mapping[str, Any], req: tuple[int, ...]) -> dict[str, int]:
    reasons: dict[str, int] = {}
    for node in state.iter_kind("Node", ""):
        r = _static_reason(spec, node)
        if r:
            found = [r]
        else:
            used = state.node_usage.get(node["metadata"]["name"]) or (0, 0, 0, 0, 0)
            found = _fit_reasons(node_allocatable(node), used, req)
        for r in found:
            reasons[r] = reasons.get(r, 0) + 1
    return reasons


def _queue_order(pod: Mapping[str, Any]) -> tuple[int, str, str, str]:
    md = pod["metadata"]
    return (-(pod["spec"].get("priority") or 0), md.get("creationTimestamp", ""), md["namespace"], md["name"])


# One pending pod as the scheduling queue holds it (``QueuedPodInfo``): (pod, queue order or None when this
# scheduler does not take it, whether it uses claims, the message of its PodScheduled=False condition or
# None, its key, its spec, its namespace, its name)
Queued = tuple[FrozenDict, tuple[int, str, str, str] | None, bool, str | None, tuple[str, str], Any, str, str]
_POD, _ORDER, _CLAIMS, _SAID, _KEY, _SPEC, _NS, _NAME = (itemgetter(i) for i in range(8))


class _Queue:
    """The scheduling queue as the last turn left it (``PriorityQueue``: activeQ and unschedulablePods in
    one), kept up to date from the writes of unscheduled pods the state logs (``ClusterState.unscheduled``),
    as upstream's queue is from its informer's events: a turn costs what was written since the last one."""

    __slots__ = ("claims", "entries", "mark", "order", "said", "specs")

    def __init__(self) -> None:
        self.mark = UnscheduledLog()  # the log's link when the turn that kept this queue began (in no other state)
        self.entries: dict[tuple[str, str], Queued] = {}  # every pending pod's entry
        self.order: list[Queued] = []  # the entries this scheduler takes, in queue order
        # over ``order``: its entries by their pods' spec (id -> [spec, count]), the number that use claims,
        # and their keys by the message their pods carry (``None``: none yet)
        self.specs: dict[int, list[Any]] = {}
        self.claims = 0
        self.said: dict[str | None, dict[tuple[str, str], None]] = {}

    def count(self, e: Queued, sign: int) -> None:
        """Count ``e`` into (``sign`` 1) or out of (-1) the figures kept over ``order``."""
        spec = self.specs.get(id(e[5]))
        if spec is None:
            spec = self.specs[id(e[5])] = [e[5], 0]
        spec[1] += sign
        if not spec[1]:
            del self.specs[id(e[5])]
        self.claims += sign * e[2]
        group = self.said.get(e[3])
        if group is None:
            group = self.said[e[3]] = {}
        if sign > 0:
            group[e[4]] = None
        else:
            del group[e[4]]
            if not group:
                del self.said[e[3]]

    def apply(self, writes: list[tuple[tuple[str, str], FrozenDict | None]]) -> None:
        """The entries of the pods ``writes`` name (written since the last turn: each pod as it is now, None
        when it is bound or gone) as they are now: dropped, or built again (counted as ``entries``);
        ``order`` keeps its order (an entry is replaced in its place, the new ones merged in; no other entry
        is looked at)."""
        entries, order = self.entries, self.order
        gone: dict[int, Queued] = {}  # entries that leave ``order``, by identity
        fresh: list[Queued] = []
        built = 0
        for key, pod in dict(writes).items():  # (the last write of each pod)
            old = entries.get(key)
            if old is not None and old[0] is pod:
                continue
            new = None
            if pod is None:
                entries.pop(key, None)
            else:
                new = entries[key] = _queued(pod, key)
                built += 1
            if old is not None and old[1] is not None:
                self.count(old, -1)
                if new is not None and new[1] == old[1]:
                    order[bisect_left(order, old[1], key=_ORDER)] = new  # its place in the queue is the same
                    self.count(new, 1)
                    continue
                gone[id(old)] = old
            if new is not None and new[1] is not None:
                self.count(new, 1)
                fresh.append(new)
        merged = 0
        if gone:
            k = 0  # the pods bound last turn are the first in the queue: one ``del``
            while k < len(order) and id(order[k]) in gone:
                del gone[id(order[k])]
                k += 1
            del order[:k]
            for at in sorted((bisect_left(order, e[1], key=_ORDER) for e in gone.values()), reverse=True):
                del order[at]
        if fresh:  # merged in: the entries before the first new one stay where they are (new pods are the newest)
            fresh.sort(key=_ORDER)
            at = bisect_right(order, fresh[0][1], key=_ORDER)
            if at < len(order):
                merged = len(order) - at  # (the entries the merge sorts again: see the module's header)
                order[at:] = sorted(order[at:] + fresh, key=_ORDER)
            else:
                order[at:] = fresh
        counters = _counters()
        if counters is not None:
            counters.add(NAME, "entries", built)
            counters.add(NAME, "merged", merged)

    def unmarked(self, queue: list[Queued], i: int, msg: str) -> list[Queued]:
        """The entries of ``queue[i:]`` whose pods do not carry ``msg``, in order: from the keys by message
        when ``queue`` is ``order`` (the pods written or new since they were marked), else by a pass."""
        if queue is not self.order:
            return list(compress(queue[i:], map(ne, map(_SAID, queue[i:]), repeat(msg))))
        before = set(map(_KEY, queue[:i]))
        keys = [k for said, group in self.said.items() if said != msg for k in group if k not in before]
        return sorted(map(self.entries.__getitem__, keys), key=_ORDER)


_QUEUE: list[Any] = [None]  # the queue as the last turn left it (anything but a _Queue: none kept)


def _active_queue(state: ClusterState, pending_keys: Any) -> list[Queued]:
    """The pending pods this scheduler takes, in queue order: the kept queue with the writes the state logged
    since its turn applied (:meth:`_Queue.apply`), or built from the pending pods when the state's log does
    not reach back to it (another state's queue, none kept, or the log's cap passed). The queue is kept
    for the log's next link (``_Queue.mark``), which :func:`sync` puts in the state it returns."""
    q = _QUEUE[0]
    _QUEUE[0] = None  # (taken: a failed turn leaves no half-updated queue)
    writes = state.unscheduled.since(q.mark) if isinstance(q, _Queue) else None
    if writes is not None:
        q.apply(writes)
    if not isinstance(q, _Queue) or writes is None or len(q.entries) != len(pending_keys):
        q = _Queue()
        q.apply([(key, state.get("Pod", key[0], key[1])) for key in pending_keys])
    q.mark = UnscheduledLog()
    _QUEUE[0] = q
    return q.order


def _queued(pod: FrozenDict, key: tuple[str, str]) -> Queued:
    """The queue entry of a pending pod: its order is None when this scheduler does not take it (being
    deleted, finished, or another scheduler's)."""
    order: tuple[int, str, str, str] | None = _queue_order(pod)
    status = pod.get("status") or EMPTY
    if pod["metadata"].get("deletionTimestamp") or status.get("phase") in ("Succeeded", "Failed") or (
            (pod["spec"].get("schedulerName") or "default-scheduler") != "default-scheduler"):
        order = None
    cur = get_condition(status, "PodScheduled")
    said = cur.get("message") if cur is not None and cur.get("status") == "False" else None
    return (pod, order, bool(volumebinding.claim_names(pod["spec"])), said, key, pod["spec"], key[0], key[1])


def sync(state: ClusterState, key: str) -> ClusterState:
    pending_keys = state.pods_by_node.get("")
    if not pending_keys:
        return state
    queue = _active_queue(state, pending_keys)
    kept: _Queue = _QUEUE[0]
    state = state.replace(unscheduled=kept.mark)  # this turn's writes, and every later one, chain after it
    if not queue:
        return state
    if kept.claims if queue is kept.order else any(map(_CLAIMS, queue)):  # pods with claims go first:
        state, rest = volumebinding.schedule_claim_pods(state, list(map(_POD, queue)))  # refmodel/volumebinding.py
        left = {id(p) for p in rest}
        queue = [e for e in queue if id(e[0]) in left]
        if not queue:
            return state
    node_map = (state.objects.get("Node") or {}).get("") or {}
    nodes: Mapping[str, FrozenDict] = node_map
    if len(queue) == 1:  # one pod: a single pass over the feasible nodes beats building a heap
        pod = queue[0][0]
        spec = pod["spec"]
        _count(1)
        chosen = _best_node(state, nodes, _feasible_nodes(node_map, spec), pod_requests_vector(spec))
        if chosen is None:
            return _mark_unschedulable(state, pod, len(nodes))
        return bind_many(state, NAME, (_binding(pod, chosen),))
    base = state.node_usage
    heaps = _take_heaps(base, node_map)
    turn = _Turn(node_map, base, heaps, kept)
    spec0 = queue[0][5]
    if len(kept.specs) == 1 if queue is kept.order else all(map(is_, map(_SPEC, queue), repeat(spec0))):
        state = turn.one_template(state, queue)
    else:
        state = turn.in_order(state, queue)
    # the bindings of one scheduling turn, committed together
    state = bind_many(state, NAME, turn.bindings)
    _keep_heaps(state.node_usage, node_map, heaps)
    return state


def _count(attempts: int) -> None:
    counters = _counters()
    if counters is not None:
        counters.add(NAME, "attempts", attempts)


class _Turn:
    """One scheduling turn: the node heaps per template, this turn's bindings on top of the usage it
    started from, and the pods it marked unschedulable."""

    __slots__ = ("allocs", "base", "bindings", "heaps", "kept", "n_nodes", "node_map", "per_spec", "usage")

    def __init__(self, node_map: Any, base: Any, heaps: Heaps, kept: _Queue) -> None:
        self.node_map, self.base, self.heaps, self.kept = node_map, base, heaps, kept
        self.n_nodes = len(node_map)
        self.allocs = _allocatables(node_map)
        self.usage: dict[str, tuple[int, ...]] = {}  # this turn's bindings on top of ``base``
        self.bindings: list[FrozenDict] = []  # Binding objects, not yet sent
        self.per_spec: dict[int, tuple[list[str], tuple[int, ...]]] = {}  # pods of one template share their spec

    def place(self, spec: Any) -> str | None:
        """The node the next pod of ``spec`` goes to (its usage counted), or None when none fits."""
        known = self.per_spec.get(id(spec))
        if known is None:
            known = self.per_spec[id(spec)] = (_feasible_nodes(self.node_map, spec), pod_requests_vector(spec))
        feasible, req = known
        usage, base, allocs = self.usage, self.base, self.allocs
        hk = (id(feasible), req)
        entry = self.heaps.get(hk)
        if entry is None or entry[0] is not feasible:
            heap = []
            for name in feasible:
                used = usage.get(name) or base.get(name) or _ZERO
                heap.append((-least_allocated_score(allocs[name], used, req), name, used))
            heapq.heapify(heap)
            self.heaps[hk] = (feasible, heap)
        else:
            heap = entry[1]
        while heap:
            _neg, name, scored = heap[0]
            used = usage.get(name) or base.get(name) or _ZERO
            if scored != used:  # scored before the node's last binding: score it again
                heapq.heapreplace(heap, (-least_allocated_score(allocs[name], used, req), name, used))
                continue
            if not _fits(allocs[name], used, req):
                heapq.heappop(heap)  # usage only grows: this node stays full for this request
                continue
            usage[name] = tuple(map(add, used, req))
            return name
        return None

    def flush(self, state: ClusterState) -> ClusterState:
        """Send the bindings so far: the reasons of a failure count what the nodes hold now."""
        if self.bindings:
            state = bind_many(state, NAME, self.bindings)
            self.bindings = []
        return state

    def in_order(self, state: ClusterState, queue: list[Queued]) -> ClusterState:
        """Every pod in queue order: bind it where it fits best, or mark it unschedulable."""
        _count(len(queue))
        messages: dict[int, tuple[Any, str]] = {}  # spec id -> (node usage, the "0/N nodes" message for it)
        for e in queue:
            pod, spec = e[0], e[5]
            chosen = self.place(spec)
            if chosen is not None:
                self.bindings.append(_binding(pod, chosen))
                continue
            state = self.flush(state)
            msg = messages.get(id(spec))
            if msg is None or msg[0] is not state.node_usage:
                msg = messages[id(spec)] = (state.node_usage, _unschedulable_message(state, pod, self.n_nodes))
            if e[3] != msg[1]:  # the condition is written once, not on every attempt
                state = _mark_unschedulable(state, pod, self.n_nodes, msg[1])
        return state

    def one_template(self, state: ClusterState, queue: list[Queued]) -> ClusterState:
        """``in_order`` for a queue of one template's pods: they bind in order until no node has room for
        the template; all the rest then fail with one message (usage no longer changes), and only those
        that do not carry it yet are visited (written). The pods left unschedulable, with their message,
        cost one C-level comparison each: upstream's queue keeps them aside until an event may help."""
        spec = queue[0][5]
        i, n = 0, len(queue)
        while i < n:
            chosen = self.place(spec)
            if chosen is None:
                break
            self.bindings.append(_binding(queue[i][0], chosen))
            i += 1
        if i == n:
            _count(n)
            return state
        state = self.flush(state)
        msg = _unschedulable_message(state, queue[i][0], self.n_nodes)
        todo = self.kept.unmarked(queue, i, msg)
        _count(i + len(todo) + (queue[i][3] == msg))  # the first to fail is attempted, written or not
        # one status write each, sent together (no watch of a pending pod's status write reads other pods)
        now = state.timestamp()
        return update_status_many(state, NAME, [_unschedulable(e[0], msg, now) for e in todo])


_ZERO = (0, 0, 0, 0, 0)
Heaps = dict[tuple[int, tuple[int, ...]], tuple[list[str], list[tuple[int, str, tuple[int, ...]]]]]
_HEAPS: list[tuple[Any, Any, Heaps]] = []  # at most one: the node heaps as the last turn left them


def _take_heaps(usage: Any, node_map: Any) -> Heaps:
    """The node heaps of the previous turn, if nothing but that turn's bindings changed node usage since.

    Each heap entry carries the usage it was scored with, so an entry is current iff that equals the
    node's usage now; entries scored before later bindings over-estimate (usage only grew) and are scored
    again when they reach the top. Kept between turns, the heaps spare every turn a pass over all nodes
    (turns x nodes scores in a bulk rollout). Taking the heaps removes them, so a failed or branching run
    never sees half-updated heaps.
    """
    if _HEAPS:
        last_usage, last_nodes, heaps = _HEAPS.pop()
        if last_usage is usage and last_nodes is node_map:
            return heaps
    return {}


def _keep_heaps(usage: Any, node_map: Any, heaps: Heaps) -> None:
    _HEAPS.clear()
    if heaps:
        _HEAPS.append((usage, node_map, heaps))


_FEASIBLE_CACHE: dict[tuple[int, int, int, int], tuple[Any, Any, list[str]]] = {}


def _feasible_nodes(node_map: Any, spec: Mapping[str, Any]) -> list[str]:
    """Names of the nodes that pass the resource-independent filters, sorted.

    Memoised by identity of the node map and of the pod's selector, tolerations and affinity (pods of
    one template share these values); the cache holds the keyed objects, so ids stay valid.
    """
    parts = (spec.get("nodeSelector"), spec.get("tolerations"), spec.get("affinity"))
    key = (id(node_map), id(parts[0]), id(parts[1]), id(parts[2]))
    hit = _FEASIBLE_CACHE.get(key)
    if hit is not None and hit[0] is node_map and all(a is b for a, b in zip(hit[1], parts)):
        return hit[2]
    feasible = sorted(name for name, node in node_map.items() if not _static_reason(spec, node))
    if len(_FEASIBLE_CACHE) > 1024:
        _FEASIBLE_CACHE.clear()
    _FEASIBLE_CACHE[key] = (node_map, parts, feasible)
    return feasible


def _best_node(state: ClusterState, nodes: Mapping[str, FrozenDict], feasible: list[str],
               req: tuple[int, ...]) -> str | None:
    """The feasible node that fits with the highest score; the lowest name among equals. ``_fits`` and
    :func:`least_allocated_score` inlined: this loop is the one pass over the nodes a lone pod costs."""
    get = state.node_usage.get
    allocs = _allocatables(nodes)
    best: str | None = None
    best_score = -1
    cpu, mem, nz_cpu, nz_mem = req[0], req[1], req[3], req[4]
    for name in feasible:  # sorted, so the first of equal scores has the lowest name
        a_cpu, a_mem, a_pods = allocs[name]
        used = get(name) or _ZERO
        if used[2] >= a_pods or (cpu and used[0] + cpu > a_cpu) or (mem and used[1] + mem > a_mem):
            continue
        score = 0
        requested = used[3] + nz_cpu
        if a_cpu and requested <= a_cpu:
            score += (a_cpu - requested) * MAX_NODE_SCORE // a_cpu
        requested = used[4] + nz_mem
        if a_mem and requested <= a_mem:
            score += (a_mem - requested) * MAX_NODE_SCORE // a_mem
        score //= 2
        if score > best_score:
            best, best_score = name, score
    return best


def _fits(alloc: tuple[int, int, int], used: tuple[int, ...], req: tuple[int, ...]) -> bool:
    """``not _fit_reasons(...)``, without building the reasons."""
    return used[2] < alloc[2] and not (req[0] and used[0] + req[0] > alloc[0]) and not (
        req[1] and used[1] + req[1] > alloc[1])


_ALLOCATABLES: list[tuple[Any, dict[str, tuple[int, int, int]]]] = []


def _allocatables(nodes: Mapping[str, FrozenDict]) -> dict[str, tuple[int, int, int]]:
    """Every node's allocatable vector, memoised for the last node map seen (nodes change rarely)."""
    if _ALLOCATABLES and _ALLOCATABLES[0][0] is nodes:
        return _ALLOCATABLES[0][1]
    table = {name: node_allocatable(node) for name, node in nodes.items()}
    _ALLOCATABLES[:] = [(nodes, table)]
    return table


_CONDITIONS: dict[tuple[int, str, str], tuple[Any, tuple[FrozenDict, ...]]] = {}


def _unschedulable_conditions(current: tuple[FrozenDict, ...], msg: str, now: str) -> tuple[FrozenDict, ...]:
    """``current`` with PodScheduled=False, reason Unschedulable and ``msg`` (its lastTransitionTime kept when
    it was False already). Memoised by identity of ``current``: the pods a turn marks with one message then
    share their conditions, and the kubelet's and the state's memos of conditions (keyed by identity too)
    serve them all with one entry each."""
    key = (id(current), msg, now)
    hit = _CONDITIONS.get(key)
    if hit is not None and hit[0] is current:
        return hit[1]
    cond: dict[str, Any] = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg}
    conds = list(current)
    for i, c in enumerate(conds):
        if c.get("type") == "PodScheduled":
            cond["lastTransitionTime"] = c.get("lastTransitionTime") if c.get("status") == "False" else now
            conds[i] = freeze(cond)
            break
    else:
        cond["lastTransitionTime"] = now
        conds.append(freeze(cond))
    out = tuple(conds)
    if len(_CONDITIONS) > 10_000:
        _CONDITIONS.clear()
    _CONDITIONS[key] = (current, out)
    return out


_TARGETS: dict[str, FrozenDict] = {}


def _binding(pod: FrozenDict, node: str) -> FrozenDict:
    """The Binding the scheduler posts to the pod's binding subresource (``DefaultBinder.Bind``)."""
    target = _TARGETS.get(node)
    if target is None:
        if len(_TARGETS) > 10_000:
            _TARGETS.clear()
        target = _TARGETS[node] = FrozenDict({"kind": "Node", "name": node})
    md = pod["metadata"]
    return FrozenDict({"apiVersion": "v1", "kind": "Binding",
                       "metadata": FrozenDict({"name": md["name"], "namespace": md["namespace"]}), "target": target})


def _unschedulable_message(state: ClusterState, pod: FrozenDict, n_nodes: int) -> str:
    reasons = unschedulable_reasons(state, pod)
    detail = ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
    return f"0/{n_nodes} nodes are available" + (f": {detail}." if detail else ".")


def _mark_unschedulable(state: ClusterState, pod: FrozenDict, n_nodes: int, msg: str | None = None) -> ClusterState:
    """PodScheduled=False with the "0/N nodes are available" message, written only when the pod does not
    carry that message already (``handleSchedulingFailure`` -> ``updatePod``: no write when
    ``UpdatePodCondition`` reports no change)."""
    if msg is None:
        msg = _unschedulable_message(state, pod, n_nodes)
    cur = get_condition(pod.get("status") or EMPTY, "PodScheduled")
    if cur is not None and cur.get("status") == "False" and cur.get("message") == msg:
        return state
    return update_status(state, NAME, _unschedulable(pod, msg, state.timestamp()))[0]


def _unschedulable(pod: FrozenDict, msg: str, now: str) -> FrozenDict:
    """The pod as the status write of its PodScheduled=False condition with ``msg`` sends it."""
    status = pod.get("status") or EMPTY
    return with_(pod, status=with_(status, conditions=_unschedulable_conditions(status.get("conditions") or (), msg, now)))


# ---------------------------------------------------------------------------------------------
# watches: a new unscheduled pod; anything that may free room or add a node
# ---------------------------------------------------------------------------------------------
def _pod_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is not None and not new["spec"].get("nodeName"):
        if old is None or old["spec"].get("nodeName") != new["spec"].get("nodeName") or old.get("spec") != new.get("spec"):
            return (KEY,)
        return ()
    if old is not None and old["spec"].get("nodeName") and "" in state.pods_by_node:
        # a bound pod went away or finished: room may have been freed for a pending pod
        if new is None or (new.get("status") or EMPTY).get("phase") in ("Succeeded", "Failed"):
            return (KEY,)
    return ()


def _node_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is not None and "" in state.pods_by_node:
        if old is None or old.get("spec") != new.get("spec") or node_is_ready(old) != node_is_ready(new) or (
                old["metadata"].get("labels") != new["metadata"].get("labels")):
            return (KEY,)
    return ()


register(Controller(NAME, sync, {"Pod": _pod_keys, "Node": _node_keys}))
