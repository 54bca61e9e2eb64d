"""Invariants of Services, Endpoints, EndpointSlices, cluster DNS and kube-proxy (rules SVC-2, SVC-5,
SVC-12, EP-2...EP-8, DNS-1, DNS-2, DNS-5).

The expectations are restated here from upstream's predicates, independently of the model:
ShouldPodBeInEndpoints and the ready/not-ready split of ``pkg/controller/endpoint/endpoints_controller.go``
(EP-2, EP-3), podToEndpoint's conditions (``staging/src/k8s.io/endpointslice/utils.go``, EP-4), FindPort
(``pkg/api/v1/pod/util.go``, EP-5), the allocators' ranges (``pkg/registry/core/service/ipallocator/
bitmap.go``, ``portallocator/allocator.go``), the DNS specification (``kubernetes/dns:docs/
specification.md``) and CategorizeEndpoints (``pkg/proxy/topology.go``).

DNS answers and kube-proxy routes are not objects: a real cluster shows them only from inside a pod.
Those two invariants need the ``dataplane`` capability (the adapter answers ``resolve`` and ``route``
over its own state; the built-in model does) and are reported not applicable elsewhere.
**Not modelled (and why):** the sandbox's service CIDR and node-port range are the defaults
(10.0.0.0/24, 30000-32767): the range checks use those.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from ..view import View
from . import Context, Invariant, Step, Verdict
from ._helpers import name_of, ready

__all__ = ["INVARIANTS"]

Obj = Mapping[str, Any]
SERVICE_CIDR = ipaddress.ip_network("10.0.0.0/24")
NODE_PORTS = (30000, 32767)
ZONE = "cluster.local"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"


def _managed(svc: Obj) -> bool:
    spec = svc.get("spec") or {}
    return spec.get("type") != "ExternalName" and spec.get("selector") is not None


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any] | None) -> bool:
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _serves_a_port(pod: Obj, svc: Obj) -> bool:
    """FindPort for at least one Service port (a headless Service without ports lists every pod)."""
    spec = svc["spec"]
    ports = spec.get("ports") or ()
    if not ports:
        return spec.get("clusterIP") == "None"
    for p in ports:
        target = p.get("targetPort", p.get("port"))
        if isinstance(target, int):
            return True
        for c in pod["spec"].get("containers") or ():
            if any(cp.get("name") == target and (cp.get("protocol") or "TCP") == (p.get("protocol") or "TCP")
                   for cp in c.get("ports") or ()):
                return True
    return False


def _expected_endpoints(view: View, svc: Obj) -> dict[str, bool]:
    """pod name -> listed as ready, for the Endpoints of ``svc`` (EP-2, EP-3, EP-5)."""
    md, spec = svc["metadata"], svc["spec"]
    publish = bool(spec.get("publishNotReadyAddresses"))
    out: dict[str, bool] = {}
    for pod in view.objects("Pod", md["namespace"]):
        if not _selects(spec["selector"], pod["metadata"].get("labels")):
            continue
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed") or not (status.get("podIP") or status.get("podIPs")):
            continue
        if pod["metadata"].get("deletionTimestamp") and not publish:
            continue
        if _serves_a_port(pod, svc):
            out[pod["metadata"]["name"]] = publish or ready(pod)
    return out


def _listed(ep: Obj) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for subset in ep.get("subsets") or ():
        for key, is_ready in (("addresses", True), ("notReadyAddresses", False)):
            for a in subset.get(key) or ():
                out[(a.get("targetRef") or {}).get("name", a.get("ip"))] = is_ready
    return out


def _diff(got: Mapping[str, bool], want: Mapping[str, bool]) -> str:
    def show(d: Mapping[str, bool]) -> str:
        return "{" + ", ".join(f"{k}: {'ready' if v else 'not ready'}" for k, v in sorted(d.items())) + "}"
    return f"{show(got)}, but should be {show(want)}"


# ---- endpoints --------------------------------------------------------------------------------
def endpoints_list_matching_pods(view: View, ctx: Context) -> Verdict:
    """EP-2, EP-3: after settle, a Service's Endpoints list exactly the matching pods of its namespace,
    the ready ones (or all, with publishNotReadyAddresses) as ready addresses."""
    n, bad = 0, []
    for svc in view.objects("Service"):
        if not _managed(svc):
            continue
        md = svc["metadata"]
        ep = view.get("Endpoints", md["namespace"], md["name"])
        want = _expected_endpoints(view, svc)
        if ep is None:
            n += 1
            bad.append(f"{name_of(svc)} has no Endpoints after settle, but should have them: {_diff({}, want)}")
            continue
        if OVER_CAPACITY in (ep["metadata"].get("annotations") or {}):
            continue
        got = _listed(ep)
        n += bool(got or want)  # the premise: a Service with pods to list (or listed)
        if got != want:
            bad.append(f"Endpoints {md['namespace']}/{md['name']} list {_diff(got, want)} "
                       f"(selector {dict(svc['spec']['selector'])})")
    return n, bad


def _slices(view: View, svc: Obj, managed: bool = True) -> list[Obj]:
    """The Service's slices by their service-name label: the endpoints controller's own ones (``managed``),
    or every one, as kube-proxy and CoreDNS read them (a deleted Service's slices count until collected)."""
    md = svc["metadata"]
    return [s for s in view.objects("EndpointSlice", md["namespace"])
            if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == md["name"]
            and (not managed or (s["metadata"].get("labels") or {}).get(MANAGED_BY))]


def endpoints_and_slices_agree(view: View, ctx: Context) -> Verdict:
    """EP-4, EP-8: after settle, the Service's EndpointSlices hold each listed pod once, in slices of at most
    100 owned by the Service, with the readiness its Endpoints show (terminating pods only in slices)."""
    n, bad = 0, []
    for svc in view.objects("Service"):
        if not _managed(svc):
            continue
        md = svc["metadata"]
        ep = view.get("Endpoints", md["namespace"], md["name"])
        if ep is None or OVER_CAPACITY in (ep["metadata"].get("annotations") or {}):
            continue
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        from_slices: dict[str, bool] = {}
        seen: set[str] = set()
        for s in _slices(view, svc):
            eps = s.get("endpoints") or ()
            owners = [r for r in s["metadata"].get("ownerReferences") or () if r.get("controller")]
            if len(eps) > 100 or [r.get("uid") for r in owners] != [md["uid"]]:
                bad.append(f"EndpointSlice {s['metadata']['name']} of {name_of(svc)} has {len(eps)} endpoints and "
                           f"controller {[r.get('name') for r in owners]}, but should hold at most 100 and be "
                           "controlled by its Service")
                continue
            for e in eps:
                pod = (e.get("targetRef") or {}).get("name", "")
                cond = e.get("conditions") or {}
                if pod in seen:
                    bad.append(f"pod {pod} is in two EndpointSlices of {name_of(svc)}, but should be in one")
                seen.add(pod)
                if not cond.get("terminating") or publish:  # Endpoints leave terminating pods out (EP-2)
                    from_slices[pod] = cond.get("ready") is not False
        got = _listed(ep)
        n += bool(got or seen)
        if from_slices != got:
            bad.append(f"EndpointSlices of {name_of(svc)} show {_diff(from_slices, got)} (its Endpoints)")
    return n, bad


# ---- allocators ---------------------------------------------------------------------------------
def _held(svc: Obj) -> tuple[list[str], list[int]]:
    spec = svc.get("spec") or {}
    ips = [ip for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
           if ip and ip != "None"]
    ports = sorted({p["nodePort"] for p in spec.get("ports") or () if p.get("nodePort")}
                   | ({spec["healthCheckNodePort"]} if spec.get("healthCheckNodePort") else set()))
    return ips, ports


@lru_cache(maxsize=1024)
def _usable_service_ip(ip: str) -> bool:
    """``ip`` is one of the usable addresses of the service range (neither its network nor broadcast address)."""
    addr = ipaddress.ip_address(ip)
    return addr in SERVICE_CIDR and addr not in (SERVICE_CIDR.network_address, SERVICE_CIDR.broadcast_address)


def allocations_unique_and_in_range(view: View, ctx: Context) -> Verdict:
    """SVC-2, SVC-5: no two Services share a cluster IP or a node port, and each lies in its range."""
    n, bad = 0, []
    ip_owner: dict[str, str] = {}
    port_owner: dict[int, str] = {}
    lo, hi = NODE_PORTS
    for svc in view.objects("Service"):
        ips, ports = _held(svc)
        if not ips and not ports:
            continue
        n += 1
        who = name_of(svc)
        for ip in ips:
            if not _usable_service_ip(ip):
                bad.append(f"{who} has clusterIP {ip}, but should have one of the usable addresses of {SERVICE_CIDR}")
            if ip in ip_owner:
                bad.append(f"{who} has clusterIP {ip}, but {ip_owner[ip]} holds it already")
            ip_owner[ip] = who
        for port in ports:
            if not lo <= port <= hi:
                bad.append(f"{who} has node port {port}, but should have one in {lo}-{hi}")
            if port in port_owner:
                bad.append(f"{who} has node port {port}, but {port_owner[port]} holds it already")
            port_owner[port] = who
    return n, bad


def _requested(obj: Obj) -> tuple[list[str], list[int]]:
    spec = obj.get("spec") or {}
    ips = [spec["clusterIP"]] if spec.get("clusterIP") not in (None, "", "None") else []
    ports = [p["nodePort"] for p in spec.get("ports") or () if isinstance(p, Mapping) and p.get("nodePort")]
    return ips, ports


def free_values_allocatable(step: Step, ctx: Context) -> Verdict:
    """SVC-2, SVC-5: a Service asking for a cluster IP or node port that no other Service holds is never
    refused as "already allocated": rejected and deleted Services leave nothing allocated behind."""
    ev = step.event
    if step.in_settle or type(ev).__name__ != "Apply" or ev.obj.get("kind") != "Service" or step.outcome is None:
        return 0, []
    ips, ports = _requested(ev.obj)
    if not ips and not ports:
        return 0, []
    md = ev.obj.get("metadata") or {}
    me = (md.get("namespace") or "default", md.get("name"))
    held_ips: dict[str, str] = {}
    held_ports: dict[int, str] = {}
    for svc in step.before.objects("Service"):
        if (svc["metadata"].get("namespace"), svc["metadata"]["name"]) == me:
            continue
        h_ips, h_ports = _held(svc)
        held_ips.update((ip, name_of(svc)) for ip in h_ips)
        held_ports.update((p, name_of(svc)) for p in h_ports)
    if any(ip in held_ips for ip in ips) or any(p in held_ports for p in ports):
        return 0, []
    if step.outcome.status == "rejected" and "already allocated" in step.outcome.message:
        return 1, [f"Service {me[0]}/{me[1]} asking for clusterIP {ips} and node ports {ports} was refused "
                   f"({step.outcome.message}), but no other Service holds them: they should be allocatable"]
    return 1, []


# ---- DNS and kube-proxy (need the dataplane) ------------------------------------------------------
def _dataplane(view: View) -> Any:
    """The system's state, whose DNS and proxy the adapter answers for (the built-in model's view)."""
    return getattr(view, "state", None)


def _ready_endpoints(view: View, svc: Obj) -> Iterable[tuple[str, Obj, Obj]]:
    """(ip, endpoint, slice) for each endpoint of the Service's slices not marked not-ready."""
    for s in _slices(view, svc, managed=False):
        for e in s.get("endpoints") or ():
            if (e.get("conditions") or {}).get("ready") is not False:
                for ip in e.get("addresses") or ():
                    yield ip, e, s


def dns_agrees(view: View, ctx: Context) -> Verdict:
    """DNS-1, DNS-2, DNS-5, NS-3: <svc>.<ns> and the FQDN resolve, from any namespace, to the cluster IP, to
    the ready endpoints of a headless Service (nothing when none), or as a CNAME to the external name."""
    import refmodel as rm

    state = _dataplane(view)
    if state is None:
        return 0, []
    n, bad = 0, []
    for svc in view.objects("Service"):
        md, spec = svc["metadata"], svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            want = {("CNAME", str(spec.get("externalName", "")).rstrip(".").lower())}
        elif spec.get("clusterIP") == "None":
            want = {("A", ip) for ip, _e, _s in _ready_endpoints(view, svc)}
        elif spec.get("clusterIP"):
            want = {("A", spec["clusterIP"])}
        else:
            continue
        n += 1
        for name, origin in ((f"{md['name']}.{md['namespace']}", "default"), (md["name"], md["namespace"])):
            got = {(r.type, r.data) for r in rm.resolve(state, name, origin)}
            if got != want:
                bad.append(f"DNS answers {sorted(got)} for {name} asked from namespace {origin}, but should answer "
                           f"{sorted(want)} for {name_of(svc)}")
                break
    return n, bad


def _node_ip(view: View, node: str) -> str | None:
    obj = view.get("Node", "", node)
    for a in ((obj or {}).get("status") or {}).get("addresses") or ():
        if a.get("type") == "InternalIP":
            return str(a["address"])
    return None


def proxy_routes_to_ready_endpoints(view: View, ctx: Context) -> Verdict:
    """SVC-12: a connection to a Service's cluster IP or node port reaches exactly its ready endpoints (the
    serving terminating ones when none is ready), on the node only for a Local traffic policy."""
    import refmodel as rm

    state = _dataplane(view)
    if state is None:
        return 0, []
    n, bad = 0, []
    nodes = sorted(o["metadata"]["name"] for o in view.objects("Node"))
    if not nodes:
        return 0, []
    node = nodes[0]
    node_ip = _node_ip(view, node)
    for svc in view.objects("Service"):
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") in (None, "", "None"):
            continue
        for port in spec.get("ports") or ():
            name, proto = port.get("name") or "", port.get("protocol") or "TCP"
            ready_set, terminating = set(), set()
            for s in _slices(view, svc, managed=False):
                target = next((p["port"] for p in s.get("ports") or ()
                               if (p.get("name") or "") == name and (p.get("protocol") or "TCP") == proto), None)
                if target is None:
                    continue
                for e in s.get("endpoints") or ():
                    cond = e.get("conditions") or {}
                    for ip in e.get("addresses") or ():
                        item = (ip, target, e.get("nodeName") or "")
                        if cond.get("ready") is not False:
                            ready_set.add(item)
                        elif cond.get("serving") and cond.get("terminating"):
                            terminating.add(item)
            chosen = ready_set or terminating
            checks = [(spec["clusterIP"], port["port"], spec.get("internalTrafficPolicy") == "Local")]
            if port.get("nodePort") and node_ip:
                checks.append((node_ip, port["nodePort"], spec.get("externalTrafficPolicy") == "Local"))
            for ip, number, local in checks:
                n += 1
                want = {(a, p) for a, p, on in chosen if not local or on == node}
                got = set(rm.route(state, node, ip, number, proto))
                if got != want:
                    bad.append(f"kube-proxy on {node} sends {ip}:{number}/{proto} of {name_of(svc)} to {sorted(got)}, "
                               f"but should send it to its ready endpoints {sorted(want)}")
    return n, bad


_DATAPLANE = frozenset({"dataplane"})

INVARIANTS: tuple[Invariant, ...] = (
    Invariant("after settle, a Service's Endpoints list exactly its matching pods, the ready ones as ready",
              ("EP-2", "EP-3", "EP-5"), "convergence", endpoints_list_matching_pods),
    Invariant("after settle, a Service's EndpointSlices agree with its Endpoints",
              ("EP-4", "EP-8"), "convergence", endpoints_and_slices_agree),
    Invariant("no two Services share a cluster IP or a node port, and every allocated value is in its range",
              ("SVC-2", "SVC-5"), "state", allocations_unique_and_in_range, intermediate=True, reads=("Service",)),
    Invariant("a cluster IP or node port no other Service holds is never refused as already allocated",
              ("SVC-2", "SVC-5", "SVC-6"), "transition", free_values_allocatable),
    Invariant("cluster DNS answers agree with the Services and their ready endpoints, from any namespace",
              ("DNS-1", "DNS-2", "DNS-5", "NS-3"), "state", dns_agrees, needs=_DATAPLANE,
              reads=("Service", "EndpointSlice")),
    Invariant("kube-proxy sends a Service's traffic only to its ready endpoints",
              ("SVC-12", "EP-4"), "state", proxy_routes_to_ready_endpoints, needs=_DATAPLANE,
              reads=("Service", "EndpointSlice", "Node")),
)
