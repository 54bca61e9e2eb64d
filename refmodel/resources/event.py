"""Event (v1): validation of Events created through the core API.

**Mirrors:** ``pkg/apis/core/validation/events.go`` (ValidateEventCreate, legacyValidateEvent: for requests
in ``v1`` only the legacy rules apply; ValidateEventUpdate) and ``pkg/registry/core/event/strategy.go``.
**Modelled:** without an eventTime, the involved object's namespace must match the Event's (an Event in
``default`` may name a cluster-scoped object); with an eventTime, reportingComponent (a qualified name),
reportingInstance, action and reason are required and bounded (128 characters; message 1024), and the
involved object may be cluster-scoped only for Events in ``default`` or ``kube-system``; the Event's namespace
is a DNS subdomain.
**Not modelled (and why):** the ``events.k8s.io/v1`` API and its strict rules (not served by the model);
Event updates beyond the create rules (ValidateEventUpdate's immutable fields apply to events.k8s.io writes);
the Event TTL (the model's clock never runs long enough to expire one).
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, invalid, required
from . import REGISTRY, KindInfo
from .common import as_dict, dns1123_subdomain_errors, meta_finalizer_errors, qualified_name_errors

__all__ = ["validate_event"]

Obj = dict[str, Any]

REPORTING_INSTANCE_LENGTH_LIMIT = 128
ACTION_LENGTH_LIMIT = 128
REASON_LENGTH_LIMIT = 128
NOTE_LENGTH_LIMIT = 1024


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def validate_event(obj: Obj) -> list[FieldError]:
    """legacyValidateEvent for a request in ``v1``."""
    errs = meta_finalizer_errors(obj)
    ns = _s(as_dict(obj.get("metadata")).get("namespace")) or "default"
    involved_ns = _s(as_dict(obj.get("involvedObject")).get("namespace"))
    mismatch = invalid("involvedObject.namespace", involved_ns, "does not match event.namespace")
    if not obj.get("eventTime"):
        if (not involved_ns and ns not in ("", "default")) or (involved_ns and ns != involved_ns):
            errs.append(mismatch)
    else:
        if not involved_ns and ns not in ("default", "kube-system"):
            errs.append(mismatch)
        component = _s(obj.get("reportingComponent"))
        if not component:
            errs.append(required("reportingComponent"))
        errs += [invalid("reportingComponent", component, m) for m in qualified_name_errors(component)]
        for key, limit in (("reportingInstance", REPORTING_INSTANCE_LENGTH_LIMIT), ("action", ACTION_LENGTH_LIMIT),
                           ("reason", REASON_LENGTH_LIMIT)):
            value = _s(obj.get(key))
            if not value:
                errs.append(required(key))
            if len(value) > limit:
                errs.append(invalid(key, "", f"can have at most {limit} characters"))
        if len(_s(obj.get("message"))) > NOTE_LENGTH_LIMIT:
            errs.append(invalid("message", "", f"can have at most {NOTE_LENGTH_LIMIT} characters"))
    errs += [invalid("namespace", ns, m) for m in dns1123_subdomain_errors(ns)]
    return errs


REGISTRY["Event"] = KindInfo(
    "Event", ("v1",), True, "events", ("ev",), name_rule="path", validate=validate_event, has_status=False,
    top_level=("involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type",
               "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance"),
)
