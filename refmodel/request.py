"""The request vocabulary of the one door: what users and controllers ask the API server, and its answers.

**Mirrors:** the REST verbs the generic registry serves (``staging/src/k8s.io/apiserver/pkg/endpoints/
handlers``: create.go, update.go, patch.go, delete.go, get.go), their options
(``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go``: CreateOptions, UpdateOptions,
PatchOptions with its patch types, DeleteOptions with propagationPolicy, gracePeriodSeconds and
preconditions, ListOptions' labelSelector) and the ``Status`` a failed request returns
(``metav1.Status``, ``StatusDetails``, ``StatusCause``; ``apimachinery/pkg/api/errors/errors.go``).
**Modelled:** one frozen :class:`Request` per call (verb, kind, namespace, name, body, subresource, patch
type, delete options, dry run, field manager, resourceVersion precondition, list selector, and who is
asking: a user or a named controller); a batch of requests of one controller turn (``items``) that the
API server commits together; a :class:`Response` that is either the object (or list) or a ``Status``
with reason, code, message and causes with field paths; :data:`Change`, one committed write as the
watches receive it.
**Not modelled (and why):** authentication and authorization (the asker is named, never checked);
``fieldValidation`` (the model always decodes strictly); watch requests (the model's watches are the
controllers' ``watches``, fed with :data:`Change` values).
"""

from __future__ import annotations

from typing import Any

import attrs

from .errors import FieldError, Rejection
from .frozen import FrozenDict

__all__ = ["VERBS", "Change", "Request", "Response", "status_of"]

VERBS = ("create", "update", "patch", "delete", "get", "list")
SUBRESOURCES = ("", "status", "scale", "binding")
PATCH_TYPES = ("merge", "json", "strategic", "apply")

#: one committed write: (ref, stored before (None: created), stored after (None: removed), status only)
Change = tuple[tuple[str, str, str], FrozenDict | None, FrozenDict | None, bool]


@attrs.frozen
class Request:
    """One API request. ``body`` is the object (create, update), the patch document (patch), or a Scale
    (``subresource="scale"``), or a Binding (``create`` of ``subresource="binding"``). ``controller`` names the controller that sends it; empty for a user.

    ``items`` makes a batch: the same verb (create, update, delete) applied to each body in order, as one
    controller turn sends them; they are committed together and the batch stops at the first rejection
    (the writes before it stay), as ``slowStartBatch`` stops at the first error. For a batch ``kind``,
    ``namespace`` and ``name`` are read from each body.
    """

    verb: str
    kind: str = ""
    namespace: str = ""
    name: str = ""
    body: Any = None
    subresource: str = ""
    patch_type: str = "merge"
    propagation: str | None = None
    grace_period_seconds: int | None = None
    dry_run: bool = False
    field_manager: str = ""  # who writes (managedFields): ``fieldManager`` or the client's user agent; "" tracks none
    resource_version: str = ""  # precondition: the write fails with Conflict unless the stored object has it
    selector: Any = None  # list: a matchLabels map or a LabelSelector
    controller: str = ""  # who asks: "" for a user, else the controller's name
    items: tuple[Any, ...] = ()
    force: bool = False  # server-side apply: take the fields other managers own (``force=true``)

    @property
    def by_user(self) -> bool:
        return not self.controller


@attrs.frozen
class Response:
    """The answer: the stored object (``obj``; None after a removal), the listed objects (``items``), or a
    failure (``rejection``, shaped as a ``Status`` by :meth:`status`). ``notice`` is what kubectl prints
    besides the object (``skipped rollback``, ``unchanged``)."""

    code: int = 200
    obj: FrozenDict | None = None
    items: tuple[FrozenDict, ...] = ()
    rejection: Rejection | None = None
    notice: str = ""

    @property
    def ok(self) -> bool:
        return self.rejection is None

    def status(self) -> dict[str, Any]:
        """The ``metav1.Status`` a REST client would receive for this response."""
        return status_of(self.rejection) if self.rejection is not None else {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": self.code}

    @staticmethod
    def failure(rejection: Rejection) -> Response:
        return Response(rejection.code, None, (), rejection)


# field.ErrorType -> metav1.CauseType (apimachinery/pkg/util/validation/field/errors.go ErrorType*)
_CAUSE = {
    "Required value": "FieldValueRequired",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Forbidden": "FieldValueForbidden",
    "Duplicate value": "FieldValueDuplicate",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
    "Not found": "FieldValueNotFound",
    "Internal error": "InternalError",
}


def _cause(err: FieldError) -> dict[str, Any]:
    message = err.detail if err.type == "FieldManagerConflict" else str(err)
    if err.field and message.startswith(err.field + ": "):
        message = message[len(err.field) + 2:]
    return {"reason": _CAUSE.get(err.type, err.type), "message": message, "field": err.field}


def status_of(rejection: Rejection) -> dict[str, Any]:
    """A rejection as ``metav1.Status``: ``status: Failure``, reason, code, message and ``details`` with
    the kind, name and one cause per field error (``FieldValueInvalid`` at ``spec.replicas`` ...)."""
    details: dict[str, Any] = {}
    if rejection.name:
        details["name"] = rejection.name
    if rejection.kind:
        details["kind"] = rejection.kind
    if rejection.causes:
        details["causes"] = [_cause(c) for c in rejection.causes]
    out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                           "message": rejection.message, "reason": rejection.reason, "code": rejection.code}
    if details:
        out["details"] = details
    return out
