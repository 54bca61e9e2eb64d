"""The system under test: the :class:`Adapter` protocol, the sandbox, outcomes and the adapter registry.

An adapter is anything with the methods below; nothing is subclassed. Its answers are
:class:`Outcome` values with three states, as Jepsen's checkers have (``ok`` / ``fail`` / ``info``):
``ok`` (the request took effect; the stored object comes back), ``rejected`` (the API server said
no; reason and first field) and ``unknown`` (the adapter cannot tell, e.g. a timeout: the request may
or may not have taken effect). An ``unknown`` never fails a run by itself; it makes the checks that
depend on it ``unknown``.

Adapters are named on the command line as ``NAME[:ARG]`` (a built-in, see :data:`REGISTRY`) or as
``package.module:factory[:ARG]`` (any importable factory; the module is imported only when chosen).
A factory is called with ``ARG`` when one is given, else with no arguments.

Every example starts with ``reset(sandbox)``: the harness says what the fresh cluster holds
(:class:`Sandbox`: the nodes with their CPU and memory, the namespaces, the clock's epoch) and builds
its own reference model, the oracle, from the same record. The oracle is never taken from the
adapter. An adapter whose ``reset`` takes no argument still loads, with a ``DeprecationWarning``: it
must build the default sandbox by itself (support for it ends with the next release).

Capabilities say what an adapter can do beyond the core methods. They are *declared* in
``capabilities`` and resolved once, by :func:`load`, into a :class:`Bound` record of bound methods:
a declared power whose method is missing is a load error, an undeclared method is never called, and
nothing is found by looking at the adapter's attributes later. A rule or an invariant that needs a
missing capability is not run and is reported as *not applicable*:

==================  =============================================================================
``node-faults``     ``inject(NodeFailed | NodeRecovered)``
``pod-faults``      ``inject(PodKilled | ContainerExited | ReadinessChanged)`` (implies ``pod-kill``)
``pod-kill``        ``inject(PodKilled)`` alone: a force delete, what any cluster allows a tenant
``image-faults``    ``inject(ImagePullFailed | ImagePullRecovered)``
``rollouts``        ``rollout_undo`` and ``inject(RolloutPause | RolloutResume)``
``cordon``          ``inject(Cordon | Uncordon)``
``virtual-time``    ``inject(ClockAdvanced)``: time is an input, not a wall clock, so runs are
                    deterministic and the harness compares every step with its model
``single-step``     ``inject(Reconcile(controller, key))``: one controller turn at a time
``intermediate``    ``settle_steps()``: yields ``(event, objects)`` for every intermediate state of a
                    settle (``objects``: a :class:`~conformance.view.View` or a list of objects)
``snapshot``        ``snapshot() -> View``: a cheap read-only view instead of ``observe()``
``events``          ``step(event) -> Outcome``: takes :mod:`refmodel.events` values as they are
``watch``           ``changes(since) -> (version, relist, upserts, deletes)``: what changed since the
                    observation ``since`` names, as a Kubernetes watch from a resourceVersion does
                    (``since=""`` or an unknown version: ``relist=True`` and every object)
``live``            not a power but what the system is (:data:`NATURE`): a running cluster whose
                    controllers and clock act between requests; the harness's model follows its clock
==================  =============================================================================
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from refmodel import events as ev
from refmodel.frozen import thaw

__all__ = [
    "CAPABILITIES",
    "REGISTRY",
    "Adapter",
    "AdapterError",
    "Bound",
    "Changes",
    "Outcome",
    "Sandbox",
    "bind",
    "load",
    "perform",
    "required_capability",
]

Status = Literal["ok", "rejected", "unknown"]

CAPABILITIES: frozenset[str] = frozenset({
    "node-faults", "pod-faults", "pod-kill", "image-faults", "rollouts", "cordon", "virtual-time", "single-step",
    "intermediate", "snapshot", "events", "watch",
    "dataplane",  # the adapter's snapshot answers DNS (refmodel.resolve) and kube-proxy routes (refmodel.route)
    "container-view",  # what a container sees and volume data tokens (refmodel.volumes): the model only
})

#: what a system under test *is* rather than a power it offers, so never among the "all of them" a
#: simulator claims: ``live``, a running cluster whose controllers and clock act between requests (a
#: view's ``now`` is its clock; the harness's model follows it, :meth:`conformance.harness.Run._follow_clock`)
NATURE: frozenset[str] = frozenset({"live"})

#: the method each optional power binds (declared capability -> method name)
_POWERS: dict[str, str] = {"intermediate": "settle_steps", "snapshot": "snapshot", "events": "step",
                           "watch": "changes"}
_CORE = ("reset", "apply", "delete", "scale", "rollout_undo", "inject", "settle", "observe", "close")

#: built-in adapters: name -> "module:factory" (imported lazily, only when chosen)
REGISTRY: dict[str, str] = {
    "model": "conformance.adapters.model:ModelAdapter",
    "external": "conformance.adapters.external:ExternalAdapter",
    "subprocess": "conformance.adapters.process:SubprocessAdapter",
    "kube": "conformance.adapters.kube:KubeAdapter",
}
#: the registry entry that is the reference model itself (differential checks do not apply to it)
REFERENCE = "model"

#: what ``changes`` returns: (version, relist, upserted objects, deleted (kind, namespace, name))
Changes = tuple[str, bool, list[dict[str, Any]], list[tuple[str, str, str]]]


class AdapterError(Exception):
    """An adapter could not be loaded or built (bad ``--adapter`` value, import error, factory error)."""


@attrs.frozen
class Sandbox:
    """What a fresh sandbox holds: Ready nodes ``node-0..`` of equal size, the namespaces, the epoch.

    The harness passes it to ``reset`` and builds its oracle from it (:meth:`build`).
    """

    nodes: int = 3
    cpu: str = "4"
    memory: str = "16Gi"
    namespaces: tuple[str, ...] = ("default", "kube-system", "kube-public", "kube-node-lease")
    start_time: int = 1735689600  # epoch seconds of virtual time 0 (virtual-time adapters)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.nodes, int) or isinstance(self.nodes, bool) or not 0 <= self.nodes <= 5000:
            raise ValueError(f"sandbox nodes: {self.nodes!r}, but must be a whole number from 0 to 5000")
        missing = [n for n in _SYSTEM_NAMESPACES if n not in self.namespaces]
        if missing:
            raise ValueError(f"sandbox namespaces: {list(self.namespaces)}, but must include {missing}")

    def build(self) -> Any:
        """The reference model's state for this sandbox (a :class:`refmodel.ClusterState`)."""
        key = self
        hit = _BUILT.get(key)
        if hit is None:  # states are immutable values: one fresh cluster serves every example
            import refmodel as rm
            from refmodel.state import ClusterConfig

            state = rm.new_cluster(nodes=self.nodes, cpu=self.cpu, memory=self.memory,
                                   config=ClusterConfig(start_time=self.start_time))
            extra = [ns for ns in self.namespaces if ns not in _SYSTEM_NAMESPACES]
            if extra:
                from refmodel import events as ev

                for ns in extra:
                    state = rm.transition(state, ev.Apply({"apiVersion": "v1", "kind": "Namespace",
                                                           "metadata": {"name": ns}})).state
                state = rm.converge(state)
            hit = _BUILT[key] = state
        return hit


_SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_BUILT: dict[Sandbox, Any] = {}


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

    def reset(self, sandbox: Sandbox) -> None:
        """Start from a fresh sandbox holding what ``sandbox`` says."""

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


@attrs.frozen
class Bound:
    """An adapter resolved once: its declared capabilities and the methods the harness may call.

    ``reference`` is set only for the built-in ``model`` adapter chosen from the registry: the system
    under test is then the oracle itself, so differential checks are not applicable.
    """

    name: str
    spec: str
    capabilities: frozenset[str]
    sandbox: Sandbox
    reset: Callable[[Sandbox], None]
    apply: Callable[[dict[str, Any]], Outcome]
    delete: Callable[..., Outcome]
    scale: Callable[[str, str, str, int], Outcome]
    rollout_undo: Callable[[str, str, int], Outcome]
    inject: Callable[[object], Outcome]
    settle: Callable[[float], bool]
    observe: Callable[[], list[dict[str, Any]]]
    close: Callable[[], None]
    settle_steps: Callable[[], Iterable[tuple[Any, Any]]] | None = None
    snapshot: Callable[[], Any] | None = None
    step: Callable[[Any], Outcome] | None = None
    changes: Callable[[str], Changes] | None = None
    reference: Any = None  # the ModelAdapter when the system under test is the built-in model


def bind(adapter: Any, spec: str = "", *, sandbox: Sandbox | None = None, reference: bool = False) -> Bound:
    """Resolve ``adapter``'s declared capabilities into a :class:`Bound` (the only place that reads
    its attributes). Raises :class:`AdapterError` naming what is missing or unknown."""
    if isinstance(adapter, Bound):
        return adapter
    where = f"--adapter={spec!r}: " if spec else ""
    what = type(adapter).__name__
    missing = [m for m in _CORE if not callable(getattr(adapter, m, None))]
    caps = getattr(adapter, "capabilities", None)
    if missing or not isinstance(caps, frozenset | set):
        lack = f"lacks {', '.join(missing)}" if missing else "has no capabilities set"
        raise AdapterError(f"{where}{what}, which {lack}; see conformance.adapters.Adapter")
    caps = frozenset(caps) | ({"pod-kill"} if "pod-faults" in caps else set())
    unknown = sorted(caps - CAPABILITIES - NATURE)
    if unknown:
        raise AdapterError(f"{where}{what} declares capabilities {unknown}, but the suite knows only "
                           f"{sorted(CAPABILITIES | NATURE)}")
    name = getattr(adapter, "name", "")
    if not name or not isinstance(name, str):
        raise AdapterError(f"{where}the adapter {what} has no name")
    powers: dict[str, Any] = {}
    for cap, method in _POWERS.items():
        if cap in caps:
            fn = getattr(adapter, method, None)
            if not callable(fn):
                raise AdapterError(f"{where}{what} declares {cap!r}, but has no method {method}(); "
                                   f"define it or drop {cap!r} from capabilities")
            powers[method] = fn
    return Bound(name=name, spec=spec or name, capabilities=caps, sandbox=sandbox or Sandbox(),
                 reset=_resetter(adapter, where), apply=adapter.apply, delete=adapter.delete, scale=adapter.scale,
                 rollout_undo=adapter.rollout_undo, inject=adapter.inject, settle=adapter.settle,
                 observe=adapter.observe, close=adapter.close, reference=adapter if reference else None, **powers)


def _resetter(adapter: Any, where: str) -> Callable[[Sandbox], None]:
    reset = adapter.reset
    try:
        params = [p for p in inspect.signature(reset).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        return reset  # type: ignore[no-any-return]
    if params:
        return reset  # type: ignore[no-any-return]
    warnings.warn(f"{where}{type(adapter).__name__}.reset() takes no sandbox; the suite assumes it builds the "
                  "default one (3 nodes of 4 CPU / 16Gi). Accept reset(sandbox) (conformance.adapters.Sandbox): "
                  "the no-argument form will stop working in the next release", DeprecationWarning, stacklevel=3)

    def old_reset(sandbox: Sandbox) -> None:
        if sandbox != Sandbox():
            raise AdapterError(f"{where}{type(adapter).__name__}.reset() takes no sandbox, so it cannot build "
                               f"{sandbox}")
        reset()
    return old_reset


def required_capability(event: object) -> str | None:
    """The capability an event needs beyond the core methods (None: core)."""
    return EVENT_CAPS.get(type(event).__name__)


EVENT_CAPS: dict[str, str] = {
    "NodeFailed": "node-faults", "NodeRecovered": "node-faults",
    "PodKilled": "pod-kill", "ContainerExited": "pod-faults", "ReadinessChanged": "pod-faults",
    "ImagePullFailed": "image-faults", "ImagePullRecovered": "image-faults",
    "RolloutUndo": "rollouts", "RolloutPause": "rollouts", "RolloutResume": "rollouts",
    "Cordon": "cordon", "Uncordon": "cordon",
    "ClockAdvanced": "virtual-time", "Reconcile": "single-step",
}


def perform(adapter: Bound | Adapter, event: object) -> Outcome:
    """Send one :mod:`refmodel.events` event to an adapter through the matching protocol method (or
    ``step`` when it declared ``events``). Adapter bugs (exceptions) become ``unknown`` outcomes
    carrying the exception: the suite reports them, it does not crash."""
    bound = adapter if isinstance(adapter, Bound) else bind(adapter)
    try:
        if bound.step is not None:
            return bound.step(event)
        match event:
            case ev.Apply(obj=obj):
                return bound.apply(thaw(obj))  # a plain, mutable copy, as JSON decodes it
            case ev.Delete(kind=kind, namespace=ns, name=name, propagation=propagation):
                return bound.delete(kind, ns, name, propagation)
            case ev.Scale(kind=kind, namespace=ns, name=name, replicas=replicas):
                return bound.scale(kind, ns, name, replicas)
            case ev.RolloutUndo(namespace=ns, name=name, to_revision=rev, kind="Deployment"):
                return bound.rollout_undo(ns, name, rev)
            case _:
                return bound.inject(event)
    except Exception as exc:  # an adapter's own bug or I/O failure: indeterminate, Jepsen's :info
        return Outcome.unknown(f"{type(exc).__name__}: {exc} (at {adapter_frame(exc)})")


def adapter_frame(exc: BaseException) -> str:
    """``file:line in function`` of the innermost traceback frame outside the suite and the model:
    the adapter's own code that raised (or the innermost frame when every frame is the suite's)."""
    import traceback
    from pathlib import Path

    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "no traceback"
    here = Path(__file__).resolve().parents[1]  # conformance/
    model = here.parent / "refmodel"
    builtin = Path(__file__).resolve().parent
    own = [f for f in frames if not (Path(f.filename).resolve().is_relative_to(here)
                                     and not Path(f.filename).resolve().is_relative_to(builtin))
           and not Path(f.filename).resolve().is_relative_to(model)]
    f = (own or frames)[-1]
    return f"{f.filename}:{f.lineno} in {f.name}"


def load(spec: str, *, sandbox: Sandbox | None = None) -> Bound:
    """Build and bind the adapter named by ``spec``: ``NAME[:ARG]`` or ``package.module:factory[:ARG]``.

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
    reference = name == REFERENCE
    if reference or name == "kube":  # model:N is the sandbox's node count; a cluster's own nodes are its sandbox's
        sandbox = sandbox or Sandbox(nodes=adapter.nodes, cpu=adapter.cpu, memory=adapter.memory)
    return bind(adapter, spec, sandbox=sandbox, reference=reference)


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
