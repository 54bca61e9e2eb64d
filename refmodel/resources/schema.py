"""Structural checks: unknown fields and wrong types (strict field validation).

This stub accepts everything; the validation work replaces it with the schema-driven check.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError

__all__ = ["structural_errors"]


def structural_errors(kind: str, api_version: str, obj: dict[str, Any]) -> list[FieldError]:
    return []
