"""EndpointSlice (discovery.k8s.io/v1) and ControllerRevision (apps/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/discovery/validation/validation.go`` (ValidateEndpointSlice, validateEndpoints,
validatePorts, validateAddressType, validateHints, ValidateEndpointSliceUpdate) with
``staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`` (IsFullyQualifiedDomainName),
``pkg/apis/core/validation`` (ValidateEndpointIP as ValidateNonSpecialIP) and
``pkg/apis/discovery/v1/defaults.go`` (SetDefaults_EndpointPort); ``pkg/apis/apps/validation/validation.go``
(ValidateControllerRevision, ValidateControllerRevisionUpdate).
**Modelled:** EndpointSlice: addressType (required, immutable); at most 1000 endpoints, each with 1 to 100
addresses valid for the address type (IPv4, IPv6 non-special addresses or FQDNs); node names, hostnames,
deprecatedTopology labels, zone hints; at most 20000 ports with unique DNS-label names (unnamed counts as
the name ""), a protocol (defaulted to TCP) and a qualified appProtocol. ControllerRevision: data required and
immutable, revision >= 0.
**Not modelled (and why):** the EndpointSlice controller and mirroring controller (the model keeps Endpoints
only); node hints (``forNodes``, alpha in v1.32).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..errors import FieldError, duplicate, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    immutable,
    label_value_errors,
    meta_finalizer_errors,
    nonnegative,
    validate_dns1123_label,
    validate_labels,
    validate_qualified_name,
)
from .service import _non_special_ip

__all__ = ["default_endpoint_slice", "validate_controller_revision", "validate_controller_revision_update",
           "validate_endpoint_slice", "validate_endpoint_slice_update"]

Obj = dict[str, Any]

ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
MAX_TOPOLOGY_LABELS = 16
MAX_ADDRESSES = 100
MAX_PORTS = 20000
MAX_ENDPOINTS = 1000
MAX_ZONE_HINTS = 8


def _too_many(field: str, n: int, limit: int) -> FieldError:
    return FieldError("Too many", field, f"must have at most {limit} items", n, True)


def default_endpoint_slice(obj: Obj) -> None:
    """SetDefaults_EndpointPort: name "" and protocol TCP."""
    for port in as_list(obj.get("ports")):
        if isinstance(port, dict):
            if port.get("name") is None:
                port["name"] = ""
            if port.get("protocol") is None:
                port["protocol"] = "TCP"


def _fqdn_errors(name: str, field: str) -> list[FieldError]:
    """IsFullyQualifiedDomainName."""
    if not name:
        return [required(field)]
    name = name.removesuffix(".")
    errs = dns1123_subdomain_errors(name)
    if errs:
        return [invalid(field, name, ",".join(errs))]
    if len(name.split(".")) < 2:
        return [invalid(field, name, "should be a domain with at least two segments separated by dots")]
    for label in name.split("."):
        errs = dns1123_label_errors(label)
        if errs:
            return [invalid(field, label, ",".join(errs))]
    return []


def _address_errors(address: str, address_type: Any, field: str) -> list[FieldError]:
    if address_type in ("IPv4", "IPv6"):
        version = 4 if address_type == "IPv4" else 6
        try:
            ok = ipaddress.ip_address(address).version == version
        except ValueError:
            ok = False
        if not ok:
            return [invalid(field, address, f"must be a valid {address_type} address")]
        return _non_special_ip(address, field)
    if address_type == "FQDN":
        return _fqdn_errors(address, field)
    return []  # unknown types are reported on addressType


def _endpoint_errors(ep: Obj, address_type: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    addresses = as_list(ep.get("addresses"))
    if not addresses:
        errs.append(required(f"{field}.addresses", "must contain at least 1 address"))
    elif len(addresses) > MAX_ADDRESSES:
        errs.append(_too_many(f"{field}.addresses", len(addresses), MAX_ADDRESSES))
    for i, address in enumerate(addresses):
        if isinstance(address, str):
            errs += _address_errors(address, address_type, f"{field}.addresses[{i}]")
    node = ep.get("nodeName")
    if isinstance(node, str):
        errs += [invalid(f"{field}.nodeName", node, m) for m in dns1123_subdomain_errors(node)]
    topology = as_dict(ep.get("deprecatedTopology"))
    if len(topology) > MAX_TOPOLOGY_LABELS:
        errs.append(_too_many(f"{field}.deprecatedTopology", len(topology), MAX_TOPOLOGY_LABELS))
    errs += validate_labels(ep.get("deprecatedTopology"), f"{field}.deprecatedTopology")
    hostname = ep.get("hostname")
    if isinstance(hostname, str):
        errs += validate_dns1123_label(hostname, f"{field}.hostname")
    zones = as_list(as_dict(ep.get("hints")).get("forZones"))
    if len(zones) > MAX_ZONE_HINTS:
        return [*errs, _too_many(f"{field}.hints.forZones", len(zones), MAX_ZONE_HINTS)]
    seen: set[str] = set()
    for i, zone in enumerate(zones):
        name = str(as_dict(zone).get("name") or "")
        path = f"{field}.hints.forZones[{i}].name"
        if name in seen:
            errs.append(duplicate(path, name))
        seen.add(name)
        errs += [invalid(path, name, m) for m in label_value_errors(name)]
    return errs


def validate_endpoint_slice(obj: Obj) -> list[FieldError]:
    """ValidateEndpointSlice."""
    errs = meta_finalizer_errors(obj)
    address_type = obj.get("addressType")
    if not address_type:
        errs.append(required("addressType"))
    elif address_type not in ADDRESS_TYPES:
        errs.append(not_supported("addressType", address_type, ADDRESS_TYPES))
    endpoints = as_list(obj.get("endpoints"))
    if len(endpoints) > MAX_ENDPOINTS:
        errs.append(_too_many("endpoints", len(endpoints), MAX_ENDPOINTS))
    else:
        for i, ep in enumerate(endpoints):
            errs += _endpoint_errors(as_dict(ep), address_type, f"endpoints[{i}]")
    ports = as_list(obj.get("ports"))
    if len(ports) > MAX_PORTS:
        return [*errs, _too_many("ports", len(ports), MAX_PORTS)]
    names: set[str] = set()
    for i, port in enumerate(ports):
        p = as_dict(port)
        raw = p.get("name")
        name = raw if isinstance(raw, str) else ""
        if name:
            errs += validate_dns1123_label(name, f"ports[{i}].name")
        if name in names:
            errs.append(duplicate(f"ports[{i}].name", name))
        names.add(name)
        protocol = p.get("protocol")
        if protocol is None:
            errs.append(required(f"ports[{i}].protocol"))
        elif protocol not in PORT_PROTOCOLS:
            errs.append(not_supported(f"ports[{i}].protocol", protocol, PORT_PROTOCOLS))
        app = p.get("appProtocol")
        if isinstance(app, str):
            errs += validate_qualified_name(app, f"ports[{i}].appProtocol")
    return errs


def validate_endpoint_slice_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateEndpointSliceUpdate: the address type never changes."""
    return immutable(new.get("addressType"), old.get("addressType"), "addressType")


def validate_controller_revision(obj: Obj) -> list[FieldError]:
    """ValidateControllerRevision."""
    errs = meta_finalizer_errors(obj)
    if obj.get("data") is None:
        errs.append(required("data", "data is mandatory"))
    return errs + nonnegative(obj.get("revision"), "revision")


def validate_controller_revision_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateControllerRevisionUpdate: the data never changes."""
    return immutable(new.get("data"), old.get("data"), "data")


REGISTRY["EndpointSlice"] = KindInfo(
    "EndpointSlice", ("discovery.k8s.io/v1",), True, "endpointslices", (), name_rule="subdomain",
    default=default_endpoint_slice, validate=validate_endpoint_slice, validate_update=validate_endpoint_slice_update,
    has_status=False, tracks_generation=True, top_level=("addressType", "endpoints", "ports"),
)
REGISTRY["ControllerRevision"] = KindInfo(
    "ControllerRevision", ("apps/v1",), True, "controllerrevisions", (), name_rule="subdomain",
    validate=validate_controller_revision, validate_update=validate_controller_revision_update, has_status=False,
    top_level=("data", "revision"),
)
