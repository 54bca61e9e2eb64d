"""Known bugs of the reference model, with test-side patches.

The suite found these; they are reported for the model's owners to fix (the suite never edits
``refmodel``). The patches exist so that the suite's *own* tests (mutant kills, adapter tests,
benchmarks) can measure what they are about while a model bug is open; ``kubeoracle conformance``
never applies them, so it keeps reporting the bug. Each entry names the failing script's shape and
the invariant it violates; delete an entry (and its patch) once the model is fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

__all__ = ["KNOWN", "known_bug_open", "patched"]


def _kb2_open() -> bool:
    """KB-2: a pod of a ReplicaSet with ``minReadySeconds`` that turns Ready does not requeue the
    ReplicaSet after ``minReadySeconds + 1`` s unless *every* replica is ready; upstream's pod
    handler does (``pkg/controller/replicaset/replica_set.go`` updatePod: ``if !IsPodReady(oldPod) &&
    IsPodReady(curPod) && rs.Spec.MinReadySeconds > 0 { enqueueRSAfter(rs, minReadySeconds+1s) }``).
    So ``status.availableReplicas`` stays 0 for good when one replica cannot be scheduled. Script:
    Deployment web, replicas 4, requests cpu 3 (three fit), minReadySeconds 10, settle. Violates
    "after settle, ReplicaSet status counts its active pods ..." (RS-4, P-6)."""
    import refmodel as rm
    from refmodel import events as ev

    s = rm.new_cluster(nodes=1)
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "kb2", "namespace": "default"},
          "spec": {"replicas": 2, "minReadySeconds": 10, "selector": {"matchLabels": {"kb": "2"}},
                   "template": {"metadata": {"labels": {"kb": "2"}},
                                "spec": {"containers": [{"name": "c", "image": "nginx:1.25",
                                                         "resources": {"requests": {"cpu": "3"}}}]}}}}
    s = rm.converge(rm.step(s, ev.Apply(rs)), max_steps=2000)
    got = rm.get(s, "ReplicaSet", "kb2")
    return got is not None and (got.get("status") or {}).get("availableReplicas", 0) != 1


def _kb2_patch(stack: ExitStack) -> None:
    import attrs

    from refmodel.controllers import CONTROLLERS, replicaset
    from refmodel.podutil import is_pod_active, is_pod_available, ready_since

    controller = CONTROLLERS["replicaset"]

    def sync(state: Any, key: str) -> Any:
        out = controller.sync(state, key)
        ns, name = key.split("/", 1)
        rs = out.get("ReplicaSet", ns, name)
        if rs is None:
            return out
        min_ready = int(rs["spec"].get("minReadySeconds", 0) or 0)
        if not min_ready:
            return out
        now = out.config.start_time + out.now
        pending = [t for p in replicaset.owned_pods(out, rs["metadata"]["uid"])
                   if is_pod_active(p) and (t := ready_since(p)) is not None
                   and not is_pod_available(p, min_ready, now)]
        if pending:  # the updatePod handler's enqueueRSAfter(minReadySeconds + 1 s)
            out = out.add_timer(min(pending) + min_ready + 1 - out.config.start_time, "replicaset", key)
        return out

    CONTROLLERS["replicaset"] = attrs.evolve(controller, sync=sync)
    stack.callback(CONTROLLERS.__setitem__, "replicaset", controller)


def _kb3_open() -> bool:
    """KB-3: a user update (``kubectl apply``) of a Namespace re-defaults ``spec.finalizers``; upstream's
    ``pkg/registry/core/namespace/strategy.go`` PrepareForUpdate keeps the old ones
    (``newNamespace.Spec.Finalizers = oldNamespace.Spec.Finalizers``; only ``/finalize`` changes them).
    Applying a Namespace that is terminating puts ``kubernetes`` back after the namespace controller
    removed it, and the namespace never goes. Script: apply ns team-b, delete it (Foreground), one
    ``Reconcile(namespace, team-b)``, apply ns team-b again, settle. Violates "after settle, an object
    the run deleted is gone" (NS-2, GC-2)."""
    import refmodel as rm
    from refmodel import events as ev

    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kb3"}}
    s = rm.converge(rm.step(rm.new_cluster(nodes=1), ev.Apply(ns)), max_steps=500)
    for e in (ev.Delete("Namespace", "", "kb3", "Foreground"), ev.Reconcile("namespace", "kb3"), ev.Apply(ns)):
        s = rm.step(s, e)
    return rm.get(rm.converge(s, max_steps=2000), "Namespace", "kb3") is not None


def _kb3_patch(stack: ExitStack) -> None:
    from refmodel import apiserver
    from refmodel.frozen import thaw

    original = apiserver._update_from_user

    def update(txn: Any, request: Any, info: Any, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("kind") == "Namespace":
            live = txn.get("Namespace", "", (raw.get("metadata") or {}).get("name", ""))
            if live is not None:
                raw = {**thaw(raw), "spec": {**(thaw(raw.get("spec")) or {}),
                                             "finalizers": thaw((live.get("spec") or {}).get("finalizers")) or []}}
        return original(txn, request, info, raw)

    apiserver._update_from_user = update  # type: ignore[assignment]
    stack.callback(setattr, apiserver, "_update_from_user", original)


#: id -> (still open?, patch)
KNOWN: dict[str, tuple[Callable[[], bool], Callable[[ExitStack], None]]] = {
    # Found and fixed (kept here as the record):
    # KB-1  refmodel/controllers/replicaset.py sync requeued after minReadySeconds from the earliest
    #       ready pod even when it was already available: the timer landed at ``now`` and the
    #       ReplicaSet synced forever at one instant (and converge never gave up, KB-2). Script: RS
    #       minReadySeconds=5 replicas=1, settle, scale to 2, settle. Violated "the cluster settles".
    #       Fixed in 0e60a4c.
    "KB-2": (_kb2_open, _kb2_patch),
    "KB-3": (_kb3_open, _kb3_patch),
}


def known_bug_open(bug: str) -> bool:
    return KNOWN[bug][0]()


@contextmanager
def patched(*bugs: str) -> Iterator[list[str]]:
    """Apply the patches of the open bugs among ``bugs`` (all when none); yields the ids patched."""
    with ExitStack() as stack:
        done = []
        for bug in bugs or tuple(KNOWN):
            is_open, patch = KNOWN[bug]
            if is_open():
                patch(stack)
                done.append(bug)
        yield done
