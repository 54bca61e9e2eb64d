"""The real kubectl against ``kubeoracle serve``: each command a user types, and what it must print.

Skipped (with the reason) only where kubectl or the ``[serve]`` extra is absent; ``.ci/run`` installs both.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import KUBECTL, Server, deployment_yaml, need_serve_deps, start

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (the tests drive the real binary)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_serve_deps()
    yield from start(tmp_path_factory.mktemp("serve-kubectl"))


def _manifest(tmp: Path, replicas: int = 3, image: str = "nginx:1.27") -> str:
    path = tmp / f"web-{replicas}-{image.replace(':', '-')}.yaml"
    path.write_text(deployment_yaml("web", replicas, image))
    return str(path)


def _json(server: Server, *args: str) -> Any:
    return json.loads(server.kubectl(*args, "-o", "json").stdout)


def _running(server: Server, selector: str = "app=web") -> list[dict[str, Any]]:
    pods = _json(server, "get", "pods", "-l", selector)["items"]
    return [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def _ready_deployment(server: Server, name: str, replicas: int) -> bool:
    d = _json(server, "get", "deployment", name)
    st = d.get("status") or {}
    return bool(st.get("readyReplicas") == replicas and st.get("updatedReplicas") == replicas
                and st.get("replicas") == replicas and st.get("observedGeneration") == d["metadata"]["generation"])


def test_version_and_nodes(server: Server) -> None:
    out = server.kubectl("version").stdout
    assert "Server Version: v1.32" in out, out
    assert server.kubectl("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    nodes = server.kubectl("get", "nodes").stdout.splitlines()
    assert nodes[0].split()[:5] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], nodes
    assert sorted(line.split()[0] for line in nodes[1:]) == ["node-0", "node-1", "node-2"], nodes
    assert all(line.split()[1] == "Ready" for line in nodes[1:]), nodes


def test_apply_get_describe_scale_rollout(server: Server, tmp_path: Path) -> None:
    # apply -f (client-side): created, with the last-applied annotation; the controllers bring 3 pods up
    out = server.kubectl("apply", "-f", _manifest(tmp_path)).stdout
    assert out.strip() == "deployment.apps/web created", out
    d = _json(server, "get", "deployment", "web")
    last = json.loads(d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3, last
    server.wait_for("3 ready replicas", lambda: _ready_deployment(server, "web", 3))
    assert len(_running(server)) == 3

    # get: the table kubectl asks the server for; -o wide adds the priority-1 columns
    table = server.kubectl("get", "deployment", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], table
    assert table[1].split()[:4] == ["web", "3/3", "3", "3"], table
    wide = server.kubectl("get", "pods", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"], wide
    assert sum(1 for line in wide[1:] if "Running" in line and "node-" in line) == 3, wide
    yaml_out = server.kubectl("get", "deployment", "web", "-o", "yaml").stdout
    assert "kind: Deployment" in yaml_out and "name: web" in yaml_out, yaml_out

    # describe: the Events section reads as on a cluster
    desc = server.kubectl("describe", "deployment", "web").stdout
    assert "ScalingReplicaSet" in desc and "Scaled up replica set web-" in desc, desc
    pod = _running(server)[0]["metadata"]["name"]
    pdesc = server.kubectl("describe", "pod", pod).stdout
    for reason in ("Scheduled", "Pulled", "Created", "Started"):
        assert reason in pdesc, f"describe pod: no {reason} event in\n{pdesc}"
    events = server.kubectl("get", "events").stdout
    assert "SuccessfulCreate" in events, events

    # apply again: a three-way strategic patch keeps the live object and changes the replicas
    out = server.kubectl("apply", "-f", _manifest(tmp_path, replicas=4)).stdout
    assert out.strip() == "deployment.apps/web configured", out
    server.wait_for("4 ready replicas", lambda: _ready_deployment(server, "web", 4))

    # scale (the scale subresource)
    assert server.kubectl("scale", "deployment", "web", "--replicas=2").stdout.strip() == "deployment.apps/web scaled"
    server.wait_for("2 ready replicas", lambda: _ready_deployment(server, "web", 2))

    # set image; rollout status watches until the new ReplicaSet is complete; history lists 2 revisions
    server.kubectl("set", "image", "deployment/web", "app=nginx:1.28")
    status = server.kubectl("rollout", "status", "deployment/web", "--timeout=60s").stdout
    assert 'deployment "web" successfully rolled out' in status, status
    history = server.kubectl("rollout", "history", "deployment/web").stdout
    revisions = [line.split()[0] for line in history.splitlines() if line[:1].isdigit()]
    assert revisions == ["1", "2"], history
    assert len(_json(server, "get", "rs", "-l", "app=web")["items"]) == 2

    # undo: back to the first template (as revision 3)
    assert "rolled back" in server.kubectl("rollout", "undo", "deployment/web").stdout
    server.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    d = _json(server, "get", "deployment", "web")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27", d["spec"]
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3", d["metadata"]

    # pause and resume
    assert "paused" in server.kubectl("rollout", "pause", "deployment/web").stdout
    assert _json(server, "get", "deployment", "web")["spec"].get("paused") is True
    assert "resumed" in server.kubectl("rollout", "resume", "deployment/web").stdout

    # wait --for=condition
    out = server.kubectl("wait", "--for=condition=Available", "deployment/web", "--timeout=30s").stdout
    assert "condition met" in out, out


def test_label_patch_and_selectors(server: Server, tmp_path: Path) -> None:
    server.kubectl("apply", "-f", _manifest(tmp_path, replicas=1))
    server.kubectl("label", "deployment", "web", "tier=front", "--overwrite")
    assert _json(server, "get", "deployment", "web")["metadata"]["labels"]["tier"] == "front"
    got = server.kubectl("get", "deployments", "-l", "tier in (front,back),app=web", "-o", "name").stdout
    assert got.split() == ["deployment.apps/web"], got
    none = server.kubectl("get", "deployments", "-l", "tier notin (front)", "-o", "name").stdout
    assert none.strip() == "", none
    server.kubectl("patch", "deployment", "web", "-p", '{"spec":{"replicas":2}}')
    assert _json(server, "get", "deployment", "web")["spec"]["replicas"] == 2
    server.kubectl("patch", "deployment", "web", "--type=json",
                   "-p", '[{"op":"replace","path":"/spec/replicas","value":3}]')
    assert _json(server, "get", "deployment", "web")["spec"]["replicas"] == 3
    server.kubectl("patch", "deployment", "web", "--type=merge", "-p", '{"metadata":{"labels":{"tier":null}}}')
    assert "tier" not in _json(server, "get", "deployment", "web")["metadata"]["labels"]
    server.wait_for("3 ready replicas", lambda: _ready_deployment(server, "web", 3))
    on_node = server.kubectl("get", "pods", "--field-selector", "status.phase=Running", "-o", "name").stdout.split()
    assert len(on_node) >= 3, on_node


def test_get_watch_prints_changes(server: Server, tmp_path: Path) -> None:
    server.kubectl("apply", "-f", _manifest(tmp_path, replicas=1))
    server.wait_for("1 ready replica", lambda: _ready_deployment(server, "web", 1))
    assert KUBECTL is not None
    env = {"KUBECONFIG": str(server.kubeconfig), "HOME": str(server.dir), "PATH": "/usr/bin:/bin"}
    watch = subprocess.Popen([KUBECTL, "get", "pods", "-l", "app=web", "-w", "--output-watch-events"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        time.sleep(2)
        server.kubectl("scale", "deployment", "web", "--replicas=3")
        server.wait_for("3 ready replicas", lambda: _ready_deployment(server, "web", 3))
        time.sleep(1)
    finally:
        watch.terminate()
        out, err = watch.communicate(timeout=10)
    lines = out.splitlines()
    assert lines and lines[0].split()[:3] == ["EVENT", "NAME", "READY"], (out, err)
    added = [line for line in lines if line.startswith("ADDED")]
    modified = [line for line in lines if line.startswith("MODIFIED")]
    assert len(added) >= 3, out  # the one there at the start, then two new ones
    assert any("Running" in line for line in modified), out


def test_errors_read_like_a_cluster(server: Server, tmp_path: Path) -> None:
    missing = server.kubectl("get", "pod", "no-such-pod", check=False)
    assert missing.returncode == 1 and 'Error from server (NotFound): pods "no-such-pod" not found' in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(deployment_yaml("web", -1, "nginx").replace("name: web", "name: bad"))
    out = server.kubectl("apply", "-f", str(bad), check=False)
    assert out.returncode == 1, out
    assert "Invalid" in out.stderr and "spec.replicas" in out.stderr, out.stderr
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(deployment_yaml("web", 1, "nginx").replace("name: web", "name: unk")
                       .replace("  replicas: 1", "  replicas: 1\n  replicaz: 2"))
    out = server.kubectl("apply", "-f", str(unknown), check=False)
    assert out.returncode == 1 and 'unknown field "spec.replicaz"' in out.stderr, out.stderr


def test_delete_cascades(server: Server, tmp_path: Path) -> None:
    server.kubectl("apply", "-f", _manifest(tmp_path, replicas=2))
    server.wait_for("2 ready replicas", lambda: _ready_deployment(server, "web", 2))
    out = server.kubectl("delete", "deployment", "web").stdout
    assert out.strip() == 'deployment.apps "web" deleted', out
    server.wait_for("no ReplicaSets of web", lambda: not _json(server, "get", "rs", "-l", "app=web")["items"])
    server.wait_for("no pods of web", lambda: not _json(server, "get", "pods", "-l", "app=web")["items"])
    again = server.kubectl("delete", "deployment", "web", check=False)
    assert again.returncode == 1 and "NotFound" in again.stderr, again.stderr


def test_create_from_literals_and_expose(server: Server, tmp_path: Path) -> None:
    """kubectl's typed clients send protobuf bodies (conformance/serve/protobuf.py decodes these kinds)."""
    assert server.kubectl("create", "configmap", "cfg", "--from-literal=a=1", "--from-literal=b=two").stdout.strip() \
        == "configmap/cfg created"
    assert _json(server, "get", "configmap", "cfg")["data"] == {"a": "1", "b": "two"}
    server.kubectl("create", "secret", "generic", "pw", "--from-literal=password=s3cret")
    secret = _json(server, "get", "secret", "pw")
    assert (secret["type"], secret["data"]) == ("Opaque", {"password": "czNjcmV0"}), secret
    server.kubectl("create", "namespace", "shop")
    assert _json(server, "get", "namespace", "shop")["status"]["phase"] == "Active"
    server.kubectl("create", "configmap", "in-shop", "-n", "shop", "--from-literal=k=v")
    assert _json(server, "get", "configmap", "in-shop", "-n", "shop")["metadata"]["namespace"] == "shop"
    dup = server.kubectl("create", "configmap", "cfg", "--from-literal=a=1", check=False)
    assert dup.returncode == 1 and 'configmaps "cfg" already exists' in dup.stderr, dup.stderr
    # a kind whose protobuf encoding the server does not decode: a clear 415, nothing created
    refused = server.kubectl("create", "deployment", "d1", "--image=nginx", check=False)
    assert refused.returncode == 1 and "not decoded by this server" in refused.stderr, refused.stderr
    assert server.kubectl("get", "deployment", "d1", check=False).returncode == 1
    # expose (an unstructured client: JSON)
    server.kubectl("apply", "-f", _manifest(tmp_path, replicas=1))
    assert server.kubectl("expose", "deployment", "web", "--port=80").stdout.strip() == "service/web exposed"
    svc = _json(server, "get", "service", "web")
    assert svc["spec"]["selector"] == {"app": "web"} and svc["spec"]["ports"][0]["port"] == 80, svc["spec"]
