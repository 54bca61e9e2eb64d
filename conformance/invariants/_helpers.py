"""Predicates the invariants share, written independently of the model.

The invariants must not call the model's own helpers: a seeded bug in ``refmodel`` would then bend
the check and the oracle the same way. These are small restatements of upstream's predicates
(``pkg/api/v1/pod/util.go`` IsPodReady/IsPodAvailable, ``pkg/controller/controller_utils.go``
IsPodActive, ``pkg/controller/deployment/util/deployment_util.go`` ResolveFenceposts,
EqualIgnoreHash, Revision; ``apimachinery/pkg/util/intstr`` GetScaledValueFromIntOrPercent).
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from refmodel.frozen import thaw

__all__ = [
    "HASH_LABEL",
    "REVISION",
    "active",
    "available",
    "cpu_milli",
    "deployment_replicasets",
    "epoch",
    "equal_ignore_hash",
    "fenceposts",
    "memory_bytes",
    "name_of",
    "node_ready",
    "pod_requests",
    "ready",
    "ref_of",
    "revision",
    "scaled",
    "selector_matches",
]

Obj = Mapping[str, Any]
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
_EPOCH_CACHE: dict[str, int] = {}


def epoch(ts: str | None) -> int | None:
    if not ts:
        return None
    v = _EPOCH_CACHE.get(ts)
    if v is None:
        v = calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))
        if len(_EPOCH_CACHE) < 100_000:
            _EPOCH_CACHE[ts] = v
    return v


def name_of(obj: Obj) -> str:
    md = obj["metadata"]
    ns = md.get("namespace") or ""
    return f"{obj.get('kind', '?')}/{ns + '/' if ns else ''}{md.get('name', '?')}"


def ref_of(obj: Obj) -> tuple[str, str, str]:
    md = obj["metadata"]
    return obj.get("kind", ""), md.get("namespace") or "", md.get("name", "")


def _condition(obj: Obj, ctype: str) -> Obj | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c  # type: ignore[no-any-return]
    return None


def active(pod: Obj) -> bool:
    """IsPodActive: not terminal and not being deleted (P-7)."""
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get("phase") not in (
        "Succeeded", "Failed")


def ready(pod: Obj) -> bool:
    """IsPodReady (P-5)."""
    c = _condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def available(pod: Obj, min_ready_seconds: int, now: int) -> bool:
    """IsPodAvailable with the strict ``<`` (P-6)."""
    c = _condition(pod, "Ready")
    if c is None or c.get("status") != "True":
        return False
    if not min_ready_seconds:
        return True
    t = epoch(c.get("lastTransitionTime"))
    return t is not None and t + min_ready_seconds < now


def node_ready(node: Obj) -> bool:
    c = _condition(node, "Ready")
    return c is not None and c.get("status") == "True"


def selector_matches(selector: Obj | None, labels: Obj | None) -> bool:
    """matchLabels AND matchExpressions (L-1..L-4); a missing selector matches nothing."""
    if selector is None:
        return False
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or ():
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or ()
        present = key in labels
        if (op == "In" and not (present and labels[key] in values)) or (
                op == "NotIn" and present and labels[key] in values) or (
                op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


_PERCENT = re.compile(r"^([0-9]+)%$")


def scaled(value: int | str | None, total: int, round_up: bool) -> int:
    """GetScaledValueFromIntOrPercent: ints as they are, ``N%`` of ``total`` rounded up or down."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    m = _PERCENT.match(str(value))
    if not m:
        raise ValueError(f"not an int or percent: {value!r}")
    pct = int(m.group(1))
    return -(-pct * total // 100) if round_up else pct * total // 100


def fenceposts(d: Obj) -> tuple[int, int]:
    """(MaxSurge(d), MaxUnavailable(d)) as the controller must resolve them (D-3, D-4)."""
    spec = d["spec"]
    strategy = spec.get("strategy") or {}
    replicas = int(spec.get("replicas", 1))
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return 0, 0
    ru = strategy.get("rollingUpdate") or {}
    surge = scaled(ru.get("maxSurge", "25%"), replicas, True)
    unavailable = scaled(ru.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    if replicas == 0:
        return surge, 0
    return surge, min(unavailable, replicas)


def revision(rs: Obj) -> int:
    """The ``deployment.kubernetes.io/revision`` annotation (0 when missing or unparseable)."""
    v = (rs["metadata"].get("annotations") or {}).get(REVISION)
    try:
        return int(v) if v is not None else 0
    except ValueError:
        return 0


def _strip_hash(template: Obj | None) -> Any:
    if not template:
        return template
    md = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (md.get("labels") or {}).items() if k != HASH_LABEL}
    if labels:
        md["labels"] = labels
    else:
        md.pop("labels", None)
    out = dict(template)
    if md:
        out["metadata"] = md
    else:
        out.pop("metadata", None)
    return thaw(out)




def equal_ignore_hash(a: Obj | None, b: Obj | None) -> bool:
    """EqualIgnoreHash: pod templates equal once ``pod-template-hash`` is dropped from both (D-5)."""
    return bool(_strip_hash(a) == _strip_hash(b))


def deployment_replicasets(view: Any, d: Obj) -> list[Obj]:
    """ReplicaSets controlled by ``d`` (by controller uid)."""
    from ..view import index

    return [o for o in index(view).get(d["metadata"]["uid"], ()) if o.get("kind") == "ReplicaSet"]


_UNITS = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "k": 1000, "M": 1000**2, "G": 1000**3}


def cpu_milli(q: Any) -> int:
    s = str(q)
    if s.endswith("m"):
        return int(float(s[:-1]))
    return int(float(s) * 1000)


def memory_bytes(q: Any) -> int:
    s = str(q)
    for suffix, mult in _UNITS.items():
        if s.endswith(suffix):
            return int(float(s[: -len(suffix)]) * mult)
    return int(float(s))


def pod_requests(spec: Obj) -> tuple[int, int]:
    """(milli-CPU, memory bytes) the scheduler accounts for (SCH-3)."""
    cpu = mem = 0
    for c in spec.get("containers") or ():
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += cpu_milli(req["cpu"]) if "cpu" in req else 0
        mem += memory_bytes(req["memory"]) if "memory" in req else 0
    for c in spec.get("initContainers") or ():
        req = (c.get("resources") or {}).get("requests") or {}
        cpu = max(cpu, cpu_milli(req["cpu"]) if "cpu" in req else 0)
        mem = max(mem, memory_bytes(req["memory"]) if "memory" in req else 0)
    return cpu, mem


def allocatable(node: Obj) -> tuple[int, int, int]:
    status = node.get("status") or {}
    alloc = status.get("allocatable") or status.get("capacity") or {}
    return cpu_milli(alloc.get("cpu", 0)), memory_bytes(alloc.get("memory", 0)), int(alloc.get("pods", 110))


def schedulable_for(node: Obj, pod_spec: Obj) -> str:
    """Why ``node`` cannot take a pod regardless of room ('' when it can): Ready, not cordoned,
    no untolerated NoSchedule/NoExecute taint, nodeSelector (SCH-1, SCH-4, SCH-5)."""
    if not node_ready(node):
        return "is not Ready"
    tolerations = pod_spec.get("tolerations") or ()
    spec = node.get("spec") or {}
    if spec.get("unschedulable") and not _tolerated(tolerations, "node.kubernetes.io/unschedulable", "NoSchedule"):
        return "is cordoned (spec.unschedulable)"
    for t in spec.get("taints") or ():
        if t.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(tolerations, t.get("key"),
                                                                             t.get("effect"), t.get("value")):
            return f"has the untolerated taint {t.get('key')}:{t.get('effect')}"
    labels = node["metadata"].get("labels") or {}
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return f"does not match nodeSelector {k}={v}"
    return ""


def _tolerated(tolerations: Iterable[Obj], key: Any, effect: Any, value: Any = None) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != effect:
            continue
        if t.get("key") and t.get("key") != key:
            continue
        if (t.get("operator") or "Equal") == "Exists":
            return True
        if t.get("key") and (t.get("value") or "") == (value or ""):
            return True
    return False


def node_usage(view: Any) -> dict[str, tuple[int, int, int]]:
    """Requests of the non-terminal pods bound to each node (memoised per view)."""

    def build(v: Any) -> dict[str, tuple[int, int, int]]:
        out: dict[str, tuple[int, int, int]] = {}
        for p in v.objects("Pod"):
            node = p["spec"].get("nodeName")
            if not node or (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            cpu, mem = pod_requests(p["spec"])
            c0, m0, n0 = out.get(node, (0, 0, 0))
            out[node] = (c0 + cpu, m0 + mem, n0 + 1)
        return out

    return view.memo("node-usage", build)  # type: ignore[no-any-return]
