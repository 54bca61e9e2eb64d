"""Shared helpers for the validation tests (test_validation and the per-kind tables: test_rbac, test_workload_kinds,
test_networking_kinds)."""

from __future__ import annotations

import copy
from typing import Any

from refmodel.errors import FieldError
from refmodel.resources import lookup
from refmodel.resources.schema import structural_errors

Obj = dict[str, Any]


def errors_of(obj: Obj) -> list[FieldError]:
    """What the API server says about creating ``obj``: structure, then defaults and validation."""
    o = copy.deepcopy(obj)
    errs = structural_errors(o["kind"], o["apiVersion"], o)
    if errs:
        return errs
    info = lookup(o["kind"])
    assert info is not None and info.modelled, f"{o['kind']} is not checked"
    info.default(o)
    return info.validate(o)


def defaulted(obj: Obj) -> Obj:
    o = copy.deepcopy(obj)
    assert structural_errors(o["kind"], o["apiVersion"], o) == []
    info = lookup(o["kind"])
    assert info is not None
    info.default(o)
    return o


def update_errors(old: Obj, new: Obj) -> list[FieldError]:
    info = lookup(new["kind"])
    assert info is not None
    o, n = defaulted(old), defaulted(new)
    return info.validate(n) + info.validate_update(o, n)


def assert_ok(obj: Obj) -> None:
    errs = errors_of(obj)
    assert not errs, f"{obj['kind']}: got {[str(e) for e in errs]}, but should be valid"


def assert_error(errs: list[FieldError], field: str, fragment: str) -> None:
    hit = [e for e in errs if e.field == field and fragment in str(e)]
    assert hit, f"got {[str(e) for e in errs]}, but should contain {fragment!r} at {field!r}"
