"""Canonical forms of observed state, for the differential oracle (adapter vs reference model).

Two implementations that both follow upstream still differ where upstream leaves things open or
random. Before comparing, this module removes or renames exactly those things (Acto's recovery
oracle keeps a similar list, ``acto/checker/impl/recovery.py``):

* server-assigned identity and bookkeeping: ``uid``, ``resourceVersion``, ``creationTimestamp``,
  ``managedFields``, ``selfLink``, the ``kubectl.kubernetes.io/last-applied-configuration`` text;
* every timestamp (``*Time``, ``startTime``, ``startedAt``, ``finishedAt``, ``deletionTimestamp``
  becomes ``"<set>"``) and free-text ``message`` fields;
* addresses: ``podIP(s)``, ``hostIP(s)``, container and image ids;
* generated names (``generateName`` + 5 random characters, P-12): pods are renamed
  ``<generateName>#<i>`` in the order of their canonical bodies;
* ``pod-template-hash`` values (an FNV hash of Go's serialisation, D-6): replaced by
  ``<hash:rN>`` with N the ReplicaSet's revision;
* node choice (SCH-2 breaks score ties at random): ``spec.nodeName`` becomes ``"<node>"``.

What is left must be equal; :func:`first_difference` names the first field that is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .view import StateView, View

__all__ = ["KINDS", "canonical", "first_difference"]

KINDS: tuple[str, ...] = ("Namespace", "Node", "Deployment", "ReplicaSet", "Pod")
_DROP_META = frozenset({"uid", "resourceVersion", "creationTimestamp", "managedFields", "selfLink"})
_DROP_ANY = frozenset({
    "lastTransitionTime", "lastUpdateTime", "lastProbeTime", "lastHeartbeatTime", "startTime", "startedAt",
    "finishedAt", "podIP", "podIPs", "hostIP", "hostIPs", "containerID", "imageID", "message", "timeAdded",
})
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _clean(v: Any, replace: Mapping[str, str]) -> Any:
    if isinstance(v, Mapping):
        return {k: _clean(x, replace) for k, x in v.items() if k not in _DROP_ANY}
    if isinstance(v, list | tuple):
        return [_clean(x, replace) for x in v]
    if isinstance(v, str) and replace:
        for old, new in replace.items():
            if old in v:
                v = v.replace(old, new)
    return v


def _hashes(view: View) -> dict[str, str]:
    out: dict[str, str] = {}
    for rs in view.objects("ReplicaSet"):
        md = rs["metadata"]
        h = (md.get("labels") or {}).get("pod-template-hash")
        if h:
            rev = (md.get("annotations") or {}).get("deployment.kubernetes.io/revision", "?")
            out[h] = f"<hash:r{rev}>"
    return out


def canonical(view: View, namespaces: Iterable[str] | None = None) -> dict[str, Any]:
    """``{"Kind/namespace/name": canonical body}`` for the kinds the suite drives.

    ``namespaces`` limits namespaced kinds (and Namespaces) to those names; None keeps all.
    """
    keep = None if namespaces is None else frozenset(namespaces)
    replace = _hashes(view)
    out: dict[str, Any] = {}
    generated: dict[tuple[str, str, str], list[Any]] = {}
    for kind in KINDS:
        for obj in view.objects(kind):
            md = obj["metadata"]
            ns = md.get("namespace") or ""
            if keep is not None and ((ns and ns not in keep) or (kind == "Namespace" and md.get("name") not in keep)):
                continue
            body = _canonical_object(obj, replace)
            gen = md.get("generateName")
            if gen:
                generated.setdefault((kind, ns, _clean(gen, replace)), []).append(body)
            else:
                out[f"{kind}/{ns}/{body['metadata'].get('name', '?')}"] = body
    for (kind, ns, gen), bodies in generated.items():
        for i, body in enumerate(sorted(bodies, key=lambda b: json.dumps(b, sort_keys=True, default=str))):
            out[f"{kind}/{ns}/{gen}#{i}"] = body
    return out


def _canonical_object(obj: Mapping[str, Any], replace: Mapping[str, str]) -> dict[str, Any]:
    kind = obj.get("kind")
    md = {k: v for k, v in obj["metadata"].items() if k not in _DROP_META}
    if md.get("generateName"):
        md.pop("name", None)
    if md.get("deletionTimestamp"):
        md["deletionTimestamp"] = "<set>"
    ann = {k: v for k, v in (md.get("annotations") or {}).items() if k != LAST_APPLIED}
    if ann:
        md["annotations"] = ann
    else:
        md.pop("annotations", None)
    refs = md.get("ownerReferences")
    if refs:
        md["ownerReferences"] = [{k: v for k, v in r.items() if k != "uid"} for r in refs]
    out: dict[str, Any] = {"metadata": _clean(md, replace)}
    spec = obj.get("spec")
    if kind == "Node":
        spec = {"unschedulable": bool((spec or {}).get("unschedulable")),
                "taints": sorted(f"{t.get('key')}:{t.get('effect')}" for t in (spec or {}).get("taints") or ())}
        ready = next((c.get("status") for c in (obj.get("status") or {}).get("conditions") or ()
                      if c.get("type") == "Ready"), None)
        out["spec"] = spec
        out["status"] = {"ready": ready}
        return out
    if spec is not None:
        spec = _clean(spec, replace)
        if kind == "Pod" and spec.get("nodeName"):
            spec["nodeName"] = "<node>"
        out["spec"] = spec
    if obj.get("status") is not None:
        out["status"] = _clean(obj["status"], replace)
    return out


def first_difference(a: View, b: View, namespaces: Iterable[str] | None = None) -> str | None:
    """The first field (in sorted order) where the canonical forms of two views differ; None if equal."""
    if isinstance(a, StateView) and isinstance(b, StateView) and a.state is b.state:
        return None
    ca, cb = canonical(a, namespaces), canonical(b, namespaces)
    return _first(ca, cb, "")


def _first(x: Any, y: Any, path: str) -> str | None:
    if isinstance(x, Mapping) and isinstance(y, Mapping):
        for k in sorted(set(x) | set(y), key=str):
            p = f"{path}.{k}" if path else str(k)
            if k not in x:
                return f"{p}: absent, but the model has {_short(y[k])}"
            if k not in y:
                return f"{p}: {_short(x[k])}, but the model has no such field"
            d = _first(x[k], y[k], p)
            if d is not None:
                return d
        return None
    if isinstance(x, list) and isinstance(y, list):
        if len(x) != len(y):
            return f"{path}: {len(x)} items, but the model has {len(y)}"
        for i, (xi, yi) in enumerate(zip(x, y)):
            d = _first(xi, yi, f"{path}[{i}]")
            if d is not None:
                return d
        return None
    if x != y:
        return f"{path}: {_short(x)}, but the model has {_short(y)}"
    return None


def _short(v: Any) -> str:
    text = json.dumps(v, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
