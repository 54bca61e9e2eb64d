"""Rules for Services: apply every type, change an applied Service's type or selector, delete it."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from refmodel import events as ev
from strategies.services import SERVICE_SELECTORS, SERVICE_TYPES, service_variant, services

from .base import BaseRules

__all__ = ["ServiceRules"]


def _has_services(self: BaseRules) -> bool:
    return bool(self.targets("Service"))


class ServiceRules(BaseRules):
    @rule(manifest=services())
    def apply_service(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    def _applied_service(self, pick: int) -> dict[str, Any]:
        targets = self.targets("Service")
        return self.applied[targets[pick % len(targets)]]

    @precondition(_has_services)
    @rule(pick=st.integers(0, 10), stype=st.sampled_from(SERVICE_TYPES))
    def change_service_type(self, pick: int, stype: str) -> None:
        """Re-apply an applied Service as another type: a transition allocates what the new type needs and
        frees what it no longer carries (SVC-6); to or from headless it is refused (SVC-4)."""
        old = self._applied_service(pick)
        md, spec = old["metadata"], old["spec"]
        # the ports without their node ports: a manifest that repeats the old node port on a type without
        # node ports is accepted and the port wiped (dropTypeDependentFields), so it would not store as sent
        ports = tuple({k: v for k, v in p.items() if k != "nodePort"} for p in spec.get("ports") or ())
        self.apply(service_variant(md["name"], md["namespace"], stype, spec.get("selector"),
                                   ports or ({"port": 80, "targetPort": 8080},),
                                   publish=bool(spec.get("publishNotReadyAddresses"))))

    @precondition(_has_services)
    @rule(pick=st.integers(0, 10), selector=st.sampled_from(SERVICE_SELECTORS[:-1]))
    def change_service_selector(self, pick: int, selector: dict[str, str]) -> None:
        old = self._applied_service(pick)
        new = {**old, "spec": {**old["spec"], "selector": dict(selector)}}
        if new["spec"].get("type") == "ExternalName":
            return
        self.apply(new)

    @precondition(_has_services)
    @rule(pick=st.integers(0, 10))
    def delete_service(self, pick: int) -> None:
        targets = self.targets("Service")
        kind, ns, name = targets[pick % len(targets)]
        self.run.do(ev.Delete(kind, ns, name))
