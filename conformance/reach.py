"""Which machines reach each invariant's premise: the scope of a run, and where to look for a rare premise.

An invariant whose premise never held in a run proved nothing (it is *vacuous*), and a run with a vacuous
invariant ends UNKNOWN. Two different things hide behind "never held":

- The run's machines cannot reach it. ``--machines replicaset`` creates no Service, so no invariant about
  Services can have its premise hold. Such an invariant is *not exercised* by that run: the report says so, and
  the verdict does not depend on it (a run over some machines can pass).
- The premise is rare, and the examples drawn missed it (a crash loop that reaches its 5-minute back-off cap,
  a ConfigMap update seen through a volume). The runner then runs more examples of the machines that do reach
  it (``kubeoracle conformance --top-up N``), and the run is UNKNOWN only if they still miss it.

Both need to know which machines reach which premise. That is what :data:`REACHED_BY` records: for every
invariant whose premise some machines never reach, the machines whose runs have met it. An invariant that is
not listed is in scope for every machine (a new invariant starts that way, which keeps vacuity strict).

The table is learned from runs, not declared by hand (a machine's reach follows from its rules and strategies,
and changes with them)::

    kubeoracle conformance --report DIR1 ...          # several runs; --profile thorough reaches rarer premises
    python -m conformance.reach DIR1 DIR2 ...        # rewrites REACHED_BY below

The update only adds: it never removes a machine that the table lists (a machine once seen to reach a premise
can reach it). ``tests/test_reach.py`` checks over a derandomized run that no machine met a premise the table
says it does not reach, so a change that widens a machine's reach fails there until the table is updated.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["REACHED_BY", "in_scope", "learn", "machines_reaching", "unlisted_reaches"]


def machines_reaching(invariant: str, machines: Iterable[str]) -> list[str]:
    """The machines among ``machines`` that can reach the premise of ``invariant`` (in their order)."""
    reach = REACHED_BY.get(invariant)
    return [m for m in machines if reach is None or m in reach]


def in_scope(invariant: str, machines: Iterable[str]) -> bool:
    """Whether a run over ``machines`` can meet the premise of ``invariant`` (else it is not exercised)."""
    return bool(machines_reaching(invariant, machines))


def _premises(summary: Mapping[str, Any]) -> dict[str, set[str]]:
    """invariant -> the machines in which its premise held, from one results.json."""
    met: dict[str, set[str]] = {}
    for machine, result in (summary.get("machines") or {}).items():
        for name, count in ((result.get("stats") or {}).get("premises") or {}).items():
            if count:
                met.setdefault(name, set()).add(machine)
    return met


def unlisted_reaches(summary: Mapping[str, Any]) -> dict[str, list[str]]:
    """invariant -> the machines that met its premise in this run although the table says they do not."""
    out = {}
    for name, machines in _premises(summary).items():
        reach = REACHED_BY.get(name)
        if reach is not None and not machines <= set(reach):
            out[name] = sorted(machines - set(reach))
    return out


def learn(summaries: Sequence[Mapping[str, Any]], machines: Sequence[str],
          table: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """The new table: for each invariant some run met, the machines that met it (joined with what ``table``
    says), left out when that is every one of ``machines``; invariants no run met keep their entry."""
    met: dict[str, set[str]] = {name: set(reach) for name, reach in table.items()}
    seen: set[str] = set()
    for summary in summaries:
        for name, found in _premises(summary).items():
            met.setdefault(name, set()).update(found)
            seen.add(name)
    order = {m: i for i, m in enumerate(machines)}
    out = {}
    for name in sorted(met):
        reach = met[name]
        if name in seen and set(machines) <= reach:
            continue
        out[name] = tuple(sorted(reach, key=lambda m: (order.get(m, len(order)), m)))
    return out


_BEGIN = "REACHED_BY: dict[str, tuple[str, ...]] = {"
_END = "}  # end of REACHED_BY"


def _render(table: Mapping[str, Sequence[str]]) -> str:
    lines = [_BEGIN]
    for name, reach in table.items():
        lines.append(f"    {json.dumps(name)}:")
        lines.append(f"        ({', '.join(json.dumps(m) for m in reach)}{',' if len(reach) == 1 else ''}),")
    lines.append(_END)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conformance.reach DIR...``: add what the runs in DIR.../results.json reached to the table."""
    from .machines import MACHINES

    dirs = list(sys.argv[1:] if argv is None else argv)
    if not dirs:
        print("usage: python -m conformance.reach DIR [DIR ...]  (directories written by "
              "'kubeoracle conformance --report DIR')", file=sys.stderr)
        return 2
    summaries = []
    for d in dirs:
        path = Path(d) / "results.json"
        try:
            summaries.append(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            return 2
    table = learn(summaries, list(MACHINES), REACHED_BY)
    source = Path(__file__)
    text = source.read_text()
    start = text.index("\n" + _BEGIN) + 1  # the table's own lines (start at column 0; the markers above do not)
    end = text.index("\n" + _END, start) + 1 + len(_END)
    source.write_text(text[:start] + _render(table) + text[end:])
    added = sum(len(set(v) - set(REACHED_BY.get(k, ()))) for k, v in table.items() if k in REACHED_BY)
    print(f"{source}: {len(table)} invariants with a partial reach ({added} machine(s) added to existing entries)")
    return 0


#: invariant name -> the machines whose runs have met its premise; an invariant not listed is reached by every machine.
#: Generated by ``python -m conformance.reach`` (see the module docstring); edit by hand only to add a machine.
REACHED_BY: dict[str, tuple[str, ...]] = {
    "a ConfigMap update reaches volume views and never env views":
        ("mixed", "storage"),
    "a Deployment reports ProgressDeadlineExceeded no earlier than progressDeadlineSeconds after its last progress":
        ("deployment", "rollout", "mixed"),
    "a Deployment that observed its spec has a new ReplicaSet whose revision exceeds every old one's":
        ("deployment", "rollout", "mixed"),
    "a Deployment's revision numbers only grow and a new revision exceeds all others":
        ("deployment", "rollout", "mixed"),
    "a ReplicaSet counts a pod available no earlier than minReadySeconds after it became Ready":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services"),
    "a StatefulSet never has more than one pod per identity (ordinal)":
        ("mixed", "statefulset"),
    "a StatefulSet's template claims are never deleted under Retain, and otherwise only through the owner references its retention policy sets":
        ("mixed", "statefulset"),
    "a bound claim stays bound to the same volume":
        ("mixed", "statefulset", "storage"),
    "a claim's requested size never shrinks":
        ("mixed", "statefulset", "storage"),
    "a cluster IP or node port no other Service holds is never refused as already allocated":
        ("mixed", "services"),
    "a crash-looping container restarts once its back-off is over, and the back-off stops at 5 minutes":
        ("replicaset",),
    "a crashed container restarts no earlier than its back-off (10 s, doubling, reset after 10 min)":
        ("replicaset", "deployment", "mixed", "services", "statefulset", "storage"),
    "a deletionTimestamp, once set, is never cleared":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services", "statefulset"),
    "a manifest that breaks a validation rule is rejected, naming the field":
        ("mixed",),
    "a paused Deployment starts no new rollout":
        ("deployment", "mixed"),
    "a pod on a node with a NoExecute taint is evicted no earlier than its tolerationSeconds after the taint":
        ("nodes", "mixed", "services", "statefulset", "storage"),
    "after a rollout completes, at most revisionHistoryLimit old ReplicaSets are kept":
        ("deployment", "rollout", "mixed"),
    "after an Orphan deletion settles, the dependents are kept without the owner reference":
        ("replicaset", "nodes", "mixed", "statefulset"),
    "after an accepted delete, the object is gone or marked for deletion":
        ("replicaset", "deployment", "nodes", "mixed", "services", "statefulset", "storage"),
    "after an accepted scale, spec.replicas is the number asked for":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services", "statefulset"),
    "after settle with no fault active, a Deployment whose pods all fit completes its rollout":
        ("deployment", "rollout", "mixed"),
    "after settle, Deployment status and observedGeneration agree with its ReplicaSets":
        ("deployment", "rollout", "mixed"),
    "after settle, ReplicaSet status counts its active pods and observedGeneration equals generation":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services"),
    "after settle, a Deployment whose new ReplicaSet is saturated has no old ReplicaSet with replicas":
        ("deployment", "rollout", "mixed"),
    "after settle, a ReplicaSet's pods match its selector and no matching orphan is left":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services"),
    "after settle, a Service's EndpointSlices agree with its Endpoints":
        ("mixed", "services"),
    "after settle, a Service's Endpoints list exactly its matching pods, the ready ones as ready":
        ("mixed", "services"),
    "after settle, an object the run deleted is gone unless a pod on a failed node holds it":
        ("replicaset", "deployment", "nodes", "mixed", "services", "statefulset", "storage"),
    "after settle, an unpaused Deployment has a ReplicaSet with its pod template":
        ("deployment", "rollout", "mixed"),
    "after settle, every ReplicaSet not being deleted has exactly spec.replicas active pods":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services"),
    "after settle, every owner reference resolves to a live owner (no orphans after background deletion)":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services", "statefulset"),
    "after settle, no active pod is left on a node that is not Ready":
        ("nodes", "mixed", "services", "statefulset"),
    "after settle, the dependents of an owner deleted in the background or foreground are gone":
        ("replicaset", "deployment", "nodes", "mixed"),
    "after settle, the pods a ReplicaSet lost on a failed node are replaced":
        ("nodes", "mixed", "services"),
    "during a rollout with no fault active, available pods never drop below replicas - maxUnavailable":
        ("deployment", "rollout", "mixed"),
    "generation changes if and only if the spec does":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services", "statefulset"),
    "no data token is lost while its volume exists":
        ("mixed", "storage"),
    "no object has more than one controller owner reference":
        ("replicaset", "deployment", "rollout", "nodes", "mixed", "services", "statefulset"),
    "one ReadWriteOncePod claim is used by at most one pod":
        ("mixed", "storage"),
    "rollout undo restores the template of the chosen revision":
        ("deployment", "rollout", "mixed"),
    "the garbage collector deletes an object only when none of its owners is alive":
        ("replicaset", "deployment", "nodes", "mixed", "statefulset"),
    "under OrderedReady a StatefulSet creates pod n only while pods start..n-1 exist, Running and Ready, one pod per turn":
        ("mixed", "statefulset"),
    "under OrderedReady a StatefulSet scales down from the highest ordinal, one pod at a time":
        ("mixed", "statefulset"),
    "whenever a Deployment's ReplicaSets grow, they stay within replicas + maxSurge":
        ("deployment", "rollout", "mixed"),
}  # end of REACHED_BY


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
