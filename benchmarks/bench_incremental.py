"""Incremental reconciliation: on a converged cluster, scale one Deployment by one replica and converge.

Cluster sizes: 10 Deployments x 100 replicas (1,000 pods) and 1,000 Deployments x 100 replicas
(100,000 pods), on both cluster shapes of ``conftest.py``. One event must cost O(what it changes): the
two means should be within 3x, and the 100k one under 5 ms.

    pytest benchmarks/bench_incremental.py --benchmark-only
"""

from __future__ import annotations

import pytest

import refmodel as rm
from refmodel.events import Scale

from .conftest import BENCH_MAX, SHAPES, assert_deployment_converged, cluster_for, deployment

SIZES = [n for n in (10, 1_000) if n * 100 <= BENCH_MAX]


def converged_cluster(deployments: int, shape: str) -> rm.ClusterState:
    """Built per test and dropped after it: a 100,000-pod cluster kept alive would slow the benchmarks
    that run after it (about 200 MiB more to keep in cache)."""
    state = cluster_for(deployments * 100, shape)
    for i in range(deployments):
        state = rm.apply_manifest(state, deployment(f"app-{i:04d}", 100))
    return rm.converge(state)


def scale_and_converge(state: rm.ClusterState) -> rm.ClusterState:
    return rm.converge(rm.step(state, Scale("Deployment", "default", "app-0000", 101)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("deployments", SIZES)
def test_incremental_scale_one_deployment(benchmark: pytest.FixtureRequest, deployments: int, shape: str) -> None:
    state = converged_cluster(deployments, shape)
    result = benchmark.pedantic(scale_and_converge, args=(state,), rounds=20, iterations=1, warmup_rounds=2)  # type: ignore[attr-defined]
    assert_deployment_converged(result, "app-0000", 101)
    benchmark.extra_info.update({"pods": deployments * 100, "shape": shape})  # type: ignore[attr-defined]
