"""Volume provisioners: the registry the PV controller provisions through, and the built-in in-memory one.

**Mirrors:** the external-provisioner contract (``kubernetes-csi/external-provisioner``, ``sig-storage-lib-
external-provisioner`` controller.go: provisionClaimOperation builds a PV for a claim whose class names the
provisioner; deleteVolumeOperation removes the backing volume of a Delete PV it provisioned) and
``pkg/controller/volume/persistentvolume/pv_controller.go`` (provisionClaimOperation: the PV named
``pvc-<claim uid>``, pre-bound to the claim, annotated ``pv.kubernetes.io/provisioned-by``).
**Modelled:** a registry of provisioners by name (:data:`PROVISIONERS`); the in-memory provisioner, which
stands in for any cloud or CSI one: it creates a volume of exactly the requested size at once, expands it
at once, and deletes it at once. A class whose provisioner is not registered behaves as upstream does when
no external provisioner runs: the claim stays Pending and the PV controller records ``ExternalProvisioning``.
**Not modelled (and why):** provisioning latency and failures (a provisioner that fails would be another
entry in the registry), beyond refusing a StorageClass's own fields written among its ``parameters``; topology (the in-memory volume is reachable from every node: ``allowedTopologies``
and the selected node are recorded, not enforced).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import attrs

__all__ = ["IN_MEMORY", "NO_PROVISIONER", "PROVISIONERS", "InMemoryProvisioner", "Provisioner", "register_provisioner"]

IN_MEMORY = "kubeoracle.io/in-memory"
STORAGE_CLASS_FIELDS = frozenset({"provisioner", "reclaimPolicy", "volumeBindingMode", "allowVolumeExpansion",
                                  "mountOptions", "allowedTopologies"})
NO_PROVISIONER = "kubernetes.io/no-provisioner"  # the documented "static volumes only" sentinel


class Provisioner(Protocol):
    """What a provisioner does for the PV controller."""

    def volume_source(self, claim: Mapping[str, Any], storage_class: Mapping[str, Any],
                      node: str | None) -> dict[str, Any]:
        """The PersistentVolumeSource (one member, e.g. ``{"csi": {...}}``) of a new volume for ``claim``, and
        its ``nodeAffinity`` when the volume lives on one node."""
        ...

    def can_expand(self) -> bool:
        """Whether volumes it provisioned grow when their claim asks for more."""
        ...

    def parameter_errors(self, parameters: Mapping[str, Any]) -> list[str]:
        """Why it cannot provision with these class parameters (none: it can)."""
        ...


@attrs.frozen
class InMemoryProvisioner:
    """A volume held by the model: a CSI source named after the provisioner, one handle per claim."""

    driver: str = IN_MEMORY
    node_local: bool = False  # a volume on the node the scheduler picked (kind's local-path): node affinity to it

    def volume_source(self, claim: Mapping[str, Any], storage_class: Mapping[str, Any],
                      node: str | None) -> dict[str, Any]:
        uid = claim["metadata"]["uid"]
        source: dict[str, Any] = {"csi": {"driver": self.driver, "volumeHandle": f"pvc-{uid}", "fsType": "ext4"}}
        if self.node_local and node:
            source["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}
        return source

    def can_expand(self) -> bool:
        return True

    def parameter_errors(self, parameters: Mapping[str, Any]) -> list[str]:
        """Provider parameters (``type``, ``fsType`` ...) are accepted as a cloud driver's would be; the
        StorageClass's own fields written under ``parameters`` are refused, as CSI drivers refuse unknown keys."""
        return [f'invalid parameter "{k}": {k} is a field of the StorageClass itself and belongs at the top level, '
                "not under parameters" for k in sorted(parameters) if k in STORAGE_CLASS_FIELDS]


#: name -> provisioner. The model's clusters run these; any other provisioner name is "not running". Besides
#: the model's own, the in-memory provisioner stands in for the ones development clusters run (kind's
#: local-path, minikube's hostpath), so manifests written for them bind as they do there.
PROVISIONERS: dict[str, Provisioner] = {
    IN_MEMORY: InMemoryProvisioner(),
    "rancher.io/local-path": InMemoryProvisioner("rancher.io/local-path", node_local=True),
    "k8s.io/minikube-hostpath": InMemoryProvisioner("k8s.io/minikube-hostpath"),
}


def register_provisioner(name: str, provisioner: Provisioner) -> None:
    """Make ``name`` a running provisioner (e.g. ``rancher.io/local-path`` to stand in for kind's)."""
    PROVISIONERS[name] = provisioner
