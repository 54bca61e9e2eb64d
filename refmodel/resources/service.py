"""Service: defaulting, create and update validation, and the allocation step (:mod:`refmodel.allocator`).

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_Service), ``pkg/registry/core/service/strategy.go``
(PrepareForCreate: NormalizeClusterIPs), ``pkg/registry/core/service/storage/storage.go`` (patchAllocatedValues
on update), ``pkg/registry/core/service/portallocator`` (the node-port range check, "provided port is not in
the valid range") and ``pkg/apis/core/validation/validation.go`` (ValidateService, validateServicePort,
ValidateServiceClusterIPsRelatedFields, validateServiceExternalTrafficPolicy,
validateServiceInternalTrafficFieldsValue, validateLoadBalancerClassField, validateClientIPAffinityConfig,
ValidateServiceUpdate, validateUpgradeDowngradeClusterIPs, validateUpgradeDowngradeIPFamilies).
**Modelled:** SVC-1 defaults (type ClusterIP, protocol TCP, targetPort = port, sessionAffinity None, traffic
policies Cluster, allocateLoadBalancerNodePorts true); N-3 names; SVC-3 (``None`` not with NodePort or
LoadBalancer); SVC-5 node-port range 30000-32767 (``nodePort: 0`` means unset); SVC-7; SVC-8 (ExternalName
needs a lower-case DNS name, no cluster IPs); SVC-9 (ports required unless headless or ExternalName, names
required and unique with more than one port, (port, protocol) and (nodePort, protocol) unique, targetPort a
port number or IANA_SVC_NAME); external IPs, source ranges, session affinity, traffic policies; SVC-4
(cluster IPs and IP families may not change, except to/from ExternalName; a replace that omits them keeps
the allocated ones).
The kind declares its allocation (``allocate``, ``holds``: cluster IPs and node ports, see
:mod:`refmodel.allocator`) and ``prepare_update`` (strategy.go PrepareForUpdate: patchAllocatedValues and
dropTypeDependentFields, so a type change frees what the new type does not use).
**Not modelled (and why):** the node-port range check reads the default range here (validation has no
cluster config); a cluster configured with another range is checked again by the allocator.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..allocator import (
    allocate_service,
    needs_cluster_ip,
    needs_hc_node_port,
    needs_node_port,
    service_holds,
)
from ..errors import FieldError, duplicate, forbidden, invalid, not_supported, required
from ..state import ALLOCATION_INDEX
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    ip_errors,
    meta_finalizer_errors,
    port_num_errors,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_labels,
    validate_qualified_name,
)
from .pod import PROTOCOLS, validate_port_num_or_name

__all__ = ["NODE_PORT_RANGE", "default_service", "drop_type_dependent_fields", "is_headless", "validate_service",
           "validate_service_update"]

Obj = dict[str, Any]

TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
NODE_PORT_RANGE = (30000, 32767)
MAX_CLIENT_IP_AFFINITY_SECONDS = 86400


def _externally_accessible(spec: Obj) -> bool:
    t = spec.get("type")
    return t in ("LoadBalancer", "NodePort") or (t == "ClusterIP" and bool(as_list(spec.get("externalIPs"))))


def default_service(obj: Obj) -> None:
    """SetDefaults_Service and NormalizeClusterIPs (create)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = as_dict(as_dict(spec.get("sessionAffinityConfig")).get("clientIP"))
        if client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    for port in as_list(spec.get("ports")):
        if isinstance(port, dict):
            if not port.get("protocol"):
                port["protocol"] = "TCP"
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
    if _externally_accessible(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    if spec.get("clusterIP") and not as_list(spec.get("clusterIPs")):
        spec["clusterIPs"] = [spec["clusterIP"]]


def is_headless(spec: Obj) -> bool:
    ips = as_list(spec.get("clusterIPs"))
    return len(ips) == 1 and ips[0] == "None"


def _non_special_ip(value: str, field: str) -> list[FieldError]:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return [invalid(field, value, "must be a valid IP address")]
    errs = []
    if ip.is_unspecified:
        errs.append(invalid(field, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        errs.append(invalid(field, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if ip.is_link_local and not ip.is_multicast:
        errs.append(invalid(field, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if ip.is_multicast and (ip in ipaddress.ip_network("224.0.0.0/24") or ip in ipaddress.ip_network("ff02::/16")):
        errs.append(invalid(field, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return errs


def _cluster_ip_fields(spec: Obj) -> list[FieldError]:
    """ValidateServiceClusterIPsRelatedFields."""
    errs: list[FieldError] = []
    cluster_ip = spec.get("clusterIP") or ""
    ips = as_list(spec.get("clusterIPs"))
    if cluster_ip:
        if not ips:
            errs.append(required("spec.clusterIPs"))
        elif ips[0] != cluster_ip:
            errs.append(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"))
    elif ips:
        errs.append(invalid("spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"))
    seen: set[Any] = set()
    for i, family in enumerate(as_list(spec.get("ipFamilies"))):
        if family not in ("IPv4", "IPv6"):
            errs.append(not_supported(f"spec.ipFamilies[{i}]", family, ("IPv4", "IPv6")))
        if not isinstance(family, str):  # an ill-typed item (the structural check reports it)
            continue
        if family in seen:
            errs.append(duplicate(f"spec.ipFamilies[{i}]", family))
        seen.add(family)
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in ("PreferDualStack", "RequireDualStack", "SingleStack"):
        errs.append(not_supported("spec.ipFamilyPolicy", policy, ("PreferDualStack", "RequireDualStack",
                                                                  "SingleStack")))
    bad_ips = False
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                bad_ips = True
                errs.append(invalid("spec.clusterIPs", ips, "'None' must be the first and only value"))
            continue
        e = ip_errors(ip if isinstance(ip, str) else "", f"spec.clusterIPs[{i}]")
        bad_ips = bad_ips or bool(e)
        errs += e
    if len(ips) > 2:
        errs.append(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    if bad_ips:
        return errs
    if len(ips) > 1 and len({ipaddress.ip_address(ip).version for ip in ips}) != len(ips):
        errs.append(invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family"))
    families = as_list(spec.get("ipFamilies"))
    if not is_headless(spec) and ips and families:
        for i, ip in enumerate(ips[: len(families)]):
            v6 = ipaddress.ip_address(ip).version == 6
            if families[i] == "IPv4" and v6:
                errs.append(invalid(f"spec.clusterIPs[{i}]", ip, f"expected an IPv4 value as indicated by "
                                                                 f"`ipFamilies[{i}]`"))
            if families[i] == "IPv6" and not v6:
                errs.append(invalid(f"spec.clusterIPs[{i}]", ip, f"expected an IPv6 value as indicated by "
                                                                 f"`ipFamilies[{i}]`"))
    return errs


def _validate_port(port: Obj, require_name: bool, names: set[str], field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errs.append(required(f"{field}.name"))
    elif name:
        errs += validate_dns1123_label(name, f"{field}.name")
        if name in names:
            errs.append(duplicate(f"{field}.name", name))
        names.add(name)
    number = port.get("port")
    n = number if isinstance(number, int) and not isinstance(number, bool) else 0
    errs += [invalid(f"{field}.port", n, m) for m in port_num_errors(n)]
    protocol = port.get("protocol") or ""
    if not protocol:
        errs.append(required(f"{field}.protocol"))
    elif protocol not in PROTOCOLS:
        errs.append(not_supported(f"{field}.protocol", protocol, PROTOCOLS))
    errs += validate_port_num_or_name(port.get("targetPort", 0), f"{field}.targetPort")
    if port.get("appProtocol") is not None:
        errs += validate_qualified_name(str(port["appProtocol"]), f"{field}.appProtocol")
    return errs


def validate_service(obj: Obj) -> list[FieldError]:
    """ValidateService plus the node-port allocator's range check."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    stype = spec.get("type") or ""
    ports = [as_dict(p) for p in as_list(spec.get("ports"))]
    headless = is_headless(spec)
    if not ports and not headless and stype != "ExternalName":
        errs.append(required("spec.ports"))
    if stype in ("LoadBalancer", "NodePort") and headless:
        errs.append(invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {stype} services"))
    if stype == "ExternalName":
        if as_list(spec.get("clusterIPs")):
            errs.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        if as_list(spec.get("ipFamilies")):
            errs.append(forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        cname = str(spec.get("externalName") or "").removesuffix(".")
        if cname:
            errs += validate_dns1123_subdomain(cname, "spec.externalName")
        else:
            errs.append(required("spec.externalName"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        errs += _validate_port(port, len(ports) > 1, names, f"spec.ports[{i}]")
    if spec.get("selector") is not None:
        errs += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity") or ""
    if not affinity:
        errs.append(required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", affinity, ("ClientIP", "None")))
    if affinity == "ClientIP":
        config = spec.get("sessionAffinityConfig")
        path = "spec.sessionAffinityConfig"
        client_ip = as_dict(as_dict(config).get("clientIP"))
        if not isinstance(config, dict):
            errs.append(required(path, "when session affinity type is ClientIP"))
        elif not client_ip:
            errs.append(required(f"{path}.clientIP", "when session affinity type is ClientIP"))
        elif client_ip.get("timeoutSeconds") is None:
            errs.append(required(f"{path}.clientIP.timeoutSeconds", "when session affinity type is ClientIP"))
        else:
            timeout = client_ip["timeoutSeconds"]
            if not isinstance(timeout, int) or not 0 < timeout <= MAX_CLIENT_IP_AFFINITY_SECONDS:
                errs.append(invalid(f"{path}.clientIP.timeoutSeconds", timeout,
                                    f"must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}"))
    elif affinity == "None" and spec.get("sessionAffinityConfig") is not None:
        errs.append(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
    if stype != "ExternalName":
        errs += _cluster_ip_fields(spec)
    for i, ip in enumerate(as_list(spec.get("externalIPs"))):
        p = f"spec.externalIPs[{i}]"
        e = ip_errors(ip if isinstance(ip, str) else "", p)
        errs += e or _non_special_ip(ip, p)
    if not stype:
        errs.append(required("spec.type"))
    elif stype not in TYPES:
        errs.append(not_supported("spec.type", stype, TYPES))
    seen_node_ports: set[tuple[Any, Any]] = set()
    seen_ports: set[tuple[Any, Any]] = set()
    lo, hi = NODE_PORT_RANGE
    for i, port in enumerate(ports):
        node_port = port.get("nodePort") or 0
        if stype == "ClusterIP" and node_port:
            errs.append(forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"))
        if node_port:
            key = (port.get("protocol"), node_port)
            if key in seen_node_ports:
                errs.append(duplicate(f"spec.ports[{i}].nodePort", node_port))
            seen_node_ports.add(key)
            if stype in ("NodePort", "LoadBalancer") and isinstance(node_port, int) and not lo <= node_port <= hi:
                errs.append(invalid(f"spec.ports[{i}].nodePort", node_port, "provided port is not in the valid range. "
                                                                           f"The range of valid ports is {lo}-{hi}"))
        key = (port.get("protocol"), port.get("port"))
        if key in seen_ports:
            errs.append(duplicate(f"spec.ports[{i}]", {"port": port.get("port"), "protocol": port.get("protocol")}))
        seen_ports.add(key)
    ranges = as_list(spec.get("loadBalancerSourceRanges"))
    if ranges:
        path = "spec.LoadBalancerSourceRanges"
        if stype != "LoadBalancer":
            errs.append(forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
        for i, cidr in enumerate(ranges):
            try:
                ipaddress.ip_network(str(cidr).strip(), strict=False)
            except ValueError:
                errs.append(invalid(f"{path}[{i}]", cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
                                                          "2001:db8::/64)"))
    if spec.get("allocateLoadBalancerNodePorts") is not None and stype != "LoadBalancer":
        errs.append(forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    if stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        errs.append(required("allocateLoadBalancerNodePorts"))
    lb_class = spec.get("loadBalancerClass")
    if lb_class is not None:
        if stype == "LoadBalancer":
            errs += validate_qualified_name(str(lb_class), "spec.loadBalancerClass")
        else:
            errs.append(forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))
    etp = spec.get("externalTrafficPolicy") or ""
    if not _externally_accessible(spec):
        if etp:
            errs.append(invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible "
                                                                   "services"))
    elif not etp:
        errs.append(required("spec.externalTrafficPolicy"))
    elif etp not in ("Cluster", "Local"):
        errs.append(not_supported("spec.externalTrafficPolicy", etp, ("Cluster", "Local")))
    hc = spec.get("healthCheckNodePort") or 0
    if not (stype == "LoadBalancer" and etp == "Local"):
        if hc:
            errs.append(invalid("spec.healthCheckNodePort", hc, "may only be set when `type` is 'LoadBalancer' and "
                                                                "`externalTrafficPolicy` is 'Local'"))
    elif hc and isinstance(hc, int):
        errs += [invalid("spec.healthCheckNodePort", hc, m) for m in port_num_errors(hc)]
    itp = spec.get("internalTrafficPolicy")
    if itp is None and stype in ("NodePort", "LoadBalancer", "ClusterIP"):
        errs.append(required("spec.internalTrafficPolicy"))
    if itp is not None and itp not in ("Cluster", "Local"):
        errs.append(not_supported("spec.internalTrafficPolicy", itp, ("Cluster", "Local")))
    td = spec.get("trafficDistribution")
    if td is not None and td != "PreferClose":
        errs.append(not_supported("spec.trafficDistribution", td, ("PreferClose",)))
    return errs


def _patch_allocated_values(old_spec: Obj, new_spec: Obj) -> None:
    """patchAllocatedValues: a replace that omits allocated values keeps them."""
    if old_spec.get("type") != "ExternalName" and new_spec.get("type") != "ExternalName":
        if not new_spec.get("clusterIP") and old_spec.get("clusterIP"):
            new_spec["clusterIP"] = old_spec["clusterIP"]
        if not as_list(new_spec.get("clusterIPs")) and as_list(old_spec.get("clusterIPs")):
            new_spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if old_spec.get("type") in ("NodePort", "LoadBalancer") and new_spec.get("type") in ("NodePort", "LoadBalancer"):
        old_ports = {(as_dict(p).get("port"), as_dict(p).get("protocol")): as_dict(p).get("nodePort")
                     for p in as_list(old_spec.get("ports"))}
        for p in as_list(new_spec.get("ports")):
            if isinstance(p, dict) and not p.get("nodePort"):
                allocated = old_ports.get((p.get("port"), p.get("protocol")))
                if allocated:
                    p["nodePort"] = allocated


def validate_service_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateServiceUpdate (SVC-4); ``new`` gets the allocated values it omitted, as upstream's update does."""
    old_spec, new_spec = as_dict(old.get("spec")), as_dict(new.get("spec"))
    if isinstance(new.get("spec"), dict):
        _patch_allocated_values(old_spec, new_spec)
    errs: list[FieldError] = []
    if new_spec.get("type") == "ExternalName" or old_spec.get("type") == "ExternalName":
        return errs
    old_ips, new_ips = as_list(old_spec.get("clusterIPs")), as_list(new_spec.get("clusterIPs"))
    if not (is_headless(old_spec) and is_headless(new_spec)):
        if len(old_ips) == len(new_ips):
            for i, ip in enumerate(old_ips):
                if ip != new_ips[i]:
                    errs.append(invalid(f"spec.clusterIPs[{i}]", new_ips, "may not change once set"))
        elif len(old_ips) > len(new_ips):
            if not new_ips:
                errs.append(invalid("spec.clusterIPs[0]", new_ips, "primary clusterIP can not be unset"))
            elif new_ips[0] != old_ips[0]:
                errs.append(invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
            if len(new_ips) == 1 and new_spec.get("ipFamilyPolicy") != "SingleStack":
                errs.append(invalid("spec.ipFamilyPolicy", new_spec.get("ipFamilyPolicy"),
                                    "must be set to 'SingleStack' when releasing the secondary clusterIP"))
        elif old_ips and new_ips[0] != old_ips[0]:
            errs.append(invalid("spec.clusterIPs[0]", new_ips, "may not change once set"))
    if is_headless(old_spec) == is_headless(new_spec) and not is_headless(new_spec):
        old_fam, new_fam = as_list(old_spec.get("ipFamilies")), as_list(new_spec.get("ipFamilies"))
        if len(old_fam) == len(new_fam) and old_fam != new_fam:
            errs.append(invalid("spec.ipFamilies[0]", new_fam, "may not change once set"))
        elif len(old_fam) > len(new_fam) and new_fam and new_fam[0] != old_fam[0]:
            errs.append(invalid("spec.ipFamilies[0]", new_ips, "may not change once set"))
    if (old_spec.get("type") == "LoadBalancer" and new_spec.get("type") == "LoadBalancer"
            and old_spec.get("loadBalancerClass") != new_spec.get("loadBalancerClass")):
        errs.append(invalid("spec.loadBalancerClass", new_spec.get("loadBalancerClass"), "may not change once set"))
    needs_hc = [s.get("type") == "LoadBalancer" and s.get("externalTrafficPolicy") == "Local"
                for s in (old_spec, new_spec)]
    if all(needs_hc) and old_spec.get("healthCheckNodePort") != new_spec.get("healthCheckNodePort"):
        errs.append(forbidden("spec.healthCheckNodePort", "field is immutable"))
    return errs


def _node_ports(spec: Obj) -> list[Any]:
    return [as_dict(p).get("nodePort") or 0 for p in as_list(spec.get("ports"))]


def drop_type_dependent_fields(old: Obj, new: Obj) -> None:
    """PrepareForUpdate (patchAllocatedValues, then dropTypeDependentFields): a replace that omits
    allocated values keeps them; values the new type cannot use are wiped when the user left them as they
    were (the allocators free them with the write)."""
    old_spec, new_spec = old.get("spec"), new.get("spec")
    if not isinstance(old_spec, dict) or not isinstance(new_spec, dict):
        return
    _patch_allocated_values(old_spec, new_spec)
    if needs_cluster_ip(old_spec) and not needs_cluster_ip(new_spec):
        if (old_spec.get("clusterIP"), as_list(old_spec.get("clusterIPs"))) == (
                new_spec.get("clusterIP"), as_list(new_spec.get("clusterIPs"))):
            new_spec.pop("clusterIP", None)
            new_spec.pop("clusterIPs", None)
        if as_list(old_spec.get("ipFamilies")) == as_list(new_spec.get("ipFamilies")):
            new_spec.pop("ipFamilies", None)
        if old_spec.get("ipFamilyPolicy") == new_spec.get("ipFamilyPolicy"):
            new_spec.pop("ipFamilyPolicy", None)
    if needs_node_port(old_spec) and not needs_node_port(new_spec) and _node_ports(old_spec) == _node_ports(new_spec):
        for p in as_list(new_spec.get("ports")):
            if isinstance(p, dict):
                p.pop("nodePort", None)
    if needs_hc_node_port(old_spec) and not needs_hc_node_port(new_spec) and (
            old_spec.get("healthCheckNodePort") == new_spec.get("healthCheckNodePort")):
        new_spec.pop("healthCheckNodePort", None)
    if old_spec.get("type") == "LoadBalancer" and new_spec.get("type") != "LoadBalancer":
        if new_spec.get("allocateLoadBalancerNodePorts") is not None and (
                old_spec.get("allocateLoadBalancerNodePorts") == new_spec.get("allocateLoadBalancerNodePorts")):
            new_spec.pop("allocateLoadBalancerNodePorts", None)
        if old_spec.get("loadBalancerClass") == new_spec.get("loadBalancerClass"):
            new_spec.pop("loadBalancerClass", None)
    if _externally_accessible(old_spec) and not _externally_accessible(new_spec):
        if old_spec.get("externalTrafficPolicy") == new_spec.get("externalTrafficPolicy"):
            new_spec.pop("externalTrafficPolicy", None)


REGISTRY["Service"] = KindInfo(
    "Service", ("v1",), True, "services", ("svc",), name_rule="dns1035", default=default_service,
    validate=validate_service, validate_update=validate_service_update, prepare_update=drop_type_dependent_fields,
    has_status=True, indexes=frozenset({ALLOCATION_INDEX}), holds=service_holds, allocate=allocate_service,
)
