"""Shared helpers for the benchmark suites: inputs are built outside the timed call.

Two cluster shapes (``SHAPES``): ``default-nodes`` is what ``rm.new_cluster`` gives (4 CPU / 16Gi, 110 pods
per node) with one node per 100 pods, so the scheduler spreads every turn's bindings over every node (the
realistic case); ``large-nodes`` is 64 CPU / 256Gi nodes at 110 pods each, where tied scores fill nodes one
after another. ``KUBEORACLE_BENCH_MAX`` caps the sizes (default 100,000); the 1,000,000-pod stretch runs
only with ``KUBEORACLE_BENCH_STRETCH=1`` (marked ``slow``; CI runs neither).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import refmodel as rm

PODS_PER_NODE = 110
SHAPES = ("default-nodes", "large-nodes")
BENCH_MAX = int(os.environ.get("KUBEORACLE_BENCH_MAX", "100000"))
STRETCH = os.environ.get("KUBEORACLE_BENCH_STRETCH") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a stretch benchmark, run only with KUBEORACLE_BENCH_STRETCH=1")


def sizes(*candidates: int) -> list[int]:
    return [n for n in candidates if n <= BENCH_MAX]


def deployment(name: str, replicas: int, namespace: str = "default", image: str = "nginx:1.27") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "app", "image": image,
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                }]},
            },
        },
    }


def cluster_for(pods: int, shape: str = "large-nodes") -> rm.ClusterState:
    """A cluster for ``pods`` pods: default-size nodes, one per 100 pods (plus one), or large nodes at
    110 pods per node (plus one spare)."""
    if shape == "default-nodes":
        return rm.new_cluster(nodes=pods // 100 + 1)
    if shape == "large-nodes":
        return rm.new_cluster(nodes=pods // PODS_PER_NODE + 1, cpu="64", memory="256Gi", pods_per_node=PODS_PER_NODE)
    raise ValueError(f"shape {shape!r}, but should be one of {SHAPES}")


def assert_deployment_converged(state: rm.ClusterState, name: str, replicas: int, namespace: str = "default",
                                image: str | None = None) -> None:
    d = state.get("Deployment", namespace, name)
    assert d is not None, f"Deployment/{name}: missing, but should exist"
    st = d.get("status") or {}
    for field in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
        got = st.get(field, 0)
        assert got == replicas, f"Deployment/{name}: status.{field}={got}, but should be {replicas}"
    assert st.get("observedGeneration") == d["metadata"]["generation"], (
        f"Deployment/{name}: status.observedGeneration={st.get('observedGeneration')}, "
        f"but should be {d['metadata']['generation']}")
    running = 0
    total = 0
    for pod in state.iter_kind("Pod", namespace):
        if pod["metadata"]["labels"].get("app") == name:
            total += 1
            assert pod["spec"].get("nodeName"), f"Pod/{pod['metadata']['name']}: not scheduled, but should be"
            if image is not None:
                got_image = pod["spec"]["containers"][0]["image"]
                assert got_image == image, f"Pod/{pod['metadata']['name']}: image {got_image}, but should be {image}"
            if pod["status"].get("phase") == "Running":
                running += 1
    assert total == replicas, f"Deployment/{name}: {total} pods, but should be {replicas} (old pods left over?)"
    assert running == replicas, f"Deployment/{name}: {running} Running pods, but should be {replicas}"
