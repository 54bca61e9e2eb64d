"""Rules for pod and image faults: kill, crash, readiness flaps, image pull failure and recovery."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from refmodel import events as ev
from strategies.events import IMAGES

from .base import BaseRules

__all__ = ["ImageFaultRules", "PodFaultRules"]


def _has_pods(self: BaseRules) -> bool:
    return any(True for _ in self.run.view.objects("Pod"))


class PodFaultRules(BaseRules):
    @precondition(_has_pods)
    @rule(pick=st.integers(0, 30))
    def pod_killed(self, pick: int) -> None:
        target = self.pick_pod(pick)
        if target is not None:
            self.run.do(ev.PodKilled(*target))

    @precondition(_has_pods)
    @rule(pick=st.integers(0, 30), exit_code=st.sampled_from([0, 1, 137]))
    def container_exited(self, pick: int, exit_code: int) -> None:
        target = self.pick_pod(pick)
        if target is not None:
            self.run.do(ev.ContainerExited(target[0], target[1], "main", exit_code))

    @precondition(_has_pods)
    @rule(pick=st.integers(0, 30), ready=st.booleans())
    def readiness_changed(self, pick: int, ready: bool) -> None:
        target = self.pick_pod(pick)
        if target is not None:
            self.run.do(ev.ReadinessChanged(target[0], target[1], ready))


class ImageFaultRules(BaseRules):
    @rule(image=st.sampled_from(IMAGES))
    def image_pull_failed(self, image: str) -> None:
        self.run.do(ev.ImagePullFailed(image))

    @rule(image=st.sampled_from(IMAGES))
    def image_pull_recovered(self, image: str) -> None:
        self.run.do(ev.ImagePullRecovered(image))
