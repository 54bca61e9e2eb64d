"""``kubeoracle replay SCRIPT [--adapter NAME]``: run an event script and every check on an adapter.

Prints each event with the adapter's outcome, then every violation (invariant, upstream rules,
message). Exit codes: 0 no invariant failed, 1 an invariant failed (the failure reproduces), 2 usage
or unreadable script.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kubeoracle replay", description="Replay an event script with every check.")
    p.add_argument("script", type=Path, help="a YAML event script (written by kubeoracle conformance)")
    p.add_argument("--adapter", default=None, metavar="NAME[:ARG]",
                   help="system under test (default: the script's adapter, else 'model')")
    p.add_argument("--quiet", action="store_true", help="print only the verdict")
    try:
        args = p.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return 0 if exc.code in (0, None) else 2
    from .adapters import AdapterError, load
    from .harness import Stats
    from .script import load_script, replay_events

    try:
        meta, events = load_script(args.script.read_text())
    except OSError as exc:
        print(f"kubeoracle replay: cannot read {args.script}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"kubeoracle replay: {args.script}: {exc}", file=sys.stderr)
        return 2
    spec = args.adapter or meta.get("adapter") or "model"
    try:
        adapter = load(spec)
    except AdapterError as exc:
        print(f"kubeoracle replay: {exc}", file=sys.stderr)
        return 2
    stats = Stats()
    try:
        run = replay_events(adapter, events, stats)
    finally:
        adapter.close()
    if not args.quiet:
        for i, item in enumerate(run.trace):
            print(f"{i:>4}  {_short(item)}")
    for f in run.failures:
        print(f"\nVIOLATED: {f.invariant} [{', '.join(f.rules)}]\n  {f.message}\n  after event {len(f.events) - 1}")
    if meta.get("invariant") and not any(f.invariant == meta["invariant"] for f in run.failures):
        print(f"\nnote: the script was recorded for {meta['invariant']!r}, which held on adapter {spec}")
    print(f"\n{'FAILED' if run.failures else 'PASSED'}: {len(events)} events on adapter {spec}, "
          f"{len(run.failures)} violation(s)")
    return 1 if run.failures else 0


def _short(item: dict[str, object]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in item.items() if k not in ("event", "obj"))
    obj = item.get("obj")
    if isinstance(obj, dict):
        md = obj.get("metadata") or {}
        text = f"{obj.get('kind')}/{md.get('namespace', '')}/{md.get('name', '')}" + (", " + text if text else "")
    return f"{item['event']}({text})"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
