"""ConfigMap: defaulting and validation."""

from __future__ import annotations

from . import REGISTRY, KindInfo

REGISTRY["ConfigMap"] = KindInfo("ConfigMap", ("v1",), True, "configmaps", ("cm",), name_rule="subdomain", has_status=False)
