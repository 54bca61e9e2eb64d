"""Server-side apply and field ownership: ``metadata.managedFields``, conflicts, ``force``, create-on-apply.

**Mirrors:**
- ``sigs.k8s.io/structured-merge-diff/v4``: ``merge/update.go`` (``Updater.Apply``: merge the applied
  configuration into the live object, prune what the applier applied last time and no longer does, then
  ``update``: another manager's field that the result modifies or adds is a conflict unless forced, and
  forced or not, the fields the result removes leave every set; ``Updater.Update``: a write that is not
  an apply takes the fields it added or modified), ``typed/tofieldset.go`` (the set of an applied
  configuration: every scalar, atomic list or map, associative list item, and map-type entry),
  ``typed/compare.go`` (added, modified, removed leaves and items), ``typed/merge.go`` (maps key by key,
  associative lists item by item, live items first in live order, then new items in applied order;
  atomic values whole), ``fieldpath/element.go`` (``PathElement.String``: ``.name``, ``[key=value]``,
  ``[=value]``, ``[index]``) and ``fieldpath/serialize.go``/``serialize-pe.go`` (``FieldsV1``: ``f:``,
  ``k:``, ``v:``, ``i:`` and ``"."`` for a node that is itself owned).
- ``staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal``: ``conflict.go``
  (``NewConflictError``, ``getConflictMessage``, ``printManager``: the 409 and its text),
  ``managedfields.go`` (``BuildManagerIdentifier``: manager, operation, apiVersion for updaters only,
  subresource; ``sortEncodedManagedFields``: Apply before Update, then by time, manager, apiVersion),
  ``stripmeta.go`` (fields nobody owns: apiVersion, kind, metadata's server-set fields),
  ``managedfieldsupdater.go`` (an applier's time is always now; an updater's when its set changed),
  ``structuredmerge.go`` (``Apply``: the applied version must be the live object's, 400 otherwise;
  ``metadata.managedFields must be nil`` in an applied configuration).
- ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`` (``applyPatcher``: an apply to a
  missing object creates it) and ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation``
  ``ValidatePatchOptions`` (``fieldManager`` required for apply, ``force`` forbidden otherwise; checked
  by :mod:`refmodel.apiserver`).
- Field types from the model's v1.32 type table (:mod:`refmodel.resources._schema_data`); list types as
  kube-openapi's ``schemaconv`` derives them for built-in kinds: a ``patchStrategy=merge`` list with a
  ``patchMergeKey`` is an associative list keyed by it (``x-kubernetes-list-map-keys`` where upstream
  marks more keys: container ports and Service ports by port and protocol, topology spread constraints
  by topologyKey and whenUnsatisfiable; a key's schema default, ``protocol: TCP``, fills a missing key),
  ``merge`` without a key is a set, any other list is atomic; structs marked ``+structType=atomic``
  (:data:`ATOMIC_STRUCTS`) are owned whole.

**Modelled:** ownership for every write that names a field manager (the API server always has one:
``fieldManager`` or the client's user agent); conflicts listing each field and manager as upstream
words them; ``force=true`` taking the fields; shared ownership when two appliers set the same value;
pruning of fields an applier stopped applying; the status (main resource) or spec (status
subresource) that a write cannot change is neither owned nor conflicting.
**Not modelled (and why):** controller writes (a request without a field manager: the model's own
controllers) leave ``managedFields`` as they are, where upstream's controllers own their fields too (their
turns would each pay for a field-set walk); the ``"."`` of an updater's newly added optional struct (Go's
zero-value structs decide it upstream; here only list items and map-type maps get it); converting sets
between API versions (each modelled kind is served in one); the client-side-apply upgrade path of
``lastappliedmanager.go``; unions; ``capmanagers.go``'s limit of ten updaters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from .patch import PATCH_META
from .resources._schema_data import ROOTS, TYPES

__all__ = [
    "ATOMIC_STRUCTS",
    "Conflict",
    "Manager",
    "apply",
    "conflict_message",
    "field_set",
    "fields_v1",
    "path_string",
    "update",
]

# a path element: ("f", name) | ("k", ((key, json), ...)) | ("v", json) | ("i", index)
PE = tuple[str, str | int | tuple[tuple[str, str], ...]]
Path = tuple[PE, ...]
FieldSet = frozenset[Path]

#: structs owned whole (``+structType=atomic`` in ``staging/src/k8s.io/api/core/v1/types.go`` and
#: ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go``)
ATOMIC_STRUCTS = frozenset({
    "LabelSelector", "LocalObjectReference", "ObjectReference", "TypedLocalObjectReference", "NodeSelector",
    "NodeSelectorTerm", "ObjectFieldSelector", "ResourceFieldSelector", "ConfigMapKeySelector",
    "SecretKeySelector", "TopologySelectorTerm",
})
#: associative lists with more keys than their patchMergeKey (``+listMapKey`` markers, v1.32)
_MAP_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Container", "ports"): ("containerPort", "protocol"),
    ("EphemeralContainer", "ports"): ("containerPort", "protocol"),
    ("ServiceSpec", "ports"): ("port", "protocol"),
    ("PodSpec", "topologySpreadConstraints"): ("topologyKey", "whenUnsatisfiable"),
}
_KEY_DEFAULTS = {"protocol": "TCP"}  # the schema default of a key field (ContainerPort, ServicePort)
#: never owned (stripmeta.go)
_STRIPPED: FieldSet = frozenset({(("f", "apiVersion"),), (("f", "kind"),), (("f", "metadata"),)} | {
    (("f", "metadata"), ("f", f)) for f in ("name", "namespace", "creationTimestamp", "selfLink", "uid",
                                           "clusterName", "generation", "managedFields", "resourceVersion")})
_SCALARS = frozenset({"boolean", "date-time", "int-or-string", "int32", "int64", "number", "quantity", "string"})


@attrs.frozen
class Manager:
    """A manager's identity (``BuildManagerIdentifier``): the apiVersion counts only for updaters."""

    manager: str
    operation: str  # "Apply" | "Update"
    api_version: str = ""
    subresource: str = ""

    def printed(self) -> str:
        """``printManager``."""
        out = json.dumps(self.manager)
        if self.subresource:
            out += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            out += f" using {self.api_version}"
        return out


@attrs.frozen
class _Entry:
    fields: FieldSet
    api_version: str
    time: str | None


@attrs.frozen
class Conflict:
    """An apply refused because other managers own fields it would change: (manager, path) pairs."""

    conflicts: tuple[tuple[Manager, Path], ...]

    @property
    def message(self) -> str:
        return conflict_message(self.conflicts)

    def causes(self) -> list[dict[str, str]]:
        return [{"type": "FieldManagerConflict", "message": f"conflict with {m.printed()}",
                 "field": path_string(p)} for m, p in self.conflicts]


# ---------------------------------------------------------------------------------------------
# types
# ---------------------------------------------------------------------------------------------
def _list_type(struct: str | None, field: str) -> tuple[str, tuple[str, ...]]:
    """("atomic" | "set" | "map", keys) of the list in ``struct.field``."""
    if struct is None:
        return "atomic", ()
    keys = _MAP_KEYS.get((struct, field))
    if keys:
        return "map", keys
    meta = PATCH_META.get((struct, field))
    if meta is None or meta.strategy != "merge":
        return "atomic", ()
    return ("map", (meta.merge_key,)) if meta.merge_key else ("set", ())


def _field_type(spec: str | None, key: str) -> str | None:
    if spec is None or spec == "object":
        return "object"
    if spec.startswith("{}"):
        return spec[2:]
    fields = TYPES.get(spec)
    return fields.get(key) if fields is not None else None


def _granular_struct(spec: str | None) -> bool:
    return spec is not None and spec in TYPES and spec not in ATOMIC_STRUCTS


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _item_pe(item: Any, index: int, ltype: str, keys: tuple[str, ...]) -> PE:
    if ltype == "set":
        return ("v", _json(item))
    if ltype == "map" and isinstance(item, Mapping):
        return ("k", tuple(sorted((k, _json(item.get(k, _KEY_DEFAULTS.get(k)))) for k in keys
                                  if k in item or k in _KEY_DEFAULTS)))
    return ("i", index)


# ---------------------------------------------------------------------------------------------
# field sets (ToFieldSet) and comparison (Compare)
# ---------------------------------------------------------------------------------------------
def field_set(obj: Mapping[str, Any], kind: str) -> FieldSet:
    """The fields an applied configuration of ``kind`` sets (``TypedValue.ToFieldSet``)."""
    out: set[Path] = set()
    _to_set(obj, ROOTS.get(kind), (), out)
    return frozenset(out)


def _struct(spec: str | None) -> str | None:
    return spec if spec is not None and spec in TYPES else None


def _to_set(value: Mapping[str, Any], spec: str | None, path: Path, out: set[Path]) -> None:
    """The nodes below the granular map or struct ``value`` of type ``spec``."""
    map_type = spec is not None and spec.startswith("{}")
    for key, child in value.items():
        cpath = (*path, ("f", str(key)))
        _node(child, _field_type(spec, key), (_struct(spec), str(key)), cpath, out)
        if map_type or (spec not in (None, "object") and _struct(spec) is None):
            out.add(cpath)  # an entry of a map type is owned itself, whatever it holds


def _node(value: Any, spec: str | None, where: tuple[str | None, str], path: Path, out: set[Path]) -> None:
    if isinstance(value, Mapping) and value and not _is_atomic(spec):
        _to_set(value, spec, path, out)
        return
    if isinstance(value, list) and value:
        ltype, keys = _list_type(*where)
        if ltype == "atomic":
            out.add(path)
            return
        elem = spec[2:] if spec is not None and spec.startswith("[]") else None
        for i, item in enumerate(value):
            ipath = (*path, _item_pe(item, i, ltype, keys))
            out.add(ipath)
            if ltype == "map" and isinstance(item, Mapping):
                _to_set(item, elem, ipath, out)
        return
    out.add(path)  # a scalar, null, an empty map or list, an atomic struct


def _is_atomic(spec: str | None) -> bool:
    return spec is not None and (spec in _SCALARS or spec in ATOMIC_STRUCTS)


def _leaves(value: Mapping[str, Any], kind: str) -> dict[Path, Any]:
    """Every owned node of an object with its value (leaves, associative items, atomic values)."""
    nodes: set[Path] = set()
    _to_set(value, ROOTS.get(kind), (), nodes)
    return {p: _at(value, p) for p in nodes}


def _at(value: Any, rel: Path) -> Any:
    for kind, key in rel:
        if kind == "f":
            value = value.get(key) if isinstance(value, Mapping) else None
        elif kind == "i":
            value = value[key] if isinstance(value, list) and isinstance(key, int) and key < len(value) else None
        elif isinstance(value, list):
            value = next((v for v in value if _matches(v, kind, key)), None)
        else:
            value = None
    return value


def _matches(item: Any, kind: str, key: Any) -> bool:
    if kind == "v":
        return bool(_json(item) == key)
    return isinstance(item, Mapping) and all(_json(item.get(k, _KEY_DEFAULTS.get(k))) == v for k, v in key)


def _compare(old: Mapping[str, Any] | None, new: Mapping[str, Any], kind: str) -> tuple[FieldSet, FieldSet, FieldSet]:
    """(added, modified, removed) between two objects (``TypedValue.Compare``)."""
    a = _leaves(old, kind) if old is not None else {}
    b = _leaves(new, kind)
    added = frozenset(p for p in b if p not in a and not _inside_leaf(p, a))
    removed = frozenset(p for p in a if p not in b and not _inside_leaf(p, b))
    modified = frozenset(p for p in b if p in a and _json(a[p]) != _json(b[p]) and not _is_item(p))
    return added, modified, removed


def _is_item(path: Path) -> bool:
    return bool(path) and path[-1][0] in ("k", "v")


def _inside_leaf(path: Path, nodes: Mapping[Path, Any]) -> bool:
    """A node below something the other side holds as a leaf (a map that became atomic, a value that
    became a map): that leaf's change already counts."""
    return any(path[:i] in nodes and not _is_item(path[:i]) for i in range(1, len(path)))


# ---------------------------------------------------------------------------------------------
# merge and prune
# ---------------------------------------------------------------------------------------------
def _merge(live: Any, config: Any, spec: str | None, where: tuple[str | None, str] | None) -> Any:
    """``config`` merged into ``live`` (``TypedValue.Merge``)."""
    if isinstance(live, Mapping) and isinstance(config, Mapping) and not _is_atomic(spec):
        out = {}
        for key in [*live.keys(), *(k for k in config if k not in live)]:
            if key in live and key in config:
                out[key] = _merge(live[key], config[key], _field_type(spec, key), (_struct(spec), key))
            else:
                out[key] = _plain(live[key] if key in live else config[key])
        return out
    if isinstance(live, list) and isinstance(config, list) and where is not None:
        ltype, keys = _list_type(*where)
        if ltype != "atomic":
            elem = spec[2:] if spec is not None and spec.startswith("[]") else None
            cfg = {_item_pe(item, i, ltype, keys): item for i, item in enumerate(config)}
            seen = set()
            merged = []
            for i, item in enumerate(live):
                pe = _item_pe(item, i, ltype, keys)
                seen.add(pe)
                merged.append(_merge(item, cfg[pe], elem, None) if pe in cfg else _plain(item))
            merged.extend(_plain(item) for pe, item in cfg.items() if pe not in seen)
            return merged
    return _plain(config)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _remove(obj: Any, path: Path) -> Any:
    """``obj`` without the node at ``path`` (a field or an associative list item)."""
    if not path or not isinstance(obj, Mapping | list):
        return obj
    (kind, key), rest = path[0], path[1:]
    if isinstance(obj, Mapping):
        if kind != "f" or key not in obj:
            return obj
        if not rest:
            return {k: v for k, v in obj.items() if k != key}
        return {**obj, str(key): _remove(obj[str(key)], rest)}
    out = []
    for i, item in enumerate(obj):
        hit = (kind == "i" and i == key) or (kind in ("k", "v") and _matches(item, kind, key))
        if hit and not rest:
            continue
        out.append(_remove(item, rest) if hit else item)
    return out


# ---------------------------------------------------------------------------------------------
# the managedFields list
# ---------------------------------------------------------------------------------------------
def _decode(entries: Any) -> dict[Manager, _Entry]:
    out: dict[Manager, _Entry] = {}
    for e in entries or ():
        if not isinstance(e, Mapping):
            continue
        op = e.get("operation", "")
        m = Manager(str(e.get("manager", "")), str(op), str(e.get("apiVersion", "")) if op == "Update" else "",
                    str(e.get("subresource", "")))
        out[m] = _Entry(_from_fields_v1(e.get("fieldsV1") or {}, ()), str(e.get("apiVersion", "")), e.get("time"))
    return out


def _from_fields_v1(node: Mapping[str, Any], path: Path) -> FieldSet:
    out: set[Path] = set()
    for key, child in node.items():
        if key == ".":
            out.add(path)
            continue
        pe = _parse_pe(key)
        if pe is None:
            continue
        cpath = (*path, pe)
        if isinstance(child, Mapping) and child:
            out |= _from_fields_v1(child, cpath)
        else:
            out.add(cpath)
    return frozenset(out)


def _parse_pe(text: str) -> PE | None:
    kind, _, rest = text.partition(":")
    try:
        if kind == "f":
            return ("f", rest)
        if kind == "i":
            return ("i", int(rest))
        if kind == "v":
            return ("v", _json(json.loads(rest)))
        if kind == "k":
            parsed = json.loads(rest)
            return ("k", tuple(sorted((str(k), _json(v)) for k, v in parsed.items())))
    except (ValueError, AttributeError):
        return None
    return None


def _pe_sort(pe: PE) -> tuple[int, Any]:
    order = {"f": 0, "k": 1, "v": 2, "i": 3}[pe[0]]
    return order, pe[1] if not isinstance(pe[1], int) else (pe[1],)


def _pe_text(pe: PE) -> str:
    kind, key = pe
    if kind == "k":
        assert isinstance(key, tuple)
        return "k:{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in key) + "}"
    return f"{kind}:{key}"


def fields_v1(fields: Iterable[Path]) -> dict[str, Any]:
    """A field set as ``FieldsV1`` (``fieldpath.Set.ToJSON``)."""
    root: dict[str, Any] = {}
    members: set[Path] = set(fields)
    for path in sorted(members, key=lambda p: [_pe_sort(pe) for pe in p]):
        node = root
        for pe in path:
            node = node.setdefault(_pe_text(pe), {})
    return _order(root, members, ())


def _order(node: dict[str, Any], members: set[Path], path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    children = [k for k in node]
    if path and path in members and children:
        out["."] = {}
    for key in sorted(children, key=lambda k: _pe_sort(_parse_pe(k) or ("f", k))):
        pe = _parse_pe(key) or ("f", key)
        out[key] = _order(node[key], members, (*path, pe))
    return out


def path_string(path: Path) -> str:
    """``fieldpath.Path.String``: ``.spec.template.spec.containers[name="app"].image``."""
    out = []
    for kind, key in path:
        if kind == "f":
            out.append(f".{key}")
        elif kind == "k":
            assert isinstance(key, tuple)
            out.append("[" + ",".join(f"{k}={v}" for k, v in key) + "]")
        elif kind == "v":
            out.append(f"[={key}]")
        else:
            out.append(f"[{key}]")
    return "".join(out)


def conflict_message(conflicts: Sequence[tuple[Manager, Path]]) -> str:
    """``getConflictMessage``: one conflict on one line; several grouped by manager, managers sorted."""
    if len(conflicts) == 1:
        m, p = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {m.printed()}: {path_string(p)}"
    by: dict[Manager, list[Path]] = {}
    for m, p in conflicts:
        by.setdefault(m, []).append(p)
    lines = []
    for m in sorted(by, key=_identifier):
        lines.append(f"conflicts with {m.printed()}:")
        lines.extend(f"- {path_string(p)}" for p in by[m])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


def _identifier(m: Manager) -> str:
    """The identifier's JSON (what upstream sorts managers by)."""
    d = {"manager": m.manager, "operation": m.operation}
    if m.api_version:
        d["apiVersion"] = m.api_version
    if m.subresource:
        d["subresource"] = m.subresource
    return json.dumps(d, separators=(",", ":"))


def _encode(managers: Mapping[Manager, _Entry]) -> list[dict[str, Any]]:
    out = []
    for m, e in managers.items():
        if not e.fields:
            continue
        d: dict[str, Any] = {"manager": m.manager, "operation": m.operation, "apiVersion": e.api_version}
        if e.time is not None:
            d["time"] = e.time
        d["fieldsType"] = "FieldsV1"
        d["fieldsV1"] = fields_v1(e.fields)
        if m.subresource:
            d["subresource"] = m.subresource
        out.append(d)
    return sorted(out, key=lambda d: (d["operation"], d.get("time") or "", d["manager"], d["apiVersion"],
                                      d.get("subresource", "")))


# ---------------------------------------------------------------------------------------------
# the two operations
# ---------------------------------------------------------------------------------------------
def _ignored(kind: str, subresource: str) -> tuple[str, ...]:
    """The reset fields of the write's strategy: a main-resource write cannot change status, a status
    write cannot change spec (``GetResetFields``)."""
    if subresource == "status":
        return ("spec",)
    return ("status",) if "status" in (TYPES.get(ROOTS.get(kind, "")) or {}) else ()


def _strip(fields: FieldSet, ignored: tuple[str, ...]) -> FieldSet:
    return frozenset(p for p in fields if p not in _STRIPPED and not (p and p[0][0] == "f" and p[0][1] in ignored))


def apply(live: Mapping[str, Any] | None, config: Mapping[str, Any], kind: str, manager: str, *, force: bool,
          now: str, api_version: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | Conflict:
    """Server-side apply of ``config`` by ``manager`` over ``live`` (None: the object is created):
    the merged object (without managedFields) and its new managedFields, or the conflicts."""
    live_plain = _plain(live) if live is not None else {}
    managers = _decode((live_plain.get("metadata") or {}).get("managedFields"))
    me = Manager(manager, "Apply")
    ignored = _ignored(kind, "")
    config_set = _strip(field_set(config, kind), ignored)
    base = _without_managed(live_plain)
    merged = _merge(base, {k: v for k, v in config.items() if k not in ignored}, ROOTS.get(kind), None)
    last = managers.get(me)
    if last is not None:  # prune: what this applier applied last time and no applier claims now
        claimed = config_set.union(*(e.fields for m, e in managers.items() if m.operation == "Apply" and m != me))
        gone: list[Path] = []
        for path in sorted(last.fields - claimed, key=len):  # outermost first; what is below goes with it
            if not any(c[:len(path)] == path for c in claimed) and not any(path[:len(g)] == g for g in gone):
                gone.append(path)
                merged = _remove(merged, path)
    added, modified, removed = _compare(base, merged, kind)
    changed = added | modified
    conflicts = [(m, p) for m, e in sorted(managers.items(), key=lambda x: _identifier(x[0])) if m != me
                 for p in sorted(e.fields & changed, key=path_string)]
    if conflicts and not force:
        return Conflict(tuple(conflicts))
    out: dict[Manager, _Entry] = {}
    for m, e in managers.items():
        if m != me:
            out[m] = attrs.evolve(e, fields=e.fields - changed - removed)
    out[me] = _Entry(config_set, api_version, now)
    return merged, _encode(out)


def update(live: Mapping[str, Any] | None, new: Mapping[str, Any], kind: str, manager: str, *, now: str,
           api_version: str, subresource: str = "") -> list[dict[str, Any]]:
    """The managedFields after a write that is not an apply (create, update, patch) by ``manager``: it
    takes every field it added or modified, and a field it removed leaves every set (``Updater.Update``)."""
    live_plain = _plain(live) if live is not None else {}
    managers = _decode((live_plain.get("metadata") or {}).get("managedFields"))
    me = Manager(manager, "Update", api_version, subresource)
    ignored = _ignored(kind, subresource)
    added, modified, removed = _compare(_without_managed(live_plain) if live is not None else None,
                                        _without_managed(_plain(new)), kind)
    changed = _strip(added | modified, ignored)
    removed = _strip(removed, ignored)
    out: dict[Manager, _Entry] = {}
    for m, e in managers.items():
        out[m] = attrs.evolve(e, fields=e.fields - changed - removed)
    mine = managers.get(me)
    fields = ((mine.fields if mine is not None else frozenset()) - removed) | changed
    time = now if mine is None or fields != mine.fields else mine.time
    out[me] = _Entry(fields, api_version, time)
    return _encode(out)


def _without_managed(obj: Mapping[str, Any]) -> dict[str, Any]:
    md = obj.get("metadata")
    if not isinstance(md, Mapping) or "managedFields" not in md:
        return dict(obj)
    return {**obj, "metadata": {k: v for k, v in md.items() if k != "managedFields"}}
