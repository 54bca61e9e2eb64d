"""Endpoints: defaulting and validation."""

from __future__ import annotations

from . import REGISTRY, KindInfo

REGISTRY["Endpoints"] = KindInfo("Endpoints", ("v1",), True, "endpoints", ("ep",), name_rule="subdomain", has_status=False)
