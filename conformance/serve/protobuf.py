"""Request bodies in Kubernetes' protobuf encoding, for the kinds kubectl's typed clients create with it
(``kubectl create configmap|secret|namespace|serviceaccount``).

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go`` (the
envelope: the magic ``k8s\\x00`` then a ``runtime.Unknown`` with ``typeMeta`` (1), ``raw`` (2),
``contentEncoding`` (3), ``contentType`` (4)), the protobuf wire format (varints, length-delimited
fields; a ``map<K, V>`` is a repeated entry message with key 1 and value 2) and the field numbers of
``staging/src/k8s.io/api/core/v1/generated.proto`` (``ConfigMap``, ``Secret``, ``Namespace``,
``NamespaceSpec``, ``ServiceAccount``) and ``apimachinery/pkg/apis/meta/v1/generated.proto``
(``ObjectMeta``, ``TypeMeta``).
**Modelled:** decoding those kinds into the JSON shape the rest of the server takes (``bytes`` fields
become base64 strings, as in JSON).
**Not modelled (and why):** every other kind (their schemas are large; a body of another kind, or with a
field these tables do not know, is answered 415 so nothing is silently dropped); responses are always
JSON (clients accept it: they send ``Accept: application/vnd.kubernetes.protobuf,application/json``).
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["MAGIC", "ProtobufError", "decode"]

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    """A body that is not valid protobuf (400) or not one this server decodes (``unsupported``: 415)."""

    def __init__(self, message: str, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


Schema = dict[int, tuple[str, Any]]
# server-set fields a client's encoder writes anyway (Go encodes non-pointer fields even when empty):
# selfLink (4), creationTimestamp (8), deletionTimestamp (9), deletionGracePeriodSeconds (10)
_META: Schema = {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
                 4: ("selfLink", "ignore"), 5: ("uid", "string"), 6: ("resourceVersion", "string"),
                 7: ("generation", "int"), 8: ("creationTimestamp", "ignore"), 9: ("deletionTimestamp", "ignore"),
                 10: ("deletionGracePeriodSeconds", "ignore"), 11: ("labels", "map:string"),
                 12: ("annotations", "map:string"), 14: ("finalizers", "[]string")}
KINDS: dict[str, Schema] = {
    "ConfigMap": {1: ("metadata", _META), 2: ("data", "map:string"), 3: ("binaryData", "map:bytes"),
                  4: ("immutable", "bool")},
    "Secret": {1: ("metadata", _META), 2: ("data", "map:bytes"), 3: ("type", "string"),
               4: ("stringData", "map:string"), 5: ("immutable", "bool")},
    "Namespace": {1: ("metadata", _META), 2: ("spec", {1: ("finalizers", "[]string")}),
                  3: ("status", "ignore")},
    "ServiceAccount": {1: ("metadata", _META), 4: ("automountServiceAccountToken", "bool")},
}
_UNKNOWN: Schema = {1: ("typeMeta", {1: ("apiVersion", "string"), 2: ("kind", "string")}), 2: ("raw", "bytes"),
                    3: ("contentEncoding", "string"), 4: ("contentType", "string")}
_MAX_DEPTH = 32


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated length-delimited field")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ProtobufError("truncated field")
        out.append((number, wire, value))
    return out


def _text(value: Any) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("a string field is not length-delimited")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError("a string field is not valid UTF-8") from None


def _message(data: bytes, schema: Schema, where: str, depth: int = 0) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise ProtobufError("nesting too deep")
    out: dict[str, Any] = {}
    for number, wire, value in _fields(data):
        spec = schema.get(number)
        if spec is None:
            raise ProtobufError(f"field {number} of {where} is not decoded by this server; send JSON", True)
        name, kind = spec
        if kind == "ignore":
            continue
        if isinstance(kind, dict):
            if wire != 2:
                raise ProtobufError(f"{where}.{name}: expected a message")
            out[name] = _message(value, kind, f"{where}.{name}", depth + 1)
        elif kind == "string":
            text = _text(value)
            if text:  # an empty non-pointer string is Go's zero value: absent, as JSON's omitempty has it
                out[name] = text
        elif kind == "bytes":
            if not isinstance(value, bytes):
                raise ProtobufError(f"{where}.{name}: expected bytes")
            out[name] = value
        elif kind in ("int", "bool"):
            if wire != 0:
                raise ProtobufError(f"{where}.{name}: expected a varint")
            if kind == "bool":
                out[name] = bool(value)
            elif value:
                out[name] = value
        elif kind == "[]string":
            out.setdefault(name, []).append(_text(value))
        elif kind.startswith("map:"):
            if wire != 2:
                raise ProtobufError(f"{where}.{name}: expected a map entry")
            entry = {n: v for n, _w, v in _fields(value)}
            key = _text(entry.get(1, b""))
            raw = entry.get(2, b"")
            if not isinstance(raw, bytes):
                raise ProtobufError(f"{where}.{name}[{key}]: expected a length-delimited value")
            out.setdefault(name, {})[key] = (base64.b64encode(raw).decode("ascii") if kind == "map:bytes"
                                             else _text(raw))
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The object a protobuf request body carries, shaped as its JSON. Raises :class:`ProtobufError`."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the protobuf envelope's magic bytes")
    envelope = _message(body[len(MAGIC):], _UNKNOWN, "Unknown")
    type_meta = envelope.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if envelope.get("contentEncoding"):
        raise ProtobufError(f"content encoding {envelope['contentEncoding']!r} is not supported", True)
    schema = KINDS.get(kind)
    if schema is None:
        raise ProtobufError(f"the protobuf encoding of {kind or 'this kind'} is not decoded by this server; "
                            "send JSON", True)
    obj = _message(envelope.get("raw", b""), schema, kind)
    return {"apiVersion": type_meta.get("apiVersion", "v1"), "kind": kind, **obj}
