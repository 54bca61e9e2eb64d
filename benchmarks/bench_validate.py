"""``kubeoracle validate`` on many small manifests: 6,000 / 20,000 / 60,000 ConfigMaps in one stream.

The 60,000-document stream is about 5 MB, the size issue 8 sets a target for (under 2 s for the whole
command on a quiet machine). Two figures:

- ``test_validate_configmaps``: what ``validate`` does after reading the file: parse the stream
  (``documents_from``) and check every document (``validate_items``, a dry-run create of each into one
  scratch cluster), with the cyclic collector paused as the command has it. Compare the means across
  sizes: the cost per document should not grow with the size.
- ``test_validate_command``: the whole command as a user runs it, ``python -m conformance validate -f
  FILE`` in a new process: interpreter start, imports, reading the file, the above and the summary
  (a console-script wrapper such as pyenv's shim adds its own start-up on top).

    pytest benchmarks/bench_calibration.py benchmarks/bench_validate.py --benchmark-only
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import Item, Verdicts, validate_items
from refmodel.core import cyclic_gc_paused
from refmodel.yamlio import documents_from

from .conftest import sizes


def configmaps(n: int) -> str:
    """``n`` ConfigMaps as one YAML stream, about 86 bytes each."""
    return "".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i:06d}\ndata:\n  key: value\n---\n"
                   for i in range(n))


def _validate(text: str) -> Verdicts:
    with cyclic_gc_paused():  # as the command runs it
        docs, error = documents_from(text)
        assert error is None, error
        verdicts = Verdicts()
        validate_items([Item("bench.yaml", d) for d in docs], verdicts)
    return verdicts


@pytest.mark.parametrize("documents", sizes(6_000, 20_000, 60_000))
def test_validate_configmaps(benchmark: pytest.FixtureRequest, documents: int) -> None:
    text = configmaps(documents)
    rounds = 1 if documents >= 60_000 else 3
    verdicts = benchmark.pedantic(_validate, args=(text,), rounds=rounds, iterations=1)  # type: ignore[attr-defined]
    assert (verdicts.valid, verdicts.invalid, verdicts.skipped) == (documents, 0, 0), (
        f"{verdicts.valid} valid, {verdicts.invalid} invalid, {verdicts.skipped} skipped, but all {documents} "
        "ConfigMaps are valid")
    benchmark.extra_info.update({"documents": documents, "bytes": len(text)})  # type: ignore[attr-defined]


REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("documents", sizes(6_000, 60_000))
def test_validate_command(benchmark: pytest.FixtureRequest, documents: int, tmp_path: Path) -> None:
    path = tmp_path / "configmaps.yaml"
    path.write_text(configmaps(documents), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-m", "conformance", "validate", "-f", str(path)]
    # a warm start, as an installed command has: the bytecode is written once (whatever the caller's
    # PYTHONDONTWRITEBYTECODE says), then read by the timed runs
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, capture_output=True, env=warm, check=False)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)

    proc = benchmark.pedantic(run, rounds=3, iterations=1)  # type: ignore[attr-defined]
    want = f"{documents} objects: {documents} valid, 0 invalid, 0 skipped\n"
    assert proc.returncode == 0 and proc.stdout == want, (
        f"exit code {proc.returncode}, stdout {proc.stdout!r}, but should be 0 and {want!r}\n{proc.stderr[-800:]}")
    benchmark.extra_info.update({"documents": documents, "bytes": path.stat().st_size,  # type: ignore[attr-defined]
                                 "process": "whole command, interpreter start included"})
