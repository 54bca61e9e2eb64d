"""The Service allocators: cluster IPs from the service CIDR and node ports from the node-port range.

**Mirrors:** ``pkg/registry/core/service/ipallocator/bitmap.go`` (NewAllocatorCIDRRange: the network
address and, for IPv4, the broadcast address are never handed out; calculateRangeOffset: the static band;
Allocate, AllocateNext, ErrAllocated, ErrNotInRange), ``pkg/registry/core/service/portallocator/
allocator.go`` (calculateRangeOffset, Allocate, AllocateNext), ``pkg/registry/core/service/allocator/
bitmap.go`` (NewAllocationMapWithOffset: AllocateNext tries the upper, dynamic band first and falls back to
the lower, static one), and ``pkg/registry/core/service/storage/alloc.go`` (RESTAllocStuff.allocateCreate
and allocateUpdate: initIPFamilyFields, txnAllocClusterIPs / allocIPs with "failed to allocate IP %v: %v",
initNodePorts / updateNodePorts (ports of one Service that share a port number share a node port),
allocHealthCheckNodePort; needsClusterIP, needsNodePort, needsHCNodePort).
**Modelled:** rules SVC-2, SVC-5, SVC-6 and trap 16: the ranges and bands of ``ClusterConfig.service_cidr``
and ``node_port_range``; requested values must lie in range and be free (held by no other Service);
values are held while the Service that holds them is stored (the state's ``allocations`` index, kept on
every write: a deleted Service frees its values, a rejected write holds none); a type change allocates
what the new type needs (ExternalName -> ClusterIP allocates an IP, ClusterIP -> NodePort node ports,
LoadBalancer with ``externalTrafficPolicy: Local`` a health-check node port) and the values it no longer
carries are freed with the write; ``ipFamilies``/``ipFamilyPolicy`` are set for a single-stack IPv4
cluster (headless Services without a selector: ``RequireDualStack``, as initIPFamilyFields does).
**Not modelled (and why):** random choice: AllocateNext scans from a random offset; the model takes the
lowest free value of the band (deterministic, and within what upstream may choose); dual-stack clusters
(one family, IPv4); the repair controllers (the index is recomputed from the Services, so it cannot leak);
the MultiCIDRServiceAllocator feature (off by default in v1.32).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from .errors import FieldError, invalid
from .frozen import EMPTY, FrozenDict, freeze, with_

__all__ = [
    "IPRange",
    "PortRange",
    "allocate_service",
    "ip_range",
    "needs_cluster_ip",
    "needs_hc_node_port",
    "needs_node_port",
    "port_range",
    "service_holds",
]

Holder = Callable[[Any], "tuple[str, str] | None"]


class IPRange:
    """One service CIDR as the bitmap allocator sees it: ``size`` addresses from ``base`` (network + 1),
    of which the first ``offset`` are the static band."""

    __slots__ = ("base", "cidr", "network", "offset", "size")

    def __init__(self, cidr: str) -> None:
        net = ipaddress.ip_network(cidr, strict=False)
        self.cidr = str(net)
        self.network = net
        total = net.num_addresses
        size = total - 1  # the network address
        if net.version == 4:
            size -= 1  # the broadcast address
        else:
            size = min(size, 65536)
        self.size = max(size, 0)
        self.base = int(net.network_address) + 1
        self.offset = _range_offset(total, 16, 256, 16)

    def contains(self, ip: str) -> bool:
        try:
            v = int(ipaddress.ip_address(ip))
        except ValueError:
            return False
        return 0 <= v - self.base < self.size

    def address(self, index: int) -> str:
        return str(ipaddress.ip_address(self.base + index))

    def first(self) -> str:
        """The first usable address: the ``kubernetes`` Service's (SVC-2)."""
        return self.address(0)


class PortRange:
    """The node-port range ``lo..hi`` with its static band of ``offset`` ports."""

    __slots__ = ("hi", "lo", "offset", "size")

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.size = hi - lo + 1
        self.offset = _range_offset(self.size, 16, 128, 32)

    def contains(self, port: int) -> bool:
        return self.lo <= port <= self.hi


def _range_offset(size: int, low: int, high: int, step: int) -> int:
    """calculateRangeOffset: ``min(max(low, size // step), high)``, or 0 for ranges smaller than ``low``."""
    if size < low:
        return 0
    return min(max(low, size // step), high)


@lru_cache(maxsize=16)
def ip_range(cidr: str) -> IPRange:
    return IPRange(cidr)


@lru_cache(maxsize=16)
def port_range(bounds: tuple[int, int]) -> PortRange:
    return PortRange(*bounds)


def _next_free(size: int, offset: int, taken: Callable[[int], bool]) -> int | None:
    """AllocateNext with an offset: the upper (dynamic) band first, then the lower (static) one; the
    lowest free index of each (upstream starts at a random one)."""
    for lo, hi in ((offset, size), (0, offset)):
        for i in range(lo, hi):
            if not taken(i):
                return i
    return None


# ---------------------------------------------------------------------------------------------
# what a Service needs and holds
# ---------------------------------------------------------------------------------------------
def needs_cluster_ip(spec: Mapping[str, Any]) -> bool:
    return spec.get("type") != "ExternalName"


def needs_node_port(spec: Mapping[str, Any]) -> bool:
    t = spec.get("type")
    return t == "NodePort" or (t == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False)


def needs_hc_node_port(spec: Mapping[str, Any]) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def service_holds(svc: FrozenDict) -> frozenset[Any]:
    """The allocated values a stored Service holds: ("ip", address) and ("port", number)."""
    spec = svc.get("spec") or EMPTY
    out: set[Any] = set()
    for ip in spec.get("clusterIPs") or ():
        if ip and ip != "None":
            out.add(("ip", ip))
    for p in spec.get("ports") or ():
        if p.get("nodePort"):
            out.add(("port", p["nodePort"]))
    if spec.get("healthCheckNodePort"):
        out.add(("port", spec["healthCheckNodePort"]))
    return frozenset(out)


# ---------------------------------------------------------------------------------------------
# the allocation step (alloc.go)
# ---------------------------------------------------------------------------------------------
def allocate_service(txn: Any, old: FrozenDict | None, svc: FrozenDict) -> FrozenDict | list[FieldError]:
    """The Service with every value its type needs allocated, or why not (nothing is held then).

    ``txn`` reads the allocations as the request's earlier writes left them (``holder(value)``) and the
    cluster's ``config``. A value the Service already holds (its own old one) is kept.
    """
    md = svc["metadata"]
    me = (md.get("namespace", ""), md["name"])
    holder: Holder = txn.holder
    config = txn.config
    spec = dict(svc.get("spec") or EMPTY)
    errs: list[FieldError] = []
    own = service_holds(old) if old is not None else frozenset()

    def free(value: Any) -> bool:
        h = holder(value)
        return h is None or h == me

    if needs_cluster_ip(spec):
        _ip_families(spec)
        cluster_ip = spec.get("clusterIP") or ""
        rng = ip_range(config.service_cidr)
        if not cluster_ip:
            i = _next_free(rng.size, rng.offset, lambda i: not free(("ip", rng.address(i))))
            if i is None:
                errs.append(invalid("spec.clusterIPs", [], "failed to allocate a serviceIP: range is full"))
            else:
                spec["clusterIP"] = rng.address(i)
                spec["clusterIPs"] = (rng.address(i),)
        elif cluster_ip != "None" and ("ip", cluster_ip) not in own:
            ips = list(spec.get("clusterIPs") or (cluster_ip,))
            if not rng.contains(cluster_ip):
                errs.append(invalid("spec.clusterIPs", ips, f"failed to allocate IP {cluster_ip}: provided IP is not "
                                    f"in the valid range. The range of valid IPs is {rng.cidr}"))
            elif not free(("ip", cluster_ip)):
                errs.append(invalid("spec.clusterIPs", ips, f"failed to allocate IP {cluster_ip}: provided IP is "
                                    "already allocated"))
    prange = port_range(tuple(config.node_port_range))
    taken_here: set[int] = set()  # node ports this request has handed out

    def take(n: int) -> bool:
        ok = n not in taken_here and free(("port", n))
        taken_here.add(n)
        return ok

    def next_port() -> int | None:
        i = _next_free(prange.size, prange.offset,
                       lambda i: prange.lo + i in taken_here or not free(("port", prange.lo + i)))
        if i is None:
            return None
        taken_here.add(prange.lo + i)
        return prange.lo + i

    ports = [dict(p) for p in spec.get("ports") or ()]
    if needs_node_port(spec):
        by_port: dict[Any, int] = {}  # service port number -> its node port (shared across protocols)
        for i, p in enumerate(ports):
            path = f"spec.ports[{i}].nodePort"
            want = p.get("nodePort") or 0
            shared = by_port.get(p.get("port"))
            if shared is not None and want in (0, shared):
                p["nodePort"] = shared
                continue
            if not want:
                # a later port of the same number may ask for one (findRequestedNodePort)
                want = next((q.get("nodePort") for q in ports[i + 1:]
                             if q.get("port") == p.get("port") and q.get("nodePort")), 0)
            if want:
                if not prange.contains(want):
                    errs.append(invalid(path, want, "provided port is not in the valid range. The range of valid "
                                        f"ports is {prange.lo}-{prange.hi}"))
                elif ("port", want) not in own and not take(want):
                    errs.append(invalid(path, want, "provided port is already allocated"))
                else:
                    taken_here.add(want)
                p["nodePort"] = want
            else:
                got = next_port()
                if got is None:
                    errs.append(invalid(path, 0, "failed to allocate a nodePort: range is full"))
                    continue
                p["nodePort"] = got
            by_port[p.get("port")] = p["nodePort"]
    if needs_hc_node_port(spec):
        want = spec.get("healthCheckNodePort") or 0
        if want:
            if not prange.contains(want):
                errs.append(invalid("spec.healthCheckNodePort", want, "provided port is not in the valid range. "
                                    f"The range of valid ports is {prange.lo}-{prange.hi}"))
            elif ("port", want) not in own and not take(want):
                errs.append(invalid("spec.healthCheckNodePort", want, "provided port is already allocated"))
        else:
            got = next_port()
            if got is None:
                errs.append(invalid("spec.healthCheckNodePort", 0, "failed to allocate a nodePort: range is full"))
            else:
                spec["healthCheckNodePort"] = got
    if errs:
        return errs
    if ports:
        spec["ports"] = tuple(ports)
    out = with_(svc, spec=freeze(spec))
    if spec.get("type") != "LoadBalancer" and (svc.get("status") or EMPTY).get("loadBalancer"):
        # dropTypeDependentFields: a Service that is no longer a LoadBalancer has no load-balancer status
        out = with_(out, status=with_(svc["status"], loadBalancer=EMPTY))
    return out


def _ip_families(spec: dict[str, Any]) -> None:
    """initIPFamilyFields for a single-stack IPv4 cluster."""
    if not spec.get("ipFamilies"):
        spec["ipFamilies"] = ("IPv4",)
    if spec.get("ipFamilyPolicy") is None:
        headless_selectorless = spec.get("clusterIP") == "None" and not spec.get("selector")
        spec["ipFamilyPolicy"] = "RequireDualStack" if headless_selectorless else "SingleStack"
