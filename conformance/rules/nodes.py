"""Rules for nodes: cordon and uncordon (user), failure and recovery (environment)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from refmodel import events as ev
from strategies.events import NODES

from .base import BaseRules

__all__ = ["NodeRules"]


class NodeRules(BaseRules):
    @rule(node=st.sampled_from(NODES))
    def cordon(self, node: str) -> None:
        self.run.do(ev.Cordon(node))

    @rule(node=st.sampled_from(NODES))
    def uncordon(self, node: str) -> None:
        self.run.do(ev.Uncordon(node))

    @rule(node=st.sampled_from(NODES))
    def node_failed(self, node: str) -> None:
        self.run.do(ev.NodeFailed(node))

    @rule(node=st.sampled_from(NODES))
    def node_recovered(self, node: str) -> None:
        self.run.do(ev.NodeRecovered(node))
