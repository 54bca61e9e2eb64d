"""Rules for ReplicaSets, bare pods, namespaces, invalid manifests, scaling and deletion."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule

import strategies as ks
from refmodel import events as ev
from strategies.events import propagations

from .base import BaseRules

__all__ = ["InvalidRules", "NamespaceRules", "ReplicaSetRules", "WorkloadRules"]


class ReplicaSetRules(BaseRules):
    @rule(manifest=ks.replicasets())
    def apply_replicaset(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @rule(manifest=ks.pods())
    def apply_pod(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)


_NOBODY = ("ReplicaSet", "default", "nobody")  # the target when nothing was applied: rejected, NotFound


class WorkloadRules(BaseRules):
    def _target(self, kind: str, pick: int, *fallback_kinds: str) -> tuple[str, str, str]:
        targets = self.targets(kind) or self.targets(*fallback_kinds) or [_NOBODY]
        return targets[pick % len(targets)]

    # `prefer`, not `kind`: with nothing of the preferred kind the rule acts on another target, and the
    # program Hypothesis prints must not claim a kind the event did not have (the script has the event)
    @rule(prefer=st.sampled_from(("ReplicaSet", "Deployment")), pick=st.integers(0, 15), replicas=st.integers(-1, 6))
    def scale(self, prefer: str, pick: int, replicas: int) -> None:
        kind, ns, name = self._target(prefer, pick, "ReplicaSet", "Deployment")
        self.run.do(ev.Scale(kind, ns, name, replicas))

    @rule(prefer=st.sampled_from(("ReplicaSet", "Deployment", "Pod", "Namespace")), pick=st.integers(0, 15),
          propagation=propagations())
    def delete(self, prefer: str, pick: int, propagation: str) -> None:
        kind, ns, name = self._target(prefer, pick)
        self.run.do(ev.Delete(kind, ns, name, propagation))

    @rule(prefer=st.sampled_from(("ReplicaSet", "Deployment")), pick=st.integers(0, 15))
    def delete_orphan(self, prefer: str, pick: int) -> None:
        """Delete with propagationPolicy=Orphan of an owner: the premise of the orphaning invariant, which a
        delete drawn among four kinds and three policies reaches too rarely for every run to check it."""
        kind, ns, name = self._target(prefer, pick, "ReplicaSet", "Deployment")
        self.run.do(ev.Delete(kind, ns, name, "Orphan"))


class NamespaceRules(BaseRules):
    @rule(manifest=ks.namespaces())
    def apply_namespace(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)


class InvalidRules(BaseRules):
    @rule(case=ks.invalid_manifests())
    def apply_invalid(self, case: tuple[dict[str, Any], str]) -> None:
        manifest, field = case
        md = manifest["metadata"]
        if field in ks.FOLDED_BY_MERGE and self.run.view.get(manifest["kind"], md.get("namespace", ""), md["name"]):
            # an apply over an existing object is a patch that folds this defect away: what remains may be
            # valid or rejected for another reason, so no field can be demanded (rejections still change
            # nothing, and the comparison with the model still runs)
            self.run.ctx.expect_rejection = None
            self.run.do(ev.Apply(manifest))
            return
        self.run.ctx.expect_rejection = field
        try:
            self.run.do(ev.Apply(manifest))
        finally:
            self.run.ctx.expect_rejection = None
