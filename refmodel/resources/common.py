"""Validation and defaulting helpers shared by the kinds.

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`` (IsDNS1123Label,
IsDNS1123Subdomain, IsDNS1035Label, IsQualifiedName, IsValidLabelValue, IsValidPortName, IsValidPortNum,
``.../apimachinery/pkg/api/validation/path/name.go`` (IsValidPathSegmentName),
IsConfigMapKey, IsEnvVarName / IsRelaxedEnvVarName, IsValidPercent, IsValidIP, IsValidUserID,
IsValidGroupID, IsHTTPHeaderName, InclusiveRangeError), ``.../apimachinery/pkg/api/validation/
objectmeta.go`` (ValidateFinalizers, ValidateNonnegativeField, ValidateImmutableField) and
``pkg/apis/core/validation/validation.go`` (validateKubeFinalizerName),
``.../apimachinery/pkg/apis/meta/v1/validation/validation.go`` (ValidateLabelSelector,
ValidateLabelSelectorRequirement, ValidateLabels).
**Modelled:** name rules N-1..N-9 with upstream's message texts; label, selector and finalizer checks (a
selector requirement's operator check is shared with node selector terms: :func:`selector_operator_errors`);
small accessors that tolerate missing or ill-typed fields (structural checks report those) and read plain
and frozen objects alike; ``strconv.ParseInt`` (:func:`parse_go_int`).
**Not modelled (and why):** the annotation total-size limit (256 KiB): no manifest in scope comes close;
IP "sloppy" parsing of leading zeros (``ParseIPSloppy``) is treated as Python's strict parser.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..errors import FieldError, forbidden, invalid, required
from ..quantity import QuantityError, parse_quantity

__all__ = [
    "NAME_RULES",
    "as_dict",
    "as_list",
    "configmap_key_errors",
    "dns1035_label_errors",
    "dns1123_label_errors",
    "dns1123_subdomain_errors",
    "env_var_name_errors",
    "http_header_name_errors",
    "immutable",
    "inclusive_range_error",
    "ip_errors",
    "label_value_errors",
    "meta_finalizer_errors",
    "nonnegative",
    "not_found",
    "parse_go_int",
    "path_segment_name_errors",
    "percent_errors",
    "port_name_errors",
    "port_num_errors",
    "qualified_name_errors",
    "quantity",
    "render_quantity",
    "selector_operator_errors",
    "user_id_errors",
    "validate_dns1123_label",
    "validate_dns1123_subdomain",
    "validate_finalizers",
    "validate_label_selector",
    "validate_labels",
    "validate_qualified_name",
]

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")


#: values each string rule found valid (the commonest answer: names and label keys recur in every request), so
#: that a valid value costs one set lookup; bounded, and only valid values are kept (an error list is built anew).
#: The rules are pure functions of the string: whatever replaces one of their patterns (a seeded bug) must clear
#: these sets too (replacing a whole function needs nothing: the replacement never reads them)
_VALID: dict[str, set[str]] = {"label": set(), "subdomain": set(), "dns1035": set(), "qualified": set(),
                               "value": set()}
_VALID_MAX = 4096


def _remember_valid(rule: str, value: str, errs: list[str]) -> list[str]:
    if not errs:
        seen = _VALID[rule]
        if len(seen) >= _VALID_MAX:
            seen.clear()
        seen.add(value)
    return errs


def dns1123_label_errors(value: str) -> list[str]:
    if value in _VALID["label"]:
        return []
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.match(value):
        errs.append(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
            "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        )
    return _remember_valid("label", value, errs)


def dns1123_subdomain_errors(value: str) -> list[str]:
    if value in _VALID["subdomain"]:
        return []
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
            "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
            "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )
    return _remember_valid("subdomain", value, errs)


def dns1035_label_errors(value: str) -> list[str]:
    if value in _VALID["dns1035"]:
        return []
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_LABEL.match(value):
        errs.append(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
            "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
            "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        )
    return _remember_valid("dns1035", value, errs)


def qualified_name_errors(value: str) -> list[str]:
    if value in _VALID["qualified"]:
        return []
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + e for e in dns1123_subdomain_errors(prefix))
    else:
        return [
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
            "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
            "subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED_NAME.match(name):
        errs.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        )
    return _remember_valid("qualified", value, errs)


def label_value_errors(value: str) -> list[str]:
    if value in _VALID["value"]:
        return []
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errs.append(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
            "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
            "'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )
    return _remember_valid("value", value, errs)


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if labels is None:
        return errs
    if not isinstance(labels, dict):
        return [invalid(path, labels, "must be a map of string keys to string values")]
    for k, v in labels.items():
        if not isinstance(k, str):
            errs.append(invalid(path, k, "label keys must be strings"))
            continue
        for msg in qualified_name_errors(k):
            errs.append(invalid(path, k, msg))
        if not isinstance(v, str):
            errs.append(invalid(f"{path}", v, f"label value for {k!r} must be a string"))
            continue
        for msg in label_value_errors(v):
            errs.append(invalid(path, v, msg))
    return errs


def path_segment_name_errors(value: str) -> list[str]:
    """path.IsValidPathSegmentName (RBAC names, and any kind stored without a name rule of its own)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


NAME_RULES = {
    "subdomain": dns1123_subdomain_errors,
    "label": dns1123_label_errors,
    "dns1035": dns1035_label_errors,
    "path": path_segment_name_errors,
}


# ---------------------------------------------------------------------------------------------
# accessors: validation runs after the structural check, but stays total on any input
# ---------------------------------------------------------------------------------------------
def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty dict (missing and ill-typed fields read as unset)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> Sequence[Any]:
    """``value`` if it is a list (or a frozen list: a tuple), else empty."""
    return value if isinstance(value, list | tuple) else []


_GO_DECIMAL = re.compile(r"[+-]?[0-9]+")


def parse_go_int(text: Any, bits: int = 64) -> int | None:
    """``strconv.ParseInt(text, 10, bits)``, or None where Go returns an error: an optional sign and ASCII
    digits only (no ``1_0``, no spaces, no other scripts' digits, which Python's ``int`` accepts), in range."""
    if not isinstance(text, str) or not _GO_DECIMAL.fullmatch(text):
        return None
    n = int(text)
    return n if -(2 ** (bits - 1)) <= n < 2 ** (bits - 1) else None


def quantity(value: Any) -> Fraction | None:
    """The quantity's exact value, or None when it does not parse (the structural check reports it)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return parse_quantity(value)
    except QuantityError:
        return None


def render_quantity(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def not_found(field: str, value: Any) -> FieldError:
    """``field.NotFound``: ``spec.containers[0].volumeMounts[0].name: Not found: "data"``."""
    return FieldError("Not found", field, "", value, True)


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def nonnegative(value: Any, field: str) -> list[FieldError]:
    """ValidateNonnegativeField."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(field, value, "must be greater than or equal to 0")]
    return []


def immutable(new: Any, old: Any, field: str) -> list[FieldError]:
    """ValidateImmutableField."""
    return [] if new == old else [invalid(field, new, "field is immutable")]


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """RegexError: ``msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')``."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    parts = [f"'{e}', " for e in examples]
    return f"{msg} (e.g. " + " or ".join(parts) + f"regex used for validation is '{fmt}')"


_PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+\Z")
_PORT_NAME_ONE_LETTER = re.compile(r"[a-z]")


def port_name_errors(port: str) -> list[str]:
    """IsValidPortName (IANA_SVC_NAME)."""
    errs = []
    if len(port) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.match(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_ONE_LETTER.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_num_errors(port: int) -> list[str]:
    """IsValidPortNum."""
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


_CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+\Z")


def _ch_dir_prefix_errors(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def configmap_key_errors(value: str) -> list[str]:
    """IsConfigMapKey (N-7): also used for Secret keys."""
    if len(value) <= 253 and value != "." and value[:2] != ".." and _CONFIGMAP_KEY.match(value):
        return []  # (most keys: the checks below, passed at once)
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _CONFIGMAP_KEY.match(value):
        errs.append(_regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                 "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name"))
    errs.extend(_ch_dir_prefix_errors(value))
    return errs


def env_var_name_errors(value: str) -> list[str]:
    """IsRelaxedEnvVarName: RelaxedEnvironmentVariableValidation is beta and on in v1.32."""
    errs = []
    if not value or any(not 32 <= ord(c) <= 126 or c == "=" for c in value):
        errs.append("a valid environment variable name must consist only of printable ASCII characters "
                    "other than '='")
    errs.extend(_ch_dir_prefix_errors(value))
    return errs


_PERCENT = re.compile(r"[0-9]+%")


def percent_errors(value: str) -> list[str]:
    """IsValidPercent."""
    if _PERCENT.fullmatch(value):
        return []
    return [_regex_error("a valid percent string must be a numeric string followed by an ending '%'",
                         "[0-9]+%", "1%", "93%")]


def ip_errors(value: str, field: str) -> list[FieldError]:
    """IsValidIP."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return [invalid(field, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    return []


def user_id_errors(value: int) -> list[str]:
    """IsValidUserID / IsValidGroupID."""
    return [] if 0 <= value <= 2147483647 else [inclusive_range_error(0, 2147483647)]


_HTTP_HEADER = re.compile(r"^[-A-Za-z0-9]+\Z")


def http_header_name_errors(value: str) -> list[str]:
    if _HTTP_HEADER.match(value):
        return []
    return [_regex_error("a valid HTTP header must consist of alphanumeric characters or '-'", "[-A-Za-z0-9]+",
                         "X-Header-Name")]


def validate_dns1123_label(value: str, field: str) -> list[FieldError]:
    return [invalid(field, value, m) for m in dns1123_label_errors(value)]


def validate_dns1123_subdomain(value: str, field: str) -> list[FieldError]:
    return [invalid(field, value, m) for m in dns1123_subdomain_errors(value)]


def validate_qualified_name(value: str, field: str) -> list[FieldError]:
    return [invalid(field, value, m) for m in qualified_name_errors(value)]


def selector_operator_errors(op: Any, values: Sequence[Any], field: str, *, numeric: bool = False) -> list[FieldError]:
    """A selector requirement's operator and the number of values it takes (``field``: the requirement's
    path): ValidateLabelSelectorRequirement, and validateNodeSelectorRequirement with ``numeric`` (``Gt``
    and ``Lt`` too, with exactly one value)."""
    if op in ("In", "NotIn"):
        if not values:
            return [required(f"{field}.values", "must be specified when `operator` is 'In' or 'NotIn'")]
    elif op in ("Exists", "DoesNotExist"):
        if values:
            return [forbidden(f"{field}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")]
    elif numeric and op in ("Gt", "Lt"):
        if len(values) != 1:
            return [required(f"{field}.values", "must be specified single value when `operator` is 'Lt' or 'Gt'")]
    else:
        return [invalid(f"{field}.operator", op, "not a valid selector operator")]
    return []


def validate_label_selector(selector: Any, field: str) -> list[FieldError]:
    """metav1 ValidateLabelSelector (strict label values)."""
    sel = as_dict(selector)
    errs = validate_labels(sel.get("matchLabels"), f"{field}.matchLabels")
    for i, req in enumerate(as_list(sel.get("matchExpressions"))):
        p = f"{field}.matchExpressions[{i}]"
        r = as_dict(req)
        values = as_list(r.get("values"))
        errs.extend(selector_operator_errors(r.get("operator", ""), values, p))
        errs.extend(validate_qualified_name(str(r.get("key", "")), f"{p}.key"))
        for j, v in enumerate(values):
            if isinstance(v, str):
                errs.extend(invalid(f"{p}.values[{j}]", v, m) for m in label_value_errors(v))
    return errs


STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


def validate_finalizers(finalizers: Iterable[Any], field: str) -> list[FieldError]:
    """ValidateFinalizers + validateKubeFinalizerName: qualified names; unprefixed ones must be standard."""
    errs: list[FieldError] = []
    for i, name in enumerate(finalizers):
        if not isinstance(name, str):
            continue
        p = f"{field}[{i}]"
        errs.extend(validate_qualified_name(name, p))
        if "/" not in name and name not in STANDARD_FINALIZERS:
            errs.append(invalid(p, name, "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def meta_finalizer_errors(obj: Mapping[str, Any]) -> list[FieldError]:
    """The finalizer checks of ValidateObjectMeta that the API server's metadata check leaves out."""
    md = obj.get("metadata")
    if not isinstance(md, dict) or not md.get("finalizers"):
        return []
    return validate_finalizers(as_list(md["finalizers"]), "metadata.finalizers")
