"""The traps a naive model falls into (section Z of the upstream-behaviour notes), one test each.

Each test drives the public API the way a user would and names the trap it guards. Traps of later
areas (StatefulSets Z8-Z11, endpoints Z12, DNS Z15, allocators Z16, ConfigMaps Z17, PVs Z18) belong
to the issues that model those areas.
"""

from __future__ import annotations

from typing import Any

import pytest

import refmodel as rm
from refmodel.controllers import deployment_util as du
from refmodel.events import Delete, NodeFailed, RolloutUndo, Scale
from refmodel.labels import selector_matches


def _deployment(name: str = "web", replicas: int = 10, image: str = "nginx:1.0", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": image}]}}, **spec},
    }


def _pods(state: rm.ClusterState, app: str = "web") -> list[Any]:
    return [p for p in state.iter_kind("Pod", "default") if p["metadata"].get("labels", {}).get("app") == app]


def _live(state: rm.ClusterState, app: str = "web") -> list[Any]:
    return [p for p in _pods(state, app)
            if not p["metadata"].get("deletionTimestamp") and p["status"].get("phase") not in ("Succeeded", "Failed")]


def _available(state: rm.ClusterState, app: str = "web") -> int:
    return sum(1 for p in _live(state, app)
               if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", ())))


def _converged(d: dict[str, Any], nodes: int = 3) -> rm.ClusterState:
    return rm.converge(rm.apply_manifest(rm.new_cluster(nodes=nodes), d))


def _roll(state: rm.ClusterState, d: dict[str, Any], image: str) -> dict[str, Any]:
    new = dict(d)
    new["spec"] = dict(d["spec"])
    new["spec"]["template"] = {"metadata": {"labels": {"app": d["metadata"]["name"]}},
                               "spec": {"containers": [{"name": "app", "image": image}]}}
    return new


def test_z1_fencepost_rounding() -> None:
    # Z1: maxSurge rounds up, maxUnavailable down; both 0 forces unavailable = 1; validation sees raw values
    assert du.resolve_fenceposts("25%", "25%", 1) == (1, 0), "25%/25% of 1 should resolve to (1, 0)"
    assert du.resolve_fenceposts("0%", "0%", 0) == (0, 1), "0%/0% should force maxUnavailable to 1"
    s = rm.new_cluster(nodes=1)
    ok = _deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "1%", "maxUnavailable": 0}})
    assert rm.validate_manifest(s, ok) is None, "maxSurge 1% with maxUnavailable 0 is valid (raw values)"
    bad = _deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "0%", "maxUnavailable": 0}})
    rej = rm.validate_manifest(s, bad)
    assert rej is not None and "maxUnavailable" in rej.message, f"0%/0 accepted ({rej}), but both zero is invalid"


def test_z2_max_unavailable_is_clamped_max_surge_is_not() -> None:
    # Z2
    d = rm.freeze(_deployment(replicas=3, strategy={"type": "RollingUpdate",
                                                    "rollingUpdate": {"maxSurge": 10, "maxUnavailable": 10}}))
    assert du.max_unavailable(d) == 3, f"maxUnavailable={du.max_unavailable(d)}, but should be clamped to 3"
    assert du.max_surge(d) == 10, f"maxSurge={du.max_surge(d)}, but should stay 10 (not clamped)"
    zero = rm.freeze(_deployment(replicas=0))
    assert du.max_unavailable(zero) == 0, "replicas 0 should give maxUnavailable 0"


@pytest.mark.parametrize(("surge", "unavailable"), [(2, 1), ("30%", "20%"), (0, 1), (1, 0)])
def test_z1_z13_rollout_bounds_hold_at_every_intermediate_state(surge: Any, unavailable: Any) -> None:
    # D-13: never above replicas + maxSurge pods, never below replicas - maxUnavailable available
    d = _deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}})
    state = _converged(d, nodes=4)
    want_surge, want_unavail = du.resolve_fenceposts(surge, unavailable, 10)
    state = rm.apply_manifest(state, _roll(state, d, "nginx:2.0"))
    for event, s in rm.converge_steps(state):
        live = len(_live(s))
        assert live <= 10 + want_surge, f"{live} live pods, but should be at most {10 + want_surge} [after {event}]"
        avail = _available(s)
        assert avail >= 10 - want_unavail, f"{avail} available pods, but should be at least {10 - want_unavail} [after {event}]"


def test_z3_crash_looping_new_replica_set_freezes_the_old_one() -> None:
    # Z3: old RSs scale down by *available* pods: a new RS whose pods never become ready stops the rollout
    d = _deployment(replicas=4, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    state = _converged(d)
    state = rm.step(state, rm.events.ImagePullFailed("nginx:broken"))
    state = rm.converge(rm.apply_manifest(state, _roll(state, d, "nginx:broken")))
    old = [p for p in _live(state) if p["spec"]["containers"][0]["image"] == "nginx:1.0"]
    assert len(old) == 4, f"{len(old)} old pods left, but a stuck rollout (maxUnavailable 0) should keep all 4"


def test_z4_rollback_reuses_the_old_replica_set_with_a_new_revision() -> None:
    # Z4 / D-7: revisions 1,2,3; undo to 2 -> that RS becomes revision 4, history "2"
    d = _deployment(replicas=2)
    state = _converged(d)
    for image in ("nginx:2.0", "nginx:3.0"):
        state = rm.converge(rm.apply_manifest(state, _roll(state, d, image)))
    rss_before = {rs["metadata"]["name"] for rs in state.iter_kind("ReplicaSet", "default")}
    state = rm.converge(rm.step(state, RolloutUndo("default", "web", 2)))
    rss_after = {rs["metadata"]["name"]: rs for rs in state.iter_kind("ReplicaSet", "default")}
    assert set(rss_after) == rss_before, f"ReplicaSets {sorted(rss_after)}, but undo should reuse {sorted(rss_before)}"
    new = next(rs for rs in rss_after.values() if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2.0")
    ann = new["metadata"]["annotations"]
    assert ann["deployment.kubernetes.io/revision"] == "4", f"revision {ann['deployment.kubernetes.io/revision']}, but should be 4"
    assert ann.get("deployment.kubernetes.io/revision-history") == "2", f"history {ann.get('deployment.kubernetes.io/revision-history')!r}, but should be '2'"


def test_z5_proportional_scaling_mid_rollout() -> None:
    # Z5: scaling during a stuck rollout spreads the new replicas over both ReplicaSets
    d = _deployment(replicas=10, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}})
    state = _converged(d, nodes=4)
    state = rm.step(state, rm.events.ImagePullFailed("nginx:broken"))
    state = rm.converge(rm.apply_manifest(state, _roll(state, d, "nginx:broken")))
    sizes_before = sorted(rs["spec"]["replicas"] for rs in state.iter_kind("ReplicaSet", "default"))
    state = rm.converge(rm.step(state, Scale("Deployment", "default", "web", 20)))
    sizes = sorted(rs["spec"]["replicas"] for rs in state.iter_kind("ReplicaSet", "default"))
    assert sizes_before == [5, 8], f"RS sizes before scaling {sizes_before}, but should be [5, 8] (10+3 surge, 8 old)"
    assert sum(sizes) == 23 and all(x > b for x, b in zip(sizes, sizes_before)), (
        f"RS sizes {sizes} after scaling to 20, but both should grow proportionally to a total of 23")


def test_z6_history_cleanup_keeps_revision_history_limit() -> None:
    # Z6: only old RSs with 0 replicas, oldest revisions first, only once complete
    d = _deployment(replicas=1, revisionHistoryLimit=1)
    state = _converged(d)
    for image in ("nginx:2.0", "nginx:3.0", "nginx:4.0"):
        state = rm.converge(rm.apply_manifest(state, _roll(state, d, image)))
    revs = sorted(int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
                  for rs in state.iter_kind("ReplicaSet", "default"))
    assert revs == [3, 4], f"revisions kept {revs}, but revisionHistoryLimit 1 should keep [3, 4]"


def test_z7_recreate_never_overlaps_old_and_new_pods() -> None:
    # Z7: the new RS is created only when every old pod is gone
    d = _deployment(replicas=3, strategy={"type": "Recreate"})
    state = _converged(d)
    state = rm.apply_manifest(state, _roll(state, d, "nginx:2.0"))
    for event, s in rm.converge_steps(state):
        images = {p["spec"]["containers"][0]["image"] for p in _pods(s)}
        assert len(images) <= 1, f"pods of both templates exist ({sorted(images)}), but Recreate should never overlap [after {event}]"


def test_z13_selector_semantics() -> None:
    # Z13: NotIn matches an absent key; {} matches everything; None matches nothing
    assert selector_matches({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, {"app": "x"})
    assert selector_matches({}, {"app": "x"})
    assert not selector_matches(None, {"app": "x"})
    s = rm.new_cluster(nodes=1)
    empty = _deployment()
    empty["spec"]["selector"] = {}
    assert rm.validate_manifest(s, empty) is not None, "an empty apps/v1 selector should be rejected"


@pytest.mark.parametrize(("kind", "name", "ok"), [
    ("Service", "1a", False), ("Service", "a1", True), ("ConfigMap", "1a", True),
    ("Namespace", "a.b", False), ("ConfigMap", "a.b", True),
])
def test_z14_name_rules_differ_per_kind(kind: str, name: str, ok: bool) -> None:
    # Z14: Services are DNS-1035 labels, Namespaces DNS-1123 labels, most kinds subdomains
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
    if kind == "Service":
        obj["spec"] = {"ports": [{"port": 80}]}
    rej = rm.validate_manifest(rm.new_cluster(nodes=1), obj)
    assert (rej is None) == ok, f"{kind} {name!r}: {'accepted' if rej is None else rej.message}, but should be {'accepted' if ok else 'rejected'}"


def test_z19_node_failure_evicts_after_300s_and_replaces_at_once() -> None:
    # Z19: default tolerations from admission; evicted pods stay Terminating on the dead node; RS replaces them
    state = _converged(_deployment(replicas=6), nodes=3)
    victims = {p["metadata"]["name"] for p in _pods(state) if p["spec"]["nodeName"] == "node-0"}
    assert victims, "some pods should run on node-0"
    pod = next(p for p in _pods(state) if p["metadata"]["name"] in victims)
    tol = [t for t in pod["spec"]["tolerations"] if t.get("tolerationSeconds") == 300]
    assert len(tol) == 2, f"{len(tol)} default 300 s tolerations, but admission should add 2"
    state = rm.converge(rm.step(state, NodeFailed("node-0")))
    for p in _pods(state):
        if p["metadata"]["name"] in victims:
            assert p["metadata"].get("deletionTimestamp"), f"pod {p['metadata']['name']} on the dead node should be Terminating"
    running_elsewhere = [p for p in _live(state) if p["spec"]["nodeName"] != "node-0" and p["status"]["phase"] == "Running"]
    assert len(running_elsewhere) == 6, f"{len(running_elsewhere)} pods running on live nodes, but should be 6"


@pytest.mark.parametrize("propagation", ["Background", "Foreground", "Orphan"])
def test_z20_deletion_propagation(propagation: str) -> None:
    # Z20
    state = _converged(_deployment(replicas=2))
    state = rm.step(state, Delete("Deployment", "default", "web", propagation))
    if propagation == "Foreground":
        d = rm.get(state, "Deployment", "web")
        assert d is not None and "foregroundDeletion" in d["metadata"]["finalizers"], \
            "a foreground-deleted owner should stay visible with the foregroundDeletion finalizer"
    state = rm.converge(state)
    assert rm.get(state, "Deployment", "web") is None, "the Deployment should be gone"
    rss = rm.list_objects(state, "ReplicaSet", "default")
    left = rss + _pods(state)
    if propagation == "Orphan":
        assert rss and all(not o["metadata"].get("ownerReferences") for o in rss), \
            "orphaned ReplicaSets should survive without ownerReferences"
        assert len(_pods(state)) == 2, f"{len(_pods(state))} pods, but the orphaned ReplicaSet keeps its 2"
    else:
        assert not left, f"{len(left)} dependents left, but {propagation} deletion should remove them all"


def test_z21_progress_deadline_times_out_without_rolling_back() -> None:
    # Z21: ProgressDeadlineExceeded; the rollout is neither paused nor rolled back
    d = _deployment(replicas=2, progressDeadlineSeconds=60)
    state = _converged(d)
    state = rm.step(state, rm.events.ImagePullFailed("nginx:broken"))
    state = rm.converge(rm.apply_manifest(state, _roll(state, d, "nginx:broken")))
    dep = rm.get(state, "Deployment", "web")
    assert dep is not None
    cond = {c["type"]: c for c in dep["status"]["conditions"]}["Progressing"]
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded"), f"Progressing {cond}"
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:broken", "a timeout must not roll back"


def test_z22_available_condition_uses_max_unavailable() -> None:
    # Z22: Available is True mid-rollout when available >= replicas - maxUnavailable
    d = _deployment(replicas=4, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}})
    state = _converged(d)
    state = rm.step(state, rm.events.ImagePullFailed("nginx:broken"))
    state = rm.converge(rm.apply_manifest(state, _roll(state, d, "nginx:broken")))
    dep = rm.get(state, "Deployment", "web")
    assert dep is not None
    st = dep["status"]
    cond = {c["type"]: c for c in st["conditions"]}["Available"]
    assert st["availableReplicas"] == 3 and cond["status"] == "True", \
        f"available={st['availableReplicas']}, Available={cond['status']}, but 3 >= 4-1 should be True"
    assert st["unavailableReplicas"] == 2, f"unavailableReplicas={st['unavailableReplicas']}, but should be 2 (spec sum 5 - 3)"
