"""Cluster DNS: what a pod's resolver answers, as values.

**Mirrors:** the Kubernetes DNS-based service discovery specification (``kubernetes/dns:docs/
specification.md`` sections 2.3 ClusterIP Services, 2.4 headless Services, 2.5 ExternalName, 2.6 pods),
CoreDNS's ``kubernetes`` plugin (``plugin/kubernetes/kubernetes.go`` Records, findServices: headless
answers from the ready endpoints of the EndpointSlices; an endpoint without a hostname is named by its
dashed IP in SRV targets) and the pod resolver of ``pkg/kubelet/network/dns/dns.go`` (ClusterFirst: the
kube-dns Service's IP as nameserver, search ``<ns>.svc.<zone> svc.<zone> <zone>``, ``ndots:5``).
**Modelled:** rules DNS-1 (A for ``<svc>.<ns>.svc.<zone>``; ``<svc>`` and ``<svc>.<ns>`` through the
search path), DNS-2 (headless: one A per ready endpoint, NXDOMAIN when none; ``<hostname>.<svc>...`` per
ready endpoint with a hostname), DNS-3 (SRV only for named ports; ClusterIP target the Service, headless
one per ready endpoint), DNS-4 (PTR for cluster IPs and headless endpoints with a hostname), DNS-5
(CNAME for ExternalName), DNS-6 (StatefulSet pod names through hostname + subdomain + headless Service),
DNS-7 (``<a-b-c-d>.<ns>.pod.<zone>`` for an existing pod with that IP, case-insensitive names), DNS-8 (the
search list and ndots), NS-3 (any namespace resolves any other's Services by qualified name).
**Not modelled (and why):** TTLs, caching and negative caching (answers are of one state); AAAA (one
family); ``dns-version`` TXT; dnsPolicy Default/None (the query is a ClusterFirst pod's); the
``pods insecure`` mode (the model answers pod records only for pods that exist, ``pods verified``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from .frozen import EMPTY, FrozenDict
from .state import ClusterState

__all__ = ["NDOTS", "Record", "resolve", "search_path"]

NDOTS = 5
TYPES = ("A", "SRV", "CNAME", "PTR")


@attrs.frozen(order=True)
class Record:
    """One answer: record type, owner name (fully qualified, no trailing dot) and data (an IP for A, a
    name for CNAME and PTR, ``"<priority> <weight> <port> <target>"`` for SRV, as ``dig`` prints them)."""

    type: str
    name: str
    data: str


def search_path(namespace: str, zone: str) -> tuple[str, ...]:
    """A ClusterFirst pod's search list (DNS-8)."""
    return (f"{namespace}.svc.{zone}", f"svc.{zone}", zone)


def resolve(state: ClusterState, name: str, from_namespace: str = "default", type: str = "A") -> tuple[Record, ...]:
    """What a pod in ``from_namespace`` gets for ``name``: the records of the first name the search path
    yields that has records of ``type`` (empty: NXDOMAIN, or no data of that type)."""
    qtype = type.upper()
    if qtype not in TYPES:
        raise ValueError(f"record type {type!r} is not served by the model; supported: {', '.join(TYPES)}")
    zone = state.config.cluster_domain
    name = name.lower()
    if name.endswith("."):
        candidates: tuple[str, ...] = (name[:-1],)
    else:
        suffixed = tuple(f"{name}.{s}" for s in search_path(from_namespace, zone))
        candidates = (name, *suffixed) if name.count(".") >= NDOTS else (*suffixed, name)
    for fqdn in candidates:
        answers = tuple(sorted(_answer(state, fqdn, qtype, zone)))
        if answers:
            return answers
    return ()


def _answer(state: ClusterState, fqdn: str, qtype: str, zone: str) -> Iterator[Record]:
    if qtype == "PTR":
        yield from _ptr(state, fqdn, zone)
        return
    if not fqdn.endswith("." + zone):
        return
    labels = fqdn[: -len(zone) - 1].split(".")
    if len(labels) == 3 and labels[2] == "pod":
        yield from _pod_record(state, fqdn, labels[1], labels[0], qtype)
        return
    if len(labels) < 3 or labels[-1] != "svc":
        return
    svc_labels = labels[:-1]
    if qtype == "SRV":
        if len(svc_labels) == 4 and svc_labels[0].startswith("_") and svc_labels[1].startswith("_"):
            yield from _srv(state, fqdn, svc_labels[2], svc_labels[3], svc_labels[0][1:], svc_labels[1][1:], zone)
        return
    if len(svc_labels) == 2:
        yield from _service(state, fqdn, svc_labels[0], svc_labels[1], qtype)
    elif len(svc_labels) == 3 and qtype == "A":
        host, svc_name, ns = svc_labels
        svc = state.get("Service", ns, svc_name)
        if svc is not None and _headless(svc):
            for ip, hostname, _ports in _ready_endpoints(state, svc):
                if hostname == host:
                    yield Record("A", fqdn, ip)


def _headless(svc: Mapping[str, Any]) -> bool:
    spec = svc.get("spec") or EMPTY
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") == "None"


def _service(state: ClusterState, fqdn: str, name: str, ns: str, qtype: str) -> Iterator[Record]:
    svc = state.get("Service", ns, name)
    if svc is None:
        return
    spec = svc.get("spec") or EMPTY
    if spec.get("type") == "ExternalName":
        if qtype in ("A", "CNAME"):  # an A query gets the CNAME (the resolver follows it outside the cluster)
            yield Record("CNAME", fqdn, str(spec.get("externalName", "")).rstrip(".").lower())
        return
    if qtype != "A":
        return
    if _headless(svc):
        for ip in sorted({ip for ip, _h, _p in _ready_endpoints(state, svc)}):
            yield Record("A", fqdn, ip)
    elif spec.get("clusterIP"):
        yield Record("A", fqdn, spec["clusterIP"])


def _srv(state: ClusterState, fqdn: str, name: str, ns: str, port_name: str, proto: str,
         zone: str) -> Iterator[Record]:
    svc = state.get("Service", ns, name)
    if svc is None or (svc.get("spec") or EMPTY).get("type") == "ExternalName":
        return
    ports = [p for p in svc["spec"].get("ports") or () if p.get("name") == port_name
             and (p.get("protocol") or "TCP").lower() == proto]
    if not ports:
        return
    base = f"{name}.{ns}.svc.{zone}"
    if not _headless(svc):
        for p in ports:
            yield Record("SRV", fqdn, f"0 100 {p['port']} {base}")
        return
    eps = [(ip, hostname, port) for ip, hostname, eports in _ready_endpoints(state, svc)
           for pn, port, pr in eports if pn == port_name and pr.lower() == proto]
    weight = 100 // len(eps) if eps else 0
    for ip, hostname, port in eps:
        yield Record("SRV", fqdn, f"0 {weight} {port} {hostname or ip.replace('.', '-')}.{base}")


def _ptr(state: ClusterState, fqdn: str, zone: str) -> Iterator[Record]:
    if not fqdn.endswith(".in-addr.arpa"):
        return
    octets = fqdn[: -len(".in-addr.arpa")].split(".")
    if len(octets) != 4:
        return
    ip = ".".join(reversed(octets))
    holder = state.holder(("ip", ip))
    if holder is not None:
        yield Record("PTR", fqdn, f"{holder[1]}.{holder[0]}.svc.{zone}")
        return
    for svc in state.iter_kind("Service"):
        if _headless(svc):
            for eip, hostname, _p in _ready_endpoints(state, svc):
                if eip == ip and hostname:
                    md = svc["metadata"]
                    yield Record("PTR", fqdn, f"{hostname}.{md['name']}.{md['namespace']}.svc.{zone}")


def _pod_record(state: ClusterState, fqdn: str, ns: str, dashed: str, qtype: str) -> Iterator[Record]:
    if qtype != "A":
        return
    ip = dashed.replace("-", ".")
    for pod in state.iter_kind("Pod", ns):
        if (pod.get("status") or EMPTY).get("podIP") == ip:
            yield Record("A", fqdn, ip)
            return


def answers_for(conditions: Mapping[str, Any]) -> bool:
    """Whether DNS answers with an endpoint: it is ready (an unset condition counts as ready, as the API says)."""
    return conditions.get("ready") is not False


def _ready_endpoints(state: ClusterState, svc: FrozenDict) -> Iterator[tuple[str, str, tuple[tuple[str, int, str], ...]]]:
    """(ip, hostname, ((port name, port, protocol), ...)) of each ready endpoint of the Service's slices."""
    md = svc["metadata"]
    for s in service_slices(state, md["namespace"], md["name"]):
        ports = tuple((p.get("name") or "", p.get("port"), p.get("protocol") or "TCP") for p in s.get("ports") or ())
        for e in s.get("endpoints") or ():
            if not answers_for(e.get("conditions") or EMPTY):
                continue
            for ip in e.get("addresses") or ():
                yield ip, e.get("hostname") or "", ports


def service_slices(state: ClusterState, namespace: str, name: str) -> list[FrozenDict]:
    """The EndpointSlices labelled ``kubernetes.io/service-name: <name>`` in the namespace: what CoreDNS and
    kube-proxy read (by label, whoever manages them: a slice of a deleted Service counts until it is gone)."""
    return [s for s in state.iter_kind("EndpointSlice", namespace)
            if (s["metadata"].get("labels") or EMPTY).get("kubernetes.io/service-name") == name]
