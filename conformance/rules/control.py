"""Rules that let the cluster move: time passes, one controller turn, settle until quiescent."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from refmodel import events as ev
from strategies.events import clock_jumps

from .base import BaseRules

__all__ = ["ControlRules"]


class ControlRules(BaseRules):
    @precondition(lambda self: self.run.can("virtual-time"))
    @rule(seconds=clock_jumps())
    def clock_advanced(self, seconds: int) -> None:
        self.run.do(ev.ClockAdvanced(seconds))

    @precondition(lambda self: self.run.can("single-step") and len(self.run.model.dirty) > 0)
    @rule(pick=st.integers(0, 30))
    def reconcile(self, pick: int) -> None:
        """One work item, chosen among the oracle's dirty ones: explores other interleavings than
        the queue order ``settle`` uses."""
        items = sorted(self.run.model.dirty.keys())
        controller, key = items[pick % len(items)]
        self.run.do(ev.Reconcile(controller, key))

    @rule()
    def settle(self) -> None:
        self.run.settle()
