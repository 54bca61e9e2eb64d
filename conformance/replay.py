"""``kubeoracle replay SCRIPT [--adapter NAME]``: run an event script and every check on an adapter.

Prints each event with the adapter's outcome as it runs, every violation right after the event that
caused it (invariant, upstream rules, message), then the verdict; ``--report DIR`` writes the same as
``DIR/report.html`` and ``DIR/summary.md`` (:mod:`reports.replay`). The script is read by
:func:`conformance.script.read_script` (the format ``simulate --events`` reads too), every field checked
before the first event runs. Exit codes: 0 no invariant failed, 1 an invariant failed (the failure
reproduces) or the script is invalid, 2 usage (and adapters that cannot be loaded).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

PROG = "kubeoracle replay"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    p = _Parser(prog=PROG, description="Replay an event script with every check, printing each event's outcome "
                                       "as it runs.",
                epilog="Exit codes: 0 no invariant failed, 1 an invariant failed or the script is invalid, "
                       "2 usage.")
    p.add_argument("script", help="a YAML event script (written by kubeoracle conformance), or - for stdin")
    p.add_argument("--adapter", default=None, metavar="NAME[:ARG]",
                   help="system under test (default: the script's adapter, else 'model')")
    p.add_argument("--quiet", action="store_true", help="print only violations and the verdict")
    p.add_argument("--report", type=Path, default=None, metavar="DIR",
                   help="write report.html and summary.md (every event's outcome, every violation) into DIR")
    try:
        args = p.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return 0 if exc.code in (0, None) else 2
    from .cli import report_dir_problem

    problem = report_dir_problem(args.report) if args.report is not None else None
    if problem is not None:  # said before the replay runs, not after it
        print(f"error: --report: {problem}; name a directory to write report.html and summary.md into",
              file=sys.stderr)
        return 2
    from .adapters import AdapterError, load
    from .harness import Failure, Stats
    from .script import ScriptError, describe, read_script

    try:
        meta, events = read_script(args.script, sys.stdin.read() if args.script == "-" else None)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ScriptError as exc:
        for problem in exc.problems:
            print(f'error: error parsing events script "{args.script}": {problem}', file=sys.stderr)
        return 1
    spec = args.adapter or meta.get("adapter") or "model"
    try:
        adapter = load(spec)
    except AdapterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    steps: list[dict[str, Any]] = []

    def on_step(i: int, event: object, outcome: str, failures: list[Failure]) -> None:
        steps.append({"event": describe(event), "outcome": outcome,  # type: ignore[arg-type]
                      "violations": [{"invariant": f.invariant, "rules": list(f.rules), "message": f.message}
                                     for f in failures]})
        if not args.quiet:
            print(f"{i:>4}  {describe(event)}  -> {outcome}", flush=True)  # type: ignore[arg-type]
        for f in failures:
            print(f"\nVIOLATED after event {i}: {f.invariant} [{', '.join(f.rules)}]\n  {f.message}\n", flush=True)

    try:
        from .script import replay_events

        run = replay_events(adapter, events, Stats(), on_step, meta.get("expect_rejection"))
    finally:
        adapter.close()
    if meta.get("invariant") and not any(f.invariant == meta["invariant"] for f in run.failures):
        print(f"\nnote: the script was recorded for {meta['invariant']!r}, which held on adapter {spec}")
    print(f"\n{'FAILED' if run.failures else 'PASSED'}: {len(events)} events on adapter {spec}, "
          f"{len(run.failures)} violation(s)")
    if args.report is not None:
        from reports.document import write
        from reports.replay import replay_document

        text = "" if args.script == "-" else Path(args.script).read_text(encoding="utf-8", errors="replace")
        write(args.report, "report", replay_document(args.script, spec, steps, text, meta.get("invariant")),
              "summary.md")
        print(f"report: {args.report / 'report.html'}")
    return 1 if run.failures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
