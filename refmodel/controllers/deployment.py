"""The Deployment controller (placeholder until the controller lands)."""

from __future__ import annotations

from ..state import ClusterState
from .. import apiserver
from . import Controller, register

NAME = "deployment"


def sync(state: ClusterState, key: str) -> ClusterState:
    return state


def rollout_undo(state: ClusterState, namespace: str, name: str, to_revision: int) -> apiserver.WriteResult:
    return apiserver.WriteResult(state)


def rollout_pause(state: ClusterState, namespace: str, name: str, paused: bool) -> apiserver.WriteResult:
    return apiserver.WriteResult(state)


register(Controller(NAME, sync, {}))
