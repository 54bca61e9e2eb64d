"""StatefulSet scale-up from 0: 100 and 1,000 replicas with one claim template, OrderedReady and Parallel.

OrderedReady creates one pod per sync and waits for it to be Running and Ready, so a faithful but naive
controller (upstream looks at every pod on every sync) costs O(n^2) for n pods; the model keeps the
prefix of healthy replicas it already judged (by object identity), so the cost grows linearly. Nodes are
the large shape of ``conftest.py`` (110 pods each), so every node holds about the same number of pods at
both sizes. Target: the 1,000 / 100 cost ratio (CPU time, the best of three) under 12 for both policies.
The binder rewrites every new claim once bound; the prefix's claims are not read again for that while the
owner index is unchanged (claims without owners, the Retain policies), so the binder costs O(1) per sync.

    pytest benchmarks/bench_statefulset.py --benchmark-only
"""

from __future__ import annotations

import time
from typing import Any

import pytest

import refmodel as rm
from refmodel.events import Scale

from .conftest import cluster_for

POLICIES = ("OrderedReady", "Parallel")


def statefulset(replicas: int, policy: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "replicas": replicas, "serviceName": "db", "podManagementPolicy": policy,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{
                "name": "db", "image": "postgres:16", "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
        },
    }


def scaled_from_zero(replicas: int, policy: str) -> rm.ClusterState:
    """A converged set of 0 replicas, then the scale to ``replicas`` (built outside the timed call)."""
    state = rm.converge(rm.apply_manifest(cluster_for(replicas), statefulset(0, policy)))
    return rm.step(state, Scale("StatefulSet", "default", "db", replicas))


def assert_converged(state: rm.ClusterState, replicas: int) -> None:
    sts = state.get("StatefulSet", "default", "db")
    assert sts is not None
    st = sts.get("status") or {}
    assert st.get("readyReplicas") == st.get("replicas") == replicas, (
        f"StatefulSet/db: status {dict(st)}, but should have {replicas} ready replicas")
    names = {p["metadata"]["name"] for p in state.iter_kind("Pod", "default")}
    assert names == {f"db-{i}" for i in range(replicas)}, f"{len(names)} pods, but should be db-0..db-{replicas - 1}"
    claims = {c["metadata"]["name"] for c in state.iter_kind("PersistentVolumeClaim", "default")}
    assert claims == {f"data-db-{i}" for i in range(replicas)}, f"{len(claims)} claims, but should be {replicas}"


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("replicas", [100, 1_000])
def test_statefulset_scale_from_zero(benchmark: pytest.FixtureRequest, replicas: int, policy: str) -> None:
    start = scaled_from_zero(replicas, policy)
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=3, iterations=1)  # type: ignore[attr-defined]
    assert_converged(result, replicas)
    benchmark.extra_info.update({"pods": replicas, "policy": policy})  # type: ignore[attr-defined]


def _cpu_ratio(small: rm.ClusterState, large: rm.ClusterState, rounds: int = 3) -> float:
    """The best CPU time of converging ``large`` over that of ``small``, the two timed by turns (the machine's
    speed drifts; runs side by side see the same drift)."""
    best = {id(small): float("inf"), id(large): float("inf")}
    for _ in range(rounds):
        for state in (small, large):
            t = time.process_time()
            rm.converge(state)
            best[id(state)] = min(best[id(state)], time.process_time() - t)
    return best[id(large)] / best[id(small)]


@pytest.mark.parametrize("policy", POLICIES)
def test_statefulset_cost_grows_linearly(policy: str) -> None:
    small, large = scaled_from_zero(100, policy), scaled_from_zero(1_000, policy)
    assert_converged(rm.converge(large), 1_000)
    ratio = _cpu_ratio(small, large)
    assert ratio < 12, f"{policy}: 1,000 replicas cost {ratio:.1f}x 100 replicas, but should be under 12x (linear)"
