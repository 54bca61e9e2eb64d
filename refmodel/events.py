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
    """``kubectl rollout undo deployment/NAME [--to-revision=N]`` (0 = the previous revision)."""

    namespace: str
    name: str
    to_revision: int = 0


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


def event_from_dict(data: dict[str, Any]) -> Event:
    """Inverse of :func:`event_to_dict`; raises ``ValueError`` with the offending key."""
    if not isinstance(data, dict) or "event" not in data:
        raise ValueError("an event must be a mapping with an 'event' key")
    name = data["event"]
    cls = _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"unknown event {name!r}; known events: {', '.join(sorted(_CLASSES))}")
    names = {a.name for a in attrs.fields(cls)}
    args = {k: v for k, v in data.items() if k != "event"}
    unknown = set(args) - names
    if unknown:
        raise ValueError(f"event {name}: unknown field(s) {', '.join(sorted(unknown))}; "
                         f"expected {', '.join(sorted(names))}")
    try:
        return cls(**args)  # type: ignore[no-any-return]
    except TypeError as exc:
        raise ValueError(f"event {name}: {exc}") from None
