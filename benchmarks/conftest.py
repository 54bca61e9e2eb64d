"""Shared helpers for the benchmark suites: inputs are built outside the timed call."""

from __future__ import annotations

from typing import Any

import refmodel as rm

PODS_PER_NODE = 110


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


def cluster_for(pods: int) -> rm.ClusterState:
    """Enough nodes for ``pods`` pods at 110 pods per node (plus one spare)."""
    nodes = pods // PODS_PER_NODE + 1
    return rm.new_cluster(nodes=nodes, cpu="64", memory="256Gi", pods_per_node=PODS_PER_NODE)


def assert_deployment_converged(state: rm.ClusterState, name: str, replicas: int, namespace: str = "default") -> None:
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
    for pod in state.iter_kind("Pod", namespace):
        if pod["metadata"]["labels"].get("app") == name:
            assert pod["spec"].get("nodeName"), f"Pod/{pod['metadata']['name']}: not scheduled, but should be"
            if pod["status"].get("phase") == "Running":
                running += 1
    assert running == replicas, f"Deployment/{name}: {running} Running pods, but should be {replicas}"
