"""Valid manifests of every modelled workload kind, with the variety that finds bugs.

Names and labels come from small pools so that objects collide on purpose: selectors overlap
(``{app: web}`` and ``{app: web, track: canary}``), the same names live in several namespaces,
rolling-update parameters are ints and percents, requests sometimes do not fit on any node.

Two label families keep one documented upstream hazard out of the suite: Deployments select on
``app``, stand-alone ReplicaSets on ``rs``. A Deployment adopts any orphan ReplicaSet its selector
matches (``pkg/controller/deployment/deployment_controller.go`` getReplicaSetsForDeployment, ClaimReplicaSets),
and "overlapping selectors between controllers" is documented as undefined behaviour
(``kubernetes/website: concepts/workloads/controllers/deployment.md`` "Selector"), so rollout bounds
would not hold for adopted sets. Bare pods use both families, so ReplicaSets do adopt them (RS-5).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = [
    "APPS",
    "DEPLOYMENT_NAMES",
    "NAMESPACES",
    "POD_NAMES",
    "REPLICASET_NAMES",
    "deployments",
    "images",
    "int_or_percents",
    "namespaces",
    "pod_templates",
    "pods",
    "replicasets",
    "resource_requirements",
    "rolling_updates",
    "valid_manifests",
]

NAMESPACES: tuple[str, ...] = ("default", "team-a", "team-b")
APPS: tuple[str, ...] = ("web", "api")
DEPLOYMENT_NAMES: tuple[str, ...] = ("web", "api", "cache")
REPLICASET_NAMES: tuple[str, ...] = ("front", "back", "batch")
RS_LABELS: tuple[str, ...] = ("front", "back")
POD_NAMES: tuple[str, ...] = ("solo", "probe", "stray")
TRACKS: tuple[str, ...] = ("stable", "canary")
IMAGE_POOL: tuple[str, ...] = ("nginx:1.25", "nginx:1.26", "redis:7.2", "busybox:1.36")

Obj = dict[str, Any]


def _raw_zero(v: int | str) -> bool:
    return v == 0 or v == "0%"


def _pick(draw: st.DrawFn, label: str, dims: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    """Choose one option of every dimension with a few integer draws (mixed radix, at most 1024 choices
    per draw).

    Generation costs a handful of draws however many fields a manifest has (the suite runs a
    thousand steps per second), every dimension is chosen evenly (Hypothesis favours small values
    of *large* integer ranges, which would pin the later dimensions), and shrinking moves every
    field towards its first, simplest option.
    """
    out: dict[str, Any] = {}
    options = list(dims.values())
    keys = list(dims)
    start = 0
    for end, strategy, span in _plan(label, tuple(keys), tuple(map(len, options))):
        n = draw(strategy, label=span)
        for i in range(start, end):
            n, r = divmod(n, len(options[i]))
            out[keys[i]] = options[i][r]
        start = end
    return out


_PLANS: dict[tuple[str, tuple[str, ...], tuple[int, ...]], list[tuple[int, st.SearchStrategy[int], str]]] = {}


def _plan(label: str, keys: tuple[str, ...], sizes: tuple[int, ...]) -> list[tuple[int, st.SearchStrategy[int], str]]:
    """The groups of :func:`_pick` for dimensions of these sizes, as (end index, integer strategy, span label),
    built once: a strategy built per draw is validated per draw, which cost more than the draw."""
    key = (label, keys, sizes)
    plan = _PLANS.get(key)
    if plan is None:
        plan = []
        first, size = 0, 1
        for i, n in enumerate(sizes):
            size *= n
            nxt = sizes[i + 1] if i + 1 < len(sizes) else 0
            if i + 1 == len(sizes) or size * nxt > 1024:
                plan.append((i + 1, st.integers(0, size - 1), f"{label}:{keys[first]}"))
                first, size = i + 1, 1
        _PLANS[key] = plan
    return plan


def images() -> st.SearchStrategy[str]:
    """Container images from a small pool, so image changes and pull failures meet the same image.

    Example: ``'nginx:1.26'``.
    """
    return st.sampled_from(IMAGE_POOL)


_SMALL_REQUESTS: tuple[Obj, ...] = (
    {}, {}, {"requests": {"cpu": "100m"}}, {"requests": {"cpu": "250m", "memory": "64Mi"}},
    {"requests": {"memory": "128Mi"}}, {"requests": {"cpu": "500m", "memory": "1Gi"}}, {"requests": {"cpu": "1"}},
)
_BIG_REQUESTS: tuple[Obj, ...] = (
    {"requests": {"cpu": "3"}},  # fits once per node: the next one waits or goes elsewhere
    {"requests": {"cpu": "5"}},  # fits nowhere
    {"requests": {"memory": "20Gi"}},
)


def resource_requirements(*, fits: bool | None = None) -> st.SearchStrategy[Obj]:
    """``resources`` of a container: none, small requests, or (when ``fits`` is not True) requests
    larger than a node of the default cluster (4 CPU, 16Gi), so the pod stays Pending (SCH-3).

    Example: ``{'requests': {'cpu': '250m', 'memory': '64Mi'}}``.
    """
    if fits is True:
        return st.sampled_from(_SMALL_REQUESTS)
    if fits is False:
        return st.sampled_from(_BIG_REQUESTS)
    return st.sampled_from(_SMALL_REQUESTS + _SMALL_REQUESTS + _BIG_REQUESTS)


_PROBES: tuple[Obj | None, ...] = (None, None, None, *(
    {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": d} for d in (0, 5, 20)))


def _containers(fits: bool | None) -> tuple[Obj, ...]:
    """Every container variant, simplest first (one draw picks one: fast to generate, shrinks to index 0)."""
    out = []
    requests = {True: _SMALL_REQUESTS, False: _BIG_REQUESTS, None: _SMALL_REQUESTS + _BIG_REQUESTS}[fits]
    for probe in _PROBES:
        for res in requests:
            for image in IMAGE_POOL:
                c: Obj = {"image": image}
                if res:
                    c["resources"] = res
                if probe:
                    c["readinessProbe"] = probe
                out.append(c)
    return tuple(out)


_CONTAINERS = {f: _containers(f) for f in (True, False, None)}


_SIDECARS: tuple[Obj | None, ...] = (None, None, None, *_CONTAINERS[True][:: len(IMAGE_POOL) + 1])
_GRACE: tuple[int | None, ...] = (None, None, 0, 10, 30)


def _template(labels: dict[str, str], main: Obj, side: Obj | None, grace: int | None) -> Obj:
    containers = [{"name": "main", **main}]
    if side is not None:
        containers.append({"name": "sidecar", **side})
    spec: Obj = {"containers": containers}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"metadata": {"labels": dict(labels)}, "spec": spec}


def _template_dims(fits: bool | None) -> dict[str, tuple[Any, ...]]:
    return {"main": _CONTAINERS[fits], "sidecar": _SIDECARS, "grace": _GRACE}


@st.composite
def pod_templates(draw: st.DrawFn, labels: dict[str, str], *, fits: bool | None = None) -> Obj:
    """A pod template carrying ``labels``: one or two containers, sometimes a readiness probe,
    requests that sometimes do not fit, sometimes a termination grace period.

    Example: ``{'metadata': {'labels': {'app': 'web'}}, 'spec': {'containers': [{'name': 'main',
    'image': 'nginx:1.25'}]}}``.
    """
    c = _pick(draw, "template", _template_dims(fits))
    return _template(labels, c["main"], c["sidecar"], c["grace"])


def int_or_percents(*, max_int: int = 3, percents: tuple[str, ...] = ("0%", "25%", "50%", "100%")
                    ) -> st.SearchStrategy[int | str]:
    """An IntOrString as the API takes it: a small int or a percent string.

    Example: ``'25%'`` or ``2``.
    """
    return st.one_of(st.integers(0, max_int), st.sampled_from(percents))


_INT_OR_PERCENT: tuple[int | str, ...] = (0, 1, 2, 3, "0%", "1%", "25%", "50%", "100%")
_ROLLING: tuple[Obj, ...] = ({}, *(
    {"maxSurge": a, "maxUnavailable": b} for a in _INT_OR_PERCENT for b in _INT_OR_PERCENT
    if not (_raw_zero(a) and _raw_zero(b))))


def rolling_updates() -> st.SearchStrategy[Obj]:
    """``strategy.rollingUpdate`` that validation accepts: never both zero on the raw values (D-2);
    ``{}`` leaves both to the 25%/25% defaults (D-1).

    Example: ``{'maxSurge': 1, 'maxUnavailable': '25%'}``.
    """
    return st.sampled_from(_ROLLING)


_DEPLOYMENT_SELECTORS: tuple[dict[str, str], ...] = tuple(
    {"app": a, **({"track": t} if t else {})} for a in APPS for t in (None, *TRACKS))
_RS_SELECTORS: tuple[dict[str, str], ...] = tuple(
    {"rs": a, **({"track": t} if t else {})} for a in RS_LABELS for t in (None, *TRACKS))
_STRATEGIES: tuple[Obj | None, ...] = (
    None, {"type": "Recreate"}, {"type": "RollingUpdate"},
    *({"type": "RollingUpdate", "rollingUpdate": ru} for ru in _ROLLING if ru),
)


_REPLICAS: tuple[int, ...] = (1, 0, 2, 3, 4, 5)


@st.composite
def deployments(draw: st.DrawFn, *, name: str | None = None, namespace: str | None = None,
                replicas: st.SearchStrategy[int] | None = None, paused: bool | None = None,
                fits: bool | None = None) -> Obj:
    """Valid apps/v1 Deployments with overlapping ``app``/``track`` selectors, RollingUpdate (ints and
    percents) or Recreate, minReadySeconds, revisionHistoryLimit, progressDeadlineSeconds, paused.

    Example: ``{'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'web',
    'namespace': 'team-a'}, 'spec': {'replicas': 3, 'selector': {'matchLabels': {'app': 'web'}},
    'strategy': {'type': 'RollingUpdate', 'rollingUpdate': {'maxSurge': 1, 'maxUnavailable': 0}},
    'template': {...}}}``.
    """
    c = _pick(draw, "deployment", {
        "name": (name,) if name is not None else DEPLOYMENT_NAMES,
        "namespace": (namespace,) if namespace is not None else NAMESPACES,
        "selector": _DEPLOYMENT_SELECTORS,
        "tier": (False, False, False, True),
        "replicas": (None,) if replicas is not None else _REPLICAS,
        "strategy": _STRATEGIES,
        "minReadySeconds": (0, 0, 0, 3, 10),
        "revisionHistoryLimit": (None, None, 0, 1, 2, 3),
        "progressDeadlineSeconds": (None, None, None, 30, 120, 600),
        "paused": (paused,) if paused is not None else (False,) * 7 + (True,),
        **_template_dims(fits),
    })
    selector = dict(c["selector"])
    labels = dict(selector, **({"tier": "frontend"} if c["tier"] else {}))
    n = c["replicas"] if replicas is None else draw(replicas, label="replicas")
    spec: Obj = {"replicas": n, "selector": {"matchLabels": selector},
                 "template": _template(labels, c["main"], c["sidecar"], c["grace"])}
    if c["strategy"] is not None:
        spec["strategy"] = c["strategy"]
    if c["minReadySeconds"]:
        spec["minReadySeconds"] = c["minReadySeconds"]
    if c["revisionHistoryLimit"] is not None:
        spec["revisionHistoryLimit"] = c["revisionHistoryLimit"]
    if c["progressDeadlineSeconds"] is not None:
        spec["progressDeadlineSeconds"] = c["minReadySeconds"] + c["progressDeadlineSeconds"]
    if c["paused"]:
        spec["paused"] = True
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": c["name"], "namespace": c["namespace"]}, "spec": spec}


@st.composite
def replicasets(draw: st.DrawFn, *, name: str | None = None, namespace: str | None = None,
                replicas: st.SearchStrategy[int] | None = None, fits: bool | None = None) -> Obj:
    """Valid stand-alone apps/v1 ReplicaSets whose ``rs``/``track`` selectors overlap each other.

    Example: ``{'apiVersion': 'apps/v1', 'kind': 'ReplicaSet', 'metadata': {'name': 'front',
    'namespace': 'default'}, 'spec': {'replicas': 2, 'selector': {'matchLabels': {'rs': 'front'}},
    'template': {...}}}``.
    """
    c = _pick(draw, "replicaset", {
        "name": (name,) if name is not None else REPLICASET_NAMES,
        "namespace": (namespace,) if namespace is not None else NAMESPACES,
        "selector": _RS_SELECTORS,
        "replicas": (None,) if replicas is not None else _REPLICAS,
        "minReadySeconds": (0, 0, 0, 5),
        "team": (None, None, "a", "b"),  # metadata-only changes on re-apply
        **_template_dims(fits),
    })
    selector = dict(c["selector"])
    n = c["replicas"] if replicas is None else draw(replicas, label="replicas")
    spec: Obj = {"replicas": n, "selector": {"matchLabels": selector},
                 "template": _template(selector, c["main"], c["sidecar"], c["grace"])}
    if c["minReadySeconds"]:
        spec["minReadySeconds"] = c["minReadySeconds"]
    md: Obj = {"name": c["name"], "namespace": c["namespace"]}
    if c["team"]:
        md["labels"] = {"team": c["team"]}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": md, "spec": spec}


_POD_LABELS: tuple[dict[str, str], ...] = ({}, {"rs": "front"}, {"rs": "back", "track": "canary"}, {"role": "debug"})


@st.composite
def pods(draw: st.DrawFn, *, name: str | None = None, namespace: str | None = None) -> Obj:
    """Valid bare Pods; their labels sometimes match a ReplicaSet's selector (so it adopts them).

    Example: ``{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'solo', 'namespace':
    'default', 'labels': {'rs': 'front'}}, 'spec': {'containers': [...]}}``.
    """
    c = _pick(draw, "pod", {
        "name": (name,) if name is not None else POD_NAMES,
        "namespace": (namespace,) if namespace is not None else NAMESPACES,
        "labels": _POD_LABELS,
        **_template_dims(None),
    })
    md: Obj = {"name": c["name"], "namespace": c["namespace"]}
    if c["labels"]:
        md["labels"] = dict(c["labels"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": _template({}, c["main"], c["sidecar"], c["grace"])["spec"]}


def namespaces(*, names: tuple[str, ...] = NAMESPACES[1:]) -> st.SearchStrategy[Obj]:
    """Namespaces (DNS-1123 labels, N-1).

    Example: ``{'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'team-a'}}``.
    """
    return st.sampled_from(names).map(
        lambda n: {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}})


def valid_manifests(*, namespace: str | None = None) -> st.SearchStrategy[Obj]:
    """Any valid manifest of the modelled workload kinds.

    Example: one value of :func:`deployments`, :func:`replicasets`, :func:`pods` or :func:`namespaces`.
    """
    return st.one_of(deployments(namespace=namespace), replicasets(namespace=namespace),
                     pods(namespace=namespace), namespaces())
