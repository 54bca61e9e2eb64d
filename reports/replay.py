"""The replay report: one ``kubeoracle replay SCRIPT --report DIR`` run -> a
:class:`~reports.document.Document`: the verdict first, then every violation (the event after which it
was seen, the invariant, the upstream rules it encodes, the first diverging field), the event-by-event
outcomes, the command that reruns it, and the script itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.catalogue import describe

from .conformance import first_divergence
from .document import Block, Code, Document, Heading, Quote, Table, Text, Verdict

__all__ = ["replay_document"]


def replay_document(script: str, adapter: str, steps: Sequence[Mapping[str, Any]], script_text: str = "",
                    recorded_for: str | None = None) -> Document:
    """``steps``: one mapping per event, ``{"event": description, "outcome": text, "violations":
    [{"invariant", "rules", "message"}]}``, in order."""
    violations = [(i, v) for i, s in enumerate(steps) for v in s.get("violations") or ()]
    status, word = ("fail", "FAILED") if violations else ("pass", "PASSED")
    detail = f"`{script}` on adapter `{adapter}`: {len(steps)} events, {len(violations)} violation(s)."
    blocks: list[Block] = [Verdict(status, word, detail)]
    if recorded_for and not any(v["invariant"] == recorded_for for _, v in violations):
        blocks.append(Text(f"The script was recorded for `{recorded_for}`, which held on adapter `{adapter}`."))
    if violations:
        blocks.append(Heading("Violations"))
        for i, v in violations:
            blocks.append(Heading(f"after event {i}: {v['invariant']} [{', '.join(v.get('rules') or [])}]", 3))
            blocks.append(Text(str(v.get("message", ""))))
            blocks.extend(Quote(d) for d in describe(v.get("rules") or []))
            blocks.append(Text(f"First diverging field: `{first_divergence(str(v.get('message', '')))}`"))
    blocks.append(Heading("Events"))
    blocks.append(Table(("#", "event", "outcome", "violations"),
                        tuple((str(i), str(s["event"]), str(s["outcome"]),
                               "; ".join(v["invariant"] for v in s.get("violations") or ()))
                              for i, s in enumerate(steps)),
                        tuple(("", "", "", "fail" if s.get("violations") else "") for s in steps)))
    blocks.append(Heading("Rerun"))
    blocks.append(Code(f"kubeoracle replay {script} --adapter {adapter}", "sh"))
    if script_text:
        blocks.append(Code(script_text, "yaml", fold="The script"))
    return Document(f"kubeoracle replay: {word}", tuple(blocks))
