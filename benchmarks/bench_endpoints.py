"""Endpoint churn: one pod's readiness flips behind a Service with 50 or 5,000 pods, and the cluster converges.

Each event is a ``ReadinessChanged`` of one pod (alternately not ready and ready again) followed by
``converge``: the kubelet writes the pod's Ready condition, the Endpoints and EndpointSlice controllers
move its address. Nodes hold 50 pods each in both sizes, so the kubelet's share is the same; what may
grow with the Service is the controllers' work, which is incremental (one pod's entry, one slice), so the
5,000-pod event must cost less than 3x the 50-pod one (issue 10).

    pytest benchmarks/bench_endpoints.py --benchmark-only
"""

from __future__ import annotations

import time
from typing import Any

import pytest

import refmodel as rm
from refmodel.events import ReadinessChanged

from .conftest import deployment, sizes

PODS_PER_NODE = 50
SIZES = sizes(50, 5_000)


def service_cluster(pods: int) -> tuple[rm.ClusterState, str]:
    """A converged cluster with a Deployment of ``pods`` pods behind Service ``web``; one of its pods."""
    state = rm.new_cluster(nodes=max(1, pods // PODS_PER_NODE), pods_per_node=PODS_PER_NODE + 10)
    state = rm.apply_manifest(state, deployment("web", pods))
    state = rm.apply_manifest(state, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                                      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    state = rm.converge(state)
    victim = sorted(p["metadata"]["name"] for p in rm.list_objects(state, "Pod", "default"))[pods // 2]
    return state, victim


def flip(state: rm.ClusterState, pod: str, ready: bool) -> rm.ClusterState:
    return rm.converge(rm.step(state, ReadinessChanged("default", pod, ready)))


def _ready_addresses(state: rm.ClusterState) -> int:
    ep = rm.get(state, "Endpoints", "web")
    assert ep is not None
    return sum(len(s.get("addresses") or ()) for s in ep.get("subsets") or ())


def _check(state: rm.ClusterState, pods: int, pod: str) -> None:
    """The flipped pod is a not-ready address and a not-ready slice endpoint; the others are ready (the
    Endpoints object holds at most 1,000 of them, EP-7)."""
    ep = rm.get(state, "Endpoints", "web")
    assert ep is not None
    not_ready = [a["targetRef"]["name"] for s in ep.get("subsets") or () for a in s.get("notReadyAddresses") or ()]
    assert _ready_addresses(state) == min(pods - 1, 1000)
    if pods <= 1000:
        assert not_ready == [pod], f"notReadyAddresses={not_ready}, but should be [{pod}]"
    slices = [s for s in rm.list_objects(state, "EndpointSlice", "default")
              if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == "web"]  # not the API's
    conds = {e["targetRef"]["name"]: e["conditions"]["ready"] for s in slices for e in s.get("endpoints") or ()}
    assert len(conds) == pods and conds[pod] is False and sum(conds.values()) == pods - 1


@pytest.mark.parametrize("pods", SIZES)
def test_endpoint_churn(benchmark: Any, pods: int) -> None:
    state, pod = service_cluster(pods)
    down = flip(state, pod, False)
    _check(down, pods, pod)
    # each round flips the pod down (from ready) and back up: two events, both checked once above/below
    result = benchmark.pedantic(lambda: flip(flip(state, pod, False), pod, True), rounds=20, iterations=1,
                                warmup_rounds=2)
    assert _ready_addresses(result) == min(pods, 1000)
    benchmark.extra_info.update({"pods": pods, "events_per_round": 2})


def _cpu_per_event(state: rm.ClusterState, pod: str, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.process_time()
        flip(flip(state, pod, False), pod, True)
        samples.append((time.process_time() - t0) / 2)
    samples.sort()
    return samples[len(samples) // 2]


@pytest.mark.skipif(5_000 not in SIZES, reason="KUBEORACLE_BENCH_MAX is below 5,000")
def test_endpoint_churn_cost_ratio() -> None:
    """The 5,000-pod flip costs less than 3x the 50-pod flip (median CPU time per event)."""
    small, small_pod = service_cluster(50)
    large, large_pod = service_cluster(5_000)
    _cpu_per_event(small, small_pod, 5)  # warm the caches
    ratio = _cpu_per_event(large, large_pod, 30) / _cpu_per_event(small, small_pod, 30)
    assert ratio < 3, f"a readiness flip behind 5,000 pods costs {ratio:.2f}x the one behind 50, but should be < 3x"
