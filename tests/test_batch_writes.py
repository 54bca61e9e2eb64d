"""A controller's batch request against the same writes sent one request at a time.

The API server serves a controller's batch of creates, Bindings and status writes item by item inline and
moves the indexes for a run of them in one pass (``apiserver._create_each``, ``_bind_each``,
``_status_each``; ``state._Txn.index_creates``, ``index_bindings``, ``index_statuses``), handing any other
item to the general writer in its turn. Whatever the mix, the batch must store what the single requests
store, and every index must equal its recomputation (``state.index_errors``). The batches below mix the
common items with the ones the general path takes (an orphan, another controller's pod, an unlabelled pod,
a pod finishing, a pod being deleted, a user's Binding) so that both paths run in one transaction.

Seeded bugs it was shown to catch: a burst's create that keeps the counts entry it looked up before an
orphan's general upkeep settled the moves (pod_stats loses the later pods); a status batch that does the
same after a pod's terminal write; a Binding that does not move its node's usage (node_usage).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

import refmodel as rm
from refmodel import apiserver
from refmodel.frozen import FrozenDict, freeze, with_
from refmodel.request import Request
from refmodel.state import ClusterState, index_errors

CONTROLLER = "replicaset"


@functools.cache
def _pod(app: str, owner: str | None, labels: bool = True) -> FrozenDict:
    """A controller's pod to create; one value per template, as a controller's pods share their owner
    references and labels (the batch paths keep what they looked up for the last ones)."""
    md: dict[str, Any] = {"generateName": f"{app}-", "namespace": "default"}
    if labels:
        md["labels"] = {"app": app}
    if owner is not None:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": f"uid-{owner}",
                                  "controller": True, "blockOwnerDeletion": True}]
    return freeze({"apiVersion": "v1", "kind": "Pod", "metadata": md,
                   "spec": {"containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "IfNotPresent",
                                            "terminationMessagePolicy": "File",
                                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
                            # what defaulting gives (a controller's pods come from a defaulted template)
                            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30}})


def _both(state: ClusterState, verb: str, subresource: str, items: list[FrozenDict]) -> ClusterState:
    """``items`` sent as one batch and one request at a time: the same objects, the same indexes, and
    indexes that equal their recomputation. Returns the batch's state."""
    batched, response, _ = apiserver.handle(state, Request(verb, subresource=subresource, controller=CONTROLLER,
                                                           items=tuple(items)))
    assert response.ok, f"batch rejected: {response.rejection}, but every item is acceptable"
    single = state
    for item in items:
        single, response, _ = apiserver.handle(single, Request(verb, subresource=subresource, controller=CONTROLLER,
                                                               items=(item,)))
        assert response.ok, f"single request rejected: {response.rejection}"
    errors = index_errors(batched)
    assert not errors, f"{errors[0]} [after a batch of {len(items)} {verb} {subresource}]"
    for field in ("objects", "by_uid", "by_owner", "pod_labels", "pod_label_sets", "pods_by_node", "orphan_pods",
                  "pod_stats", "node_usage", "rv", "uid_seq"):
        got, want = getattr(batched, field), getattr(single, field)
        assert got == want, f"{field} after the batch={got}, but should be {want} (the single requests')"
    return batched


@pytest.mark.parametrize("strict", [False, True])
def test_batches_store_and_index_what_single_requests_do(strict: bool) -> None:
    state = rm.new_cluster(3, config=rm.ClusterConfig(strict=strict))
    # creates: a burst of one controller's pods, with an orphan, an unlabelled pod and another controller's
    # in the middle (the orphan's general upkeep settles the counts moved before it)
    creates = [_pod("web", "web-1") for _ in range(3)] + [_pod("lone", None), _pod("web", "web-1", labels=False)]
    creates += [_pod("web", "web-1") for _ in range(2)] + [_pod("api", "api-1"), _pod("web", "web-1")]
    state = _both(state, "create", "", creates)
    pods = sorted(state.iter_kind("Pod", "default"), key=lambda p: p["metadata"]["name"])
    assert len(pods) == len(creates), f"{len(pods)} pods, but {len(creates)} were created"
    # bindings: the scheduler's, spread over the nodes, and a user's Binding in the middle
    bindings: list[Any] = [
        freeze({"apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": p["metadata"]["name"], "namespace": "default"},
                "target": {"apiVersion": "v1", "kind": "Node", "name": f"node-{i % 3}"}})
        for i, p in enumerate(pods)]
    bindings[4] = {"metadata": {"name": pods[4]["metadata"]["name"], "namespace": "default"},
                   "target": {"name": "node-1"}}
    state = _both(state, "create", "binding", bindings)
    # status writes: Running and Ready, one pod finishing in the middle, one being deleted
    now = state.timestamp()
    ready = freeze({"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}]})
    done = freeze({"phase": "Succeeded", "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now}]})
    pods = sorted(state.iter_kind("Pod", "default"), key=lambda p: p["metadata"]["name"])
    state, response, _ = apiserver.handle(state, Request("delete", "Pod", "default", pods[5]["metadata"]["name"]))
    assert response.ok and rm.get(state, "Pod", pods[5]["metadata"]["name"])["metadata"].get("deletionTimestamp"), (
        f"a bound pod's delete gave {response}, but should mark it deleted and keep it for its grace period")
    pods = sorted(state.iter_kind("Pod", "default"), key=lambda p: p["metadata"]["name"])
    statuses = [with_(p, status=done if i == 3 else ready) for i, p in enumerate(pods)]
    state = _both(state, "update", "status", statuses)
    # and back: a Ready pod losing readiness, beside unchanged ones
    pods = sorted(state.iter_kind("Pod", "default"), key=lambda p: p["metadata"]["name"])
    _both(state, "update", "status", [with_(p, status=with_(p["status"], conditions=())) if i % 2 else p
                                      for i, p in enumerate(pods)])


def test_batches_longer_than_an_index_run_store_and_index_what_single_requests_do() -> None:
    """A batch longer than ``apiserver._INDEX_RUN`` moves its index entries run by run; a general-path item
    just before and just after a run's end must see the runs before it indexed (seeded bugs caught: a run
    indexed twice, a run whose writes are never indexed)."""
    run = apiserver._INDEX_RUN
    state = rm.new_cluster(3)
    n = 2 * run + 5
    creates = [_pod("web", "web-1") for _ in range(n)]
    for at in (run - 1, run + 1, 2 * run):  # an orphan's general upkeep settles the counts moved before it
        creates[at] = _pod("lone", None)
    state = _both(state, "create", "", creates)
    pods = sorted(state.iter_kind("Pod", "default"), key=lambda p: p["metadata"]["name"])
    bindings: list[Any] = [
        freeze({"apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": p["metadata"]["name"], "namespace": "default"},
                "target": {"apiVersion": "v1", "kind": "Node", "name": f"node-{i % 3}"}})
        for i, p in enumerate(pods)]
    bindings[run] = {"metadata": {"name": pods[run]["metadata"]["name"], "namespace": "default"},
                     "target": {"name": "node-1"}}  # a user's Binding: the general writer
    state = _both(state, "create", "binding", bindings)
    now = state.timestamp()
    ready = freeze({"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}]})
    done = freeze({"phase": "Succeeded", "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now}]})
    pods = sorted(state.iter_kind("Pod", "default"), key=lambda p: p["metadata"]["name"])
    state = _both(state, "update", "status", [with_(p, status=done if i in (run - 1, run + 2) else ready)
                                              for i, p in enumerate(pods)])
    ready_pods = sum(1 for p in state.iter_kind("Pod", "default") if p["status"].get("phase") == "Running")
    assert ready_pods == n - 2, f"{ready_pods} pods Running, but should be {n - 2} (two finished)"
