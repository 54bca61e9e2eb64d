"""Invalid manifests, each paired with the field path its rejection must name.

Each case takes a valid manifest from :mod:`strategies.manifests` and breaks exactly one rule; the
field paths are the ones upstream's validation reports (``pkg/apis/apps/validation/validation.go``
ValidateDeploymentSpec, ValidateRollingUpdateDeployment, ValidateReplicaSetSpec;
``pkg/apis/core/validation/validation.go`` ValidatePodSpec, ValidatePodTemplateSpecForReplicaSet,
validateContainers; ``staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go``
ValidateObjectMeta; rules D-2, L-5, N-1, N-2, N-6, P-4).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from .manifests import deployments, pods, replicasets

__all__ = ["CASES", "FOLDED_BY_MERGE", "invalid_manifests"]

Obj = dict[str, Any]
Breaker = Callable[[Obj], str]  # mutates the manifest in place, returns the field that must be named


def _ru(d: Obj) -> Obj:
    spec = d["spec"]
    spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {}}
    return spec["strategy"]["rollingUpdate"]  # type: ignore[no-any-return]


def _selector_mismatch(d: Obj) -> str:
    d["spec"]["template"]["metadata"]["labels"] = {"other": "x"}
    return "spec.template.metadata.labels"


def _negative_replicas(d: Obj) -> str:
    d["spec"]["replicas"] = -1
    return "spec.replicas"


def _both_zero(d: Obj) -> str:
    ru = _ru(d)
    ru["maxSurge"], ru["maxUnavailable"] = 0, "0%"
    return "spec.strategy.rollingUpdate.maxUnavailable"


def _unavailable_over_100(d: Obj) -> str:
    _ru(d)["maxUnavailable"] = "150%"
    return "spec.strategy.rollingUpdate.maxUnavailable"


def _negative_surge(d: Obj) -> str:
    _ru(d)["maxSurge"] = -1
    return "spec.strategy.rollingUpdate.maxSurge"


def _bad_percent(d: Obj) -> str:
    _ru(d)["maxSurge"] = "20Percent"
    return "spec.strategy.rollingUpdate.maxSurge"


def _recreate_with_rolling(d: Obj) -> str:
    d["spec"]["strategy"] = {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}
    return "spec.strategy.rollingUpdate"


def _negative_history(d: Obj) -> str:
    d["spec"]["revisionHistoryLimit"] = -1
    return "spec.revisionHistoryLimit"


def _deadline_not_above_min_ready(d: Obj) -> str:
    d["spec"]["minReadySeconds"] = 30
    d["spec"]["progressDeadlineSeconds"] = 30
    return "spec.progressDeadlineSeconds"


def _negative_min_ready(d: Obj) -> str:
    d["spec"]["minReadySeconds"] = -1
    d["spec"].pop("progressDeadlineSeconds", None)
    return "spec.minReadySeconds"


def _template_restart_never(d: Obj) -> str:
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    return "spec.template.spec.restartPolicy"


def _template_missing_image(d: Obj) -> str:
    del d["spec"]["template"]["spec"]["containers"][0]["image"]
    return "spec.template.spec.containers[0].image"


def _template_duplicate_container(d: Obj) -> str:
    cs = d["spec"]["template"]["spec"]["containers"]
    cs[:] = [cs[0], {**copy.deepcopy(cs[0])}]
    return "spec.template.spec.containers[1].name"


def _bad_name(d: Obj) -> str:
    d["metadata"]["name"] = "Web_1"
    return "metadata.name"


def _bad_label_value(d: Obj) -> str:
    d["metadata"]["labels"] = {"team": "-bad value-"}
    return "metadata.labels"


def _missing_selector(d: Obj) -> str:
    del d["spec"]["selector"]
    return "spec.selector"


def _pod_no_containers(p: Obj) -> str:
    p["spec"]["containers"] = []
    return "spec.containers"


def _pod_bad_container_name(p: Obj) -> str:
    p["spec"]["containers"][0]["name"] = "Main_1"
    return "spec.containers[0].name"


def _pod_bad_restart_policy(p: Obj) -> str:
    p["spec"]["restartPolicy"] = "Sometimes"
    return "spec.restartPolicy"


def _pod_bad_port(p: Obj) -> str:
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 70000}]
    return "spec.containers[0].ports[0].containerPort"


def _pod_missing_image(p: Obj) -> str:
    del p["spec"]["containers"][0]["image"]
    return "spec.containers[0].image"


#: defects that only a create is sure to see: applied over an existing object, the manifest becomes a
#: strategic merge patch, and upstream's merge (``mergeSliceWithoutSpecialElements`` in
#: ``staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go``) folds two list entries with one
#: merge key into the stored entry of that key, so the duplicate never reaches validation
FOLDED_BY_MERGE = frozenset({"spec.template.spec.containers[1].name"})

_WORKLOAD: tuple[Breaker, ...] = (
    _selector_mismatch, _negative_replicas, _template_restart_never, _template_missing_image,
    _template_duplicate_container, _bad_name, _bad_label_value, _missing_selector,
)
_DEPLOYMENT_ONLY: tuple[Breaker, ...] = (
    _both_zero, _unavailable_over_100, _negative_surge, _bad_percent, _recreate_with_rolling,
    _negative_history, _deadline_not_above_min_ready, _negative_min_ready,
)
_POD: tuple[Breaker, ...] = (
    _pod_no_containers, _pod_bad_container_name, _pod_bad_restart_policy, _pod_bad_port, _pod_missing_image,
    _bad_name, _bad_label_value,
)

#: every case by name, for reports and for tests that want one case at a time: name -> (kind, breaker)
CASES: dict[str, tuple[str, Breaker]] = {
    **{f"Deployment:{b.__name__.lstrip('_')}": ("Deployment", b) for b in (*_WORKLOAD, *_DEPLOYMENT_ONLY)},
    **{f"ReplicaSet:{b.__name__.lstrip('_')}": ("ReplicaSet", b) for b in _WORKLOAD},
    **{f"Pod:{b.__name__.lstrip('_')}": ("Pod", b) for b in _POD},
}

_BASES = {"Deployment": deployments, "ReplicaSet": replicasets, "Pod": pods}


def invalid_manifests(*, cases: tuple[str, ...] | None = None,
                      namespace: str = "default") -> st.SearchStrategy[tuple[Obj, str]]:
    """``(manifest, field)``: a manifest that breaks one validation rule, and the field path the
    rejection must name (``Rejection.field`` or one of its causes). The manifest lives in
    ``namespace`` (which must exist, or the namespace would be the first thing rejected).

    Example: ``({'apiVersion': 'apps/v1', 'kind': 'Deployment', ..., 'spec': {'replicas': -1, ...}},
    'spec.replicas')``.
    """
    names = st.sampled_from(sorted(cases if cases is not None else CASES))
    bases = {kind: make(namespace=namespace) for kind, make in _BASES.items()}  # built once, not per draw

    @st.composite
    def draw_case(draw: st.DrawFn) -> tuple[Obj, str]:
        kind, breaker = CASES[draw(names, label="case")]
        manifest = copy.deepcopy(draw(bases[kind], label="valid"))
        return manifest, breaker(manifest)

    return draw_case()
