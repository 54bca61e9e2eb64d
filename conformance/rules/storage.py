"""Rules for storage and configuration: classes, claims (and their growth), volumes, ConfigMaps, Secrets,
and pods that read them (rules PV-1..PV-9, CM-1..CM-7)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule

from refmodel import events as ev
from strategies import storage as ss

from .base import BaseRules

__all__ = ["StorageRules"]

_KINDS = ("Pod", "PersistentVolumeClaim", "ConfigMap", "PersistentVolume")


class StorageRules(BaseRules):
    @rule(manifest=ss.storage_classes())
    def apply_storage_class(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @rule(manifest=ss.claims())
    def apply_claim(self, manifest: dict[str, Any]) -> None:
        """A new claim, or a claim re-applied with another size: growth admitted, shrinking rejected."""
        self.apply(manifest)

    @rule(manifest=ss.persistent_volumes())
    def apply_volume(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @rule(manifest=ss.configmaps())
    def apply_configmap(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @rule(manifest=ss.secrets())
    def apply_secret(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @rule(manifest=ss.config_pods())
    def apply_config_pod(self, manifest: dict[str, Any]) -> None:
        """A pod reading ConfigMaps (and maybe a claim, created first when this example has not applied it)."""
        for v in manifest["spec"]["volumes"]:
            name = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if name and ("PersistentVolumeClaim", "default", name) not in self.applied:
                self.apply(ss.claim(name))
        self.apply(manifest)

    @rule(pick=st.integers(0, 3), value=st.sampled_from(("v1", "v2", "v3", "v4")))
    def update_configmap(self, pick: int, value: str) -> None:
        """A new value for a ConfigMap this example applied (the one pods read most, if none): the premise of
        the refresh invariant, which an apply drawn among all storage objects reaches too rarely."""
        targets = self.targets("ConfigMap") or [("ConfigMap", "default", ss.CONFIGMAPS[0])]
        _, ns, name = targets[pick % len(targets)]
        self.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                    "data": {"k1": value, "k2": value}})

    def _claim_pods(self) -> list[tuple[str, str, str]]:
        return [r for r in self.targets("Pod") if any(v.get("persistentVolumeClaim") for v in
                                                      self.applied[r]["spec"].get("volumes") or ())]

    @rule(pick=st.integers(0, 3))
    def replace_pod(self, pick: int) -> None:
        """Delete a pod that mounts a claim, let it go, and create it again (a new pod, maybe on another node):
        what a StatefulSet does to a pod, which must find its volume's data where it left it."""
        targets = self._claim_pods()
        if not targets:
            return
        ref = targets[pick % len(targets)]
        manifest = self.applied[ref]
        self.run.do(ev.Delete(*ref))
        self.run.settle()
        self.apply(manifest)

    @rule(pick=st.integers(0, 3))
    def second_pod_on_claim(self, pick: int) -> None:
        """Another pod on the claim of a pod this example applied: ReadWriteOnce allows it on the same node only,
        ReadWriteOncePod not at all."""
        targets = self._claim_pods()
        if not targets:
            return
        manifest = self.applied[targets[pick % len(targets)]]
        self.apply({**manifest, "metadata": {**manifest["metadata"], "name": "app-x", "labels": {"app": "app-x"}}})

    @rule(prefer=st.sampled_from(_KINDS), pick=st.integers(0, 7))
    def delete_storage(self, prefer: str, pick: int) -> None:
        """Delete a pod, claim, ConfigMap or volume this example applied (a claim in use waits for its pods)."""
        targets = self.targets(prefer) or self.targets(*_KINDS)
        if not targets:
            return
        kind, ns, name = targets[pick % len(targets)]
        self.run.do(ev.Delete(kind, ns, name))
