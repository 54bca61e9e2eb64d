"""kube-proxy: where a connection to a Service address could go, as a set of backends.

**Mirrors:** ``pkg/proxy/servicechangetracker.go`` and ``endpointschangetracker.go`` (the Service ports
and the endpoints kube-proxy programs, from EndpointSlices), ``pkg/proxy/topology.go``
(CategorizeEndpoints: ready endpoints, or the serving-terminating ones when none is ready, then
``externalTrafficPolicy: Local`` / ``internalTrafficPolicy: Local`` keep the endpoints of the node only),
``pkg/proxy/iptables/proxier.go`` (syncProxyRules: the ClusterIP:port, every node IP:nodePort and the
load-balancer ingress IPs).
**Modelled:** :func:`route` answers the ``(pod IP, port)`` pairs a TCP/UDP/SCTP connection from ``node`` to
``ip:port`` may reach: a cluster IP (internalTrafficPolicy), a node's InternalIP and a nodePort, a
LoadBalancer ingress IP (externalTrafficPolicy); a pod that is not ready is never a backend while a ready
one exists (rule EP-4 with ProxyTerminatingEndpoints); headless and ExternalName Services are not proxied
(rule SVC-3). No match is the empty set (the connection is refused).
**Not modelled (and why):** sessionAffinity (which one backend of the set a client keeps: the set is the
same either way); externalIPs; the packet path (SNAT, hairpin, health-check node ports); topology hints.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .frozen import EMPTY, FrozenDict
from .state import ClusterState

__all__ = ["route"]

Backend = tuple[str, int]


def route(state: ClusterState, node: str, ip: str, port: int, protocol: str = "TCP") -> frozenset[Backend]:
    """The backends ``(pod IP, port)`` a connection from ``node`` to ``ip:port`` over ``protocol`` could reach."""
    holder = state.holder(("ip", ip))
    if holder is not None:
        svc = state.get("Service", holder[0], holder[1])
        if svc is None:
            return frozenset()
        local = (svc["spec"].get("internalTrafficPolicy") or "Cluster") == "Local"
        for p in svc["spec"].get("ports") or ():
            if p.get("port") == port and (p.get("protocol") or "TCP") == protocol:
                return _backends(state, svc, p, node if local else None)
        return frozenset()
    for svc, p in _external_ports(state, ip, port, protocol, node):
        local = svc["spec"].get("externalTrafficPolicy") == "Local"
        return _backends(state, svc, p, node if local else None)
    return frozenset()


def _external_ports(state: ClusterState, ip: str, port: int, protocol: str,
                    node: str) -> Iterator[tuple[FrozenDict, Mapping[str, Any]]]:
    """The Service port a node-IP:nodePort or load-balancer-IP:port connection hits."""
    if _node_ip(state, node) == ip or any(_node_ip(state, n["metadata"]["name"]) == ip
                                          for n in state.iter_kind("Node")):
        holder = state.holder(("port", port))
        if holder is not None:
            svc = state.get("Service", holder[0], holder[1])
            if svc is not None:
                for p in svc["spec"].get("ports") or ():
                    if p.get("nodePort") == port and (p.get("protocol") or "TCP") == protocol:
                        yield svc, p
        return
    for svc in state.iter_kind("Service"):
        if svc["spec"].get("type") != "LoadBalancer":
            continue
        ingress = ((svc.get("status") or EMPTY).get("loadBalancer") or EMPTY).get("ingress") or ()
        if any(i.get("ip") == ip for i in ingress):
            for p in svc["spec"].get("ports") or ():
                if p.get("port") == port and (p.get("protocol") or "TCP") == protocol:
                    yield svc, p


def _node_ip(state: ClusterState, node: str) -> str | None:
    obj = state.get("Node", "", node)
    for a in ((obj or EMPTY).get("status") or EMPTY).get("addresses") or ():
        if a.get("type") == "InternalIP":
            return str(a.get("address"))
    return None


def is_ready_endpoint(conditions: Mapping[str, Any]) -> bool:
    """A ready endpoint (an unset condition counts as ready, as the EndpointSlice API says)."""
    return conditions.get("ready") is not False


def _backends(state: ClusterState, svc: FrozenDict, port: Mapping[str, Any], node: str | None) -> frozenset[Backend]:
    """CategorizeEndpoints: the ready endpoints serving this port (the serving-terminating ones when none
    is ready), kept to ``node`` for a Local traffic policy."""
    from .dns import service_slices

    md = svc["metadata"]
    name, proto = port.get("name") or "", port.get("protocol") or "TCP"
    ready: list[tuple[Backend, str]] = []
    terminating: list[tuple[Backend, str]] = []
    for s in service_slices(state, md["namespace"], md["name"]):
        target = next((p["port"] for p in s.get("ports") or ()
                       if (p.get("name") or "") == name and (p.get("protocol") or "TCP") == proto), None)
        if target is None:
            continue
        for e in s.get("endpoints") or ():
            cond = e.get("conditions") or EMPTY
            for ip in e.get("addresses") or ():
                item = ((ip, target), e.get("nodeName") or "")
                if is_ready_endpoint(cond):
                    ready.append(item)
                elif cond.get("serving") and cond.get("terminating"):
                    terminating.append(item)
    chosen = ready or terminating
    return frozenset(b for b, on in chosen if node is None or on == node)
