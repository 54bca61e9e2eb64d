"""The ``kube`` adapter end to end, against ``kubeoracle serve`` over HTTPS (there is no other cluster here):
the suite passes against the model behind the API, catches a bug served behind it, and stays inside its
sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import ROOT, Server, need_serve_deps, start

from conformance.adapters import AdapterError, Sandbox, load
from conformance.machines import MACHINES
from refmodel import events as ev

#: the Apply of Deployment ``web`` in the script (REPLICAS and IMAGE filled in by :func:`_apply_web`)
APPLY_WEB = """\
- event: Apply
  obj:
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: default}
    spec:
      replicas: REPLICAS
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: app, image: 'IMAGE'}]
"""


def _apply_web(replicas: int, image: str) -> str:
    return APPLY_WEB.replace("REPLICAS", str(replicas)).replace("IMAGE", image)


SCRIPT = ("""\
machine: deployment
adapter: kube
events:
""" + _apply_web(2, "nginx:1.27") + """\
- {event: Settle}
- {event: Scale, kind: Deployment, namespace: default, name: web, replicas: 3}
- {event: Settle}
""" + _apply_web(3, "nginx:1.28") + """\
- {event: Settle}
- {event: RolloutUndo, namespace: default, name: web}
- {event: Settle}
- {event: Delete, kind: Deployment, namespace: default, name: web, propagation: Foreground}
- {event: Settle}
""")


def _need_kube() -> None:
    need_serve_deps()
    pytest.importorskip("kubernetes", reason="the kube adapter needs the Kubernetes client (pip install 'kubeoracle[kube]')")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _need_kube()
    yield from start(tmp_path_factory.mktemp("kube-adapter"), "--time-scale", "20")


@pytest.fixture(scope="module")
def buggy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _need_kube()
    yield from start(tmp_path_factory.mktemp("kube-adapter-bug"), "--time-scale", "20", "--seeded-bug",
                     "scale-one-higher")


def _kubeoracle(server: Server, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KUBECONFIG=str(server.kubeconfig),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True, env=env,
                          cwd=str(ROOT), timeout=timeout)


def test_replay_passes_against_the_model_behind_the_api(server: Server, tmp_path: Path) -> None:
    script = tmp_path / "script.yaml"
    script.write_text(SCRIPT)
    done = _kubeoracle(server, "replay", str(script), "--adapter", "kube:kubeoracle")
    assert done.returncode == 0, f"exit {done.returncode}, but should pass\n{done.stdout}\n{done.stderr}"
    assert "0 violation(s)" in done.stdout, done.stdout


def test_conformance_run_passes_with_no_false_alarm(server: Server, tmp_path: Path) -> None:
    """Every default machine through the adapter over HTTPS, the server's controllers running between the
    requests: no invariant and no comparison with the harness's model may fail."""
    done = _kubeoracle(server, "conformance", "--adapter", "kube:kubeoracle", "--examples", "2", "--steps", "6",
                       "--seed", "1", "--database", "none", "--report", str(tmp_path / "out"))
    # 0: passed; 2: passed but some properties never had their premise hold in so small a run (vacuous)
    assert done.returncode in (0, 2), f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    failed = {k: v for k, v in results["invariants"].items() if v.get("violations")}
    assert not failed, failed
    verdicts = {name: (m["valid"], m["error"]) for name, m in results["machines"].items()}
    assert set(verdicts) == set(MACHINES) and set(verdicts.values()) == {(True, None)}, verdicts
    assert results["steps"] > 40 and results["settles"] > 10, results["steps"]


def test_a_bug_behind_the_api_is_caught(buggy: Server, tmp_path: Path) -> None:
    """The seeded server switch makes every scale land one replica higher: the direct-effect invariant and
    the differential comparison with the harness's model both see it."""
    script = tmp_path / "script.yaml"
    script.write_text(SCRIPT)
    done = _kubeoracle(buggy, "replay", str(script), "--adapter", "kube:kubeoracle")
    assert done.returncode == 1, f"exit {done.returncode}, but the bug should be caught\n{done.stdout}\n{done.stderr}"
    assert "after an accepted scale, spec.replicas is the number asked for" in done.stdout, done.stdout


def test_the_adapter_stays_in_its_sandbox(server: Server) -> None:
    # a context must be named
    with pytest.raises(AdapterError, match="context named explicitly"):
        load("kube")
    os.environ["KUBECONFIG"] = str(server.kubeconfig)
    try:
        bound = load("kube:kubeoracle")
    finally:
        os.environ.pop("KUBECONFIG")
    outside = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "not-the-suites"}}
    assert server.call("POST", "/api/v1/namespaces", outside)[0] == 201
    bound.reset(Sandbox())
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x"}}
    assert bound.apply(role).status == "unknown"
    assert server.call("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/x")[0] == 404
    assert bound.delete("Namespace", "", "default").status == "rejected"  # as the model refuses it
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}
    out = bound.apply(cm)
    assert out.status == "ok" and out.obj is not None and out.obj["metadata"]["namespace"] == "default", out
    sandboxes = [n["metadata"]["name"] for n in server.call("GET", "/api/v1/namespaces?labelSelector=kubeoracle.io/sandbox")[1]["items"]]
    assert len(sandboxes) == 1 and sandboxes[0].endswith("-default"), sandboxes
    assert server.call("GET", f"/api/v1/namespaces/{sandboxes[0]}/configmaps/c")[0] == 200
    assert server.call("GET", "/api/v1/namespaces/default/configmaps/c")[0] == 404
    observed = bound.observe()
    assert {o["metadata"].get("namespace") for o in observed if o["kind"] == "Pod"} <= {"default"}
    assert [o["metadata"]["name"] for o in observed if o["kind"] == "Namespace"] == ["default"], observed
    # the faults a tenant can cause: a force delete; a cordon of the cluster's node, undone when the example ends
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    assert bound.apply(pod).status == "ok"
    assert bound.inject(ev.PodKilled("default", "p")).status == "ok"
    assert server.call("GET", f"/api/v1/namespaces/{sandboxes[0]}/pods/p")[0] == 404  # gone at once
    assert bound.inject(ev.Cordon("node-0")).status == "ok"
    assert server.call("GET", "/api/v1/nodes/node-0")[1]["spec"].get("unschedulable") is True
    # the served nodes are simulated as KWOK's are: a node fails when its KWOK mark goes, and comes back with it
    assert "node-faults" in bound.capabilities
    assert bound.inject(ev.NodeFailed("node-1")).status == "ok"
    server.wait_for("node-1 NotReady", lambda: _ready(server, "node-1") != "True", timeout=30)
    bound.close()
    node = server.call("GET", "/api/v1/nodes/node-0")[1]
    assert not node["spec"].get("unschedulable"), node["spec"]
    server.wait_for("node-1 Ready again", lambda: _ready(server, "node-1") == "True", timeout=30)
    left = server.call("GET", f"/api/v1/namespaces/{sandboxes[0]}")[1]
    assert left.get("code") == 404 or left["status"]["phase"] == "Terminating", left
    assert server.call("GET", "/api/v1/namespaces/not-the-suites")[0] == 200


def test_an_interrupted_run_cleans_up(server: Server, tmp_path: Path) -> None:
    """SIGTERM in the middle of a run: the adapter deletes its sandbox namespaces before the process ends."""
    env = dict(os.environ, KUBECONFIG=str(server.kubeconfig),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "conformance", "--adapter", "kube:kubeoracle",
                             "--machines", "replicaset", "--examples", "50", "--database", "none", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=str(ROOT))
    try:
        def active() -> list[str]:
            items = server.call("GET", "/api/v1/namespaces?labelSelector=kubeoracle.io/sandbox")[1]["items"]
            return [n["metadata"]["name"] for n in items if not n["metadata"].get("deletionTimestamp")]

        server.wait_for("a sandbox namespace of the running suite", active, timeout=90)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert active() == [], "sandbox namespaces left active after SIGTERM, but the adapter must delete them"


def _ready(server: Server, node: str) -> str | None:
    conditions = server.call("GET", f"/api/v1/nodes/{node}")[1]["status"].get("conditions") or ()
    return next((c["status"] for c in conditions if c["type"] == "Ready"), None)
