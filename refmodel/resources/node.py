"""Node: defaulting and validation.

**Mirrors:** ``pkg/apis/core/validation/validation.go`` (ValidateNode), ``pkg/registry/core/node/strategy.go``.
"""

from __future__ import annotations

from . import REGISTRY, KindInfo

REGISTRY["Node"] = KindInfo("Node", ("v1",), False, "nodes", ("no",))
