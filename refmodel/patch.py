"""PATCH bodies: JSON merge patch, JSON patch, strategic merge patch, and kubectl apply's three-way merge.

**Mirrors:**
- RFC 7386 and ``gopkg.in/evanphx/json-patch.v4`` ``merge.go`` (``MergePatch``, ``CreateMergePatch``): the
  ``application/merge-patch+json`` body.
- RFC 6902 as ``gopkg.in/evanphx/json-patch.v4`` ``patch.go`` implements it (``DecodePatch``, ``Patch.Apply``,
  ``findObject``, ``partialDoc``/``partialArray`` add/get/set/remove) and
  ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`` (``jsonPatcher.applyJSPatch``: a decode error
  is a 400, an apply error a 422, more than ``maxJSONPatchOperations`` operations a 413).
- ``staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go``: ``StrategicMergeMapPatch`` (``mergeMap``,
  ``applyRetainKeysDirective``, ``mergePatchIntoOriginal``, ``mergeSlice``, ``mergeSliceWithSpecialElements``,
  ``normalizeElementOrder``, ``mergeSortedSlice``), ``CreateTwoWayMergeMapPatch`` and
  ``CreateThreeWayMergePatch`` (``diffMaps``, ``diffLists``, ``diffListsOfMaps``, ``diffListsOfScalars``); error
  texts from ``staging/src/k8s.io/apimachinery/pkg/util/mergepatch/errors.go`` and their HTTP codes from
  ``handlers/patch.go`` ``interpretStrategicMergePatchError`` (400 for malformed directive lists, 422 for lists of
  lists, anything else is a plain Go error the API server answers with 500 and reason ``""``).
- ``staging/src/k8s.io/apimachinery/pkg/util/jsonmergepatch/patch.go`` ``CreateThreeWayJSONMergePatch``: kubectl
  apply for kinds without Go structs (custom resources).
- The ``patchStrategy``/``patchMergeKey`` struct tags of ``staging/src/k8s.io/api/core/v1/types.go``,
  ``staging/src/k8s.io/api/apps/v1/types.go`` and ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go``
  (:data:`PATCH_META`, one entry per tagged field of the modelled kinds, each cited).

**Modelled:** every directive (``$patch: replace|delete|merge``, ``$retainKeys``,
``$deleteFromPrimitiveList/<field>``, ``$setElementOrder/<field>``), merge keys, the element order rules (patch
order first, then live order), the three-way apply patch (deletions from last-applied, changes from live),
the fixes v1.32 carries (a deletion list deletes whatever the field's strategy, kubernetes PR 110472; a
subtree new to the object loses its nulls and its ``$patch`` maps, PRs 107705 and 117568; a deletion list for an
absent field does nothing) and upstream's quirks where a client can see them (a ``replace`` of a missing object
key adds it in json-patch v4, evanphx/json-patch issue 204, and its ``findObject`` drops a pointer's first token,
so ``""`` names nothing and ``a/b`` means ``/b``; its merge patch prunes nulls inside lists it takes whole, where
RFC 7386 keeps them; ``$patch: merge`` on a map is an unknown patch type; a
new list element is appended as sent; a new patch item goes before live-only items it cannot be ordered against).
Types are found by walking the v1.32 OpenAPI type table (:mod:`refmodel.resources._schema_data`) from the kind's
root struct; a kind outside it knows only ``metadata``.
**Not modelled (and why):** server-side apply is :mod:`refmodel.managedfields` (a merge by field ownership,
not a patch document); the ``overwrite=false``
conflict check of ``CreateThreeWayMergePatch`` (kubectl apply always overwrites); json-patch v5 behaviour (the API
server uses v4); Go's random map order (keys are processed in patch order, which upstream's results do not depend
on); ``$patch`` directives in ``diffMaps``' original (upstream's own TODO says apply never produces them);
``ContainerStatus.volumeMounts`` (tagged merge on ``mountPath`` upstream as far as we know, but no v1.32 source of
its tags could be read, so it replaces whole here); an unknown field in a typed object is not an error here
(``LookupPatchMetadata`` fails upstream only when such a field holds a map or list on both sides; strict decoding
of the patched object reports it).

Every function is pure: inputs (plain or frozen dicts, lists or tuples) are never changed and the result is a new
plain ``dict``/``list`` tree that shares nothing with the inputs. Bad input raises :class:`PatchError`, never
another exception; nesting deeper than :data:`MAX_DEPTH` is refused before any recursion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .errors import FieldError, Rejection
from .frozen import FrozenDict
from .resources._schema_data import ROOTS, TYPES

__all__ = [
    "MAX_DEPTH",
    "MAX_JSON_PATCH_OPERATIONS",
    "PATCH_META",
    "FieldMeta",
    "PatchError",
    "apply_three_way_merge_patch",
    "create_merge_patch",
    "create_three_way_merge_patch",
    "create_two_way_merge_patch",
    "field_meta",
    "json_merge_patch",
    "json_patch",
    "strategic_merge_patch",
    "three_way_json_merge",
    "three_way_strategic_merge",
]

MAX_DEPTH = 100  # our bound, far below Python's recursion limit; upstream's JSON decoder allows 10,000 levels
MAX_JSON_PATCH_OPERATIONS = 10000  # handlers/patch.go maxJSONPatchOperations

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PREFIX = "$deleteFromPrimitiveList"
_ORDER_PREFIX = "$setElementOrder"
_MAP = "map[string]interface {}"  # the Go type of a decoded JSON object
# exact types of decoded JSON (and of the model's frozen values), checked before the ABC isinstance chains
_SCALAR_TYPES: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_MAP_TYPES: frozenset[type] = frozenset((dict, FrozenDict))
_GO_TYPES: dict[type, str] = {type(None): "nil", bool: "bool", int: "int64", float: "float64", str: "string",
                              dict: _MAP, FrozenDict: _MAP, list: "[]interface {}", tuple: "[]interface {}"}

# mergepatch/errors.go
_ERR_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_ERR_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_ERR_BAD_ORDER_LIST = "invalid patch format of setElementOrder list"
_ERR_LIST_OF_LISTS = "lists of lists are not supported"
_REJECTED_422 = "the server rejected our request due to an error in our request"  # NewGenericServerResponse(422)


class PatchError(Exception):
    """A patch the API server refuses, as its ``Status`` would say it.

    ``code``/``reason``/``message`` are the response's; ``detail`` is the patch library's own error (a
    ``Status`` cause when it differs from the message); ``field`` is where in the document it happened
    (``spec.template.spec.containers[1]``, ``""`` for the whole body).
    """

    def __init__(self, code: int, reason: str, message: str, field: str = "", detail: str = "") -> None:
        super().__init__(message if not detail or detail == message else f"{message}: {detail}")
        self.code = code
        self.reason = reason
        self.message = message
        self.field = field
        self.detail = detail or message

    def rejection(self, kind: str = "", name: str = "") -> Rejection:
        """The error as the model's ``Status`` value."""
        return Rejection(self.reason, self.message, self.code, kind, name,
                         (FieldError("Invalid value", self.field, self.detail),))


def _bad_request(text: str, field: str) -> PatchError:
    return PatchError(400, "BadRequest", text, field)


def _internal(text: str, field: str) -> PatchError:
    """A plain Go error from the patch library: ``ErrorToAPIStatus`` answers 500 with reason ``""``."""
    return PatchError(500, "", text, field)


def _unprocessable(text: str, field: str) -> PatchError:
    return PatchError(422, "Invalid", _REJECTED_422, field, text)


# ---------------------------------------------------------------------------------------------
# patch metadata (the Go struct tags)
# ---------------------------------------------------------------------------------------------
@attrs.frozen
class FieldMeta:
    """The ``patchStrategy``/``patchMergeKey`` tags of one Go struct field."""

    strategy: str = ""  # "merge", "replace" or "" (the default: lists replace, maps merge)
    retain_keys: bool = False  # the tag also says "retainKeys"
    merge_key: str = ""
    cite: str = attrs.field(default="", eq=False)


_NONE = FieldMeta()
_CORE = "staging/src/k8s.io/api/core/v1/types.go"
_APPS = "staging/src/k8s.io/api/apps/v1/types.go"
_META = "staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go"


def _merge(key: str, cite: str) -> FieldMeta:
    return FieldMeta("merge", False, key, cite)


# (struct, json field) -> tags, for every tagged field reachable from the modelled kinds. Untagged lists
# (tolerations, NodeSpec.taints, readinessGates, envFrom, args, NamespaceSpec.finalizers, ...) replace whole.
PATCH_META: dict[tuple[str, str], FieldMeta] = {
    ("ObjectMeta", "ownerReferences"): _merge("uid", f"{_META} ObjectMeta.OwnerReferences"),
    ("ObjectMeta", "finalizers"): _merge("", f"{_META} ObjectMeta.Finalizers"),
    ("PodSpec", "volumes"): FieldMeta("merge", True, "name", f"{_CORE} PodSpec.Volumes"),
    ("PodSpec", "initContainers"): _merge("name", f"{_CORE} PodSpec.InitContainers"),
    ("PodSpec", "containers"): _merge("name", f"{_CORE} PodSpec.Containers"),
    ("PodSpec", "ephemeralContainers"): _merge("name", f"{_CORE} PodSpec.EphemeralContainers"),
    ("PodSpec", "imagePullSecrets"): _merge("name", f"{_CORE} PodSpec.ImagePullSecrets"),
    ("PodSpec", "hostAliases"): _merge("ip", f"{_CORE} PodSpec.HostAliases"),
    ("PodSpec", "topologySpreadConstraints"): _merge("topologyKey", f"{_CORE} PodSpec.TopologySpreadConstraints"),
    ("PodSpec", "schedulingGates"): _merge("name", f"{_CORE} PodSpec.SchedulingGates"),
    ("PodSpec", "resourceClaims"): FieldMeta("merge", True, "name", f"{_CORE} PodSpec.ResourceClaims"),
    ("Container", "ports"): _merge("containerPort", f"{_CORE} Container.Ports"),
    ("Container", "env"): _merge("name", f"{_CORE} Container.Env"),
    ("Container", "volumeMounts"): _merge("mountPath", f"{_CORE} Container.VolumeMounts"),
    ("Container", "volumeDevices"): _merge("devicePath", f"{_CORE} Container.VolumeDevices"),
    ("EphemeralContainer", "ports"): _merge("containerPort", f"{_CORE} EphemeralContainerCommon.Ports"),
    ("EphemeralContainer", "env"): _merge("name", f"{_CORE} EphemeralContainerCommon.Env"),
    ("EphemeralContainer", "volumeMounts"): _merge("mountPath", f"{_CORE} EphemeralContainerCommon.VolumeMounts"),
    ("EphemeralContainer", "volumeDevices"): _merge("devicePath", f"{_CORE} EphemeralContainerCommon.VolumeDevices"),
    ("PodStatus", "conditions"): _merge("type", f"{_CORE} PodStatus.Conditions"),
    ("PodStatus", "podIPs"): _merge("ip", f"{_CORE} PodStatus.PodIPs"),
    ("PodStatus", "hostIPs"): _merge("ip", f"{_CORE} PodStatus.HostIPs"),
    ("PodStatus", "resourceClaimStatuses"): FieldMeta("merge", True, "name", f"{_CORE} PodStatus.ResourceClaimStatuses"),
    ("ContainerStatus", "allocatedResourcesStatus"): _merge("name", f"{_CORE} ContainerStatus.AllocatedResourcesStatus"),
    ("NodeSpec", "podCIDRs"): _merge("", f"{_CORE} NodeSpec.PodCIDRs"),
    ("NodeStatus", "conditions"): _merge("type", f"{_CORE} NodeStatus.Conditions"),
    ("NodeStatus", "addresses"): _merge("type", f"{_CORE} NodeStatus.Addresses"),
    ("ServiceSpec", "ports"): _merge("port", f"{_CORE} ServiceSpec.Ports"),
    ("ServiceStatus", "conditions"): _merge("type", f"{_CORE} ServiceStatus.Conditions"),
    ("NamespaceStatus", "conditions"): _merge("type", f"{_CORE} NamespaceStatus.Conditions"),
    ("PersistentVolumeClaimStatus", "conditions"): _merge("type", f"{_CORE} PersistentVolumeClaimStatus.Conditions"),
    ("DeploymentSpec", "strategy"): FieldMeta("", True, "", f"{_APPS} DeploymentSpec.Strategy"),
    ("DeploymentStatus", "conditions"): _merge("type", f"{_APPS} DeploymentStatus.Conditions"),
    ("ReplicaSetStatus", "conditions"): _merge("type", f"{_APPS} ReplicaSetStatus.Conditions"),
    ("StatefulSetStatus", "conditions"): _merge("type", f"{_APPS} StatefulSetStatus.Conditions"),
}

_OPAQUE = "#opaque"  # a kind without a type table: only its metadata is known


def _root(kind: str) -> str:
    return ROOTS.get(kind, _OPAQUE)


def _child(spec: str | None, key: str) -> tuple[str | None, FieldMeta]:
    """The type spec of field ``key`` of a value of type ``spec``, and the field's tags."""
    if spec is None:
        return None, _NONE
    if spec == _OPAQUE:
        return ("ObjectMeta" if key == "metadata" else None), _NONE
    if spec.startswith("{}"):
        return spec[2:], _NONE
    fields = TYPES.get(spec)
    if fields is None:
        return None, _NONE
    return fields.get(key), PATCH_META.get((spec, key), _NONE)


def _elem(spec: str | None) -> str | None:
    return spec[2:] if spec is not None and spec.startswith("[]") else None


def field_meta(kind: str, path: Sequence[str]) -> FieldMeta:
    """The tags of the field at ``path`` in ``kind`` (``("spec", "template", "spec", "containers")``).

    List elements are transparent: ``("spec", "containers", "env")`` is a container's ``env``.
    """
    spec: str | None = _root(kind)
    meta = _NONE
    for key in path:
        while spec is not None and spec.startswith("[]"):
            spec = spec[2:]
        spec, meta = _child(spec, key)
    return meta


# ---------------------------------------------------------------------------------------------
# helpers: copying, depth, Go-like rendering and typing
# ---------------------------------------------------------------------------------------------
def _check_depth(value: Any, what: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and object keys that are not strings (no JSON has them), without
    recursing."""
    if type(value) in _SCALAR_TYPES:
        return
    scalars = _SCALAR_TYPES
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        t = type(node)
        if t in _MAP_TYPES or isinstance(node, Mapping):
            for key in node:
                if type(key) is not str and not isinstance(key, str):
                    raise _bad_request(f"{what} has an object key that is not a string: {key!r}", "")
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if depth >= MAX_DEPTH:
            raise _bad_request(f"{what} is nested deeper than {MAX_DEPTH} levels", "")
        depth += 1
        for c in children:
            if type(c) not in scalars:  # the commonest nodes, told by exact type (an ABC isinstance costs more)
                stack.append((c, depth))


def _copy(value: Any) -> Any:
    """A plain copy (``dict`` and ``list``) of a decoded JSON value, frozen or not."""
    t = type(value)
    if t is dict or t is FrozenDict:  # a str leaf, the commonest value, is kept without a call
        return {k: v if type(v) is str else _copy(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [v if type(v) is str else _copy(v) for v in value]
    if t in _SCALAR_TYPES:
        return value
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _go_type(value: Any) -> str:
    """The Go type a decoded JSON value has (``UnmarshalCaseSensitivePreserveInts``)."""
    exact = _GO_TYPES.get(type(value))
    if exact is not None:
        return exact
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return _MAP
    if isinstance(value, list | tuple):
        return "[]interface {}"
    return type(value).__name__


def _go_eq(a: Any, b: Any) -> bool:
    """Go's ``==`` on two ``interface{}`` scalars: same type and same value."""
    return _go_type(a) == _go_type(b) and a == b


def _go_float(f: float) -> str:
    if f != f or f in (float("inf"), float("-inf")):
        return repr(f)
    if f.is_integer() and abs(f) < 1e21:
        whole = str(int(abs(f)))
        exp = len(whole) - 1
        if exp < 21 and exp >= 6:
            digits = whole.rstrip("0")
            mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
            return ("-" if f < 0 else "") + f"{mant}e+{exp:02d}"
        return str(int(f))
    return repr(f)


def _go_fmt(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` for a decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go_fmt(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_go_fmt(v) for v in value) + "]"
    return str(value)


def _path(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def _json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


# ---------------------------------------------------------------------------------------------
# JSON merge patch (RFC 7386)
# ---------------------------------------------------------------------------------------------
def json_merge_patch(doc: Any, patch: Any) -> Any:
    """Apply an ``application/merge-patch+json`` body: null deletes, objects merge, anything else replaces.

    As json-patch v4 ``MergePatch`` does it (RFC 7386 but for null pruning inside lists, see ``_merge_v4``).

    An API object (a mapping) only takes an object patch: a null or scalar patch is json-patch v4's
    ``Invalid JSON Patch`` (answered 500), a list cannot be decoded into the object (422).
    """
    _check_depth(doc, "the object")
    _check_depth(patch, "the patch")
    if isinstance(doc, Mapping) and not isinstance(patch, Mapping):
        if isinstance(patch, list | tuple):
            raise PatchError(422, "Invalid", f'patch: Invalid value: "{_json_text(patch)}": '
                             "json: cannot unmarshal array into Go value of type map[string]interface {}", "patch")
        raise _internal("Invalid JSON Patch", "")
    return _merge_v4(doc, patch)


def _merge_v4(target: Any, patch: Any) -> Any:
    """json-patch v4 ``merge``/``mergeDocs``: RFC 7386, except that a value taken whole has its nulls pruned
    inside lists too (``pruneNulls``), and a non-object patch for an object is taken as it is."""
    if isinstance(target, Mapping) and isinstance(patch, Mapping):
        out = {k: _copy(v) for k, v in target.items()}
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif out.get(key) is None:
                out[key] = _prune_nulls(value)
            else:
                out[key] = _merge_v4(target[key], value)
        return out
    if isinstance(target, Mapping):
        return _copy(patch)
    return _prune_nulls(patch)


def _prune_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_prune_nulls(v) for v in value if v is not None]
    return value


def create_merge_patch(original: Any, modified: Any) -> Any:
    """The merge patch that turns ``original`` into ``modified`` (json-patch ``CreateMergePatch``).

    Lists are compared whole. A ``null`` inside ``modified`` cannot be expressed (RFC 7386 section 3).
    """
    _check_depth(original, "the original")
    _check_depth(modified, "the modified object")
    if isinstance(original, Mapping) and isinstance(modified, Mapping):
        return _diff_rfc7386(original, modified)
    return _copy(modified)


def _diff_rfc7386(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, bv in b.items():
        if key not in a:
            out[key] = _copy(bv)
            continue
        av = a[key]
        if isinstance(av, Mapping) and isinstance(bv, Mapping):
            sub = _diff_rfc7386(av, bv)
            if sub:
                out[key] = sub
        elif not _json_equal(av, bv):
            out[key] = _copy(bv)
    for key in a:
        if key not in b:
            out[key] = None
    return out


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------------------------------------
# JSON patch (RFC 6902, as json-patch v4 applies it)
# ---------------------------------------------------------------------------------------------
_MISSING = object()
_ATOI = re.compile(r"[+-]?[0-9]+")


def _atoi(text: str) -> int | str:
    """Go's ``strconv.Atoi``: the number, or its error text."""
    if not _ATOI.fullmatch(text):
        return f'strconv.Atoi: parsing "{text}": invalid syntax'
    if len(text.lstrip("+-").lstrip("0")) > 19:
        return f'strconv.Atoi: parsing "{text}": value out of range'
    value = int(text)
    if not -(2**63) <= value < 2**63:
        return f'strconv.Atoi: parsing "{text}": value out of range'
    return value


def _unescape(token: str) -> str:
    return re.sub("~[01]", lambda m: "/" if m.group() == "~1" else "~", token)


class _OpFailed(Exception):
    """One operation's error text (json-patch's ``errors.Wrapf`` chain)."""


def json_patch(doc: Any, ops: Any) -> Any:
    """Apply an ``application/json-patch+json`` body (a list of operations) to ``doc``."""
    _check_depth(doc, "the object")
    _check_depth(ops, "the patch")
    if not isinstance(ops, list | tuple):
        raise _bad_request(f"json: cannot unmarshal {_json_kind(ops)} into Go value of type jsonpatch.Patch", "")
    for op in ops:
        if op is not None and not isinstance(op, Mapping):
            raise _bad_request(
                f"json: cannot unmarshal {_json_kind(op)} into Go value of type jsonpatch.Operation", "")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise PatchError(413, "RequestEntityTooLarge", "Request entity too large: The allowed maximum operations "
                         f"in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}", "")
    root = {"": _copy(doc)}  # a holder, so the document itself can be replaced in place
    for index, op in enumerate(ops):
        try:
            _apply_op(root, op or {})
        except _OpFailed as exc:
            raise _unprocessable(str(exc), f"[{index}]") from None
    return root[""]


def _json_kind(value: Any) -> str:
    return {"nil": "null", "bool": "bool", "int64": "number", "float64": "number", "string": "string",
            "[]interface {}": "array"}.get(_go_type(value), "object")


def _op_kind(op: Mapping[str, Any]) -> str:
    kind = op.get("op")
    return kind if isinstance(kind, str) else "unknown"


def _op_string(op: Mapping[str, Any], field: str) -> str | None:
    """The ``path``/``from`` member, None when absent; raises its decode error when not a string."""
    value = op.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _OpFailed(f"json: cannot unmarshal {_json_kind(value)} into Go value of type string")
    return value


def _read_path(op: Mapping[str, Any], verb: str, field: str = "path") -> str:
    missing = "operation missing path field" if field == "path" else "operation, missing from field"
    try:
        value = _op_string(op, field)
    except _OpFailed as exc:
        if field == "path" and verb in ("add", "remove", "copy"):
            raise _OpFailed(f"{verb} operation failed to decode path: missing value") from None
        raise _OpFailed(f"{verb} operation failed to decode {field}: {exc}") from None
    if value is None:
        if field == "path" and verb in ("add", "remove", "copy"):
            raise _OpFailed(f"{verb} operation failed to decode path: missing value")
        raise _OpFailed(f"{verb} operation failed to decode {field}: {missing}: missing value")
    return value


def _find_container(root: dict[str, Any], path: str) -> tuple[Any, str] | None:
    """json-patch v4 ``findObject``: the container holding the last token, or None."""
    tokens = path.split("/")
    if len(tokens) < 2:
        return None
    node: Any = root[""]
    for token in tokens[1:-1]:
        node = _get(node, _unescape(token))
        if node is _MISSING or not isinstance(node, dict | list):
            return None
    if not isinstance(node, dict | list):
        return None
    return node, _unescape(tokens[-1])


def _index(container: list[Any], key: str, extra: int = 0) -> int:
    idx = _atoi(key)
    if isinstance(idx, str):
        raise _OpFailed(idx)
    size = len(container) + extra
    if idx >= size or idx < -size:
        raise _OpFailed(f"Unable to access invalid index: {idx}: invalid index referenced")
    return idx + size if idx < 0 else idx


def _get(container: Any, key: str) -> Any:
    """``get``: a missing object key is a nil node, not an error; a JSON null counts as missing."""
    if isinstance(container, dict):
        value = container.get(key)
        return _MISSING if value is None else value
    if isinstance(container, list):
        try:
            value = container[_index(container, key)]
        except _OpFailed:
            return _MISSING
        return _MISSING if value is None else value
    return _MISSING


def _apply_op(root: dict[str, Any], op: Mapping[str, Any]) -> None:
    kind = _op_kind(op)
    if kind not in ("add", "remove", "replace", "move", "test", "copy"):
        raise _OpFailed(f"Unexpected kind: {kind}")
    if kind in ("move", "copy"):
        _move_or_copy(root, op, kind)
        return
    path = _read_path(op, kind)
    found = _find_container(root, path)
    if found is None:
        missing = {"add": f'add operation does not apply: doc is missing path: "{path}"',
                   "remove": f'remove operation does not apply: doc is missing path: "{path}"',
                   "replace": f"replace operation does not apply: doc is missing path: {path}",
                   "test": f"test operation does not apply: is missing path: {path}"}[kind]
        raise _OpFailed(f"{missing}: missing value")
    container, key = found
    value = _copy(op.get("value"))
    if kind == "add":
        _add(container, key, value, f"error in add for path: '{path}'")
    elif kind == "remove":
        _remove(container, key, f"error in remove for path: '{path}'")
    elif kind == "replace":
        if isinstance(container, list):
            try:
                idx = _index(container, key)
            except _OpFailed:
                raise _OpFailed(f"replace operation does not apply: doc is missing key: {path}: missing value") from None
            container[idx] = value
        else:
            container[key] = value  # v4 quirk: replacing a missing object key adds it (evanphx/json-patch#204)
    else:
        _test(container, key, op, path)


def _add(container: Any, key: str, value: Any, context: str) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    idx = _atoi(key)
    if isinstance(idx, str):
        raise _OpFailed(f"{context}: value was not a proper array index: '{key}': {idx}")
    try:
        pos = _index(container, key, extra=1)
    except _OpFailed as exc:
        raise _OpFailed(f"{context}: {exc}") from None
    container.insert(pos, value)


def _remove(container: Any, key: str, context: str) -> Any:
    if isinstance(container, dict):
        if key not in container:
            raise _OpFailed(f"{context}: Unable to remove nonexistent key: {key}: missing value")
        return container.pop(key)
    try:
        return container.pop(_index(container, key))
    except _OpFailed as exc:
        raise _OpFailed(f"{context}: {exc}") from None


def _test(container: Any, key: str, op: Mapping[str, Any], path: str) -> None:
    if isinstance(container, list):
        try:
            _index(container, key)
        except _OpFailed as exc:
            raise _OpFailed(f"error in test for path: '{path}': {exc}") from None
    current = _get(container, key)
    want = op.get("value", _MISSING)
    if current is _MISSING:
        ok = want is None  # a missing or null target equals an explicit null
    else:
        ok = want is not _MISSING and _json_equal(current, want)
    if not ok:
        raise _OpFailed(f"testing value {path} failed: test failed")


def _move_or_copy(root: dict[str, Any], op: Mapping[str, Any], kind: str) -> None:
    source = _read_path(op, kind, "from")
    found = _find_container(root, source)
    if found is None:
        raise _OpFailed(f"{kind} operation does not apply: doc is missing from path: {source}: missing value")
    container, key = found
    if kind == "move":
        if isinstance(container, list):
            try:
                _index(container, key)
            except _OpFailed as exc:
                raise _OpFailed(f"error in move for path: '{key}': {exc}") from None
        value = _remove(container, key, f"error in move for path: '{key}'")
    else:
        if isinstance(container, list):
            try:
                _index(container, key)
            except _OpFailed as exc:
                raise _OpFailed(f"error in copy for from: '{source}': {exc}") from None
        got = _get(container, key)
        value = None if got is _MISSING else _copy(got)
    path = _read_path(op, kind)
    found = _find_container(root, path)
    if found is None:
        raise _OpFailed(f"{kind} operation does not apply: doc is missing destination path: {path}: missing value")
    target, tkey = found
    context = f"error in move for path: '{path}'" if kind == "move" else "error while adding value during copy"
    _add(target, tkey, value, context)


# ---------------------------------------------------------------------------------------------
# strategic merge patch: applying (StrategicMergeMapPatch)
# ---------------------------------------------------------------------------------------------
@attrs.frozen
class _MergeOptions:
    merge_parallel_list: bool  # server side: deletion lists and $setElementOrder are applied, not kept
    ignore_unmatched_nulls: bool


_SERVER = _MergeOptions(True, True)
_PATCH_OF_PATCHES = _MergeOptions(False, False)


def strategic_merge_patch(doc: Mapping[str, Any], patch: Any, kind: str) -> dict[str, Any]:
    """Apply an ``application/strategic-merge-patch+json`` body to an object of ``kind``."""
    _check_depth(doc, "the object")
    _check_depth(patch, "the patch")
    if not isinstance(patch, Mapping):
        raise _bad_request("invalid JSON document", "")  # handleUnmarshal: mergepatch.ErrBadJSONDoc
    return _merge_map(doc, patch, _root(kind), _SERVER, "")


def _merge_map(original: Mapping[str, Any] | None, patch: Mapping[str, Any], spec: str | None,
               opts: _MergeOptions, at: str) -> dict[str, Any]:
    """``mergeMap``: ``patch`` merged into a copy of ``original`` (which is left as it was)."""
    return _merge_into(_copy(original) if original else {}, patch, spec, opts, at)


def _merge_into(out: dict[str, Any], patch: Mapping[str, Any], spec: str | None, opts: _MergeOptions,
                at: str) -> dict[str, Any]:
    """``mergeMap`` on ``out``, a plain copy no one else holds: merged in place (each node is copied once, by
    :func:`_merge_map`, however deep the patch reaches), and returned (or what replaces it)."""
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            return {k: _copy(v) for k, v in patch.items() if k != _DIRECTIVE}
        if directive == "delete":
            return {}
        raise _internal(f"unknown patch type: {_go_fmt(directive)} in map: {_go_fmt(patch)}", at)
    todo = dict(patch)
    _apply_retain_keys(out, todo, opts, at)
    _merge_ordered_lists(out, todo, spec, opts, at)
    for key, value in todo.items():
        delete_list = False
        if key.startswith(_DELETE_PREFIX):
            if not opts.merge_parallel_list:
                out[key] = _copy(value)
                continue
            key = _extract_key(key, _DELETE_PREFIX, at)
            delete_list = True
        where = _path(at, key)
        if value is None:
            out.pop(key, None)
            if opts.ignore_unmatched_nulls:
                continue
        if key not in out or _go_type(out[key]) != _go_type(value):
            # a new (or retyped) subtree is taken from the patch, less its nulls (server side) and any
            # "$patch" maps (kubernetes PRs 107705 and 117568); a deletion list for it changes nothing
            if not delete_list:
                taken = _copy(value)
                if opts.ignore_unmatched_nulls:
                    taken = _without_nulls(taken)
                taken, keep = _remove_directives(taken)
                if keep:
                    out[key] = taken
                else:
                    out.pop(key, None)
            continue
        current = out[key]
        child, meta = _child(spec, key)
        if isinstance(current, dict):
            out[key] = _copy(value) if meta.strategy == "replace" else _merge_into(current, value, child, opts, where)
        elif isinstance(current, list):
            out[key] = _merge_slice_handler(current, value, child, meta, delete_list, opts, where)
        else:
            out[key] = value
    return out


def _without_nulls(value: Any) -> Any:
    """``discardNullValuesFromPatch``: drop null map values, at any depth (list items stay)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _remove_directives(value: Any) -> tuple[Any, bool]:
    """``removeDirectives``: a map holding ``$patch`` disappears (from its parent map or list)."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        out = {}
        for k, v in value.items():
            v, keep = _remove_directives(v)
            if keep:
                out[k] = v
        return out, True
    if isinstance(value, list):
        items = []
        for v in value:
            v, keep = _remove_directives(v)
            if keep:
                items.append(v)
        return items, True
    return value, True


def _extract_key(key: str, prefix: str, at: str) -> str:
    head, sep, rest = key.partition("/")
    if not sep or head != prefix:
        raise _bad_request(_ERR_BAD_PRIMITIVE_LIST if prefix == _DELETE_PREFIX else _ERR_BAD_ORDER_LIST, at)
    return rest


def _apply_retain_keys(out: dict[str, Any], patch: dict[str, Any], opts: _MergeOptions, at: str) -> None:
    if _RETAIN_KEYS not in patch:
        return
    keep = patch.pop(_RETAIN_KEYS)
    if not opts.merge_parallel_list:
        if _RETAIN_KEYS in out and not _json_equal(out[_RETAIN_KEYS], keep):
            raise _internal(f"{_go_fmt(out[_RETAIN_KEYS])} and {_go_fmt(keep)} are not deep equal: this may "
                            "happen when calculating the 3-way diff patch", at)
        out.setdefault(_RETAIN_KEYS, _copy(keep))
        return
    if not isinstance(keep, list | tuple) or any(isinstance(k, Mapping | list | tuple) for k in keep):
        raise _bad_request(_ERR_BAD_RETAIN_KEYS, at)
    kept = set(keep)
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_PREFIX, _ORDER_PREFIX)):
            continue
        if key not in kept:
            raise _bad_request(_ERR_BAD_RETAIN_KEYS, at)
    for key in [k for k in out if k not in kept]:
        del out[key]


def _merge_ordered_lists(out: dict[str, Any], patch: dict[str, Any], spec: str | None, opts: _MergeOptions,
                         at: str) -> None:
    """``mergePatchIntoOriginal``: each ``$setElementOrder/<field>`` with its list."""
    for key in [k for k in patch if k.startswith(_ORDER_PREFIX)]:
        order = patch.pop(key)
        if not opts.merge_parallel_list:
            if key in out and not _json_equal(out[key], order):
                raise _bad_request(_ERR_BAD_ORDER_LIST, at)
            out.setdefault(key, _copy(order))
        if not isinstance(order, list | tuple):
            raise _internal(f"expected a []interface {{}}, but received a {_go_type(order)}", at)
        field = _extract_key(key, _ORDER_PREFIX, at)
        where = _path(at, field)
        found_original, found_patch = field in out, field in patch
        live, given = out.get(field), patch.get(field)
        for value in (live if found_original else [], given if found_patch else []):
            if not isinstance(value, list | tuple):
                raise _internal(f"expected a []interface {{}}, but received a {_go_type(value)}", where)
        child, meta = _child(spec, field)
        _validate_order(given if found_patch else [], order, meta.merge_key, where)
        if found_original and not found_patch:
            merged = list(live)  # type: ignore[arg-type]
        elif found_patch and not found_original:
            merged = _remove_directives(_copy(given))[0]
        elif found_original and found_patch:
            merged = _merge_slice_handler(live, given, child, meta, False, opts, where)  # type: ignore[arg-type]
        else:
            continue
        if meta.merge_key:
            in_patch, server_only = _partition_maps(merged, order, meta.merge_key, where)
        else:
            in_patch, server_only = _partition_scalars(merged, order)
        kind = _element_kind([live or [], given or []], where)
        out[field] = _normalize_element_order(in_patch, server_only, order, live or [], meta.merge_key, kind, where)
        patch.pop(field, None)


def _validate_order(patch_list: Any, order: Sequence[Any], merge_key: str, at: str) -> None:
    """``validatePatchWithSetOrderList``: the patch list's order agrees with ``$setElementOrder``."""
    if not order or not patch_list:
        return
    items = list(patch_list)
    if merge_key:
        items = _split_deletes(items, at)[0]
    p = s = 0
    while p < len(items) and s < len(order):
        if isinstance(items[p], Mapping) and _DIRECTIVE in items[p]:
            p += 1
            continue
        if _merge_key_equal(items[p], order[s], merge_key, at):
            p += 1
        s += 1
    if p < len(items) and s >= len(order):
        raise _internal(f"the order in patch list:\n{_go_fmt(patch_list)}\n doesn't match {_ORDER_PREFIX} list:\n"
                        f"{_go_fmt(order)}", at)


def _merge_key_equal(left: Any, right: Any, merge_key: str, at: str) -> bool:
    if not merge_key:
        return _go_eq(left, right)
    for side in (left, right):
        if not isinstance(side, Mapping):
            raise _internal(f"expected a map[string]interface {{}}, but received a {_go_type(side)}", at)
        if merge_key not in side:
            raise _no_merge_key(side, merge_key, at)
    return _go_eq(left[merge_key], right[merge_key])


def _no_merge_key(item: Mapping[str, Any], merge_key: str, at: str) -> PatchError:
    return _internal(f"map: {_go_fmt(item)} does not contain declared merge key: {merge_key}", at)


def _split_deletes(items: Sequence[Any], at: str) -> tuple[list[Any], list[Any]]:
    """``extractToDeleteItems``."""
    keep: list[Any] = []
    drop: list[Any] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise _internal(f"expected a map[string]interface {{}}, but received a {_go_type(item)}", at)
        (drop if item.get(_DIRECTIVE) == "delete" else keep).append(item)
    return keep, drop


def _element_kind(lists: Sequence[Sequence[Any]], at: str) -> str:
    """``sliceElementType``: the one Go type of every element."""
    kind = ""
    for items in lists:
        for item in items:
            this = _go_type(item)
            if not kind:
                if this == "[]interface {}":
                    raise PatchError(422, "Invalid", _REJECTED_422, at, _ERR_LIST_OF_LISTS)
                if this == "nil":
                    raise _internal("list elements must not be null", at)
                kind = this
            elif this != kind:
                raise _internal(f"list element types are not identical: {_go_fmt(list(lists))}", at)
    if not kind:
        raise _internal("no elements in any of the given slices", at)
    return kind


def _merge_slice_handler(current: Sequence[Any], value: Sequence[Any], spec: str | None, meta: FieldMeta,
                         delete_list: bool, opts: _MergeOptions, at: str) -> list[Any]:
    """A list field merged: ``current`` is a list of the object being merged (:func:`_merge_into`), whose map
    elements are merged in place."""
    if meta.strategy != "merge" and not delete_list:  # a deletion list deletes whatever the strategy (PR 110472)
        return _copy(value)  # type: ignore[no-any-return]
    return _merge_slice(list(current), list(value), _elem(spec), meta.merge_key, opts, delete_list, at)


def _hash_key(value: Any) -> tuple[str, Any] | None:
    """A dict key with Go's ``==`` on decoded JSON scalars (type and value); None for maps and lists, which Go
    cannot compare (such a value is found nowhere, as upstream's ``sliceOrderIndex`` treats it)."""
    kind = _go_type(value)
    if kind in (_MAP, "[]interface {}"):
        return None
    try:
        hash(value)
    except TypeError:  # not a JSON value at all
        return None
    return kind, value


class _Positions:
    """``index`` over one list, built once: the first position of each element (of its merge key, for maps)."""

    def __init__(self, order: Sequence[Any], merge_key: str, kind: str) -> None:
        self._maps = kind == _MAP
        self._merge_key = merge_key
        self._first: dict[tuple[str, Any], int] = {}
        for i, item in enumerate(order):
            key = _hash_key(self._key(item))
            if key is not None:
                self._first.setdefault(key, i)

    def _key(self, item: Any) -> Any:
        if self._maps:
            return item.get(self._merge_key) if isinstance(item, Mapping) else None
        return item

    def find(self, item: Any) -> int:
        key = _hash_key(self._key(item))
        return -1 if key is None else self._first.get(key, -1)


def _merge_slice(original: list[Any], patch: list[Any], elem: str | None, merge_key: str, opts: _MergeOptions,
                 delete_list: bool, at: str) -> list[Any]:
    if not original and not patch:
        return []
    kind = _element_kind([original, patch], at)
    if kind != _MAP:
        if opts.merge_parallel_list and delete_list:
            gone = {_hash_key(v) for v in patch}
            return [v for v in original if _hash_key(v) not in gone]
        merged: list[Any] = []
        seen: set[Any] = set()
        for v in original + patch:
            if _hash_key(v) not in seen:
                seen.add(_hash_key(v))
                merged.append(v)
    else:
        if not merge_key:
            raise _internal(f"cannot merge lists without merge key for {elem or 'object'}", at)
        original, patch = _merge_special_elements(original, patch, merge_key, at)
        merged = list(original)  # the elements are the caller's copies (_merge_slice_handler): merged in place
        where: dict[Any, int] = {}
        for i, v in enumerate(merged):
            if merge_key in v:
                where.setdefault(_hash_key(v[merge_key]), i)
        for index, item in enumerate(patch):
            if merge_key not in item:
                raise _no_merge_key(item, merge_key, at)
            key = _hash_key(item[merge_key])
            pos = where.get(key) if key is not None else None
            if pos is None:
                merged.append(_copy(item))
                where.setdefault(key, len(merged) - 1)
            else:
                merged[pos] = _merge_into(merged[pos], item, elem, opts, f"{at}[{index}]")
    if merge_key:
        in_patch, server_only = _partition_maps(merged, patch, merge_key, at)
    else:
        in_patch, server_only = _partition_scalars(merged, patch)
    return _normalize_element_order(in_patch, server_only, patch, original, merge_key, kind, at)


def _merge_special_elements(original: list[Any], patch: list[Any], merge_key: str,
                            at: str) -> tuple[list[Any], list[Any]]:
    """``mergeSliceWithSpecialElements``: ``$patch: delete`` entries (every live entry with that key goes) and
    ``$patch: replace`` (the patch's other entries are the list)."""
    plain: list[Any] = []
    gone: set[Any] = set()
    replace = False
    for item in patch:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key, at)
            gone.add(_hash_key(item[merge_key]))
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _internal("merging lists cannot yet be specified in the patch", at)
        else:
            raise _internal(f"unknown patch type: {_go_fmt(directive)} in map: {_go_fmt(item)}", at)
    if replace:
        return plain, []
    gone.discard(None)
    kept = [v for v in original if not (merge_key in v and _hash_key(v[merge_key]) in gone)]
    return kept, plain


def _partition_scalars(items: Sequence[Any], by: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    keys = {_hash_key(b) for b in by} - {None}
    return [v for v in items if _hash_key(v) in keys], [v for v in items if _hash_key(v) not in keys]


def _partition_maps(items: Sequence[Any], by: Sequence[Any], merge_key: str,
                    at: str) -> tuple[list[Any], list[Any]]:
    for i, other in enumerate(by):
        if not isinstance(other, Mapping):
            raise _internal(f"value for key {i} is not a map", at)
    keys = {_hash_key(other[merge_key]) for other in by if merge_key in other} - {None}
    in_by: list[Any] = []
    rest: list[Any] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise _internal(f"expected a {_MAP}, but received a {_go_type(item)}", at)
        if merge_key not in item:
            raise _no_merge_key(item, merge_key, at)
        (in_by if _hash_key(item[merge_key]) in keys else rest).append(item)
    return in_by, rest


def _normalize_slice_order(items: list[Any], order: Sequence[Any], merge_key: str, kind: str,
                           at: str) -> list[Any]:
    """``normalizeSliceOrder``: sort by position in ``order``; ``$patch: delete`` entries last."""
    drop: list[Any] = []
    if kind == _MAP:
        for lst in (items, order):
            for item in lst:
                if not isinstance(item, Mapping):
                    raise _internal(f"expected a {_MAP}, but received a {_go_type(item)}", at)
                if merge_key not in item:
                    raise _no_merge_key(item, merge_key, at)
        items, drop = _split_deletes(items, at)
    index = _Positions(order, merge_key, kind)
    positions = [index.find(item) for item in items]
    if all(p >= 0 for p in positions):
        items = [item for _, item in sorted(zip(positions, items, strict=True), key=lambda pair: pair[0])]
    return items + drop


def _normalize_element_order(in_patch: list[Any], server_only: list[Any], patch_order: Sequence[Any],
                             server_order: Sequence[Any], merge_key: str, kind: str, at: str) -> list[Any]:
    """``normalizeElementOrder`` + ``mergeSortedSlice``: patch order first, live items interleaved by live order."""
    right = _normalize_slice_order(in_patch, patch_order, merge_key, kind, at)
    left = _normalize_slice_order(server_only, server_order, merge_key, kind, at)
    live = _Positions(server_order, merge_key, kind)
    out: list[Any] = []
    i = j = 0
    while i < len(left) and j < len(right):
        li, ri = live.find(left[i]), live.find(right[j])
        if li >= 0 and ri >= 0 and li < ri:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


# ---------------------------------------------------------------------------------------------
# strategic merge patch: computing (diffMaps), two-way and three-way
# ---------------------------------------------------------------------------------------------
@attrs.frozen
class _DiffOptions:
    set_element_order: bool = True
    ignore_changes_and_additions: bool = False
    ignore_deletions: bool = False
    build_retain_keys: bool = False


def create_two_way_merge_patch(original: Mapping[str, Any], modified: Mapping[str, Any],
                               kind: str) -> dict[str, Any]:
    """``CreateTwoWayMergeMapPatch``: the strategic patch that turns ``original`` into ``modified``."""
    _check_depth(original, "the original")
    _check_depth(modified, "the modified object")
    return _diff_maps(original, modified, _root(kind), _DiffOptions(), "")


def create_three_way_merge_patch(original: Mapping[str, Any] | None, modified: Mapping[str, Any],
                                 current: Mapping[str, Any], kind: str, *, original_is_modified: bool = False
                                 ) -> dict[str, Any]:
    """``CreateThreeWayMergePatch`` with overwrite (kubectl apply): ``original`` is the last-applied object.

    ``original_is_modified``: the caller knows ``original`` is ``modified`` as JSON decodes it (kubectl re-applying
    the manifest it last applied: the same text). The deletions half is then empty (it lists what ``original`` has
    and ``modified`` lacks: keys, and items of merged lists by their merge key, all of which a JSON round trip
    keeps), so it is not computed."""
    for value, what in ((original, "the last-applied object"), (modified, "the manifest"), (current, "the object")):
        _check_depth(value, what)
    spec = _root(kind)
    delta = _diff_maps(current, modified, spec, _DiffOptions(ignore_deletions=True), "")
    if original_is_modified:
        deletions: dict[str, Any] = {}
    else:
        deletions = _diff_maps(original or {}, modified, spec, _DiffOptions(ignore_changes_and_additions=True), "")
    return _merge_map(deletions, delta, spec, _PATCH_OF_PATCHES, "")


def three_way_strategic_merge(original: Mapping[str, Any] | None, modified: Mapping[str, Any],
                              current: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """kubectl apply's client-side merge: the three-way patch applied to ``current``.

    Fields in ``modified`` are set; fields in ``original`` (last-applied) but not in ``modified`` are removed;
    fields others set are kept; keyed lists merge per element; ``retainKeys`` fields drop what ``modified`` omits.
    """
    return apply_three_way_merge_patch(current, create_three_way_merge_patch(original, modified, current, kind), kind)


def apply_three_way_merge_patch(current: Mapping[str, Any], patch: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The second half of :func:`three_way_strategic_merge`: a patch from :func:`create_three_way_merge_patch`
    (whose inputs were checked there) applied to ``current``, as the server applies it."""
    return _merge_map(current, patch, _root(kind), _SERVER, "")


def three_way_json_merge(original: Mapping[str, Any] | None, modified: Mapping[str, Any],
                         current: Mapping[str, Any]) -> dict[str, Any]:
    """kubectl apply for kinds without strategic metadata (``CreateThreeWayJSONMergePatch``, then merge patch)."""
    for value, what in ((original, "the last-applied object"), (modified, "the manifest"), (current, "the object")):
        _check_depth(value, what)
    changes = _keep_nulls(_diff_rfc7386(current, modified), keep=False)
    deletions = _keep_nulls(_diff_rfc7386(original or {}, modified), keep=True)
    patch = _merge_patches(deletions, changes)
    return _merge_v4(current, patch)  # type: ignore[no-any-return]


def _keep_nulls(patch: Mapping[str, Any], keep: bool) -> dict[str, Any]:
    """jsonmergepatch ``keepOrDeleteNullInJsonPatch``: only the deletions, or only the rest."""
    out: dict[str, Any] = {}
    for key, value in patch.items():
        if value is None:
            if keep:
                out[key] = None
        elif isinstance(value, Mapping) and not value:
            if not keep:
                out[key] = {}  # an explicitly empty map is a value, not an empty patch
        elif isinstance(value, Mapping):
            sub = _keep_nulls(value, keep)
            if sub:
                out[key] = sub
        elif not keep:
            out[key] = value
    return out


def _merge_patches(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """json-patch ``MergePatch`` of one patch onto another (nulls in ``base`` stay, they are deletions)."""
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge_patches(out[key], value)
        else:
            out[key] = value
    return out


def _diff_maps(original: Mapping[str, Any], modified: Mapping[str, Any], spec: str | None, opts: _DiffOptions,
               at: str) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    retain: list[str] = []
    build_retain, changes = opts.build_retain_keys, not opts.ignore_changes_and_additions
    scalars = _SCALAR_TYPES
    for key, mv in modified.items():
        if build_retain and mv is not None:
            retain.append(key)
        if key not in original:
            if changes:
                patch[key] = _copy(mv)
            continue
        ov = original[key]
        t = type(ov)
        if t is type(mv) and t in scalars and key != _DIRECTIVE:
            # two scalars of one type (the commonest pair): the same Go type, compared as _json_equal does
            if changes and ov != mv:
                patch[key] = mv
            continue
        where = _path(at, key)
        if key == _DIRECTIVE:
            if not isinstance(ov, str) or not isinstance(mv, str):
                raise _internal("invalid value for special key: $patch", where)
            if ov != mv:
                patch[key] = mv
            continue
        if _go_type(ov) != _go_type(mv):
            if changes:
                patch[key] = _copy(mv)
            continue
        child, meta = _child(spec, key)
        if isinstance(ov, Mapping):
            sub_opts = _with_retain(opts, meta.retain_keys)
            if meta.strategy == "replace":
                if not opts.ignore_changes_and_additions:
                    patch[key] = _copy(mv)
            else:
                sub = _diff_maps(ov, mv, child, sub_opts, where)
                if sub:
                    patch[key] = sub
        elif isinstance(ov, list | tuple):
            if meta.strategy == "merge":
                list_opts = _with_retain(opts, meta.retain_keys)
                add, delete, order = _diff_lists(list(ov), list(mv), _elem(child), meta.merge_key, list_opts, where)
                if add:
                    patch[key] = add
                if delete:
                    patch[f"{_DELETE_PREFIX}/{key}"] = delete
                if order:
                    patch[f"{_ORDER_PREFIX}/{key}"] = order
            elif not opts.ignore_changes_and_additions and not _json_equal(ov, mv):
                patch[key] = _copy(mv)
        elif not opts.ignore_changes_and_additions and not _json_equal(ov, mv):
            patch[key] = _copy(mv)
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or any(v is not None and k not in modified for k, v in original.items())):
        patch[_RETAIN_KEYS] = _sort_scalars(retain)
    return patch


def _with_retain(opts: _DiffOptions, retain_keys: bool) -> _DiffOptions:
    """``opts`` for a child field, building ``$retainKeys`` iff the field has the retainKeys strategy (the same
    options object when that does not change, as it mostly does not)."""
    return opts if opts.build_retain_keys == retain_keys else attrs.evolve(opts, build_retain_keys=retain_keys)


def _sort_scalars(items: Sequence[Any]) -> list[Any]:
    return sorted(items, key=_go_fmt)


def _diff_lists(original: list[Any], modified: list[Any], elem: str | None, merge_key: str, opts: _DiffOptions,
                at: str) -> tuple[list[Any], list[Any], list[Any]]:
    if not original:
        if not modified or opts.ignore_changes_and_additions:
            return [], [], []
        return _copy(modified), [], []
    kind = _element_kind([original, modified], at)
    order: list[Any] = []
    if kind == _MAP:
        if not merge_key:
            raise _internal(f"cannot merge lists without merge key for {elem or 'object'}", at)
        add, delete = _diff_lists_of_maps(original, modified, elem, merge_key, opts, at)
        add = _normalize_slice_order(add, modified, merge_key, kind, at)
        same_order = len(original) == len(modified) and all(
            _merge_key_equal(o, m, merge_key, at) for o, m in zip(original, modified, strict=True))
        add = add + delete
        delete = []
        if opts.set_element_order and ((not opts.ignore_changes_and_additions and (add or not same_order))
                                       or (not opts.ignore_deletions and add)):
            order = [{merge_key: m[merge_key]} for m in modified]
    else:
        add, delete = _diff_lists_of_scalars(original, modified, opts)
        add = _normalize_slice_order(add, modified, "", kind, at)
        if opts.set_element_order and ((not opts.ignore_deletions and delete)
                                       or (not opts.ignore_changes_and_additions and not _json_equal(original, modified))):
            order = _copy(modified)
    return add, delete, order


def _diff_lists_of_scalars(original: list[Any], modified: list[Any],
                           opts: _DiffOptions) -> tuple[list[Any], list[Any]]:
    """``diffListsOfScalars``: a merge over both lists sorted by their ``%v`` text."""
    old = _sort_scalars(original)
    new = _sort_scalars(modified)
    add: list[Any] = []
    delete: list[Any] = []
    i = j = 0
    while i < len(old) or j < len(new):
        os_ = _go_fmt(old[i]) if i < len(old) else None
        ns = _go_fmt(new[j]) if j < len(new) else None
        if os_ is not None and ns is not None and os_ == ns:
            i += 1
            j += 1
        elif os_ is None or (ns is not None and os_ > ns):
            if not opts.ignore_changes_and_additions:
                add.append(new[j])
            j += 1
        else:
            if not opts.ignore_deletions:
                delete.append(old[i])
            i += 1
    unique: list[Any] = []
    seen: set[Any] = set()
    for v in delete:
        if _hash_key(v) not in seen:
            seen.add(_hash_key(v))
            unique.append(v)
    return add, unique


def _diff_lists_of_maps(original: list[Any], modified: list[Any], elem: str | None, merge_key: str,
                        opts: _DiffOptions, at: str) -> tuple[list[Any], list[Any]]:
    for items in (original, modified):
        for item in items:
            if merge_key not in item:
                raise _no_merge_key(item, merge_key, at)
    old = sorted(original, key=lambda m: _go_fmt(m[merge_key]))
    new = sorted(modified, key=lambda m: _go_fmt(m[merge_key]))
    patch: list[Any] = []
    delete: list[Any] = []
    i = j = 0
    while i < len(old) or j < len(new):
        ok = _go_fmt(old[i][merge_key]) if i < len(old) else None
        nk = _go_fmt(new[j][merge_key]) if j < len(new) else None
        if ok is not None and nk is not None and ok == nk:
            sub = _diff_maps(old[i], new[j], elem, opts, f"{at}[{j}]")
            if sub:
                sub[merge_key] = new[j][merge_key]
                patch.append(sub)
            i += 1
            j += 1
        elif ok is None or (nk is not None and ok > nk):
            if not opts.ignore_changes_and_additions:
                patch.append(_copy(new[j]))
            j += 1
        else:
            if not opts.ignore_deletions:
                delete.append({merge_key: old[i][merge_key], _DIRECTIVE: "delete"})
            i += 1
    return patch, delete
