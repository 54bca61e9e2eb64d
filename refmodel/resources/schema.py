"""Structural checks: unknown fields and wrong JSON types (strict field validation), as decoding does.

**Mirrors:** the API server's strict decoding of a request body
(``staging/src/k8s.io/apimachinery/pkg/runtime/serializer/json/json.go`` with
``sigs.k8s.io/json`` ``UnmarshalStrict``: ``strict decoding error: unknown field "spec.foo"``),
``encoding/json`` type errors (``json: cannot unmarshal string into Go struct field ... of type
int32``), ``resource.Quantity.UnmarshalJSON`` (``quantities must match the regular expression``),
``intstr.IntOrString.UnmarshalJSON``, ``metav1.Time.UnmarshalJSON`` (RFC 3339) and Go's
``encoding/base64`` ``StdEncoding`` used for ``[]byte`` fields (``illegal base64 data at input byte
N``, positions as Go reports them). The type tables come from the v1.32 OpenAPI via
``tools/gen_schema.py`` (``_schema_data.py``). Messages for type errors follow kubectl's
``--validate=strict`` schema check (``data: Invalid value: "array": data in body must be of type
object: "array"``).
**Modelled:** every field of every served kind (the modelled ones, and ServiceAccount, the RBAC kinds,
Job, CronJob, DaemonSet, Ingress ... too; status included), and ``metadata`` of every kind; a version with
its own schema (``autoscaling/v1`` HorizontalPodAutoscaler) is checked against it. Integer fields are
int32 or int64 as the Go types declare them, and a number out of range is refused as encoding/json refuses
it (``json: cannot unmarshal number 4294967296 into Go struct field DeploymentSpec.spec.replicas of type
int32``); a non-finite number (YAML ``.nan``, ``.inf``) anywhere, free-form fields included, is refused as
``sigs.k8s.io/yaml`` refuses to turn it into JSON (``json: unsupported value: NaN``). Decoding normalises
like Go does: ``null`` is the zero value (a ``null`` field is dropped, a ``null`` list item or map value
becomes the zero value of its type) and a whole-number float (``3.0``, YAML ``1e3`` is a string) is an
integer.
**Not modelled (and why):** the exact Go error text for type mismatches (a ``BadRequest`` upstream) is
replaced by kubectl's schema wording so every rejection carries a field path; duplicate keys are rejected
earlier, by :mod:`refmodel.yamlio`; kinds without a schema (none are served today) are checked only in
``metadata``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..errors import FieldError, json_type
from ..quantity import QuantityError, parse_quantity
from ._schema_data import ROOTS, TYPES

__all__ = ["base64_corrupt_at", "root_type", "structural_errors"]

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_NL = (0x0A, 0x0D)


def base64_corrupt_at(text: str) -> int | None:
    """The byte offset Go's ``base64.StdEncoding.DecodeString`` reports as corrupt, or None if valid.

    Mirrors ``encoding/base64`` ``decodeQuantum`` (padded, non-strict; ``\\r``/``\\n`` skipped).
    """
    src = text.encode("utf-8")
    n = len(src)
    si = 0
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                return None if j == 0 else si - j
            c = src[si]
            si += 1
            if c in _B64:
                j += 1
                continue
            if c in _NL:
                continue
            if c != 0x3D:  # '='
                return si - 1
            if j in (0, 1):
                return si - 1
            if j == 2:
                while si < n and src[si] in _NL:
                    si += 1
                if si == n:
                    return n
                if src[si] != 0x3D:
                    return si - 1
                si += 1
            while si < n and src[si] in _NL:
                si += 1
            return si if si < n else None
    return None


def _type_error(path: str, value: Any, want: str) -> FieldError:
    got = json_type(value)
    where = path or "body"
    return FieldError("Invalid value", path, f'{where} in body must be of type {want}: "{got}"', got, True)


def _unknown(path: str) -> FieldError:
    return FieldError("strict decoding error", path, f'unknown field "{path}"')


_ZERO: dict[str, Any] = {"string": "", "boolean": False, "number": 0, "int32": 0, "int64": 0, "byte": "",
                         "quantity": "0", "int-or-string": 0, "date-time": None, "object": None}


def _zero(spec: str) -> Any:
    if spec.startswith("[]"):
        return []
    if spec.startswith("{}"):
        return {}
    if spec in _ZERO:
        return _ZERO[spec]
    return {}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


_VERSION_PREFIX = re.compile(r"^(?:[A-Z][a-z]+)?V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])")


def _go_struct(type_name: str) -> str:
    """The Go struct name of a schema type (``V2HPAScalingPolicy`` -> ``HPAScalingPolicy``)."""
    return _VERSION_PREFIX.sub("", type_name)


def _range_error(path: str, n: int, bits: str, owner: str) -> FieldError:
    """encoding/json's UnmarshalTypeError for a number out of range, with the decoder's field context:
    ``json: cannot unmarshal number 4294967296 into Go struct field DeploymentSpec.spec.replicas of type
    int32`` (the Go field path is the dotted JSON names, without list indices or map keys)."""
    go_field = re.sub(r"\[[^\]]*\]", "", path)
    where = f"Go struct field {_go_struct(owner)}.{go_field}" if owner else "Go value"
    return FieldError("Invalid value", path, f"json: cannot unmarshal number {n} into {where} of type {bits}", n,
                      True)


def _non_finite(path: str, value: float) -> FieldError:
    """YAML's ``.nan``/``.inf`` cannot become JSON: sigs.k8s.io/yaml's YAMLToJSON fails in json.Marshal."""
    text = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    return FieldError("Invalid value", path or "body", f"json: unsupported value: {text}", text, True)


def _finite_errors(value: Any, path: str, errs: list[FieldError]) -> None:
    """Non-finite numbers anywhere inside a free-form value."""
    if isinstance(value, float):
        if not math.isfinite(value):
            errs.append(_non_finite(path, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _finite_errors(v, f"{path}[{k}]" if path else str(k), errs)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _finite_errors(v, f"{path}[{i}]", errs)


def _check(value: Any, spec: str, path: str, errs: list[FieldError], owner: str = "") -> Any:
    """Check ``value`` against ``spec``; return the decoded (normalised) value. ``owner`` is the struct
    whose field ``value`` is (for Go's decoding messages)."""
    if isinstance(value, float) and not math.isfinite(value):
        errs.append(_non_finite(path, value))
        return value
    fields = TYPES.get(spec)
    if fields is not None:  # a struct: the most common spec, checked first
        if not isinstance(value, dict):
            errs.append(_type_error(path, value, "object"))
            return value
        start = len(errs)
        _check_fields(value, list(value), fields, spec, path, errs)
        if len(errs) > start:  # errors are reported in the order of the keys' text: check again in that order
            del errs[start:]  # (the first pass normalised in place; checking a normalised value is idempotent)
            _check_fields(value, _sorted_keys(value), fields, spec, path, errs)
        return value
    if spec.startswith("[]"):
        if not isinstance(value, list):
            errs.append(_type_error(path, value, "array"))
            return value
        item = spec[2:]
        for i, v in enumerate(value):
            p = f"{path}[{i}]"
            value[i] = _zero(item) if v is None else _check(v, item, p, errs, owner)
        return value
    if spec.startswith("{}"):
        if not isinstance(value, dict):
            errs.append(_type_error(path, value, "object"))
            return value
        item = spec[2:]
        if item == "string" and _all_strings(value):
            return value  # the common case (labels, data), nothing to normalise or report
        start = len(errs)
        _check_entries(value, list(value), item, path, errs, owner)
        if len(errs) > start:  # reported in the order of the keys' text, as for a struct's fields
            del errs[start:]
            _check_entries(value, _sorted_keys(value), item, path, errs, owner)
        return value
    if spec == "string":
        if not isinstance(value, str):
            errs.append(_type_error(path, value, "string"))
        return value
    if spec == "boolean":
        if not isinstance(value, bool):
            errs.append(_type_error(path, value, "boolean"))
        return value
    if spec == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errs.append(_type_error(path, value, "number"))
        return value
    if spec in ("int32", "int64"):
        n = _as_int(value)
        if n is None:
            errs.append(_type_error(path, value, "integer"))
            return value
        lo, hi = _INT32 if spec == "int32" else _INT64
        if not lo <= n <= hi:
            errs.append(_range_error(path, n, spec, owner))
        return n
    if spec == "int-or-string":
        if isinstance(value, str):
            return value
        n = _as_int(value)
        if n is None:
            errs.append(_type_error(path, value, "integer or string"))
            return value
        if not _INT32[0] <= n <= _INT32[1]:
            errs.append(_range_error(path, n, "int32", owner))
        return n
    if spec == "quantity":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            errs.append(_type_error(path, value, "string"))
            return value
        try:
            parse_quantity(value)
        except QuantityError as exc:
            errs.append(FieldError("Invalid value", path, str(exc), value, True))
        return value
    if spec == "byte":
        if not isinstance(value, str):
            errs.append(_type_error(path, value, "string"))
            return value
        at = base64_corrupt_at(value)
        if at is not None:
            errs.append(FieldError("Invalid value", path, f"illegal base64 data at input byte {at}"))
        return value
    if spec == "date-time":
        if not isinstance(value, str):
            errs.append(_type_error(path, value, "string"))
        elif not _RFC3339.match(value):
            errs.append(FieldError("Invalid value", path,
                                   f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": not an RFC 3339 '
                                   "date-time", value, True))
        return value
    if spec == "object":
        _finite_errors(value, path, errs)
    return value


def _check_fields(value: dict[str, Any], keys: list[Any], fields: Mapping[str, str], spec: str, path: str,
                  errs: list[FieldError]) -> None:
    """The fields ``keys`` of the struct ``value`` (of type ``spec``), checked and normalised in place."""
    for k in keys:
        sub = fields.get(k)
        v = value[k]
        t = type(v)
        if t is str:
            if sub == "string" or sub == "int-or-string":
                continue  # the common leaf: nothing to normalise or report
        elif t is int:
            if ((sub == "int32" or sub == "int-or-string") and -2147483648 <= v <= 2147483647) or (
                    sub == "int64" and -9223372036854775808 <= v <= 9223372036854775807):
                continue  # an integer in range: nothing to normalise or report
        elif t is bool:
            if sub == "boolean":
                continue
        elif t is dict and sub == "{}string" and _all_strings(v):
            continue  # labels, annotations, data: nothing to normalise or report
        p = f"{path}.{k}" if path else str(k)
        if sub is None:
            errs.append(_unknown(p))
            continue
        if v is None:
            del value[k]  # null decodes to the zero value, which serialises as absent
            continue
        value[k] = _check(v, sub, p, errs, spec)


def _check_entries(value: dict[Any, Any], keys: list[Any], item: str, path: str, errs: list[FieldError],
                   owner: str) -> None:
    """The entries ``keys`` of the map ``value`` (values of type ``item``), checked and normalised in place."""
    for k in keys:
        p = f"{path}[{k}]"
        if not isinstance(k, str):
            errs.append(FieldError("Invalid value", p, "map keys must be strings", k, True))
            continue
        v = value[k]
        value[k] = _zero(item) if v is None else _check(v, item, p, errs, owner)


def _all_strings(value: dict[Any, Any]) -> bool:
    """Every key and every value of ``value`` is a str."""
    return all(type(k) is str and type(v) is str for k, v in value.items())


def _sorted_keys(value: dict[Any, Any]) -> list[Any]:
    """The keys of ``value`` in the order their errors are reported: by their text."""
    try:
        keys = sorted(value)
    except TypeError:  # keys of several types (only strings are allowed; the check names the others)
        return sorted(value, key=str)
    if keys and type(keys[0]) is not str:  # numbers alone sort by value, not by text
        return sorted(value, key=str)
    return keys


def root_type(kind: str, api_version: str) -> str | None:
    """The schema type of ``kind`` as served at ``api_version`` (a version with its own schema first)."""
    return ROOTS.get(f"{api_version}:{kind}") or ROOTS.get(kind)


def structural_errors(kind: str, api_version: str, obj: dict[str, Any]) -> list[FieldError]:
    """Unknown fields and wrong types in ``obj`` (a plain dict, normalised in place as Go decodes it).

    Every served kind is checked in full (a kind without a schema only in ``metadata``).
    """
    errs: list[FieldError] = []
    root = root_type(kind, api_version)
    if root is not None and kind != "ObjectMeta":
        _check(obj, root, "", errs)
        return _placement_hints(kind, errs)
    md = obj.get("metadata")
    if md is None:
        obj.pop("metadata", None)
    else:
        obj["metadata"] = _check(md, ROOTS["ObjectMeta"], "metadata", errs)
    return errs


def _placement_hints(kind: str, errs: list[FieldError]) -> list[FieldError]:
    """An unknown ``metadata.X`` where X is one of the kind's own top-level fields (a StorageClass's
    ``provisioner`` indented under metadata) says where the field belongs."""
    if not errs:
        return errs
    from . import REGISTRY

    info = REGISTRY.get(kind)
    if info is None:
        return errs
    out = []
    for e in errs:
        head, _, leaf = e.field.rpartition(".")
        if e.type == "strict decoding error" and head == "metadata" and leaf in info.top_level:
            e = FieldError(e.type, e.field, f"{e.detail}: {leaf} is a field of the {kind} itself and belongs at the "
                                            "top level, beside metadata, not inside it", e.value, e.has_value)
        out.append(e)
    return out
