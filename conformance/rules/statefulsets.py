"""Rules for StatefulSets: apply, scale, template updates, partitions, rollback, retention policies, delete.

StatefulSets select on their own label family (``sts: NAME``), so they never overlap a Deployment's
``app`` or a ReplicaSet's ``rs`` selector (overlapping controllers are undefined behaviour upstream). The
manifests come from small pools, so re-applies change one thing at a time: the image (a rolling update),
the partition (a canary or the next phase), the retention policy, or the template back to an earlier one
(a rollback, as the conformance test "should perform rolling updates and roll backs" does by re-applying).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from refmodel import events as ev
from strategies.events import propagations
from strategies.manifests import IMAGE_POOL, NAMESPACES, _pick

from .base import BaseRules

__all__ = ["STATEFULSET_NAMES", "StatefulSetRules", "statefulsets"]

STATEFULSET_NAMES: tuple[str, ...] = ("db", "kv")
_POLICIES: tuple[dict[str, str] | None, ...] = (
    None, None, {"whenScaled": "Retain", "whenDeleted": "Retain"}, {"whenScaled": "Delete", "whenDeleted": "Retain"},
    {"whenScaled": "Retain", "whenDeleted": "Delete"}, {"whenScaled": "Delete", "whenDeleted": "Delete"},
)
_STRATEGIES: tuple[dict[str, Any] | None, ...] = (
    None, None, {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
    {"type": "RollingUpdate", "rollingUpdate": {"partition": 5}}, {"type": "OnDelete"},
)
_PROBE = {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 5}


@st.composite
def statefulsets(draw: st.DrawFn, *, namespace: str | None = None) -> dict[str, Any]:
    """Valid apps/v1 StatefulSets: OrderedReady or Parallel, RollingUpdate (with a partition) or OnDelete,
    zero or one claim template, every retention policy, sometimes minReadySeconds or a readiness probe.

    Example: ``{'apiVersion': 'apps/v1', 'kind': 'StatefulSet', 'metadata': {'name': 'db', 'namespace':
    'default'}, 'spec': {'replicas': 3, 'serviceName': 'db', 'selector': {'matchLabels': {'sts': 'db'}},
    'template': {...}, 'volumeClaimTemplates': [...]}}``.
    """
    c = _pick(draw, "statefulset", {
        "name": STATEFULSET_NAMES,
        "namespace": (namespace,) if namespace is not None else NAMESPACES,
        "replicas": (1, 2, 3, 4, 0),
        "policy": ("OrderedReady", "OrderedReady", "Parallel"),
        "strategy": _STRATEGIES,
        "claims": (True, True, False),
        "retention": _POLICIES,
        "minReady": (0, 0, 0, 5),
        "history": (None, None, 1),
        "image": IMAGE_POOL,
        "probe": (False, False, True),
    })
    name = c["name"]
    container: dict[str, Any] = {"name": "main", "image": c["image"]}
    if c["probe"]:
        container["readinessProbe"] = _PROBE
    spec: dict[str, Any] = {
        "replicas": c["replicas"], "serviceName": name, "podManagementPolicy": c["policy"],
        "selector": {"matchLabels": {"sts": name}},
        "template": {"metadata": {"labels": {"sts": name}}, "spec": {"containers": [container]}},
    }
    if c["strategy"] is not None:
        spec["updateStrategy"] = copy.deepcopy(c["strategy"])
    if c["claims"]:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
    if c["retention"] is not None:
        spec["persistentVolumeClaimRetentionPolicy"] = dict(c["retention"])
    if c["minReady"]:
        spec["minReadySeconds"] = c["minReady"]
    if c["history"] is not None:
        spec["revisionHistoryLimit"] = c["history"]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": c["namespace"]},
            "spec": spec}


def _has_sets(self: BaseRules) -> bool:
    return bool(self.targets("StatefulSet"))


class StatefulSetRules(BaseRules):
    def __init__(self) -> None:
        super().__init__()
        self.sts_templates: dict[tuple[str, str], list[Any]] = {}  # the templates applied per set, in order

    @rule(manifest=statefulsets())
    def apply_statefulset(self, manifest: dict[str, Any]) -> None:
        self._remember(manifest)
        self.apply(manifest)

    def _remember(self, manifest: dict[str, Any]) -> None:
        """Keep the templates this example applied per set (the targets of a rollback)."""
        key = (manifest["metadata"]["namespace"], manifest["metadata"]["name"])
        self.sts_templates.setdefault(key, []).append(copy.deepcopy(manifest["spec"]["template"]))

    def _reapply(self, pick: int, change: Any) -> None:
        targets = self.targets("StatefulSet")
        manifest = copy.deepcopy(self.applied[targets[pick % len(targets)]])
        change(manifest["spec"])
        self._remember(manifest)
        self.apply(manifest)

    @precondition(_has_sets)
    @rule(pick=st.integers(0, 7), image=st.sampled_from(IMAGE_POOL))
    def apply_statefulset_image(self, pick: int, image: str) -> None:
        """A template change: a rolling update from the highest ordinal (SS-8), or nothing under OnDelete."""
        def change(spec: dict[str, Any]) -> None:
            spec["template"]["spec"]["containers"][0]["image"] = image
        self._reapply(pick, change)

    @precondition(_has_sets)
    @rule(pick=st.integers(0, 7), partition=st.integers(0, 4))
    def apply_statefulset_partition(self, pick: int, partition: int) -> None:
        """A canary or the next phase of a phased rollout (SS-9)."""
        def change(spec: dict[str, Any]) -> None:
            spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
        self._reapply(pick, change)

    @precondition(_has_sets)
    @rule(pick=st.integers(0, 7), back=st.integers(1, 3))
    def statefulset_rollback(self, pick: int, back: int) -> None:
        """Re-apply an earlier template of the set: a rollback re-uses its ControllerRevision (SS-12)."""
        targets = self.targets("StatefulSet")
        ref = targets[pick % len(targets)]
        earlier = self.sts_templates.get((ref[1], ref[2])) or []
        if len(earlier) < 2:
            return
        template = earlier[-1 - min(back, len(earlier) - 1)]

        def change(spec: dict[str, Any]) -> None:
            spec["template"] = copy.deepcopy(template)
        self._reapply(pick, change)

    @precondition(lambda self: _has_sets(self) and self.run.can("rollouts"))
    @rule(pick=st.integers(0, 7), to_revision=st.integers(0, 3))
    def statefulset_rollout_undo(self, pick: int, to_revision: int) -> None:
        """``kubectl rollout undo statefulset/NAME``: the set patched with an earlier revision's template."""
        targets = self.targets("StatefulSet")
        _, ns, name = targets[pick % len(targets)]
        self.run.do(ev.RolloutUndo(ns, name, to_revision, "StatefulSet"))

    @precondition(_has_sets)
    @rule(pick=st.integers(0, 7), retention=st.sampled_from(_POLICIES[2:]))
    def apply_statefulset_retention(self, pick: int, retention: dict[str, str]) -> None:
        def change(spec: dict[str, Any]) -> None:
            spec["persistentVolumeClaimRetentionPolicy"] = dict(retention)
        self._reapply(pick, change)

    @precondition(_has_sets)
    @rule(pick=st.integers(0, 7), replicas=st.integers(0, 5))
    def scale_statefulset(self, pick: int, replicas: int) -> None:
        targets = self.targets("StatefulSet")
        _, ns, name = targets[pick % len(targets)]
        self.run.do(ev.Scale("StatefulSet", ns, name, replicas))

    @precondition(_has_sets)
    @rule(pick=st.integers(0, 7), fewer=st.integers(1, 3))
    def statefulset_scale_down(self, pick: int, fewer: int) -> None:
        """Settle, then scale a set down by ``fewer`` and settle again: an ordered scale-down of running pods
        (SS-6), which random scales between random faults reach too rarely for every run to judge it."""
        targets = self.targets("StatefulSet")
        _, ns, name = targets[pick % len(targets)]
        self.run.settle()
        live = self.run.view.get("StatefulSet", ns, name)
        if live is None:
            return
        self.run.do(ev.Scale("StatefulSet", ns, name, max(0, int(live["spec"].get("replicas", 1)) - fewer)))
        self.run.settle()

    @precondition(_has_sets)
    @rule(pick=st.integers(0, 7), propagation=propagations())
    def delete_statefulset(self, pick: int, propagation: str) -> None:
        targets = self.targets("StatefulSet")
        _, ns, name = targets[pick % len(targets)]
        self.run.do(ev.Delete("StatefulSet", ns, name, propagation))
