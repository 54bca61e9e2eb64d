"""Node failure and eviction: on a converged cluster of N pods (large nodes, 110 pods each, a fifth of
the capacity spare), a tenth of the nodes that hold pods stop; the cluster converges through the node
lifecycle controller's 40 s grace (NotReady, the unreachable taints) and 300 s tolerations (every pod of
a failed node marked for deletion) to replacements Running on the healthy nodes. At the sizes of
``workloads.SIZES``; and the cost of one node failure on a cluster of ``LARGE`` pods.

**Mirrors:** ``pkg/controller/nodelifecycle/node_lifecycle_controller.go`` (``monitorNodeHealth``) and
the taint manager's eviction (``pkg/controller/tainteviction/taint_eviction.go``); the ReplicaSet
controller replaces the evicted pods.

    pytest benchmarks/bench_calibration.py benchmarks/bench_nodes.py --benchmark-only
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import refmodel as rm
from refmodel.events import NodeFailed

from .conftest import PODS_PER_NODE, deployment
from .workloads import LARGE, SIZES, many, rounds


def cluster(pods: int) -> rm.ClusterState:
    nodes = pods * 5 // (PODS_PER_NODE * 4) + 2  # a fifth spare, and room for one failed node's pods
    return rm.new_cluster(nodes=nodes, cpu="64", memory="256Gi", pods_per_node=PODS_PER_NODE)


def failed(state: rm.ClusterState, count: int) -> tuple[rm.ClusterState, list[str], int]:
    """``count`` of the nodes holding the most pods stop; the pods on them."""
    per_node = Counter(p["spec"].get("nodeName") for p in state.iter_kind("Pod", "default"))
    names = [n for n, _ in per_node.most_common(count)]
    for n in names:
        state = rm.step(state, NodeFailed(n))
    return state, names, sum(per_node[n] for n in names)


def assert_evicted_and_replaced(state: rm.ClusterState, nodes: list[str]) -> None:
    failed_nodes = set(nodes)
    live = [p["metadata"]["name"] for p in state.iter_kind("Pod", "default")
            if p["spec"].get("nodeName") in failed_nodes and not p["metadata"].get("deletionTimestamp")]
    assert not live, f"{len(live)} pods on failed nodes not evicted (e.g. {live[:3]}), but all should be"
    for n in nodes:
        node = state.get("Node", "", n)
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"] if node else []
        assert ready and ready[0]["status"] != "True", f"Node/{n}: Ready={ready}, but a failed node is not Ready"


@pytest.mark.benchmark(group="node-failure")
@pytest.mark.parametrize("pods", SIZES)
def test_node_failure_evicts_and_replaces(benchmark: Any, pods: int) -> None:
    state = rm.converge(rm.apply_manifest(cluster(pods), deployment("web", pods)))
    holding = len({p["spec"]["nodeName"] for p in state.iter_kind("Pod", "default")})
    start, nodes, evicted = failed(state, max(holding // 10, 1))
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=rounds(pods), iterations=1)
    assert_evicted_and_replaced(result, nodes)
    live = sum(1 for p in result.iter_kind("Pod", "default") if not p["metadata"].get("deletionTimestamp"))
    assert live == pods, f"{live} live pods after the eviction, but should be {pods}"
    d = result.get("Deployment", "default", "web")
    assert d is not None and d["status"].get("availableReplicas") == pods, d and d["status"]
    benchmark.extra_info.update({"size": pods, "items": evicted, "unit": "pods", "failed_nodes": len(nodes)})


@pytest.mark.benchmark(group="node-failure-one-event")
def test_node_failure_one_event_on_a_large_cluster(benchmark: Any) -> None:
    state = many(cluster(LARGE), LARGE, deployment)
    start, nodes, evicted = failed(state, 1)
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=1 if LARGE >= 30_000 else 5, iterations=1,
                                warmup_rounds=1)
    assert_evicted_and_replaced(result, nodes)
    assert_deployment_converged_all(result, max(LARGE // 100, 1))
    benchmark.extra_info.update({"size": LARGE, "items": 1, "unit": "events", "evicted": evicted})


def assert_deployment_converged_all(state: rm.ClusterState, workloads: int) -> None:
    for i in range(workloads):
        d = state.get("Deployment", "default", f"app-{i:04d}")
        assert d is not None and d["status"].get("availableReplicas") == 100, \
            f"Deployment/app-{i:04d}: {d and d['status']}, but should have 100 available replicas"
