"""ReplicaSet scale up and scale down: a converged ReplicaSet is scaled from 0 to N (every pod created,
scheduled, started and made Ready, the status counted) or from N to 0 (every pod deleted, its grace
period served on the virtual clock), at the sizes of ``workloads.SIZES``; and the cost of one event
(one ReplicaSet of 100 scaled to 101) on a cluster of ``LARGE`` pods.

**Mirrors:** the ReplicaSet controller's ``syncReplicaSet``/``manageReplicas``
(``pkg/controller/replicaset/replica_set.go``), which creates and deletes in slow-start batches.

    pytest benchmarks/bench_calibration.py benchmarks/bench_replicaset.py --benchmark-only
"""

from __future__ import annotations

from typing import Any

import pytest

import refmodel as rm
from refmodel.events import Scale

from .conftest import cluster_for
from .workloads import (
    LARGE,
    SIZES,
    assert_replicaset_converged,
    many,
    pods_with,
    replicaset,
    rounds,
)


def scaled_up(pods: int) -> rm.ClusterState:
    """A converged ReplicaSet of 0 replicas, just scaled to ``pods``."""
    state = rm.converge(rm.apply_manifest(cluster_for(pods, "default-nodes"), replicaset("web", 0)))
    return rm.step(state, Scale("ReplicaSet", "default", "web", pods))


def scaled_down(pods: int) -> rm.ClusterState:
    """A converged ReplicaSet of ``pods`` replicas, just scaled to 0."""
    state = rm.converge(rm.apply_manifest(cluster_for(pods, "default-nodes"), replicaset("web", pods)))
    assert_replicaset_converged(state, "web", pods)
    return rm.step(state, Scale("ReplicaSet", "default", "web", 0))


@pytest.mark.benchmark(group="replicaset-scale-up")
@pytest.mark.parametrize("pods", SIZES)
def test_replicaset_scale_up(benchmark: Any, pods: int) -> None:
    start = scaled_up(pods)
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=rounds(pods), iterations=1)
    assert_replicaset_converged(result, "web", pods)
    benchmark.extra_info.update({"size": pods, "items": pods, "unit": "pods", "shape": "default-nodes"})


@pytest.mark.benchmark(group="replicaset-scale-down")
@pytest.mark.parametrize("pods", SIZES)
def test_replicaset_scale_down(benchmark: Any, pods: int) -> None:
    start = scaled_down(pods)
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=rounds(pods), iterations=1)
    left = pods_with(result, "rs", "web")
    assert not left, f"{len(left)} pods left after scaling to 0, but should be none"
    rs = result.get("ReplicaSet", "default", "web")
    assert rs is not None and rs["status"].get("replicas", 0) == 0, rs and rs["status"]
    benchmark.extra_info.update({"size": pods, "items": pods, "unit": "pods", "shape": "default-nodes"})


def one_more(state: rm.ClusterState) -> rm.ClusterState:
    return rm.converge(rm.step(state, Scale("ReplicaSet", "default", "app-0000", 101)))


@pytest.mark.benchmark(group="replicaset-one-event")
def test_replicaset_one_event_on_a_large_cluster(benchmark: Any) -> None:
    state = many(cluster_for(LARGE, "default-nodes"), LARGE, replicaset)
    result = benchmark.pedantic(one_more, args=(state,), rounds=1 if LARGE >= 30_000 else 5, iterations=1,
                                warmup_rounds=1)
    assert_replicaset_converged(result, "app-0000", 101)
    total = result.count("Pod", "default")
    assert total == max(LARGE // 100, 1) * 100 + 1, f"{total} pods, but should be one more than {LARGE}"
    benchmark.extra_info.update({"size": LARGE, "items": 1, "unit": "events", "shape": "default-nodes"})
