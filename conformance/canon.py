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

What is left must be equal; :func:`first_difference` names the first field that is not, over a whole
view (after settle) or, with :func:`first_difference_in`, over the objects one step touched (groups
of pods with one ``generateName`` are compared as a whole, since their names differ).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .view import StateView, View

__all__ = ["KINDS", "canonical", "counterpart", "first_difference", "first_difference_in", "group_of"]

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
    return view.memo("canon-hashes", _build_hashes)  # type: ignore[no-any-return]


def _build_hashes(view: View) -> dict[str, str]:
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


def _stored(view: View, namespaces: Iterable[str] | None) -> dict[tuple[str, str, str], Any]:
    keep = None if namespaces is None else frozenset(namespaces)
    return {(kind, o["metadata"].get("namespace") or "", o["metadata"].get("name", "")): o
            for kind in KINDS for o in view.objects(kind)
            if keep is None or (o["metadata"].get("namespace") or o["metadata"].get("name")) in keep
            or kind == "Node"}


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
    if _stored(a, namespaces) == _stored(b, namespaces):
        return None  # equal as stored (e.g. a deterministic adapter built on the model): equal canonically
    ca, cb = canonical(a, namespaces), canonical(b, namespaces)
    return _first(ca, cb, "")


Group = tuple[str, str, str, bool]  # (kind, namespace, name or generateName, generated)


def group_of(kind: str, obj: Mapping[str, Any]) -> Group:
    """The unit a step's comparison works on: one object, or every pod sharing a ``generateName``."""
    md = obj["metadata"]
    gen = md.get("generateName")
    return (kind, md.get("namespace") or "", gen or md.get("name", ""), bool(gen))


def _generated(view: View) -> dict[tuple[str, str, str], list[Mapping[str, Any]]]:
    def build(v: View) -> dict[tuple[str, str, str], list[Mapping[str, Any]]]:
        out: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
        for kind in KINDS:
            for o in v.objects(kind):
                gen = o["metadata"].get("generateName")
                if gen:
                    out.setdefault((kind, o["metadata"].get("namespace") or "", gen), []).append(o)
        return out
    return view.memo("canon-generated", build)  # type: ignore[no-any-return]


def _group_raw(view: View, group: Group) -> Any:
    kind, ns, name, generated = group
    if not generated:
        return view.get(kind, ns, name)
    return sorted(_generated(view).get((kind, ns, name), ()), key=lambda o: o["metadata"].get("name", ""))


def _group_form(view: View, group: Group) -> Any:
    kind, ns, name, generated = group
    replace = _hashes(view)
    if not generated:
        obj = view.get(kind, ns, name)
        return None if obj is None else _canonical_object(obj, replace)
    bodies = [_canonical_object(o, replace) for o in _generated(view).get((kind, ns, name), ())]
    return sorted(bodies, key=lambda b: json.dumps(b, sort_keys=True, default=str))


def first_difference_in(a: View, b: View, groups: Iterable[Group]) -> str | None:
    """Like :func:`first_difference`, over the given object groups only."""
    for group in sorted(groups):
        kind, ns, name, generated = group
        if _group_raw(a, group) == _group_raw(b, group):
            continue  # equal as stored: equal in canonical form too
        where = f"{kind}/{ns}/{name}{'*' if generated else ''}"
        d = _first(_group_form(a, group), _group_form(b, group), where)
        if d is not None:
            return d
    return None


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
    if x is None and y is None:
        return None
    if x is None or y is None:
        return f"{path}: {'absent' if x is None else _short(x)}, but the model has " \
               f"{'none' if y is None else _short(y)}"
    if x != y:
        return f"{path}: {_short(x)}, but the model has {_short(y)}"
    return None


def _short(v: Any) -> str:
    text = json.dumps(v, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def counterpart(a: View, b: View, kind: str, namespace: str, name: str) -> str:
    """The name in ``b`` of the object ``a`` calls ``name``: the same name, unless ``a`` generated it (P-12);
    then the name of the object at the same place among its group's canonical bodies in ``b`` (a request
    that names a generated pod, a kill, reaches the model's counterpart of the cluster's pod)."""
    obj = a.get(kind, namespace, name)
    gen = obj["metadata"].get("generateName") if obj is not None else None
    if not gen:
        return name

    def ordered(view: View) -> list[Mapping[str, Any]]:
        replace = _hashes(view)
        key = _clean(gen, _hashes(a))
        same = [o for (k, ns, g), objs in _generated(view).items() if k == kind and ns == namespace
                and _clean(g, replace) == key for o in objs]
        return sorted(same, key=lambda o: json.dumps(_canonical_object(o, replace), sort_keys=True, default=str))

    mine = [o["metadata"].get("name") for o in ordered(a)]
    theirs = ordered(b)
    i = mine.index(name)
    return str(theirs[i]["metadata"].get("name", name)) if i < len(theirs) else name
