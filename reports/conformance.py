"""The conformance report: ``results.json`` (and, after ``--self-test``, ``selftest.json``) -> a
:class:`~reports.document.Document`.

Order: the verdict first; then each failure (the invariant, the upstream rules it encodes, the first
diverging field, the command that replays it, the shrunk event script, the program Hypothesis drew);
the machines; the machine x invariant matrix as a colour grid (pass / fail / not applicable /
vacuous); the invariants with their checks and premises; the rules they check and how often each
rule's premises held (coverage); the events run; the self-test's kill matrix when there is one; and
what a pass means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conformance.catalogue import RULES, describe, id_order
from conformance.reach import in_scope

from .document import Block, Bullets, Code, Document, Grid, Heading, Quote, Table, Text, Verdict

__all__ = ["cell_status", "conformance_document", "first_divergence", "selftest_document"]

_VERDICT = {True: ("pass", "PASSED"), False: ("fail", "FAILED"), "unknown": ("unknown", "UNKNOWN")}
_MARK = {True: "pass", False: "fail", "unknown": "unknown", "not applicable": "n/a", "not exercised": "n/a"}


def first_divergence(message: str) -> str:
    """The first field where the adapter and the model (or the observed and the expected) part: the
    differential checks name it after ``first:``; other invariants' messages start with it."""
    m = re.search(r"\bfirst: (.+)", message)
    if m:
        return m.group(1).strip()
    head = message.strip().splitlines()[0] if message.strip() else ""
    return re.sub(r"\s*\[(after|at|during) [^\]]*\]$", "", head)


def cell_status(machine: Mapping[str, Any], invariant: str, name: str | None = None) -> tuple[str, str]:
    """One cell of the machine x invariant matrix: (status, tooltip). With the machine's ``name``, an
    invariant whose premise that machine does not reach (:mod:`conformance.reach`) is "n/a", not vacuous."""
    stats = machine.get("stats") or {}
    failure = machine.get("failure") or {}
    checks = int((stats.get("checks") or {}).get(invariant, 0))
    premises = int((stats.get("premises") or {}).get(invariant, 0))
    note = f"{checks} checks, premise held {premises} times"
    if failure.get("invariant") == invariant:
        return "fail", f"{note}; violated: {failure.get('message', '')}"
    if invariant in (stats.get("not_applicable") or ()) and not checks:
        return "n/a", "not applicable to this adapter"
    if not checks:
        return "n/a", "not checked on this machine"
    if not premises and name is not None and not in_scope(invariant, [name]):
        return "n/a", f"{note}: this machine does not reach the premise"
    if not premises:
        return "vacuous", f"{note}: the premise never held, so the check proved nothing"
    return "pass", note


def _replay_path(directory: str | None, machine: str) -> str:
    return f"{directory.rstrip('/')}/counterexamples/{machine}.yaml" if directory else f"counterexamples/{machine}.yaml"


def _failure_blocks(name: str, m: Mapping[str, Any], directory: str | None) -> list[Block]:
    f = m.get("failure") or {}
    blocks: list[Block] = []
    if f.get("invariant"):
        blocks.append(Heading(f"{name}: {f['invariant']} [{', '.join(f.get('rules') or [])}]", 3))
        blocks.append(Text(str(f.get("message", ""))))
        blocks.extend(Quote(d) for d in describe(f.get("rules") or []))
        blocks.append(Text(f"First diverging field: `{first_divergence(str(f.get('message', '')))}`"))
    else:
        blocks.append(Heading(f"{name}: error", 3))
        blocks.append(Code(str(m.get("error", ""))[:2000]))
    if f.get("script"):
        path = _replay_path(directory, name)
        blocks.append(Text(f"Replay ({len(f.get('events') or [])} events): `kubeoracle replay {path}`; "
                           f"the cluster it leads to: `kubeoracle simulate --events {path}`"))
        blocks.append(Text("The shrunk event script:"))
        blocks.append(Code(str(f["script"]), "yaml"))
    if f.get("program"):
        blocks.append(Code(str(f["program"])[:4000], "python", fold="The rules as Hypothesis drew them"))
    return blocks


def conformance_document(summary: Mapping[str, Any], selftest: Mapping[str, Any] | None = None,
                         directory: str | None = None) -> Document:
    """The report of one ``kubeoracle conformance`` run; ``directory`` is where its counterexamples
    are (for the replay commands)."""
    status, word = _VERDICT[summary["valid"]]
    machines: Mapping[str, Any] = summary.get("machines") or {}
    failures = [(n, m) for n, m in machines.items() if m.get("failure") or m.get("error")]
    steps, secs = int(summary.get("steps", 0)), max(float(summary.get("seconds", 0.0)), 1e-9)
    detail = (f"Adapter `{summary.get('adapter', '?')}`: {summary.get('examples', 0)} examples, {steps} steps "
              f"({summary.get('intermediate_states', 0)} intermediate states checked, "
              f"{summary.get('settles', 0)} settles) in {secs:.1f} s ({steps / secs:.0f} steps/s).")
    blocks: list[Block] = [Verdict(status, word, detail)]
    if failures:
        broken = ", ".join(f"{n} ({(m.get('failure') or {}).get('invariant') or 'error'})" for n, m in failures)
        blocks.append(Text(f"Failed: {broken}."))
    if summary.get("vacuous"):
        blocks.append(Text(f"{len(summary['vacuous'])} invariant(s) vacuous: their premise never held, so they "
                           "proved nothing (listed below)."))
    for line in summary.get("errors") or ():
        blocks.append(Text(f"Error: {line}"))
    if failures:
        blocks.append(Heading("Failures"))
        for name, m in failures:
            blocks.extend(_failure_blocks(name, m, directory))

    blocks.append(Heading("Machines"))
    blocks.append(Table(
        ("machine", "verdict", "examples", "steps", "seconds"),
        tuple((name, _MARK.get(m["valid"], str(m["valid"])), str((m.get("stats") or {}).get("examples", 0)),
               str((m.get("stats") or {}).get("steps", 0)), str(m.get("seconds", 0))) for name, m in machines.items()),
        tuple(("", _MARK.get(m["valid"], ""), "", "", "") for m in machines.values())))

    invariants: Mapping[str, Any] = summary.get("invariants") or {}
    if machines and invariants and any(m.get("stats") for m in machines.values()):
        blocks.append(Heading("Invariants by machine"))
        names = tuple(invariants)
        cells = [[cell_status(machines[mn], inv, mn) for mn in machines] for inv in names]
        blocks.append(Grid("invariant \\ machine", names, tuple(machines),
                           tuple(tuple(c[0] for c in row) for row in cells),
                           tuple(tuple(c[1] for c in row) for row in cells)))

    blocks.append(Heading("Invariants"))
    rows, marks = [], []
    for name, inv in invariants.items():
        mark = "vacuous" if inv.get("vacuous") else _MARK.get(inv["valid"], str(inv["valid"]))
        rows.append((name, ", ".join(inv["rules"]), inv["kind"], mark, str(inv["checks"]), str(inv["premises"]),
                     str(inv["violations"])))
        marks.append(("", "", "", mark, "", "", ""))
    blocks.append(Table(("invariant", "rules", "kind", "verdict", "checks", "premise held", "violations"),
                        tuple(rows), tuple(marks)))

    cited = sorted({r for inv in invariants.values() for r in inv["rules"]}, key=id_order)
    if cited:
        blocks.append(Heading("Rules the invariants check"))
        blocks.append(Bullets(tuple(describe(cited))))
        blocks.append(Heading("Rule coverage"))
        blocks.append(Text("How often each upstream rule was checked and how often its premise held (summed over "
                           "the invariants that encode it); a rule whose premise never held was not exercised."))
        cov_rows, cov_marks = [], []
        for rid in cited:
            invs = [inv for inv in invariants.values() if rid in inv["rules"]]
            checks = sum(int(i["checks"]) for i in invs)
            premises = sum(int(i["premises"]) for i in invs)
            failed = any(i["valid"] is False for i in invs)
            unexercised = all(i["valid"] in ("not exercised", "not applicable") for i in invs)
            mark = "fail" if failed else "pass" if premises else "n/a" if not checks or unexercised else "vacuous"
            title = RULES[rid].title if rid in RULES else "(not in the catalogue)"
            cov_rows.append((rid, title, str(len(invs)), str(checks), str(premises)))
            cov_marks.append((mark, "", "", "", ""))
        blocks.append(Table(("rule", "title", "invariants", "checks", "premise held"), tuple(cov_rows),
                            tuple(cov_marks)))
    if summary.get("vacuous"):
        blocks.append(Heading("Vacuous invariants"))
        blocks.append(Text("Their premise never held in this run, so they proved nothing:"))
        blocks.append(Bullets(tuple(summary["vacuous"])))
    if summary.get("rules"):
        blocks.append(Heading("Events run"))
        blocks.append(Table(("rule (event)", "times"), tuple((r, str(n)) for r, n in summary["rules"].items())))
    if summary.get("not_exercised"):
        blocks.append(Heading("Invariants not exercised"))
        blocks.append(Text("None of this run's machines reaches their premise (conformance/reach.py), so the "
                           "verdict does not cover them; the other machines check them:"))
        blocks.append(Bullets(tuple(summary["not_exercised"])))
    if summary.get("top_up"):
        blocks.append(Text("Top-up: " + "; ".join(
            f"round {t['round']} ran {', '.join(t['machines'])} again for {len(t['vacuous'])} invariant(s) "
            "whose premise had not held" for t in summary["top_up"]) + "."))
    if summary.get("not_applicable"):
        blocks.append(Text("Not applicable to this adapter: " + ", ".join(summary["not_applicable"]) + "."))
    if selftest:
        blocks.extend(_kill_matrix(selftest))
    blocks.append(Heading("What a pass means"))
    blocks.append(Text(
        "Soundness: for every generated example, every invariant held at every step (and at every intermediate "
        "controller turn the adapter could show), and the adapter's answers and settled state agreed with the "
        "reference model. Completeness: this is a sample, not a proof; an invariant whose premise never held is "
        "vacuous and proved nothing."))
    return Document(f"kubeoracle conformance: {word}", tuple(blocks))


_KILL = {"killed": "killed", "SURVIVED": "survived", "gap": "gap", "error": "error", "n/a": "n/a",
         "indistinct": "unknown"}


def _kill_matrix(selftest: Mapping[str, Any]) -> list[Block]:
    columns = tuple(selftest.get("columns") or ())
    mutants = list(selftest.get("mutants") or ())
    cells = tuple(tuple(_KILL.get(m[c]["verdict"], "unknown") for c in columns) for m in mutants)
    notes = tuple(tuple(str(m[c]["caught_by"]) for c in columns) for m in mutants)
    killed = {c: sum(1 for m in mutants if m[c]["verdict"] == "killed") for c in columns}
    blocks: list[Block] = [
        Heading("Self-test: the kill matrix"),
        Text("Every seeded bug, in each column, must make its machine fail: "
             + ", ".join(f"{c} {n}/{len(mutants)} killed" for c, n in killed.items())
             + f" in {selftest.get('seconds', 0)} s."),
        Grid("seeded bug \\ column", tuple(m["name"] for m in mutants), columns, cells, notes),
        Table(("seeded bug", "machine", *(f"caught by ({c})" for c in columns)),
              tuple((m["name"], m.get("machine", ""), *(str(m[c]["caught_by"]) for c in columns)) for m in mutants)),
    ]
    return blocks


def selftest_document(selftest: Mapping[str, Any]) -> Document:
    """The report of ``kubeoracle conformance --self-test`` alone."""
    mutants = list(selftest.get("mutants") or ())
    survived = [f"{m['name']} ({c})" for m in mutants for c in selftest.get("columns") or ()
                if m[c]["verdict"] in ("SURVIVED", "error")]
    status, word = ("fail", "FAILED") if survived else ("pass", "PASSED")
    detail = (f"{len(survived)} seeded bug(s) survived: {', '.join(survived)}." if survived
              else f"every one of {len(mutants)} seeded bugs was caught where it can be.")
    return Document(f"kubeoracle conformance --self-test: {word}",
                    (Verdict(status, word, detail), *_kill_matrix(selftest)))
