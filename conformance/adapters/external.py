"""The built-in ``external`` adapter: the reference model behind the protocol only, as a third party's
system would be.

``--adapter external``. It keeps its own model state, answers every request with plain, thawed
objects (``dict`` and ``list``, as JSON from an API server would be), and declares only powers a
real system could offer: faults, virtual time, single controller turns and ``watch`` (what changed
since the last observation, as a Kubernetes watch from a resourceVersion). It has no snapshot views,
no event fast path and no intermediate states, and the harness cannot see its model: so the harness
runs its own model beside it and every differential check is on. It is the suite's measure of the
speed of the protocol path (``benchmarks/bench_machine_steps.py``), and the base that tests wrap to
play a third party with one behaviour changed. The requests (as :mod:`refmodel.events` values), ``settle`` and
``observe`` are those it shares with the ``model`` adapter (:class:`~conformance.adapters.model.ModelBacked`);
its own are the answers in JSON form (:meth:`ExternalAdapter._do`), ``reset`` and ``changes``.

``watch`` is cheap here because the model's state is persistent: the objects that changed since the
state last shown are the map entries that are not the same object any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import refmodel as rm
from refmodel.frozen import thaw
from refmodel.state import ClusterState

from . import CAPABILITIES, Changes, Outcome, Sandbox
from .model import ModelBacked

__all__ = ["ExternalAdapter", "changes_between"]


class ExternalAdapter(ModelBacked):
    """The reference model as an external system: protocol methods and declared powers only."""

    name = "external"
    capabilities: frozenset[str] = CAPABILITIES - {"snapshot", "intermediate", "events", "dataplane", "container-view"}

    def __init__(self) -> None:
        self.state = Sandbox().build()
        self._shown: ClusterState | None = None
        self._version = 0
        self._answered: tuple[Any, Any] = (None, None)  # (stored object, its JSON form) of the last answer

    def _do(self, event: Any) -> Outcome:
        result = rm.transition(self.state, event)
        self.state = result.state
        if result.rejection is not None:
            r = result.rejection
            return Outcome.rejected(r.reason, r.field, r.message)
        if not isinstance(result.obj, Mapping):
            return Outcome.ok(None)
        plain = _json(result.obj)
        self._answered = (result.obj, plain)  # the watch sends the same object: encoded once
        return Outcome.ok(plain)

    # ---- the protocol (beyond ModelBacked's) ---------------------------------------------------
    def reset(self, sandbox: Sandbox) -> None:
        self.state = sandbox.build()
        self._shown = None
        self._answered = (None, None)

    def changes(self, since: str) -> Changes:
        """Objects written or deleted since the observation ``since`` (capability ``watch``)."""
        shown, self._shown = self._shown, self.state
        relist = shown is None or since != str(self._version)
        self._version += 1
        if relist:
            return str(self._version), True, self.observe(), []
        assert shown is not None
        upserts, deletes = changes_between(shown, self.state)
        answered, plain = self._answered
        self._answered = (None, None)
        if answered is None or not any(o is answered for o in upserts):
            return str(self._version), False, _json(upserts), deletes
        rest = iter(_json([o for o in upserts if o is not answered]))
        return str(self._version), False, [plain if o is answered else next(rest) for o in upserts], deletes


def _json(value: Any) -> Any:
    """The value as it comes out of an API server, decoded from JSON: plain dicts and lists sharing
    nothing with the model's state. The model's objects hold JSON values only, so :func:`thaw` gives
    what ``json.loads(json.dumps(value))`` would, at half the cost."""
    return thaw(value)


def changes_between(old: ClusterState, new: ClusterState) -> tuple[list[Any], list[tuple[str, str, str]]]:
    """The objects of ``new`` that are not those of ``old`` (as stored), and the keys ``new`` lost.

    The stores are persistent maps, so unchanged kinds and namespaces are skipped by identity.
    """
    upserts: list[Any] = []
    deletes: list[tuple[str, str, str]] = []
    old_kinds, new_kinds = old.objects, new.objects
    if old_kinds is new_kinds:
        return upserts, deletes
    for kind, kn in new_kinds.items():  # each map is walked from the new side, then the old one's leftovers
        ko = old_kinds.get(kind)
        if ko is kn:
            continue
        ko = ko if ko is not None else {}
        for ns, mn in kn.items():
            mo = ko.get(ns)
            if mo is mn:
                continue
            mo = mo if mo is not None else {}
            for name, obj in mn.items():
                if mo.get(name) is not obj:
                    upserts.append(obj)
            deletes.extend((kind, ns, name) for name in mo if name not in mn)
        deletes.extend((kind, ns, name) for ns, mo in ko.items() if ns not in kn for name in mo)
    for kind, ko in old_kinds.items():
        if kind not in new_kinds:
            deletes.extend((kind, ns, name) for ns, mo in ko.items() for name in mo)
    return upserts, deletes
