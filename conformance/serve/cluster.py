"""The served cluster: one reference-model state, the requests that change it, the controllers that run
on a clock, and the change log that watches read.

**Mirrors:** kube-apiserver's storage and watch cache (``staging/src/k8s.io/apiserver/pkg/storage/cacher/
watch_cache.go``: a bounded window of recent events; a watch from a resourceVersion older than the
window fails with ``410 Expired: too old resource version``; ``cacher.go`` turns a MODIFIED event that
leaves a watcher's selector into DELETED and one that enters it into ADDED), list snapshots for
``limit``/``continue`` (``storage/etcd3/store.go`` ``GetList``: a continuation reads the same revision;
a compacted one is 410) and kube-controller-manager/kubelets running beside it on the wall clock.
**Modelled:** every request goes through :func:`refmodel.apiserver.handle` (the one door) and its writes
wake the controllers (:func:`refmodel.controllers.notify`); :meth:`Cluster.tick` moves the model's clock
to the wall clock (times ``time_scale``), fires due timers and runs the queued controller turns; every
committed change (requests and controller turns alike) is found by comparing the persistent stores
before and after, stamped with its resourceVersion and appended to the log; a deletion takes a fresh
resourceVersion, as etcd's delete revision; Events are recorded for what happened
(:mod:`conformance.serve.recorder`).
With a journal (:mod:`conformance.serve.journal`) every commit is appended, and a request's commit is
on disk before the reply; a restart rebuilds the state from it and resyncs every controller.
**Not modelled (and why):** Event TTL.
"""

from __future__ import annotations

import itertools
import sys
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

import refmodel as rm
from refmodel import apiserver
from refmodel.controllers import CONTROLLERS, notify
from refmodel.core import fire_due_timers
from refmodel.frozen import FrozenDict, freeze, thaw, with_
from refmodel.request import Request, Response
from refmodel.state import ClusterConfig, ClusterState

from .journal import Journal
from .recorder import events_for

__all__ = ["Cluster", "WatchEvent"]

LOG_CAPACITY = 50_000  # watch events kept (the watch cache's window)
SNAPSHOTS = 64  # list states kept for continue tokens
HISTORY = 512  # recent states kept for lists at an exact resourceVersion


@attrs.frozen
class WatchEvent:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    kind: str
    namespace: str
    obj: FrozenDict  # the object after the change (the last state for DELETED, with the deletion's rv)
    old: FrozenDict | None  # the object before (None for ADDED)


class Cluster:
    """The one mutable cell of the server: the current state and what was done to it."""

    def __init__(self, nodes: int = 3, time_scale: float = 1.0, cpu: str = "4", memory: str = "16Gi",
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 scale_bug: int = 0, journal: Path | None = None) -> None:
        self.clock = clock
        self.time_scale = time_scale
        self.journal = Journal(journal) if journal is not None else None
        self.recovered = 0  # records replayed from the journal
        if self.journal is not None and self.journal.records:
            self.state: ClusterState = self._recover(self.journal.records)
        else:
            config = ClusterConfig(start_time=int(wall()))
            self.state = rm.new_cluster(nodes=nodes, cpu=cpu, memory=memory, config=config)
            if self.journal is not None:  # the first record: the whole initial cluster
                self.journal.append(self._record([(k, ns, None, o) for k, ns_map in self.state.objects.items()
                                                  for ns, names in ns_map.items()
                                                  for o in names.values()], self.state))
        self.t0_wall = clock()
        self.t0_virtual = self.state.now
        self.log: deque[WatchEvent] = deque(maxlen=LOG_CAPACITY)
        self.first_rv = self.state.rv  # watches from this rv on can be served
        self.snapshots: OrderedDict[int, ClusterState] = OrderedDict()
        self.history: deque[ClusterState] = deque([self.state], maxlen=HISTORY)  # by resourceVersion
        self.listeners: list[Callable[[list[WatchEvent]], None]] = []
        self._event_seq = itertools.count()
        self.scale_bug = scale_bug  # a seeded bug for the tests: scale lands this many replicas higher
        self.steps = 0

    # ---- requests ----------------------------------------------------------------------------
    def request(self, request: Request) -> Response:
        """Serve one request through the one door; its writes wake the controllers and the watches."""
        if self.scale_bug and request.subresource == "scale" and request.verb in ("update", "patch"):
            request = _bump_scale(request, self.scale_bug)
        old = self.state
        new, response, changes = apiserver.handle(old, request)
        if changes:
            new = notify(new, changes)
        self._commit(old, new, sync=True)
        return response

    def snapshot(self) -> ClusterState:
        """The current state, kept for continuation of a paged list."""
        state = self.state
        self.snapshots[state.rv] = state
        self.snapshots.move_to_end(state.rv)
        while len(self.snapshots) > SNAPSHOTS:
            self.snapshots.popitem(last=False)
        return state

    def state_at(self, rv: int) -> ClusterState | None:
        """The state as of resourceVersion ``rv`` (a list with ``resourceVersionMatch=Exact``): the newest
        kept state whose resourceVersion is at most ``rv``; None when ``rv`` is older than what is kept
        (410 Expired) or newer than the cluster (504 upstream: too large resource version)."""
        if rv > self.state.rv:
            return None
        for state in reversed(self.history):
            if state.rv <= rv:
                return state
        return None

    # ---- the clock and the controllers ---------------------------------------------------------
    def virtual_target(self) -> int:
        return self.t0_virtual + int((self.clock() - self.t0_wall) * self.time_scale)

    def tick(self, max_steps: int = 500) -> bool:
        """Bring the model's clock to the wall clock, then run up to ``max_steps`` queued controller
        turns. Returns whether work is still queued."""
        target = self.virtual_target()
        if target > self.state.now:
            old = self.state
            self._commit(old, fire_due_timers(old.replace(now=target)))
            if self.journal is not None:  # the clock, for a restart (not synced: a tick acknowledges nothing)
                self.journal.append({"now": self.state.now}, sync=False)
        for _ in range(max_steps):
            state = self.state
            if not state.dirty:
                return False
            _seq, item = min((seq, item) for item, seq in state.dirty.items())
            old = state
            state = state.replace(dirty=state.dirty.delete(item))
            try:
                state = CONTROLLERS[item[0]].sync(state, item[1])
            except Exception:  # a bug in a controller: that turn is dropped, the server goes on
                traceback.print_exc(file=sys.stderr)
                print(f"kubeoracle serve: the {item[0]} controller failed on {item[1]!r}; that turn is dropped",
                      file=sys.stderr)
                self.state = state
                continue
            self.steps += 1
            self._commit(old, state)
        return bool(self.state.dirty)

    # ---- the change log --------------------------------------------------------------------------
    def _commit(self, old: ClusterState, new: ClusterState, sync: bool = False) -> None:
        diff = list(_diff(old, new))
        if not diff:
            self.state = new
            return
        ts = new.timestamp()
        recorded = events_for(((k, o, n) for k, _ns, o, n in diff), ts, self._event_name)
        if recorded:
            after, _response, changes = apiserver.handle(new, Request("create", items=tuple(recorded)))
            if changes:
                new = notify(after, changes)
                diff = list(_diff(old, new))
        events: list[WatchEvent] = []
        deleted = []
        for kind, ns, before, after_obj in diff:
            if after_obj is None:
                assert before is not None
                deleted.append((kind, ns, before))
            else:
                rv = int(after_obj["metadata"].get("resourceVersion") or 0)
                events.append(WatchEvent(rv, "ADDED" if before is None else "MODIFIED", kind, ns, after_obj, before))
        events.sort(key=lambda e: e.rv)
        rv = new.rv
        for kind, ns, before in deleted:
            rv += 1
            gone = with_(before, metadata=with_(before["metadata"], resourceVersion=str(rv)))
            events.append(WatchEvent(rv, "DELETED", kind, ns, gone, before))
        if rv != new.rv:
            new = new.replace(rv=rv)
        if self.journal is not None:  # durable before the reply (sync: a request's writes)
            self.journal.append(self._record(diff, new), sync=sync)
        self.state = new
        self.history.append(new)
        if len(self.log) == self.log.maxlen and self.log:
            self.first_rv = self.log[0].rv
        self.log.extend(events)
        for listener in list(self.listeners):
            listener(events)

    @staticmethod
    def _record(diff: list[tuple[str, str, FrozenDict | None, FrozenDict | None]], state: ClusterState) -> dict[str, Any]:
        return {"rv": state.rv, "now": state.now, "uid_seq": state.uid_seq, "ip_seq": state.ip_seq,
                "start": state.config.start_time,
                "puts": [[kind, ns, (after if after is not None else before)["metadata"]["name"],  # type: ignore[index]
                          thaw(after) if after is not None else None] for kind, ns, before, after in diff]}

    def _recover(self, records: list[dict[str, Any]]) -> ClusterState:
        """The state the journal's records lead to, with every controller queued for every object (the
        resync of a restarted controller manager)."""
        first = records[0]
        state = ClusterState(config=ClusterConfig(start_time=int(first["start"])))
        last: dict[str, Any] = first
        txn = state._transaction()
        for record in records:
            if "puts" not in record:
                last = {**last, "now": record["now"]}
                continue
            last = record
            for kind, ns, name, obj in record["puts"]:
                ref = (kind, ns, name)
                txn.put(ref, txn.get(kind, ns, name), freeze(obj) if obj is not None else None)
        state = txn.finish({})
        state = state.replace(rv=int(last["rv"]), now=int(last["now"]), uid_seq=int(last["uid_seq"]),
                              ip_seq=int(last["ip_seq"]))
        everything = [((kind, ns, name), None, obj, False) for kind, ns_map in state.objects.items()
                      for ns, names in ns_map.items() for name, obj in names.items()]
        self.recovered = len(records)
        return notify(state, everything)

    def _event_name(self, name: str) -> str:
        n = (self.state.config.start_time + self.state.now) * 10**9 + next(self._event_seq)
        return f"{name}.{n:x}"

    def events_since(self, rv: int) -> list[WatchEvent] | None:
        """The logged events after ``rv``; None when ``rv`` is older than the window (410 Expired)."""
        if rv < self.first_rv - 1 or (self.log and len(self.log) == self.log.maxlen and rv < self.log[0].rv - 1):
            return None
        return [e for e in self.log if e.rv > rv]

    def objects(self, kind: str, namespace: str | None, state: ClusterState | None = None) -> Iterator[FrozenDict]:
        return (state or self.state).iter_kind(kind, namespace)

    def plain(self, obj: Any) -> Any:
        return thaw(obj)


def _bump_scale(request: Request, by: int) -> Request:
    body = request.body
    if isinstance(body, dict) and isinstance(body.get("spec"), dict) and isinstance(body["spec"].get("replicas"), int):
        body = {**body, "spec": {**body["spec"], "replicas": body["spec"]["replicas"] + by}}
        return attrs.evolve(request, body=body)
    return request


def _diff(old: ClusterState, new: ClusterState) -> Iterator[tuple[str, str, FrozenDict | None, FrozenDict | None]]:
    """(kind, namespace, before, after) for every object that is not the same object any more.

    The stores are persistent maps, so unchanged kinds and namespaces are skipped by identity."""
    if old.objects is new.objects:
        return
    for kind in set(old.objects.keys()) | set(new.objects.keys()):
        ko, kn = old.objects.get(kind), new.objects.get(kind)
        if ko is kn:
            continue
        ko = ko if ko is not None else {}
        kn = kn if kn is not None else {}
        for ns in set(ko.keys()) | set(kn.keys()):
            mo, mn = ko.get(ns), kn.get(ns)
            if mo is mn:
                continue
            mo = mo if mo is not None else {}
            mn = mn if mn is not None else {}
            for name, obj in mn.items():
                before = mo.get(name)
                if before is not obj:
                    yield kind, ns, before, obj
            for name, obj in mo.items():
                if name not in mn:
                    yield kind, ns, obj, None
