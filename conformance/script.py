"""Event scripts: every failure as a YAML file that ``kubeoracle replay`` runs on any adapter.

::

    # kubeoracle event script: replay with `kubeoracle replay THIS_FILE [--adapter NAME]`
    machine: mixed
    adapter: model
    invariant: a rejected write changes nothing
    rules: [API-3]
    message: ...
    events:
    - {event: Apply, obj: {apiVersion: apps/v1, kind: Deployment, ...}}
    - {event: Scale, kind: Deployment, namespace: default, name: web, replicas: 3}
    - {event: Settle}

Events are :func:`refmodel.events.event_to_dict` mappings; ``{event: Settle}`` asks the harness to let
the cluster quiesce and run the convergence checks (it is not a model event).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from refmodel import events as ev

from .adapters import Adapter
from .harness import Failure, Run, Stats

__all__ = ["dump_script", "load_script", "replay_events", "write_script"]

HEADER = "# kubeoracle event script: replay with `kubeoracle replay THIS_FILE [--adapter NAME]`\n"


def dump_script(failure: Failure | None, events: Iterable[Mapping[str, Any]], **meta: Any) -> str:
    doc: dict[str, Any] = {k: v for k, v in meta.items() if v is not None}
    if failure is not None:
        doc["invariant"] = failure.invariant
        doc["rules"] = list(failure.rules)
        doc["message"] = failure.message
    doc["events"] = [dict(e) for e in events]
    return HEADER + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=120)


def write_script(path: Path, failure: Failure | None, events: Iterable[Mapping[str, Any]], **meta: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_script(failure, events, **meta))
    return path


def load_script(text: str) -> tuple[dict[str, Any], list[ev.Event | None]]:
    """``(metadata, events)``; a ``None`` event is a settle. Raises ``ValueError`` naming the bad entry."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not YAML: {exc}") from None
    if isinstance(doc, list):
        doc = {"events": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        raise ValueError("an event script is a mapping with an 'events' list (or a bare list of events)")
    out: list[ev.Event | None] = []
    for i, item in enumerate(doc["events"]):
        if isinstance(item, dict) and item.get("event") == "Settle":
            out.append(None)
            continue
        try:
            out.append(ev.event_from_dict(item))
        except ValueError as exc:
            raise ValueError(f"events[{i}]: {exc}") from None
    meta = {k: v for k, v in doc.items() if k != "events"}
    return meta, out


def replay_events(adapter: Adapter, events: Iterable[ev.Event | None], stats: Stats | None = None) -> Run:
    """Run the harness over a script (every check, no stopping): the run's ``failures`` say what broke."""
    run = Run(adapter, stats or Stats(), raise_on_violation=False)
    run.trace.clear()
    for event in events:
        if event is None:
            run.settle()
        else:
            run.do(event)
    return run
