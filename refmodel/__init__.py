"""refmodel: a pure-functional reference model of Kubernetes (v1.32 semantics).

State is an immutable value; everything that happens is an event; one pure function folds events
into states::

    import refmodel as rm
    state = rm.new_cluster(nodes=3)
    state = rm.apply_manifest(state, obj)
    state = rm.converge(state)
    rm.get(state, "Deployment", "web", namespace="default")

No I/O, no wall clock, no randomness, no environment variables: every input is explicit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import apiserver, controllers, dns, events, kubectl
from .controllers import send
from .core import StepResult, converge, converge_steps, step, transition
from .dns import Record, resolve
from .errors import FieldError, Invalid, NotConverged, Rejection
from .frozen import EMPTY, FrozenDict, freeze, thaw
from .proxy import route
from .request import Request, Response
from .resources import REGISTRY
from .state import ClusterConfig, ClusterState
from .volumes import container_view
from .yamlio import dump_manifests, load_manifests

__all__ = [
    "ClusterConfig",
    "ClusterState",
    "FieldError",
    "Invalid",
    "NotConverged",
    "Record",
    "Rejection",
    "Request",
    "Response",
    "StepResult",
    "apply_manifest",
    "container_view",
    "converge",
    "converge_steps",
    "dns",
    "dump_manifests",
    "events",
    "get",
    "list_objects",
    "load_manifests",
    "new_cluster",
    "resolve",
    "route",
    "step",
    "transition",
    "validate_manifest",
]

__version__ = "0.1.0"


def new_cluster(
    nodes: int = 3,
    *,
    cpu: str = "4",
    memory: str = "16Gi",
    pods_per_node: int = 110,
    config: ClusterConfig | None = None,
) -> ClusterState:
    """A fresh cluster: ``nodes`` Ready nodes ``node-0..``, the initial namespaces and the ``kubernetes`` Service.

    The state is returned with its work queue drained (``converge`` has run).
    """
    from .admission import node_status

    state = ClusterState(config=config or ClusterConfig())
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        state = _must(send(state, Request("create", body={"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": ns}})))
    for i in range(nodes):
        name = f"node-{i}"
        node = freeze({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}},
            "spec": {"podCIDR": f"10.244.{i % 256}.0/24"},
            "status": node_status(name, i, cpu, memory, pods_per_node, state.timestamp()),
        })
        # the node's kubelet registers it (with its status)
        state = _must(send(state, Request("create", body=node, controller="kubelet")))
    for obj in _builtin_objects(state.config):
        state = _must(send(state, Request("create", body=obj)))
    if state.config.default_storage_class:
        state = _must(send(state, Request("create", body=_default_storage_class(state.config.default_storage_class))))
    return converge(state)


def _builtin_objects(config: ClusterConfig) -> list[dict[str, Any]]:
    """The ``kubernetes`` Service (first IP of the service CIDR) and kube-dns (the tenth, as kubeadm
    places it) (rules SVC-11, DNS-1)."""
    from .allocator import ip_range

    rng = ip_range(config.service_cidr)
    return [
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kubernetes", "namespace": "default",
                      "labels": {"component": "apiserver", "provider": "kubernetes"}},
         "spec": {"type": "ClusterIP", "clusterIP": rng.first(),
                  "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kube-dns", "namespace": "kube-system",
                      "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"}},
         "spec": {"type": "ClusterIP", "clusterIP": rng.address(9), "selector": {"k8s-app": "kube-dns"},
                  "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]}},
        # the API server's own reconciler keeps the kubernetes Service's Endpoints and EndpointSlice on the
        # API server's address (SVC-11; pkg/controlplane/reconcilers): one API server, 6443
        {"apiVersion": "v1", "kind": "Endpoints",
         "metadata": {"name": "kubernetes", "namespace": "default",
                      "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
         "subsets": [{"addresses": [{"ip": API_SERVER_IP}], "ports": [{"name": "https", "port": 6443,
                                                                        "protocol": "TCP"}]}]},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": "kubernetes", "namespace": "default",
                      "labels": {"kubernetes.io/service-name": "kubernetes"}},
         "addressType": "IPv4",
         "endpoints": [{"addresses": [API_SERVER_IP], "conditions": {"ready": True}}],
         "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]},
    ]


#: the model's one API server (the kubernetes Service's endpoint); nodes are 172.18.0.2 and up
API_SERVER_IP = "172.18.0.1"


def _default_storage_class(name: str) -> dict[str, Any]:
    """The default class of a development cluster (``ClusterConfig.default_storage_class``): Immediate binding,
    Delete reclaim, expandable, provisioned in memory (:data:`refmodel.provisioners.IN_MEMORY`)."""
    from .provisioners import IN_MEMORY

    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": IN_MEMORY, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate",
            "allowVolumeExpansion": True}


def _must(result: tuple[ClusterState, Response]) -> ClusterState:
    state, response = result
    if response.rejection is not None:
        raise Invalid(response.rejection)
    return state


def apply_manifest(state: ClusterState, obj: Mapping[str, Any]) -> ClusterState:
    """``kubectl apply`` of one object. Raises :class:`Invalid` (state untouched) when rejected."""
    state, response, changes = kubectl.apply(state, obj)
    if response.rejection is not None:
        raise Invalid(response.rejection)
    return controllers.notify(state, changes) if changes else state


def validate_manifest(state: ClusterState, obj: Mapping[str, Any]) -> Rejection | None:
    """What the API server would say to creating ``obj`` (None = accepted), without changing anything."""
    return apiserver.check_create(state, obj)


def get(state: ClusterState, kind: str, name: str, namespace: str = "default") -> dict[str, Any] | None:
    """One object as a plain API-shaped dict, or None. ``namespace`` is ignored for cluster-scoped kinds."""
    info = REGISTRY.get(kind)
    if info is None:
        return None
    obj = state.get(kind, namespace if info.namespaced else "", name)
    return None if obj is None else thaw(obj)


def list_objects(
    state: ClusterState,
    kind: str,
    namespace: str | None = None,
    selector: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Objects of a kind, sorted by (namespace, name); ``selector`` is a matchLabels map or a LabelSelector."""
    info = REGISTRY.get(kind)
    if info is None:
        return []
    request = Request("list", kind, (namespace or "") if info.namespaced else "", selector=selector)
    return [thaw(o) for o in apiserver.handle(state, request)[1].items]


# re-exported for convenience
_ = (EMPTY, FrozenDict)
