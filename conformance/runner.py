"""``kubeoracle conformance``: run the machines against an adapter, report, exit non-zero on failure.

::

    kubeoracle conformance [--adapter NAME[:ARG] | --adapter module:factory] [--examples N] [--steps N]
                           [--seed S] [--workers N] [--report DIR] [--machines a,b] [--profile P]
                           [--database DIR|redis://HOST:PORT/DB|none] [--shard K/N [--run-id ID]]
                           [--top-up N] [--self-test]

Writes ``DIR/results.json`` (Jepsen-shaped: ``valid`` is true, false or "unknown"; per machine and per
invariant the counts, premises, violations and the counterexample script), ``DIR/report.html`` and
``DIR/summary.md`` (:mod:`reports.conformance`), and
``DIR/counterexamples/<machine>.yaml`` for every failure. ``--self-test`` runs every seeded bug of
:mod:`conformance.mutants` twice, in the model and as an external adapter, and prints the kill
matrix. Exit codes: 0 passed, 1 a check failed, 2 usage error or UNKNOWN (nothing failed, but the
run could not tell: an adapter error stopped examples, or an invariant was vacuous).

**Vacuity and scope** (:mod:`conformance.reach`): an invariant whose premise none of the run's machines can
reach (a Service invariant in ``--machines replicaset``) is *not exercised* by the run and does not decide
its verdict. One that the machines can reach but whose premise never held is vacuous; before calling the run
UNKNOWN, the runner runs the machines that reach it again with new examples, up to ``--top-up`` times
(:func:`top_up`; a rare premise such as a back-off reaching its cap is missed by some random draws).

**Sharding** (``--shard K/N``): the run is cut into units of work, the same plan in every shard
(:func:`plan`, a function of the machines, their example counts, the seed and N only): with N up to
the number of machines a unit is a whole machine, run exactly as the unsharded run runs it (same
examples, steps, seed and database key), so N shards together run what one unsharded run runs and
their merge (``kubeoracle report merge``, :mod:`reports.merge`) has its verdicts and counts. With more
shards than machines each machine's examples are split into parts that add up to its count; a part
draws its own examples from a seed derived from the run's (Hypothesis draws an example from what it
has seen, so a slice of one run cannot be run alone): the same amount of testing, other draws. The
units go to the shard with the fewest examples so far, largest first. A shard's ``results.json``
carries the plan, its index and the run's configuration, which the merge checks; vacuity is judged
by the merge only (a shard runs some machines, so a premise another shard reaches is no gap), and a
sharded run has no top-up (a vacuous invariant leaves the merge UNKNOWN: run more examples).

What a pass means (soundness): for the examples Hypothesis generated, every invariant held at every
step, and the adapter agreed with the reference model. What it cannot mean (completeness): it is a
sample, not a proof; an invariant whose premise never held (``vacuous``) proved nothing, and the run
says so.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import attrs

from .profiles import (
    PROFILES,
    REDIS_SCHEMES,
    DatabaseError,
    database_for,
    redis_database,
    settings_for,
)

__all__ = ["Unit", "combine", "main", "parse_shard", "plan", "run_machine", "summarise"]

DEFAULT_MACHINES = ("replicaset", "deployment", "rollout", "nodes", "mixed", "services", "statefulset", "storage")


class _ArgParser(argparse.ArgumentParser):
    """argparse with kubectl's one-line ``error: ...`` for usage errors (exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _ArgParser(prog="kubeoracle conformance",
                                description="Run the conformance machines against an adapter.")
    p.add_argument("--adapter", default="model", metavar="NAME[:ARG]",
                   help="system under test: a built-in NAME[:ARG] or package.module:factory. Default: %(default)r")
    p.add_argument("--examples", type=_positive, default=None, metavar="N",
                   help="examples per machine (default: from the profile)")
    p.add_argument("--steps", type=_positive, default=None, metavar="N",
                   help="steps per example (default: from the profile)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: a new one each run; --profile ci derandomizes)")
    p.add_argument("--workers", type=_positive, default=1, metavar="N",
                   help="machines run in N parallel processes. Default: %(default)r")
    p.add_argument("--report", type=Path, default=None, metavar="DIR",
                   help="write results.json, report.html, summary.md and counterexample scripts into DIR")
    p.add_argument("--machines", default=",".join(DEFAULT_MACHINES), metavar="A,B",
                   help="machines to run. Default: %(default)r")
    p.add_argument("--profile", default="dev", choices=sorted(PROFILES),
                   help="Hypothesis profile. Default: %(default)r")
    p.add_argument("--database", default=None, metavar="DIR|URL|none",
                   help="example database: a directory, redis://HOST:PORT/DB (shared between machines; needs "
                        "'kubeoracle[redis]'), or 'none' (default: from the profile)")
    p.add_argument("--shard", type=parse_shard, default=None, metavar="K/N",
                   help="run shard K of N (1 <= K <= N): N runs with the same options cover one unsharded "
                        "run; combine their reports with 'kubeoracle report merge'")
    p.add_argument("--run-id", default=None, metavar="ID",
                   help="a name the shards of one run share (written to results.json; 'report merge' refuses "
                        "shards whose IDs differ)")
    p.add_argument("--shrink-seconds", type=_positive, default=60, metavar="S",
                   help="stop shrinking a failure after S seconds (Hypothesis' own cap is 300). Default: %(default)r")
    p.add_argument("--top-up", type=_count, default=2, metavar="N",
                   help="when an invariant's premise never held, run the machines that reach it again with new "
                        "examples, up to N times, before calling the run UNKNOWN (0: never). Default: %(default)r")
    p.add_argument("--self-test", action="store_true",
                   help="run every seeded model bug and print which invariant caught it (the kill matrix)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` -> (K, N), 1 <= K <= N; a clear message otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N: give the shard to run and the number of shards, "
                                         "e.g. --shard 2/4")
    k, n = int(m.group(1)), int(m.group(2))
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text}: the number of shards N is {n}, but must be at least 1")
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"{text}: shard K is {k}, but must be from 1 to {n} (shards count from 1)")
    return k, n


def _positive(text: str, least: int = 1) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < least:
        raise argparse.ArgumentTypeError(f"{v} must be at least {least}")
    return v


def _count(text: str) -> int:
    return _positive(text, 0)


# ---------------------------------------------------------------------------------------------
# one machine
# ---------------------------------------------------------------------------------------------
def run_machine(name: str, adapter_spec: str, options: dict[str, Any],
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run one machine to completion; a JSON-able result (also used by worker processes)."""
    from hypothesis.stateful import run_state_machine_as_test

    from .adapters import AdapterError, load
    from .harness import AdapterCrash, Failure, Run, Stats, Violation, collector_for_runs
    from .machines import factory
    from .script import dump_script

    started = time.perf_counter()
    _limit_shrinking(options.get("shrink_seconds"))
    stats = Stats()
    result: dict[str, Any] = {"machine": name, "valid": True, "failure": None, "error": None}
    try:
        adapter = load(adapter_spec)
    except AdapterError as exc:
        return {**result, "valid": "unknown", "error": str(exc), "stats": stats.to_json(), "seconds": 0.0}
    last: dict[str, Run] = {}
    ticker = _Ticker(name, stats, progress)
    tried = {"examples": 0, "found": False}  # examples generated before the first failure (not shrink runs)

    def on_run(run: Run) -> None:
        prev = last.get("run")
        if prev is not None and prev.failures:
            tried["found"] = True
        if not tried["found"]:
            tried["examples"] += 1
        last["run"] = run
        ticker.tick()

    settings = settings_for(options.get("profile", "dev"), examples=examples_for(name, options),
                            steps=options.get("steps"), database=options.get("database"),
                            seed=options.get("seed"), shrink=options.get("shrink", True))
    make = factory(name, adapter, stats, on_run=on_run, seed=options.get("seed"))
    try:
        with collector_for_runs():  # full collections rarer while the machine runs (harness.collector_for_runs)
            run_state_machine_as_test(make, settings=settings)  # type: ignore[no-untyped-call]
    except Violation as exc:
        failure: Failure = exc.failure
        run = last.get("run")
        if run is not None and run.failures:
            failure = run.failures[-1]
        result["valid"] = False
        result["failure"] = {
            "invariant": failure.invariant, "rules": list(failure.rules), "message": failure.message,
            "events": list(failure.events), "program": _program(exc),
            "script": dump_script(failure, failure.events, machine=name, adapter=adapter_spec),
        }
    except Exception as exc:  # a bug in an adapter or in the suite: not a verdict about the system
        run = last.get("run")
        result["valid"] = "unknown"
        crash = exc if isinstance(exc, AdapterCrash) else None
        if crash is None and isinstance(exc.__cause__, AdapterCrash):
            crash = exc.__cause__
        head = (f"adapter error: {crash}" if crash is not None
                else f"suite error: {type(exc).__name__}: {exc}")
        if crash is not None:
            result["adapter_error"] = {"method": crash.method, "frame": crash.frame}
        result["error"] = head + "\n" + "".join(traceback.format_exc(limit=12))
        if run is not None:
            result["failure"] = {"invariant": None, "rules": [], "message": str(exc), "events": list(run.trace_script()),
                                 "program": _program(exc),
                                 "script": dump_script(None, run.trace_script(), machine=name, adapter=adapter_spec,
                                                       error=f"{type(exc).__name__}: {exc}")}
    finally:
        with contextlib.suppress(Exception):
            adapter.close()
    result["stats"] = stats.to_json()
    result["stats"]["runs"] = result["stats"].get("examples", 0)  # every example run, shrinking included
    result["stats"]["examples"] = tried["examples"] if tried["found"] or result["valid"] is False \
        else result["stats"]["runs"]
    result["seconds"] = round(time.perf_counter() - started, 3)
    ticker.done(result)
    return result


def _limit_shrinking(seconds: int | None) -> None:
    """Cap the time Hypothesis spends shrinking one failure (a settle with many intermediate states
    makes every shrink attempt costly). Hypothesis has no public setting for it, so this sets its
    engine's module constant; the worst case is a longer counterexample, never a missed one."""
    if seconds:
        from hypothesis.internal.conjecture import engine

        engine.MAX_SHRINKING_SECONDS = int(seconds)


def _program(exc: BaseException) -> str:
    """Hypothesis' printed program, without its ``@reproduce_failure`` advice (it names a test function
    the user does not have; the counterexample script is the reproduction). The program lists the rules
    with the arguments Hypothesis drew: a rule may act on another target than its drawn ``kind`` when none
    of that kind exists, so the events actually sent are those of the script, not this text."""
    notes = [str(n) for n in getattr(exc, "__notes__", None) or []]
    keep = [n for n in notes if "reproduce_failure" not in n and "print_blob" not in n]
    if not keep:
        return ""
    return ("# the rules as Hypothesis drew them; the events they sent are the script's\n" + "\n".join(keep))


class _Ticker:
    """A one-line progress display per machine (examples run, steps, steps/s), at most 2 per second."""

    def __init__(self, name: str, stats: Any, out: Callable[[str], None] | None) -> None:
        self.name, self.stats, self.out = name, stats, out
        self.start = time.perf_counter()
        self.last = 0.0

    def tick(self) -> None:
        if self.out is None:
            return
        now = time.perf_counter()
        if now - self.last < 0.5:
            return
        self.last = now
        s = self.stats
        rate = s.steps / max(now - self.start, 1e-9)
        self.out(f"\r  {self.name:<11} examples {s.examples:>5}  steps {s.steps:>7}  {rate:>6.0f} steps/s")

    def done(self, result: dict[str, Any]) -> None:
        if self.out is None:
            return
        verdict = {True: "passed", False: "FAILED", "unknown": "UNKNOWN"}[result["valid"]]
        s = self.stats
        examples = result.get("stats", {}).get("examples", s.examples)
        self.out(f"\r  {self.name:<11} {verdict:<7} {examples:>5} examples  {s.steps:>7} steps  "
                 f"{result['seconds']:>7.1f} s\n")


# ---------------------------------------------------------------------------------------------
# shards
# ---------------------------------------------------------------------------------------------
def examples_for(name: str, options: dict[str, Any]) -> int:
    """The examples machine ``name`` runs: ``--examples``, else its share of the profile's."""
    from .machines import EXAMPLE_SHARE

    if options.get("examples"):
        return int(options["examples"])
    base = PROFILES[options.get("profile") or "dev"]["max_examples"]
    return max(1, round(base * EXAMPLE_SHARE.get(name, 1.0)))


@attrs.frozen
class Unit:
    """A unit of a sharded run: machine ``machine``'s part ``part`` of ``parts`` (1 of 1: the whole
    machine, run as the unsharded run runs it), with its examples and (for a part) its own seed."""

    machine: str
    part: int
    parts: int
    examples: int
    seed: int | None

    def options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The run options of this unit (a whole machine: the run's own, untouched)."""
        if self.parts == 1:
            return options
        return {**options, "examples": self.examples, "seed": self.seed}

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def plan(machines: Sequence[str], options: dict[str, Any], count: int) -> list[list[Unit]]:
    """The units of each of ``count`` shards (index 0 is shard 1); the same for every shard of a run.

    Raises ValueError when the run has fewer units than shards (a shard would have nothing to do)."""
    parts = 1 if count <= len(machines) else -(-count // len(machines))
    units: list[Unit] = []
    for name in machines:
        total = examples_for(name, options)
        p = min(parts, total)
        for i in range(p):
            share = total // p + (1 if i < total % p else 0)
            units.append(Unit(name, i + 1, p, share, None if p == 1 else _part_seed(name, i + 1, p, options)))
    if len(units) < count:
        raise ValueError(f"--shard: {count} shards, but the run has only {len(units)} units of work "
                         f"({len(machines)} machine(s), {sum(u.examples for u in units)} examples in all); "
                         f"use at most {len(units)} shards or more --examples")
    loads = [0] * count
    shards: list[list[Unit]] = [[] for _ in range(count)]
    order = {u: i for i, u in enumerate(units)}
    for u in sorted(units, key=lambda u: (-u.examples, order[u])):
        k = min(range(count), key=lambda i: (loads[i], i))
        shards[k].append(u)
        loads[k] += u.examples
    return [sorted(s, key=order.__getitem__) for s in shards]


def _part_seed(name: str, part: int, parts: int, options: dict[str, Any]) -> int | None:
    """A part's seed: derived from the run's seed (or, derandomized, from the machine's name), so every
    shard derives the same; None in a random run (each part then draws at random, as the run would)."""
    return _derived_seed(name, f"{part}/{parts}", options)


def _derived_seed(name: str, tag: str, options: dict[str, Any]) -> int | None:
    seed = options.get("seed")
    if seed is None and not PROFILES[options.get("profile") or "dev"]["derandomize"]:
        return None
    digest = hashlib.sha256(f"kubeoracle:{name}:{seed}:{tag}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


#: the options that make two shards parts of the same run (the database and workers do not change what runs)
CONFIG_KEYS = ("adapter", "machines", "examples", "steps", "seed", "profile", "shrink_seconds")


def run_config(adapter: str, machines: Sequence[str], options: dict[str, Any], count: int) -> dict[str, Any]:
    """What every shard of one run must agree on (``report merge`` compares it key by key)."""
    import refmodel

    config = {"adapter": adapter, "machines": list(machines), "shards": count, "version": refmodel.__version__}
    config.update({k: options.get(k) for k in CONFIG_KEYS if k not in ("adapter", "machines")})
    return config


def combine(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One machine's result from the results of its parts (each carrying ``parts``: the part numbers it
    covers, and ``of``): the verdict is the worst, the counts add up, the failure is the first part's."""
    from .harness import Stats

    results = sorted(results, key=lambda r: min(r.get("parts") or [1]))
    if len(results) == 1:
        return results[0]
    stats = Stats()
    for r in results:
        stats.merge(Stats.from_json(r.get("stats") or {}))
    verdicts = [r["valid"] for r in results]
    valid: Any = False if False in verdicts else "unknown" if "unknown" in verdicts else True
    failing = [r for r in results if r["valid"] is False] or [r for r in results if r.get("failure")]
    out: dict[str, Any] = {
        "machine": results[0]["machine"], "valid": valid,
        "failure": failing[0].get("failure") if failing else None,
        "error": "\n".join(str(r["error"]) for r in results if r.get("error")) or None,
        "stats": {**stats.to_json(), "runs": sum(int((r.get("stats") or {}).get("runs", 0)) for r in results)},
        "seconds": round(sum(float(r.get("seconds", 0.0)) for r in results), 3),
        "parts": sorted(p for r in results for p in r.get("parts") or []),
        "of": results[0].get("of"),
    }
    adapter_error = next((r["adapter_error"] for r in results if r.get("adapter_error")), None)
    if adapter_error:
        out["adapter_error"] = adapter_error
    return out


def _run_shard(machines: list[str], options: dict[str, Any], shard: tuple[int, int], run_id: str | None,
               adapter: str, workers: int, out: Callable[[str], None] | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    k, n = shard
    shards = plan(machines, options, n)
    units = shards[k - 1]
    if out is not None:
        names = ", ".join(u.machine if u.parts == 1 else f"{u.machine} (part {u.part}/{u.parts}, {u.examples} examples)"
                          for u in units)
        out(f"shard {k}/{n}: {names}\n")
    raw = _run_all([(u.machine, u.options(options)) for u in units], adapter, workers, out)
    by_machine: dict[str, list[dict[str, Any]]] = {}
    for u, r in zip(units, raw):
        by_machine.setdefault(u.machine, []).append(r if u.parts == 1 else {**r, "parts": [u.part], "of": u.parts})
    results = [combine(rs) for rs in by_machine.values()]
    info = {"index": k, "count": n, "run_id": run_id, "config": run_config(adapter, machines, options, n),
            "plan": [[u.to_json() for u in s] for s in shards]}
    return results, info


# ---------------------------------------------------------------------------------------------
# the whole run
# ---------------------------------------------------------------------------------------------
def summarise(results: list[dict[str, Any]], adapter_spec: str, options: dict[str, Any],
              *, judge_vacuity: bool = True) -> dict[str, Any]:
    """results.json: overall validity, per machine, per invariant (with vacuity), per rule. A shard
    (``judge_vacuity=False``) lists its vacuous invariants, but they do not make its verdict unknown. An
    invariant none of the results' machines can reach is "not exercised" (listed, never vacuous)."""
    from .harness import Stats
    from .invariants import ALL
    from .reach import in_scope

    ran = [r["machine"] for r in results]
    total = Stats()
    for r in results:
        total.merge(Stats.from_json(r.get("stats") or {}))
    failed = {r["failure"]["invariant"]: r["machine"] for r in results
              if r.get("failure") and r["failure"].get("invariant")}
    invariants: dict[str, Any] = {}
    vacuous, unexercised = [], []
    for inv in ALL:
        name = inv.name
        entry: dict[str, Any] = {
            "rules": list(inv.rules), "kind": inv.kind, "checks": total.checks.get(name, 0),
            "premises": total.premises.get(name, 0), "violations": total.violations.get(name, 0),
        }
        if name in failed:
            entry["valid"] = False
            entry["counterexample"] = f"counterexamples/{failed[name]}.yaml"
        elif name in total.not_applicable and not total.checks.get(name):
            entry["valid"] = "not applicable"
        elif not total.premises.get(name) and not in_scope(name, ran):
            entry["valid"] = "not exercised"  # none of the run's machines can reach its premise
            unexercised.append(name)
        elif not total.premises.get(name):
            entry["valid"] = "unknown"
            entry["vacuous"] = True
            vacuous.append(name)
        else:
            entry["valid"] = True
        invariants[name] = entry
    errors = [r for r in results if r["valid"] == "unknown"]
    faults = total.errors
    if total.steps and faults and total.outcomes.get("unknown", 0) == sum(total.outcomes.values()):
        errors.append({"machine": "*", "error": f"adapter error: every request raised, e.g. {faults.most_common(1)[0][0]}"})
    if any(r["valid"] is False for r in results):
        valid: Any = False
    elif errors or (vacuous and judge_vacuity):
        valid = "unknown"
    else:
        valid = True
    return {
        "valid": valid,
        "adapter": adapter_spec,
        "options": {k: v for k, v in options.items() if v is not None},
        "seconds": round(options.get("wall_seconds") or sum(r.get("seconds", 0.0) for r in results), 3),
        "steps": total.steps,
        "examples": total.examples,
        "settles": total.settles,
        "intermediate_states": total.intermediate,
        "machines": {r["machine"]: {k: v for k, v in r.items() if k != "machine"} for r in results},
        "invariants": invariants,
        "vacuous": vacuous,
        "not_exercised": unexercised,
        "rules": dict(sorted(total.rules.items())),
        "not_applicable": sorted(total.not_applicable),
        "outcomes": dict(total.outcomes),
        "adapter_errors": dict(faults.most_common(5)),
        "errors": [f"{r['machine']}: {str(r.get('error', '')).splitlines()[0]}" for r in errors if r.get("error")],
    }


def _write_report(directory: Path, summary: dict[str, Any]) -> None:
    from reports.conformance import conformance_document

    directory.mkdir(parents=True, exist_ok=True)
    for name, m in summary["machines"].items():
        failure = m.get("failure")
        if failure and failure.get("script"):
            path = directory / "counterexamples" / f"{name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(failure["script"])
    (directory / "results.json").write_text(json.dumps(summary, indent=2, sort_keys=False, default=str) + "\n")
    doc = conformance_document(summary, directory=str(directory))
    (directory / "summary.md").write_text(doc.markdown())
    (directory / "report.html").write_text(doc.html())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kubeoracle conformance`` (returns the exit code)."""
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    from .cli import report_dir_problem

    problem = report_dir_problem(args.report) if args.report is not None else None
    if problem is not None:
        print(f"error: --report: {problem}; name a directory to write results.json, summary.md and "
              "counterexamples/ into", file=sys.stderr)
        return 2
    machines = [m.strip() for m in args.machines.split(",") if m.strip()]
    from .adapters import AdapterError, load
    from .machines import MACHINES

    unknown = [m for m in machines if m not in MACHINES]
    if unknown or not machines:
        print(f"error: --machines: unknown {unknown or '(none)'}; choose from "
              f"{', '.join(MACHINES)}", file=sys.stderr)
        return 2
    try:
        probe = load(args.adapter)
        probe.close()
    except AdapterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = {"examples": args.examples, "steps": args.steps, "seed": args.seed, "profile": args.profile,
               "database": args.database, "workers": args.workers, "shrink_seconds": args.shrink_seconds}
    if args.database is not None:
        try:  # the package, the URL and the server, once, before any machine runs
            if args.database.startswith(REDIS_SCHEMES):
                redis_database(args.database, check=True)
            else:
                database_for(args.profile, args.database)
        except DatabaseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.shard is not None:
        if args.self_test:
            print("error: --shard: the self-test is not sharded; run it without --shard", file=sys.stderr)
            return 2
        try:
            plan(machines, options, args.shard[1])
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    elif args.run_id is not None:
        print("error: --run-id names the run a shard belongs to; give it with --shard K/N", file=sys.stderr)
        return 2
    out = None if args.quiet else _printer()
    if args.self_test:
        from .selftest import run_self_test

        return run_self_test(args.adapter, options, out=out or (lambda s: None), report=args.report)
    if out is not None:
        out(f"kubeoracle conformance: adapter {args.adapter}, machines {', '.join(machines)}, "
            f"profile {args.profile}, workers {args.workers}\n")
    wall = time.perf_counter()
    shard_info = None
    top_ups: list[dict[str, Any]] = []
    if args.shard is not None:
        results, shard_info = _run_shard(machines, options, args.shard, args.run_id, args.adapter, args.workers, out)
    else:
        results = _run_all([(u.machine, u.options(options)) for u in plan(machines, options, 1)[0]], args.adapter,
                           args.workers, out)
        results, top_ups = top_up(results, args.adapter, options, args.workers, args.top_up, out)
    options["wall_seconds"] = time.perf_counter() - wall
    summary = summarise(results, args.adapter, options, judge_vacuity=shard_info is None)
    summary["options"].pop("wall_seconds", None)
    if top_ups:
        summary["top_up"] = top_ups
    if shard_info is not None:
        summary["shard"] = shard_info
    report = args.report
    if report is None and any(r.get("failure") and r["failure"].get("script") for r in results):
        import tempfile

        report = Path(tempfile.mkdtemp(prefix="kubeoracle-"))  # a counterexample is never lost
    if report is not None:
        _write_report(report, summary)
    if out is not None:
        _print_verdict(summary, report, out)
    return exit_code(summary["valid"])


def top_up(results: list[dict[str, Any]], adapter: str, options: dict[str, Any], workers: int, rounds: int,
           out: Callable[[str], None] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run more examples where a premise was missed: while nothing failed and some invariant is vacuous, run
    the machines that reach its premise (:mod:`conformance.reach`) again with new examples (each its usual
    count, from a seed derived from the run's), up to ``rounds`` times. Their results join the machines' own.

    A rare premise (a back-off reaching its cap) is missed by some runs' random draws; a run that ends UNKNOWN
    for that alone tells its user nothing about the system. The rounds are recorded (results.json ``top_up``)
    and printed; the examples and steps they add count in the run's totals. Returns the results and the rounds."""
    from .reach import machines_reaching

    ran = [r["machine"] for r in results]
    done: list[dict[str, Any]] = []
    for n in range(1, rounds + 1):
        summary = summarise(results, adapter, options)
        vacuous = summary["vacuous"]
        if summary["valid"] is False or summary["errors"] or not vacuous:
            break
        again = [m for m in ran if any(machines_reaching(v, [m]) for v in vacuous)]
        if out is not None:
            out(f"\ntop-up {n}/{rounds}: {len(vacuous)} invariant(s) with no premise held yet "
                f"({'; '.join(vacuous)}); running {', '.join(again)} again with new examples\n")
        jobs = [(m, {**options, "seed": _derived_seed(m, f"top-up {n}", options)}) for m in again]
        fresh = dict(zip(again, _run_all(jobs, adapter, workers, out)))
        for i, r in enumerate(results):
            if r["machine"] in fresh:
                merged = combine([r, fresh[r["machine"]]])
                merged.pop("parts", None)
                merged.pop("of", None)
                results[i] = {**merged, "top_up": int(r.get("top_up", 0)) + 1}
        done.append({"round": n, "vacuous": vacuous, "machines": again})
    return results, done


def exit_code(valid: Any) -> int:
    """0 passed, 1 a check failed, 2 unknown (the run could not tell)."""
    return 0 if valid is True else 1 if valid is False else 2


def _run_all(jobs: list[tuple[str, dict[str, Any]]], adapter: str, workers: int,
             out: Callable[[str], None] | None) -> list[dict[str, Any]]:
    """Run the jobs (machine, options) in ``workers`` processes; the results in the jobs' order."""
    if workers <= 1 or len(jobs) == 1:
        return [run_machine(name, adapter, opts, out) for name, opts in jobs]
    results: dict[int, dict[str, Any]] = {}
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        futures = {pool.submit(run_machine, name, adapter, opts, None): i for i, (name, opts) in enumerate(jobs)}
        for fut in as_completed(futures):
            r = fut.result()
            if out is not None:
                verdict = {True: "passed", False: "FAILED", "unknown": "UNKNOWN"}[r["valid"]]
                s = r["stats"]
                out(f"  {r['machine']:<11} {verdict:<7} {s['examples']:>5} examples  {s['steps']:>7} steps  "
                    f"{r['seconds']:>7.1f} s\n")
            results[futures[fut]] = r
    return [results[i] for i in range(len(jobs))]


def _printer() -> Callable[[str], None]:
    tty = sys.stdout.isatty()

    def out(text: str) -> None:
        if not tty and text.startswith("\r") and not text.endswith("\n"):
            return  # progress ticks only on a terminal
        sys.stdout.write(text if tty else text.lstrip("\r"))
        sys.stdout.flush()

    return out


def _print_verdict(summary: dict[str, Any], report: Path | None, out: Callable[[str], None]) -> None:
    if summary["valid"] == "unknown" and summary.get("errors"):
        out("\nUNKNOWN: the adapter could not run every example; the run proves nothing about them:\n")
        for line in summary["errors"]:
            out(f"  {line}\n")
    steps = summary["steps"]
    secs = max(summary["seconds"], 1e-9)
    out(f"\n{summary['examples']} examples, {steps} steps ({summary['intermediate_states']} intermediate states "
        f"checked) in {secs:.1f} s wall time ({steps / secs:.0f} steps/s)\n")
    for name, m in summary["machines"].items():
        f = m.get("failure")
        if m["valid"] is False and f:
            out(f"\nFAILED {name}: {f['invariant']} [{', '.join(f['rules'])}]\n  {f['message']}\n")
            if report:
                out(f"  replay: kubeoracle replay {report}/counterexamples/{name}.yaml\n"
                    f"  the cluster it leads to: kubeoracle simulate -f /dev/null --events "
                    f"{report}/counterexamples/{name}.yaml\n")
        elif m["valid"] == "unknown":
            out(f"\nUNKNOWN {name}: {str(m.get('error', ''))[:600]}\n")
    shard = summary.get("shard")
    if summary["vacuous"] and shard:
        out(f"\n{len(summary['vacuous'])} invariant(s) had no premise hold in this shard; 'kubeoracle report merge' "
            f"judges vacuity over all {shard['count']} shards\n")
    elif summary["vacuous"]:
        rounds = len(summary.get("top_up") or ())
        after = f" after {rounds} top-up round(s)" if rounds else ""
        out(f"\nVACUOUS (their premise never held{after}, so they proved nothing; more --examples or "
            "--top-up, or --profile thorough, reach rarer premises):\n")
        for v in summary["vacuous"]:
            out(f"  - {v}\n")
    if summary.get("not_exercised"):
        out(f"\n{len(summary['not_exercised'])} invariant(s) not exercised: none of the machines run reaches their "
            "premise (conformance/reach.py); run the other machines to check them\n")
    verdict = {True: "PASSED", False: "FAILED", "unknown": "UNKNOWN"}[summary["valid"]]
    if shard:
        verdict += f" (shard {shard['index']}/{shard['count']})"
    out(f"\n{verdict}" + (f"  (report: {report}/report.html, {report}/summary.md)" if report else "") + "\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
