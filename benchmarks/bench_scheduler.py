"""Scheduler placement: N pending pods (created by the ReplicaSet controller alone, outside the timed
call) are bound by the scheduler alone (``rm.converge(state, ("scheduler",))``), on both cluster shapes
of ``conftest.py``, at the sizes of ``workloads.SIZES``; and the cost of placing one new pod on a
cluster of ``LARGE`` bound pods.

**Mirrors:** kube-scheduler's scheduling cycle (``pkg/scheduler/schedule_one.go``: ``schedulePod``,
filter then score then bind). The anchor for this figure is the 100 pods/s scheduler target.

    pytest benchmarks/bench_calibration.py benchmarks/bench_scheduler.py --benchmark-only
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import refmodel as rm
from refmodel.events import Scale

from .conftest import PODS_PER_NODE, SHAPES, cluster_for, sizes
from .workloads import LARGE, SIZES, many, pods_with, replicaset, rounds

SCHEDULER = ("scheduler",)


def pending(pods: int, shape: str) -> rm.ClusterState:
    """A ReplicaSet of ``pods`` replicas whose pods exist, none of them bound yet."""
    state = rm.apply_manifest(cluster_for(pods, shape), replicaset("web", pods))
    state = rm.converge(state, ("replicaset",))
    unbound = [p for p in pods_with(state, "rs", "web") if not p["spec"].get("nodeName")]
    assert len(unbound) == pods, f"{len(unbound)} pending pods, but should be {pods}"
    return state


def assert_placed(state: rm.ClusterState, label: str, value: str, pods: int) -> None:
    placed = pods_with(state, label, value)
    unbound = [p["metadata"]["name"] for p in placed if not p["spec"].get("nodeName")]
    assert not unbound, f"{len(unbound)} pods not bound (e.g. {unbound[:3]}), but every one should be"
    assert len(placed) == pods, f"{len(placed)} pods, but should be {pods}"
    per_node = Counter(p["spec"]["nodeName"] for p in state.iter_kind("Pod", "default"))
    node, most = per_node.most_common(1)[0]
    assert most <= PODS_PER_NODE, f"Node/{node}: {most} pods bound, but its capacity is {PODS_PER_NODE}"


@pytest.mark.benchmark(group="scheduler-placement")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("pods", SIZES)
def test_scheduler_places_pending_pods(benchmark: Any, pods: int, shape: str) -> None:
    start = pending(pods, shape)
    result = benchmark.pedantic(rm.converge, args=(start, SCHEDULER), rounds=rounds(pods), iterations=1)
    assert_placed(result, "rs", "web", pods)
    benchmark.extra_info.update({"size": pods, "items": pods, "unit": "pods", "shape": shape})


@pytest.mark.benchmark(group="scheduler-one-event")
@pytest.mark.parametrize("shape", SHAPES)
def test_scheduler_one_event_on_a_large_cluster(benchmark: Any, shape: str) -> None:
    state = many(cluster_for(LARGE + PODS_PER_NODE, shape), LARGE, replicaset)
    state = rm.converge(rm.step(state, Scale("ReplicaSet", "default", "app-0000", 101)), ("replicaset",))
    result = benchmark.pedantic(rm.converge, args=(state, SCHEDULER), rounds=1 if LARGE >= 30_000 else 5,
                                iterations=1, warmup_rounds=1)
    assert_placed(result, "rs", "app-0000", 101)
    benchmark.extra_info.update({"size": LARGE, "items": 1, "unit": "events", "shape": shape})


@pytest.mark.benchmark(group="scheduler-unschedulable-turn")
@pytest.mark.parametrize("pods", sizes(1_000, 10_000, 100_000))
def test_scheduler_turn_with_pods_left_unschedulable(benchmark: Any, pods: int) -> None:
    """One scheduling turn while ``pods`` pods wait on two full nodes, each already marked unschedulable:
    the turn a rollout's surge pods see on every event. They are not attempted again (the kept queue,
    issue 9); what is left is a C-level pass over the pending pods (about 1 us per pod)."""
    from refmodel.controllers import scheduler

    state = rm.converge(rm.apply_manifest(rm.new_cluster(nodes=2, pods_per_node=PODS_PER_NODE),
                                          replicaset("web", pods + 2 * PODS_PER_NODE)))
    waiting = len(state.pods_by_node.get(""))
    assert waiting == pods, f"{waiting} pods waiting, but should be {pods}"
    result = benchmark.pedantic(scheduler.sync, args=(state, "queue"), rounds=rounds(pods), iterations=1,
                                warmup_rounds=1)
    assert result is state, "a turn that can place nothing and whose pods carry their message wrote something"
    benchmark.extra_info.update({"size": pods, "items": pods, "unit": "pods", "shape": "two-full-nodes"})
