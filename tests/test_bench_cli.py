"""``kubeoracle bench``: its usage errors, the pytest run it makes, and the regression test: a controller
slowed by a test-only switch (``tests/slow_controller.py``: the ReplicaSet controller's sync runs
several times per work item) makes ``--compare`` flag the figure and exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import bench
from conformance.cli import main as cli_main

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "reports"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli_main(["bench", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_bench_without_benchmarks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bench, "repo_root", lambda: tmp_path)
    rc, _, err = run(capsys)
    assert rc == 2 and "'bench' is not available in this build" in err, (rc, err)


@pytest.mark.parametrize(("argv", "message"), [
    (["--compare", "nope.json"], '--compare: cannot read "nope.json"'),
    (["--threshold", "ten"], "'ten' is not a percentage"),
    (["--threshold", "0"], "must be between 0 and 1000 percent"),
])
def test_bench_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, *argv)
    assert rc == 2 and message in err and "Traceback" not in err, (rc, err)


def test_bench_compare_rejects_a_file_that_is_not_benchmark_json(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"valid": true}')
    rc, _, err = run(capsys, "--compare", str(bad))
    assert rc == 2 and "no 'benchmarks' list" in err, err


def test_bench_runs_every_benchmark_file_and_writes_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """pytest gets benchmarks/ (so every bench_*.py there, other helpers' too), the JSON path, the progress
    plugin, the quick sizes and the extra arguments; the report is written from the JSON it leaves."""
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((cmd, kwargs["env"]))
        out = Path(cmd[cmd.index("--benchmark-json") + 1])
        out.write_text((FIXTURES / "bench.json").read_text())
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    report = tmp_path / "report"
    rc, out, err = run(capsys, "--quick", "--report", str(report), "-k", "replicaset")
    assert rc == 0, err
    (cmd, env), = calls
    assert cmd[:4] == [sys.executable, "-m", "pytest", str(REPO / "benchmarks")]
    assert cmd[-2:] == ["-k", "replicaset"] and cmd[cmd.index("-p"):cmd.index("-p") + 2] == ["-p", "reports.progress"]
    assert env["KUBEORACLE_BENCH_QUICK"] == "1" and env["KUBEORACLE_BENCH_MAX"] == str(bench.QUICK_MAX)
    assert {p.name for p in report.iterdir()} == {"bench.json", "report.html", "summary.md", "pytest.log"}
    assert "kubeoracle bench --quick -k replicaset" in (report / "summary.md").read_text()
    assert str(report / "report.html") in out


def test_bench_compare_of_identical_runs_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        Path(cmd[cmd.index("--benchmark-json") + 1]).write_text((FIXTURES / "bench.json").read_text())
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    rc, out, err = run(capsys, "--report", str(tmp_path), "--compare", str(FIXTURES / "bench.json"))
    assert rc == 0 and "no regression beyond 10%" in out, (out, err)


def _bench(report: Path, *extra: str, slow: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["KUBEORACLE_BENCH_MAX"] = "300"
    env.pop("KUBEORACLE_TEST_SLOW_CONTROLLER", None)
    if slow:
        env["KUBEORACLE_TEST_SLOW_CONTROLLER"] = slow
    return subprocess.run([sys.executable, "-m", "conformance", "bench", "--report", str(report), *extra,
                           "-k", "calibration or (test_replicaset_scale_up and 300)", "-p", "slow_controller"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_a_slowed_controller_is_flagged_by_compare(tmp_path: Path) -> None:
    pytest.importorskip("pytest_benchmark")
    base = _bench(tmp_path / "before")
    assert base.returncode == 0, base.stderr[-3000:]
    before = json.loads((tmp_path / "before" / "bench.json").read_text())
    names = sorted(b["name"] for b in before["benchmarks"])
    assert names == ["test_calibration_two_million_multiply_adds", "test_replicaset_scale_up[300]"], names
    slowed = _bench(tmp_path / "after", "--compare", str(tmp_path / "before" / "bench.json"), slow="replicaset:8")
    assert slowed.returncode == 1, (f"exit {slowed.returncode}, but a slowed ReplicaSet controller must fail "
                                    f"--compare\n{slowed.stdout}\n{slowed.stderr[-3000:]}")
    assert "REGRESSED: benchmarks/bench_replicaset.py::test_replicaset_scale_up[300]" in slowed.stdout, slowed.stdout
    page = (tmp_path / "after" / "report.html").read_text()
    assert "REGRESSED: 1 figure(s)" in page and "test_replicaset_scale_up[300]" in page
