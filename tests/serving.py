"""A ``kubeoracle serve`` process for the tests: started on a free loopback port in a temporary data
directory, with helpers to call it over HTTPS (stdlib only) and to run the real kubectl against it, and the
Deployment manifest the kubectl tests apply."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = shutil.which("kubectl")


def need_serve_deps() -> None:
    pytest.importorskip("aiohttp", reason="kubeoracle serve needs aiohttp (pip install 'kubeoracle[serve]')")
    pytest.importorskip("cryptography", reason="kubeoracle serve needs cryptography (pip install 'kubeoracle[serve]')")


#: a Deployment manifest for the kubectl tests (filled in by :func:`deployment_yaml`)
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
  labels: {app: NAME LABELS}
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: NAME}
  template:
    metadata:
      labels: {app: NAME}
    spec:
      containers:
      - name: app
        image: IMAGE
        ports:
        - containerPort: 80
"""


def deployment_yaml(name: str, replicas: int, image: str = "nginx:1.27", labels: str = "") -> str:
    """Deployment ``name``: its pods labelled ``app: NAME``, one container ``app`` of ``image`` on port 80;
    ``labels`` is appended to the Deployment's own labels (``", tier: web"``)."""
    return (DEPLOYMENT.replace(" LABELS", labels).replace("NAME", name).replace("REPLICAS", str(replicas))
            .replace("IMAGE", image))


class Server:
    """A running server: its URL, kubeconfig, token, and a TLS context that trusts its CA."""

    def __init__(self, proc: subprocess.Popen[str], data_dir: Path, url: str) -> None:
        self.proc = proc
        self.dir = data_dir
        self.url = url
        self.kubeconfig = data_dir / "kubeconfig"
        self.token = (data_dir / "token").read_text().strip()
        self.ctx = ssl.create_default_context(cafile=str(data_dir / "ca.crt"))

    # ---- raw HTTP ----------------------------------------------------------------------------
    def call(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
             token: str | None = None, accept: str = "application/json", raw: bytes | None = None,
             timeout: float = 30) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token if token is None else token}")
        req.add_header("Accept", accept)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=timeout) as resp:
                text = resp.read()
                code = resp.status
        except urllib.error.HTTPError as exc:
            text = exc.read()
            code = exc.code
        try:
            return code, json.loads(text)
        except ValueError:
            return code, text.decode("utf-8", "replace")

    def stream(self, path: str, timeout: float = 30) -> list[dict[str, Any]]:
        """A watch until the server ends it (pass ``timeoutSeconds``): the events, in order."""
        req = urllib.request.Request(self.url + path)
        req.add_header("Authorization", f"Bearer {self.token}")
        events = []
        with urllib.request.urlopen(req, context=self.ctx, timeout=timeout) as resp:
            for line in resp:
                if line.strip():
                    events.append(json.loads(line))
        return events

    def alive(self) -> bool:
        return self.proc.poll() is None and self.call("GET", "/version")[0] == 200

    # ---- kubectl -----------------------------------------------------------------------------
    def kubectl(self, *args: str, check: bool = True, timeout: float = 60,
                stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        env = dict(os.environ, KUBECONFIG=str(self.kubeconfig), HOME=str(self.dir))
        done = subprocess.run([KUBECTL, *args], capture_output=True, text=True, env=env, timeout=timeout,
                              input=stdin)
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)}: exit {done.returncode}, but should succeed\n"
                                 f"stdout: {done.stdout}\nstderr: {done.stderr}")
        return done

    def wait_for(self, what: str, predicate: Any, timeout: float = 60) -> Any:
        """Poll ``predicate()`` until it returns something truthy; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.2)
        raise AssertionError(f"{what}: still {last!r} after {timeout}s, but should have happened")


def start(tmp: Path, *extra: str) -> Iterator[Server]:
    """Start ``kubeoracle serve --port 0`` and yield it; stop it (SIGTERM, then SIGKILL) afterwards."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0", "--data-dir", str(tmp),
                             "--time-scale", "4", *extra],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=str(ROOT))
    url = ""
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if "serving the Kubernetes API" in line:
                url = line.rsplit(" ", 1)[1].strip()
                break
            if time.monotonic() > deadline:
                break
        if not url:
            proc.kill()
            proc.wait()
            err = (tmp / "server.log").read_text()
            raise AssertionError(f"kubeoracle serve did not start: {err[-2000:]}")
        yield Server(proc, tmp, url)
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[Any]) -> None:
    """Stop a server process the test started: SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
