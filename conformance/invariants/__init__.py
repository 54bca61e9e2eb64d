"""The invariants: one registry, :data:`ALL`, of named sentences with the upstream rule they check.

Three kinds (DESIGN.md section 3):

* ``state``: ``check(view, ctx)`` after every step (and, with ``intermediate=True``, at every
  intermediate state of a settle when the adapter can show them);
* ``transition``: ``check(step, ctx)`` over (before, event, after): every step, and every controller
  turn inside a settle when ``intermediate=True``;
* ``convergence``: ``check(view, ctx)`` after a settle, when the cluster should be quiescent.

Every check returns ``(premises, violations)``: how many times its premise held (the objects it
actually had something to say about) and the violation messages (observed, then expected, then
context). An invariant whose premise never held in a run is *vacuous* and the run says so.

The rule ids resolve in :data:`conformance.catalogue.RULES` (each with its statement and upstream
citations); ``tests/test_catalogue.py`` fails when an invariant cites an id the catalogue lacks.
Adding an area means one module here with an ``INVARIANTS`` tuple, added to :data:`ALL` below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

import attrs

from ..adapters import Outcome
from ..view import View

__all__ = ["ALL", "BY_NAME", "Context", "Invariant", "Step", "Verdict"]

Verdict = tuple[int, list[str]]
Kind = Literal["state", "transition", "convergence"]


@attrs.define
class Context:
    """What the run knows besides the observed objects: capabilities, active faults, its own requests."""

    capabilities: frozenset[str] = frozenset()
    down_nodes: set[str] = attrs.field(factory=set)
    bad_images: set[str] = attrs.field(factory=set)
    unready_pods: set[tuple[str, str]] = attrs.field(factory=set)  # ReadinessChanged(ready=False) in force
    deleted: dict[str, tuple[str, str, str, str]] = attrs.field(factory=dict)  # uid -> (kind, ns, name, policy)
    orphaned: dict[str, tuple[str, ...]] = attrs.field(factory=dict)  # owner uid -> dependent uids
    orphan_nodes: dict[str, str] = attrs.field(factory=dict)  # orphaned pod uid -> its node when orphaned ("" unbound)
    settle_start: View | None = None  # the view a settle started from (inside a settle)
    later: View | None = None  # after settle: the view once time passed and nothing was written
    settled: bool = True  # whether the last settle finished (no livelock)
    expect_rejection: str | None = None  # an invalid manifest is being applied: the field it must name
    # kept by the oracle-free invariants themselves (conformance/invariants/direct.py, timing.py):
    cascades: dict[str, tuple[str, str, tuple[str, ...]]] = attrs.field(factory=dict)  # owner uid ->
    #   (owner, policy, dependent uids) of an accepted Background/Foreground delete, judged at settle
    backoffs: dict[tuple[str, str], tuple[frozenset[int], int, int]] = attrs.field(factory=dict)  # (pod uid,
    #   container) -> (back-offs the kubelet may hold, time of its last restart, restartCount); timing.py
    clock_jumps: list[tuple[int, int]] = attrs.field(factory=list)  # (from, to) of requests that moved the clock
    node_down_at: dict[str, int] = attrs.field(factory=dict)  # node -> the last time it was seen down

    @property
    def faults_active(self) -> bool:
        return bool(self.down_nodes or self.bad_images or self.unready_pods)


@attrs.frozen
class Step:
    """One transition: a user request or fault, or one controller turn inside a settle."""

    event: Any  # a refmodel.events value
    outcome: Outcome | None
    before: View
    after: View
    in_settle: bool = False
    model_outcome: Outcome | None = None  # what the reference model answered to the same request


@attrs.frozen
class Invariant:
    name: str  # a sentence
    rules: tuple[str, ...]  # conformance.catalogue rule ids
    kind: Kind
    check: Callable[..., Verdict]
    needs: frozenset[str] = frozenset()  # adapter capabilities without which it is not applicable
    intermediate: bool = False
    reads: tuple[str, ...] = ()  # kinds a state check reads: unchanged kinds => cached verdict
    # transition checks: the kinds whose changes it judges. In a step that changed no object of these kinds
    # its verdict is (0, []) and it leaves the context as it was, so the run counts it without running it
    # (Run._check_step; tests/test_harness_speed.py audits every declaration over real runs)
    changes: tuple[str, ...] = ()
    # judgeable across a live cluster's step, where any number of controller turns (reacting to earlier
    # requests too) lie between two observations; False: sound only from one request or turn to the next
    live: bool = True

    def applicable(self, capabilities: frozenset[str]) -> bool:
        return self.needs <= capabilities and (self.live or "live" not in capabilities)


def _load() -> tuple[Invariant, ...]:
    from . import (
        apiserver,
        deployments,
        differential,
        direct,
        gc,
        networking,
        scheduling,
        statefulsets,
        storage,
        timing,
        workloads,
    )

    return (
        *apiserver.INVARIANTS,
        *direct.INVARIANTS,
        *workloads.INVARIANTS,
        *deployments.INVARIANTS,
        *scheduling.INVARIANTS,
        *gc.INVARIANTS,
        *timing.INVARIANTS,
        *networking.INVARIANTS,
        *statefulsets.INVARIANTS,
        *storage.INVARIANTS,
        *differential.INVARIANTS,  # the harness runs these itself (they need both sides)
    )


#: THE registry: every invariant the machines check, in report order.
ALL: Final[tuple[Invariant, ...]] = _load()
BY_NAME: Final[dict[str, Invariant]] = {inv.name: inv for inv in ALL}
assert len(BY_NAME) == len(ALL), "two invariants share a name"
