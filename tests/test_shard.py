"""Sharded conformance runs: the plan (``conformance.runner.plan``), the ``--shard``/``--database``
errors, and ``kubeoracle report merge`` (``reports.merge``): shards of one run merge into the
unsharded run's verdicts and counts, and shards that are not one whole run are refused.

The shards here run in-process with tiny example counts; tests/test_shard_redis.py runs them as
parallel processes sharing a real redis-server.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import cli, runner
from conformance.machines import MACHINES
from reports import merge

MACHINES3 = "replicaset,rollout,services"
SMALL = ("--machines", MACHINES3, "--examples", "2", "--steps", "6", "--seed", "11", "--database", "none",
         "--quiet")

# what differs between any two runs, or between a merge and a run by design
VOLATILE = {"seconds", "options", "merged", "shard"}


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """A results.json without its timings and options (what a merge must reproduce of one run)."""
    out = {k: v for k, v in summary.items() if k not in VOLATILE}
    out["machines"] = {n: {k: v for k, v in m.items() if k != "seconds"} for n, m in summary["machines"].items()}
    return out


def conformance(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = cli.main(["conformance", *argv])
    _, err = capsys.readouterr()
    return rc, err


# ---------------------------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile,seed", [("dev", None), ("ci", None), ("dev", 5)])
def test_the_shards_of_every_size_cover_the_run_exactly_once(profile: str, seed: int | None) -> None:
    machines = list(MACHINES)
    options = {"profile": profile, "seed": seed, "examples": None}
    for n in range(1, 3 * len(machines) + 1):
        shards = runner.plan(machines, options, n)
        assert shards == runner.plan(machines, options, n), f"the plan for {n} shards is not deterministic"
        assert len(shards) == n and all(shards), f"{n} shards: a shard has nothing to do: {shards}"
        units = [u for s in shards for u in s]
        for name in machines:
            mine = [u for u in units if u.machine == name]
            assert sorted(u.part for u in mine) == list(range(1, mine[0].parts + 1)), (name, n, mine)
            assert sum(u.examples for u in mine) == runner.examples_for(name, options), (name, n, mine)
            if n <= len(machines):
                assert mine == [runner.Unit(name, 1, 1, runner.examples_for(name, options), None)], (n, mine)
        parts_seeds = [u.seed for u in units if u.parts > 1]
        if profile == "ci" or seed is not None:  # reproducible: each part its own fixed seed
            assert None not in parts_seeds and len(set(parts_seeds)) == len(parts_seeds), parts_seeds
        else:  # a random run: each part draws at random, as the unsharded run does
            assert set(parts_seeds) <= {None}, parts_seeds
    loads = [sum(u.examples for u in s) for s in runner.plan(machines, options, 4)]
    assert max(loads) - min(loads) <= max(runner.examples_for(m, options) for m in machines), loads


def test_a_whole_machine_runs_with_the_options_of_the_unsharded_run() -> None:
    options = {"profile": "ci", "seed": None, "examples": None, "steps": 7}
    (unit,) = runner.plan(["replicaset"], options, 1)[0]
    assert unit.options(options) is options
    a, b = runner.plan(["replicaset"], options, 2)
    assert a[0].options(options)["examples"] + b[0].options(options)["examples"] == 150
    assert a[0].options(options)["steps"] == 7 and a[0].options(options)["seed"] != b[0].options(options)["seed"]


def test_more_shards_than_units_is_refused() -> None:
    with pytest.raises(ValueError, match=r"4 shards, but the run has only 3 units of work"):
        runner.plan(["replicaset", "rollout", "services"], {"examples": 1, "profile": "dev"}, 4)


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,message", [
    ("0/3", "shard K is 0, but must be from 1 to 3"),
    ("4/3", "shard K is 4, but must be from 1 to 3"),
    ("1/0", "the number of shards N is 0, but must be at least 1"),
    ("x/y", "'x/y' is not K/N"),
    ("2", "'2' is not K/N"),
    ("-1/3", "'-1/3' is not K/N"),
])
def test_bad_shards_are_refused_with_a_reason(value: str, message: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = conformance(tmp_path, capsys, f"--shard={value}", "--report", str(tmp_path / "r"))
    assert rc == 2 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("argv,message", [
    (("--shard", "9/9", "--machines", "replicaset,rollout", "--examples", "2"),
     "9 shards, but the run has only 4 units of work"),
    (("--run-id", "x"), "--run-id names the run a shard belongs to; give it with --shard K/N"),
    (("--shard", "1/2", "--self-test"), "the self-test is not sharded"),
    (("--database", "redis://127.0.0.1:1/0"), "cannot reach the Redis server"),
    (("--database", "redis://127.0.0.1:notaport/0"), "not a Redis URL"),
    (("--database", "ftp://host/x"), "unknown scheme"),
])
def test_usage_errors_name_the_flag(argv: tuple[str, ...], message: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    if "redis" in argv[-1]:
        pytest.importorskip("redis", reason="the Redis example database needs 'kubeoracle[redis]'")
    rc, err = conformance(tmp_path, capsys, *argv)
    assert rc == 2 and message in err and "Traceback" not in err, err


def test_a_redis_database_without_the_extra_says_what_to_install(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError, as without the extra
    monkeypatch.delitem(sys.modules, "hypothesis.extra.redis", raising=False)
    rc, err = conformance(tmp_path, capsys, "--database", "redis://127.0.0.1:6379/0")
    assert rc == 2 and "needs the Python package 'redis': pip install 'kubeoracle[redis]'" in err, err


# ---------------------------------------------------------------------------------------------
# merge
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unsharded run and its three shards (one machine each), all with the same small options."""
    root = tmp_path_factory.mktemp("shards")
    # no top-up: a sharded run has none (the merge judges vacuity over the shards as they ran)
    assert cli.main(["conformance", *SMALL, "--top-up", "0", "--report", str(root / "all")]) in (0, 2)
    for k in (1, 2, 3):
        rc = cli.main(["conformance", *SMALL, "--shard", f"{k}/3", "--run-id", "r1", "--report", str(root / f"s{k}")])
        assert rc == 0, f"shard {k}/3 exit {rc}: a passing shard exits 0 (vacuity is judged by the merge)"
    return root


def test_the_merge_of_the_shards_is_the_unsharded_run(runs: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shard1 = json.loads((runs / "s1" / "results.json").read_text())
    assert list(shard1["machines"]) == ["replicaset"] and shard1["shard"]["index"] == 1, shard1["shard"]
    rc = cli.main(["report", "merge", str(tmp_path / "m"), *(str(runs / f"s{k}") for k in (3, 1, 2))])
    out, err = capsys.readouterr()
    whole = json.loads((runs / "all" / "results.json").read_text())
    merged = json.loads((tmp_path / "m" / "results.json").read_text())
    assert rc == runner.exit_code(whole["valid"]), (rc, err)
    assert list(merged["machines"]) == MACHINES3.split(","), "machines in the run's order"
    assert comparable(merged) == comparable(whole)
    assert merged["merged"]["count"] == 3 and merged["merged"]["run_id"] == "r1"
    assert merged["options"]["shards"] == 3 and merged["options"]["seed"] == 11
    html = (tmp_path / "m" / "report.html").read_text()
    md = (tmp_path / "m" / "summary.md").read_text()
    assert "services" in html and "kubeoracle conformance" in md, md[:500]
    assert "3 shards of run r1" in out, out


def _copy(runs: Path, tmp_path: Path, k: int, edit: Any = None) -> Path:
    d = tmp_path / f"c{k}-{getattr(edit, '__name__', 'as-is')}"
    shutil.copytree(runs / f"s{k}", d)
    if edit is not None:
        data = json.loads((d / "results.json").read_text())
        edit(data)
        (d / "results.json").write_text(json.dumps(data))
    return d


def _refused(capsys: pytest.CaptureFixture[str], out: Path, *shards: Path) -> str:
    rc = cli.main(["report", "merge", str(out), *map(str, shards)])
    _, err = capsys.readouterr()
    assert rc == 2, f"exit {rc}, but the merge should be refused: {err}"
    assert not (out / "results.json").exists(), "a refused merge wrote a report"
    return err


def test_shards_of_another_run_are_refused(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s1, s2 = runs / "s1", runs / "s2"

    def seed(d: dict[str, Any]) -> None:
        d["shard"]["config"]["seed"] = 12

    err = _refused(capsys, tmp_path / "m", s1, s2, _copy(runs, tmp_path, 3, seed))
    assert "a shard of another run: its seed is 12, but" in err and "has 11" in err, err

    def adapter(d: dict[str, Any]) -> None:
        d["shard"]["config"]["adapter"] = "kube:x"

    err = _refused(capsys, tmp_path / "m", s1, s2, _copy(runs, tmp_path, 3, adapter))
    assert "its adapter is 'kube:x'" in err, err

    def run_id(d: dict[str, Any]) -> None:
        d["shard"]["run_id"] = "r2"

    err = _refused(capsys, tmp_path / "m", s1, s2, _copy(runs, tmp_path, 3, run_id))
    assert "its run ID is 'r2', but" in err, err


def test_an_incomplete_or_doubled_set_of_shards_is_refused(runs: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    s1, s2, s3 = (runs / f"s{k}" for k in (1, 2, 3))
    err = _refused(capsys, tmp_path / "m", s1, s3)
    assert "shard(s) 2/3 missing (given: 1/3, 3/3)" in err, err
    err = _refused(capsys, tmp_path / "m", s1, s2, s3, _copy(runs, tmp_path, 2))
    assert "shard 2/3 given twice" in err, err

    def lost(d: dict[str, Any]) -> None:  # a shard whose machines are not those of its plan
        d["machines"].pop("services")

    err = _refused(capsys, tmp_path / "m", s1, s2, _copy(runs, tmp_path, 3, lost))
    assert "ran nothing, but its plan gives it services" in err, err


def test_what_is_not_a_shard_is_refused(runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, tmp_path / "m", runs / "all", runs / "s1")
    assert "the report of an unsharded run (it has no shard section)" in err, err
    err = _refused(capsys, tmp_path / "m", tmp_path / "nowhere")
    assert "no results.json there" in err, err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.json").write_text("{not json")
    err = _refused(capsys, tmp_path / "m", bad)
    assert "not valid JSON" in err, err
    before = (runs / "s1" / "results.json").read_text()
    assert cli.main(["report", "merge", str(runs / "s1"), *(str(runs / f"s{k}") for k in (1, 2, 3))]) == 2
    assert "would overwrite that shard's report" in capsys.readouterr().err
    assert (runs / "s1" / "results.json").read_text() == before
    assert cli.main(["report"]) == 2 and "a command is required: merge" in capsys.readouterr().err


def test_parts_of_a_machine_merge_into_one_machine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Four shards of two machines: each machine's examples split in two parts, each in its own shard."""
    argv = ("--machines", "replicaset,rollout", "--examples", "3", "--steps", "5", "--seed", "4",
            "--database", "none", "--quiet")
    for k in (1, 2, 3, 4):
        assert cli.main(["conformance", *argv, "--shard", f"{k}/4", "--report", str(tmp_path / f"s{k}")]) == 0
    capsys.readouterr()
    shards = [json.loads((tmp_path / f"s{k}" / "results.json").read_text()) for k in (1, 2, 3, 4)]
    ran = sorted((n, tuple(m["parts"]), m["stats"]["examples"]) for s in shards for n, m in s["machines"].items())
    assert ran == [("replicaset", (1,), 2), ("replicaset", (2,), 1), ("rollout", (1,), 2), ("rollout", (2,), 1)], ran
    summary = merge.merge([tmp_path / f"s{k}" for k in (1, 2, 3, 4)])
    for name in ("replicaset", "rollout"):
        m = summary["machines"][name]
        assert m["parts"] == [1, 2] and m["of"] == 2 and m["stats"]["examples"] == 3, m
        steps = sum(s["machines"][name]["stats"]["steps"] for s in shards if name in s["machines"])
        assert m["stats"]["steps"] == steps
    assert summary["steps"] == sum(s["steps"] for s in shards)


def test_a_failed_part_fails_its_machine() -> None:
    ok = {"machine": "m", "valid": True, "failure": None, "error": None, "stats": {"steps": 3, "examples": 2},
          "seconds": 1.0, "parts": [1], "of": 3}
    bad = {**ok, "valid": False, "failure": {"invariant": "x", "rules": ["R"], "message": "broke", "events": []},
           "parts": [3]}
    odd = {**ok, "valid": "unknown", "error": "adapter error: gone", "parts": [2]}
    for perm in itertools.permutations([ok, bad, odd]):
        m = runner.combine(list(perm))
        assert m["valid"] is False and m["failure"] == bad["failure"] and m["parts"] == [1, 2, 3], m
        assert m["stats"]["steps"] == 9 and m["error"] == "adapter error: gone", m
    assert runner.combine([ok, odd])["valid"] == "unknown"


# ---------------------------------------------------------------------------------------------
# examples/in-cluster
# ---------------------------------------------------------------------------------------------
IN_CLUSTER = Path(__file__).resolve().parents[1] / "examples" / "in-cluster"


def _docs(*names: str) -> list[dict[str, Any]]:
    import yaml

    return [d for n in names for d in yaml.safe_load_all((IN_CLUSTER / n).read_text()) if d]


def test_the_in_cluster_manifests_validate(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main(["validate", "--strict", "-f", str(IN_CLUSTER), "-f", str(IN_CLUSTER / "merge")])
    out, err = capsys.readouterr()
    assert rc == 0 and "10 objects: 10 valid, 0 invalid, 0 skipped" in out, out + err


def test_the_admission_policy_is_what_the_model_cannot_check_and_holds_the_runner_to_its_sandbox(
        capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.adapters.kube import SANDBOX_LABEL

    policy = IN_CLUSTER / "admission" / "sandbox-policy.yaml"
    rc = cli.main(["validate", "-f", str(policy)])
    _, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert rc == 1 and len(errors) == 4 and all('in version "admissionregistration.k8s.io/v1"' in e for e in errors), \
        f"the model now checks the admission policy? then validate it with the other manifests:\n{err}"
    (account,) = [d for d in _docs("00-runner.yaml") if d["kind"] == "ServiceAccount"]
    user = f"system:serviceaccount:{account['metadata']['namespace']}:{account['metadata']['name']}"
    docs = _docs("admission/sandbox-policy.yaml")
    policies = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ValidatingAdmissionPolicy"}
    bindings = {d["spec"]["policyName"]: d for d in docs if d["kind"] == "ValidatingAdmissionPolicyBinding"}
    assert set(policies) == set(bindings) and len(policies) == 2, (policies, bindings)
    for name, p in policies.items():
        assert bindings[name]["spec"]["validationActions"] == ["Deny"] and p["spec"]["failurePolicy"] == "Fail"
        assert [c["expression"] for c in p["spec"]["matchConditions"]] == [f"request.userInfo.username == '{user}'"]
        assert all(f"'{SANDBOX_LABEL}' in" in v["expression"] for v in p["spec"]["validations"]), name
    # every resource the runner may write is held by a policy; it gets no Secrets
    (role,) = [d for d in _docs("00-runner.yaml") if d["kind"] == "ClusterRole"]
    writable = {r for rule in role["rules"] if set(rule["verbs"]) & {"create", "update", "patch", "delete"}
                for r in rule["resources"]}
    held = {r for p in policies.values() for rule in p["spec"]["matchConstraints"]["resourceRules"]
            for r in rule["resources"]}
    assert writable <= held, f"writes not held to the sandbox: {writable - held}"
    assert not any("secrets" in rule["resources"] or "*" in rule["resources"] for rule in role["rules"])


def test_the_indexed_job_runs_one_shard_per_index_with_the_in_cluster_context() -> None:
    (job,) = _docs("40-job.yaml")
    (cm,) = _docs("10-kubeconfig.yaml")
    (account,) = [d for d in _docs("00-runner.yaml") if d["kind"] == "ServiceAccount"]
    import yaml

    kubeconfig = yaml.safe_load(cm["data"]["kubeconfig"])
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    script = container["args"][0]
    assert job["spec"]["completionMode"] == "Indexed" and int(env["SHARDS"]["value"]) == job["spec"]["completions"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert [c["name"] for c in kubeconfig["contexts"]] == ["in-cluster"] and "--adapter kube:in-cluster" in script
    assert '--shard "$k/$SHARDS"' in script and "k=$((JOB_COMPLETION_INDEX + 1))" in script
    assert env["KUBECONFIG"]["value"].startswith(next(m["mountPath"] for m in container["volumeMounts"]
                                                      if m["name"] == "kubeconfig"))
    assert "controller-uid" in env["RUN_ID"]["valueFrom"]["fieldRef"]["fieldPath"]
    # the kube adapter's model takes the nodes' whole capacity to be its sandbox's: the example's own pods
    # must request none of it (BestEffort), or the scheduler and the model would disagree about what fits
    for doc in _docs("20-redis.yaml", "40-job.yaml", "merge/merge-job.yaml"):
        for c in (doc.get("spec") or {}).get("template", {}).get("spec", {}).get("containers", ()):
            assert not c.get("resources"), f"{doc['kind']}/{doc['metadata']['name']}: {c.get('resources')}"


def test_a_shard_in_worker_processes_is_the_same_shard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--workers runs a shard's units in processes; the results keep the units' order and content."""
    argv = ("--machines", "replicaset,rollout", "--examples", "2", "--steps", "5", "--seed", "8", "--database",
            "none", "--quiet", "--shard", "1/3")
    assert cli.main(["conformance", *argv, "--report", str(tmp_path / "one")]) == 0
    assert cli.main(["conformance", *argv, "--workers", "2", "--report", str(tmp_path / "two")]) == 0
    capsys.readouterr()
    one, two = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("one", "two"))
    assert [(n, m["parts"]) for n, m in one["machines"].items()] == [("replicaset", [1]), ("rollout", [2])]
    assert comparable(one) == comparable(two)
