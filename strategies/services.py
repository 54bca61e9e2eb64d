"""Hypothesis strategies for Services (rules SVC-1...SVC-9): every type, selectors that match the workload
strategies' pods (and some that match nothing), requested cluster IPs and node ports drawn from a small
pool so that two Services ask for the same one, and type and selector changes of an applied Service.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .manifests import NAMESPACES, _pick

__all__ = ["SERVICE_NAMES", "SERVICE_SELECTORS", "SERVICE_TYPES", "service_variant", "services"]

Obj = dict[str, Any]

SERVICE_NAMES: tuple[str, ...] = ("front", "back", "db")
SERVICE_TYPES: tuple[str, ...] = ("ClusterIP", "NodePort", "headless", "LoadBalancer", "ExternalName")
# the ReplicaSet strategy's selectors (rs, track), the Deployments' (app), one that matches nothing,
# and None: a selectorless Service (EP-1)
SERVICE_SELECTORS: tuple[dict[str, str] | None, ...] = (
    {"rs": "front"}, {"app": "web"}, {"track": "canary"}, {"app": "api"}, {"rs": "back"}, {"role": "none"}, None)
_PORTS: tuple[tuple[Obj, ...], ...] = (
    ({"port": 80, "targetPort": 8080},),
    ({"name": "http", "port": 80, "targetPort": 8080}, {"name": "metrics", "port": 9090}),
    # not 53/UDP with 53/TCP: kubectl apply's strategic merge keys Service ports by port alone, so applying such
    # a pair over a stored Service folds them into one (upstream kubernetes#39188; server-side apply fixed it)
    ({"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 5353, "protocol": "TCP"}),
    ({"name": "web", "port": 80, "targetPort": "web"},),  # a named port the pods do not declare (EP-5)
)
_CLUSTER_IPS: tuple[str | None, ...] = (None, None, None, "10.0.0.100", "10.0.0.101")
_NODE_PORTS: tuple[int | None, ...] = (None, None, None, 30100, 30101)


def service_variant(name: str, namespace: str, stype: str, selector: dict[str, str] | None,
                    ports: tuple[Obj, ...] = _PORTS[0], cluster_ip: str | None = None,
                    node_port: int | None = None, publish: bool = False, local: bool = False) -> Obj:
    """One Service manifest; ``stype`` "headless" is a ClusterIP Service with ``clusterIP: None``."""
    spec: Obj = {}
    if stype == "ExternalName":
        spec = {"type": "ExternalName", "externalName": f"{name}.example.com"}
    else:
        spec["type"] = "ClusterIP" if stype == "headless" else stype
        spec["ports"] = [dict(p) for p in ports]
        if stype == "headless":
            spec["clusterIP"] = "None"
        elif cluster_ip:
            spec["clusterIP"] = cluster_ip
        if node_port and stype in ("NodePort", "LoadBalancer"):
            spec["ports"][0]["nodePort"] = node_port
        if local and stype in ("NodePort", "LoadBalancer"):
            spec["externalTrafficPolicy"] = "Local"
        if publish:
            spec["publishNotReadyAddresses"] = True
    if selector is not None:
        spec["selector"] = dict(selector)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


@st.composite
def services(draw: st.DrawFn, *, name: str | None = None, namespace: str | None = None,
             namespaces: tuple[str, ...] = NAMESPACES,
             selectors: tuple[dict[str, str] | None, ...] = SERVICE_SELECTORS) -> Obj:
    """Valid Services of every type (requested cluster IPs and node ports may clash: the second is rejected).

    Example: ``{'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 'front', 'namespace': 'default'},
    'spec': {'type': 'ClusterIP', 'ports': [{'port': 80, 'targetPort': 8080}], 'selector': {'rs': 'front'}}}``.
    """
    c = _pick(draw, "service", {
        "name": (name,) if name is not None else SERVICE_NAMES,
        "namespace": (namespace,) if namespace is not None else namespaces,
        "type": SERVICE_TYPES,
        "selector": selectors,
        "ports": _PORTS,
        "cluster_ip": _CLUSTER_IPS,
        "node_port": _NODE_PORTS,
        "publish": (False, False, False, True),
        "local": (False, False, True),
    })
    return service_variant(c["name"], c["namespace"], c["type"], c["selector"], c["ports"], c["cluster_ip"],
                           c["node_port"], c["publish"], c["local"])
