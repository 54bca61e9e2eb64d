"""``kubeoracle conformance --self-test``: every seeded bug must be caught, twice (the kill matrix).

Each mutant of :mod:`conformance.mutants` is run in two columns:

* **in-model**: the mutant patches the reference model in this process and its machine runs against
  the built-in ``model`` adapter (or the ``--adapter`` given). The adapter is the model, so the
  differential checks do not apply: the invariants alone must catch it.
* **external**: the mutant is applied in a child process (the ``subprocess`` adapter) that speaks only
  the protocol; the harness's own model, in this process, stays unmutated, so the differential
  checks are on. It is how the suite judges a third party's system.

Each mutant's witness script (``conformance/witnesses/NAME.yaml``, the requests of one example that
killed it, replayed as they were sent) runs first; only when it has none, or it no longer kills, does
the machine's random search run. Renaming or adding a rule shifts what a derandomized search draws,
never what a witness sends, so a kill does not hang on the draw.

A mutant is *killed* in a column when its witness or its machine fails there while the unmutated model passes the
same machine in the same column; the invariant that failed is recorded. When the unmutated model already fails a machine, kills on that machine are *indistinct* unless a different
invariant fails. Mutants run in parallel worker processes (``--workers``, at least 2 here).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .mutants import MUTANTS, Mutant, applied, available, replay_witness, witness_script
from .runner import run_machine

__all__ = ["COLUMNS", "external_spec", "kill", "run_self_test"]

COLUMNS = ("in-model", "external")


def external_spec(mutant: Mutant | None) -> str:
    """The ``subprocess`` adapter running the model with ``mutant`` applied in the child."""
    return "subprocess" + (f":{mutant.name}" if mutant is not None else "")


def kill(mutant: Mutant, adapter: str, options: dict[str, Any], column: str = "in-model") -> dict[str, Any]:
    """The mutant in one column: its witness script first (:func:`conformance.mutants.replay_witness`;
    a kill there needs no search), else its machine; the machine result."""
    inv = replay_witness(mutant, column, adapter)
    if inv is not None:
        from .script import dump_script, script_entries

        meta, sent = witness_script(mutant) or ({}, [])
        events = list(script_entries(sent, meta.get("expect_rejection")))
        spec = external_spec(mutant) if column == "external" else adapter
        script = dump_script(None, events, machine=mutant.machine, adapter=spec)
        return {"machine": mutant.machine, "valid": False, "error": None, "witness": True,
                "failure": {"invariant": inv, "events": events, "script": script}}
    if column == "external":
        return run_machine(mutant.machine, external_spec(mutant), options)
    with applied(mutant):
        return run_machine(mutant.machine, adapter, options)


def _baseline(machine: str, adapter: str, options: dict[str, Any], column: str) -> dict[str, Any]:
    return run_machine(machine, external_spec(None) if column == "external" else adapter, options)


def _verdict(r: dict[str, Any], base: dict[str, Any]) -> tuple[str, str]:
    inv = (r.get("failure") or {}).get("invariant")
    base_inv = (base.get("failure") or {}).get("invariant")
    if r.get("witness"):  # the unmutated model passed the same script (replay_witness checks it)
        return "killed", f"{inv} (witness)"
    if r["valid"] is False and inv and (base["valid"] is not False or inv != base_inv):
        return "killed", inv
    if r["valid"] is False:
        return "indistinct", f"{inv} (the unmutated model fails it too)"
    if r["valid"] == "unknown" and r.get("error"):
        return "error", str(r.get("error", "")).splitlines()[0][:200]
    return "SURVIVED", "no invariant failed"


def run_self_test(adapter: str, options: dict[str, Any], *, out: Callable[[str], None],
                  report: Path | None = None) -> int:
    started = time.perf_counter()
    # which invariant kills it, not the shortest script; derandomized, so the matrix is the same every run
    opts = {**options, "database": "none", "shrink": False,
            "profile": "ci" if options.get("profile", "dev") == "dev" else options["profile"]}
    workers = max(2, int(options.get("workers") or 1))
    mutants = [m for m in MUTANTS if available(m)]
    machines = sorted({m.machine for m in mutants})
    out(f"kubeoracle conformance --self-test: {len(MUTANTS)} seeded bugs x {len(COLUMNS)} columns "
        f"(in-model: adapter {adapter}; external: {external_spec(None)},MUTANT), {workers} workers\n\n")
    with ProcessPoolExecutor(max_workers=workers) as pool:
        base_f = {(m, c): pool.submit(_baseline, m, adapter, opts, c) for m in machines for c in COLUMNS}
        # the run stops at the first failure, so a mutant may use its own, larger budget (as its test does)
        kill_f = {(m.name, c): pool.submit(kill, m, adapter, {**opts, "examples": max(opts.get("examples") or 0,
                                                                                      m.examples),
                                                               "steps": opts.get("steps") or 30}, c)
                  for m in mutants for c in COLUMNS if c in m.columns}
        baseline = {k: f.result() for k, f in base_f.items()}
        rows: list[tuple[Mutant, dict[str, tuple[str, str]]]] = []
        for mutant in MUTANTS:
            if not available(mutant):
                rows.append((mutant, {c: ("n/a", f"the model has no {mutant.needs}") for c in COLUMNS}))
                continue
            cells = {c: _verdict(kill_f[(mutant.name, c)].result(), baseline[(mutant.machine, c)]) if c in mutant.columns
                     else ("n/a", mutant.not_applicable) for c in COLUMNS}
            rows.append((mutant, cells))
            out(f"  {mutant.name:<30} " + "  ".join(f"{c}: {v} ({d})" for c, (v, d) in cells.items()) + "\n")
    width = max(len(m.name) for m in MUTANTS)
    out(f"\nKill matrix (mutant x column: the invariant that caught it):\n  {'mutant':<{width}}  "
        + "  ".join(f"{c:<10}" for c in COLUMNS) + "  caught by (in-model | external)\n")
    for mutant, cells in rows:
        out(f"  {mutant.name:<{width}}  " + "  ".join(f"{cells[c][0]:<10}" for c in COLUMNS)
            + "  " + " | ".join(cells[c][1] for c in COLUMNS) + "\n")
    for (name, column), base in sorted(baseline.items()):
        if base["valid"] is not True:
            f = base.get("failure") or {}
            if base["valid"] is False or base.get("error"):
                out(f"\nnote: the unmutated model fails machine {name!r} ({column}): {f.get('invariant')}: "
                    f"{str(f.get('message', base.get('error')))[:300]}\n")
    survived = sorted({f"{m.name} ({c})" for m, cells in rows for c, (v, _) in cells.items()
                       if v in ("SURVIVED", "error")})
    seconds = time.perf_counter() - started
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        (report / "selftest.json").write_text(json.dumps(
            {"columns": list(COLUMNS), "seconds": round(seconds, 1),
             "mutants": [{"name": m.name, "description": m.description, "machine": m.machine,
                          **{c: {"verdict": v, "caught_by": d} for c, (v, d) in cells.items()}}
                         for m, cells in rows],
             "baseline": {f"{k[0]} ({k[1]})": v["valid"] for k, v in baseline.items()}}, indent=2) + "\n")
        from reports.conformance import selftest_document
        from reports.document import write

        write(report, "report", selftest_document(json.loads((report / "selftest.json").read_text())), "summary.md")
    counts = {c: sum(1 for _, cells in rows if cells[c][0] == "killed") for c in COLUMNS}
    applicable = {c: sum(1 for _, cells in rows if cells[c][0] != "n/a") for c in COLUMNS}
    out("\nkilled: " + ", ".join(f"{c} {n}/{applicable[c]}" for c, n in counts.items()) + f" in {seconds:.0f} s"
        + (f"; survived: {', '.join(survived)}" if survived else "") + "\n")
    return 1 if survived else 0
