"""Image rollout: one converged Deployment of 1,000 / 10,000 / 100,000 replicas changes its image, and the
rolling update (25% surge, 25% unavailable) is converged until every pod runs the new image.

The converged cluster and the changed Deployment are built outside the timed call; the timed call is
``rm.converge``. Both cluster shapes of ``conftest.py``. Targets: 100k on default nodes under 30 s,
t(100k)/t(10k) <= 11: each size records its ratio to the size ten times smaller of the same shape
(``extra_info["ratio_to_tenth"]``, fastest round against fastest round) when that size ran before it in the
session. The 100k sizes run unless ``KUBEORACLE_BENCH_MAX`` caps them (CI sets it).

    pytest benchmarks/bench_calibration.py benchmarks/bench_rollout.py --benchmark-only

Where the cost per pod grows (default nodes; instructions by callgrind over :func:`count`, work counters by
``rm.converge(..., counters=WorkCounters())``): instructions per pod are nearly flat, 879,000 at 10,000 pods
and 913,000 at 40,000 (+3.8%), so the wall-clock ratio (t(100k)/t(10k) 15.2 idle, 1.52 times the cost per
pod) is memory traffic, not work: a pod is read again by each pass over it (its creation, binding, kubelet
syncs and flushes, status writes and their index upkeep and watches, then its ranking, graceful deletion,
termination sync and removal), and at 10,000 pods most of the state still fits in the processor's last-level
cache while at 100,000 each pass reads the pods from memory (refmodel/state.py's header: about 195
last-level misses per pod in a 40,000-pod bulk converge). The instructions that do grow (+33,000 per pod
from 10k to 40k): about a third are comparisons (the scheduler's merge of new pending pods into its
kept order sorts the pods still waiting again, ``scheduler.merged`` 0.63 per pod at 10k, 3.06 at 40k; see
refmodel/controllers/scheduler.py), a sixth the persistent maps' deeper nodes (``map_node_array_*``: a
level more at larger sizes), the rest the interpreter in passes over the nodes once per scheduler turn
(node scores when removals changed node usage, the reasons of a turn that leaves pods unschedulable, the
kubelet's node lookups per run of syncs and its per-node status flushes: ``kubelet.reconciles`` per pod
3.10 at 10k, 3.28 at 40k, one ``status:<node>`` key per node a turn bound pods to) and the ReplicaSet's
node ranks per scale-down burst (``replicaset.node_entries`` 0.16 at 10k, 0.76 at 40k; 0.12 and 0.50 since
the bursts rank again only the nodes the state's log of per-node count moves names,
refmodel/controllers/replicaset.py). Those figures are from one run per size; instruction counts move by a
few percent with the string-hash seed, so code versions are compared under one ``PYTHONHASHSEED``: with
0, this session's ReplicaSet changes (the log, the kept merge heap, a clock-only rebuild keyed from the kept
order) take a 10,000-pod rollout from 877,000 to 865,000 instructions per pod (-1.4%).
"""

from __future__ import annotations

import pytest

import refmodel as rm

from .conftest import SHAPES, assert_deployment_converged, cluster_for, deployment, sizes

NEW_IMAGE = "nginx:1.28"
_FASTEST: dict[tuple[str, int], float] = {}  # (shape, replicas) -> fastest round, this session


def changed_image(replicas: int, shape: str) -> rm.ClusterState:
    """A converged Deployment of ``replicas`` pods whose template was just changed to ``NEW_IMAGE``."""
    state = rm.converge(rm.apply_manifest(cluster_for(replicas, shape), deployment("web", replicas)))
    assert_deployment_converged(state, "web", replicas)
    return rm.apply_manifest(state, deployment("web", replicas, image=NEW_IMAGE))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("replicas", sizes(1_000, 10_000, 100_000))
def test_image_rollout_one_deployment(benchmark: pytest.FixtureRequest, replicas: int, shape: str) -> None:
    start = changed_image(replicas, shape)
    rounds = 1 if replicas >= 100_000 else 3
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=rounds, iterations=1)  # type: ignore[attr-defined]
    assert_deployment_converged(result, "web", replicas, image=NEW_IMAGE)
    rs_count = result.count("ReplicaSet", "default")
    assert rs_count == 2, f"{rs_count} ReplicaSets after the rollout, but should be 2 (old at 0, new at {replicas})"
    benchmark.extra_info.update({"pods": replicas, "shape": shape})  # type: ignore[attr-defined]
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None when benchmarking is disabled (the round ran untimed)
        _FASTEST[(shape, replicas)] = stats.stats.min
        tenth = _FASTEST.get((shape, replicas // 10))
        if tenth:
            benchmark.extra_info["ratio_to_tenth"] = round(stats.stats.min / tenth, 2)  # type: ignore[attr-defined]


def count(replicas: int, shape: str = "default-nodes") -> rm.ClusterState:
    """One image rollout of ``replicas`` pods, framed for an instruction counter: the converged cluster and the
    changed Deployment are built first, then the rollout's ``converge`` runs between the system calls
    ``getpgid`` and ``getsid``. Under callgrind::

        valgrind --tool=callgrind --zero-before=getpgid --dump-before=getsid \\
            python -m benchmarks.bench_rollout 10000 default-nodes

    counts only the rollout (the first dump's ``summary``; add ``--cache-sim=yes`` for the misses); divide by
    ``replicas``. ``python`` must be the interpreter itself (valgrind does not follow pyenv's shim)."""
    import gc
    import os

    start = changed_image(replicas, shape)
    gc.collect()
    os.getpgid(0)
    result = rm.converge(start)
    os.getsid(0)
    assert_deployment_converged(result, "web", replicas, image=NEW_IMAGE)
    return result


if __name__ == "__main__":
    import sys

    count(int(sys.argv[1]), *sys.argv[2:3])
    print(f"rolled out {sys.argv[1]} pods")
