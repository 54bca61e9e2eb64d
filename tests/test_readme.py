"""README.md says exactly what exists: every command in its code blocks runs and exits as documented,
and the counts it gives (invariants, seeded bugs, machines) are those of the code.

Each ``sh`` line of the README is a case. Commands that would install packages or run the whole test
suite inside the test suite are skipped with their reason; ``kubeoracle conformance`` commands run
with a small budget appended (``--examples 2 --steps 5``: what is checked here is that the command as
written is accepted and exits 0, the suite's depth is tested elsewhere). Every command runs through a
real shell in a temporary directory holding a copy of ``examples/``, with a timeout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")

# Commands not run here, and why (the reason is the test's skip message).
SKIP = {
    "pip install -e . && kubeoracle conformance --report report/":
        "installs the package into the environment; CI's .ci/run does the install",
    "pip install tox && tox": "runs this very test suite; CI's .ci/run runs it",
    "kubeoracle conformance --self-test":
        "runs every seeded bug (minutes); tests/test_mutants.py runs the same kill matrix",
    "pytest --pyargs conformance --adapter model": "runs the machines at full budget; test_conformance covers it",
    "kubeoracle bench --quick --report bench-report/":
        "runs every benchmark (minutes); tests/test_bench_cli.py runs the command on a subset",
    "kubeoracle bench --report bench-report/ --compare previous/bench.json":
        "needs a previous run; tests/test_bench_cli.py runs --compare against a slowed controller",
}
BUDGET = ["--examples", "2", "--steps", "5", "--machines", "replicaset"]


def _commands() -> list[str]:
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            cmd = re.sub(r"\s+#.*$", "", line).strip()
            if cmd:
                out.append(cmd)
    return out


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


COMMANDS = _commands()


def test_the_readme_has_commands() -> None:
    assert len(COMMANDS) >= 8, f"found {len(COMMANDS)} commands in README.md, expected the documented ones"
    stale = set(SKIP) - set(COMMANDS)
    assert not stale, f"skip reasons for commands the README no longer has: {stale}"


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / "mymod.py").write_text(
        "from conformance.adapters.model import ModelAdapter\n\n\ndef factory():\n    return ModelAdapter()\n")
    return tmp_path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, sandbox: Path) -> None:
    if command in SKIP:
        pytest.skip(SKIP[command])
    # `kubeoracle` is the console script; run this checkout's through the same entry point
    kubeoracle = f"{sys.executable} -m conformance"
    shell = re.sub(r"(?<![\w/-])kubeoracle(?= )", kubeoracle, command)
    shell = shell.replace("pytest ", f"{sys.executable} -m pytest ")
    if " conformance " in f" {command} " and "kubeoracle conformance" in command:
        shell += " " + " ".join(BUDGET)
    proc = subprocess.run(shell, shell=True, cwd=sandbox, env=_env(), capture_output=True, text=True,
                          timeout=240)
    # the test's small budget leaves some invariants vacuous: the run then says UNKNOWN and exits 2
    ok = (0, 2) if "kubeoracle conformance" in command and "--self-test" not in command else (0,)
    assert proc.returncode in ok, (f"`{command}` exited {proc.returncode}, but the README shows it working\n"
                                  f"stdout: {proc.stdout[-1500:]}\nstderr: {proc.stderr[-1500:]}")
    assert "Traceback" not in proc.stderr, proc.stderr


def test_readme_python_blocks_run(sandbox: Path) -> None:
    blocks = [b for b in _python_blocks() if "import refmodel" in b]
    assert blocks, "README.md should show the refmodel API"
    for code in blocks:
        proc = subprocess.run([sys.executable, "-c", code], cwd=sandbox, env=_env(), capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, f"README's Python example failed:\n{proc.stderr[-2000:]}"


def test_readme_counts_are_the_codes() -> None:
    from conformance.invariants import ALL
    from conformance.machines import MACHINES
    from conformance.mutants import MUTANTS

    invariants = re.search(r"(\d+) invariants", README)
    bugs = re.search(r"(\d+) seeded bugs", README)
    machines = re.search(r"runs (\w+) Hypothesis state machines", README)
    assert invariants and int(invariants.group(1)) == len(ALL), \
        f"README says {invariants and invariants.group(1)} invariants, but conformance.invariants.ALL has {len(ALL)}"
    assert bugs and int(bugs.group(1)) == len(MUTANTS), \
        f"README says {bugs and bugs.group(1)} seeded bugs, but conformance.mutants.MUTANTS has {len(MUTANTS)}"
    words = {"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
    assert machines and words.get(machines.group(1)) == len(MACHINES), \
        f"README says {machines and machines.group(1)} machines, but there are {len(MACHINES)}: {list(MACHINES)}"


def test_help_lists_only_commands_that_exist() -> None:
    from conformance import cli

    proc = subprocess.run([sys.executable, "-m", "conformance", "--help"], env=_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    listed = set(re.findall(r"^    (\w+)", proc.stdout, flags=re.M))
    assert listed <= {"simulate", "validate", "bench", *cli.DELEGATED}, listed
    for name in sorted(listed):
        sub = subprocess.run([sys.executable, "-m", "conformance", name, "--help"], env=_env(),
                             capture_output=True, text=True, timeout=60)
        assert sub.returncode == 0 and "usage:" in sub.stdout, f"`kubeoracle {name} --help`: {sub.stderr}"
