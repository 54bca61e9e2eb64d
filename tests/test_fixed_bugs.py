"""Model bugs the conformance suite found and the model has since fixed, kept as regression tests.

Each test runs the script that first exposed the bug, end to end through the public API (``step``,
``converge``, ``get``), and checks the upstream behaviour. Each one is also shown to fail: its
``..._catches_the_old_bug`` twin re-seeds the bug with ``monkeypatch`` and expects the check to fail.

- KB-1 (fixed in 0e60a4c): a ReplicaSet with ``minReadySeconds`` requeued itself at the ready time of a
  pod that was already available, so the timer landed on the current instant and the controller synced
  forever without the clock moving.
- KB-2 (fixed in daddaa8): a pod turning Ready requeued its ReplicaSet ``minReadySeconds + 1`` s later only
  when every replica was ready, so one unschedulable replica kept ``availableReplicas`` at 0 for good.
  Upstream: ``pkg/controller/replicaset/replica_set.go`` updatePod enqueues the ReplicaSet after
  ``minReadySeconds + 1 s`` whenever a pod goes from not Ready to Ready.
- KB-3 (fixed in daddaa8): an update of a Namespace re-defaulted ``spec.finalizers``, so re-applying a
  terminating namespace put ``kubernetes`` back after the namespace controller had removed it and the
  namespace never went away. Upstream: ``pkg/registry/core/namespace/strategy.go``
  (namespaceStrategy.PrepareForUpdate keeps the old ``spec.finalizers``; only ``/finalize`` changes them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest

import refmodel as rm
from refmodel import events as ev
from refmodel.controllers import CONTROLLERS
from refmodel.podutil import ready_since
from refmodel.resources import REGISTRY
from refmodel.state import ClusterState

Sync = Callable[[ClusterState, str], ClusterState]


def _replicaset(name: str, replicas: int, min_ready: int, cpu: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": "nginx:1.25"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "minReadySeconds": min_ready, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}}


def _wrap_replicaset_sync(monkeypatch: pytest.MonkeyPatch, wrap: Callable[[Sync], Sync]) -> None:
    controller = CONTROLLERS["replicaset"]
    monkeypatch.setitem(CONTROLLERS, "replicaset", attrs.evolve(controller, sync=wrap(controller.sync)))


def _own_timers(state: ClusterState, key: str) -> set[tuple[int, tuple[str, str]]]:
    return {(at, item) for at, slot in state.timers.items() for item in slot if item == ("replicaset", key)}


def _drop_new_timers(before: ClusterState, after: ClusterState, key: str) -> ClusterState:
    """``after`` without the timers for ``("replicaset", key)`` that the sync added."""
    timers = after.timers
    for at, item in _own_timers(after, key) - _own_timers(before, key):
        slot = timers[at].delete(item)
        timers = timers.set(at, slot) if len(slot) else timers.delete(at)
    return after.replace(timers=timers)


# ---------------------------------------------------------------------------------------------------------
# KB-1: the cluster settles after scaling a ReplicaSet with minReadySeconds whose first pod is available
# ---------------------------------------------------------------------------------------------------------
def _kb1_settles() -> None:
    s = rm.converge(rm.step(rm.new_cluster(nodes=1), ev.Apply(_replicaset("kb1", 1, 5))), max_steps=2000)
    s = rm.converge(rm.step(s, ev.Scale("ReplicaSet", "default", "kb1", 2)), max_steps=2000)
    status = (rm.get(s, "ReplicaSet", "kb1") or {}).get("status") or {}
    assert status.get("availableReplicas", 0) == 2, f"availableReplicas {status.get('availableReplicas', 0)}, expected 2"


def _kb1_reseeded(sync: Sync) -> Sync:
    # the old requeue: at the earliest ready time of *any* ready pod, available or not
    def old(state: ClusterState, key: str) -> ClusterState:
        out = sync(state, key)
        ns, name = key.split("/", 1)
        rs = out.get("ReplicaSet", ns, name)
        if rs is None or not rs["spec"].get("minReadySeconds"):
            return out
        status = rs.get("status") or {}
        if status.get("availableReplicas", 0) >= status.get("readyReplicas", 0):
            return out
        pods = [out.get_ref(ref) for ref in out.dependents(rs["metadata"]["uid"]) if ref[0] == "Pod"]
        since = [t for p in pods if p is not None and (t := ready_since(p)) is not None]
        at = min(since) + int(rs["spec"]["minReadySeconds"]) + 1 - out.config.start_time
        return out.add_timer(at, "replicaset", key)
    return old


def test_scaled_replicaset_with_min_ready_seconds_settles() -> None:
    _kb1_settles()


def test_scaled_replicaset_with_min_ready_seconds_settles_catches_the_old_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    _wrap_replicaset_sync(monkeypatch, _kb1_reseeded)
    with pytest.raises(rm.NotConverged):
        _kb1_settles()


# ---------------------------------------------------------------------------------------------------------
# KB-2: availability is noticed while another replica cannot be scheduled
# ---------------------------------------------------------------------------------------------------------
def _kb2_available_with_an_unschedulable_replica() -> None:
    # one node, two replicas asking for 3 CPUs each: one runs, the other stays Pending
    s = rm.converge(rm.step(rm.new_cluster(nodes=1), ev.Apply(_replicaset("kb2", 2, 10, cpu="3"))), max_steps=2000)
    status = (rm.get(s, "ReplicaSet", "kb2") or {}).get("status") or {}
    ready, available = status.get("readyReplicas", 0), status.get("availableReplicas", 0)  # omitempty
    assert (ready, available) == (1, 1), (
        f"readyReplicas {ready} availableReplicas {available}, "
        "expected 1 and 1 (one pod is Ready for longer than minReadySeconds, the other is Pending)")


def _kb2_reseeded(sync: Sync) -> Sync:
    # the old condition: requeue for minReadySeconds only when every replica is ready
    def old(state: ClusterState, key: str) -> ClusterState:
        out = sync(state, key)
        ns, name = key.split("/", 1)
        rs = out.get("ReplicaSet", ns, name)
        status = (rs or {}).get("status") or {}
        if rs is not None and status.get("readyReplicas", 0) != status.get("replicas", 0):
            return _drop_new_timers(state, out, key)
        return out
    return old


def test_replicaset_notices_availability_with_an_unschedulable_replica() -> None:
    # RS-4, P-6
    _kb2_available_with_an_unschedulable_replica()


def test_replicaset_notices_availability_with_an_unschedulable_replica_catches_the_old_bug(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _wrap_replicaset_sync(monkeypatch, _kb2_reseeded)
    with pytest.raises(AssertionError, match="availableReplicas 0"):
        _kb2_available_with_an_unschedulable_replica()


# ---------------------------------------------------------------------------------------------------------
# KB-3: re-applying a terminating Namespace keeps its spec.finalizers, so it still goes away
# ---------------------------------------------------------------------------------------------------------
def _kb3_terminating_namespace_goes_after_reapply() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kb3"}}
    s = rm.converge(rm.step(rm.new_cluster(nodes=1), ev.Apply(ns)), max_steps=500)
    # delete it, let the namespace controller take its finalizer off once, then apply it again with a new
    # label (kubectl sends nothing for an apply whose three-way patch is empty: apply/patcher.go patchSimple)
    relabelled = {**ns, "metadata": {"name": "kb3", "labels": {"reapplied": "yes"}}}
    for e in (ev.Delete("Namespace", "", "kb3", "Foreground"), ev.Reconcile("namespace", "kb3"), ev.Apply(relabelled)):
        s = rm.step(s, e)
    live = rm.get(s, "Namespace", "kb3")
    assert live is not None and not (live.get("spec") or {}).get("finalizers"), (
        f"spec.finalizers {(live or {}).get('spec')} after the apply, expected none (the namespace controller removed them)")
    gone = rm.get(rm.converge(s, max_steps=2000), "Namespace", "kb3")
    assert gone is None, f"Namespace kb3 still present after settle ({gone}), expected it deleted"


def test_applying_a_terminating_namespace_keeps_its_spec_finalizers() -> None:
    # NS-2
    _kb3_terminating_namespace_goes_after_reapply()


def test_applying_a_terminating_namespace_keeps_its_spec_finalizers_catches_the_old_bug(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the old update path had no PrepareForUpdate: defaulting put "kubernetes" back
    monkeypatch.setitem(REGISTRY, "Namespace", attrs.evolve(REGISTRY["Namespace"], prepare_update=lambda old, new: None))
    with pytest.raises(AssertionError, match=r"spec\.finalizers"):
        _kb3_terminating_namespace_goes_after_reapply()
