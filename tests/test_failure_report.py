"""Failure reports read like pytest's: the whole difference, the first divergence marked, a replay that works.

Unit tests for :func:`conformance.output.render_state_diff` (what the settled-state differential check
reports), and one end-to-end run of ``kubeoracle conformance`` against an adapter with a seeded bug
(ReplicaSets of two or more replicas get one pod too many), without ``--report``: the counterexample
is written anyway, the printed replay command reproduces the failure, the printed program carries no
``@reproduce_failure`` advice, and the counts are examples tried, not shrink runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_adapters import BUGGY

from conformance import output, runner
from conformance.script import ScriptError, load_script

REPO = Path(__file__).resolve().parents[1]


def test_every_difference_is_listed_spec_first() -> None:
    adapter = {"ReplicaSet/default/r": {"metadata": {"generation": 2}, "spec": {"replicas": 3, "x": [1, 2]}}}
    model = {"ReplicaSet/default/r": {"metadata": {"generation": 1}, "spec": {"replicas": 2, "x": [1, 3], "y": 1}}}
    text = output.render_state_diff(adapter, model)
    assert text is not None
    lines = text.splitlines()
    assert lines[1] == "> ReplicaSet/default/r: spec.replicas: the adapter has 3, the model 2", lines
    assert "  ReplicaSet/default/r: spec.x[1]: the adapter has 2, the model 3" in lines, lines
    assert "  ReplicaSet/default/r: spec.y: the model has 1, the adapter has no such field" in lines, lines
    assert "  ReplicaSet/default/r: metadata.generation: the adapter has 2, the model 1" in lines, lines
    assert "4 place(s)" in lines[0], lines[0]


def test_an_object_on_one_side_is_named_as_such() -> None:
    text = output.render_state_diff({"Pod/default/extra": {"spec": {}}, "Pod/default/a": {}},
                                    {"Pod/default/a": {}, "ReplicaSet/default/r": {}})
    assert text is not None
    assert "> the adapter has Pod/default/extra that the model does not" in text, text
    assert "the model has ReplicaSet/default/r that the adapter does not" in text, text
    assert "no such field" not in text, text


def test_equal_states_have_no_report() -> None:
    same = {"Pod/default/a": {"spec": {"x": [1, {"y": 2}]}}}
    assert output.render_state_diff(same, {"Pod/default/a": {"spec": {"x": [1, {"y": 2}]}}}) is None


def test_long_reports_are_cut_with_a_count() -> None:
    adapter = {f"Pod/default/p{i:03d}": {} for i in range(100)}
    text = output.render_state_diff(adapter, {}, limit=10)
    assert text is not None and text.endswith("... and 90 more differences"), text[-200:]


def test_program_drops_advice_the_user_cannot_act_on() -> None:
    exc = AssertionError("x")
    exc.add_note("state = ReplicaSetMachine()\nstate.scale(kind='ReplicaSet', pick=0, replicas=3)")
    exc.add_note("You can reproduce this example by temporarily adding @reproduce_failure('6.1', b'AX') "
                 "as a decorator on your test case")
    text = runner._program(exc)
    assert "reproduce_failure" not in text and "state.scale(" in text, text
    assert text.startswith("# the rules as Hypothesis drew them; the events they sent are the script's"), text


def test_a_failing_run_without_report_prints_a_replay_that_works(tmp_path: Path) -> None:
    (tmp_path / "mymod.py").write_text(BUGGY)
    env = {"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "conformance", "conformance", "--adapter", "mymod:factory",
                           "--machines", "replicaset", "--examples", "30", "--steps", "15", "--profile", "ci", "--shrink-seconds", "10",
                           "--database", "none"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, f"exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    out = proc.stdout
    assert "reproduce_failure" not in out + proc.stderr
    m = re.search(r"replay: kubeoracle replay (\S+)", out)
    assert m, f"no replay command in:\n{out[-2000:]}"
    script = Path(m.group(1))
    assert script.is_file(), f"the printed counterexample {script} does not exist"
    meta, events = load_script(script.read_text())
    assert meta["adapter"] == "mymod:factory" and events
    summary = re.search(r"(\d+) examples, \d+ steps", out)
    assert summary and 1 <= int(summary.group(1)) <= 30, f"examples counted past the 30 asked for: {out[-800:]}"
    assert "wall time" in out, out[-800:]
    again = subprocess.run([sys.executable, "-m", "conformance", "replay", str(script)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "VIOLATED" in again.stdout, again.stdout[-2000:] + again.stderr[-1000:]
    assert re.search(r"^\s+0  Apply ", again.stdout, flags=re.M), "replay should print each event as it runs"


@pytest.mark.parametrize("name", ["scale-script.yaml"])
def test_the_shipped_script_replays_and_simulates(name: str, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for argv in (["replay", str(REPO / "examples" / name)], ["simulate", "--events", str(REPO / "examples" / name)]):
        proc = subprocess.run([sys.executable, "-m", "conformance", *argv], env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr[-1500:]


def test_a_script_keeps_a_negative_scale_the_run_sent(tmp_path: Path) -> None:
    """The machines draw ``replicas: -1`` (the API server must refuse it); a counterexample holding that event
    replays, and the replay meets the same rejection instead of refusing the script."""
    script = tmp_path / "neg.yaml"
    script.write_text("machine: replicaset\nevents:\n"
                      "- event: Apply\n  obj:\n    apiVersion: apps/v1\n    kind: ReplicaSet\n"
                      "    metadata: {name: r, namespace: default}\n"
                      "    spec:\n      replicas: 1\n      selector: {matchLabels: {app: r}}\n"
                      "      template:\n        metadata: {labels: {app: r}}\n"
                      "        spec: {containers: [{name: c, image: nginx}]}\n"
                      "- {event: Scale, kind: ReplicaSet, namespace: default, name: r, replicas: -1}\n")
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "conformance", "replay", str(script)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    assert re.search(r"Scale ReplicaSet default/r.*rejected \(Invalid: .*spec\.replicas", proc.stdout), proc.stdout


@pytest.mark.parametrize(("naming", "rc"), [("metadata.labels", 0), ("spec.replicas", 1)])
def test_a_replay_judges_an_invalid_manifest_as_the_run_did(naming: str, rc: int, tmp_path: Path) -> None:
    """The run knew which field an invalid manifest breaks; the script carries it (``rejectedNaming``), so
    the replay checks the rejection names it: right field, pass; another field, the same violation."""
    script = tmp_path / "invalid.yaml"
    script.write_text("machine: mixed\nevents:\n"
                      f"- event: Apply\n  rejectedNaming: {naming}\n  obj:\n    apiVersion: v1\n    kind: Pod\n"
                      "    metadata: {name: p, namespace: default, labels: {team: -bad value-}}\n"
                      "    spec: {containers: [{name: c, image: nginx}]}\n")
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "conformance", "replay", str(script)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == rc, proc.stdout[-1500:] + proc.stderr[-1500:]
    if rc:
        assert "a manifest that breaks a validation rule is rejected, naming the field" in proc.stdout, proc.stdout


def test_rejected_naming_belongs_to_an_apply() -> None:
    with pytest.raises(ScriptError, match=r"events\[0\]\.rejectedNaming: Invalid value"):
        load_script("- {event: Settle, rejectedNaming: spec.replicas}\n")
