"""The kubelet (refmodel/controllers/kubelet.py): phases, restarts, back-off, readiness, image pulls.

Mirrors ``pkg/kubelet/kubelet_pods_test.go`` (TestPodPhaseWithRestartAlways, TestPodPhaseWithRestartNever,
TestPodPhaseWithRestartOnFailure: the getPhase tables), ``pkg/kubelet/kuberuntime/kuberuntime_manager.go``
(doBackOff) with ``staging/src/k8s.io/client-go/util/flowcontrol/backoff.go`` (Next, IsInBackOffSince:
10 s doubling to 300 s, reset after 2x max), ``pkg/kubelet/status/generate.go`` (Ready/ContainersReady
reasons) and the conformance test "Container Runtime blackbox test when starting a container that exits
should run with the expected status" (restart counts and phases per restartPolicy).
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import attrs
import door
import pytest

import refmodel as rm
from refmodel.controllers import kubelet
from refmodel.counters import WorkCounters
from refmodel.events import (
    ClockAdvanced,
    ContainerExited,
    Delete,
    ImagePullFailed,
    ImagePullRecovered,
    NodeFailed,
    ReadinessChanged,
    Reconcile,
)
from refmodel.frozen import FrozenDict, freeze
from refmodel.state import ClusterState, parse_time


# ---------------------------------------------------------------------------------------------
# getPhase tables
# ---------------------------------------------------------------------------------------------
def _running(name: str) -> dict[str, Any]:
    return {"name": name, "state": {"running": {}}}


def _succeeded(name: str) -> dict[str, Any]:
    return {"name": name, "state": {"terminated": {"exitCode": 0}}}


def _failed(name: str) -> dict[str, Any]:
    return {"name": name, "state": {"terminated": {"exitCode": -1}}}


def _waiting(name: str) -> dict[str, Any]:
    return {"name": name, "state": {"waiting": {"reason": "ContainerCreating"}}}


def _waiting_after_termination(name: str) -> dict[str, Any]:
    return {"name": name, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 0}}}


def _phase_pod(policy: str) -> FrozenDict:
    return freeze({"metadata": {"name": "p"}, "spec": {"nodeName": "machine", "restartPolicy": policy,
                                                     "containers": [{"name": "containerA"}, {"name": "containerB"}]}})


A, B = "containerA", "containerB"
PHASE_TABLE = [
    # TestPodPhaseWithRestartAlways (podIsTerminal=false rows)
    ("Always", [_running(A), _running(B)], "Running", "all running"),
    ("Always", [_succeeded(A), _succeeded(B)], "Running", "all stopped with restart always"),
    ("Always", [_running(A), _succeeded(B)], "Running", "mixed state #1 with restart always"),
    ("Always", [_running(A), _waiting(B)], "Pending", "mixed state #3 with restart always"),
    ("Always", [_running(A), _waiting_after_termination(B)], "Running",
     "backoff crashloop container with restart always"),
    # TestPodPhaseWithRestartNever
    ("Never", [_running(A), _running(B)], "Running", "all running with restart never"),
    ("Never", [_succeeded(A), _succeeded(B)], "Succeeded", "all succeeded with restart never"),
    ("Never", [_failed(A), _failed(B)], "Failed", "all failed with restart never"),
    ("Never", [_running(A), _succeeded(B)], "Running", "mixed state #1 with restart never"),
    ("Never", [_running(A), _waiting(B)], "Pending", "mixed state #3 with restart never"),
    # TestPodPhaseWithRestartOnFailure
    ("OnFailure", [_running(A), _running(B)], "Running", "all running with restart onfailure"),
    ("OnFailure", [_succeeded(A), _succeeded(B)], "Succeeded", "all succeeded with restart onfailure"),
    ("OnFailure", [_failed(A), _failed(B)], "Running", "all failed with restart onfailure"),
    ("OnFailure", [_running(A), _succeeded(B)], "Running", "mixed state #1 with restart onfailure"),
    ("OnFailure", [_running(A), _waiting(B)], "Pending", "mixed state #3 with restart onfailure"),
    ("OnFailure", [_running(A), _waiting_after_termination(B)], "Running",
     "backoff crashloop container with restart onfailure"),
]


@pytest.mark.parametrize(("policy", "statuses", "want", "name"), PHASE_TABLE, ids=[r[3] for r in PHASE_TABLE])
def test_get_phase(policy: str, statuses: list[dict[str, Any]], want: str, name: str) -> None:
    # TestPodPhaseWithRestartAlways / TestPodPhaseWithRestartNever / TestPodPhaseWithRestartOnFailure
    got = kubelet._phase(_phase_pod(policy), [freeze(s) for s in statuses])
    assert got == want, f"{name}: phase {got}, but should be {want}"


MISSING_STATUS_ROWS = [
    ("Always", [], "waiting"), ("Always", [_running(A)], "mixed state #2 with restart always"),
    ("Never", [], "waiting"), ("Never", [_running(A)], "mixed state #2 with restart never"),
    ("OnFailure", [], "waiting"), ("OnFailure", [_running(A)], "mixed state #2 with restart onfailure"),
]


@pytest.mark.parametrize(("policy", "statuses", "name"), MISSING_STATUS_ROWS, ids=[r[2] + "-" + r[0] for r in MISSING_STATUS_ROWS])
def test_get_phase_missing_container_status_is_pending(policy: str, statuses: list[dict[str, Any]], name: str) -> None:
    # the "waiting" and "mixed state #2" rows of the three getPhase tables
    got = kubelet._phase(_phase_pod(policy), [freeze(s) for s in statuses])
    assert got == "Pending", f"{name}: phase {got}, but a container without status makes the pod Pending"


# ---------------------------------------------------------------------------------------------
# a pod's life on a node
# ---------------------------------------------------------------------------------------------
def _pod(name: str = "p", policy: str = "Always", containers: int = 1, image: str = "nginx:1.27",
         probe_delay: int | None = None) -> dict[str, Any]:
    cs: list[dict[str, Any]] = [{"name": f"c{i}", "image": image} for i in range(containers)]
    if probe_delay is not None:
        cs[0]["readinessProbe"] = {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": probe_delay}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": policy, "containers": cs}}


@pytest.fixture(scope="module")
def node1() -> ClusterState:
    return rm.new_cluster(1)


def _get(s: ClusterState, name: str = "p") -> dict[str, Any]:
    pod = rm.get(s, "Pod", name)
    assert pod is not None, f"pod {name} is gone"
    return pod


def _cond(pod: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    return next((c for c in pod["status"].get("conditions") or [] if c["type"] == ctype), None)


def _cs(pod: dict[str, Any], name: str = "c0") -> dict[str, Any]:
    return next(c for c in pod["status"]["containerStatuses"] if c["name"] == name)


def test_pod_starts_pending_then_running_and_ready(node1: ClusterState) -> None:
    s = rm.apply_manifest(node1, _pod())
    assert _get(s)["status"]["phase"] == "Pending", "a new pod is not Pending (P-1)"
    phases = []
    for _event, st in rm.converge_steps(s):
        phases.append(_get(st)["status"]["phase"])
    assert phases[-1] == "Running" and "Pending" in phases, f"phases {phases}"
    pod = _get(st)
    assert pod["status"]["podIP"] and pod["status"]["hostIP"], "no pod/host IP on a running pod"
    assert _cond(pod, "Ready")["status"] == "True" and _cond(pod, "ContainersReady")["status"] == "True"
    assert _cs(pod)["state"].get("running") is not None and _cs(pod)["ready"] is True


def test_readiness_probe_initial_delay(node1: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(node1, _pod(probe_delay=20)))
    pod = _get(s)
    started = parse_time(_cs(pod)["state"]["running"]["startedAt"])
    ready_at = parse_time(_cond(pod, "Ready")["lastTransitionTime"])
    assert ready_at - started == 20, f"ready {ready_at - started}s after start, but initialDelaySeconds is 20"


def test_readiness_changes_never_restart_or_change_phase(node1: ClusterState) -> None:
    # P-5: a failing readiness probe only flips Ready
    s = rm.converge(rm.apply_manifest(node1, _pod()))
    s = rm.converge(rm.step(s, ReadinessChanged("default", "p", False)))
    pod = _get(s)
    assert _cond(pod, "Ready")["status"] == "False" and _cond(pod, "Ready").get("reason") == "ContainersNotReady"
    assert pod["status"]["phase"] == "Running" and _cs(pod)["restartCount"] == 0
    s = rm.converge(rm.step(s, ReadinessChanged("default", "p", True)))
    assert _cond(_get(s), "Ready")["status"] == "True"


# conformance "Container Runtime ... when starting a container that exits": (policy, exit code) ->
# (phase after every container exited once, restartCount of the exited container)
RESTART_POLICY = [
    ("Always", 0, "Running", 1),
    ("Always", 1, "Running", 1),
    ("OnFailure", 0, "Succeeded", 0),
    ("OnFailure", 1, "Running", 1),
    ("Never", 0, "Succeeded", 0),
    ("Never", 1, "Failed", 0),
]


@pytest.mark.parametrize(("policy", "code", "phase", "restarts"), RESTART_POLICY)
def test_restart_policy(node1: ClusterState, policy: str, code: int, phase: str, restarts: int) -> None:
    # P-2
    s = rm.converge(rm.apply_manifest(node1, _pod(policy=policy)))
    s = rm.converge(rm.step(s, ContainerExited("default", "p", "c0", code)))
    pod = _get(s)
    got = (pod["status"]["phase"], _cs(pod)["restartCount"])
    assert got == (phase, restarts), f"{policy}/exit {code}: (phase, restarts)={got}, but should be {(phase, restarts)}"
    if phase in ("Succeeded", "Failed"):
        assert _cond(pod, "Ready")["status"] == "False"
        term = _cs(pod)["state"]["terminated"]
        assert term["exitCode"] == code and term["reason"] == ("Completed" if code == 0 else "Error")


def test_terminal_pod_is_not_restarted(node1: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(node1, _pod(policy="Never")))
    s = rm.converge(rm.step(s, ContainerExited("default", "p", "c0", 0)))
    s2 = rm.converge(rm.step(s, ClockAdvanced(3600)))
    assert _get(s2)["status"] == _get(s)["status"], "a Succeeded pod changed later"
    r = rm.transition(s2, ContainerExited("default", "p", "c0", 1))
    assert r.rejection is not None and r.state is s2, "exiting a container that is not running was accepted"


def test_failed_pod_ready_reason_is_pod_failed(node1: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(node1, _pod(policy="Never")))
    s = rm.converge(rm.step(s, ContainerExited("default", "p", "c0", 1)))
    pod = _get(s)
    assert pod["status"]["phase"] == "Failed"
    reasons = (_cond(pod, "Ready").get("reason"), _cond(pod, "ContainersReady").get("reason"))
    assert reasons == ("PodFailed", "PodFailed"), f"Ready/ContainersReady reasons {reasons}, but should be PodFailed"


def _crash_waits(s: ClusterState, crashes: int, run_for: int = 0) -> tuple[ClusterState, list[int]]:
    """Crash the container ``crashes`` times (after it ran ``run_for`` s); the seconds each restart took."""
    waits = []
    for _ in range(crashes):
        if run_for:
            s = rm.step(s, ClockAdvanced(run_for))
        before = _cs(_get(s))["restartCount"]
        t = s.now
        s = rm.step(s, ContainerExited("default", "p", "c0", 1))
        s = rm.converge(s)
        cs = _cs(_get(s))
        assert cs["restartCount"] == before + 1 and "running" in cs["state"], f"container not restarted: {cs}"
        waits.append(s.now - t)
    return s, waits


def test_crash_back_off_doubles_and_is_capped_at_300s(node1: ClusterState) -> None:
    # P-3: every wait doubles the previous one until the 300 s cap; the pod stays Running meanwhile
    s = rm.converge(rm.apply_manifest(node1, _pod()))
    s = rm.step(s, ContainerExited("default", "p", "c0", 1))
    pod = _get(s)
    assert pod["status"]["phase"] == "Running" and _cs(pod)["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert _cs(pod)["lastState"]["terminated"]["exitCode"] == 1
    _s, waits = _crash_waits(rm.converge(s), 8)
    assert max(waits) == 300 and waits[-1] == waits[-2] == 300, f"waits {waits}, but should be capped at 300s"
    growing = [w for w in waits if w < 300]
    assert all(b == 2 * a for a, b in itertools.pairwise(growing[1:])), f"waits {waits}, but should double"


def test_crash_back_off_sequence_matches_kubelet(node1: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(node1, _pod()))
    _s, waits = _crash_waits(s, 8)
    assert waits == [0, 10, 20, 40, 80, 160, 300, 300], f"restart waits {waits}, but should be 0,10,20,...,300"


def test_crash_back_off_resets_after_ten_minutes_of_running(node1: ClusterState) -> None:
    s = rm.converge(rm.apply_manifest(node1, _pod()))
    s, _ = _crash_waits(s, 6)
    _s, waits = _crash_waits(s, 1, run_for=601)
    assert waits[0] < 300, f"restart took {waits[0]}s after 10 min of running, but the back-off should have reset"


def test_image_pull_back_off_is_a_retry_converge_does_not_wait_for(node1: ClusterState) -> None:
    s = rm.step(node1, ImagePullFailed("registry.example/app:missing"))
    s = rm.converge(rm.apply_manifest(s, _pod(image="registry.example/app:missing")))
    pod = _get(s)
    reason = _cs(pod)["state"]["waiting"]["reason"]
    assert reason in ("ErrImagePull", "ImagePullBackOff") and pod["status"]["phase"] == "Pending", (
        f"state {_cs(pod)['state']}, phase {pod['status']['phase']}")
    s = rm.converge(rm.step(s, ClockAdvanced(120)))
    assert _cs(_get(s))["state"]["waiting"]["reason"] == "ImagePullBackOff"
    s = rm.converge(rm.step(s, ImagePullRecovered("registry.example/app:missing")))
    pod = _get(s)
    assert pod["status"]["phase"] == "Running" and "running" in _cs(pod)["state"], "pull not retried after recovery"


def test_kubelet_of_a_failed_node_does_nothing(node1: ClusterState) -> None:
    s = rm.step(rm.apply_manifest(node1, _pod()), NodeFailed("node-0"))
    s = rm.step(s, Reconcile("scheduler", "queue"))
    before = _get(s)["status"]
    s2 = rm.step(s, Reconcile("kubelet", "node-0"))
    assert _get(s2)["status"] == before, "a failed node's kubelet changed a pod"
    r = rm.transition(s2, ContainerExited("default", "p", "c0", 1))
    assert r.state is s2, "a container exit on a failed node changed the state"


def test_pod_ips_are_unique(node1: ClusterState) -> None:
    s = node1
    for i in range(5):
        s = rm.apply_manifest(s, _pod(f"p{i}"))
    s = rm.converge(s)
    ips = [_get(s, f"p{i}")["status"]["podIP"] for i in range(5)]
    assert len(set(ips)) == 5, f"pod IPs {ips}, but every pod needs its own"


def test_deleted_pod_held_by_a_finalizer_is_stopped(node1: ClusterState) -> None:
    raw = _pod()
    raw["metadata"]["finalizers"] = ["example.com/hold"]
    s = rm.converge(rm.apply_manifest(node1, raw))
    s = rm.converge(rm.step(s, Delete("Pod", "default", "p")))
    pod = _get(s)
    assert pod["status"]["phase"] in ("Succeeded", "Failed"), f"phase {pod['status']['phase']} after the kubelet " \
        "stopped a deleted pod, but should be terminal"
    assert _cond(pod, "Ready")["status"] == "False" and "terminated" in _cs(pod)["state"]



# ---------------------------------------------------------------------------------------------
# pod workers (pkg/kubelet/pod_workers.go) and the status manager's batches (status_manager.go syncBatch)
# ---------------------------------------------------------------------------------------------
def _bound(s: ClusterState, *names: str) -> ClusterState:
    for name in names:
        s = rm.apply_manifest(s, _pod(name))
    return rm.step(s, Reconcile("scheduler", "queue"))


def test_a_binding_queues_the_pods_own_worker(node1: ClusterState) -> None:
    s = _bound(node1, "p")
    kubelet_keys = sorted(k for c, k in s.dirty if c == "kubelet")
    assert kubelet_keys == ["default/p"], f"kubelet work keys {kubelet_keys} after a binding, but should be the pod's"


def test_pod_timers_are_per_pod(node1: ClusterState) -> None:
    s = rm.step(_bound(node1, "p"), Reconcile("kubelet", "default/p"))
    timed = sorted(k for slot in s.timers.values() for c, k in slot if c == "kubelet")
    assert timed == ["default/p"], f"kubelet timers {timed} after admission, but should be the pod's (image pull)"


def test_statuses_wait_for_the_nodes_status_key_and_are_written_together(node1: ClusterState) -> None:
    s = _bound(node1, "a", "b")
    s = rm.step(rm.step(s, Reconcile("kubelet", "default/a")), Reconcile("kubelet", "default/b"))
    assert "status" not in _get(s, "a") or not _get(s, "a")["status"].get("podIP"), "a pod sync wrote its status"
    assert ("kubelet", "status:node-0") in s.dirty, f"dirty {sorted(s.dirty)}: the node's status key is not queued"
    rv = s.rv
    s = rm.step(s, Reconcile("kubelet", "status:node-0"))
    ips = {_get(s, n)["status"].get("podIP") for n in ("a", "b")}
    assert None not in ips and len(ips) == 2, f"pod IPs {ips} after the status flush, but should be two"
    assert s.rv == rv + 2 and s.env.get(kubelet.PENDING) is None, (
        f"rv {s.rv} (was {rv}), pending {s.env.get(kubelet.PENDING)}: the two statuses should be written, once each")


def test_a_status_for_a_pod_whose_status_another_wrote_is_dropped_and_the_pod_synced_again(
        node1: ClusterState) -> None:
    s = rm.step(_bound(node1, "p"), Reconcile("kubelet", "default/p"))
    s = rm.step(s, ReadinessChanged("default", "p", False))  # no write to the pod: the status stays pending
    pod = _get(s)
    s = door.update_status(s, freeze({**pod, "status": {**pod["status"], "message": "another writer"}})).state
    s = rm.step(s, Reconcile("kubelet", "status:node-0"))  # must not raise a lost update
    assert ("kubelet", "default/p") in s.dirty, "the pod whose pending status was dropped is not queued again"
    assert _get(s)["status"].get("message") == "another writer", "the stale pending status overwrote another's write"
    s = rm.converge(s)
    assert _get(s)["status"]["phase"] == "Running"


# status_manager.go syncPod: the cached status is merged onto the pod it gets and patched (PatchPodStatus)
def test_a_status_for_a_pod_whose_metadata_changed_is_written_onto_the_pod_as_it_is(node1: ClusterState) -> None:
    s = rm.step(_bound(node1, "p"), Reconcile("kubelet", "default/p"))
    pending = s.env.get(kubelet.PENDING)["node-0"][("default", "p")][1]
    pod = _get(s)
    raw = {k: v for k, v in pod.items() if k != "status"}
    raw["metadata"] = {**raw["metadata"], "labels": {"changed": "yes"}}
    s = rm.apply_manifest(s, raw)
    s = rm.step(s, Reconcile("kubelet", "status:node-0"))
    got = _get(s)
    assert got["metadata"]["labels"] == {"changed": "yes"} and freeze(got["status"]) == pending, (
        f"labels {got['metadata'].get('labels')}, status {got['status']} after the flush, but should be the new "
        f"labels and the pending status {pending}")


def test_a_crash_restart_is_not_delayed_by_a_label_change_before_its_status_is_written(node1: ClusterState) -> None:
    # P-3: the first restart is immediate (doBackOff finds no back-off entry); a change to the pod's metadata
    # between the sync that restarts the container and the flush must not lose the restart (the back-off
    # table already counts it: a second sync waited 10 s, then restarted with a 20 s back-off)
    s = rm.converge(rm.apply_manifest(node1, _pod()))
    s = rm.step(s, ContainerExited("default", "p", "c0", 137))
    exited = _cs(_get(s))["lastState"]["terminated"]["finishedAt"]
    s = rm.step(s, Reconcile("kubelet", "default/p"))  # restarts it: the running status is pending
    raw = {k: v for k, v in _get(s).items() if k != "status"}
    raw["metadata"] = {**raw["metadata"], "labels": {"changed": "yes"}}
    s = rm.converge(rm.apply_manifest(s, raw))
    cs = _cs(_get(s))
    started = (cs["state"].get("running") or {}).get("startedAt")
    assert (cs["restartCount"], started) == (1, exited), (
        f"restart {cs['restartCount']} started at {started}, but should be restart 1 at {exited}, when it exited")


def test_node_key_syncs_every_pod_of_the_node_at_once(node1: ClusterState) -> None:
    # the work key of every pod before pods had their own, and what a node's recovery queues
    s = _bound(node1, "a", "b")
    s = rm.step(s, Reconcile("kubelet", "node-0"))
    ips = {_get(s, n)["status"].get("podIP") for n in ("a", "b")}
    assert None not in ips and len(ips) == 2, f"pod IPs {ips} after the node's sync, but should be two"
    assert ("kubelet", "status:node-0") not in s.dirty, "the node sync left its status key queued"


def test_one_new_pod_costs_its_own_syncs_not_its_nodes(node1: ClusterState) -> None:
    s = rm.converge(_bound(node1, *(f"p{i}" for i in range(40))))
    counters = WorkCounters()
    rm.converge(_bound(s, "new"), counters=counters)
    visits = counters.get("kubelet", "pod_visits")
    assert 1 <= visits <= 3, f"{visits} kubelet pod visits for one new pod on a node of 40, but should be 2 (admit, start)"


# ---------------------------------------------------------------------------------------------
# converge's runs of pod syncs (kubelet.sync_pods): the same state as the syncs one at a time
# ---------------------------------------------------------------------------------------------
def _mixed_pods(s: ClusterState) -> ClusterState:
    """Pods that take every way through a pod sync: plain, probed, a bad image (pull back-off table), a
    readiness fact, a finalizer (the deleted pod is stopped and reported), a missing ConfigMap (volume gate)."""
    pods = [_pod(f"plain{i}") for i in range(6)] + [_pod("probed", probe_delay=3), _pod("bad", image="nginx:broken"),
                                                      _pod("fact")]
    held = _pod("held")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    gated = _pod("gated")
    gated["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "absent"}}]
    gated["spec"]["containers"][0]["volumeMounts"] = [{"name": "cfg", "mountPath": "/etc/cfg"}]
    for raw in (*pods, held, gated):
        s = rm.apply_manifest(s, raw)
    return rm.step(s, ImagePullFailed("nginx:broken"))


def _one_at_a_time(s: ClusterState) -> ClusterState:
    final = s
    for _event, final in rm.converge_steps(s):  # noqa: B007
        pass
    return final


@pytest.mark.parametrize("nodes", [1, 3])
def test_converge_runs_of_pod_syncs_end_where_one_at_a_time_ends(nodes: int) -> None:
    # converge takes a run of queued pod keys in one go (kubelet.sync_pods); converge_steps one key at a time
    s = _mixed_pods(rm.new_cluster(nodes))
    for when, start in (("from creation", s),
                        ("after a readiness fact and a delete", rm.step(rm.step(
                            rm.converge(s), ReadinessChanged("default", "fact", False)), Delete("Pod", "default", "held")))):
        batched, single = rm.converge(start), _one_at_a_time(start)
        diff = [f.name for f in attrs.fields(ClusterState) if getattr(batched, f.name) != getattr(single, f.name)]
        assert not diff, f"{when}: converge differs from converge_steps in {diff}, but should end in the same state"
        assert rm.get(batched, "Pod", "plain0")["status"]["phase"] == "Running", "the plain pods did not start"


def test_sync_pods_is_the_syncs_of_its_keys_one_after_another() -> None:
    s = _mixed_pods(rm.new_cluster(2))
    s = rm.step(s, Reconcile("scheduler", "queue"))
    keys = sorted(k for c, k in s.dirty if c == "kubelet" and "/" in k)
    assert len(keys) >= 10, f"kubelet pod keys {keys} after the bindings, but every pod should have one"
    keys.insert(3, "default/not-queued")  # a key no longer queued is skipped, as converge skips it
    for rounds in range(4):  # admission, again before the flush (from the pending statuses), then start ...
        batched, done = kubelet.sync_pods(s, keys)
        single = s
        for key in keys:
            if ("kubelet", key) in single.dirty:
                single = kubelet.sync(single.replace(dirty=single.dirty.delete(("kubelet", key))), key)
        assert done == len(keys) - 1, f"round {rounds}: {done} pod syncs counted, but {len(keys) - 1} keys were queued"
        diff = [f.name for f in attrs.fields(ClusterState) if getattr(batched, f.name) != getattr(single, f.name)]
        assert not diff, f"round {rounds}: sync_pods differs from the syncs one at a time in {diff}"
        if rounds % 2 == 1:  # the statuses written, then the clock moves (pulls done, back-off due)
            batched = rm.step(rm.converge(batched, ("kubelet",)), ClockAdvanced(5))
        s = batched.enqueue_many([("kubelet", k) for k in keys if k != "default/not-queued"])


def _deployment(name: str, replicas: int, strategy: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "strategy": {"type": strategy}, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


def _terminating_run(recreate: str) -> tuple[ClusterState, list[str]]:
    """Running pods of a RollingUpdate and of a Recreate Deployment (named ``recreate``), plain pods and one
    held by a finalizer, all deleted (their kubelets' next syncs are the final removals; the keys queue in
    name order), with a pod no node takes pending (so a removal wakes the scheduler); the kubelet keys
    queued, in queue order."""
    s = rm.new_cluster(2)
    for raw in (_deployment("roll", 3, "RollingUpdate"), _deployment(recreate, 3, "Recreate"),
                *(_pod(f"plain{i}") for i in range(3))):
        s = rm.apply_manifest(s, raw)
    held = _pod("q-held")  # synced between the plain pods' removals and the RollingUpdate's
    held["metadata"]["finalizers"] = ["example.com/hold"]
    s = rm.converge(rm.apply_manifest(s, held))
    stuck = _pod("stuck")
    stuck["spec"]["nodeSelector"] = {"disk": "none-has-it"}
    s = rm.converge(rm.apply_manifest(s, stuck))
    pods = sorted(p["metadata"]["name"] for p in s.iter_kind("Pod", "default") if p["spec"].get("nodeName"))
    assert len(pods) == 10, f"bound pods {pods}, but the three Deployments' and the plain pods should all run"
    for name in pods:
        s = rm.step(s, Delete("Pod", "default", name))
    keys = [k for (c, k), _ in sorted(s.dirty.items(), key=lambda kv: kv[1]) if c == "kubelet" and "/" in k]
    assert len(keys) == 10, f"kubelet keys {keys} after the deletes, but every deleted pod should have one"
    return s, keys


@pytest.mark.parametrize("recreate", ["again", "zz-again"])
def test_sync_pods_removes_terminated_pods_as_the_syncs_one_after_another_do(recreate: str) -> None:
    # a run's final removals go as one request (kubelet._remove), but a Recreate Deployment's pods one by one
    # (its deletePod counts the pods left: in a batch each removal would see none left and wake it at the first,
    # before the scheduler's key, where one at a time wakes it at its last: checked when its pods go first), and
    # the removals before a sync that writes go before it (when they go first, the plain pods' removals wake the
    # scheduler before the held pod's status queues its node's key); the states, queue order included, agree
    s, keys = _terminating_run(recreate)
    batched, done = kubelet.sync_pods(s, keys)
    single = s
    for key in keys:
        single = kubelet.sync(single.replace(dirty=single.dirty.delete(("kubelet", key))), key)
    assert done == len(keys), f"{done} pod syncs counted, but {len(keys)} keys were queued"
    diff = [f.name for f in attrs.fields(ClusterState) if getattr(batched, f.name) != getattr(single, f.name)]
    assert not diff, f"sync_pods differs from the syncs one at a time in {diff}, but should not"
    left = sorted(p["metadata"]["name"] for p in batched.iter_kind("Pod", "default"))
    assert left == ["q-held", "stuck"], f"pods {left} after the removals, but only the held and the pending should stay"
    queued = [k for k, _ in sorted(batched.dirty.items(), key=lambda kv: kv[1]) if k[0] == "deployment"]
    assert queued == [("deployment", f"default/{recreate}")], f"{queued} queued, but the Recreate Deployment should be"


# ---------------------------------------------------------------------------------------------
# converge's runs of node status keys (kubelet.flush_many): the same state as the flushes one at a time
# ---------------------------------------------------------------------------------------------
def _labelled(name: str) -> dict[str, Any]:
    raw = _pod(name)
    raw["metadata"]["labels"] = {"app": "web"}
    return raw


_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}


def _pending_on_every_node(nodes: int) -> ClusterState:
    """Labelled pods behind a Service (the endpoints controllers watch their status writes) on ``nodes``
    nodes, synced once: every node has statuses pending and its status key queued."""
    s = rm.converge(rm.apply_manifest(rm.new_cluster(nodes), _SERVICE))
    for i in range(4 * nodes):
        s = rm.apply_manifest(s, _labelled(f"w{i}"))
    s = rm.step(s, Reconcile("scheduler", "queue"))
    s, _ = kubelet.sync_pods(s, sorted(k for c, k in s.dirty if c == "kubelet" and "/" in k))
    return s


def _flushed_one_at_a_time(s: ClusterState, keys: list[str]) -> ClusterState:
    for key in keys:
        if ("kubelet", key) in s.dirty:
            s = kubelet.sync(s.replace(dirty=s.dirty.delete(("kubelet", key))), key)
    return s


def _differences(a: ClusterState, b: ClusterState) -> list[str]:
    return [f.name for f in attrs.fields(ClusterState) if getattr(a, f.name) != getattr(b, f.name)]


@pytest.mark.parametrize("run", [1, 5, 256])
def test_flush_many_is_the_flushes_of_its_keys_one_after_another(run: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # run: the statuses flush_many sends in one request, at least (1: one node's per request; 256: all in one)
    monkeypatch.setattr(kubelet, "FLUSH_RUN", run)
    s = _pending_on_every_node(3)
    keys = sorted(k for c, k in s.dirty if c == "kubelet" and k.startswith(kubelet.STATUS_PREFIX))
    assert len(keys) == 3, f"status keys {keys} after the pod syncs, but every node should have one"
    keys.insert(1, kubelet.STATUS_PREFIX + "node-9")  # a key no longer queued is skipped, as converge skips it
    batched, done = kubelet.flush_many(s, keys)
    assert done == 3, f"{done} flushes counted, but 3 status keys were queued"
    single = _flushed_one_at_a_time(s, keys)
    diff = _differences(batched, single)
    assert not diff, f"flush_many differs from the flushes one at a time in {diff}, but should not"
    assert batched.env.get(kubelet.PENDING) is None, "statuses are still pending after every node was flushed"
    assert any(c == "endpoints" for c, _ in batched.dirty), "the status writes did not wake the endpoints controller"


@pytest.mark.parametrize("run", [1, 256])
def test_flush_many_with_a_dropped_status_queues_the_pod_again_where_one_at_a_time_does(
        run: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kubelet, "FLUSH_RUN", run)
    s = _pending_on_every_node(3)
    keys = [k for (c, k), _ in sorted(s.dirty.items(), key=lambda kv: kv[1])
            if c == "kubelet" and k.startswith(kubelet.STATUS_PREFIX)]
    # a pod of the node flushed last: with run=1 the nodes before it are written first, a request each
    victim = next(p for p in s.iter_kind("Pod", "default")
                  if kubelet.STATUS_PREFIX + (p["spec"].get("nodeName") or "") == keys[-1])
    name = victim["metadata"]["name"]
    s = door.update_status(s, freeze({**victim, "status": {**victim["status"], "message": "another writer"}})).state
    # its pending status is now stale (another wrote its status): it is dropped and the pod synced again
    batched, done = kubelet.flush_many(s, keys)
    single = _flushed_one_at_a_time(s, keys)
    assert done == len(keys), f"{done} flushes counted, but {len(keys)} status keys were queued"
    diff = _differences(batched, single)
    assert not diff, f"flush_many differs from the flushes one at a time in {diff}, but should not"
    assert ("kubelet", f"default/{name}") in batched.dirty, "the pod whose status was dropped is not queued again"
    written = [p["metadata"]["name"] for p in batched.iter_kind("Pod", "default") if p["status"].get("podIP")]
    assert len(written) == 4 * 3 - 1, f"{len(written)} pods have their status written, but every other pod should"


def test_converge_hands_a_run_of_flushes_the_only_reference_to_its_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """converge holds no state between steps and hands a run of kubelet keys the state it starts from
    (refmodel/core.py _run): the pods a run's first request replaced are freed before its second request,
    while still cached, not after the run. Checked through a weak reference to the state the run started
    from, at each run's second request (one node's statuses per request)."""
    monkeypatch.setattr(kubelet, "FLUSH_RUN", 1)
    flush_many, update_status_many = kubelet.flush_many, kubelet.update_status_many
    started: list[Any] = []  # a weak reference to the state of the run going on, and its requests so far
    alive: list[bool] = []  # per run of two requests or more: whether its first state lived on at the second

    def flush_run(state: ClusterState, keys: list[str]) -> tuple[ClusterState, int]:
        started[:] = [weakref.ref(state), 0]
        handed = [state]
        del state
        return flush_many(handed.pop(), keys)

    def request(state: ClusterState, controller: str, objs: Any) -> ClusterState:
        if started:
            started[1] += 1
            if started[1] == 2:
                alive.append(started[0]() is not None)
        return update_status_many(state, controller, objs)

    monkeypatch.setattr(kubelet, "flush_many", flush_run)
    monkeypatch.setattr(kubelet, "update_status_many", request)
    s = rm.apply_manifest(rm.new_cluster(3), _deployment("web", 6, "RollingUpdate"))
    pods = rm.converge(s).count("Pod")
    assert pods == 6, f"{pods} pods after the converge, but the Deployment asks for 6"
    assert alive, "no run of flushes sent two requests: the scenario does not test the hand-over"
    assert not any(alive), f"a run's first state was alive at its second request in {sum(alive)} of {len(alive)} " \
        "runs, but converge should hold no state between steps"


@pytest.mark.parametrize("nodes", [2, 5])
def test_converge_with_runs_of_flushes_ends_where_one_at_a_time_ends(nodes: int) -> None:
    s = rm.apply_manifest(rm.new_cluster(nodes), _SERVICE)
    for i in range(6 * nodes):
        s = rm.apply_manifest(s, _labelled(f"w{i}"))
    batched, single = rm.converge(s), _one_at_a_time(s)
    diff = _differences(batched, single)
    assert not diff, f"converge differs from converge_steps in {diff}, but should end in the same state"
