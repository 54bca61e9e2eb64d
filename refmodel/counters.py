"""Work counters: how many reconciles each controller ran in a ``converge`` and how many objects it visited.

**Mirrors:** nothing upstream: an instrument for the model itself (the counts the work queues' metrics
would give, ``workqueue_adds_total`` and friends, plus per-object visits), used to show that the work a
change causes grows with the change, not with the cluster (issue 9).
**Modelled:** ``converge(state, counters=WorkCounters())`` counts every reconcile per controller, and the
controllers add their per-object visits under a name of their own (the kubelet: ``pod_visits``, pods whose
sync ran; the ReplicaSet controller: ``ranked``, pods given a sort key by the deletion ranking, each
about one comparison of the partial selection, and ``node_entries``, nodes ranked for the merge of a
scale-down burst: every node on the first, then those whose counts moved;
the scheduler: ``attempts``, pods it placed or marked unschedulable one by one, and ``entries``, queue
entries built from the writes of unscheduled pods, and ``merged``, kept entries sorted again to merge new ones in). The counters observe and never steer: a converge returns the same
state with or without them. Outside a counted ``converge`` (or :func:`counting`) nothing is counted, and a
controller pays one context-variable read per reconcile to find that out.
**Not modelled:** time; counts are deterministic, timings are not (the machine is shared).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["WorkCounters", "active", "counting"]


class WorkCounters:
    """Counts keyed by ``(controller, what)``. Mutable on purpose: an observer handed to ``converge``, never
    part of a state."""

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def add(self, controller: str, what: str, n: int = 1) -> None:
        key = (controller, what)
        self.counts[key] = self.counts.get(key, 0) + n

    def get(self, controller: str, what: str) -> int:
        return self.counts.get((controller, what), 0)

    def __repr__(self) -> str:
        body = ", ".join(f"{c}.{w}={n}" for (c, w), n in sorted(self.counts.items()))
        return f"WorkCounters({body})"


_ACTIVE: ContextVar[WorkCounters | None] = ContextVar("kubeoracle_work_counters", default=None)


def active() -> WorkCounters | None:
    """The counters of the converge running now, or None (then nothing is counted)."""
    return _ACTIVE.get()


@contextmanager
def counting(counters: WorkCounters) -> Iterator[WorkCounters]:
    """Count into ``counters`` for the length of the ``with`` block (``converge`` uses this when given
    counters; use it directly around ``step`` or ``converge_steps``)."""
    token = _ACTIVE.set(counters)
    try:
        yield counters
    finally:
        _ACTIVE.reset(token)
