"""Garbage-collection cascades: a converged Deployment of N pods (its ReplicaSet, its pods) is deleted
with background or foreground propagation, and the cluster converges until every dependent is gone,
at the sizes of ``workloads.SIZES``; and the cost of one cascade (one 100-pod Deployment deleted) on a
cluster of ``LARGE`` pods.

**Mirrors:** the garbage collector's ``attemptToDeleteItem`` / ``processDeletingDependentsItem``
(``pkg/controller/garbagecollector/garbagecollector.go``): background deletes the owner first and then
its dependents; foreground marks the owner ``foregroundDeletion`` and deletes it after its blocking
dependents.

    pytest benchmarks/bench_calibration.py benchmarks/bench_gc.py --benchmark-only
"""

from __future__ import annotations

from typing import Any

import pytest

import refmodel as rm
from refmodel.events import Delete

from .conftest import cluster_for, deployment
from .workloads import LARGE, SIZES, many, rounds


def deleted(pods: int, propagation: str) -> rm.ClusterState:
    """A converged Deployment of ``pods`` replicas, just deleted with ``propagation``."""
    state = rm.converge(rm.apply_manifest(cluster_for(pods, "default-nodes"), deployment("web", pods)))
    assert state.count("Pod", "default") == pods
    return rm.step(state, Delete("Deployment", "default", "web", propagation))


def assert_gone(state: rm.ClusterState, app: str, others: int = 0) -> None:
    left = [p["metadata"]["name"] for p in state.iter_kind("Pod", "default")
            if (p["metadata"].get("labels") or {}).get("app") == app]
    assert not left, f"{len(left)} pods of {app} left (e.g. {left[:3]}), but the cascade should delete them all"
    assert state.get("Deployment", "default", app) is None, f"Deployment/{app} still exists"
    rs_left = [r["metadata"]["name"] for r in state.iter_kind("ReplicaSet", "default")
               if r["metadata"]["name"].startswith(f"{app}-")]
    assert not rs_left, f"ReplicaSets {rs_left} left, but should be deleted"
    total = state.count("Pod", "default")
    assert total == others, f"{total} other pods, but should be {others} (the cascade must touch nothing else)"


@pytest.mark.benchmark(group="gc-cascade")
@pytest.mark.parametrize("propagation", ["Background", "Foreground"])
@pytest.mark.parametrize("pods", SIZES)
def test_gc_cascade_deletes_a_deployment(benchmark: Any, pods: int, propagation: str) -> None:
    start = deleted(pods, propagation)
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=rounds(pods), iterations=1)
    assert_gone(result, "web")
    benchmark.extra_info.update({"size": pods, "items": pods, "unit": "pods", "propagation": propagation})


def delete_one(state: rm.ClusterState) -> rm.ClusterState:
    return rm.converge(rm.step(state, Delete("Deployment", "default", "app-0000", "Background")))


@pytest.mark.benchmark(group="gc-one-event")
def test_gc_one_event_on_a_large_cluster(benchmark: Any) -> None:
    state = many(cluster_for(LARGE, "default-nodes"), LARGE, deployment)
    result = benchmark.pedantic(delete_one, args=(state,), rounds=1 if LARGE >= 30_000 else 5, iterations=1,
                                warmup_rounds=1)
    workloads = max(LARGE // 100, 1)
    assert_gone(result, "app-0000", others=(workloads - 1) * 100)
    benchmark.extra_info.update({"size": LARGE, "items": 1, "unit": "events", "propagation": "Background"})
