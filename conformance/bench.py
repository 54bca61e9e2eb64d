"""``kubeoracle bench [--quick] [--compare PREVIOUS.json] [--threshold PCT] [--report DIR] [PYTEST_ARGS]``.

Runs every pytest-benchmark suite in ``benchmarks/`` (whatever ``bench_*.py`` files exist) in one
pytest process, the calibration benchmark among them, with a progress line per benchmark on
standard error (pytest's own output goes to ``DIR/pytest.log``). Writes ``DIR/bench.json``
(pytest-benchmark's JSON), ``DIR/report.html`` and ``DIR/summary.md`` (:mod:`reports.bench`); without
``--report`` the directory is a new temporary one, whose path is printed.

``--quick`` caps the sizes at 1,000 pods (``KUBEORACLE_BENCH_MAX``) and runs one round each
(``KUBEORACLE_BENCH_QUICK=1``). ``--compare PREVIOUS.json`` compares every figure with that run's,
after calibration, and exits 1 when one is slower by more than the threshold (default 10%).
Arguments it does not know are passed to pytest (``-k scheduler``, a file of ``benchmarks/``).
Exit codes: 0 ok, 1 a benchmark failed or a figure regressed, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["QUICK_MAX", "main"]

PROG = "kubeoracle bench"
QUICK_MAX = 1_000


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage") from None
    if not 0 < value < 1000:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1000 percent, got {text!r}")
    return value / 100


def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


def main(argv: Sequence[str] | None = None) -> int:
    p = _Parser(prog=PROG, description="Run the pytest-benchmark suites in benchmarks/ and write a report "
                                       "(tables, throughput plots, the machine); compare with a previous run.",
                epilog="Other arguments are passed to pytest (e.g. -k scheduler). Exit codes: 0 ok, 1 a benchmark "
                       "failed or a figure regressed, 2 usage.")
    p.add_argument("--quick", action="store_true",
                   help=f"sizes up to {QUICK_MAX:,} pods and one round each (a few minutes)")
    p.add_argument("--compare", type=Path, metavar="PREVIOUS.json",
                   help="a previous run's bench.json: exit 1 if a figure regressed beyond the threshold")
    p.add_argument("--threshold", type=_percent, default=0.10, metavar="PCT",
                   help="the regression threshold, after calibration (default 10%%)")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="write bench.json, report.html, summary.md and pytest.log into DIR")
    try:
        args, pytest_args = p.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return 0 if exc.code in (0, None) else 2
    bench_dir = repo_root() / "benchmarks"
    if not bench_dir.is_dir() or not any(bench_dir.glob("bench_*.py")):
        print("error: 'bench' is not available in this build (no benchmarks/ beside the package)", file=sys.stderr)
        return 2
    import importlib.util

    if importlib.util.find_spec("pytest_benchmark") is None:
        print("error: 'bench' needs pytest-benchmark (pip install 'kubeoracle[bench]')", file=sys.stderr)
        return 2
    previous = None
    if args.compare is not None:
        try:
            previous = json.loads(args.compare.read_text(encoding="utf-8"))
            if not isinstance(previous, dict) or not isinstance(previous.get("benchmarks"), list):
                raise ValueError("it has no 'benchmarks' list")
        except (OSError, ValueError) as exc:
            print(f'error: --compare: cannot read "{args.compare}" as pytest-benchmark JSON: {exc}', file=sys.stderr)
            return 2
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        print(f'error: --report: "{args.report}" exists and is not a directory', file=sys.stderr)
        return 2
    report = args.report or Path(tempfile.mkdtemp(prefix="kubeoracle-bench-"))
    report.mkdir(parents=True, exist_ok=True)
    out = report / "bench.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", str(bench_dir), "--benchmark-only", "--benchmark-json", str(out),
           "-p", "reports.progress", "-p", "no:cacheprovider", *pytest_args]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo_root()), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if args.quick:
        env["KUBEORACLE_BENCH_QUICK"] = "1"
        env["KUBEORACLE_BENCH_MAX"] = str(min(QUICK_MAX, int(env.get("KUBEORACLE_BENCH_MAX") or QUICK_MAX)))
    log = report / "pytest.log"
    with log.open("w", encoding="utf-8") as fh:
        rc = subprocess.run(cmd, cwd=repo_root(), env=env, stdout=fh, check=False).returncode
    if rc not in (0, 1) or not out.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        print("\n".join(tail), file=sys.stderr)
        print(f"error: pytest exited {rc} and wrote no results (log: {log})", file=sys.stderr)
        return 2 if rc in (4, 5) else 1
    data = json.loads(out.read_text(encoding="utf-8"))
    from reports.bench import bench_document, compare
    from reports.document import write

    comparison = compare(previous, data, args.threshold) if previous is not None else None
    shown = ["kubeoracle", "bench", *(["--quick"] if args.quick else []), *pytest_args]
    failed = [line.split()[1] for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
              if line.startswith(("FAILED ", "ERROR ")) and len(line.split()) > 1]
    if rc == 1 and not failed:
        failed = ["(see pytest.log)"]
    write(report, "report", bench_document(data, comparison, shlex.join(shown), failed), "summary.md")
    print(f"{len(data['benchmarks'])} benchmarks; report: {report / 'report.html'} (JSON: {out})")
    for name in failed:
        print(f"FAILED: {name} (its assertion failed: see {log})", file=sys.stderr)
    if comparison is not None:
        for name, before, now, ratio, status in comparison.rows:
            if status == "regressed":
                print(f"REGRESSED: {name}: {ratio:.2f}x the previous run's time "
                      f"({'calibrated' if comparison.calibrated else 'raw'}: {before:.4g} -> {now:.4g}), "
                      f"threshold {args.threshold:.0%}")
        if comparison.regressed:
            return 1
        print(f"no regression beyond {args.threshold:.0%} in {len(comparison.rows)} compared figures")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
