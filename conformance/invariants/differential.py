"""The differential checks: the system under test against the harness's own reference model.

The harness (:class:`conformance.harness.Run`) runs its own model beside the adapter, built from the
sandbox it passed to ``reset``, and never takes the adapter's state or answers as the reference. It
calls these checks itself (they need both sides, which an invariant over observed objects does not
see); they are reported with the invariants:

* every answer (accepted or rejected, and the field a rejection names) is the model's;
* when the adapter declares ``virtual-time`` (runs are deterministic), after *every* step, and
  every controller turn and clock step of a settle when it can ``single-step``, the objects the step
  touched on either side equal the model's after canonicalisation (:mod:`conformance.canon`): a bug
  whose trace vanishes once the cluster settles (a proportional scaling that hands every added
  replica to the largest ReplicaSet, then completes its rollout) is caught at the turn it happens;
* after settle, the whole canonical state equals the model's.

They need the capability ``differential``, which only the harness grants: not for the built-in
``model`` adapter (it *is* the model; the checks are reported not applicable, never passed).
"""

from __future__ import annotations

from typing import Any

from ..adapters import Outcome
from ..canon import KINDS, first_difference, first_difference_in, group_of
from ..view import View, diff_kind
from . import Invariant, Verdict

__all__ = ["ANSWERS", "INVARIANTS", "SETTLED", "TOUCHED", "answers_like_the_model", "settled_like_the_model",
           "touched_like_the_model"]


def answers_like_the_model(got: Outcome, want: Outcome, event: Any) -> Verdict:
    if got.status == "unknown":
        return 0, []
    if got.status != want.status:
        return 1, [f"the adapter answered {got}, but the model answers {want} [to {event}]"]
    if got.status == "rejected" and got.field and want.field and got.field != want.field:
        return 1, [f"the adapter rejected on field {got.field}, but the model names {want.field} [to {event}]"]
    return 1, []


def touched_like_the_model(before: View, after: View, model_before: View, model_after: View,
                           event: Any, namespaces: tuple[str, ...]) -> Verdict:
    groups = set()
    for kind in KINDS:
        for old, new in diff_kind(before, after, kind):
            groups.add(group_of(kind, new if new is not None else old))  # type: ignore[arg-type]
        for old, new in diff_kind(model_before, model_after, kind):
            groups.add(group_of(kind, new if new is not None else old))  # type: ignore[arg-type]
    groups = {g for g in groups if g[0] in ("Node", "Namespace") or g[1] in namespaces}
    if not groups:
        return 0, []
    diff = first_difference_in(after, model_after, groups)
    return 1, ([] if diff is None else [f"after {event}, {diff}"])


def settled_like_the_model(view: View, model_view: View, namespaces: tuple[str, ...]) -> Verdict:
    if first_difference(view, model_view, namespaces) is None:
        return 1, []
    from ..canon import canonical
    from ..output import render_state_diff

    diff = render_state_diff(canonical(view, namespaces), canonical(model_view, namespaces))
    return 1, ([] if diff is None else [f"after settle, {diff}"])


_NEEDS = frozenset({"differential"})
ANSWERS = Invariant("the adapter accepts and rejects requests as the model does", ("API-3", "D-2", "L-5"),
                    "transition", answers_like_the_model, needs=_NEEDS)
TOUCHED = Invariant("after every step, the objects it touched equal the model's (after canonicalisation)",
                    ("API-3", "D-15", "D-10", "RS-1"), "transition", touched_like_the_model,
                    needs=_NEEDS | {"virtual-time"})
SETTLED = Invariant("after settle, the adapter's state equals the model's (after canonicalisation)",
                    ("RS-1", "D-10", "SCH-2", "P-12"), "convergence", settled_like_the_model, needs=_NEEDS)
INVARIANTS: tuple[Invariant, ...] = (ANSWERS, TOUCHED, SETTLED)
