"""Sharded runs as separate processes sharing one real ``redis-server`` as Hypothesis's example database
(``--database redis://...``, Hypothesis's own ``RedisExampleDatabase``): the shards together are the
unsharded run, and a counterexample one process found is what the next process tries first.

The test starts its own redis-server (Debian's package ``redis-server``; ``.ci/run`` installs it) on a free
loopback port, with no persistence, and stops it. It skips only where the binary or the ``redis`` client
package is absent.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import stop
from test_shard import comparable

REPO = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server")

BUGGY = textwrap.dedent('''
    """The model, but a ReplicaSet or Deployment applied with 2 or more replicas gets one more (a third
    party's off-by-one)."""
    import attrs

    from conformance.adapters.model import ModelAdapter
    from refmodel import events


    class OffByOne(ModelAdapter):
        name = "off-by-one"

        def step(self, event):  # every request goes through step
            obj = event.obj if isinstance(event, events.Apply) else None
            if isinstance(obj, dict) and obj.get("kind") in ("ReplicaSet", "Deployment"):
                spec = obj.get("spec") or {}
                if isinstance(spec.get("replicas"), int) and spec["replicas"] >= 2:
                    event = attrs.evolve(event, obj={**obj, "spec": {**spec, "replicas": spec["replicas"] + 1}})
            return super().step(event)


    def factory():
        return OffByOne()
''')


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this module's own: its URL without a database number."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)")
    redis = pytest.importorskip("redis", reason="the Redis example database needs 'kubeoracle[redis]'")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"redis://127.0.0.1:{port}"
    client = redis.Redis.from_url(url + "/0")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    out = proc.communicate()[0]
                    pytest.fail(f"redis-server did not start on port {port}: {out[-1000:]}")
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()


_DATABASES = itertools.count(1)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A database of its own on the module's server: what one test's processes save, another's never
    replay (the example database key is the machine's, whatever the adapter)."""
    return f"{redis_server}/{next(_DATABASES)}"


def _start(cwd: Path, *argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "conformance", *argv], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(procs: list[subprocess.Popen[str]], timeout: float = 600) -> list[tuple[int, str]]:
    done = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        done.append((p.returncode, out[-3000:] + err[-3000:]))
    return done


def _hits(url: str) -> int:
    """How many reads of an existing key the server has answered."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("stats")["keyspace_hits"])
    finally:
        client.close()


def _keys(url: str) -> set[bytes]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return set(client.scan_iter(match=b"hypothesis-example:*"))
    finally:
        client.close()


def test_parallel_shards_sharing_redis_merge_into_the_unsharded_run(redis_url: str, tmp_path: Path) -> None:
    opts = ("--machines", "replicaset,rollout,services", "--examples", "3", "--steps", "6", "--seed", "21",
            "--quiet")
    procs = [_start(tmp_path, "conformance", *opts, "--shard", f"{k}/3", "--run-id", "par",
                    "--database", redis_url, "--report", str(tmp_path / f"s{k}")) for k in (1, 2, 3)]
    procs.append(_start(tmp_path, "conformance", *opts, "--database", "none", "--top-up", "0",  # shards have none
                        "--report", str(tmp_path / "all")))
    for (rc, out), who in zip(_finish(procs), ("1/3", "2/3", "3/3", "unsharded")):
        assert rc in ((0,) if who != "unsharded" else (0, 2)), f"{who}: exit {rc}\n{out}"
    merged = _start(tmp_path, "report", "merge", str(tmp_path / "m"), *(str(tmp_path / f"s{k}") for k in (1, 2, 3)))
    ((rc, out),) = _finish([merged])
    whole = json.loads((tmp_path / "all" / "results.json").read_text())
    summary = json.loads((tmp_path / "m" / "results.json").read_text())
    assert rc in (0, 2) and summary["valid"] == whole["valid"], out
    assert without_premises(comparable(summary)) == without_premises(comparable(whole))
    assert {n: i["valid"] for n, i in summary["invariants"].items()} == \
        {n: i["valid"] for n, i in whole["invariants"].items()}


def without_premises(summary: dict[str, Any]) -> dict[str, Any]:
    """A results.json without its premise counts. Between processes (not within one: tests/test_shard.py
    compares them too), the services machine's count of a premise has been seen to differ by one in
    about one run in six under load, with the same events, checks and verdicts: a nondeterminism of the
    suite that sharding only shows (reported); the verdicts are compared whole."""
    out = dict(summary)
    out["invariants"] = {n: {k: v for k, v in i.items() if k not in ("premises", "valid", "vacuous")}
                         for n, i in summary["invariants"].items()}
    out["machines"] = {n: {**m, "stats": {k: v for k, v in m["stats"].items() if k != "premises"}}
                       for n, m in summary["machines"].items()}
    out.pop("vacuous", None)
    return out


def test_a_counterexample_one_shard_found_is_tried_first_by_the_next_process(redis_url: str, tmp_path: Path) -> None:
    (tmp_path / "offbyone.py").write_text(BUGGY)
    opts = ("--adapter", "offbyone:factory", "--machines", "replicaset,rollout", "--examples", "25", "--steps", "8",
            "--shrink-seconds", "15", "--quiet", "--database", redis_url)
    before = _keys(redis_url)
    procs = [_start(tmp_path, "conformance", *opts, "--seed", "1", "--shard", f"{k}/2",
                    "--report", str(tmp_path / f"s{k}")) for k in (1, 2)]
    for rc, out in _finish(procs):
        assert rc == 1, f"exit {rc}, but the adapter has an off-by-one\n{out}"
    saved = _keys(redis_url) - before
    assert saved, "the failing shards saved nothing in the shared database"

    ((rc, out),) = _finish([_start(tmp_path, "report", "merge", str(tmp_path / "m"), str(tmp_path / "s1"),
                                   str(tmp_path / "s2"))])
    merged = json.loads((tmp_path / "m" / "results.json").read_text())
    assert rc == 1 and merged["valid"] is False, out
    for name in ("replicaset", "rollout"):
        assert merged["machines"][name]["valid"] is False, merged["machines"][name]
        assert (tmp_path / "m" / "counterexamples" / f"{name}.yaml").is_file()

    # another process, another seed: the reuse phase replays what the first processes saved, so its very
    # first example fails, with the counterexample already shrunk
    first: dict[str, Any] = json.loads((tmp_path / "s2" / "results.json").read_text())
    hits = _hits(redis_url)
    ((rc, out),) = _finish([_start(tmp_path, "conformance", *opts, "--seed", "999", "--shard", "2/2",
                                   "--report", str(tmp_path / "again"))])
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    (name,) = again["machines"]
    assert rc == 1 and again["machines"][name]["stats"]["examples"] == 1, (name, again["machines"][name]["stats"], out)
    assert again["machines"][name]["failure"]["events"] == first["machines"][name]["failure"]["events"]
    assert _hits(redis_url) > hits, "the second process never read the shared database"


# ---- examples/in-cluster: the Job's own scripts, against kubeoracle serve -------------------------------
IN_CLUSTER = REPO / "examples" / "in-cluster"


def _script(path: Path, kind: str = "Job") -> tuple[dict[str, Any], str]:
    import yaml

    (doc,) = [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == kind]
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["/bin/sh", "-c"], container["command"]
    return doc, container["args"][0]


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the example no longer has {old!r}; update this test with it"
    return text.replace(old, new)


def test_the_in_cluster_job_runs_its_shards_and_merge_against_kubeoracle_serve(redis_url: str, tmp_path: Path) -> None:
    """The Indexed Job's shard script, once per completion index, with the kubeconfig of its ConfigMap
    (the server's CA and token file in place of the service account's), the test's Redis in place of
    the in-cluster one and a small budget; then the merge Job's script."""
    import yaml
    from serving import need_serve_deps, start

    need_serve_deps()
    pytest.importorskip("kubernetes", reason="the kube adapter needs 'kubeoracle[kube]'")
    job, shard_script = _script(IN_CLUSTER / "40-job.yaml")
    _, merge_script = _script(IN_CLUSTER / "merge" / "merge-job.yaml")
    assert job["spec"]["completionMode"] == "Indexed"
    env_of = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    shards = int(env_of["SHARDS"]["value"])
    assert shards == job["spec"]["completions"], "SHARDS must equal the Job's completions"
    (cm,) = [d for d in yaml.safe_load_all((IN_CLUSTER / "10-kubeconfig.yaml").read_text()) if d]
    results = tmp_path / "results"
    shard_script = _replace(shard_script, "redis://redis.kubeoracle.svc:6379/0", redis_url)
    shard_script = _replace(shard_script, "--examples 20 --steps 10", "--examples 2 --steps 5")
    shard_script = _replace(shard_script, "/results/", f"{results}/")
    assert "ls -t /results |" in merge_script, merge_script
    merge_script = re.sub(r"(?<!\w)/results\b", str(results), merge_script)
    bin_dir = tmp_path / "bin"  # `kubeoracle` as the image has it: this checkout's
    bin_dir.mkdir()
    (bin_dir / "kubeoracle").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m conformance "$@"\n')
    (bin_dir / "kubeoracle").chmod(0o755)

    (tmp_path / "serve").mkdir()
    served = start(tmp_path / "serve", "--time-scale", "20")
    server = next(served)
    try:
        config = yaml.safe_load(cm["data"]["kubeconfig"])
        config["clusters"][0]["cluster"].update({"server": server.url,
                                                 "certificate-authority": str(server.dir / "ca.crt")})
        assert config["users"][0]["user"]["tokenFile"] == "/var/run/secrets/kubernetes.io/serviceaccount/token"
        token = tmp_path / "token"  # as the kubelet mounts it: the token alone (the client sends it as is)
        token.write_text(server.token)
        config["users"][0]["user"]["tokenFile"] = str(token)
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump(config))
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "SHARDS": str(shards), "RUN_ID": "uid-1",
               "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        assert job["spec"]["parallelism"] == 1, "the shards share the cluster's nodes: one at a time"
        for i in range(shards):  # one at a time, as the Job's parallelism runs them
            proc = subprocess.Popen(["/bin/sh", "-c", shard_script], env={**env, "JOB_COMPLETION_INDEX": str(i)},
                                    cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            ((rc, out),) = _finish([proc])
            assert rc == 0, f"completion index {i}: exit {rc}\n{out}"
            shard = json.loads((results / "uid-1" / f"shard-{i + 1}" / "results.json").read_text())
            assert shard["valid"] is True and shard["adapter"] == "kube:in-cluster", (i, shard["valid"], out)
        merged = subprocess.run(["/bin/sh", "-c", merge_script], env=env, cwd=tmp_path, text=True,
                                capture_output=True, timeout=300)
    finally:
        served.close()
    assert (results / "uid-1" / "merged" / "results.json").is_file(), merged.stdout + merged.stderr
    summary = json.loads((results / "uid-1" / "merged" / "results.json").read_text())
    # 2: passed, but so small a run leaves some invariants vacuous
    assert merged.returncode in (0, 2) and summary["valid"] in (True, "unknown"), merged.stdout + merged.stderr
    assert summary["merged"]["count"] == shards and summary["merged"]["run_id"] == "uid-1"
    assert {n: m["parts"] for n, m in summary["machines"].items()} == {"rollout": [1, 2], "replicaset": [1, 2]}
    assert "kubeoracle conformance:" in merged.stdout, merged.stdout  # the summary it prints
