"""Event scripts: the one format ``kubeoracle replay`` and ``kubeoracle simulate --events`` read.

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

A script is that mapping or a bare list of events. Events are :func:`refmodel.events.event_to_dict`
mappings, checked field by field by :func:`refmodel.events.event_from_dict`; ``{event: Settle}`` asks the
harness to let the cluster quiesce and run the convergence checks (it is not a model event; ``simulate``
converges after every event anyway). An Apply the run made with an invalid manifest carries
``rejectedNaming: FIELD``, the field its rejection must name; a replay checks it as the run did (the
loader returns these in the metadata as ``expect_rejection``, event index -> field). The YAML is read by :func:`refmodel.yamlio.load_yaml`, with the
limits of manifests (aliases, depth, NaN). Every problem is reported, each with its field path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from refmodel import events as ev
from refmodel.errors import Invalid
from refmodel.yamlio import load_yaml

if TYPE_CHECKING:
    from .adapters import Adapter
    from .harness import Failure, Run, Stats

__all__ = ["EXPECT_KEY", "SETTLE", "ScriptError", "dump_script", "load_script", "replay_events", "script_entries",
           "write_script"]

HEADER = "# kubeoracle event script: replay with `kubeoracle replay THIS_FILE [--adapter NAME]`\n"
SETTLE = "Settle"
EXPECT_KEY = "rejectedNaming"  # on an Apply entry: the field path an invalid manifest's rejection must name

# What a script may say about itself, besides its events (what dump_script writes).
_META: dict[str, tuple[type, ...]] = {
    "machine": (str,), "adapter": (str,), "invariant": (str, type(None)), "rules": (list,),
    "message": (str,), "error": (str,), "seed": (int, type(None)), "program": (str,),
}


class ScriptError(ValueError):
    """An unreadable or invalid event script; ``problems`` holds one line per error, each with its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def script_entries(events: Iterable[ev.Event | None],
                   expect_rejection: Mapping[int, str] | None = None) -> tuple[dict[str, Any], ...]:
    """Events (None: a settle) as script entries, an invalid manifest's Apply with its ``rejectedNaming``."""
    out = [{"event": SETTLE} if e is None else ev.event_to_dict(e) for e in events]
    for i, field in (expect_rejection or {}).items():
        out[i][EXPECT_KEY] = field
    return tuple(out)


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
    """``(metadata, events)``; a ``None`` event is a settle. Raises :class:`ScriptError` naming every bad field."""
    try:
        doc = load_yaml(text)
    except Invalid as exc:
        raise ScriptError([exc.rejection.message]) from None
    if doc is None:
        return {}, []
    if isinstance(doc, list):
        doc = {"events": doc}
    if not isinstance(doc, dict):
        raise ScriptError([f"<script>: Invalid value: {doc!r:.60}: an event script is a list of events or a "
                           "mapping with an 'events' list"])
    problems: list[str] = []
    for key, value in doc.items():
        if key == "events":
            continue
        want = _META.get(key)
        if want is None:
            problems.append(f"{key}: Unknown field: a script has the fields events, {', '.join(_META)}")
        elif not isinstance(value, want):
            problems.append(f"{key}: Invalid value: {value!r:.60}: must be a {want[0].__name__}")
    items = doc.get("events")
    if not isinstance(items, list):
        shown = "missing" if "events" not in doc else f"{items!r:.60}"
        problems.append(f"events: Required value: a list of events (got {shown})")
        items = []
    out: list[ev.Event | None] = []
    expect: dict[int, str] = {}
    for i, item in enumerate(items):
        path = f"events[{i}]"
        if isinstance(item, dict) and EXPECT_KEY in item:
            item = dict(item)
            field = item.pop(EXPECT_KEY)
            if item.get("event") != "Apply" or not isinstance(field, str) or not field:
                problems.append(f"{path}.{EXPECT_KEY}: Invalid value: {field!r:.60}: only an Apply carries it, "
                                "as a non-empty field path")
            else:
                expect[i] = field
        if isinstance(item, dict) and item.get("event") == SETTLE:
            extra = sorted(set(item) - {"event"})
            if extra:
                problems.append(f"{path}.{extra[0]}: Unknown field: event Settle has no fields")
            out.append(None)
            continue
        try:
            out.append(ev.event_from_dict(item, path))
        except ValueError as exc:
            problems.extend(str(exc).split("; "))
    if problems:
        raise ScriptError(problems)
    meta = {k: v for k, v in doc.items() if k != "events"}
    if expect:
        meta["expect_rejection"] = expect
    return meta, out


def read_script(path_arg: str, stdin_text: str | None = None) -> tuple[dict[str, Any], list[ev.Event | None]]:
    """:func:`load_script` of a file (``-`` with ``stdin_text``); OSError/ScriptError name the file's problem."""
    if path_arg == "-" and stdin_text is not None:
        text = stdin_text
    else:
        path = Path(path_arg)
        if not path.exists():
            raise OSError(f'the path "{path_arg}" does not exist')
        if path.is_dir():
            raise OSError(f'the path "{path_arg}" is a directory, not an events script')
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ScriptError([f'"{path_arg}" is not UTF-8 text']) from None
        except OSError as exc:
            raise OSError(f'cannot read "{path_arg}": {exc.strerror or exc}') from None
    return load_script(text)


def describe(event: ev.Event | None) -> str:
    """``Scale Deployment default/web replicas=5``; ``Apply Deployment default/shop``; ``Settle``."""
    if event is None:
        return SETTLE
    d = ev.event_to_dict(event)
    name = d.pop("event")
    obj = d.pop("obj", None)
    parts = [name]
    if isinstance(obj, dict):
        md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        ns = f"{md.get('namespace')}/" if md.get("namespace") else ""
        parts.append(f"{obj.get('kind', '?')} {ns}{md.get('name', '?')}")
    if "kind" in d:
        parts.append(str(d.pop("kind")))
    if "name" in d:
        ns = d.pop("namespace", "")
        parts.append(f"{ns}/{d.pop('name')}" if ns else str(d.pop("name")))
    parts.extend(f"{k}={v}" for k, v in d.items())
    return " ".join(parts)


def replay_events(adapter: Adapter, events: Iterable[ev.Event | None], stats: Stats | None = None,
                  on_step: Callable[[int, ev.Event | None, str, list[Failure]], None] | None = None,
                  expect_rejection: Mapping[int, str] | None = None) -> Run:
    """Run the harness over a script (every check, no stopping): the run's ``failures`` say what broke.

    ``on_step(i, event, outcome, new_failures)`` is called after each event, as it runs: ``outcome`` is
    the adapter's answer in words (``ok``, ``rejected (Invalid): ...``, ``settled``)."""
    from .harness import Run, Stats

    run = Run(adapter, stats or Stats(), raise_on_violation=False)
    run.trace.clear()
    for i, event in enumerate(events):
        seen = len(run.failures)
        if event is None:
            text = "settled" if run.settle() else "did not settle"
        else:
            run.ctx.expect_rejection = (expect_rejection or {}).get(i)
            try:
                o = run.do(event)
            finally:
                run.ctx.expect_rejection = None
            text = o.status
            if o.status != "ok" and (o.reason or o.message):
                text += f" ({o.reason}{': ' if o.reason and o.message else ''}{o.message})"
        if on_step is not None:
            on_step(i, event, text, run.failures[seen:])
    return run
