"""The built-in ``model`` adapter: the reference model itself, in process.

``--adapter model`` or ``--adapter model:NODES`` (the sandbox's node count; default 3 nodes of 4 CPU /
16Gi). It has every capability: faults, virtual time, single controller turns, cheap snapshots and
the event fast path, so it is the fast adapter the suite's own tests and the mutant self-test run
against. Every request goes through :func:`refmodel.transition`; ``settle`` is
:func:`refmodel.converge`. Chosen as ``model``, it *is* the harness's oracle, so the harness does not
run a second model beside it and reports the differential checks as not applicable.

:class:`ModelBacked` is what it shares with the ``external`` adapter (:mod:`conformance.adapters.external`),
which keeps the model behind the protocol only: the protocol's requests as :mod:`refmodel.events` values,
``settle`` as a bounded converge, ``observe`` as every stored object thawed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import refmodel as rm
from refmodel import events as ev
from refmodel.core import StepResult
from refmodel.frozen import thaw
from refmodel.resources import REGISTRY
from refmodel.state import ClusterState

from ..view import StateView
from . import CAPABILITIES, Outcome, Sandbox

__all__ = ["ModelAdapter", "ModelBacked", "bounded_converge_steps", "outcome_of"]


def bounded_converge_steps(state: ClusterState, limit: int) -> Iterator[tuple[ev.Event, ClusterState]]:
    """:func:`refmodel.converge_steps`, but a livelock of any shape (also a timer that keeps firing at
    the same instant, which ``converge`` itself never gives up on) raises ``NotConverged`` after
    ``limit`` events."""
    for n, (event, new) in enumerate(rm.converge_steps(state, max_steps=limit), start=1):
        if n > limit:
            raise rm.NotConverged(f"still busy after {limit} controller turns and clock steps "
                                  f"(last: {event}), but should have settled [at t={new.now}s]")
        yield event, new


def outcome_of(result: StepResult) -> Outcome:
    """The three-state outcome of a model step (the model always knows: never ``unknown``)."""
    if result.rejection is None:
        obj = result.obj if isinstance(result.obj, Mapping) else None
        return Outcome.ok(obj)
    r = result.rejection
    return Outcome.rejected(r.reason, r.field, r.message)


class ModelBacked:
    """The protocol over a model state ``self.state``, shared by the ``model`` and ``external`` adapters: each
    request is the :mod:`refmodel.events` value it names, answered by the subclass's ``_do`` (the model's
    ``step``; the external adapter's answer in JSON form); ``settle`` a bounded converge; ``observe`` every
    stored object as a plain copy (dicts and lists, as JSON decodes them)."""

    state: ClusterState
    #: controller turns a settle may take before it counts as a livelock (the suite's clusters are small)
    max_settle_steps = 2000

    def _do(self, event: Any) -> Outcome:
        raise NotImplementedError

    def apply(self, obj: dict[str, Any]) -> Outcome:
        return self._do(ev.Apply(obj))

    def delete(self, kind: str, namespace: str, name: str, propagation: str = "Background") -> Outcome:
        return self._do(ev.Delete(kind, namespace, name, propagation))

    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Outcome:
        return self._do(ev.Scale(kind, namespace, name, replicas))

    def rollout_undo(self, namespace: str, name: str, to_revision: int = 0) -> Outcome:
        return self._do(ev.RolloutUndo(namespace, name, to_revision))

    def inject(self, fault: object) -> Outcome:
        return self._do(fault)

    def settle(self, timeout: float = 60.0) -> bool:
        try:
            for _, state in bounded_converge_steps(self.state, self.max_settle_steps):
                self.state = state
        except rm.NotConverged:
            return False
        return True

    def observe(self) -> list[dict[str, Any]]:
        return thaw([o for kind in REGISTRY for o in self.state.iter_kind(kind)])  # type: ignore[no-any-return]

    def close(self) -> None:
        return None


class ModelAdapter(ModelBacked):
    """The reference model as a system under test."""

    name = "model"
    capabilities: frozenset[str] = CAPABILITIES - {"watch"}

    def __init__(self, nodes: str | int | None = None, *, cpu: str = "4", memory: str = "16Gi") -> None:
        self.nodes = _node_count(nodes)
        self.cpu = cpu
        self.memory = memory
        self.state = Sandbox(self.nodes, cpu, memory).build()

    # ---- the protocol (the requests: ModelBacked's, each through step) ------------------------------
    def reset(self, sandbox: Sandbox | None = None) -> None:
        self.state = (sandbox or Sandbox(self.nodes, self.cpu, self.memory)).build()

    def step(self, event: ev.Event) -> Outcome:
        result = rm.transition(self.state, event)
        self.state = result.state
        return outcome_of(result)

    def _do(self, event: Any) -> Outcome:
        return self.step(event)

    def settle_steps(self) -> Iterator[tuple[ev.Event, StateView]]:
        """Like ``settle``, one controller turn or clock jump at a time (capability ``intermediate``).

        Raises :class:`refmodel.NotConverged` on a livelock.
        """
        for event, state in bounded_converge_steps(self.state, self.max_settle_steps):
            self.state = state
            yield event, StateView(state)

    def snapshot(self) -> StateView:
        return StateView(self.state)


def _node_count(arg: str | int | None) -> int:
    if arg in (None, ""):
        return 3
    try:
        n = int(arg)  # type: ignore[arg-type]
    except ValueError:
        raise ValueError(f"model:{arg}: the argument is the number of nodes, e.g. model:5") from None
    if not 0 <= n <= 5000:
        raise ValueError(f"model:{arg}: the number of nodes must be between 0 and 5000")
    return n
