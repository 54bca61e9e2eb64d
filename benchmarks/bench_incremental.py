"""Incremental reconciliation: on a converged cluster, scale one Deployment by one replica and converge.

Cluster sizes: 10 Deployments x 100 replicas (1,000 pods) and 1,000 Deployments x 100 replicas
(100,000 pods). One event must cost O(what it changes): the two means should be within 3x.

    pytest benchmarks/bench_incremental.py --benchmark-only
"""

from __future__ import annotations

import os

import pytest

import refmodel as rm
from refmodel.events import Scale

from .conftest import assert_deployment_converged, cluster_for, deployment

SIZES = [n for n in (10, 1_000) if n * 100 <= int(os.environ.get("KUBEORACLE_BENCH_MAX", "100000"))]


def converged_cluster(deployments: int) -> rm.ClusterState:
    """Built per test and dropped after it: a 100,000-pod cluster kept alive would slow the benchmarks
    that run after it (about 200 MiB more to keep in cache)."""
    state = cluster_for(deployments * 100)
    for i in range(deployments):
        state = rm.apply_manifest(state, deployment(f"app-{i:04d}", 100))
    return rm.converge(state)


def scale_and_converge(state: rm.ClusterState) -> rm.ClusterState:
    return rm.converge(rm.step(state, Scale("Deployment", "default", "app-0000", 101)))


@pytest.mark.parametrize("deployments", SIZES)
def test_incremental_scale_one_deployment(benchmark: pytest.FixtureRequest, deployments: int) -> None:
    state = converged_cluster(deployments)
    result = benchmark.pedantic(scale_and_converge, args=(state,), rounds=20, iterations=1, warmup_rounds=2)  # type: ignore[attr-defined]
    assert_deployment_converged(result, "app-0000", 101)
    benchmark.extra_info["pods"] = deployments * 100  # type: ignore[attr-defined]
