"""Rules for pod and image faults: kill, crash, crash loops, readiness flaps, image pull failure and recovery."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from refmodel import events as ev
from strategies.events import IMAGES

from .base import BaseRules

__all__ = ["CrashLoopRules", "ImageFaultRules", "PodFaultRules"]


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


class CrashLoopRules(BaseRules):
    """Crash loops long enough for the back-off to reach its cap (needs virtual time and single turns)."""

    @precondition(lambda self: _has_pods(self) and self.run.can("virtual-time") and self.run.can("single-step"))
    @rule(pick=st.integers(0, 30), times=st.sampled_from((2, 4, 8)))
    def crash_loop(self, pick: int, times: int) -> None:
        """A container that crashes as soon as it runs, ``times`` times: the kubelet's back-off goes 0, 10,
        20, 40 ... and stops at 300 s (P-3), which random crashes between settles (an hour apart, so the
        back-off resets) never reach. Before each restart is due the clock moves to one second short of it
        and the node's kubelet takes a turn (the container must still wait), then one second more and
        another turn (now it must run): the timing invariants judge both edges."""
        target = self.pick_pod(pick)
        if target is None:
            return
        ns, name = target
        backoff = 0  # the first restart is immediate; this is the rule's schedule, the invariants judge
        for _ in range(times):
            if self.run.do(ev.ContainerExited(ns, name, "main", 1)).status != "ok":
                return
            pod = self.run.view.get("Pod", ns, name)
            node = (pod or {}).get("spec", {}).get("nodeName")
            if not node:
                return
            if backoff > 1:
                self.run.do(ev.ClockAdvanced(backoff - 1))
                self.run.do(ev.Reconcile("kubelet", node))
            if backoff:
                self.run.do(ev.ClockAdvanced(min(backoff, 1)))
            self.run.do(ev.Reconcile("kubelet", node))
            backoff = min(2 * backoff, 300) if backoff else 10
