"""Endpoints: defaulting and validation (hand-written Endpoints of selector-less Services, EP-1).

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_Endpoints: port protocol ``TCP``) and
``pkg/apis/core/validation/validation.go`` (ValidateEndpoints, validateEndpointSubsets,
validateEndpointAddress, ValidateNonSpecialIP, validateEndpointPort).
**Modelled:** every subset has addresses or notReadyAddresses; addresses are valid, non-special IPs with
DNS-label hostnames and DNS-subdomain node names; ports are named (DNS labels) when there is more than one,
1-65535, with a known protocol.
**Not modelled (and why):** nothing else is validated upstream for this kind.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    ip_errors,
    meta_finalizer_errors,
    port_num_errors,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_qualified_name,
)
from .pod import PROTOCOLS
from .service import _non_special_ip

__all__ = ["default_endpoints", "validate_endpoints"]

Obj = dict[str, Any]


def default_endpoints(obj: Obj) -> None:
    for subset in as_list(obj.get("subsets")):
        for port in as_list(as_dict(subset).get("ports")):
            if isinstance(port, dict) and not port.get("protocol"):
                port["protocol"] = "TCP"


def _address(addr: Obj, field: str) -> list[FieldError]:
    raw = addr.get("ip")
    ip = raw if isinstance(raw, str) else ""
    errs = ip_errors(ip, f"{field}.ip")
    hostname = addr.get("hostname") or ""
    if hostname:
        errs += validate_dns1123_label(hostname, f"{field}.hostname")
    if addr.get("nodeName") is not None:
        errs += validate_dns1123_subdomain(str(addr["nodeName"]), f"{field}.nodeName")
    return errs + _non_special_ip(ip, f"{field}.ip")


def validate_endpoints(obj: Obj) -> list[FieldError]:
    """ValidateEndpoints."""
    errs = meta_finalizer_errors(obj)
    for i, subset in enumerate(as_list(obj.get("subsets"))):
        s = as_dict(subset)
        p = f"subsets[{i}]"
        addresses, not_ready = as_list(s.get("addresses")), as_list(s.get("notReadyAddresses"))
        if not addresses and not not_ready:
            errs.append(required(p, "must specify `addresses` or `notReadyAddresses`"))
        for j, addr in enumerate(addresses):
            errs += _address(as_dict(addr), f"{p}.addresses[{j}]")
        for j, addr in enumerate(not_ready):
            errs += _address(as_dict(addr), f"{p}.notReadyAddresses[{j}]")
        ports = as_list(s.get("ports"))
        for j, port in enumerate(ports):
            pt = as_dict(port)
            pp = f"{p}.ports[{j}]"
            name = pt.get("name") or ""
            if len(ports) > 1 and not name:
                errs.append(required(f"{pp}.name"))
            elif name:
                errs += validate_dns1123_label(name, f"{pp}.name")
            raw = pt.get("port")
            number = raw if isinstance(raw, int) else 0
            errs += [invalid(f"{pp}.port", number, m) for m in port_num_errors(number)]
            protocol = pt.get("protocol") or ""
            if not protocol:
                errs.append(required(f"{pp}.protocol"))
            elif protocol not in PROTOCOLS:
                errs.append(not_supported(f"{pp}.protocol", protocol, PROTOCOLS))
            if pt.get("appProtocol") is not None:
                errs += validate_qualified_name(str(pt["appProtocol"]), f"{pp}.appProtocol")
    return errs


REGISTRY["Endpoints"] = KindInfo(
    "Endpoints", ("v1",), True, "endpoints", ("ep",), name_rule="subdomain", default=default_endpoints,
    validate=validate_endpoints, has_status=False, top_level=("subsets",),
)
