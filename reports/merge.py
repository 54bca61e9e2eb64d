"""``kubeoracle report merge OUT SHARD_DIR...``: the shards of one sharded conformance run -> one report.

::

    kubeoracle conformance --shard 1/3 --report out/1 ...   # on three machines, the same options
    kubeoracle conformance --shard 2/3 --report out/2 ...
    kubeoracle conformance --shard 3/3 --report out/3 ...
    kubeoracle report merge out/all out/1 out/2 out/3

Each shard's ``results.json`` carries the run's configuration, the plan (which units each shard runs,
:func:`conformance.runner.plan`) and its index. The merge refuses what is not one whole run: a report
without a shard section, shards whose configuration, plan or run ID differ (named key by key), a
shard given twice, a shard missing, a shard whose machines are not those its plan gave it. It then
combines each machine's parts (:func:`conformance.runner.combine`), recomputes the verdict, the
per-invariant counts, vacuity and rule coverage over all of them (:func:`conformance.runner.summarise`,
as one unsharded run does), and writes ``OUT/results.json``, ``report.html``, ``summary.md`` and the
counterexample scripts, with the renderers of :mod:`reports.conformance`. A machine a shard ran whole
is copied as it is, so the merge of shards that each ran whole machines has the verdicts and counts of
the unsharded run with the same options. Exit codes as ``kubeoracle conformance``: 0 passed, 1 a check
failed, 2 unknown or a usage error (shards refused).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["MergeError", "main", "merge"]


class MergeError(Exception):
    """The shards given are not one whole run (the message names the file and what differs)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kubeoracle report", description="Work with conformance reports.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    m = sub.add_parser("merge", help="combine the reports of the shards of one run into one report",
                       description="Combine the results.json of every shard of one 'kubeoracle conformance "
                                   "--shard K/N' run into one results.json, report.html and summary.md.")
    m.add_argument("out", type=Path, metavar="OUT", help="directory to write the merged report into")
    m.add_argument("shards", type=Path, nargs="+", metavar="SHARD_DIR",
                   help="the --report directories of the shards (or their results.json files)")
    m.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return 0 if exc.code in (0, None) else 2
    if args.command is None:
        print("error: a command is required: merge (see 'kubeoracle report --help')", file=sys.stderr)
        return 2
    from conformance.runner import _print_verdict, _printer, _write_report, exit_code

    try:
        summary = merge(args.shards, args.out)
    except MergeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _write_report(args.out, summary)
    if not args.quiet:
        out = _printer()
        info = summary["merged"]
        out(f"kubeoracle report merge: {info['count']} shards of run {info['run_id'] or '(no --run-id)'}, "
            f"adapter {summary['adapter']}\n")
        _print_verdict(summary, args.out, out)
    return exit_code(summary["valid"])


def _load(path: Path) -> tuple[Path, dict[str, Any]]:
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise MergeError(f"{path}: no results.json there; give the --report directory of a "
                         "'kubeoracle conformance --shard K/N' run")
    try:
        data = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise MergeError(f"{file}: cannot read it ({exc})") from None
    except ValueError as exc:
        raise MergeError(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("machines"), dict):
        raise MergeError(f"{file}: not the results.json of a conformance run (no machines)")
    shard = data.get("shard")
    if not isinstance(shard, dict) or not {"index", "count", "config", "plan"} <= set(shard):
        raise MergeError(f"{file}: the report of an unsharded run (it has no shard section); merge combines "
                         "the reports of 'kubeoracle conformance --shard K/N' runs")
    return file, data


def merge(shard_paths: Sequence[Path], out: Path | None = None) -> dict[str, Any]:
    """The results.json of the whole run from its shards' (raises :class:`MergeError` if they are not
    one whole run, or ``out`` is one of them)."""
    from conformance.runner import combine, summarise

    if out is not None:
        if out.exists() and not out.is_dir():
            raise MergeError(f'OUT "{out}" exists and is not a directory; name a directory to write the merged '
                             "report into")
        for p in shard_paths:
            if (p if p.is_dir() else p.parent).resolve() == out.resolve():
                raise MergeError(f"OUT {out} is the shard directory {p}; the merge would overwrite that shard's "
                                 "report: name another directory")
    loaded = [_load(p) for p in shard_paths]
    first_file, first = loaded[0]
    ref = first["shard"]
    seen: dict[int, Path] = {}
    for file, data in loaded:
        shard = data["shard"]
        for key in sorted(set(ref["config"]) | set(shard["config"])):
            mine, theirs = shard["config"].get(key), ref["config"].get(key)
            if mine != theirs:
                raise MergeError(f"{file}: a shard of another run: its {key} is {mine!r}, but {first_file} has "
                                 f"{theirs!r}; merge the shards of one run (the same options and N)")
        if shard.get("run_id") != ref.get("run_id"):
            raise MergeError(f"{file}: a shard of another run: its run ID is {shard.get('run_id')!r}, but "
                             f"{first_file} has {ref.get('run_id')!r}")
        if shard["plan"] != ref["plan"]:
            raise MergeError(f"{file}: its plan differs from {first_file}'s, though their options agree (were they "
                             "made by different versions of kubeoracle?)")
        k = int(shard["index"])
        if k in seen:
            raise MergeError(f"shard {k}/{shard['count']} given twice: {seen[k]} and {file}")
        seen[k] = file
        _check_coverage(file, data, shard["plan"][k - 1])
    count = int(ref["count"])
    missing = [k for k in range(1, count + 1) if k not in seen]
    if missing:
        raise MergeError(f"shard(s) {', '.join(f'{k}/{count}' for k in missing)} missing (given: "
                         f"{', '.join(f'{k}/{count}' for k in sorted(seen)) or 'none'}); a merge needs every shard "
                         "of the run")

    parts: dict[str, list[dict[str, Any]]] = {}
    for _, data in sorted(loaded, key=lambda fd: int(fd[1]["shard"]["index"])):
        for name, m in data["machines"].items():
            parts.setdefault(name, []).append({"machine": name, **m})
    config = ref["config"]
    results = [combine(parts[name]) for name in config["machines"] if name in parts]
    options = {k: config.get(k) for k in ("examples", "steps", "seed", "profile", "shrink_seconds")}
    options["shards"] = count
    options["wall_seconds"] = max(float(d.get("seconds", 0.0)) for _, d in loaded)
    summary = summarise(results, config["adapter"], options)
    summary["options"].pop("wall_seconds", None)
    summary["merged"] = {"count": count, "run_id": ref.get("run_id"), "config": config,
                         "shards": [str(seen[k]) for k in sorted(seen)]}
    return summary


def _check_coverage(file: Path, data: dict[str, Any], units: list[dict[str, Any]]) -> None:
    """The shard ran exactly the units its plan gave it (whole machines, or these parts of them)."""
    want: dict[str, list[int]] = {}
    for u in units:
        want.setdefault(u["machine"], []).append(int(u["part"]))
    have = {name: sorted(m.get("parts") or [1]) for name, m in data["machines"].items()}
    if have != {name: sorted(ps) for name, ps in want.items()}:
        raise MergeError(f"{file}: shard {data['shard']['index']}/{data['shard']['count']} ran "
                         f"{_units(have)}, but its plan gives it {_units(want)}")


def _units(by_machine: dict[str, list[int]]) -> str:
    return ", ".join(f"{m} (parts {', '.join(map(str, ps))})" if ps != [1] else m
                     for m, ps in sorted(by_machine.items())) or "nothing"
