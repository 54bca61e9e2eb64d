"""Secret: defaulting (type, ``stringData`` merged into ``data``) and validation of keys, types and updates.

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_Secret: type ``Opaque``),
``pkg/apis/core/v1/conversion.go`` (Convert_v1_Secret_To_core_Secret: ``stringData`` overwrites ``data``
and is not stored), ``pkg/apis/core/validation/validation.go`` (ValidateSecret, ValidateSecretUpdate).
**Modelled:** N-7 keys, total size at most 1 MiB, CM-7 (``stringData`` write-only, merged into base64
``data``), the per-type required keys (``kubernetes.io/tls``: ``tls.crt`` and ``tls.key``;
``kubernetes.io/dockercfg`` / ``dockerconfigjson``: the key holding a JSON object; ``basic-auth``: username
or password; ``ssh-auth``: ``ssh-privatekey``; ``service-account-token``: the service-account name
annotation), CM-4 for Secrets, and ``type`` immutable.
**Not modelled (and why):** the token controller that fills service-account-token Secrets (no API access
from pods is simulated); Go's exact JSON error strings (Python's parser words them differently).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import FieldError, forbidden, invalid, required
from . import REGISTRY, KindInfo
from .common import as_dict, configmap_key_errors, immutable, meta_finalizer_errors
from .configmap import MAX_SIZE, decoded_len

__all__ = ["default_secret", "validate_secret", "validate_secret_update"]

Obj = dict[str, Any]

SERVICE_ACCOUNT_NAME_KEY = "kubernetes.io/service-account.name"


def default_secret(obj: Obj) -> None:
    """SetDefaults_Secret and the v1 -> internal conversion of ``stringData``."""
    if not obj.get("type"):
        obj["type"] = "Opaque"
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = obj.get("data")
        if not isinstance(data, dict):
            data = {}
            obj["data"] = data
        for key, value in string_data.items():
            text = value if isinstance(value, str) else ""
            data[key] = base64.b64encode(text.encode("utf-8")).decode("ascii")


def _decoded(value: Any) -> bytes:
    if not isinstance(value, str):
        return b""
    try:
        return base64.b64decode(value)
    except (ValueError, binascii.Error):
        return b""


def _json_object_error(raw: bytes) -> str | None:
    try:
        parsed = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError as exc:
        return str(exc)
    if not isinstance(parsed, dict):
        kind = "array" if isinstance(parsed, list) else type(parsed).__name__
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None


def validate_secret(obj: Obj) -> list[FieldError]:
    """ValidateSecret."""
    errs = meta_finalizer_errors(obj)
    data = as_dict(obj.get("data"))
    total = 0
    for key, value in data.items():
        errs += [invalid(f"data[{key}]", key, m) for m in configmap_key_errors(str(key))]
        total += decoded_len(value)
    if total > MAX_SIZE:
        errs.append(FieldError("Too long", "data", f"must have at most {MAX_SIZE} bytes"))
    stype = obj.get("type", "")
    if stype == "kubernetes.io/service-account-token":
        annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
        if not annotations.get(SERVICE_ACCOUNT_NAME_KEY):
            errs.append(required(f"metadata.annotations[{SERVICE_ACCOUNT_NAME_KEY}]"))
    elif stype in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if stype == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in data:
            errs.append(required(f"data[{key}]"))
        else:
            problem = _json_object_error(_decoded(data[key]))
            if problem is not None:
                errs.append(invalid(f"data[{key}]", "<secret contents redacted>", problem))
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(required("data[username]"))
            errs.append(required("data[password]"))
    elif stype == "kubernetes.io/ssh-auth":
        if not _decoded(data.get("ssh-privatekey")):
            errs.append(required("data[ssh-privatekey]"))
    elif stype == "kubernetes.io/tls":
        for key in ("tls.crt", "tls.key"):
            if key not in data:
                errs.append(required(f"data[{key}]"))
    return errs


def validate_secret_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateSecretUpdate: ``type`` is immutable; CM-4 for ``immutable: true``."""
    errs = immutable(new.get("type"), old.get("type"), "type")
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            errs.append(forbidden("immutable", "field is immutable when `immutable` is set"))
        if as_dict(new.get("data")) != as_dict(old.get("data")):
            errs.append(forbidden("data", "field is immutable when `immutable` is set"))
    return errs


REGISTRY["Secret"] = KindInfo(
    "Secret", ("v1",), True, "secrets", (), name_rule="subdomain", default=default_secret,
    validate=validate_secret, validate_update=validate_secret_update, has_status=False,
    top_level=("data", "stringData", "type", "immutable"),
)
