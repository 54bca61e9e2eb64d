"""Ingress, IngressClass and NetworkPolicy (networking.k8s.io/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/networking/validation/validation.go`` (ValidateIngressCreate, validateIngress,
ValidateIngressSpec, validateIngressTLS, validateIngressRules, validateHTTPIngressRuleValue,
validateHTTPIngressPath, validateIngressBackend, validateIngressTypedLocalObjectReference,
ValidateIngressClass, validateIngressClassSpec, validateIngressClassSpecUpdate,
validateIngressClassParametersReference, ValidateNetworkPolicy, ValidateNetworkPolicySpec,
ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock) with
``staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`` (IsWildcardDNS1123Subdomain,
IsDomainPrefixedPath, IsValidCIDR) and ``pkg/apis/networking/v1/defaults.go`` (SetDefaults_NetworkPolicyPort,
SetDefaults_NetworkPolicy).
**Modelled:** Ingress: rules or a default backend; hosts (DNS subdomains or wildcards, never IP addresses);
paths by pathType (Exact and Prefix absolute and clean, ImplementationSpecific); backends (a service with a
DNS-1035 name and a port name or number, or a resource, never both); TLS hosts and secret names; the
ingressClassName and its agreement with the ``kubernetes.io/ingress.class`` annotation on create.
IngressClass: the controller (a domain-prefixed path, at most 250 characters, immutable) and its parameters
reference with its scope. NetworkPolicy: selectors, ports (protocol, port number or name, endPort),
peers (exactly one kind with an ipBlock; CIDRs and strict-subset exceptions), policyTypes, and the defaults
(TCP; Ingress, plus Egress when egress rules are given).
**Not modelled (and why):** the ratchets for objects stored by older versions (invalid secret names and
wildcard rules): none can be stored here; Ingress status (written by ingress controllers, none run); the
default IngressClass admission (``ingressclass.kubernetes.io/is-default-class``): no IngressClass is default
in a new model cluster.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ..errors import FieldError, forbidden, invalid, not_supported, required
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    dns1035_label_errors,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    immutable,
    meta_finalizer_errors,
    path_segment_name_errors,
    port_name_errors,
    port_num_errors,
    validate_label_selector,
)

__all__ = [
    "default_network_policy",
    "validate_ingress",
    "validate_ingress_class",
    "validate_ingress_class_update",
    "validate_network_policy",
]

Obj = dict[str, Any]
API = ("networking.k8s.io/v1",)

_WILDCARD = re.compile(r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_SLOPPY_V4 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
MAX_LEN_INGRESS_CLASS_CONTROLLER = 250
PARAMETER_SCOPES = ("Cluster", "Namespace")
PROTOCOLS = ("TCP", "UDP", "SCTP")
POLICY_TYPES = ("Ingress", "Egress")
_HTTP_PATH = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def wildcard_dns1123_subdomain_errors(value: str) -> list[str]:
    """IsWildcardDNS1123Subdomain."""
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _WILDCARD.fullmatch(value):
        errs.append("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which "
                    "must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric "
                    "character (e.g. '*.example.com', regex used for validation is "
                    "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return errs


def _is_ip_sloppy(value: str) -> bool:
    """netutils.ParseIPSloppy: Go's parser, which also reads IPv4 octets with leading zeros."""
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(_SLOPPY_V4.fullmatch(value)) and all(int(o) <= 255 for o in value.split("."))


def domain_prefixed_path_errors(value: str, field: str) -> list[FieldError]:
    """IsDomainPrefixedPath."""
    if not value:
        return [required(field)]
    parts = value.split("/", 1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return [invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    errs = [invalid(field, parts[0], m) for m in dns1123_subdomain_errors(parts[0])]
    if not re.fullmatch(_HTTP_PATH, parts[1]):
        errs.append(invalid(field, parts[1], f"Invalid path (regex used for validation is '{_HTTP_PATH}')"))
    return errs


# ---------------------------------------------------------------------------------------------
# Ingress
# ---------------------------------------------------------------------------------------------
def _typed_local_object_reference(ref: Obj, field: str) -> list[FieldError]:
    """validateIngressTypedLocalObjectReference."""
    errs: list[FieldError] = []
    group = ref.get("apiGroup")
    if isinstance(group, str):
        errs += [invalid(f"{field}.apiGroup", group, m) for m in dns1123_subdomain_errors(group)]
    for key in ("kind", "name"):
        value = _s(ref.get(key))
        if not value:
            errs.append(required(f"{field}.{key}", f"{key} is required"))
        else:
            errs += [invalid(f"{field}.{key}", value, m) for m in path_segment_name_errors(value)]
    return errs


def _backend(backend: Obj, field: str) -> list[FieldError]:
    """validateIngressBackend."""
    resource, service = backend.get("resource"), backend.get("service")
    if isinstance(resource, dict) and isinstance(service, dict):
        return [invalid(field, "", "cannot set both resource and service backends")]
    if isinstance(resource, dict):
        return _typed_local_object_reference(resource, f"{field}.resource")
    if not isinstance(service, dict):
        return [invalid(field, "", "resource or service backend is required")]
    errs: list[FieldError] = []
    name = _s(service.get("name"))
    if not name:
        errs.append(required(f"{field}.service.name"))
    else:
        errs += [invalid(f"{field}.service.name", name, m) for m in dns1035_label_errors(name)]
    port = as_dict(service.get("port"))
    port_name, number = _s(port.get("name")), port.get("number") or 0
    if port_name and number:
        errs.append(invalid(field, "", "cannot set both port name & port number"))
    elif port_name:
        errs += [invalid(f"{field}.service.port.name", port_name, m) for m in port_name_errors(port_name)]
    elif isinstance(number, int) and number:
        errs += [invalid(f"{field}.service.port.number", number, m) for m in port_num_errors(number)]
    else:
        errs.append(required(field, "port name or number is required"))
    return errs


def _http_path(path: Obj, field: str) -> list[FieldError]:
    """validateHTTPIngressPath."""
    ptype = path.get("pathType")
    if ptype is None:
        return [required(f"{field}.pathType", "pathType must be specified")]
    errs: list[FieldError] = []
    value = _s(path.get("path"))
    if ptype in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(invalid(f"{field}.path", value, "must be an absolute path"))
        errs += [invalid(f"{field}.path", value, f"must not contain '{seq}'") for seq in INVALID_PATH_SEQUENCES
                 if seq in value]
        errs += [invalid(f"{field}.path", value, f"cannot end with '{suffix}'") for suffix in INVALID_PATH_SUFFIXES
                 if value.endswith(suffix)]
    elif ptype == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(invalid(f"{field}.path", value, "must be an absolute path"))
    else:
        errs.append(not_supported(f"{field}.pathType", ptype, PATH_TYPES))
    return errs + _backend(as_dict(path.get("backend")), f"{field}.backend")


def _host_errors(host: str, field: str) -> list[FieldError]:
    if "*" in host:
        return [invalid(field, host, m) for m in wildcard_dns1123_subdomain_errors(host)]
    return [invalid(field, host, m) for m in dns1123_subdomain_errors(host)]


def _ingress_spec(spec: Obj) -> list[FieldError]:
    """ValidateIngressSpec."""
    errs: list[FieldError] = []
    rules, default = as_list(spec.get("rules")), spec.get("defaultBackend")
    if not rules and not isinstance(default, dict):
        errs.append(invalid("spec", list(rules), "either `defaultBackend` or `rules` must be specified"))
    if isinstance(default, dict):
        errs += _backend(default, "spec.defaultBackend")
    for i, rule in enumerate(rules):
        r = as_dict(rule)
        host = _s(r.get("host"))
        if host:
            if _is_ip_sloppy(host):
                errs.append(invalid(f"spec.rules[{i}].host", host, "must be a DNS name, not an IP address"))
            errs += _host_errors(host, f"spec.rules[{i}].host")
        http = r.get("http")
        if isinstance(http, dict):
            paths = as_list(http.get("paths"))
            if not paths:
                errs.append(required(f"spec.rules[{i}].http.paths"))
            for j, p in enumerate(paths):
                errs += _http_path(as_dict(p), f"spec.rules[{i}].http.paths[{j}]")
    for i, tls in enumerate(as_list(spec.get("tls"))):
        t = as_dict(tls)
        for j, host in enumerate(as_list(t.get("hosts"))):
            if isinstance(host, str):
                errs += _host_errors(host, f"spec.tls[{i}].hosts[{j}]")
        secret = _s(t.get("secretName"))
        if secret:
            errs += [invalid(f"spec.tls[{i}].secretName", secret, m) for m in dns1123_subdomain_errors(secret)]
    class_name = spec.get("ingressClassName")
    if isinstance(class_name, str):
        errs += [invalid("spec.ingressClassName", class_name, m) for m in dns1123_subdomain_errors(class_name)]
    return errs


def validate_ingress(obj: Obj) -> list[FieldError]:
    """ValidateIngressCreate (updates are validated the same way; the annotation check is create-only
    upstream, and every Ingress here passed it)."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    errs += _ingress_spec(spec)
    annotation = as_dict(as_dict(obj.get("metadata")).get("annotations")).get(INGRESS_CLASS_ANNOTATION)
    class_name = spec.get("ingressClassName")
    if annotation is not None and class_name is not None and annotation != class_name:
        errs.append(invalid(f"annotations.{INGRESS_CLASS_ANNOTATION}", annotation,
                            "must match `ingressClassName` when both are specified"))
    return errs


# ---------------------------------------------------------------------------------------------
# IngressClass
# ---------------------------------------------------------------------------------------------
def validate_ingress_class(obj: Obj) -> list[FieldError]:
    """ValidateIngressClass / validateIngressClassSpec / validateIngressClassParametersReference."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    controller = _s(spec.get("controller"))
    if len(controller) > MAX_LEN_INGRESS_CLASS_CONTROLLER:
        errs.append(FieldError("Too long", "spec.controller",
                               f"may not be more than {MAX_LEN_INGRESS_CLASS_CONTROLLER} bytes", controller, False))
    errs += domain_prefixed_path_errors(controller, "spec.controller")
    params = spec.get("parameters")
    if isinstance(params, dict):
        errs += _typed_local_object_reference(params, "spec.parameters")
        scope = params.get("scope")
        if scope is None:
            errs.append(required("spec.parameters.scope"))
        elif scope not in PARAMETER_SCOPES:
            errs.append(not_supported("spec.parameters.scope", scope, PARAMETER_SCOPES))
        elif scope == "Namespace":
            ns = params.get("namespace")
            if ns is None:
                errs.append(required("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"))
            else:
                errs += [invalid("spec.parameters.namespace", ns, m) for m in dns1123_label_errors(_s(ns))]
        elif params.get("namespace") is not None:
            errs.append(forbidden("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'"))
    return errs


def validate_ingress_class_update(old: Obj, new: Obj) -> list[FieldError]:
    """validateIngressClassSpecUpdate: the controller never changes."""
    return immutable(as_dict(new.get("spec")).get("controller"), as_dict(old.get("spec")).get("controller"),
                     "spec.controller")


# ---------------------------------------------------------------------------------------------
# NetworkPolicy
# ---------------------------------------------------------------------------------------------
def default_network_policy(obj: Obj) -> None:
    """SetDefaults_NetworkPolicy / SetDefaults_NetworkPolicyPort."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    for direction in ("ingress", "egress"):
        for rule in as_list(spec.get(direction)):
            for port in as_list(as_dict(rule).get("ports")):
                if isinstance(port, dict) and port.get("protocol") is None:
                    port["protocol"] = "TCP"
    if not as_list(spec.get("policyTypes")):
        spec["policyTypes"] = ["Ingress", "Egress"] if as_list(spec.get("egress")) else ["Ingress"]


def _cidr(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value, strict=False) if "/" in value else None
    except ValueError:
        return None


def _cidr_errors(value: str, field: str) -> list[FieldError]:
    """IsValidCIDR."""
    if _cidr(value) is None:
        return [invalid(field, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")]
    return []


def _ip_block(block: Obj, field: str) -> list[FieldError]:
    """ValidateIPBlock."""
    cidr = _s(block.get("cidr"))
    if not cidr:
        return [required(f"{field}.cidr")]
    errs = _cidr_errors(cidr, f"{field}.cidr")
    net = _cidr(cidr)
    if net is None:
        return errs
    for i, ex in enumerate(as_list(block.get("except"))):
        path = f"{field}.except[{i}]"
        text = _s(ex)
        errs += _cidr_errors(text, path)
        sub = _cidr(text)
        if sub is None:
            continue
        if sub.version != net.version or sub.network_address not in net or net.prefixlen >= sub.prefixlen:
            errs.append(invalid(path, text, "must be a strict subset of `cidr`"))
    return errs


def _port(port: Obj, field: str) -> list[FieldError]:
    """ValidateNetworkPolicyPort."""
    errs: list[FieldError] = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        errs.append(not_supported(f"{field}.protocol", protocol, PROTOCOLS))
    value, end = port.get("port"), port.get("endPort")
    if isinstance(value, int) and not isinstance(value, bool):
        errs += [invalid(f"{field}.port", value, m) for m in port_num_errors(value)]
        if isinstance(end, int):
            if end < value:
                errs.append(invalid(f"{field}.endPort", value, "must be greater than or equal to `port`"))
            errs += [invalid(f"{field}.endPort", end, m) for m in port_num_errors(end)]
    elif isinstance(value, str):
        if end is not None:
            errs.append(invalid(f"{field}.endPort", end, "may not be specified when `port` is non-numeric"))
        errs += [invalid(f"{field}.port", value, m) for m in port_name_errors(value)]
    elif end is not None:
        errs.append(invalid(f"{field}.endPort", end, "may not be specified when `port` is not specified"))
    return errs


def _peer(peer: Obj, field: str) -> list[FieldError]:
    """ValidateNetworkPolicyPeer."""
    errs: list[FieldError] = []
    count = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            count += 1
            errs += validate_label_selector(peer[key], f"{field}.{key}")
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        count += 1
        errs += _ip_block(block, f"{field}.ipBlock")
    if count == 0:
        errs.append(required(field, "must specify a peer"))
    elif count > 1 and isinstance(block, dict):
        errs.append(forbidden(field, "may not specify both ipBlock and another peer"))
    return errs


def validate_network_policy(obj: Obj) -> list[FieldError]:
    """ValidateNetworkPolicy / ValidateNetworkPolicySpec (updates are validated the same way)."""
    errs = meta_finalizer_errors(obj)
    spec = as_dict(obj.get("spec"))
    errs += validate_label_selector(spec.get("podSelector"), "spec.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(as_list(spec.get(direction))):
            r = as_dict(rule)
            for j, port in enumerate(as_list(r.get("ports"))):
                errs += _port(as_dict(port), f"spec.{direction}[{i}].ports[{j}]")
            for j, peer in enumerate(as_list(r.get(peers))):
                errs += _peer(as_dict(peer), f"spec.{direction}[{i}].{peers}[{j}]")
    types = as_list(spec.get("policyTypes"))
    if len(types) > len(POLICY_TYPES):
        return [*errs, invalid("spec.policyTypes", list(types), "may not specify more than two policyTypes")]
    for i, ptype in enumerate(types):
        if ptype not in POLICY_TYPES:
            errs.append(not_supported(f"spec.policyTypes[{i}]", ptype, POLICY_TYPES))
    return errs


REGISTRY["Ingress"] = KindInfo(
    "Ingress", API, True, "ingresses", ("ing",), name_rule="subdomain", validate=validate_ingress,
    tracks_generation=True, reconciled=False,
)
REGISTRY["IngressClass"] = KindInfo(
    "IngressClass", API, False, "ingressclasses", (), name_rule="subdomain", validate=validate_ingress_class,
    validate_update=validate_ingress_class_update, has_status=False, tracks_generation=True, top_level=("spec",),
)
REGISTRY["NetworkPolicy"] = KindInfo(
    "NetworkPolicy", API, True, "networkpolicies", ("netpol",), name_rule="subdomain",
    default=default_network_policy, validate=validate_network_policy, has_status=False, tracks_generation=True,
    top_level=("spec",),
)
