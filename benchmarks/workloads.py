"""Workloads shared by the controller benchmarks (bench_replicaset, bench_scheduler, bench_gc, bench_nodes).

Every benchmark builds its input outside the timed call, times one ``rm.converge`` (or a converge of
one controller), asserts the result, and records in ``extra_info`` the cluster's size in pods
(``size``: the x axis of the report's plots), the work its timed call did (``items``, in ``unit``) and
the cluster shape. Sizes are ``SIZES`` (capped by ``KUBEORACLE_BENCH_MAX``, see ``conftest.py``); the
one-event benchmarks run on a cluster of ``LARGE`` pods made of 100-pod workloads.
``KUBEORACLE_BENCH_QUICK=1`` (set by ``kubeoracle bench --quick``) runs every benchmark for one round.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import refmodel as rm

from .conftest import sizes

QUICK = os.environ.get("KUBEORACLE_BENCH_QUICK") == "1"
SIZES = sizes(100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)
LARGE = max(SIZES, default=100)
PER_WORKLOAD = 100


def rounds(pods: int) -> int:
    """Three rounds, one for the largest sizes (a round there takes seconds) and in quick runs."""
    return 1 if QUICK or pods >= 30_000 else 3


def replicaset(name: str, replicas: int, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"rs": name}},
            "template": {
                "metadata": {"labels": {"rs": name}},
                "spec": {"containers": [{
                    "name": "app", "image": "nginx:1.27",
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                }]},
            },
        },
    }


def many(state: rm.ClusterState, pods: int, make: Callable[[str, int], dict[str, Any]]) -> rm.ClusterState:
    """``pods / 100`` workloads of 100 pods (``app-0000``, ...), applied and converged."""
    for i in range(max(pods // PER_WORKLOAD, 1)):
        state = rm.apply_manifest(state, make(f"app-{i:04d}", PER_WORKLOAD))
    return rm.converge(state)


def pods_with(state: rm.ClusterState, key: str, value: str, namespace: str = "default") -> list[Any]:
    return [p for p in state.iter_kind("Pod", namespace) if (p["metadata"].get("labels") or {}).get(key) == value]


def assert_replicaset_converged(state: rm.ClusterState, name: str, replicas: int) -> None:
    rs = state.get("ReplicaSet", "default", name)
    assert rs is not None, f"ReplicaSet/{name}: missing, but should exist"
    st = rs.get("status") or {}
    for field in ("replicas", "readyReplicas", "availableReplicas"):
        got = st.get(field, 0)
        assert got == replicas, f"ReplicaSet/{name}: status.{field}={got}, but should be {replicas}"
    pods = pods_with(state, "rs", name)
    running = [p for p in pods if p["status"].get("phase") == "Running" and p["spec"].get("nodeName")]
    assert len(pods) == replicas, f"ReplicaSet/{name}: {len(pods)} pods, but should be {replicas}"
    assert len(running) == replicas, f"ReplicaSet/{name}: {len(running)} running pods, but should be {replicas}"
