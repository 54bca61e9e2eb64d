"""Rules for Deployments: apply, change image, rollout undo, pause and resume."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

import strategies as ks
from refmodel import events as ev

from .base import BaseRules

__all__ = ["DeploymentRules"]


def _has_deployments(self: BaseRules) -> bool:
    return bool(self.targets("Deployment"))


class DeploymentRules(BaseRules):
    @rule(manifest=ks.deployments())
    def apply_deployment(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @precondition(_has_deployments)
    @rule(pick=st.integers(0, 15), image=ks.images(), container=st.integers(0, 1))
    def apply_image_change(self, pick: int, image: str, container: int) -> None:
        """Apply the Deployment again with one container's image changed (a rollout, D-22)."""
        targets = self.targets("Deployment")
        manifest = copy.deepcopy(self.applied[targets[pick % len(targets)]])
        containers = manifest["spec"]["template"]["spec"]["containers"]
        containers[container % len(containers)]["image"] = image
        self.apply(manifest)

    @precondition(lambda self: _has_deployments(self) and self.run.can("image-faults"))
    @rule(pick=st.integers(0, 15), image=ks.images(), more=st.integers(1, 8))
    def scale_mid_rollout(self, pick: int, image: str, more: int) -> None:
        """A rollout that cannot finish, then a scale: the new image's pulls fail, the rollout goes as far
        as it can (settle), and the Deployment is scaled up by ``more`` while old and new ReplicaSets
        both run, so proportional scaling (D-15) spreads the added replicas by size; then the image
        recovers (the fault ends, so the fault-free properties still judge the rest of the example). Its trace may vanish once the image
        recovers and the rollout completes; the per-step comparison sees it at the turn it happens."""
        targets = self.targets("Deployment")
        kind, ns, name = targets[pick % len(targets)]
        manifest = copy.deepcopy(self.applied[(kind, ns, name)])
        containers = manifest["spec"]["template"]["spec"]["containers"]
        if containers[0]["image"] == image:
            return
        self.run.do(ev.ImagePullFailed(image))
        containers[0]["image"] = image
        self.apply(manifest)
        self.run.settle()
        self.run.do(ev.Scale("Deployment", ns, name, int(manifest["spec"].get("replicas", 1)) + more))
        self.run.do(ev.ImagePullRecovered(image))

    @precondition(_has_deployments)
    @rule(pick=st.integers(0, 15), to_revision=st.integers(0, 4))
    def rollout_undo(self, pick: int, to_revision: int) -> None:
        targets = self.targets("Deployment")
        _, ns, name = targets[pick % len(targets)]
        self.run.do(ev.RolloutUndo(ns, name, to_revision))

    @precondition(_has_deployments)
    @rule(pick=st.integers(0, 15))
    def rollout_pause(self, pick: int) -> None:
        targets = self.targets("Deployment")
        _, ns, name = targets[pick % len(targets)]
        self.run.do(ev.RolloutPause(ns, name))

    @precondition(_has_deployments)
    @rule(pick=st.integers(0, 15))
    def rollout_resume(self, pick: int) -> None:
        targets = self.targets("Deployment")
        _, ns, name = targets[pick % len(targets)]
        self.run.do(ev.RolloutResume(ns, name))
