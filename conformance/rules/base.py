"""The base of every conformance machine: the run it drives and what this example applied."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis.stateful import RuleBasedStateMachine, initialize

from ..harness import Run
from .choice import install

__all__ = ["BaseRules", "Ref", "ref_of"]

Ref = tuple[str, str, str]  # (kind, namespace, name)


def ref_of(manifest: dict[str, Any]) -> Ref:
    md = manifest["metadata"]
    kind = manifest["kind"]
    return kind, ("" if kind == "Namespace" else md.get("namespace", "default")), md["name"]


class BaseRules(RuleBasedStateMachine):
    """Holds the :class:`~conformance.harness.Run` of the current example.

    The runner makes a subclass per machine and run with ``make_run`` set, because Hypothesis builds
    machines with no arguments.
    """

    make_run: ClassVar[Callable[[], Run]]

    def __init__(self) -> None:
        super().__init__()
        install(self)  # Hypothesis' rule choice, cheaper (conformance.rules.choice)
        self.run = type(self).make_run()
        self.applied: dict[Ref, dict[str, Any]] = {}

    @initialize()
    def apply_namespaces(self) -> None:
        """Every example starts with the suite's namespaces besides ``default`` (as recorded events)."""
        from refmodel import events as ev
        from strategies.manifests import NAMESPACES

        for ns in NAMESPACES[1:]:
            self.run.do(ev.Apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))

    def targets(self, *kinds: str) -> list[Ref]:
        """Objects this example applied, of ``kinds`` (all when none), in a stable order."""
        return sorted(r for r in self.applied if not kinds or r[0] in kinds)

    def pick_pod(self, pick: int) -> tuple[str, str] | None:
        """The ``pick``-th pod the adapter reports (by namespace and name), or None when there is none."""
        pods = sorted((p["metadata"].get("namespace") or "", p["metadata"]["name"])
                      for p in self.run.view.objects("Pod"))
        return pods[pick % len(pods)] if pods else None

    def apply(self, manifest: dict[str, Any]) -> None:
        from refmodel import events as ev

        outcome = self.run.do(ev.Apply(manifest))
        if outcome.status != "rejected":
            self.applied[ref_of(manifest)] = manifest

    def teardown(self) -> None:
        self.run.stats.examples += 1
