"""Errors the model reports to users, shaped like the API server's ``Status`` responses.

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go`` (field.Error,
ErrorType strings) and ``staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go``
(NewInvalid, NewAlreadyExists, NewNotFound, NewConflict: their message texts).
**Modelled:** field errors with kubectl-like text, aggregated per object; the rejection reason.
**Not modelled:** HTTP status codes beyond the ``code`` number carried for the REST server.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

__all__ = [
    "FieldError",
    "Invalid",
    "NotConverged",
    "Rejection",
    "duplicate",
    "forbidden",
    "invalid",
    "json_type",
    "not_supported",
    "required",
    "too_long",
    "type_invalid",
]


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return repr(value)


@attrs.frozen
class FieldError:
    """One problem at one field path (``spec.template.spec.containers[0].image``)."""

    type: str  # "Required value", "Invalid value", "Unsupported value", "Forbidden", ...
    field: str
    detail: str = ""
    value: Any = attrs.field(default=None, eq=False)
    has_value: bool = False

    def __str__(self) -> str:
        head = f"{self.field}: {self.type}" if self.field else self.type
        if self.has_value:
            head += f": {_render_value(self.value)}"
        if self.detail:
            head += f": {self.detail}"
        return head


def required(field: str, detail: str = "") -> FieldError:
    return FieldError("Required value", field, detail)


def invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("Invalid value", field, detail, value, True)


def not_supported(field: str, value: Any, supported: list[str] | tuple[str, ...]) -> FieldError:
    quoted = ", ".join(json.dumps(s) for s in supported)
    return FieldError("Unsupported value", field, f"supported values: {quoted}", value, True)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError("Forbidden", field, detail)


def duplicate(field: str, value: Any) -> FieldError:
    return FieldError("Duplicate value", field, "", value, True)


def too_long(field: str, value: Any, limit: int) -> FieldError:
    return FieldError("Too long", field, f"must have at most {limit} bytes", value, False)


def type_invalid(field: str, value: Any, want: str) -> FieldError:
    got = json_type(value)
    return FieldError("Invalid value", field, f"must be of type {want}", got, True)


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as the API server's type errors spell it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


@attrs.frozen
class Rejection:
    """A rejected request, as a value (the API server's ``Status`` with ``status: Failure``)."""

    reason: str  # Invalid, AlreadyExists, NotFound, Conflict, Forbidden, BadRequest, MethodNotAllowed
    message: str
    code: int = 422
    kind: str = ""
    name: str = ""
    causes: tuple[FieldError, ...] = ()

    def has_cause(self, cause_type: str) -> bool:
        """Whether a cause has this type (``errors.HasStatusCause``: ``NamespaceTerminating`` ...)."""
        return any(c.type == cause_type for c in self.causes)

    @property
    def field(self) -> str:
        """The first offending field path ('' when the rejection is not about a field)."""
        return self.causes[0].field if self.causes else ""

    def __str__(self) -> str:
        return self.message

    @staticmethod
    def from_errors(kind: str, name: str, errors: list[FieldError] | tuple[FieldError, ...]) -> Rejection:
        listed = "; ".join(str(e) for e in errors)
        if len(errors) > 1:
            listed = "[" + ", ".join(str(e) for e in errors) + "]"
        label = f'{kind} "{name}"' if name else kind
        return Rejection("Invalid", f"The {label} is invalid: {listed}", 422, kind, name, tuple(errors))


class Invalid(Exception):
    """Raised by the facade (``apply_manifest``, ``load_manifests``) for input it rejects.

    ``str(exc)`` is kubectl-like text; ``exc.rejection`` carries the structured reason and fields.
    """

    def __init__(self, rejection: Rejection | str) -> None:
        if isinstance(rejection, str):
            rejection = Rejection("BadRequest", rejection, 400)
        super().__init__(rejection.message)
        self.rejection = rejection

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return self.rejection.causes


class NotConverged(Exception):
    """Raised by ``converge`` when controllers keep changing the state without settling (livelock)."""
