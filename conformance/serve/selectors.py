"""Label and field selectors as they arrive in a URL (``?labelSelector=...&fieldSelector=...``).

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/labels/selector.go`` (``Parse``: the lexer and parser
of ``app in (a,b),tier!=db,!canary,env,replicas>2``; ``Requirement.Matches``: ``!=`` and ``notin`` match
objects without the key), ``staging/src/k8s.io/apimachinery/pkg/fields/selector.go`` (``ParseSelector``:
``a=b``, ``a==b``, ``a!=b`` joined by commas, ``\\`` escapes) and the per-kind field label sets
(``pkg/registry/core/pod/strategy.go`` ``PodToSelectableFields``, ``pkg/registry/core/event/strategy.go``
``ToSelectableFields``, ``pkg/apis/core/v1/conversion.go`` ``AddFieldLabelConversionFunc`` calls): a field
a kind does not offer is a 400 ``field label not supported``.
**Modelled:** both grammars with upstream's error texts' meaning; matching against an object.
**Not modelled (and why):** set-based requirements on fields (upstream has none either).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["FIELD_LABELS", "SelectorError", "parse_field_selector", "parse_label_selector"]


class SelectorError(ValueError):
    """A selector that does not parse, or names a field the kind does not offer (400 BadRequest)."""


Matcher = Callable[[Mapping[str, Any]], bool]

_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_TOKEN = re.compile(r"\s*(==|!=|=|\(|\)|,|!|>|<|[^\s=!(),<>]+)")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip() == "":
                break
            raise SelectorError(f"unable to parse requirement: unexpected character at {text[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def _check_key(key: str) -> str:
    if not _KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise SelectorError(f'unable to parse requirement: key: Invalid value: "{key}": name part must consist '
                            "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                            "alphanumeric character")
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _VALUE.match(value):
        raise SelectorError(f'unable to parse requirement: values[0]: Invalid value: "{value}": a valid label '
                            "value must be an empty string or consist of alphanumeric characters, '-', '_' "
                            "or '.', and must start and end with an alphanumeric character")
    return value


def parse_label_selector(text: str) -> Matcher:
    """``labels.Parse``: a predicate on a labels map. Raises :class:`SelectorError`."""
    toks = _tokens(text)
    reqs: list[Matcher] = []
    i = 0

    def expect(what: str) -> str:
        nonlocal i
        if i >= len(toks):
            raise SelectorError(f"unable to parse requirement: found '', expected: {what}")
        tok = toks[i]
        i += 1
        return tok

    while i < len(toks):
        tok = expect("identifier")
        if tok == "!":
            key = _check_key(expect("identifier"))
            reqs.append(lambda labels, k=key: k not in labels)
        else:
            key = _check_key(tok)
            op = toks[i] if i < len(toks) else ","
            if op == ",":
                reqs.append(lambda labels, k=key: k in labels)
            elif op in ("=", "==", "!="):
                i += 1
                value = "" if i >= len(toks) or toks[i] == "," else _check_value(expect("value"))
                if op == "!=":
                    reqs.append(lambda labels, k=key, v=value: labels.get(k) != v)
                else:
                    reqs.append(lambda labels, k=key, v=value: k in labels and labels[k] == v)
            elif op in ("in", "notin"):
                i += 1
                if expect("'('") != "(":
                    raise SelectorError(f"unable to parse requirement: found '{toks[i - 1]}', expected: '('")
                values: set[str] = set()
                while True:
                    tok2 = expect("')'")
                    if tok2 == ")":
                        break
                    if tok2 == ",":
                        continue
                    values.add(_check_value(tok2))
                if op == "in":
                    if not values:
                        raise SelectorError("unable to parse requirement: for 'in', 'notin' operators, values "
                                            "set can't be empty")
                    reqs.append(lambda labels, k=key, vs=frozenset(values): k in labels and labels[k] in vs)
                else:
                    reqs.append(lambda labels, k=key, vs=frozenset(values): labels.get(k) not in vs)
            elif op in (">", "<"):
                i += 1
                raw = expect("integer")
                try:
                    bound = int(raw)
                except ValueError:
                    raise SelectorError(f"unable to parse requirement: for 'Gt', 'Lt' operators, the value "
                                        f"must be an integer: {raw!r}") from None
                reqs.append(_ordered(key, op, bound))
            else:
                raise SelectorError(f"unable to parse requirement: found '{op}', expected: in, notin, =, ==, "
                                    "!=, gt, lt")
        if i < len(toks):
            if toks[i] != ",":
                raise SelectorError(f"found '{toks[i]}', expected: ',' or 'end of string'")
            i += 1
            if i >= len(toks):
                raise SelectorError("found '', expected: identifier after ','")
    return lambda labels: all(r(labels) for r in reqs)


def _ordered(key: str, op: str, bound: int) -> Matcher:
    def match(labels: Mapping[str, Any]) -> bool:
        try:
            n = int(labels[key])
        except (KeyError, ValueError, TypeError):
            return False
        return n > bound if op == ">" else n < bound
    return match


# ---------------------------------------------------------------------------------------------
# fields
# ---------------------------------------------------------------------------------------------
_COMMON = frozenset({"metadata.name", "metadata.namespace"})
FIELD_LABELS: dict[str, frozenset[str]] = {
    "Pod": _COMMON | {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                      "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
                      "status.nominatedNodeName"},
    "Event": _COMMON | {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
    "Secret": _COMMON | {"type"},
    "Node": _COMMON | {"spec.unschedulable"},
    "Namespace": _COMMON | {"status.phase"},
    "ReplicaSet": _COMMON | {"status.replicas"},
    "ReplicationController": _COMMON | {"status.replicas"},
    "Job": _COMMON | {"status.successful"},
    "PersistentVolume": _COMMON | {"name"},
    "PersistentVolumeClaim": _COMMON | {"name"},
}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    cur = ""
    escaped = False
    for ch in text:
        if escaped:
            cur += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if escaped:
        raise SelectorError(f"invalid field selector: {text!r}: a trailing backslash")
    parts.append(cur)
    return parts


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string a field selector compares (``spec.nodeName`` of a pod; ``""`` when unset)."""
    if path == "source" and obj.get("kind") == "Event":
        value: Any = (obj.get("source") or {}).get("component", "")
    elif path == "status.podIPs":
        value = ((obj.get("status") or {}).get("podIPs") or [{}])[0].get("ip", "")
    else:
        value = obj
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_field_selector(text: str, kind: str) -> Matcher:
    """``fields.ParseSelector`` for ``kind``: a predicate on an object. Raises :class:`SelectorError`."""
    allowed = FIELD_LABELS.get(kind, _COMMON)
    terms: list[tuple[str, str, str]] = []
    for raw in _split_unescaped(text, ","):
        if not raw.strip():
            continue
        for op in ("!=", "==", "="):
            idx = _find_unescaped(raw, op)
            if idx >= 0:
                field = _unescape(raw[:idx]).strip()
                value = _unescape(raw[idx + len(op):])
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{raw}'")
        if field not in allowed:
            raise SelectorError(f'field label not supported: {field}')
        terms.append((field, "!=" if op == "!=" else "=", value))

    def match(obj: Mapping[str, Any]) -> bool:
        for field, op, value in terms:
            got = field_value(obj, field)
            if (got == value) != (op == "="):
                return False
        return True
    return match


def _find_unescaped(text: str, op: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(op, i):
            if op == "=" and i > 0 and text[i - 1] in "!=":
                i += 1
                continue
            return i
        i += 1
    return -1
