"""Deployment scenarios through the public API: rollouts, rollback, Recreate, pause, scaling, history, deadlines,
deletion and node failure, checked at every intermediate state where upstream promises a bound.

Rules: D-5..D-22, GC-6, traps Z1-Z7, Z19-Z22 of the upstream-behaviour notes. Upstream counterparts are named
where they exist (test/e2e/apps/deployment.go, test/integration/deployment/deployment_test.go).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import refmodel as rm
from refmodel.controllers import deployment_util as du
from refmodel.podutil import get_controller_of, is_pod_available
from refmodel.state import ClusterState, parse_time

NS = "default"


def manifest(name: str = "web", replicas: int = 10, image: str = "nginx:1", strategy: dict[str, Any] | None = None,
             annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": image}]}}},
    }
    if strategy is not None:
        d["spec"]["strategy"] = strategy
    if annotations:
        d["metadata"]["annotations"] = annotations
    d["spec"].update(spec)
    return d


def rolling(max_surge: Any, max_unavailable: Any) -> dict[str, Any]:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable}}


@functools.cache
def cluster(nodes: int = 3) -> ClusterState:
    return rm.new_cluster(nodes=nodes)


def deployment(state: ClusterState, name: str = "web") -> dict[str, Any]:
    d = rm.get(state, "Deployment", name, namespace=NS)
    assert d is not None, f"Deployment/{name} is missing, but should exist"
    return d


def replica_sets(state: ClusterState, name: str = "web") -> list[dict[str, Any]]:
    """The ReplicaSets controlled by the deployment, oldest revision first."""
    uid = deployment(state, name)["metadata"]["uid"]
    out = [r for r in rm.list_objects(state, "ReplicaSet", namespace=NS) if (get_controller_of(r) or {}).get("uid") == uid]
    return sorted(out, key=lambda r: int(r["metadata"].get("annotations", {}).get(du.REVISION_ANNOTATION, "0")))


def revision_of(obj: dict[str, Any]) -> str | None:
    return obj["metadata"].get("annotations", {}).get(du.REVISION_ANNOTATION)


def image_of(obj: dict[str, Any]) -> str:
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def owned_pods(state: ClusterState, name: str = "web") -> list[Any]:
    """Pods controlled by the deployment's ReplicaSets (frozen objects, straight from the store)."""
    d = state.get("Deployment", NS, name)
    assert d is not None
    pods = []
    for kind, ns, rs_name in state.dependents(d["metadata"]["uid"]):
        if kind != "ReplicaSet":
            continue
        rs = state.get(kind, ns, rs_name)
        if rs is None:
            continue
        for pkind, pns, pname in state.dependents(rs["metadata"]["uid"]):
            pod = state.get(pkind, pns, pname) if pkind == "Pod" else None
            if pod is not None and (get_controller_of(pod) or {}).get("uid") == rs["metadata"]["uid"]:
                pods.append(pod)
    return pods


def is_active(pod: Any) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and pod["status"].get("phase") not in ("Succeeded", "Failed")


def steps(state: ClusterState, **kw: Any) -> Iterator[tuple[Any, ClusterState]]:
    yield from rm.converge_steps(state, **kw)


def converged(state: ClusterState) -> ClusterState:
    return rm.converge(state)


# ---------------------------------------------------------------------------------------------
# rolling update bounds (D-13)
# ---------------------------------------------------------------------------------------------
ROLLING = [(0, 1), (1, 0), ("25%", "25%"), (3, 2), ("50%", "0%"), ("0%", "30%"), ("10%", "10%")]


@pytest.mark.parametrize(("max_surge", "max_unavailable"), ROLLING, ids=[f"{s}-{u}" for s, u in ROLLING])
def test_rolling_update_stays_within_surge_and_unavailability(max_surge: Any, max_unavailable: Any) -> None:
    # test/e2e/apps/deployment.go testRollingUpdateDeployment; bounds from D-3/D-4 (surge rounds up,
    # unavailable down, both 0 -> unavailable 1)
    replicas = 10
    surge, unavailable = du.resolve_fenceposts(max_surge, max_unavailable, replicas)
    strategy = rolling(max_surge, max_unavailable)
    state = converged(rm.apply_manifest(cluster(), manifest(strategy=strategy)))
    old_rs = replica_sets(state)[0]
    state = rm.apply_manifest(state, manifest(image="nginx:2", strategy=strategy))
    seen_both = False
    for event, st in steps(state):
        now = st.config.start_time + st.now
        pods = owned_pods(st)
        active = [p for p in pods if is_active(p)]
        available = [p for p in active if is_pod_available(p, 0, now)]
        spec_sum = sum(int(r["spec"]["replicas"]) for r in replica_sets(st))
        assert len(active) <= replicas + surge, (
            f"{len(active)} active pods, but should be at most {replicas + surge} [after {event}, t={st.now}]")
        assert spec_sum <= replicas + surge, (
            f"ReplicaSet spec.replicas sum {spec_sum}, but should be at most {replicas + surge} [after {event}]")
        assert len(available) >= replicas - unavailable, (
            f"{len(available)} available pods, but should be at least {replicas - unavailable} [after {event}, "
            f"t={st.now}]")
        images = {p["spec"]["containers"][0]["image"] for p in active}
        seen_both = seen_both or images == {"nginx:1", "nginx:2"}
    state = st
    d = deployment(state)
    status = d["status"]
    got = (status.get("replicas"), status.get("updatedReplicas"), status.get("availableReplicas"),
           status.get("unavailableReplicas", 0))
    assert got == (10, 10, 10, 0), f"status (replicas, updated, available, unavailable)={got}, but should be (10, 10, 10, 0)"
    assert seen_both, "old and new pods never ran side by side, but a rolling update overlaps them"
    rss = replica_sets(state)
    first = rss[0]
    assert (first["metadata"]["name"], first["spec"]["replicas"]) == (old_rs["metadata"]["name"], 0), (
        f"old RS {first['metadata']['name']} has {first['spec']['replicas']} replicas, but should be scaled to 0")
    assert [revision_of(r) for r in rss] == ["1", "2"], f"revisions {[revision_of(r) for r in rss]}"
    assert revision_of(d) == "2", f"deployment revision {revision_of(d)}, but should be 2"
    assert {p["spec"]["containers"][0]["image"] for p in owned_pods(state) if is_active(p)} == {"nginx:2"}, (
        "old pods are still active after the rollout")
    cond = du.get_deployment_condition(status, "Progressing")
    assert (cond["status"], cond["reason"]) == ("True", du.NEW_RS_AVAILABLE_REASON), f"Progressing={cond}"


def test_scaling_without_template_change_creates_no_replica_set() -> None:
    # D-22: changing only replicas never creates an RS or a revision; the RS gets the replica annotations
    state = converged(rm.apply_manifest(cluster(), manifest()))
    state = converged(rm.step(state, rm.events.Scale("Deployment", NS, "web", 4)))
    rss = replica_sets(state)
    assert len(rss) == 1, f"{len(rss)} ReplicaSets after a scale, but should be 1"
    ann = rss[0]["metadata"]["annotations"]
    got = (rss[0]["spec"]["replicas"], ann[du.DESIRED_REPLICAS_ANNOTATION], ann[du.MAX_REPLICAS_ANNOTATION],
           ann[du.REVISION_ANNOTATION])
    assert got == (4, "4", "5", "1"), f"(replicas, desired, max, revision)={got}, but should be (4, '4', '5', '1')"
    assert len([p for p in owned_pods(state) if is_active(p)]) == 4, "active pods != 4 after scaling to 4"


def test_rollover_mid_rollout() -> None:
    # D-22 and e2e testRolloverDeployment: a template change mid-rollout creates another RS at once;
    # the intermediate RS is just another old RS
    strategy = rolling(1, 0)
    state = rm.step(converged(rm.apply_manifest(cluster(), manifest(replicas=4, strategy=strategy))),
                    rm.events.ImagePullFailed("nginx:2"))
    state = converged(rm.apply_manifest(state, manifest(replicas=4, image="nginx:2", strategy=strategy)))
    mid = replica_sets(state)
    assert [r["spec"]["replicas"] for r in mid] == [4, 1], f"stuck rollout sizes {[r['spec']['replicas'] for r in mid]}"
    state = converged(rm.apply_manifest(state, manifest(replicas=4, image="nginx:3", strategy=strategy)))
    rss = replica_sets(state)
    got = [(image_of(r), r["spec"]["replicas"], revision_of(r)) for r in rss]
    assert got == [("nginx:1", 0, "1"), ("nginx:2", 0, "2"), ("nginx:3", 4, "3")], f"ReplicaSets {got}"
    assert deployment(state)["status"].get("updatedReplicas") == 4


# ---------------------------------------------------------------------------------------------
# rollback (D-21, Z4)
# ---------------------------------------------------------------------------------------------
def _three_revisions(**kw: Any) -> ClusterState:
    state = cluster()
    for i, image in enumerate(("nginx:1", "nginx:2", "nginx:3"), start=1):
        ann = {"kubernetes.io/change-cause": f"v{i}"}
        state = converged(rm.apply_manifest(state, manifest(image=image, annotations=ann, **kw)))
    return state


def test_rollback_reuses_the_old_replica_set_with_a_new_revision() -> None:
    # kubectl rollout undo --to-revision=2; test/e2e/apps/deployment.go testRollbackDeployment (client side)
    state = _three_revisions()
    before = {revision_of(r): r["metadata"]["name"] for r in replica_sets(state)}
    assert sorted(before) == ["1", "2", "3"], f"revisions {sorted(before)}"
    result = rm.transition(state, rm.events.RolloutUndo(NS, "web", 2))
    assert result.ok, f"rollout undo rejected: {result.rejection}"
    state = converged(result.state)
    d = deployment(state)
    assert image_of(d) == "nginx:2", f"template image {image_of(d)}, but should be nginx:2 after undo to revision 2"
    assert du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY not in d["spec"]["template"]["metadata"]["labels"], (
        "the pod-template-hash label was copied into the deployment template")
    rss = replica_sets(state)
    assert len(rss) == 3, f"{len(rss)} ReplicaSets, but the undo should reuse an existing one (3)"
    reused = next(r for r in rss if r["metadata"]["name"] == before["2"])
    ann = reused["metadata"]["annotations"]
    got = (ann[du.REVISION_ANNOTATION], ann.get(du.REVISION_HISTORY_ANNOTATION), reused["spec"]["replicas"])
    assert got == ("4", "2", 10), f"reused RS (revision, history, replicas)={got}, but should be ('4', '2', 10)"
    assert revision_of(d) == "4", f"deployment revision {revision_of(d)}, but should be 4"
    assert d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "v2", (
        "kubectl copies the RS's annotations (change-cause v2) back to the deployment")
    assert du.LAST_APPLIED_CONFIG_ANNOTATION in d["metadata"]["annotations"], "last-applied-configuration was dropped"
    assert {p["spec"]["containers"][0]["image"] for p in owned_pods(state) if is_active(p)} == {"nginx:2"}


def test_rollback_to_previous_revision_and_errors() -> None:
    # DeploymentRollbacker.Rollback: 0 = the second-highest revision; unknown revision; same template; paused
    state = _three_revisions()
    result = rm.transition(state, rm.events.RolloutUndo(NS, "web", 0))
    assert result.ok, f"rollout undo rejected: {result.rejection}"
    state = converged(result.state)
    assert image_of(deployment(state)) == "nginx:2", "undo without a revision should go back to revision 2"
    result = rm.transition(state, rm.events.RolloutUndo(NS, "web", 0))
    state = converged(result.state)
    assert image_of(deployment(state)) == "nginx:3", "a second undo should go back to the previous revision (3)"
    bad = rm.transition(state, rm.events.RolloutUndo(NS, "web", 42))
    assert bad.rejection is not None and bad.rejection.reason == "NotFound", f"undo to 42: {bad.rejection}"
    assert bad.rejection.message == "unable to find specified revision 42 in history", bad.rejection.message
    assert bad.state == state, "a rejected undo changed the state"
    current = revision_of(deployment(state))
    assert current is not None
    same = rm.transition(state, rm.events.RolloutUndo(NS, "web", int(current)))
    assert same.ok and same.state == state, "an undo to the current template should be skipped without a write"
    paused = rm.step(state, rm.events.RolloutPause(NS, "web"))
    refused = rm.transition(paused, rm.events.RolloutUndo(NS, "web", 1))
    assert refused.rejection is not None and "paused" in refused.rejection.message, f"undo while paused: {refused}"
    missing = rm.transition(state, rm.events.RolloutUndo(NS, "nope", 0))
    assert missing.rejection is not None and missing.rejection.reason == "NotFound", missing.rejection


def test_undo_without_history_is_rejected() -> None:
    # deploymentRevision: no previous revision -> 'no rollout history found'
    state = converged(rm.apply_manifest(cluster(), manifest()))
    result = rm.transition(state, rm.events.RolloutUndo(NS, "web", 0))
    assert result.rejection is not None and "no rollout history found" in result.rejection.message, result.rejection


# ---------------------------------------------------------------------------------------------
# Recreate (D-14, Z7)
# ---------------------------------------------------------------------------------------------
def test_recreate_never_runs_old_and_new_pods_together() -> None:
    # e2e testRecreateDeployment: "Watching Deployment ... to verify that new pods will not run with old pods"
    strategy = {"type": "Recreate"}
    state = converged(rm.apply_manifest(cluster(), manifest(strategy=strategy)))
    state = rm.apply_manifest(state, manifest(image="nginx:2", strategy=strategy))
    new_seen_at = None
    for event, st in steps(state):
        pods = owned_pods(st)
        old_running = [p for p in pods if p["spec"]["containers"][0]["image"] == "nginx:1"
                       and p["status"].get("phase") not in ("Succeeded", "Failed")]
        new = [p for p in pods if p["spec"]["containers"][0]["image"] == "nginx:2"]
        assert not (old_running and new), (
            f"{len(old_running)} old pods (incl. terminating) alongside {len(new)} new pods, but Recreate never "
            f"overlaps them [after {event}]")
        if new and new_seen_at is None:
            new_seen_at = st.now
    state = st
    status = deployment(state)["status"]
    assert (status.get("updatedReplicas"), status.get("availableReplicas")) == (10, 10), f"status {status}"
    assert [r["spec"]["replicas"] for r in replica_sets(state)] == [0, 10]


def test_recreate_waits_for_terminating_pods_of_a_dead_node() -> None:
    # recreate.go oldPodsRunning: a terminating old pod (phase Running) blocks the new RS even though the
    # old RS reports 0 replicas; deletePod re-queues the deployment once its last pod is gone (Z7)
    strategy = {"type": "Recreate"}
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=3, strategy=strategy)))
    stuck = [p["metadata"]["name"] for p in owned_pods(state) if p["spec"].get("nodeName") == "node-0"]
    assert stuck, "no pod on node-0; the scenario needs one"
    state = rm.step(state, rm.events.NodeFailed("node-0"))
    state = converged(rm.apply_manifest(state, manifest(replicas=3, image="nginx:2", strategy=strategy)))
    old_rs, *rest = replica_sets(state)
    assert old_rs["spec"]["replicas"] == 0 and old_rs["status"].get("replicas", 0) == 0, f"old RS {old_rs['status']}"
    for name in stuck:
        pod = rm.get(state, "Pod", name, namespace=NS)
        assert pod is not None and pod["metadata"].get("deletionTimestamp"), f"Pod/{name} should stay Terminating"
    new_pods = [p for p in owned_pods(state) if p["spec"]["containers"][0]["image"] == "nginx:2"]
    assert not new_pods and all(r["spec"]["replicas"] == 0 for r in rest), (
        f"{len(new_pods)} new pods while an old pod is still terminating, but Recreate must wait")
    state = converged(rm.step(state, rm.events.NodeRecovered("node-0")))
    assert all(rm.get(state, "Pod", n, namespace=NS) is None for n in stuck), "the recovered kubelet kept old pods"
    rss = replica_sets(state)
    got = [(image_of(r), r["spec"]["replicas"]) for r in rss]
    assert got == [("nginx:1", 0), ("nginx:2", 3)], f"after the old pods are gone: {got}"
    assert deployment(state)["status"].get("availableReplicas") == 3


# ---------------------------------------------------------------------------------------------
# minReadySeconds (P-6 strict, D-17)
# ---------------------------------------------------------------------------------------------
def test_min_ready_seconds_delays_availability() -> None:
    # IsPodAvailable: ready for strictly more than minReadySeconds; the deployment counts RS availability
    state = rm.apply_manifest(cluster(), manifest(replicas=3, minReadySeconds=10))
    ready_at = None
    for _event, st in steps(state):
        pods = [p for p in owned_pods(st) if is_active(p)]
        if ready_at is None and pods and all(p["status"].get("conditions") and any(
                c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]) for p in pods):
            ready_at = st.now
        available = deployment(st)["status"].get("availableReplicas", 0)
        if ready_at is None or st.now <= ready_at + 10:
            assert available == 0, f"availableReplicas={available} at t={st.now}, ready at {ready_at}, but should be 0"
    state = st
    assert ready_at is not None, "the pods never became ready"
    status = deployment(state)["status"]
    assert status.get("availableReplicas") == 3, f"availableReplicas={status.get('availableReplicas')}, but should be 3"
    assert state.now == ready_at + 11, f"converged at t={state.now}, but availability is noticed at t={ready_at + 11}"
    rs = replica_sets(state)[0]
    assert rs["spec"].get("minReadySeconds") == 10, "minReadySeconds was not copied to the ReplicaSet"


def test_min_ready_seconds_synced_to_existing_replica_set() -> None:
    # getNewReplicaSet: minReadySecondsNeedsUpdate -> the new RS gets the deployment's value (no new RS)
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=2)))
    state = converged(rm.apply_manifest(state, manifest(replicas=2, minReadySeconds=5)))
    rss = replica_sets(state)
    assert [r["spec"].get("minReadySeconds") for r in rss] == [5], f"RS minReadySeconds {[r['spec'] for r in rss]}"


def test_rolling_update_with_min_ready_seconds() -> None:
    # a rollout waits for each new pod to be available (ready > minReadySeconds) before scaling old ones down
    strategy = rolling(1, 0)
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=3, minReadySeconds=10, strategy=strategy)))
    state = rm.apply_manifest(state, manifest(replicas=3, image="nginx:2", minReadySeconds=10, strategy=strategy))
    for n, (_event, st) in enumerate(rm.converge_steps(state)):
        # a bounded loop: converge itself does not stop a zero-delay timer livelock (see the report)
        assert n < 20_000, f"still converging after {n} steps at t={st.now}s, but a 3-replica rollout should settle"
        now = st.config.start_time + st.now
        available = [p for p in owned_pods(st) if is_active(p) and is_pod_available(p, 10, now)]
        assert len(available) >= 3, f"{len(available)} available pods at t={st.now}, but maxUnavailable is 0"
    state = st
    status = deployment(state)["status"]
    assert (status.get("updatedReplicas"), status.get("availableReplicas")) == (3, 3), f"status {status}"
    assert state.now >= 3 * 11, f"a 3-step rollout with minReadySeconds 10 finished at t={state.now}, too early"


# ---------------------------------------------------------------------------------------------
# pause / resume (D-16)
# ---------------------------------------------------------------------------------------------
def test_paused_deployment_scales_but_does_not_roll_out() -> None:
    # e2e/integration TestPausedDeployment, TestScalePausedDeployment
    state = converged(rm.apply_manifest(cluster(), manifest()))
    result = rm.transition(state, rm.events.RolloutPause(NS, "web"))
    assert result.ok, f"pause rejected: {result.rejection}"
    state = converged(result.state)
    cond = du.get_deployment_condition(deployment(state)["status"], "Progressing")
    assert (cond["status"], cond["reason"]) == ("Unknown", du.PAUSED_DEPLOY_REASON), f"Progressing={cond}"
    again = rm.transition(state, rm.events.RolloutPause(NS, "web"))
    assert again.rejection is not None and again.state == state, "pausing twice should be refused without a write"
    state = converged(rm.apply_manifest(state, manifest(image="nginx:2")))
    rss = replica_sets(state)
    assert len(rss) == 1 and image_of(rss[0]) == "nginx:1", "a paused deployment rolled out its template change"
    state = converged(rm.step(state, rm.events.Scale("Deployment", NS, "web", 15)))
    rss = replica_sets(state)
    assert [r["spec"]["replicas"] for r in rss] == [15], f"paused scale: sizes {[r['spec']['replicas'] for r in rss]}"
    assert len([p for p in owned_pods(state) if is_active(p)]) == 15, "a paused deployment did not scale its pods"
    d = deployment(state)
    assert d["status"].get("observedGeneration") == d["metadata"]["generation"], "paused status not observed"
    result = rm.transition(state, rm.events.RolloutResume(NS, "web"))
    assert result.ok, f"resume rejected: {result.rejection}"
    resumed = rm.converge(result.state, controllers=("deployment",))
    cond = du.get_deployment_condition(deployment(resumed)["status"], "Progressing")
    assert cond["reason"] in (du.RESUMED_DEPLOY_REASON, du.NEW_REPLICA_SET_REASON, du.REPLICA_SET_UPDATED_REASON), (
        f"Progressing={cond} right after resume")
    state = converged(result.state)
    rss = replica_sets(state)
    got = [(image_of(r), r["spec"]["replicas"]) for r in rss]
    assert got == [("nginx:1", 0), ("nginx:2", 15)], f"after resume: {got}"
    cond = du.get_deployment_condition(deployment(state)["status"], "Progressing")
    assert (cond["status"], cond["reason"]) == ("True", du.NEW_RS_AVAILABLE_REASON), f"Progressing={cond}"


# ---------------------------------------------------------------------------------------------
# proportional scaling (D-15, Z5)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scale_to", "expected"), [
    # stuck at old 8 / new 5 (10 replicas, maxSurge 3, maxUnavailable 2, max-replicas annotations 13):
    # 30 -> allowed 33, +20: old round(8*33/13)=20, new round(5*33/13)=13
    (30, (20, 13)),
    # 5 -> allowed 8, -5 (older first among equal sizes): old round(8*8/13)=5 -> -3, new round(5*8/13)=3 -> -2
    (5, (5, 3)),
])
def test_proportional_scaling_mid_rollout(scale_to: int, expected: tuple[int, int]) -> None:
    # integration TestScaledRolloutDeployment; sync_test.go TestScale
    strategy = rolling(3, 2)
    state = converged(rm.apply_manifest(cluster(), manifest(strategy=strategy)))
    state = rm.step(state, rm.events.ImagePullFailed("nginx:2"))
    state = converged(rm.apply_manifest(state, manifest(image="nginx:2", strategy=strategy)))
    stuck = [r["spec"]["replicas"] for r in replica_sets(state)]
    assert stuck == [8, 5], f"stuck rollout sizes {stuck}, but should be [8, 5] (13 - 8 - 5 = 0 to scale down)"
    state = rm.step(state, rm.events.Scale("Deployment", NS, "web", scale_to))
    state = rm.converge(state, controllers=("deployment",))
    got = tuple(r["spec"]["replicas"] for r in replica_sets(state))
    assert got == expected, f"sizes after scaling to {scale_to}: {got}, but should be {expected}"
    for r in replica_sets(state):
        ann = r["metadata"]["annotations"]
        assert ann[du.DESIRED_REPLICAS_ANNOTATION] == str(scale_to), f"{r['metadata']['name']} desired {ann}"


# ---------------------------------------------------------------------------------------------
# revisionHistoryLimit (D-20, Z6)
# ---------------------------------------------------------------------------------------------
def test_revision_history_limit_keeps_the_newest_old_replica_sets() -> None:
    # integration TestDeploymentRevisionHistoryLimit / e2e testDeploymentCleanUpPolicy
    state = cluster()
    for i in range(6):
        state = converged(rm.apply_manifest(state, manifest(replicas=2, image=f"nginx:{i}", revisionHistoryLimit=2)))
    rss = replica_sets(state)
    got = [(revision_of(r), r["spec"]["replicas"]) for r in rss]
    assert got == [("4", 0), ("5", 0), ("6", 2)], f"ReplicaSets (revision, replicas) {got}, but should keep 4, 5, 6"
    # back to revision 5's template (nginx:4) with no history: that RS is reused as revision 7, the rest goes
    state = converged(rm.apply_manifest(state, manifest(replicas=2, image="nginx:4", revisionHistoryLimit=0)))
    got = [(revision_of(r), r["spec"]["replicas"], image_of(r)) for r in replica_sets(state)]
    assert got == [("7", 2, "nginx:4")], f"revisionHistoryLimit 0 keeps {got}, but should keep only revision 7"


# ---------------------------------------------------------------------------------------------
# progress deadline (D-19, Z21)
# ---------------------------------------------------------------------------------------------
def test_progress_deadline_exceeded_when_image_cannot_be_pulled() -> None:
    # e2e testDeploymentProgressDeadline-like; deadline strictly after lastUpdateTime + pds; no rollback
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=4, progressDeadlineSeconds=60)))
    state = rm.step(state, rm.events.ImagePullFailed("nginx:2"))
    state = rm.apply_manifest(state, manifest(replicas=4, image="nginx:2", progressDeadlineSeconds=60))
    last_progress = None
    for _event, st in steps(state):
        cond = du.get_deployment_condition(deployment(st)["status"], "Progressing")
        if cond is not None and cond["status"] == "True":
            last_progress = parse_time(cond["lastUpdateTime"])
    state = st
    d = deployment(state)
    cond = du.get_deployment_condition(d["status"], "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", du.TIMED_OUT_REASON), f"Progressing={cond}"
    assert last_progress is not None
    timed_out_at = parse_time(cond["lastUpdateTime"])
    assert timed_out_at == last_progress + 61, (
        f"timed out at +{timed_out_at - last_progress}s after the last progress, but should be +61 s (strict <)")
    rss = replica_sets(state)
    assert len(rss) == 2 and rss[1]["spec"]["replicas"] > 0 and image_of(d) == "nginx:2", (
        "a timed-out rollout was rolled back or paused, but upstream leaves it as it is")
    assert not d["spec"].get("paused"), "a timed-out deployment was paused"


def test_progress_deadline_on_first_rollout() -> None:
    # a fresh deployment whose image never pulls: Available False and ProgressDeadlineExceeded
    state = rm.step(cluster(), rm.events.ImagePullFailed("nginx:bad"))
    state = converged(rm.apply_manifest(state, manifest(replicas=2, image="nginx:bad", progressDeadlineSeconds=30)))
    status = deployment(state)["status"]
    prog = du.get_deployment_condition(status, "Progressing")
    avail = du.get_deployment_condition(status, "Available")
    assert (prog["status"], prog["reason"]) == ("False", du.TIMED_OUT_REASON), f"Progressing={prog}"
    assert (avail["status"], avail["reason"]) == ("False", du.MINIMUM_REPLICAS_UNAVAILABLE), f"Available={avail}"
    assert status.get("unavailableReplicas") == 2, f"unavailableReplicas={status.get('unavailableReplicas')}"


def test_complete_deployment_leaves_no_pending_progress_timer() -> None:
    # requeueStuckDeployment returns -1 for complete deployments: converge must not wait for a deadline
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=2)))
    assert state.now < 600, f"converge advanced to t={state.now}, waiting for a progress check of a complete rollout"
    assert not any(item[0] == "deployment" for slot in state.timers.values() for item in slot), (
        f"deployment timers pending after completion: {dict(state.timers)}")


def test_deleting_a_stuck_deployment_drops_its_progress_check() -> None:
    # a progress check of a deployment that no longer exists would be a no-op (syncDeployment returns on
    # NotFound); converge must not advance the clock to it
    state = rm.step(cluster(), rm.events.ImagePullFailed("nginx:bad"))
    state = rm.apply_manifest(state, manifest(replicas=1, image="nginx:bad"))
    state = rm.converge(state, controllers=("deployment", "replicaset", "scheduler", "kubelet"))
    pending = [t for t, slot in state.timers.items() if ("deployment", "default/web") in slot]
    assert pending, "a stuck rollout should have a progress check pending"
    state = converged(rm.step(state, rm.events.Delete("Deployment", NS, "web")))
    assert state.now < min(pending), f"converge advanced to t={state.now} for the progress check of a deleted deployment"


# ---------------------------------------------------------------------------------------------
# deletion (GC-2, GC-6, Z20) and adoption
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("propagation", ["Background", "Foreground"])
def test_delete_removes_replica_sets_and_pods(propagation: str) -> None:
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=3)))
    state = converged(rm.step(state, rm.events.Delete("Deployment", NS, "web", propagation=propagation)))
    assert rm.get(state, "Deployment", "web", namespace=NS) is None, "the deployment still exists"
    assert rm.list_objects(state, "ReplicaSet", namespace=NS) == [], f"ReplicaSets survived a {propagation} delete"
    assert rm.list_objects(state, "Pod", namespace=NS) == [], f"pods survived a {propagation} delete"


def test_orphan_delete_keeps_replica_sets_and_pods_and_recreation_adopts_them() -> None:
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=3)))
    rs_name = replica_sets(state)[0]["metadata"]["name"]
    state = converged(rm.step(state, rm.events.Delete("Deployment", NS, "web", propagation="Orphan")))
    assert rm.get(state, "Deployment", "web", namespace=NS) is None, "the deployment still exists"
    rss = rm.list_objects(state, "ReplicaSet", namespace=NS)
    assert [r["metadata"]["name"] for r in rss] == [rs_name], f"ReplicaSets {rss}"
    assert not rss[0]["metadata"].get("ownerReferences"), f"orphaned RS ownerReferences {rss[0]['metadata']}"
    assert len(rm.list_objects(state, "Pod", namespace=NS)) == 3, "pods did not survive an Orphan delete"
    state = converged(rm.apply_manifest(state, manifest(replicas=3)))
    rss = replica_sets(state)
    assert [r["metadata"]["name"] for r in rss] == [rs_name], (
        f"the re-created deployment owns {[r['metadata']['name'] for r in rss]}, but should adopt {rs_name}")
    assert len(rm.list_objects(state, "Pod", namespace=NS)) == 3, "adoption replaced the pods"


# ---------------------------------------------------------------------------------------------
# node failure (NODE-1, NODE-2, NODE-4, Z19)
# ---------------------------------------------------------------------------------------------
def test_failed_node_pods_are_replaced_elsewhere() -> None:
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=6)))
    on_node0 = {p["metadata"]["name"] for p in owned_pods(state) if p["spec"].get("nodeName") == "node-0"}
    assert on_node0, "no pod was scheduled on node-0; the scenario needs one"
    failed_at = state.now
    state = rm.step(state, rm.events.NodeFailed("node-0"))
    not_ready_at = evicted_at = None
    for _event, st in steps(state):
        node = rm.get(st, "Node", "node-0")
        assert node is not None
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        if not_ready_at is None and ready["status"] != "True":
            not_ready_at = st.now
        if evicted_at is None and any(st.get("Pod", NS, n) is not None and st.get("Pod", NS, n)["metadata"].get(
                "deletionTimestamp") for n in on_node0):
            evicted_at = st.now
    state = st
    assert not_ready_at is not None and not_ready_at - failed_at >= 40, (
        f"node-0 NotReady {not_ready_at and not_ready_at - failed_at}s after the failure, but not before 40 s")
    assert evicted_at is not None and evicted_at - not_ready_at >= 300, (
        f"pods evicted {evicted_at and evicted_at - not_ready_at}s after NotReady, but not before 300 s")
    for name in on_node0:
        pod = rm.get(state, "Pod", name, namespace=NS)
        assert pod is not None and pod["metadata"].get("deletionTimestamp"), (
            f"Pod/{name} on the dead node should stay Terminating (its kubelet never confirms)")
    active = [p for p in owned_pods(state) if is_active(p)]
    now = state.config.start_time + state.now
    assert len(active) == 6 and all(p["spec"].get("nodeName") not in (None, "node-0") for p in active), (
        f"active pods {[(p['metadata']['name'], p['spec'].get('nodeName')) for p in active]}, but should be 6 elsewhere")
    assert all(is_pod_available(p, 0, now) for p in active), "replacement pods are not available"
    status = deployment(state)["status"]
    assert (status.get("replicas"), status.get("availableReplicas")) == (6, 6), f"status {status}"


# ---------------------------------------------------------------------------------------------
# manifests written by others
# ---------------------------------------------------------------------------------------------
def test_corpus_deployments_get_one_replica_set(manifests_dir: Path) -> None:
    # every valid Deployment in the shared corpus gets exactly one RS <name>-<hash> of revision 1 sized to replicas
    files = sorted(p for p in (manifests_dir / "valid").glob("*.yaml") if "kind: Deployment" in p.read_text())
    assert files, "the corpus has no Deployment"
    checked = 0
    for path in files:
        docs = [d for d in rm.load_manifests(path.read_text()) if isinstance(d, dict) and d.get("kind") == "Deployment"]
        state = cluster()
        for doc in docs:
            ns = (doc.get("metadata") or {}).get("namespace") or NS
            if rm.get(state, "Namespace", ns) is None:
                state = rm.apply_manifest(state, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
            state = rm.apply_manifest(state, copy.deepcopy(doc))
        state = rm.converge(state, controllers=("deployment", "replicaset"))
        for doc in docs:
            ns = (doc.get("metadata") or {}).get("namespace") or NS
            name = doc["metadata"]["name"]
            d = rm.get(state, "Deployment", name, namespace=ns)
            assert d is not None, f"{path.name}: Deployment/{name} missing"
            owned = [r for r in rm.list_objects(state, "ReplicaSet", namespace=ns)
                     if (get_controller_of(r) or {}).get("uid") == d["metadata"]["uid"]]
            assert len(owned) == 1, f"{path.name}: Deployment/{name} owns {len(owned)} ReplicaSets, but should own 1"
            rs = owned[0]
            hash_ = rs["metadata"]["labels"].get(du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY)
            assert rs["metadata"]["name"] == f"{name}-{hash_}", f"{path.name}: RS name {rs['metadata']['name']}"
            assert rs["spec"]["replicas"] == d["spec"]["replicas"], f"{path.name}: RS size {rs['spec']['replicas']}"
            assert revision_of(rs) == revision_of(d) == "1", f"{path.name}: revisions {revision_of(rs)}/{revision_of(d)}"
            checked += 1
    assert checked >= len(files), f"checked {checked} deployments in {len(files)} files"


def test_stale_desired_replicas_annotation_deadlocks_the_rollout_as_upstream_v132_does() -> None:
    # kubernetes/kubernetes PRs #138036 / #138840 (open): scale() returns early when the only active
    # ReplicaSet already has spec.replicas pods, leaving its desired-replicas annotation stale, so
    # isScalingEvent stays true and rolloutRolling never runs. The model must reproduce v1.32, not the fix.
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=4, strategy=rolling(0, "50%"))))
    (old,) = replica_sets(state)
    # the user scales the owned ReplicaSet to 2, then the Deployment to 2, before the controller runs
    state = rm.step(state, rm.events.Scale("ReplicaSet", NS, old["metadata"]["name"], 2))
    state = converged(rm.step(state, rm.events.Scale("Deployment", NS, "web", 2)))
    state = converged(rm.apply_manifest(state, manifest(replicas=2, image="nginx:2", strategy=rolling(0, "50%"))))
    rss = replica_sets(state)
    assert [(r["metadata"]["name"], r["spec"]["replicas"]) for r in rss] == [(old["metadata"]["name"], 2)], (
        f"ReplicaSets {[(r['metadata']['name'], r['spec']['replicas']) for r in rss]} after the image change, "
        "but upstream v1.32 keeps only the old one at 2 (every sync is a scaling event; sync() creates no new one)")
    assert rss[0]["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "4"
    assert not deployment(state)["status"].get("updatedReplicas")


def recreate_deadlock(image: str = "nginx:1") -> ClusterState:
    """A rolling update interrupted by a change to Recreate with another size (and ``image``): upstream v1.32
    deadlocks (see the test below)."""
    state = converged(rm.apply_manifest(cluster(), manifest(replicas=1)))
    changed = manifest(replicas=2)
    changed["spec"]["template"]["metadata"]["labels"]["tier"] = "frontend"
    state = rm.apply_manifest(state, changed)
    for _ in range(2):  # a scaling event (the old set to 2), then the rolling update's new set (surge 1)
        state = rm.step(state, rm.events.Reconcile("deployment", f"{NS}/web"))
    state = rm.apply_manifest(state, manifest(replicas=1, image=image, strategy={"type": "Recreate"}))
    return converged(state)


def test_recreate_with_a_stale_desired_replicas_annotation_deadlocks_as_upstream_v132_does() -> None:
    # found by a default conformance run (rollout machine). isScalingEvent stays true (both active sets were
    # sized for 2, the Deployment wants 1), so every sync goes to sync(); scale() finds two active sets and a
    # new one that is not saturated, and scales proportionally only for RollingUpdate: it returns nil, no
    # annotation changes, and rolloutRecreate never runs (pkg/controller/deployment/sync.go isScalingEvent,
    # scale). The model must reproduce v1.32.
    state = recreate_deadlock()
    sizes = [(r["spec"]["template"]["metadata"]["labels"].get("tier"), r["spec"]["replicas"],
              r["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"]) for r in replica_sets(state)]
    assert sorted(sizes, key=str) == sorted([(None, 2, "2"), ("frontend", 1, "2")], key=str), (
        f"ReplicaSets (tier, replicas, desired) {sizes} after settle, but upstream v1.32 leaves both as they were")
    assert deployment(state)["status"]["replicas"] == 3 and not state.dirty, "the deadlock should be quiet"


def test_the_rollout_checks_excuse_upstreams_recreate_deadlock_and_only_it() -> None:
    from conformance.invariants import Context, deployments
    from conformance.view import ListView, StateView
    from refmodel.frozen import thaw

    def as_rolling(state: ClusterState) -> ListView:
        """The cluster as a view, its Deployment's strategy RollingUpdate: no deadlock upstream."""
        objs = [thaw(o) for kind in ("Node", "Namespace", "Pod", "ReplicaSet", "Deployment") for o in state.iter_kind(kind)]
        for o in objs:
            if o["kind"] == "Deployment":
                o["spec"]["strategy"] = rolling("25%", "25%")
        return ListView(objs, now=state.now)

    state = recreate_deadlock()
    assert deployments.rollout_completes_without_faults(StateView(state), Context()) == (0, [])
    # with a template no ReplicaSet has, sync() never creates the new one either (found by the next run)
    other = recreate_deadlock(image="nginx:2")
    assert len(replica_sets(other)) == 2 and not other.dirty
    assert deployments.has_new_replicaset(StateView(other), Context()) == (0, [])
    # the same clusters under RollingUpdate are not deadlocked upstream: the checks judge them
    n, bad = deployments.rollout_completes_without_faults(as_rolling(state), Context())
    assert n == 1 and bad and "should be complete at spec.replicas=1" in bad[0], bad
    n, bad = deployments.has_new_replicaset(as_rolling(other), Context())
    assert n == 1 and bad and "no ReplicaSet with its pod template" in bad[0], bad
    # an undo to the interrupted revision: its set has and is sized for spec.replicas but carries the stale
    # annotation, so upstream's IsSaturated is false and the old set stays (found by the run after that)
    undone = converged(rm.step(state, rm.events.RolloutUndo(NS, "web", 2)))
    assert sorted(r["spec"]["replicas"] for r in replica_sets(undone)) == [1, 2] and not undone.dirty
    assert deployments.saturated_means_old_scaled_down(StateView(undone), Context()) == (0, [])
    n, bad = deployments.saturated_means_old_scaled_down(as_rolling(undone), Context())
    assert n == 1 and bad and "every old one should be at 0" in bad[0], bad
