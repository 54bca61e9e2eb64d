"""The state's log of per-node pod-count moves (``ClusterState.node_counts``, refmodel/state.py NodeCountLog) and the
ReplicaSet deletion ranking that reads it (refmodel/controllers/replicaset.py ``_heap``).

No upstream test mirrors this: upstream's controllers get the pod events from their informers; the model's
log is how the ReplicaSet's scale-down learns which nodes' related-pod counts moved between two bursts without
a pass over every node. Checked here: every move of a controller's count of active pods on a node, on every
step of a scenario that binds, deletes gracefully, removes, force-deletes, orphans, completes and evicts
pods, is named by the log link(s) the step appended (seeded bugs: a log that drops the last pair of a
transaction, one that drops a transaction's lone move, one that names another controller); the log is no
part of the state's value; and a scale-down whose kept merge reads the log picks, burst by burst, what a
full ranking picks, its heap kept as it is or compacted (seeded bugs: the log ignored; a compaction that
does not restore the heap order, caught with no slack).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import refmodel as rm
from refmodel.controllers import replicaset as rsc
from refmodel.core import converge_steps
from refmodel.events import ClockAdvanced, ContainerExited, Delete, NodeFailed, PodKilled, Scale
from refmodel.frozen import FrozenDict
from refmodel.state import ClusterConfig, ClusterState, NodeCountLog


def _deployment(replicas: int, image: str = "nginx:1.27") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}}}


def _counts(state: ClusterState) -> dict[tuple[str, str], int]:
    return {(uid, node): n for uid, stats in state.pod_stats.items() for node, n in stats.nodes.items()}


def _kill_a_pod(s: ClusterState) -> ClusterState:
    return rm.step(s, PodKilled("default", next(s.iter_kind("Pod", "default"))["metadata"]["name"]))


def _orphan_the_scaled_replica_set(s: ClusterState) -> ClusterState:
    rs = next(r for r in s.iter_kind("ReplicaSet", "default") if r["spec"]["replicas"])
    return rm.step(s, Delete("ReplicaSet", "default", rs["metadata"]["name"], propagation="Orphan"))


def _run_once(s: ClusterState) -> ClusterState:
    """A pod controlled by an object of another kind (a ConfigMap), that runs once (restartPolicy Never)."""
    s = rm.apply_manifest(s, {"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "owner", "namespace": "default"}})
    owner = s.get("ConfigMap", "default", "owner")
    assert owner is not None
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"],
           "controller": True}
    return rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Pod",
                                 "metadata": {"name": "once", "namespace": "default", "ownerReferences": [ref]},
                                 "spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "app", "image": "busybox"}]}})


CHANGES: list[tuple[str, Callable[[ClusterState], ClusterState]]] = [
    ("create", lambda s: rm.apply_manifest(s, _deployment(9))),
    ("image change", lambda s: rm.apply_manifest(s, _deployment(9, "nginx:1.28"))),
    ("force delete", _kill_a_pod),
    ("scale down", lambda s: rm.step(s, Scale("Deployment", "default", "web", 4))),
    ("orphan", _orphan_the_scaled_replica_set),
    ("run once", _run_once),
    # its container exits: the status write that makes the pod terminal moves its count
    ("completed", lambda s: rm.step(s, ContainerExited("default", "once", "app", 0))),
    ("node failed", lambda s: rm.step(rm.step(s, NodeFailed("node-0")), ClockAdvanced(400))),
]


def _scenario() -> Iterator[tuple[str, ClusterState]]:
    """Every state of a scenario that moves per-node counts every way the model can, step by step."""
    state = rm.new_cluster(3, config=ClusterConfig(burst_replicas=3, strict=True))
    for what, change in CHANGES:
        state = change(state)
        yield what, state
        for event, after in converge_steps(state, max_steps=5_000):
            yield f"{what}, then {event}", after
            state = after


def _check_scenario() -> int:
    """The number of steps that moved a count; fails at the first move the log does not name."""
    before: ClusterState | None = None
    moving = 0
    for what, after in _scenario():
        if before is not None:
            was, now = _counts(before), _counts(after)
            moved = {k for k in was.keys() | now.keys() if was.get(k) != now.get(k)}
            named = after.node_counts.since(before.node_counts)
            assert named is not None, f"{what}: the log does not reach back to the state before the step"
            missed = moved - set(named)
            assert not missed, (
                f"{what}: the counts of {sorted(missed)} moved but the log does not name them "
                f"(it names {sorted(set(named))})")
            moving += bool(moved)
        before = after
    return moving


def test_the_log_names_every_per_node_count_move() -> None:
    moving = _check_scenario()
    assert moving >= 10, f"{moving} steps moved a per-node count, but the scenario should move many"


def _drops_the_last_pair(after: Callable[..., NodeCountLog]) -> Callable[..., NodeCountLog]:
    return lambda log, moves: after(log, moves[:-1]) if len(moves) > 1 else after(log, moves)


def _drops_lone_moves(after: Callable[..., NodeCountLog]) -> Callable[..., NodeCountLog]:
    return lambda log, moves: log if len(moves) == 1 else after(log, moves)


def _names_another_controller(after: Callable[..., NodeCountLog]) -> Callable[..., NodeCountLog]:
    return lambda log, moves: after(log, [(uid[::-1], node) for uid, node in moves])


BUGS = {"drops the last pair of a transaction": _drops_the_last_pair,
        "drops a transaction's lone move": _drops_lone_moves,
        "names another controller": _names_another_controller}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_the_check_catches_a_log_that_misses_moves(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    monkeypatch.setattr(NodeCountLog, "after", BUGS[bug](NodeCountLog.after))
    with pytest.raises(AssertionError, match="the log does not name them"):
        _check_scenario()


def test_the_log_is_no_part_of_the_state() -> None:
    s = rm.converge(rm.apply_manifest(rm.new_cluster(2), _deployment(4)))
    assert s.node_counts.since(NodeCountLog()) is None, "a foreign mark was found in the log"
    fresh = s.replace(node_counts=NodeCountLog())
    assert fresh == s and hash(fresh) == hash(s), "states differing only in their logs are not equal"
    assert "node_counts" not in repr(s), "the log shows in the state's repr"
    copy = pickle.loads(pickle.dumps(s))
    assert copy == s and copy.node_counts.since(s.node_counts) is None, "a copy kept the log's links"


@pytest.mark.parametrize("slack", [rsc._HEAP_SLACK, 0])
def test_rollout_bursts_from_the_log_pick_what_a_full_ranking_picks(monkeypatch: pytest.MonkeyPatch,
                                                                     slack: int) -> None:
    # a rollout on many small nodes with small bursts: most bursts rank again only the nodes the log names
    # (counted: the merge was kept), and each picks the pods a full ranking of every active pod picks; with
    # no slack, the kept heap is compacted (its replaced entries dropped) on most bursts
    monkeypatch.setattr(rsc, "_HEAP_SLACK", slack)
    kept = {"kept": 0, "bursts": 0}
    heap, take = rsc._heap, rsc._take

    def counted(state: ClusterState, rs: FrozenDict, r: Any) -> Any:
        kept["kept"] += r.heap is not None and r.mark is not None and state.node_counts.since(r.mark) is not None
        return heap(state, rs, r)

    def checked(state: ClusterState, rs: FrozenDict, diff: int) -> list[FrozenDict]:
        active = sorted(rsc.active_pods(state, rs["metadata"]["uid"]), key=lambda p: p["metadata"]["name"])
        want = [p["metadata"]["name"] for p in rsc.get_pods_to_delete(state, rs, active, diff)]
        got = take(state, rs, diff)
        kept["bursts"] += 1
        assert [p["metadata"]["name"] for p in got] == want, (
            f"burst {kept['bursts']} of {diff} deleted {[p['metadata']['name'] for p in got]}, but a full ranking "
            f"picks {want}")
        return got

    monkeypatch.setattr(rsc, "_heap", counted)
    monkeypatch.setattr(rsc, "_take", checked)
    s = rm.new_cluster(40, config=ClusterConfig(burst_replicas=8, strict=True))
    s = rm.converge(rm.apply_manifest(s, _deployment(200)))
    s = rm.converge(rm.apply_manifest(s, _deployment(200, "nginx:1.28")))
    s = rm.converge(rm.step(s, Scale("Deployment", "default", "web", 40)))
    images = {p["spec"]["containers"][0]["image"] for p in s.iter_kind("Pod", "default")}
    assert images == {"nginx:1.28"} and s.count("Pod", "default") == 40, f"{s.count('Pod', 'default')} pods {images}"
    assert kept["kept"] >= kept["bursts"] // 2 and kept["bursts"] >= 20, (
        f"{kept['kept']} of {kept['bursts']} bursts merged from the kept heap, but most of at least 20 should")


def test_the_burst_check_catches_a_merge_that_ignores_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    # seeded bug: the kept heap is reused with the ranks of the last burst (the log read as empty)
    since = NodeCountLog.since
    monkeypatch.setattr(NodeCountLog, "since", lambda log, mark: None if since(log, mark) is None else [])
    with pytest.raises(AssertionError, match="but a full ranking picks"):
        test_rollout_bursts_from_the_log_pick_what_a_full_ranking_picks(monkeypatch, rsc._HEAP_SLACK)
