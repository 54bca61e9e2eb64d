"""The system under test: the :class:`Adapter` protocol, three-state outcomes and the adapter registry.

An adapter is anything with the methods below; nothing is subclassed. Its answers are
:class:`Outcome` values with three states, as Jepsen's checkers have (``ok`` / ``fail`` / ``info``):
``ok`` (the request took effect; the stored object comes back), ``rejected`` (the API server said
no; reason and first field) and ``unknown`` (the adapter cannot tell, e.g. a timeout: the request may
or may not have taken effect). An ``unknown`` never fails a run by itself; it makes the checks that
depend on it ``unknown``.

Adapters are named on the command line as ``NAME[:ARG]`` (a built-in, see :data:`REGISTRY`) or as
``package.module:factory[:ARG]`` (any importable factory; the module is imported only when chosen).
A factory is called with ``ARG`` when one is given, else with no arguments.

Capabilities say what an adapter can do beyond the core methods; a rule or an invariant that needs a
missing capability is not run and is reported as *not applicable*:

==================  =============================================================================
``node-faults``     ``inject(NodeFailed | NodeRecovered)``
``pod-faults``      ``inject(PodKilled | ContainerExited | ReadinessChanged)``
``image-faults``    ``inject(ImagePullFailed | ImagePullRecovered)``
``rollouts``        ``rollout_undo`` and ``inject(RolloutPause | RolloutResume)``
``cordon``          ``inject(Cordon | Uncordon)``
``virtual-time``    ``inject(ClockAdvanced)``: time is an input, not a wall clock
``single-step``     ``inject(Reconcile(controller, key))``: one controller turn at a time
``intermediate``    optional ``settle_steps()``: every intermediate state of a settle can be observed
``snapshot``        optional ``snapshot() -> View``: a cheap read-only view instead of ``observe()``
==================  =============================================================================
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

__all__ = [
    "CAPABILITIES",
    "REGISTRY",
    "Adapter",
    "AdapterError",
    "Outcome",
    "load",
    "perform",
    "required_capability",
]

Status = Literal["ok", "rejected", "unknown"]

CAPABILITIES: frozenset[str] = frozenset({
    "node-faults", "pod-faults", "image-faults", "rollouts", "cordon", "virtual-time", "single-step",
    "intermediate", "snapshot",
})

#: built-in adapters: name -> "module:factory" (imported lazily, only when chosen)
REGISTRY: dict[str, str] = {
    "model": "conformance.adapters.model:ModelAdapter",
}


class AdapterError(Exception):
    """An adapter could not be loaded or built (bad ``--adapter`` value, import error, factory error)."""


@attrs.frozen
class Outcome:
    """The answer to one request: ``ok(obj)``, ``rejected(reason, field, message)`` or ``unknown(why)``."""

    status: Status
    obj: Mapping[str, Any] | None = None
    reason: str = ""
    field: str = ""
    message: str = ""

    @staticmethod
    def ok(obj: Mapping[str, Any] | None = None) -> Outcome:
        return Outcome("ok", obj)

    @staticmethod
    def rejected(reason: str, field: str = "", message: str = "") -> Outcome:
        return Outcome("rejected", None, reason, field, message)

    @staticmethod
    def unknown(why: str) -> Outcome:
        return Outcome("unknown", None, "", "", why)

    def __str__(self) -> str:
        if self.status == "ok":
            return "ok"
        if self.status == "rejected":
            return f"rejected ({self.reason}{', ' + self.field if self.field else ''})"
        return f"unknown ({self.message})"


@runtime_checkable
class Adapter(Protocol):
    """What the suite needs from a system under test (DESIGN.md section 3)."""

    name: str
    capabilities: frozenset[str]

    def reset(self) -> None:
        """Start from a fresh sandbox: three Ready nodes ``node-0..node-2`` and the default namespaces."""

    def apply(self, obj: dict[str, Any]) -> Outcome:
        """``kubectl apply`` of one object."""

    def delete(self, kind: str, namespace: str, name: str, propagation: str = "Background") -> Outcome:
        """DELETE with a propagation policy."""

    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Outcome:
        """The scale subresource."""

    def rollout_undo(self, namespace: str, name: str, to_revision: int = 0) -> Outcome:
        """``kubectl rollout undo deployment/NAME [--to-revision=N]``."""

    def inject(self, fault: object) -> Outcome:
        """Any other :mod:`refmodel.events` event (faults, pause/resume, cordon, clock, reconcile)."""

    def settle(self, timeout: float) -> bool:
        """Wait until quiescent; False when it did not settle within ``timeout`` seconds."""

    def observe(self) -> list[dict[str, Any]]:
        """Every object in the sandbox, API-shaped."""

    def close(self) -> None:
        """Release resources."""


def required_capability(event: object) -> str | None:
    """The capability an event needs beyond the core methods (None: core)."""
    name = type(event).__name__
    return _EVENT_CAPS.get(name)


_EVENT_CAPS: dict[str, str] = {
    "NodeFailed": "node-faults", "NodeRecovered": "node-faults",
    "PodKilled": "pod-faults", "ContainerExited": "pod-faults", "ReadinessChanged": "pod-faults",
    "ImagePullFailed": "image-faults", "ImagePullRecovered": "image-faults",
    "RolloutUndo": "rollouts", "RolloutPause": "rollouts", "RolloutResume": "rollouts",
    "Cordon": "cordon", "Uncordon": "cordon",
    "ClockAdvanced": "virtual-time", "Reconcile": "single-step",
}


def perform(adapter: Adapter, event: object) -> Outcome:
    """Send one :mod:`refmodel.events` event to an adapter through the matching method.

    Adapter bugs (exceptions) become ``unknown`` outcomes: the suite reports them, it does not crash.
    """
    from refmodel import events as ev

    fast = getattr(adapter, "step", None) if getattr(adapter, "accepts_events", False) else None
    try:
        if fast is not None:
            return fast(event)  # type: ignore[no-any-return]  # the model adapter takes events as they are
        match event:
            case ev.Apply(obj=obj):
                from refmodel.frozen import thaw

                return adapter.apply(thaw(obj))
            case ev.Delete(kind=kind, namespace=ns, name=name, propagation=propagation):
                return adapter.delete(kind, ns, name, propagation)
            case ev.Scale(kind=kind, namespace=ns, name=name, replicas=replicas):
                return adapter.scale(kind, ns, name, replicas)
            case ev.RolloutUndo(namespace=ns, name=name, to_revision=rev):
                return adapter.rollout_undo(ns, name, rev)
            case _:
                return adapter.inject(event)
    except Exception as exc:  # an adapter's own bug or I/O failure: indeterminate, Jepsen's :info
        return Outcome.unknown(f"{type(exc).__name__}: {exc}")


def load(spec: str) -> Adapter:
    """Build the adapter named by ``spec``: ``NAME[:ARG]`` or ``package.module:factory[:ARG]``.

    Raises :class:`AdapterError` with a message that says what to write instead.
    """
    if not spec or not isinstance(spec, str):
        raise AdapterError(f"--adapter={spec!r}: give NAME[:ARG] (one of {sorted(REGISTRY)}) or module:factory")
    name, _, arg = spec.partition(":")
    if name in REGISTRY:
        target = REGISTRY[name]
        arg_or_none: str | None = arg or None
    elif arg:
        factory_name, _, rest = arg.partition(":")
        target = f"{name}:{factory_name}"
        arg_or_none = rest or None
    else:
        raise AdapterError(
            f"--adapter={spec!r}: unknown adapter {name!r}; choose one of {sorted(REGISTRY)} "
            "or name a factory as package.module:factory")
    factory = _import(target, spec)
    try:
        adapter = factory(arg_or_none) if arg_or_none is not None else _call_without_arg(factory)
    except AdapterError:
        raise
    except Exception as exc:
        raise AdapterError(f"--adapter={spec!r}: {target} failed: {type(exc).__name__}: {exc}") from exc
    missing = [m for m in ("reset", "apply", "delete", "scale", "rollout_undo", "inject", "settle", "observe",
                           "close") if not callable(getattr(adapter, m, None))]
    if missing or not isinstance(getattr(adapter, "capabilities", None), frozenset | set):
        what = f"lacks {', '.join(missing)}" if missing else "has no capabilities set"
        raise AdapterError(f"--adapter={spec!r}: {target} returned {type(adapter).__name__}, which {what}; "
                           "see conformance.adapters.Adapter")
    if not getattr(adapter, "name", ""):
        raise AdapterError(f"--adapter={spec!r}: the adapter has no name")
    return adapter  # type: ignore[no-any-return]


def _import(target: str, spec: str) -> Callable[..., Any]:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AdapterError(f"--adapter={spec!r}: cannot import {module_name!r} ({exc}); "
                           "is it on PYTHONPATH?") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise AdapterError(f"--adapter={spec!r}: {module_name!r} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def _call_without_arg(factory: Callable[..., Any]) -> Any:
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return factory()
    required = [p for p in sig.parameters.values()
                if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return factory(None) if required else factory()


def iter_events_needing(capabilities: frozenset[str], events: Iterator[object]) -> Iterator[object]:
    """The events an adapter with ``capabilities`` can take (used by replay to skip the others)."""
    for e in events:
        cap = required_capability(e)
        if cap is None or cap in capabilities:
            yield e
