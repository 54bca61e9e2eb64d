"""Bulk reconciliation: converge from empty one Deployment of 1,000 / 10,000 / 100,000 replicas.

Every pod is created by the ReplicaSet controller, scheduled, pulled, started and made Ready, and the
ReplicaSet and Deployment statuses are brought up to date. Compare the means across sizes: the
100k/10k ratio stays near 10 when nothing is quadratic.

    pytest benchmarks/bench_bulk.py --benchmark-only
    KUBEORACLE_BENCH_MAX=10000 pytest benchmarks ...   # skip the 100k size
"""

from __future__ import annotations

import os

import pytest

import refmodel as rm

from .conftest import assert_deployment_converged, cluster_for, deployment

SIZES = [n for n in (1_000, 10_000, 100_000) if n <= int(os.environ.get("KUBEORACLE_BENCH_MAX", "100000"))]


@pytest.mark.parametrize("replicas", SIZES)
def test_bulk_converge_one_deployment(benchmark: pytest.FixtureRequest, replicas: int) -> None:
    start = rm.apply_manifest(cluster_for(replicas), deployment("web", replicas))
    rounds = 1 if replicas >= 100_000 else 3
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=rounds, iterations=1)  # type: ignore[attr-defined]
    assert_deployment_converged(result, "web", replicas)
    benchmark.extra_info["pods"] = replicas  # type: ignore[attr-defined]
