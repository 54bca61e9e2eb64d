"""ConfigMap: validation of keys and sizes, and of updates to immutable ConfigMaps.

**Mirrors:** ``pkg/apis/core/validation/validation.go`` (ValidateConfigMap, ValidateConfigMapUpdate) with
``staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`` (IsConfigMapKey).
**Modelled:** N-7 (keys of ``data`` and ``binaryData``), CM-5 (a key may not be in both; total size at most
1 MiB), CM-4 (``immutable: true`` freezes ``data`` and ``binaryData`` and cannot be unset).
**Not modelled (and why):** nothing else is validated upstream for this kind; ``binaryData`` values are
base64-checked by the structural check (:mod:`.schema`).
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import FieldError, forbidden, invalid
from . import REGISTRY, KindInfo
from .common import as_dict, configmap_key_errors, meta_finalizer_errors

__all__ = ["MAX_SIZE", "decoded_len", "validate_configmap", "validate_configmap_update"]

Obj = dict[str, Any]

MAX_SIZE = 1024 * 1024  # core.MaxSecretSize, shared by ConfigMaps


def decoded_len(text: Any) -> int:
    """Length in bytes of a base64 value (0 when it does not decode; the structural check reports that)."""
    if not isinstance(text, str):
        return 0
    try:
        return len(base64.b64decode(text))
    except ValueError:
        return 0


def validate_configmap(obj: Obj) -> list[FieldError]:
    """ValidateConfigMap."""
    errs = meta_finalizer_errors(obj)
    data, binary = as_dict(obj.get("data")), as_dict(obj.get("binaryData"))
    total = 0
    for key, value in data.items():
        for m in configmap_key_errors(str(key)):
            errs.append(invalid(f"data[{key}]", key, m))
        if key in binary:
            errs.append(invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
        if isinstance(value, str):
            total += len(value) if value.isascii() else len(value.encode("utf-8"))
    for key, value in binary.items():
        errs += [invalid(f"binaryData[{key}]", key, m) for m in configmap_key_errors(str(key))]
        total += decoded_len(value)
    if total > MAX_SIZE:
        errs.append(FieldError("Too long", "", f"must have at most {MAX_SIZE} bytes"))
    return errs


def validate_configmap_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateConfigMapUpdate (CM-4)."""
    errs: list[FieldError] = []
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            errs.append(forbidden("immutable", "field is immutable when `immutable` is set"))
        if as_dict(new.get("data")) != as_dict(old.get("data")):
            errs.append(forbidden("data", "field is immutable when `immutable` is set"))
        if as_dict(new.get("binaryData")) != as_dict(old.get("binaryData")):
            errs.append(forbidden("binaryData", "field is immutable when `immutable` is set"))
    return errs


REGISTRY["ConfigMap"] = KindInfo(
    "ConfigMap", ("v1",), True, "configmaps", ("cm",), name_rule="subdomain", validate=validate_configmap,
    validate_update=validate_configmap_update, has_status=False, top_level=("data", "binaryData", "immutable"),
)
