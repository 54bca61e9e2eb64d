"""Indicative figures for ``kubeoracle serve`` (wall clock: quote them with the machine's load).

``python -m conformance.serve.bench [--objects 100] [--clients 8] [--seconds 10]`` starts a server on a
free port in a temporary directory, then measures:

1. ``kubectl apply -f`` of a manifest of ``--objects`` objects (half Deployments of 2 replicas, half
   ConfigMaps) and the time until every pod of those Deployments is Ready (real time, ``--time-scale 1``);
2. sustained writes per second (ConfigMap creates) from ``--clients`` concurrent HTTPS clients;
3. the conformance suite's steps per second through the ``kube`` adapter against a second server
   (``--time-scale 20``): ``--suite-examples`` examples of ``--suite-steps`` steps on each default
   machine, one worker (``--suite-examples 0`` skips it). The run must pass (no violation).

Each figure is checked (every object created, every pod Ready, every write answered 201) before it is
printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path


def _start(tmp: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "serve", "--port", "0", "--data-dir", str(tmp),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "serving the Kubernetes API" in line:
            return proc, line.rsplit(" ", 1)[1].strip()
    raise SystemExit("the server did not start")


def _manifest(n: int) -> str:
    docs = []
    for i in range(n):
        if i % 2 == 0:
            docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app-{i}"},
                         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": f"app-{i}"}},
                                  "template": {"metadata": {"labels": {"app": f"app-{i}", "bench": "yes"}},
                                               "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}})
        else:
            docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cfg-{i}"},
                         "data": {"k": str(i)}})
    import yaml

    return yaml.safe_dump_all(docs, sort_keys=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m conformance.serve.bench")
    p.add_argument("--objects", type=int, default=100)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--suite-examples", type=int, default=2)
    p.add_argument("--suite-steps", type=int, default=8)
    args = p.parse_args(argv)
    kubectl = shutil.which("kubectl")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, url = _start(tmp)
        try:
            env = dict(os.environ, KUBECONFIG=str(tmp / "kubeconfig"), HOME=str(tmp))
            if kubectl:
                (tmp / "bench.yaml").write_text(_manifest(args.objects))
                t0 = time.monotonic()
                done = subprocess.run([kubectl, "apply", "-f", str(tmp / "bench.yaml")], capture_output=True,
                                      text=True, env=env)
                applied = time.monotonic() - t0
                assert done.stdout.count(" created") == args.objects, (done.stdout, done.stderr)
                want = (args.objects + 1) // 2 * 2
                while True:
                    pods = json.loads(subprocess.run([kubectl, "get", "pods", "-l", "bench=yes", "-o", "json"],
                                                     capture_output=True, text=True, env=env, check=True).stdout)
                    ready = sum(1 for pod in pods["items"] if any(
                        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])))
                    if ready == want:
                        break
                    time.sleep(0.2)
                print(f"kubectl apply -f of {args.objects} objects: {applied:.1f} s; all {want} pods Ready "
                      f"{time.monotonic() - t0:.1f} s after the apply started")
            ctx = ssl.create_default_context(cafile=str(tmp / "ca.crt"))
            token = (tmp / "token").read_text().strip()
            counts = [0] * args.clients
            stop = time.monotonic() + args.seconds

            def client(k: int) -> None:
                i = 0
                while time.monotonic() < stop:
                    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": f"w-{k}-{i}"}, "data": {"i": str(i)}}).encode()
                    req = urllib.request.Request(url + "/api/v1/namespaces/default/configmaps", data=body,
                                                 method="POST", headers={"Authorization": f"Bearer {token}",
                                                                         "Content-Type": "application/json"})
                    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
                        assert resp.status == 201, resp.status
                    counts[k] += 1
                    i += 1

            threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            total = sum(counts)
            print(f"{args.clients} concurrent clients: {total} writes in {args.seconds:.0f} s = "
                  f"{total / args.seconds:.0f} writes/s (each answered 201)")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        if args.suite_examples > 0:
            _suite(Path(tmp_name) / "suite", args.suite_examples, args.suite_steps)
    return 0


def _suite(tmp: Path, examples: int, steps: int) -> None:
    """The suite through the kube adapter against ``kubeoracle serve --time-scale 20``: steps per second."""
    tmp.mkdir()
    proc, _url = _start(tmp / "server", "--time-scale", "20")
    try:
        env = dict(os.environ, KUBECONFIG=str(tmp / "server" / "kubeconfig"))
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "conformance", "conformance", "--adapter", "kube:kubeoracle",
                               "--examples", str(examples), "--steps", str(steps), "--seed", "1", "--database",
                               "none", "--quiet", "--report", str(tmp / "out")], capture_output=True, text=True,
                              env=env)
        wall = time.monotonic() - t0
        results = json.loads((tmp / "out" / "results.json").read_text())
        failed = sorted(k for k, v in results["invariants"].items() if v.get("violations"))
        assert done.returncode in (0, 2) and not failed, (done.returncode, failed, done.stdout[-2000:])
        print(f"the suite through the kube adapter (kubeoracle serve --time-scale 20, every default machine, "
              f"{examples} examples of {steps} steps): {results['steps']} steps ({results['settles']} settles) "
              f"in {results['seconds']:.0f} s = {results['steps'] / results['seconds']:.1f} steps/s "
              f"({wall:.0f} s with start-up), no violation")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
