"""Render a conformance ``results.json`` as a Markdown summary.

Sections: verdict, machines, failures (with the replay command, the statements of the rules broken and
the shrunk program), invariants (valid, checks, premises: vacuous ones flagged), the rules they check
(statements from :mod:`conformance.catalogue`), rules run, and what a pass means.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conformance.catalogue import describe, id_order

__all__ = ["main", "render"]

_MARK = {True: "pass", False: "**FAIL**", "unknown": "unknown", "not applicable": "n/a"}


def render(summary: dict[str, Any]) -> str:
    lines: list[str] = []
    verdict = {True: "PASSED", False: "FAILED", "unknown": "UNKNOWN"}[summary["valid"]]
    lines.append(f"# kubeoracle conformance: {verdict}\n")
    steps, secs = summary.get("steps", 0), max(float(summary.get("seconds", 0.0)), 1e-9)
    lines.append(f"Adapter `{summary['adapter']}`; {summary.get('examples', 0)} examples, {steps} steps "
                 f"({summary.get('intermediate_states', 0)} intermediate states checked, "
                 f"{summary.get('settles', 0)} settles) in {secs:.1f} s ({steps / secs:.0f} steps/s).\n")
    lines.append("## Machines\n")
    lines.append("| machine | verdict | examples | steps | seconds |")
    lines.append("|---|---|---|---|---|")
    for name, m in summary["machines"].items():
        s = m.get("stats") or {}
        lines.append(f"| {name} | {_MARK.get(m['valid'], m['valid'])} | {s.get('examples', 0)} | "
                     f"{s.get('steps', 0)} | {m.get('seconds', 0)} |")
    failures = [(n, m) for n, m in summary["machines"].items() if m.get("failure") or m.get("error")]
    if failures:
        lines.append("\n## Failures\n")
        for name, m in failures:
            f = m.get("failure") or {}
            if f.get("invariant"):
                lines.append(f"### {name}: {f['invariant']} [{', '.join(f.get('rules') or [])}]\n")
                lines.append(f"{f.get('message', '')}\n")
                lines.extend(f"> {d}\n" for d in describe(f.get("rules") or []))
                lines.append(f"Replay: `kubeoracle replay counterexamples/{name}.yaml` "
                             f"({len(f.get('events') or [])} events).\n")
            else:
                lines.append(f"### {name}: error\n")
                lines.append("```\n" + str(m.get("error", ""))[:2000] + "\n```\n")
            if f.get("program"):
                lines.append("```python\n" + f["program"][:4000] + "\n```\n")
    lines.append("\n## Invariants\n")
    lines.append("| invariant | rules | kind | verdict | checks | premise held | violations |")
    lines.append("|---|---|---|---|---|---|---|")
    for name, inv in summary["invariants"].items():
        verdict_i = _MARK.get(inv["valid"], str(inv["valid"]))
        if inv.get("vacuous"):
            verdict_i = "**vacuous**"
        lines.append(f"| {name} | {', '.join(inv['rules'])} | {inv['kind']} | {verdict_i} | {inv['checks']} | "
                     f"{inv['premises']} | {inv['violations']} |")
    cited = {r for inv in summary["invariants"].values() for r in inv["rules"]}
    if cited:
        lines.append("\n## Rules the invariants check\n")
        lines.extend(f"- {d}" for d in describe(sorted(cited, key=id_order)))
    if summary.get("vacuous"):
        lines.append("\n**Vacuous invariants** (their premise never held in this run, so they proved nothing):\n")
        lines.extend(f"- {v}" for v in summary["vacuous"])
    lines.append("\n## Rules run\n")
    lines.append("| rule (event) | times |")
    lines.append("|---|---|")
    for rule, n in summary.get("rules", {}).items():
        lines.append(f"| {rule} | {n} |")
    if summary.get("not_applicable"):
        lines.append("\nNot applicable to this adapter: " + ", ".join(summary["not_applicable"]) + ".")
    lines.append("\n## What a pass means\n")
    lines.append("Soundness: for every generated example, every invariant held at every step (and at every "
                 "intermediate controller turn the adapter could show), and the adapter's answers and settled "
                 "state agreed with the reference model. Completeness: this is a sample, not a proof; an "
                 "invariant whose premise never held is vacuous and proved nothing.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m reports.markdown RESULTS_JSON", file=sys.stderr)
        return 2
    print(render(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
