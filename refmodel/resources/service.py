"""Service: defaulting and validation."""

from __future__ import annotations

from . import REGISTRY, KindInfo

REGISTRY["Service"] = KindInfo("Service", ("v1",), True, "services", ("svc",), name_rule="dns1035", has_status=True)
