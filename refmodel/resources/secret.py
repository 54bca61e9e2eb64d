"""Secret: defaulting and validation."""

from __future__ import annotations

from . import REGISTRY, KindInfo

REGISTRY["Secret"] = KindInfo("Secret", ("v1",), True, "secrets", (), name_rule="subdomain", has_status=False)
