"""The value representation (refmodel/frozen.py) and the cluster state (refmodel/state.py).

No upstream test is mirrored here: FrozenDict is the model's own representation. The state's
incremental indexes stand in for informer indexers (``client-go/tools/cache``) and are checked against
a recomputation from scratch, and the work queue against ``client-go/util/workqueue`` semantics
(a key is queued at most once; AddAfter).
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import door
import pytest

import refmodel as rm
from refmodel.events import Delete, NodeFailed, NodeRecovered, Scale
from refmodel.frozen import EMPTY, FrozenDict, freeze, get_in, set_in, thaw, with_
from refmodel.podutil import pod_requests_vector
from refmodel.state import ClusterState, format_time, index_errors, parse_time


# ---------------------------------------------------------------------------------------------
# frozen values
# ---------------------------------------------------------------------------------------------
def test_freeze_thaw_round_trip() -> None:
    raw = {"a": [1, {"b": [2, 3]}], "c": {"d": None, "e": "x"}}
    frozen = freeze(raw)
    assert isinstance(frozen, FrozenDict)
    assert isinstance(frozen["a"], tuple) and isinstance(frozen["a"][1], FrozenDict)
    back = thaw(frozen)
    assert back == raw, f"thaw(freeze(x))={back}, but should be {raw}"
    assert isinstance(back["a"], list) and isinstance(back["a"][1], dict) and not isinstance(back["a"][1], FrozenDict)


def test_freeze_is_idempotent_and_shares() -> None:
    frozen = freeze({"a": {"b": 1}})
    assert freeze(frozen) is frozen
    assert copy.copy(frozen) is frozen and copy.deepcopy(frozen) is frozen


@pytest.mark.parametrize("mutate", [
    lambda d: d.__setitem__("a", 2),
    lambda d: d.__delitem__("a"),
    lambda d: d.clear(),
    lambda d: d.pop("a"),
    lambda d: d.popitem(),
    lambda d: d.setdefault("z", 1),
    lambda d: d.update({"a": 3}),
])
def test_frozen_dict_refuses_mutation(mutate: Any) -> None:
    d = freeze({"a": 1})
    with pytest.raises(TypeError):
        mutate(d)
    assert d == {"a": 1}, f"FrozenDict changed to {d} after a refused mutation"


def test_frozen_dict_hash_follows_content_and_pickles() -> None:
    a, b = freeze({"x": 1, "y": (1, 2)}), freeze({"y": [1, 2], "x": 1})
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    again = pickle.loads(pickle.dumps(a))
    assert again == a and isinstance(again, FrozenDict)


def test_with_replaces_and_none_removes() -> None:
    d = freeze({"a": 1, "b": 2})
    e = with_(d, a=10, b=None, c=3)
    assert e == {"a": 10, "c": 3}, f"with_ gave {e}"
    assert d == {"a": 1, "b": 2}, "with_ changed its input"
    assert isinstance(e, FrozenDict)


def test_set_in_creates_missing_maps_and_shares_untouched_subtrees() -> None:
    d = freeze({"spec": {"template": {"x": 1}}, "other": {"big": [1, 2, 3]}})
    e = set_in(d, ("spec", "replicas"), 3)
    assert e["spec"] == {"template": {"x": 1}, "replicas": 3}
    assert e["other"] is d["other"], "set_in copied a subtree it did not touch"
    f = set_in(d, ("status", "conditions", "x"), "y")
    assert f["status"] == {"conditions": {"x": "y"}}
    g = set_in(e, ("spec", "replicas"), None)
    assert "replicas" not in g["spec"]


def test_get_in() -> None:
    d = freeze({"a": [{"b": 1}], "c": {"d": 2}})
    assert get_in(d, ["a", 0, "b"]) == 1
    assert get_in(d, ["a", -1, "b"]) == 1
    assert get_in(d, ["a", 1, "b"], "dflt") == "dflt"
    assert get_in(d, ["c", "x"]) is None
    assert get_in(d, ["c", 0], 5) == 5


# ---------------------------------------------------------------------------------------------
# time
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("epoch", [0, 1735689600, 1735689600 + 86399, 2000000000])
def test_format_and_parse_time_round_trip(epoch: int) -> None:
    text = format_time(epoch)
    assert text.endswith("Z") and "T" in text
    assert parse_time(text) == epoch, f"parse_time({text!r})={parse_time(text)}, but should be {epoch}"


def test_virtual_clock_starts_at_config_epoch() -> None:
    s = ClusterState()
    assert s.timestamp() == "2025-01-01T00:00:00Z"
    assert s.timestamp(30) == "2025-01-01T00:00:30Z"


# ---------------------------------------------------------------------------------------------
# work queue and timers
# ---------------------------------------------------------------------------------------------
def test_enqueue_is_idempotent_and_keeps_first_position() -> None:
    s = ClusterState()
    s1 = s.enqueue("replicaset", "default/a").enqueue("replicaset", "default/b")
    s2 = s1.enqueue("replicaset", "default/a")
    assert s2 is s1, "enqueueing a queued key changed the state (workqueue dedupes)"
    order = sorted(s1.dirty.items(), key=lambda kv: kv[1])
    assert [k for k, _ in order] == [("replicaset", "default/a"), ("replicaset", "default/b")]
    s3 = ClusterState().enqueue_many([("x", "1"), ("x", "2"), ("x", "1")])
    assert len(s3.dirty) == 2 and s3.seq == 2


def test_add_timer_keeps_essential_flag_and_clamps_to_now() -> None:
    s = ClusterState()
    s = s.add_timer(10, "kubelet", "node-0", essential=False)
    s = s.add_timer(10, "kubelet", "node-0", essential=True)
    assert s.timers[10][("kubelet", "node-0")] is True, "an essential timer was downgraded"
    s2 = s.add_timer(10, "kubelet", "node-0", essential=False)
    assert s2 is s, "adding a retry on top of an essential timer changed it"
    late = ClusterState(now=50).add_timer(5, "x", "y")
    assert list(late.timers.keys()) == [50], f"timer in the past stored at {list(late.timers.keys())}, not at now"


# ---------------------------------------------------------------------------------------------
# incremental indexes == recomputation
# ---------------------------------------------------------------------------------------------
def _assert_indexes_consistent(s: ClusterState, when: str) -> None:
    errors = index_errors(s)
    assert not errors, f"{errors[0]} [{when}]"


def _rs(name: str, replicas: int, app: str, cpu: str = "100m") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                     "template": {"metadata": {"labels": {"app": app}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx",
                                                           "resources": {"requests": {"cpu": cpu}}}]}}}}


def test_indexes_match_recomputation_through_a_scenario() -> None:
    s = rm.new_cluster(3)
    _assert_indexes_consistent(s, "new_cluster")
    s = rm.converge(rm.apply_manifest(s, _rs("web", 5, "web")))
    _assert_indexes_consistent(s, "5 replicas")
    s = rm.converge(rm.step(s, NodeFailed("node-1")))
    _assert_indexes_consistent(s, "node-1 failed")
    s = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "web", 2)))
    _assert_indexes_consistent(s, "scaled to 2")
    s = rm.converge(rm.step(s, NodeRecovered("node-1")))
    _assert_indexes_consistent(s, "node-1 recovered")
    s = rm.converge(rm.step(s, Delete("ReplicaSet", "default", "web", "Orphan")))
    _assert_indexes_consistent(s, "orphaned")
    assert s.orphan_pods.get("default") is not None and len(s.orphan_pods["default"]) == 2


def test_node_usage_counts_requests_of_bound_non_terminal_pods() -> None:
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1), _rs("web", 3, "web", cpu="250m")))
    cpu, _mem, pods, nz_cpu, _nz_mem = s.node_usage["node-0"]
    assert (cpu, pods, nz_cpu) == (750, 3, 750), f"node-0 usage cpu={cpu} pods={pods}, but should be 750m and 3"
    s = rm.converge(rm.step(s, Scale("ReplicaSet", "default", "web", 1)))
    cpu, _mem, pods, _, _ = s.node_usage["node-0"]
    assert (cpu, pods) == (250, 1), f"node-0 usage cpu={cpu} pods={pods} after scale-down, but should be 250m and 1"


def test_pods_with_label_and_pods_on_node() -> None:
    s = rm.converge(rm.apply_manifest(rm.new_cluster(2), _rs("web", 4, "web")))
    names = sorted(s.pods_with_label("default", "app", "web"))
    assert len(names) == 4
    on_nodes = sorted(p["metadata"]["name"] for n in ("node-0", "node-1") for p in s.pods_on_node(n))
    assert on_nodes == names, f"pods on nodes {on_nodes}, but should be every pod {names}"
    assert s.pods_with_label("default", "app", "db") == []


def test_pod_stats_track_active_and_ready_pods_of_a_controller() -> None:
    s = rm.converge(rm.apply_manifest(rm.new_cluster(2), _rs("web", 3, "web")))
    uid = s.get("ReplicaSet", "default", "web")["metadata"]["uid"]
    st = s.pod_stats[uid]
    assert (st.active, st.ready) == (3, 3), f"pod_stats active={st.active} ready={st.ready}, but should be 3/3"
    pod = s.pods_on_node("node-0")[0]
    r = door.delete(s, "Pod", "default", pod["metadata"]["name"])
    st = r.state.pod_stats[uid]
    assert st.active == 2, f"a terminating pod still counts as active ({st.active}), but should not (IsPodActive)"


def test_pod_requests_vector_uses_non_zero_defaults_for_scoring() -> None:
    # pkg/scheduler/util/pod_resources.go GetNonzeroRequests: 100m and 200Mi when a request is missing
    spec = freeze({"containers": [{"name": "a", "image": "x"},
                                  {"name": "b", "image": "x", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]})
    vec = pod_requests_vector(spec)
    assert vec == (1000, 2**30, 1, 1100, 2**30 + 200 * 2**20), f"pod_requests_vector={vec}"
    assert pod_requests_vector(freeze({"containers": []})) == (0, 0, 1, 0, 0)
    assert EMPTY == {}


def test_index_errors_name_a_corrupted_index() -> None:
    import immutables

    s = rm.converge(rm.apply_manifest(rm.new_cluster(2), _rs("web", 3, "web")))
    assert index_errors(s) == []
    broken = s.replace(pod_stats=immutables.Map(), orphans=s.orphans.set(("ReplicaSet", "default"), immutables.Map()))
    found = index_errors(broken)
    # the ReplicaSet has no controller, so the orphan index must list it
    assert [e.split("=")[0] for e in found] == ["index pod_stats", "index orphans"], (
        f"errors={found}, but should name pod_stats and orphans")


def test_label_index_files_pods_by_label_set() -> None:
    # two templates sharing app=web, a pod relabelled, an unlabelled pod: queries agree with a scan
    s = rm.new_cluster(2)
    s = rm.converge(rm.apply_manifest(s, _rs("web-a", 3, "web")))
    rs_b = _rs("web-b", 2, "web")
    rs_b["spec"]["selector"]["matchLabels"]["tier"] = "b"
    rs_b["spec"]["template"]["metadata"]["labels"]["tier"] = "b"
    s = rm.converge(rm.apply_manifest(s, rs_b))
    s = rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    pod = next(p for p in s.iter_kind("Pod") if p["metadata"]["name"].startswith("web-a"))
    s = door.update(s, with_(pod, metadata=with_(pod["metadata"], labels=FrozenDict(
        {"app": "web", "tier": "b"}))), controller=door.CONTROLLER).state
    assert index_errors(s) == []

    def scan(pairs: list[tuple[str, str]]) -> list[str]:
        return sorted(p["metadata"]["name"] for p in s.iter_kind("Pod", "default")
                      if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in pairs))

    for pairs in ([("app", "web")], [("tier", "b")], [("app", "web"), ("tier", "b")], [("app", "db")]):
        got = sorted(s.pods_with_labels("default", pairs))
        assert got == scan(pairs), f"pods_with_labels({pairs})={got}, but a scan finds {scan(pairs)}"
    assert len(s.pod_labels[("default", "app", "web")]) == 2, "pods of one template should share a label set"
