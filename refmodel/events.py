"""The event vocabulary: everything that can happen to a cluster, grouped by actor.

**Mirrors:** the things that change a real cluster: API requests by users (``kubectl apply``,
``delete``, ``scale``, ``rollout undo``, ``cordon``), facts of the environment (a node dies, a
container exits, an image cannot be pulled, time passes) and one sync of one object by one
controller (a work-queue item being processed).
**Modelled:** user commands are imperative, environment facts past tense (DESIGN §5.3); each event is a
small frozen value, so a trace is data that can be stored, printed, shrunk and replayed.
**Not modelled:** watch notifications: they are implied by the state's dirty set.
"""

from __future__ import annotations

from typing import Any

import attrs

from .frozen import freeze

__all__ = [
    "Apply",
    "ClockAdvanced",
    "ContainerExited",
    "Cordon",
    "Delete",
    "EnvironmentEvent",
    "Event",
    "ImagePullFailed",
    "ImagePullRecovered",
    "NodeFailed",
    "NodeRecovered",
    "PodKilled",
    "ReadinessChanged",
    "Reconcile",
    "RolloutPause",
    "RolloutResume",
    "RolloutUndo",
    "Scale",
    "Uncordon",
    "UserEvent",
    "event_from_dict",
    "event_to_dict",
]


# ---- user ------------------------------------------------------------------------------------
@attrs.frozen
class Apply:
    """``kubectl apply -f`` of one object (create, or three-way merge into the live object)."""

    obj: Any = attrs.field(converter=freeze)


@attrs.frozen
class Delete:
    kind: str
    namespace: str
    name: str
    propagation: str = "Background"  # Background | Foreground | Orphan


@attrs.frozen
class Scale:
    kind: str
    namespace: str
    name: str
    replicas: int


@attrs.frozen
class RolloutUndo:
    """``kubectl rollout undo deployment/NAME [--to-revision=N]`` (0 = the previous revision); ``kind``
    StatefulSet for ``kubectl rollout undo statefulset/NAME``."""

    namespace: str
    name: str
    to_revision: int = 0
    kind: str = "Deployment"


@attrs.frozen
class RolloutPause:
    namespace: str
    name: str


@attrs.frozen
class RolloutResume:
    namespace: str
    name: str


@attrs.frozen
class Cordon:
    node: str


@attrs.frozen
class Uncordon:
    node: str


# ---- environment -----------------------------------------------------------------------------
@attrs.frozen
class NodeFailed:
    """The node stops (kubelet stops heart-beating, its containers are unreachable)."""

    node: str


@attrs.frozen
class NodeRecovered:
    node: str


@attrs.frozen
class PodKilled:
    """Something outside the control plane deleted the pod at once (force delete, OOM-killed node...)."""

    namespace: str
    name: str


@attrs.frozen
class ContainerExited:
    namespace: str
    pod: str
    container: str
    exit_code: int


@attrs.frozen
class ImagePullFailed:
    """From now on, pulling ``image`` fails (registry down, tag missing)."""

    image: str


@attrs.frozen
class ImagePullRecovered:
    image: str


@attrs.frozen
class ReadinessChanged:
    """The readiness probe of every container of the pod now reports ``ready``."""

    namespace: str
    pod: str
    ready: bool


@attrs.frozen
class ClockAdvanced:
    """Virtual time passes by ``seconds``. Timers that fall due are queued; the controllers they wake run
    on the next ``Reconcile``/``converge`` at the new time, as if the controller manager had been paused
    for that long (a long jump therefore stamps, e.g., a node's taints at the later time)."""

    seconds: int


# ---- controller turns -------------------------------------------------------------------------
@attrs.frozen
class Reconcile:
    """One sync of one key by one controller (``controller`` as named in ``refmodel.controllers``)."""

    controller: str
    key: str


UserEvent = Apply | Delete | Scale | RolloutUndo | RolloutPause | RolloutResume | Cordon | Uncordon
EnvironmentEvent = (
    NodeFailed
    | NodeRecovered
    | PodKilled
    | ContainerExited
    | ImagePullFailed
    | ImagePullRecovered
    | ReadinessChanged
    | ClockAdvanced
)
Event = UserEvent | EnvironmentEvent | Reconcile

_CLASSES: dict[str, type] = {
    c.__name__: c
    for c in (
        Apply, Delete, Scale, RolloutUndo, RolloutPause, RolloutResume, Cordon, Uncordon,
        NodeFailed, NodeRecovered, PodKilled, ContainerExited, ImagePullFailed, ImagePullRecovered,
        ReadinessChanged, ClockAdvanced, Reconcile,
    )
}


def event_to_dict(event: Event) -> dict[str, Any]:
    """``{"event": "Scale", "kind": ..., ...}``: the form used in YAML event scripts."""
    from .frozen import thaw

    out: dict[str, Any] = {"event": type(event).__name__}
    for a in attrs.fields(type(event)):
        out[a.name] = thaw(getattr(event, a.name))
    return out


# Field ranges as upstream types them: replicas and exit codes are int32 (ScaleSpec.Replicas,
# ContainerStateTerminated.ExitCode), a revision is int64 (kubectl rollout undo --to-revision), a
# clock jump is a time.Duration (int64 nanoseconds). Strings that name a choice list the choices.
# A negative scale is a request the wire carries and the API server refuses (spec.replicas must be >= 0):
# a script holds it as the run sent it, so that replaying the script meets the same rejection.
_INT32 = 2**31 - 1
_RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("Scale", "replicas"): (-(2**31), _INT32),
    ("RolloutUndo", "to_revision"): (0, 2**63 - 1),
    ("ContainerExited", "exit_code"): (-(2**31), _INT32),
    ("ClockAdvanced", "seconds"): (0, (2**63 - 1) // 10**9),
}
_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Delete", "propagation"): ("Background", "Foreground", "Orphan"),
    ("RolloutUndo", "kind"): ("Deployment", "StatefulSet"),
}
_NONEMPTY = frozenset({"kind", "name", "node", "image", "pod", "container", "key", "controller"})


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list | tuple) else "a mapping"


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."


def _field_error(event: str, name: str, value: Any, path: str) -> str | None:
    """Why ``value`` cannot be field ``name`` of event ``event`` (None when it can)."""
    cls = _CLASSES[event]
    want = str(next(a.type for a in attrs.fields(cls) if a.name == name))
    where = f"{path}.{name}"
    if want == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{where}: Invalid value: {_shown(value)}: must be an integer, not {_json_type(value)}"
        lo, hi = _RANGES.get((event, name), (-(2**63), 2**63 - 1))
        if not lo <= value <= hi:
            return f"{where}: Invalid value: {value}: must be between {lo} and {hi}, inclusive"
    elif want == "bool":
        if not isinstance(value, bool):
            return f"{where}: Invalid value: {_shown(value)}: must be a boolean (true or false), not {_json_type(value)}"
    elif want == "str":
        if not isinstance(value, str):
            return f"{where}: Invalid value: {_shown(value)}: must be a string, not {_json_type(value)}"
        choices = _CHOICES.get((event, name))
        if choices is not None and value not in choices:
            return f"{where}: Unsupported value: {_shown(value)}: supported values: {', '.join(choices)}"
        if name in _NONEMPTY and not value:
            return f"{where}: Required value: must not be empty"
        if (event, name) == ("Reconcile", "controller"):
            from .controllers import CONTROLLERS

            if value not in CONTROLLERS:
                return f"{where}: Unsupported value: {_shown(value)}: supported values: {', '.join(sorted(CONTROLLERS))}"
    elif name == "obj" and not isinstance(value, dict):
        return f"{where}: Invalid value: {_shown(value)}: must be an object (a mapping), not {_json_type(value)}"
    return None


def event_from_dict(data: Any, path: str = "event") -> Event:
    """Inverse of :func:`event_to_dict`, checked field by field.

    Raises ``ValueError`` with every problem, each as ``PATH.field: ...`` (kubectl's field-error form):
    a missing or unknown ``event``, unknown or missing fields, a wrong type, a value out of range.
    """
    if not isinstance(data, dict):
        raise ValueError(f"{path}: Invalid value: {_shown(data)}: an event must be a mapping like "
                         f"{{event: Scale, ...}}, not {_json_type(data)}")
    if "event" not in data:
        raise ValueError(f"{path}.event: Required value: the event's name ({', '.join(sorted(_CLASSES))})")
    name = data["event"]
    cls = _CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"{path}.event: Unsupported value: {_shown(name)}: supported values: "
                         f"{', '.join(sorted(_CLASSES))}")
    fields = {a.name: a for a in attrs.fields(cls)}
    errors = [f"{path}.{k}: Unknown field: event {name} has the fields {', '.join(fields) or '(none)'}"
              for k in data if k != "event" and k not in fields]
    for fname, a in fields.items():
        if fname not in data:
            if a.default is attrs.NOTHING:
                errors.append(f"{path}.{fname}: Required value")
            continue
        err = _field_error(name, fname, data[fname], path)
        if err is not None:
            errors.append(err)
    if errors:
        raise ValueError("; ".join(errors))
    return cls(**{k: v for k, v in data.items() if k != "event"})  # type: ignore[no-any-return]
