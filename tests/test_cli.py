"""The ``kubeoracle`` command line (simulate, validate, dispatch) and the kubectl-style printers.

Most tests drive ``conformance.cli.main`` in-process; two run the installed console script.
The model itself is the oracle: what ``simulate`` prints is compared with what the facade
(``rm.new_cluster``/``apply_manifest``/``converge``/``list_objects``) says the cluster holds.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import refmodel as rm
from conformance import cli, output
from refmodel.resources import REGISTRY

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
MAX_STEPS = 20_000  # these clusters are tiny: a livelock should fail fast, not hang the suite


@pytest.fixture(autouse=True)
def bounded_converge(monkeypatch: pytest.MonkeyPatch) -> None:
    """``rm.converge`` for the CLI under test, but giving up after MAX_STEPS reconciles and clock moves
    (a re-queue timer that fires at the current time again and again never trips converge's own budget)."""

    def converge(state: rm.ClusterState, *args: Any, **kwargs: Any) -> rm.ClusterState:
        last = state
        for n, (event, last) in enumerate(rm.converge_steps(state, *args, **kwargs), 1):
            if n > MAX_STEPS:
                raise rm.NotConverged(f"converge took more than {MAX_STEPS} steps (last: {event}), "
                                      f"but a tiny cluster should settle in far fewer [at t={last.now}s]")
        return last

    monkeypatch.setattr(rm, "converge", converge)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def write(tmp_path: Path, name: str, objs: list[dict[str, Any]] | str) -> Path:
    p = tmp_path / name
    p.write_text(objs if isinstance(objs, str) else rm.dump_manifests(objs), encoding="utf-8")
    return p


def replicaset(name: str = "fe", replicas: int = 3, namespace: str | None = "shop",
               image: str = "nginx:1.27") -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if namespace:
        md["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": md,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}}}


def deployment(name: str = "web", selector: str = "web", labels: str = "web") -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": selector}},
                     "template": {"metadata": {"labels": {"app": labels}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}


SHOP = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    replicaset(),
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "fe", "namespace": "shop"},
     "spec": {"selector": {"app": "fe"}, "ports": [{"port": 80}]}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reviews", "namespace": "shop"}},
]


def model_of(objs: list[dict[str, Any]], nodes: int = 3) -> rm.ClusterState:
    """The facade's answer: what the cluster holds after applying ``objs`` and converging."""
    state = rm.new_cluster(nodes=nodes)
    for o in objs:
        state = rm.apply_manifest(state, o)
    return rm.converge(state)


def tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Parse simulate's tables back: {kind prefix: [row as {column: cell}]}; cells hold no spaces."""
    out: dict[str, list[dict[str, str]]] = {}
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        header = lines[0].split()
        rows = [dict(zip(header, line.split())) for line in lines[1:]]
        prefix = rows[0]["NAME"].split("/")[0] if rows else ""
        out[prefix] = rows
    return out


def headers(text: str) -> dict[str, list[str]]:
    out = {}
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        out[lines[1].split()[lines[0].split().index("NAME")].split("/")[0]] = lines[0].split()
    return out


# ---------------------------------------------------------------------------------------------
# printers: upstream tables
# ---------------------------------------------------------------------------------------------
# TestHumanDuration (staging/src/k8s.io/apimachinery/pkg/util/duration/duration_test.go)
@pytest.mark.parametrize(("case", "seconds", "want"), [
    (0, 1, "1s"), (1, 70, "70s"), (2, 190, "3m10s"), (3, 70 * 60, "70m"), (4, 47 * 3600, "47h"),
    (5, 49 * 3600, "2d1h"), (6, (8 * 24 + 2) * 3600, "8d"), (7, 367 * 24 * 3600, "367d"),
    (8, (365 * 2 * 24 + 25) * 3600, "2y1d"), (9, (365 * 8 * 24 + 2) * 3600, "8y"),
])
def test_human_duration(case: int, seconds: int, want: str) -> None:
    got = output.human_duration(seconds)
    assert got == want, f"HumanDuration({seconds}s)={got!r}, but should be {want!r} [TestHumanDuration #{case}]"


# TestHumanDurationBoundaries: durations in milliseconds, truncated to whole seconds as Go's int(d.Seconds())
H, D, Y = 3600_000, 24 * 3600_000, 365 * 24 * 3600_000


@pytest.mark.parametrize(("case", "ms", "want"), [
    (0, -2000, "<invalid>"), (1, -1999, "0s"), (2, 0, "0s"), (3, 999, "0s"), (4, 120_000 - 1, "119s"), (5, 120_000, "2m"),
    (6, 121_000, "2m1s"), (7, 600_000 - 1, "9m59s"), (8, 600_000, "10m"), (9, 601_000, "10m"),
    (10, 3 * H - 1, "179m"), (11, 3 * H, "3h"), (12, 3 * H + 60_000, "3h1m"), (13, 8 * H - 1, "7h59m"),
    (14, 8 * H, "8h"), (15, 8 * H + 59 * 60_000, "8h"), (16, 2 * D - 1, "47h"), (17, 2 * D, "2d"),
    (18, 2 * D + H, "2d1h"), (19, 8 * D - 1, "7d23h"), (20, 8 * D, "8d"), (21, 8 * D + 23 * H, "8d"),
    (22, 2 * Y - 1, "729d"), (23, 2 * Y, "2y"), (24, 2 * Y + 23 * H, "2y"), (25, 2 * Y + 23 * H + 59 * 60_000, "2y"), (26, 2 * Y + D - 1, "2y"),
    (27, 2 * Y + D, "2y1d"), (28, 3 * Y, "3y"), (29, 4 * Y, "4y"), (30, 5 * Y, "5y"), (31, 6 * Y, "6y"),
    (32, 7 * Y, "7y"), (33, 8 * Y - 1, "7y364d"), (34, 8 * Y, "8y"),
    (35, 8 * Y + 364 * D, "8y"), (36, 9 * Y, "9y"),
])
def test_human_duration_boundaries(case: int, ms: int, want: str) -> None:
    seconds = int(ms / 1000)  # truncation toward zero, like Go
    got = output.human_duration(seconds)
    assert got == want, f"HumanDuration({ms}ms)={got!r}, but should be {want!r} [TestHumanDurationBoundaries #{case}]"


def _cs(ready: bool = False, restarts: int = 0, state: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"ready": ready, "restartCount": restarts, "state": state or {}, **extra}


RUNNING: dict[str, Any] = {"running": {}}


def _pod(containers: int, phase: str, statuses: list[dict[str, Any]], *, init: list[dict[str, Any]] | None = None,
         init_statuses: list[dict[str, Any]] | None = None, reason: str = "", conditions: list[dict[str, Any]] | None = None,
         deleted: bool = False) -> dict[str, Any]:
    md: dict[str, Any] = {"name": "p"}
    if deleted:
        md["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    status: dict[str, Any] = {"phase": phase, "containerStatuses": statuses}
    if reason:
        status["reason"] = reason
    if conditions:
        status["conditions"] = conditions
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}"} for i in range(containers)]}
    if init is not None:
        spec["initContainers"] = init
    return {"kind": "Pod", "metadata": md, "spec": spec, "status": status}


# TestPrintPod (pkg/printers/internalversion/printers_test.go): (ready, status, restart count)
PRINT_POD_CASES = [
    (0, _pod(2, "podPhase", [_cs(True, 3, RUNNING), _cs(False, 3)]), "1/2", "podPhase", 6),
    (1, _pod(2, "podPhase", [_cs(True, 3, RUNNING), _cs(False, 3, {"waiting": {"reason": "ContainerWaitingReason"}})]),
     "1/2", "ContainerWaitingReason", 6),
    (2, _pod(2, "podPhase", [_cs(False, 3, {"waiting": {"reason": "ContainerWaitingReason"}}),
                             _cs(False, 3, {"terminated": {"reason": "ContainerTerminatedReason"}})]),
     "0/2", "ContainerWaitingReason", 6),
    (3, _pod(2, "podPhase", [_cs(True, 3, RUNNING), _cs(True, 3)]), "1/2", "podPhase", 6),
    (4, _pod(2, "podPhase", [_cs(True, 3, RUNNING), _cs(True, 3)], reason="podReason"), "1/2", "podReason", 6),
    (5, _pod(2, "Running", [_cs(True, 3, {"terminated": {"reason": "Completed", "exitCode": 0}}),
                            _cs(True, 3, RUNNING)]), "1/2", "NotReady", 6),
    (6, _pod(2, "Running", [_cs(True, 3, {"terminated": {"reason": "Completed", "exitCode": 0}}),
                            _cs(True, 3, RUNNING)], conditions=[{"type": "Ready", "status": "True"}]),
     "1/2", "Running", 6),
    (7, _pod(1, "podPhase", [_cs(False, 0, {"waiting": {}})], init=[{"name": "i0"}],
             init_statuses=[_cs(False, 3, RUNNING, name="i0")]), "0/1", "Init:0/1", 3),
    (8, _pod(1, "podPhase", [_cs(False, 0, {"waiting": {}})], init=[{"name": "i0"}, {"name": "i1"}],
             init_statuses=[_cs(False, 3, RUNNING, name="i0"), _cs(False, 0, {"waiting": {}}, name="i1")]),
     "0/1", "Init:0/2", 3),
    (9, _pod(1, "podPhase", [_cs(False, 0, {"waiting": {}})], init=[{"name": "i0"}, {"name": "i1"}],
             init_statuses=[_cs(False, 0, {"terminated": {}}, name="i0"), _cs(False, 3, RUNNING, name="i1")]),
     "0/1", "Init:1/2", 3),
    (10, _pod(1, "podPhase", [_cs(False, 0, {"waiting": {}})], init=[{"name": "i0"}, {"name": "i1"}],
              init_statuses=[_cs(False, 2, {"terminated": {}}, name="i0"), _cs(False, 3, RUNNING, name="i1")]),
     "0/1", "Init:1/2", 5),
    (11, _pod(1, "Running", [_cs(False, 4, RUNNING)], init=[{"name": "i0"}],
              init_statuses=[_cs(False, 2, {"terminated": {}}, name="i0")]), "0/1", "Running", 4),
    (12, _pod(1, "Running", [_cs(True, 3, RUNNING)]), "1/1", "Running", 3),
    (13, _pod(2, "Running", [_cs(True, 0, RUNNING), _cs(True, 3, RUNNING)]), "2/2", "Running", 3),
    (14, _pod(2, "Running", [_cs(True, 6, RUNNING), _cs(True, 3, RUNNING)]), "2/2", "Running", 9),
    (15, _pod(2, "podPhase", [], conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     "0/2", "SchedulingGated", 0),
    (16, _pod(1, "Succeeded", [_cs(False, 0, {"terminated": {"reason": "Completed", "exitCode": 0}})]),
     "0/1", "Completed", 0),
    (17, _pod(1, "Failed", [_cs(False, 0, {"terminated": {"reason": "Error", "exitCode": 1}})]), "0/1", "Error", 0),
    (18, _pod(1, "Succeeded", [_cs(False, 0, {"terminated": {"reason": "Completed", "exitCode": 0}})], deleted=True),
     "0/1", "Completed", 0),
    (19, _pod(1, "Running", [_cs(False, 0, RUNNING)], deleted=True), "0/1", "Terminating", 0),
    (20, _pod(1, "Pending", [], deleted=True), "0/1", "Terminating", 0),
]


@pytest.mark.parametrize(("case", "pod", "ready", "status", "restarts"), PRINT_POD_CASES,
                         ids=[f"TestPrintPod#{c[0]}" for c in PRINT_POD_CASES])
def test_print_pod(case: int, pod: dict[str, Any], ready: str, status: str, restarts: int) -> None:
    got = (output.pod_ready(pod), output.pod_status(pod), output.pod_restarts(pod))
    assert got == (ready, status, restarts), f"pod row (READY, STATUS, RESTARTS)={got}, but should be " \
        f"{(ready, status, restarts)} [TestPrintPod #{case}]"


ALWAYS = "Always"
RESTARTABLE_CASES = [
    (0, _pod(1, "Pending", [_cs(False, 0, {"waiting": {}})],
             init=[{"name": "r1", "restartPolicy": ALWAYS}, {"name": "r2", "restartPolicy": ALWAYS}],
             init_statuses=[_cs(False, 3, RUNNING, name="r1", started=False),
                            _cs(False, 0, {"waiting": {}}, name="r2", started=False)],
             conditions=[{"type": "Initialized", "status": "False"}]), "0/3", "Init:0/2", 3),
    (1, _pod(1, "Pending", [_cs(False, 0, {"waiting": {}})],
             init=[{"name": "r1", "restartPolicy": ALWAYS}, {"name": "r2", "restartPolicy": ALWAYS}],
             init_statuses=[_cs(False, 3, RUNNING, name="r1", started=True),
                            _cs(False, 0, RUNNING, name="r2", started=False)],
             conditions=[{"type": "Initialized", "status": "False"}]), "0/3", "Init:1/2", 3),
    (2, _pod(1, "Running", [_cs(True, 4, RUNNING)],
             init=[{"name": "r1", "restartPolicy": ALWAYS}, {"name": "r2", "restartPolicy": ALWAYS}],
             init_statuses=[_cs(False, 3, RUNNING, name="r1", started=True),
                            _cs(False, 0, RUNNING, name="r2", started=True)],
             conditions=[{"type": "Initialized", "status": "True"}]), "1/3", "Running", 7),
    (3, _pod(1, "Succeeded", [_cs(False, 4, {"terminated": {"reason": "Completed", "exitCode": 0}})],
             init=[{"name": "r1", "restartPolicy": ALWAYS}, {"name": "r2", "restartPolicy": ALWAYS}],
             init_statuses=[_cs(False, 3, {"terminated": {"reason": "Error", "exitCode": 137}}, name="r1", started=False),
                            _cs(False, 0, {"terminated": {"reason": "Error", "exitCode": 137}}, name="r2", started=False)],
             conditions=[{"type": "Initialized", "status": "True"}]), "0/3", "Completed", 7),
    (4, _pod(1, "Running", [{"name": "containerinvalid"}, {"name": "container1"}],
             init=[{"name": "init1"}, {"name": "sidecar1", "restartPolicy": ALWAYS}],
             init_statuses=[{"name": "initinvalid"}, {"name": "init1"}, {"name": "sidecar1"}]), "0/2", "Init:0/2", 0),
]


@pytest.mark.parametrize(("case", "pod", "ready", "status", "restarts"), RESTARTABLE_CASES,
                         ids=[f"TestPrintPodWithRestartableInitContainer#{c[0]}" for c in RESTARTABLE_CASES])
def test_print_pod_with_restartable_init_container(case: int, pod: dict[str, Any], ready: str, status: str,
                                                   restarts: int) -> None:
    got = (output.pod_ready(pod), output.pod_status(pod), output.pod_restarts(pod))
    assert got == (ready, status, restarts), f"pod row={got}, but should be {(ready, status, restarts)} " \
        f"[TestPrintPodWithRestartableInitContainer #{case}]"


def _node(unschedulable: bool = False, conditions: list[dict[str, Any]] | None = None,
          labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": "foo", "labels": labels or {}},
            "spec": {"unschedulable": unschedulable}, "status": {"conditions": conditions or []}}


READY_T = {"type": "Ready", "status": "True"}
READY_F = {"type": "Ready", "status": "False"}
INVALID_T = {"type": "InvalidValue", "status": "True"}


# TestPrintNodeStatus and TestPrintNodeRole: (NAME STATUS ROLES AGE VERSION)
@pytest.mark.parametrize(("test", "node", "status", "roles"), [
    ("TestPrintNodeStatus#0", _node(False, [READY_T]), "Ready", "<none>"),
    ("TestPrintNodeStatus#1", _node(True, [READY_T]), "Ready,SchedulingDisabled", "<none>"),
    ("TestPrintNodeStatus#2", _node(False, [READY_T, READY_T]), "Ready", "<none>"),
    ("TestPrintNodeStatus#3", _node(False, [READY_F]), "NotReady", "<none>"),
    ("TestPrintNodeStatus#4", _node(True, [READY_F]), "NotReady,SchedulingDisabled", "<none>"),
    ("TestPrintNodeStatus#5", _node(False, [INVALID_T]), "Unknown", "<none>"),
    ("TestPrintNodeStatus#6", _node(False, [{}]), "Unknown", "<none>"),
    ("TestPrintNodeStatus#7", _node(True, [INVALID_T]), "Unknown,SchedulingDisabled", "<none>"),
    ("TestPrintNodeStatus#8", _node(True, [{}]), "Unknown,SchedulingDisabled", "<none>"),
    ("TestPrintNodeRole#0", _node(), "Unknown", "<none>"),
    ("TestPrintNodeRole#1", _node(labels={"node-role.kubernetes.io/master": "", "node-role.kubernetes.io/control-plane": "",
                                          "node-role.kubernetes.io/proxy": "", "kubernetes.io/role": "node"}),
     "Unknown", "control-plane,master,node,proxy"),
    ("TestPrintNodeRole#2", _node(labels={"kubernetes.io/role": "node"}), "Unknown", "node"),
])
def test_print_node(test: str, node: dict[str, Any], status: str, roles: str) -> None:
    got = output.row_for(node, 0)
    want = ("foo", status, roles, "<unknown>", "")
    assert got == want, f"node row={got}, but should be {want} [{test}]"


# FormatLabelSelector (apimachinery/pkg/apis/meta/v1/helpers.go): requirements sorted by key
@pytest.mark.parametrize(("selector", "want"), [
    (None, "<none>"),
    ({}, "<none>"),
    ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]},
                           {"key": "env", "operator": "NotIn", "values": ["dev"]},
                           {"key": "x", "operator": "Exists"}, {"key": "gone", "operator": "DoesNotExist"}]},
     "env notin (dev),!gone,tier in (api,web),x"),
    ({"matchExpressions": [{"key": "k", "operator": "Near"}]}, "<invalid>"),
])
def test_format_label_selector(selector: dict[str, Any] | None, want: str) -> None:
    got = output.format_label_selector(selector)
    assert got == want, f"FormatLabelSelector({selector})={got!r}, but should be {want!r}"


# printService: getServiceExternalIP and makePortString
@pytest.mark.parametrize(("spec", "status", "row"), [
    ({"type": "ClusterIP", "clusterIPs": ["10.0.0.5"], "ports": [{"port": 80, "protocol": "TCP"}]}, {},
     ("s", "ClusterIP", "10.0.0.5", "<none>", "80/TCP")),
    ({"type": "NodePort", "clusterIPs": ["10.0.0.6"], "externalIPs": ["1.2.3.4"],
      "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}, {},
     ("s", "NodePort", "10.0.0.6", "1.2.3.4", "80:30080/TCP,53/UDP")),
    ({"type": "LoadBalancer", "clusterIPs": ["10.0.0.7"], "ports": [{"port": 443, "protocol": "TCP"}]}, {},
     ("s", "LoadBalancer", "10.0.0.7", "<pending>", "443/TCP")),
    ({"type": "LoadBalancer", "clusterIPs": ["10.0.0.7"], "ports": []},
     {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "lb.example.com"}]}},
     ("s", "LoadBalancer", "10.0.0.7", "5.6.7.8,lb.example.com", "<none>")),
    ({"type": "ExternalName", "externalName": "db.example.com"}, {},
     ("s", "ExternalName", "<none>", "db.example.com", "<none>")),
    ({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"], "ports": [{"port": 80, "protocol": "TCP"}]}, {},
     ("s", "ClusterIP", "None", "<none>", "80/TCP")),
])
def test_print_service(spec: dict[str, Any], status: dict[str, Any], row: tuple[str, ...]) -> None:
    got = output.row_for({"kind": "Service", "metadata": {"name": "s"}, "spec": spec, "status": status}, 0)
    assert got == (*row, "<unknown>"), f"service row={got}, but should be {(*row, '<unknown>')}"


def test_render_table_pads_columns_by_three_spaces() -> None:
    text = output.render_table(("NAME", "AGE"), [("a", "5s"), ("longer-name", "10m")])
    assert text.splitlines() == ["NAME          AGE", "a             5s", "longer-name   10m"], text


def test_age_is_measured_on_the_virtual_clock() -> None:
    state = rm.apply_manifest(rm.new_cluster(nodes=1), replicaset(namespace=None))
    state = rm.step(rm.converge(state), rm.events.ClockAdvanced(3 * 3600 + 5 * 60))
    rs = rm.get(state, "ReplicaSet", "fe")
    assert rs is not None
    got = output.row_for(rs, state.config.start_time + state.now)[-1]
    assert got == "3h5m", f"ReplicaSet AGE={got!r}, but should be '3h5m' [after ClockAdvanced(11100)]"


def test_crash_loop_back_off_status_of_a_model_pod() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crashy"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    state = rm.converge(rm.apply_manifest(rm.new_cluster(nodes=1), pod))
    state = rm.step(state, rm.events.ContainerExited("default", "crashy", "c", 1))
    got = rm.get(state, "Pod", "crashy")
    assert got is not None
    assert output.pod_status(got) == "CrashLoopBackOff", \
        f"STATUS={output.pod_status(got)!r}, but should be 'CrashLoopBackOff' [after ContainerExited exit_code=1]"


# ---------------------------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------------------------
def test_simulate_prints_one_wide_table_per_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "shop.yaml", SHOP)
    rc, out, err = run(capsys, "simulate", "-f", str(f))
    assert rc == 0, f"exit code {rc}, but should be 0; stderr: {err}"
    hs = headers(out)
    assert hs["node"] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], hs
    assert hs["replicaset.apps"] == ["NAMESPACE", "NAME", "DESIRED", "CURRENT", "READY", "AGE"], hs
    assert hs["pod"] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"], hs
    assert hs["service"] == ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], hs
    assert hs["serviceaccount"] == ["NAMESPACE", "NAME", "AGE"], hs
    # the rows say what the model holds
    state = model_of(SHOP)
    t = tables(out)
    want_pods = {f"pod/{p['metadata']['name']}": p for p in rm.list_objects(state, "Pod", namespace="shop")}
    got_pods = {r["NAME"]: r for r in t["pod"]}
    assert set(got_pods) == set(want_pods), f"pods printed {sorted(got_pods)}, but the model has {sorted(want_pods)}"
    for name, row in got_pods.items():
        pod = want_pods[name]
        assert (row["STATUS"], row["NODE"], row["IP"]) == ("Running", pod["spec"]["nodeName"], pod["status"]["podIP"]), \
            f"{name}: row {row}, but the model has node {pod['spec']['nodeName']} ip {pod['status']['podIP']}"
    assert [(r["DESIRED"], r["CURRENT"], r["READY"]) for r in t["replicaset.apps"]] == [("3", "3", "3")], t
    assert [r["STATUS"] for r in t["node"]] == ["Ready"] * 3, t["node"]
    # a ServiceAccount is checked and has no controller of its own: nothing to notice
    assert "ServiceAccount/reviews" not in err, err


def test_simulate_hides_the_clusters_own_objects_unless_asked(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "rs.yaml", [replicaset(namespace=None)])
    _, out, _ = run(capsys, "simulate", "-f", str(f))
    assert "kube-dns" not in out and "service/kubernetes" not in out and "namespace/kube-system" not in out, out
    _, out, _ = run(capsys, "simulate", "-f", str(f), "--show-system")
    for want in ("service/kube-dns", "service/kubernetes", "namespace/kube-system", "replicaset.apps/fe"):
        assert want in out, f"{want} missing from --show-system output:\n{out}"


def test_simulate_namespace_filter_drops_the_namespace_column(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "shop.yaml", [*SHOP, replicaset("other", 1, namespace=None)])
    rc, out, _ = run(capsys, "simulate", "-f", str(f), "-n", "shop")
    assert rc == 0
    assert "NAMESPACE" not in out and "node/" not in out and "replicaset.apps/other" not in out, out
    assert "replicaset.apps/fe" in out, out


def test_simulate_nodes_and_node_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "rs.yaml", [replicaset(namespace=None, replicas=1)])
    rc, out, _ = run(capsys, "simulate", "-f", str(f), "--nodes", "5", "--node-cpu", "2", "--node-memory", "4Gi",
                     "-o", "json")
    assert rc == 0
    nodes = [o for o in json.loads(out)["items"] if o["kind"] == "Node"]
    assert [n["metadata"]["name"] for n in nodes] == [f"node-{i}" for i in range(5)], nodes
    caps = {(n["status"]["capacity"]["cpu"], n["status"]["capacity"]["memory"]) for n in nodes}
    assert caps == {("2", "4Gi")}, f"node capacities {caps}, but should be {{('2', '4Gi')}}"


def test_simulate_yaml_round_trips_and_matches_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "shop.yaml", SHOP)
    rc, yaml_out, _ = run(capsys, "simulate", "-f", str(f), "-o", "yaml")
    assert rc == 0
    rc, json_out, _ = run(capsys, "simulate", "-f", str(f), "-o", "json")
    assert rc == 0
    as_json = json.loads(json_out)
    assert as_json["kind"] == "List" and as_json["apiVersion"] == "v1", as_json.keys()
    loaded = rm.load_manifests(yaml_out)
    assert loaded == as_json["items"], "-o yaml and -o json disagree about the objects"
    state = model_of(SHOP)
    for obj in loaded:
        md = obj["metadata"]
        live = rm.get(state, obj["kind"], md["name"], namespace=md.get("namespace", "default"))
        assert live == obj, f"{obj['kind']}/{md['name']}: printed object differs from the model's"
    kinds = {(o["kind"], o["metadata"]["name"]) for o in loaded}
    assert {("ReplicaSet", "fe"), ("Service", "fe"), ("Namespace", "shop"), ("Node", "node-0")} <= kinds, kinds
    assert ("Service", "kube-dns") in kinds and ("Namespace", "kube-system") in kinds, \
        f"-o yaml should list every object, the cluster's own included: {sorted(kinds)}"
    n_model = sum(len(rm.list_objects(state, k)) for k in state.objects)
    assert len(loaded) == n_model, f"-o yaml listed {len(loaded)} objects, but the model holds {n_model}"


def test_simulate_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(rm.dump_manifests([replicaset(namespace=None, replicas=2)])))
    rc, out, err = run(capsys, "simulate", "-f", "-")
    assert rc == 0, err
    assert len(tables(out)["pod"]) == 2, out


def test_simulate_directory_takes_manifest_files_in_name_order(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "dir"
    d.mkdir()
    write(d, "b.yaml", [replicaset("b", 1, namespace="shop")])
    write(d, "a.yml", [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}])
    (d / "c.json").write_text(json.dumps(replicaset("c", 1, namespace="shop")), encoding="utf-8")
    (d / "notes.txt").write_text("not a manifest", encoding="utf-8")
    rc, out, err = run(capsys, "simulate", "-f", str(d))
    assert rc == 0, f"exit code {rc}, but should be 0 (a.yml creates the namespace first); stderr: {err}"
    assert "replicaset.apps/b" in out and "replicaset.apps/c" in out, out


def test_simulate_events_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "shop.yaml", SHOP)
    ev = write(tmp_path, "ev.yaml", """
- {event: ImagePullFailed, image: "nginx:1.27"}
- {event: Scale, kind: ReplicaSet, namespace: shop, name: fe, replicas: 5}
""")
    rc, out, err = run(capsys, "simulate", "-f", str(f), "--events", str(ev))
    assert rc == 0, err
    statuses = sorted(r["STATUS"] for r in tables(out)["pod"])
    pulling = [s for s in statuses if s in ("ErrImagePull", "ImagePullBackOff")]
    assert statuses.count("Running") == 3 and len(pulling) == 2, \
        f"pod statuses {statuses}, but should be 3 Running and 2 failing to pull [after ImagePullFailed, Scale 5]"


def test_simulate_pod_statuses_after_container_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n},
             "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}
            for n in ("done", "failing")]
    f = write(tmp_path, "pods.yaml", pods)
    ev = write(tmp_path, "ev.yaml", """
- {event: ContainerExited, namespace: default, pod: done, container: c, exit_code: 0}
- {event: ContainerExited, namespace: default, pod: failing, container: c, exit_code: 3}
""")
    rc, out, err = run(capsys, "simulate", "-f", str(f), "--events", str(ev))
    assert rc == 0, err
    got = {r["NAME"]: (r["READY"], r["STATUS"]) for r in tables(out)["pod"]}
    assert got == {"pod/done": ("0/1", "Completed"), "pod/failing": ("0/1", "Error")}, got


def test_simulate_node_failure_shows_not_ready_and_terminating(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "rs.yaml", [replicaset(namespace=None, replicas=3)])
    ev = write(tmp_path, "ev.yaml", "- {event: NodeFailed, node: node-1}\n- {event: ClockAdvanced, seconds: 400}\n")
    rc, out, err = run(capsys, "simulate", "-f", str(f), "--events", str(ev))
    assert rc == 0, err
    t = tables(out)
    assert {r["NAME"]: r["STATUS"] for r in t["node"]}["node/node-1"] == "NotReady", t["node"]
    on_failed = [r["STATUS"] for r in t["pod"] if r["NODE"] == "node-1"]
    assert on_failed and set(on_failed) <= {"Terminating", "Unknown"}, \
        f"pods on node-1: {on_failed}, but should be Terminating [after NodeFailed node-1, ClockAdvanced 400]"


def test_simulate_rejected_object_reads_like_kubectl_and_the_rest_is_applied(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"},
           "spec": {"containers": [{"name": "c"}]}}
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}
    f = write(tmp_path, "mixed.yaml", [bad, good])
    rejection = rm.validate_manifest(rm.new_cluster(nodes=0), bad)
    assert rejection is not None, "the model accepted a Pod without an image"
    rc, out, err = run(capsys, "simulate", "-f", str(f))
    assert rc == 1, f"exit code {rc}, but should be 1 after a rejected object"
    want = f'Error from server ({rejection.reason}): error when creating "{f}": {rejection.message}'
    assert want in err, f"stderr:\n{err}\nbut should contain:\n{want}"
    assert "configmap/settings" in out and "pod/bad" not in out, out


def test_simulate_unknown_kind_is_a_mapping_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "k.yaml", [{"apiVersion": "v1", "kind": "Frobnicator", "metadata": {"name": "x"}}])
    rc, _, err = run(capsys, "simulate", "-f", str(f))
    assert rc == 1
    assert 'resource mapping not found for name: "x"' in err and 'no matches for kind "Frobnicator"' in err, err


def test_simulate_rejected_event_is_reported_and_the_rest_still_prints(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "rs.yaml", [replicaset(namespace=None, replicas=1)])
    ev = write(tmp_path, "ev.yaml", """
- {event: Scale, kind: ReplicaSet, namespace: default, name: nope, replicas: 2}
- {event: Scale, kind: ReplicaSet, namespace: default, name: fe, replicas: 2}
""")
    rc, out, err = run(capsys, "simulate", "-f", str(f), "--events", str(ev))
    assert rc == 1, f"exit code {rc}, but should be 1 after a rejected event"
    assert err.startswith("error: event 0: Scale ReplicaSet default/nope replicas=2 -> rejected (NotFound)") \
        and "not found" in err, err
    assert "event 1: Scale ReplicaSet default/fe replicas=2 -> ok" in err, err
    assert len(tables(out)["pod"]) == 2, out


@pytest.mark.parametrize(("script", "message"), [
    ("- {event: Frobnicate}\n", 'events[0].event: Unsupported value: "Frobnicate"'),
    ("- {event: Scale, kind: ReplicaSet, name: fe, replicas: 2}\n", "events[0].namespace: Required value"),
    ("- {event: ClockAdvanced, seconds: soon}\n", 'events[0].seconds: Invalid value: "soon": must be an integer'),
    ("- {event: ClockAdvanced, seconds: 1, seconds: 2}\n", 'key "seconds" already set in map'),
    ("- {event: ClockAdvanced, seconds: [1\n", "error parsing YAML at line"),
    ("event: Scale\n", "event: Unknown field"),
    ("- 42\n", "events[0]: Invalid value: 42: an event must be a mapping"),
])
def test_simulate_events_script_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], script: str,
                                       message: str) -> None:
    f = write(tmp_path, "rs.yaml", [replicaset(namespace=None, replicas=1)])
    ev = write(tmp_path, "ev.yaml", script)
    rc, out, err = run(capsys, "simulate", "-f", str(f), "--events", str(ev))
    assert rc == 1, f"exit code {rc}, but should be 1 for events script {script!r}"
    assert err.startswith(f'error: error parsing events script "{ev}"') and message in err, \
        f"stderr {err!r}, but should mention {message!r}"
    assert out == "" and "Traceback" not in err


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["simulate", "-f", "{tmp}/missing.yaml"], 1, 'error: the path "{tmp}/missing.yaml" does not exist'),
    (["simulate", "-f", "{tmp}/empty"], 1, "error: no manifests (*.yaml, *.yml, *.json) in the directory"),
    (["simulate", "-f", "{tmp}/broken.yaml"], 1,
     'error: error parsing "{tmp}/broken.yaml": document 1: error parsing YAML'),
    (["simulate", "-f", "{tmp}/binary.yaml"], 1, 'error: "{tmp}/binary.yaml" is not UTF-8 text'),
    (["simulate", "-f", "{tmp}/ok.yaml", "--events", "{tmp}/missing-events.yaml"], 1,
     'error: the path "{tmp}/missing-events.yaml" does not exist'),
    (["simulate", "-f", "{tmp}/ok.yaml", "--nodes", "many"], 2, "error: argument --nodes: must be a whole number"),
    (["simulate", "-f", "{tmp}/ok.yaml", "--nodes", "-1"], 2, "error: argument --nodes: must be between 0 and"),
    (["simulate", "-f", "{tmp}/ok.yaml", "--node-memory", "lots"], 2, "error: argument --node-memory: 'lots' is not"),
    (["simulate", "-f", "{tmp}/ok.yaml", "-o", "table"], 2, "error: argument -o/--output: invalid choice"),
    (["simulate"], 2, "error: simulate needs manifests (-f FILE) or an events script (--events SCRIPT)"),
    (["frobnicate"], 2, "error: argument COMMAND: invalid choice: 'frobnicate'"),
    ([], 2, "error: a command is required"),
])
def test_bad_input_gives_one_error_line_and_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         argv: list[str], code: int, message: str) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path, "broken.yaml", "kind: [unclosed\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00kind")
    write(tmp_path, "ok.yaml", [replicaset(namespace=None, replicas=1)])
    rc, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert rc == code, f"exit code {rc}, but should be {code} for {argv}; stderr: {err}"
    assert message.format(tmp=tmp_path) in err, f"stderr {err!r}, but should contain {message!r}"
    assert "Traceback" not in err and out == ""
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1, err


def test_help_and_version_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "--help")
    assert rc == 0 and "simulate" in out and "validate" in out and "conformance" in out, out
    rc, out, _ = run(capsys, "--version")
    assert rc == 0 and out.startswith("kubeoracle "), out


# ---------------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------------
def test_validate_valid_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "shop.yaml", SHOP)
    rc, out, err = run(capsys, "validate", "-f", str(f))
    assert rc == 0, f"exit code {rc}, but should be 0; out: {out}; err: {err}"
    unchecked = sorted({o["kind"] for o in SHOP if not REGISTRY[o["kind"]].modelled})
    skipped = sum(1 for o in SHOP if not REGISTRY[o["kind"]].modelled)
    note = f" (not checked by the model: {', '.join(unchecked)})" if unchecked else ""
    assert out == f"4 objects: {4 - skipped} valid, 0 invalid, {skipped} skipped{note}\n", out
    # --strict fails on objects it could not check (kubeconform -strict)
    rc, _, _ = run(capsys, "validate", "--strict", "-f", str(f))
    assert rc == (1 if skipped else 0), f"--strict exit code {rc} with {skipped} skipped objects"


def test_validate_reports_every_field_error_with_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name", "labels": {"owner": "--"}},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    f = write(tmp_path, "pod.yaml", [bad, SHOP[0]])
    rejection = rm.validate_manifest(rm.new_cluster(nodes=0), bad)
    assert rejection is not None and len(rejection.causes) >= 2, rejection
    rc, out, err = run(capsys, "validate", "-f", str(f))
    assert rc == 1
    lines = err.splitlines()
    assert lines == [f'error: error validating "{f}": document 1: Pod/Bad_Name: {c}' for c in rejection.causes], lines
    assert any("metadata.name" in ln for ln in lines) and any("metadata.labels" in ln for ln in lines), lines
    assert out == "2 objects: 1 valid, 1 invalid, 0 skipped\n", out


def test_validate_deployment_selector_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = deployment(selector="web", labels="other")
    rejection = rm.validate_manifest(rm.new_cluster(nodes=0), bad)
    if rejection is None:
        pytest.skip("the model does not validate Deployment selectors against template labels yet")
    f = write(tmp_path, "web.yaml", [bad])
    rc, out, err = run(capsys, "validate", "-f", str(f))
    assert rc == 1
    assert any(ln.startswith(f'error: error validating "{f}": document 1: Deployment/web: spec.') and "selector" in ln
               for ln in err.splitlines()), err
    assert out == "1 objects: 0 valid, 1 invalid, 0 skipped\n", out


def test_validate_duplicate_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "dup.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
                                    "spec:\n  replicas: 1\n  replicas: 2\n")
    rc, out, err = run(capsys, "validate", "-f", str(f))
    assert rc == 1
    assert f'error: error parsing "{f}": document 1: spec.replicas: yaml: line 7: key "replicas" already set in map' \
        in err, err
    assert out == "1 objects: 0 valid, 1 invalid, 0 skipped\n", out


def test_validate_unknown_kind_and_removed_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "kinds.yaml", [
        {"apiVersion": "v1", "kind": "Serviceee", "metadata": {"name": "s"}},
        {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}},
    ])
    rc, out, err = run(capsys, "validate", "-f", str(f))
    assert rc == 1
    lines = err.splitlines()
    assert lines[0].startswith(f'error: error validating "{f}": document 1: Serviceee/s: no matches for kind '
                               '"Serviceee" in version "v1"'), lines
    assert lines[1].startswith(f'error: error validating "{f}": document 2: Deployment/d: no matches for kind '
                               '"Deployment" in version "extensions/v1beta1"'), lines
    assert out == "2 objects: 0 valid, 2 invalid, 0 skipped\n", out


def test_validate_duplicate_object_in_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    f = write(tmp_path, "twice.yaml", [cm, cm])
    rc, out, err = run(capsys, "validate", "-f", str(f))
    assert rc == 1
    assert (f'error: error validating "{f}": document 2: ConfigMap/c: Duplicate value: ConfigMap/c is already '
            "defined as document 1") in err, err
    # the same object in two files is what kubectl apply -f DIR of a corpus meets: only a note
    g = write(tmp_path, "again.yaml", [cm])
    h = write(tmp_path, "once.yaml", [cm])
    rc, out, err = run(capsys, "validate", "-f", str(g), "-f", str(h))
    assert rc == 0 and out == "2 objects: 2 valid, 0 invalid, 0 skipped\n", out
    assert "defined in more than one file" in err, err


def test_validate_namespaces_defined_earlier_exist_for_later_objects(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    ns = write(tmp_path, "1-ns.yaml", [SHOP[0]])
    rs = write(tmp_path, "2-rs.yaml", [replicaset(namespace="shop")])
    rc, out, err = run(capsys, "validate", "-f", str(ns), "-f", str(rs))
    assert rc == 0 and out == "2 objects: 2 valid, 0 invalid, 0 skipped\n", out
    assert "note:" not in err, err
    # a namespace defined nowhere: validated as if it existed, with a note
    other = write(tmp_path, "3-rs.yaml", [replicaset(namespace="elsewhere")])
    rc, out, err = run(capsys, "validate", "-f", str(other))
    assert rc == 0 and out == "1 objects: 1 valid, 0 invalid, 0 skipped\n", out
    assert 'note: namespace "elsewhere" is not defined in these files' in err, err
    # defined only after its first use: still valid, and the note says kubectl apply would trip
    rc, out, err = run(capsys, "validate", "-f", str(rs), "-f", str(ns))
    assert rc == 0 and out == "2 objects: 2 valid, 0 invalid, 0 skipped\n", out
    assert 'namespace "shop" is defined only after objects that use it' in err, err


def test_validate_missing_file_and_continues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path, "ok.yaml", [SHOP[0]])
    rc, out, err = run(capsys, "validate", "-f", str(tmp_path / "nope.yaml"), "-f", str(f))
    assert rc == 1
    assert f'error: the path "{tmp_path / "nope.yaml"}" does not exist' in err, err
    assert out == "1 objects: 1 valid, 0 invalid, 0 skipped\n" and "Traceback" not in err, out


def test_validate_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "validate", "-f", str(EXAMPLES / "web.yaml"), "-f", str(EXAMPLES / "rolling-update.yaml"))
    assert rc == 0, f"exit code {rc}, but should be 0: {out} {err}"
    assert out == "3 objects: 3 valid, 0 invalid, 0 skipped\n", out


def test_validate_shared_invalid_corpus(manifests_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    invalid = manifests_dir / "invalid"
    if not invalid.is_dir():
        pytest.skip("no invalid/ corpus")
    rc, out, err = run(capsys, "validate", "-f", str(invalid))
    assert rc == 1, f"exit code {rc}, but should be 1 for {invalid}"
    summary = out.splitlines()[-1]
    n_invalid = int(summary.split(", ")[1].split()[0])
    assert n_invalid > 0 and summary.split(", ")[1].endswith(" invalid"), summary
    reported = {ln.split('"')[1] for ln in err.splitlines() if ln.startswith("error: ")}
    assert len(reported) >= n_invalid // 2, f"errors name {len(reported)} files for {n_invalid} invalid objects"
    assert all(p.startswith(str(invalid)) for p in reported), reported
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# examples
# ---------------------------------------------------------------------------------------------
def test_example_web(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "simulate", "-f", str(EXAMPLES / "web.yaml"), "-o", "json")
    assert rc == 0, err
    items = {(o["kind"], o["metadata"]["name"]): o for o in json.loads(out)["items"]}
    dep, svc = items[("Deployment", "web")], items[("Service", "web")]
    assert dep["metadata"]["namespace"] == "default" and dep["spec"]["replicas"] == 3, dep["metadata"]
    requests = dep["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    assert requests == {"cpu": "250m", "memory": "128Mi"}, requests
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["selector"] == {"app": "web"}, svc["spec"]


def test_example_rolling_update_with_events(capsys: pytest.CaptureFixture[str]) -> None:
    events = cli.load_events(str(EXAMPLES / "rolling-update-events.yaml"))
    names = [type(e).__name__ for e in events]
    assert names == ["Apply", "NodeFailed", "ClockAdvanced", "RolloutUndo", "Scale"], names
    rc, out, err = run(capsys, "simulate", "-f", str(EXAMPLES / "rolling-update.yaml"),
                       "--events", str(EXAMPLES / "rolling-update-events.yaml"), "-o", "json")
    assert rc == 0, err
    items = {(o["kind"], o["metadata"]["name"]): o for o in json.loads(out)["items"]}
    shop = items[("Deployment", "shop")]
    strategy = shop["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 1}}, strategy
    assert shop["spec"]["minReadySeconds"] == 5 and shop["spec"]["replicas"] == 12, shop["spec"]
    image = shop["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/shop:1.0", \
        f"Deployment/shop: image={image}, but should be shop:1.0 again [after Apply shop:1.1, RolloutUndo]"
    node1 = items[("Node", "node-1")]
    ready = [c["status"] for c in node1["status"]["conditions"] if c["type"] == "Ready"]
    assert ready != ["True"], f"node-1 Ready={ready}, but should not be True [after NodeFailed, ClockAdvanced 400]"


# ---------------------------------------------------------------------------------------------
# dispatch to the suite's commands
# ---------------------------------------------------------------------------------------------
def test_delegated_command_gets_argv_untouched(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[list[str]] = []
    fake = types.ModuleType("conformance.runner")

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 1

    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "conformance.runner", fake)
    rc, _, _ = run(capsys, "conformance", "--adapter", "model", "--examples", "5", "--report", "out")
    assert seen == [["--adapter", "model", "--examples", "5", "--report", "out"]], seen
    assert rc == 1, f"exit code {rc}, but should be the runner's 1"


def test_delegated_command_missing_module(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(cli.DELEGATED, "replay", "conformance._not_written_yet")
    rc, out, err = run(capsys, "replay", "trace.yaml")
    assert rc == 2 and err == "error: 'replay' is not available in this build\n" and out == "", (rc, err)


def test_delegated_command_system_exit_becomes_the_exit_code(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    fake = types.ModuleType("conformance.serve")

    def fake_main(argv: list[str]) -> int:
        raise SystemExit(2)

    fake.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "conformance.serve", fake)
    rc, _, _ = run(capsys, "serve", "--port", "nope")
    assert rc == 2


# ---------------------------------------------------------------------------------------------
# the installed console script
# ---------------------------------------------------------------------------------------------
def _script() -> str:
    exe = shutil.which("kubeoracle")
    if exe is None:
        pytest.skip("the kubeoracle console script is not installed (pip install -e .)")
    return exe


def test_console_script_simulate_json() -> None:
    proc = subprocess.run([_script(), "simulate", "-f", str(EXAMPLES / "web.yaml"), "-o", "json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    kinds = {(o["kind"], o["metadata"]["name"]) for o in json.loads(proc.stdout)["items"]}
    assert {("Deployment", "web"), ("Service", "web")} <= kinds, kinds


def test_console_script_bad_input(tmp_path: Path) -> None:
    proc = subprocess.run([_script(), "validate", "-f", str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc
    assert proc.stderr.startswith("error: the path") and "Traceback" not in proc.stderr, proc.stderr
    proc = subprocess.run([_script(), "nonsense"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc


def test_internal_error_is_one_line_unless_debugging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    def broken(state: rm.ClusterState, **kwargs: Any) -> rm.ClusterState:
        raise KeyError("boom")

    f = write(tmp_path, "rs.yaml", [replicaset(namespace=None, replicas=1)])
    monkeypatch.setattr(rm, "converge", broken)
    monkeypatch.delenv("KUBEORACLE_DEBUG", raising=False)
    rc, _, err = run(capsys, "simulate", "-f", str(f))
    assert rc == 1 and err.startswith("error: internal error (KeyError: 'boom')") and "Traceback" not in err, err
    monkeypatch.setenv("KUBEORACLE_DEBUG", "1")
    with pytest.raises(KeyError):
        cli.main(["simulate", "-f", str(f)])


def test_validate_takes_several_files_after_one_f(capsys: pytest.CaptureFixture[str]) -> None:
    # DESIGN §4: `validate -f FILE...` (and -f may still be repeated)
    rc, out, err = run(capsys, "validate", "-f", str(EXAMPLES / "web.yaml"), str(EXAMPLES / "rolling-update.yaml"))
    assert rc == 0, err
    assert "3 objects: 3 valid, 0 invalid, 0 skipped" in out, out


def test_validate_progress_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cms = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}, "data": {"k": "v"}}
           for i in range(30)]
    cms.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}})
    f = write(tmp_path, "many.yaml", cms)
    rc, out, err = run(capsys, "validate", "--progress", "-o", "json", "-f", str(f))
    assert rc == 1, err
    assert "validated 31/31 objects" in err, err
    data = json.loads(out)
    assert data["summary"] == {"valid": 30, "invalid": 1, "skipped": 0, "total": 31}, data["summary"]
    bad = [r for r in data["resources"] if r["status"] == "invalid"]
    assert len(bad) == 1 and bad[0]["object"] == "ConfigMap/Bad_Name" and bad[0]["document"] == "document 31", bad
    assert any("metadata.name" in e for e in bad[0]["errors"]), bad


def _configmaps(n: int) -> str:
    return "".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i:05d}\ndata:\n  k: v\n---\n" for i in range(n))


@pytest.mark.parametrize("fmt", ["json", "name", "text"])
def test_validate_progress_while_reading_and_checking_stays_off_stdout(
        fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # issue 8: progress on long inputs, while reading as well as while checking; on stderr only, so that
    # -o json / -o name stay machine-readable
    f = write(tmp_path, "many.yaml", _configmaps(2500))
    rc, out, err = run(capsys, "validate", "--progress", "-o", fmt, "-f", str(f))
    assert rc == 0, err
    lines = err.splitlines()
    assert f"reading {f}: 1000/2501 documents" in lines, f"no progress line while reading:\n{err}"
    assert f"reading {f}: 2500/2500 documents" in lines, f"reading does not end with the count read:\n{err}"
    assert "validated 2500/2500 objects" in lines, f"checking does not end with the count checked:\n{err}"
    assert lines.index(f"reading {f}: 2500/2500 documents") < lines.index("validated 2500/2500 objects"), err
    assert "reading" not in out and "validated" not in out, f"progress went to stdout:\n{out[:500]}"
    if fmt == "json":
        assert json.loads(out)["summary"]["valid"] == 2500
    elif fmt == "name":
        assert out.splitlines() == [f"configmap/c{i:05d}" for i in range(2500)], out[:300]
    else:
        assert out == "2500 objects: 2500 valid, 0 invalid, 0 skipped\n", out


def test_validate_progress_only_when_asked_or_on_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    f = write(tmp_path, "many.yaml", _configmaps(2500))
    rc, out, err = run(capsys, "validate", "-f", str(f))  # stderr is not a terminal: quiet
    assert rc == 0 and err == "", f"progress was shown on a non-terminal without --progress:\n{err}"
    # on a terminal, a large input shows progress rewritten in place (\r, erase line), ended by a newline
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(cli, "PROGRESS_BYTES", 1000)
    rc, out, err = run(capsys, "validate", "-o", "json", "-f", str(f))
    assert rc == 0, err
    assert f"\r\x1b[Kreading {f}: 1000/2501 documents" in err, repr(err[:300])
    assert f"\r\x1b[Kreading {f}: 2500/2500 documents\n" in err, repr(err)
    assert err.endswith("\r\x1b[Kvalidated 2500/2500 objects\n"), repr(err[-300:])
    assert json.loads(out)["summary"]["valid"] == 2500
    monkeypatch.setattr(cli, "PROGRESS_BYTES", 2**20)
    small = write(tmp_path, "few.yaml", _configmaps(20))
    rc, out, err = run(capsys, "validate", "-f", str(small))  # a terminal, but a small input: quiet
    assert rc == 0 and err == "", repr(err)


def _mixed_files(tmp_path: Path) -> list[str]:
    """Two files with every case validate's passes order: namespaces defined late, twice, across files and
    nowhere, duplicates within and across files, invalid, skipped and cluster-scoped objects."""
    def cm(name: str, ns: str | None = None) -> dict[str, Any]:
        md: dict[str, Any] = {"name": name} | ({"namespace": ns} if ns else {})
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": {"k": "v"}}

    def ns(name: str, **labels: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}

    a = [cm("early", "later"), ns("later"), ns("later"), cm("a"), cm("a"), cm("Bad_Name"), ns("bad", x="-no-"),
         cm("in-bad", "bad"), cm("x", "Bad_NS"), {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                                   "metadata": {"name": "r"}, "rules": []},
         {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, cm("gen")]
    a[-1]["metadata"] = {"generateName": "gen-"}
    b = [cm("a"), ns("later"), cm("b", "elsewhere"), cm("c", "elsewhere"), ns("elsewhere"), cm("a", "later"),
         cm("a", "later")]
    return [str(write(tmp_path, "a.yaml", a * 3)), str(write(tmp_path, "b.yaml", b * 2))]


def test_validate_in_several_processes_gives_the_same_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # reading in pieces and the checks of pass 2 split over forked workers (kubeconform's -n) must not
    # change a verdict, an error, their order or a note
    files = _mixed_files(tmp_path)
    rc1, out1, err1 = run(capsys, "validate", "-o", "json", "--workers", "1", "-f", *files)
    assert rc1 == 1 and json.loads(out1)["summary"]["invalid"] >= 10, out1[-400:]
    monkeypatch.setattr(cli, "PARALLEL_MIN", 0)  # every input is checked in several processes
    monkeypatch.setattr(cli, "PARALLEL_BYTES", 0)  # and read in several pieces
    for workers in ("2", "3"):
        rc, out, err = run(capsys, "validate", "-o", "json", "--workers", workers, "-f", *files)
        assert (rc, err) == (rc1, err1), f"--workers {workers}: stderr differs from one process:\n{err}\n---\n{err1}"
        assert json.loads(out) == json.loads(out1), f"--workers {workers}: verdicts differ from one process"
    # a worker that fails (killed, out of memory): its share is read and checked in the main process
    join = cli._join
    monkeypatch.setattr(cli, "_join", lambda child: (join(child), None)[1])
    rc, out, err = run(capsys, "validate", "-o", "json", "--workers", "2", "-f", *files)
    assert (rc, err, json.loads(out)) == (rc1, err1, json.loads(out1)), "a failed worker changed the verdicts"
