"""``kubeoracle conformance --self-test``: every seeded bug must be caught (the kill matrix).

A mutant is *killed* when its machine fails with the default budget while the unmutated model passes
the same machine; the invariant that failed is recorded. The baseline is run first: if the unmutated
model already fails a machine (a model bug the suite found), kills on that machine are reported as
*indistinct* unless a different invariant fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .mutants import MUTANTS, Mutant, applied, available
from .runner import run_machine

__all__ = ["kill", "run_self_test"]


def kill(mutant: Mutant, adapter: str, options: dict[str, Any]) -> dict[str, Any]:
    """Run the mutant's machine on the mutated model; the machine result."""
    with applied(mutant):
        return run_machine(mutant.machine, adapter, options)


def run_self_test(adapter: str, options: dict[str, Any], *, out: Callable[[str], None],
                  report: Path | None = None) -> int:
    return _self_test(adapter, options, out=out, report=report)


def _self_test(adapter: str, options: dict[str, Any], *, out: Callable[[str], None],
               report: Path | None = None) -> int:
    # which invariant kills it, not the shortest script; derandomized, so the matrix is the same every run
    opts = {**options, "database": "none", "shrink": False,
            "profile": "ci" if options.get("profile", "dev") == "dev" else options["profile"]}
    baseline: dict[str, dict[str, Any]] = {}
    rows = []
    out(f"kubeoracle conformance --self-test: {len(MUTANTS)} seeded bugs, adapter {adapter}\n\n")
    for mutant in MUTANTS:
        if not available(mutant):
            rows.append((mutant, "n/a", f"the model has no {mutant.needs}"))
            continue
        if mutant.machine not in baseline:
            baseline[mutant.machine] = run_machine(mutant.machine, adapter, opts)
        base = baseline[mutant.machine]
        base_inv = (base.get("failure") or {}).get("invariant")
        # the run stops at the first failure, so a mutant may use its own, larger budget (as its test does)
        # (and the step count of tests/test_mutants.py, so both judge the same runs)
        r = kill(mutant, adapter, {**opts, "examples": max(opts.get("examples") or 0, mutant.examples),
                                   "steps": opts.get("steps") or 30})
        inv = (r.get("failure") or {}).get("invariant")
        if r["valid"] is False and inv and (base["valid"] is True or inv != base_inv):
            rows.append((mutant, "killed", inv))
        elif r["valid"] is False:
            rows.append((mutant, "indistinct", f"{inv} (the unmutated model fails it too)"))
        elif r["valid"] == "unknown":
            rows.append((mutant, "error", str(r.get("error", ""))[:200]))
        else:
            rows.append((mutant, "SURVIVED", "no invariant failed"))
        out(f"  {mutant.name:<30} {rows[-1][1]:<10} {rows[-1][2]}\n")
    width = max(len(m.name) for m in MUTANTS)
    out("\nKill matrix (mutant x invariant that caught it):\n")
    for mutant, verdict, detail in rows:
        out(f"  {mutant.name:<{width}}  {verdict:<10}  {detail}\n")
    for name, base in baseline.items():
        if base["valid"] is not True:
            f = base.get("failure") or {}
            out(f"\nnote: the unmutated model fails machine {name!r}: {f.get('invariant')}: "
                f"{str(f.get('message', base.get('error')))[:300]}\n")
    survived = [m.name for m, v, _ in rows if v in ("SURVIVED", "error")]
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        (report / "selftest.json").write_text(json.dumps(
            {"mutants": [{"name": m.name, "description": m.description, "machine": m.machine, "verdict": v,
                          "caught_by": d} for m, v, d in rows],
             "baseline": {k: v["valid"] for k, v in baseline.items()}}, indent=2) + "\n")
    killed = sum(1 for _, v, _ in rows if v == "killed")
    out(f"\n{killed}/{len(rows)} mutants killed" + (f"; survived: {', '.join(survived)}" if survived else "") + "\n")
    return 1 if survived else 0
