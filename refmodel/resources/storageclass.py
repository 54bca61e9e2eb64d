"""StorageClass: defaulting and validation."""

from __future__ import annotations

from . import REGISTRY, KindInfo

REGISTRY["StorageClass"] = KindInfo("StorageClass", ("storage.k8s.io/v1",), False, "storageclasses", ("sc",), name_rule="subdomain", has_status=False)
