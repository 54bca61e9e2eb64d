"""ServiceAccount (v1): validation.

**Mirrors:** ``pkg/apis/core/validation/validation.go`` (ValidateServiceAccount: ValidateObjectMeta with
ValidateServiceAccountName = NameIsDNSSubdomain; ValidateServiceAccountUpdate: ValidateObjectMetaUpdate) and
``pkg/registry/core/serviceaccount/strategy.go`` (no status, no generation).
**Modelled:** the name is a DNS-1123 subdomain and the object is namespaced; finalizer names; every field's
type by the structural check (``secrets`` are ObjectReferences, ``imagePullSecrets`` LocalObjectReferences,
``automountServiceAccountToken`` a boolean).
**Not modelled (and why):** nothing else is validated upstream for this kind (the referenced secrets need not
exist); token generation belongs to the token controller, which the model does not run.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError
from . import REGISTRY, KindInfo
from .common import meta_finalizer_errors

__all__ = ["validate_service_account"]


def validate_service_account(obj: dict[str, Any]) -> list[FieldError]:
    """ValidateServiceAccount (the metadata rules the API server's common check leaves out)."""
    return meta_finalizer_errors(obj)


REGISTRY["ServiceAccount"] = KindInfo(
    "ServiceAccount", ("v1",), True, "serviceaccounts", ("sa",), name_rule="subdomain",
    validate=validate_service_account, has_status=False,
    top_level=("secrets", "imagePullSecrets", "automountServiceAccountToken"),
)
