"""Work counters (refmodel/counters.py) and the scaling bounds they check (issue 9).

The work one change causes must grow with the change, not with the cluster: converging n pods costs a
bounded number of kubelet pod visits, ReplicaSet ranking comparisons (pods ranked), scheduling attempts
(pods the scheduler placed or marked one by one; a pod left unschedulable with its message is not attempted
again on every turn) and scheduling-queue entries built (pending pods the scheduler took in to keep its queue:
those written since its last turn, not every pending pod on every turn) *per pod*, whatever n. The bounds are checked on counts (deterministic), not on time
(the machine is shared): per-pod counts at two sizes ten times apart, on default-size nodes (one per 100 pods), must stay within 20% of each
other, for a bulk converge from empty and for an image rollout of the same Deployment. The suite runs
CI-sized clusters (bulk 1,000 and 10,000 pods, rollout 500 and 5,000); the issue's sizes (bulk 10,000 and
100,000, rollout 1,000 and 10,000, several minutes on a shared machine) run with
``KUBEORACLE_COUNTER_SIZES=10000,100000,1000,10000`` (``bulk_small,bulk_large,rollout_small,rollout_large``).
The rollout's DELETE requests are counted at the API server's door on a plain ``converge`` (which batches a run's
kubelet removals): two deletions per old pod, and a request per ReplicaSet burst or run of kubelet syncs.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import refmodel as rm
from refmodel import apiserver
from refmodel.core import converge_steps
from refmodel.counters import WorkCounters, active, counting
from refmodel.events import Reconcile
from refmodel.request import Request

_SIZES = [int(x) for x in os.environ.get("KUBEORACLE_COUNTER_SIZES", "1000,10000,500,5000").split(",")]
SIZES = {"bulk": (_SIZES[0], _SIZES[1]), "rollout": (_SIZES[2], _SIZES[3])}
TOLERANCE = 0.20
PER_POD = (("kubelet", "pod_visits"), ("replicaset", "ranked"), ("scheduler", "attempts"), ("scheduler", "entries"))


def _deployment(replicas: int, image: str = "nginx:1.27") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


def _per_pod(counters: WorkCounters, pods: int) -> dict[str, float]:
    return {f"{c}.{w}": counters.get(c, w) / pods for c, w in PER_POD}


def _measure(scenario: str, pods: int) -> dict[str, float]:
    """Per-pod counts of a bulk converge from empty, or of the image rollout after it, on default nodes."""
    state = rm.apply_manifest(rm.new_cluster(nodes=pods // 100 + 1), _deployment(pods))
    counters = WorkCounters()
    state = rm.converge(state, counters=counters if scenario == "bulk" else None)
    assert state.count("Pod", "default") == pods, f"{state.count('Pod', 'default')} pods, but should be {pods}"
    if scenario == "bulk":
        return _per_pod(counters, pods)
    state = rm.converge(rm.apply_manifest(state, _deployment(pods, "nginx:1.28")), counters=counters)
    images = {p["spec"]["containers"][0]["image"] for p in state.iter_kind("Pod", "default")}
    assert state.count("Pod", "default") == pods and images == {"nginx:1.28"}, (
        f"{state.count('Pod', 'default')} pods with images {images} after the rollout, "
        f"but should be {pods} with nginx:1.28")
    return _per_pod(counters, pods)


@pytest.fixture(scope="module")
def measured() -> dict[tuple[str, int], dict[str, float]]:
    return {(scenario, n): _measure(scenario, n) for scenario, sizes in SIZES.items() for n in sizes}


CASES = [(f"{c}.{w}", scenario) for c, w in PER_POD for scenario in ("bulk", "rollout")]


@pytest.mark.parametrize(("counter", "scenario"), CASES)
def test_work_per_pod_does_not_grow_with_the_cluster(
        measured: dict[tuple[str, int], dict[str, float]], counter: str, scenario: str) -> None:
    n_small, n_large = SIZES[scenario]
    small, large = measured[(scenario, n_small)][counter], measured[(scenario, n_large)][counter]
    assert abs(large - small) <= TOLERANCE * max(small, large), (
        f"{scenario}: {counter} per pod {large:.2f} at {n_large:,} pods against {small:.2f} at {n_small:,}, "
        f"but should stay within {TOLERANCE:.0%} (the cost of a pod must not grow with the cluster)")


def _rollout_requests(pods: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """Per pod: DELETE requests and the objects they deleted, in an image rollout by ``converge`` (whose runs of
    kubelet syncs send their final removals together), counted at the API server's door."""
    state = rm.converge(rm.apply_manifest(rm.new_cluster(nodes=pods // 100 + 1), _deployment(pods)))
    state = rm.apply_manifest(state, _deployment(pods, "nginx:1.28"))
    seen = {"requests": 0, "items": 0}
    handle = apiserver.handle

    def counted(s: rm.ClusterState, request: Request) -> Any:
        if request.verb == "delete":
            seen["requests"] += 1
            seen["items"] += len(request.items) or 1
        return handle(s, request)

    monkeypatch.setattr(apiserver, "handle", counted)
    state = rm.converge(state)
    monkeypatch.undo()
    assert state.count("Pod", "default") == pods, f"{state.count('Pod', 'default')} pods after the rollout, but should be {pods}"
    return {k: v / pods for k, v in seen.items()}


def test_rollout_deletes_are_batched_and_their_number_does_not_grow_with_the_cluster(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # each old pod is deleted twice: by its ReplicaSet (graceful: it gets a deletionTimestamp) and by its
    # kubelet (the final removal); a ReplicaSet burst and a run of kubelet syncs each send theirs as one request
    n_small, n_large = SIZES["rollout"]
    small, large = _rollout_requests(n_small, monkeypatch), _rollout_requests(n_large, monkeypatch)
    for n, got in ((n_small, small), (n_large, large)):
        assert 1.9 <= got["items"] <= 2.1, f"{got['items']:.2f} deletions per pod at {n:,} pods, but should be 2"
        assert got["requests"] <= 0.02, (
            f"{got['requests']:.3f} DELETE requests per pod at {n:,} pods, but should be at most 0.02 (the "
            "deletions of a ReplicaSet burst or of a run of kubelet syncs go as one request)")
    assert abs(large["items"] - small["items"]) <= TOLERANCE * small["items"], (
        f"{large['items']:.2f} deletions per pod at {n_large:,} pods against {small['items']:.2f} at {n_small:,}, "
        f"but should stay within {TOLERANCE:.0%}")


def _rollout_start() -> rm.ClusterState:
    s = rm.converge(rm.apply_manifest(rm.new_cluster(nodes=3), _deployment(12)))
    return rm.apply_manifest(s, _deployment(12, "nginx:1.28"))


def test_counted_converge_returns_the_same_state() -> None:
    start = _rollout_start()
    counters = WorkCounters()
    assert rm.converge(start, counters=counters) == rm.converge(start), "counting changed the converged state"
    assert counters.get("replicaset", "ranked") > 0, f"{counters}: the rollout ranked no pod for deletion"


def test_reconciles_are_counted_per_controller() -> None:
    start = _rollout_start()
    counters = WorkCounters()
    rm.converge(start, counters=counters)
    want: dict[str, int] = {}
    for event, _ in converge_steps(start):
        if isinstance(event, Reconcile):
            want[event.controller] = want.get(event.controller, 0) + 1
    got = {c: n for (c, w), n in counters.counts.items() if w == "reconciles"}
    assert got == want, f"reconciles counted {got}, but converge_steps ran {want}"
    assert counters.get("kubelet", "pod_visits") >= 12, f"{counters}: fewer kubelet visits than pods"


def test_nothing_is_counted_outside_a_counted_converge() -> None:
    assert active() is None, "counters active outside a counted converge"
    counters = WorkCounters()
    with counting(counters):
        assert active() is counters
    assert active() is None, "counting left its counters active"
    rm.converge(_rollout_start())
    assert counters.counts == {}, f"an uncounted converge counted {counters}"



def _scale_down_node_entries(pods: int) -> tuple[int, int]:
    """The nodes the ReplicaSet's deletion ranking ranked (``replicaset.node_entries``) and the pods removed
    while a Deployment of ``pods`` replicas, ten per node, is scaled down to a tenth in bursts of 16."""
    config = rm.ClusterConfig(burst_replicas=16, strict=False)
    state = rm.converge(rm.apply_manifest(rm.new_cluster(nodes=pods // 10, config=config), _deployment(pods)))
    counters = WorkCounters()
    state = rm.converge(rm.apply_manifest(state, _deployment(pods // 10)), counters=counters)
    assert state.count("Pod", "default") == pods // 10, (
        f"{state.count('Pod', 'default')} pods after the scale-down, but should be {pods // 10}")
    assert counters.get("replicaset", "ranked") <= pods, (
        f"{counters.get('replicaset', 'ranked')} pods keyed, but should be at most {pods} (the order is kept "
        "between bursts; a rebuild on every burst would rank every node anyway)")
    return counters.get("replicaset", "node_entries"), pods - pods // 10


def test_scale_down_ranks_the_nodes_that_moved_not_every_node() -> None:
    # after its first burst (every node, once), each burst of a scale-down ranks again only the nodes whose
    # related-pod counts moved since the last one (the state's NodeCountLog: at most one per pod the last
    # burst deleted), not every node that holds one of the ReplicaSet's pods (bursts x nodes: 24.9 nodes per
    # pod removed at 4,000 pods, 2.4 at 400, before the log). Fewer than one per pod when a burst deletes
    # two pods of one node (0.6 at 400 pods on 40 nodes, 1.0 at 4,000 on 400).
    for pods in (SIZES["rollout"][0] * 4 // 5, SIZES["rollout"][1] * 4 // 5):
        entries, removed = _scale_down_node_entries(pods)
        assert entries <= removed + pods // 10, (
            f"{entries:,} nodes ranked in a scale-down that removed {removed:,} pods from {pods // 10:,} nodes, "
            f"but should be at most {removed + pods // 10:,} (every node once, then one per pod removed)")
