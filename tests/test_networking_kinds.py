"""Ingress, IngressClass, NetworkPolicy, PriorityClass and Lease, mirroring upstream's validation tests by name:
``pkg/apis/networking/validation/validation_test.go``, ``pkg/apis/scheduling/validation/validation_test.go`` and
``pkg/apis/coordination/validation/validation_test.go``."""

from __future__ import annotations

from typing import Any

import pytest
from kinds import Obj, assert_error, assert_ok, defaulted, errors_of, update_errors


# ---------------------------------------------------------------------------------------------
# Ingress
# ---------------------------------------------------------------------------------------------
def backend(name: str = "web", number: int | None = 80, port_name: str | None = None) -> Obj:
    port: Obj = {}
    if number is not None:
        port["number"] = number
    if port_name is not None:
        port["name"] = port_name
    return {"service": {"name": name, "port": port}}


def ingress(rules: list[Obj] | None = None, **spec: Any) -> Obj:
    path = {"path": "/", "pathType": "Prefix", "backend": backend()}
    base: Obj = {"rules": [{"host": "foo.example.com", "http": {"paths": [path]}}] if rules is None else rules}
    base.update(spec)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}, "spec": base}


def http_rule(host: str = "foo.example.com", **path: Any) -> Obj:
    p: Obj = {"path": "/", "pathType": "Prefix", "backend": backend()}
    p.update(path)
    return {"host": host, "http": {"paths": [p]}}


@pytest.mark.parametrize("obj", [
    ingress(), ingress(rules=[], defaultBackend=backend()), ingress(rules=[http_rule("*.example.com")]),
    ingress(rules=[http_rule(path="/a/b", pathType="Exact")]),
    ingress(rules=[http_rule(path="", pathType="ImplementationSpecific")]),
    ingress(rules=[http_rule(backend=backend(number=None, port_name="http"))]),
    ingress(rules=[http_rule(backend={"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket",
                                                   "name": "static"}})]),
    ingress(tls=[{"hosts": ["foo.example.com", "*.bar.com"], "secretName": "tls-cert"}], ingressClassName="nginx"),
])
def test_validate_ingress_success(obj: Obj) -> None:
    # TestValidateIngressCreate / TestValidateIngressRuleValue success rows
    assert_ok(obj)


INGRESS_ERRORS = [
    ("empty spec", ingress(rules=[]), "spec", "either `defaultBackend` or `rules` must be specified"),
    ("host is an IP", ingress(rules=[http_rule("1.2.3.4")]), "spec.rules[0].host", "must be a DNS name, not an IP"),
    ("host with leading zeros is still an IP", ingress(rules=[http_rule("010.1.1.1")]), "spec.rules[0].host",
     "must be a DNS name, not an IP address"),
    ("bad wildcard host", ingress(rules=[http_rule("foo.*.bar.com")]), "spec.rules[0].host",
     "a wildcard DNS-1123 subdomain must start with '*.'"),
    ("bad host", ingress(rules=[http_rule("Foo_bar")]), "spec.rules[0].host", "a lowercase RFC 1123 subdomain"),
    ("no pathType", ingress(rules=[http_rule(pathType=None)]), "spec.rules[0].http.paths[0].pathType",
     "pathType must be specified"),
    ("unknown pathType", ingress(rules=[http_rule(pathType="Regex")]), "spec.rules[0].http.paths[0].pathType",
     'supported values: "Exact", "ImplementationSpecific", "Prefix"'),
    ("relative path", ingress(rules=[http_rule(path="foo")]), "spec.rules[0].http.paths[0].path",
     "must be an absolute path"),
    ("path with //", ingress(rules=[http_rule(path="/foo//bar")]), "spec.rules[0].http.paths[0].path",
     "must not contain '//'"),
    ("path ending /..", ingress(rules=[http_rule(path="/foo/..")]), "spec.rules[0].http.paths[0].path",
     "cannot end with '/..'"),
    ("no paths", ingress(rules=[{"host": "a.com", "http": {"paths": []}}]), "spec.rules[0].http.paths",
     "Required value"),
    ("both port name and number", ingress(rules=[http_rule(backend=backend(number=80, port_name="http"))]),
     "spec.rules[0].http.paths[0].backend", "cannot set both port name & port number"),
    ("no port", ingress(rules=[http_rule(backend=backend(number=None))]), "spec.rules[0].http.paths[0].backend",
     "port name or number is required"),
    ("port out of range", ingress(rules=[http_rule(backend=backend(number=70000))]),
     "spec.rules[0].http.paths[0].backend.service.port.number", "must be between 1 and 65535, inclusive"),
    ("service name not DNS-1035", ingress(rules=[http_rule(backend=backend(name="1web"))]),
     "spec.rules[0].http.paths[0].backend.service.name", "a DNS-1035 label must consist of"),
    ("both backends", ingress(rules=[http_rule(backend={**backend(), "resource": {"kind": "K", "name": "n"}})]),
     "spec.rules[0].http.paths[0].backend", "cannot set both resource and service backends"),
    ("no backend", ingress(rules=[http_rule(backend={})]), "spec.rules[0].http.paths[0].backend",
     "resource or service backend is required"),
    ("resource without kind", ingress(rules=[http_rule(backend={"resource": {"name": "n"}})]),
     "spec.rules[0].http.paths[0].backend.resource.kind", "kind is required"),
    ("bad tls secret", ingress(tls=[{"secretName": "Bad_Secret"}]), "spec.tls[0].secretName",
     "a lowercase RFC 1123 subdomain"),
    ("bad ingressClassName", ingress(ingressClassName="Nginx!"), "spec.ingressClassName",
     "a lowercase RFC 1123 subdomain"),
]


@pytest.mark.parametrize(("case", "obj", "field", "fragment"), INGRESS_ERRORS, ids=[c[0] for c in INGRESS_ERRORS])
def test_validate_ingress_errors(case: str, obj: Obj, field: str, fragment: str) -> None:
    # TestValidateIngress / TestValidateIngressRuleValue / TestValidateIngressTLS error rows
    for rule in obj["spec"].get("rules", []):
        for p in rule.get("http", {}).get("paths", []):
            if p.get("pathType", "") is None:
                del p["pathType"]
    assert_error(errors_of(obj), field, fragment)


def test_validate_ingress_create_class_annotation() -> None:
    # TestValidateIngressCreate: "class field and annotation set with different value"
    obj = ingress(ingressClassName="bar")
    obj["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "foo"}
    assert_error(errors_of(obj), "annotations.kubernetes.io/ingress.class",
                 "must match `ingressClassName` when both are specified")
    obj["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "bar"}
    assert_ok(obj)


# ---------------------------------------------------------------------------------------------
# IngressClass
# ---------------------------------------------------------------------------------------------
def ingress_class(**spec: Any) -> Obj:
    base: Obj = {"controller": "example.com/ingress"}
    base.update(spec)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": base}


PARAMS = {"apiGroup": "example.com", "kind": "IngressParameters", "name": "p"}
INGRESS_CLASS_CASES = [
    ("valid", ingress_class(), None, ""),
    ("valid cluster parameters", ingress_class(parameters={**PARAMS, "scope": "Cluster"}), None, ""),
    ("valid namespace parameters", ingress_class(parameters={**PARAMS, "scope": "Namespace", "namespace": "ns"}),
     None, ""),
    ("empty controller", ingress_class(controller=""), "spec.controller", "Required value"),
    ("invalid controller", ingress_class(controller="nginx"), "spec.controller",
     'must be a domain-prefixed path (such as "acme.io/foo")'),
    ("controller too long", ingress_class(controller="example.com/" + "a" * 245), "spec.controller",
     "may not be more than 250 bytes"),
    ("no scope", ingress_class(parameters=PARAMS), "spec.parameters.scope", "Required value"),
    ("bad scope", ingress_class(parameters={**PARAMS, "scope": "Global"}), "spec.parameters.scope",
     'supported values: "Cluster", "Namespace"'),
    ("namespace scope without namespace", ingress_class(parameters={**PARAMS, "scope": "Namespace"}),
     "spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'"),
    ("cluster scope with namespace", ingress_class(parameters={**PARAMS, "scope": "Cluster", "namespace": "ns"}),
     "spec.parameters.namespace", "Forbidden: `parameters.scope` is set to 'Cluster'"),
    ("parameters without kind", ingress_class(parameters={"name": "p", "scope": "Cluster"}),
     "spec.parameters.kind", "kind is required"),
]


@pytest.mark.parametrize(("case", "obj", "field", "fragment"), INGRESS_CLASS_CASES,
                         ids=[c[0] for c in INGRESS_CLASS_CASES])
def test_validate_ingress_class(case: str, obj: Obj, field: str | None, fragment: str) -> None:
    # TestValidateIngressClass
    if field is None:
        assert_ok(obj)
    else:
        assert_error(errors_of(obj), field, fragment)


def test_validate_ingress_class_update() -> None:
    # TestValidateIngressClassUpdate: the controller is immutable, parameters may change
    old = ingress_class()
    assert update_errors(old, ingress_class(parameters={**PARAMS, "scope": "Cluster"})) == []
    assert_error(update_errors(old, ingress_class(controller="example.com/other")), "spec.controller",
                 "field is immutable")


# ---------------------------------------------------------------------------------------------
# NetworkPolicy
# ---------------------------------------------------------------------------------------------
def netpol(**spec: Any) -> Obj:
    base: Obj = {"podSelector": {"matchLabels": {"app": "db"}}}
    base.update(spec)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"}, "spec": base}


def test_set_defaults_network_policy() -> None:
    # TestSetDefaultNetworkPolicy: policyTypes Ingress (+ Egress with egress rules); port protocol TCP
    o = defaulted(netpol(ingress=[{"ports": [{"port": 80}]}]))
    assert o["spec"]["policyTypes"] == ["Ingress"] and o["spec"]["ingress"][0]["ports"][0]["protocol"] == "TCP"
    o = defaulted(netpol(egress=[{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]))
    assert o["spec"]["policyTypes"] == ["Ingress", "Egress"]


@pytest.mark.parametrize("spec", [
    {}, {"podSelector": {}},
    {"ingress": [{"from": [{"podSelector": {"matchLabels": {"a": "b"}}, "namespaceSelector": {}}],
                  "ports": [{"port": 80, "endPort": 90}, {"port": "http", "protocol": "UDP"}, {"protocol": "SCTP"}]}]},
    {"egress": [{"to": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}}]}],
     "policyTypes": ["Egress"]},
    {"ingress": [{"from": [{"ipBlock": {"cidr": "fd00::/64", "except": ["fd00::/96"]}}]}]},
])
def test_validate_network_policy_success(spec: Obj) -> None:
    # TestValidateNetworkPolicy: successCases
    assert_ok(netpol(**spec))


NETPOL_ERRORS = [
    ("bad label selector", {"podSelector": {"matchLabels": {"a": "-b"}}}, "spec.podSelector.matchLabels",
     "a valid label must be"),
    ("unsupported protocol", {"ingress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]},
     "spec.ingress[0].ports[0].protocol", 'supported values: "TCP", "UDP", "SCTP"'),
    ("port out of range", {"ingress": [{"ports": [{"port": 70000}]}]}, "spec.ingress[0].ports[0].port",
     "must be between 1 and 65535, inclusive"),
    ("invalid named port", {"ingress": [{"ports": [{"port": "Not_A_Port"}]}]}, "spec.ingress[0].ports[0].port",
     "must contain only alpha-numeric characters"),
    ("endPort below port", {"egress": [{"ports": [{"port": 90, "endPort": 80}]}]}, "spec.egress[0].ports[0].endPort",
     "must be greater than or equal to `port`"),
    ("endPort with named port", {"egress": [{"ports": [{"port": "http", "endPort": 80}]}]},
     "spec.egress[0].ports[0].endPort", "may not be specified when `port` is non-numeric"),
    ("endPort without port", {"egress": [{"ports": [{"endPort": 80}]}]}, "spec.egress[0].ports[0].endPort",
     "may not be specified when `port` is not specified"),
    ("missing peer", {"ingress": [{"from": [{}]}]}, "spec.ingress[0].from[0]", "Required value: must specify a peer"),
    ("ipBlock and podSelector", {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]},
     "spec.ingress[0].from[0]", "may not specify both ipBlock and another peer"),
    ("missing cidr", {"ingress": [{"from": [{"ipBlock": {"cidr": ""}}]}]}, "spec.ingress[0].from[0].ipBlock.cidr",
     "Required value"),
    ("invalid cidr", {"ingress": [{"from": [{"ipBlock": {"cidr": "192.168.5.6"}}]}]},
     "spec.ingress[0].from[0].ipBlock.cidr", "must be a valid CIDR value"),
    ("except not a subset", {"egress": [{"to": [{"ipBlock": {"cidr": "192.168.0.0/24", "except": ["192.168.1.0/25"]}}]}]},
     "spec.egress[0].to[0].ipBlock.except[0]", "must be a strict subset of `cidr`"),
    ("except equal to cidr", {"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}}]}]},
     "spec.egress[0].to[0].ipBlock.except[0]", "must be a strict subset of `cidr`"),
    ("bad policy type", {"policyTypes": ["Ingress", "Sideways"]}, "spec.policyTypes[1]",
     'Unsupported value: "Sideways": supported values: "Ingress", "Egress"'),
    ("too many policy types", {"policyTypes": ["Ingress", "Egress", "Ingress"]}, "spec.policyTypes",
     "may not specify more than two policyTypes"),
]


@pytest.mark.parametrize(("case", "spec", "field", "fragment"), NETPOL_ERRORS, ids=[c[0] for c in NETPOL_ERRORS])
def test_validate_network_policy_errors(case: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateNetworkPolicy: errorCases
    assert_error(errors_of(netpol(**spec)), field, fragment)


# ---------------------------------------------------------------------------------------------
# PriorityClass and Lease
# ---------------------------------------------------------------------------------------------
def priority_class(name: str = "high", value: int = 1000, **fields: Any) -> Obj:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, **fields}


def test_validate_priority_class() -> None:
    # TestValidatePriorityClass
    assert_ok(priority_class())
    assert_ok(priority_class("system-node-critical", 2_000_001_000))
    assert defaulted(priority_class())["preemptionPolicy"] == "PreemptLowerPriority"
    assert_error(errors_of(priority_class("system-foo")), "metadata.name",
                 "priority class names with 'system-' prefix are reserved for system use only. error: system-foo is "
                 "not a known system priority class")
    assert_error(errors_of(priority_class("system-cluster-critical", 5)), "metadata.name",
                 "value of system-cluster-critical PriorityClass must be 2000000000")
    assert_error(errors_of(priority_class(value=1_000_000_001)), "value",
                 "maximum allowed value of a user defined priority is 1000000000")
    assert_error(errors_of(priority_class(preemptionPolicy="Sometimes")), "preemptionPolicy",
                 'supported values: "PreemptLowerPriority", "Never"')


def test_validate_priority_class_update() -> None:
    # TestValidatePriorityClassUpdate: value and preemptionPolicy are immutable, description may change
    old = priority_class()
    assert update_errors(old, priority_class(description="d", globalDefault=True)) == []
    assert_error(update_errors(old, priority_class(value=2000)), "value", "may not be changed in an update.")
    assert_error(update_errors(old, priority_class(preemptionPolicy="Never")), "preemptionPolicy",
                 "field is immutable")


def lease(**spec: Any) -> Obj:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"}, "spec": spec}


def test_validate_lease_spec() -> None:
    # TestValidateLeaseSpec
    assert_ok(lease(holderIdentity="me", leaseDurationSeconds=15, leaseTransitions=0,
                    renewTime="2024-01-01T00:00:00.000000Z"))
    assert_error(errors_of(lease(leaseDurationSeconds=0)), "spec.leaseDurationSeconds", "must be greater than 0")
    assert_error(errors_of(lease(leaseTransitions=-1)), "spec.leaseTransitions", "must be greater than or equal to 0")
    assert_error(errors_of(lease(preferredHolder="me")), "spec.preferredHolder",
                 "may only be specified if `strategy` is defined")
    assert_error(errors_of(lease(strategy="Random")), "spec.strategy.strategy",
                 'supported values: "OldestEmulationVersion"')
    assert_ok(lease(strategy="OldestEmulationVersion", preferredHolder="me"))


# ---------------------------------------------------------------------------------------------
# EndpointSlice and ControllerRevision
# ---------------------------------------------------------------------------------------------
def slice_(address_type: str = "IPv4", endpoints: list[Obj] | None = None, ports: list[Obj] | None = None) -> Obj:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "s"},
            "addressType": address_type,
            "endpoints": [{"addresses": ["10.1.2.3"]}] if endpoints is None else endpoints,
            "ports": [{"name": "http", "port": 80}] if ports is None else ports}


def test_validate_endpoint_slice_success_and_defaults() -> None:
    # TestValidateEndpointSlice: successCases; SetDefaults_EndpointPort
    assert_ok(slice_())
    assert_ok(slice_("IPv6", [{"addresses": ["2001:db8::1"], "hostname": "a", "nodeName": "node-1",
                              "hints": {"forZones": [{"name": "zone-a"}]}}]))
    assert_ok(slice_("FQDN", [{"addresses": ["foo.example.com"]}], [{"port": 80}, {"name": "b", "port": 81}]))
    port = defaulted(slice_(ports=[{"port": 80}]))["ports"][0]
    assert port == {"name": "", "port": 80, "protocol": "TCP"}, port


SLICE_ERRORS = [
    ("missing addressType", slice_(""), "addressType", "Required value"),
    ("bad addressType", slice_("IP"), "addressType", 'supported values: "FQDN", "IPv4", "IPv6"'),
    ("no addresses", slice_(endpoints=[{"addresses": []}]), "endpoints[0].addresses",
     "must contain at least 1 address"),
    ("IPv6 address in an IPv4 slice", slice_(endpoints=[{"addresses": ["2001:db8::1"]}]), "endpoints[0].addresses[0]",
     "must be a valid IPv4 address"),
    ("loopback address", slice_(endpoints=[{"addresses": ["127.0.0.1"]}]), "endpoints[0].addresses[0]",
     "may not be in the loopback range"),
    ("bad FQDN", slice_("FQDN", [{"addresses": ["localhost"]}]), "endpoints[0].addresses[0]",
     "should be a domain with at least two segments separated by dots"),
    ("bad hostname", slice_(endpoints=[{"addresses": ["10.1.2.3"], "hostname": "Host_1"}]), "endpoints[0].hostname",
     "a lowercase RFC 1123 label"),
    ("bad nodeName", slice_(endpoints=[{"addresses": ["10.1.2.3"], "nodeName": "Node_1"}]), "endpoints[0].nodeName",
     "a lowercase RFC 1123 subdomain"),
    ("duplicate zone hint", slice_(endpoints=[{"addresses": ["10.1.2.3"], "hints": {"forZones": [{"name": "a"},
                                                                                                {"name": "a"}]}}]),
     "endpoints[0].hints.forZones[1].name", "Duplicate value"),
    ("duplicate port name", slice_(ports=[{"port": 80}, {"port": 81}]), "ports[1].name", 'Duplicate value: ""'),
    ("bad port protocol", slice_(ports=[{"name": "a", "port": 80, "protocol": "ICMP"}]), "ports[0].protocol",
     'supported values: "SCTP", "TCP", "UDP"'),
    ("bad port name", slice_(ports=[{"name": "Http", "port": 80}]), "ports[0].name", "a lowercase RFC 1123 label"),
    ("bad appProtocol", slice_(ports=[{"name": "a", "port": 80, "appProtocol": "-h2c"}]), "ports[0].appProtocol",
     "name part must consist of alphanumeric characters"),
]


@pytest.mark.parametrize(("case", "obj", "field", "fragment"), SLICE_ERRORS, ids=[c[0] for c in SLICE_ERRORS])
def test_validate_endpoint_slice_errors(case: str, obj: Obj, field: str, fragment: str) -> None:
    # TestValidateEndpointSlice: errorCases
    assert_error(errors_of(obj), field, fragment)


def test_validate_endpoint_slice_update() -> None:
    # TestValidateEndpointSliceUpdate: the addressType is immutable, endpoints may change
    assert update_errors(slice_(), slice_(endpoints=[{"addresses": ["10.1.2.4"]}])) == []
    assert_error(update_errors(slice_(), slice_("FQDN", [{"addresses": ["a.example.com"]}])), "addressType",
                 "field is immutable")


def test_validate_controller_revision() -> None:
    # TestValidateControllerRevision / TestValidateControllerRevisionUpdate
    rev = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"}, "revision": 1,
           "data": {"spec": {"template": {}}}}
    assert_ok(rev)
    assert_error(errors_of({**rev, "data": None}), "data", "Required value: data is mandatory")
    assert_error(errors_of({**rev, "revision": -1}), "revision", "must be greater than or equal to 0")
    assert update_errors(rev, {**rev, "revision": 2}) == []
    assert_error(update_errors(rev, {**rev, "data": {"spec": {}}}), "data", "field is immutable")


# ---------------------------------------------------------------------------------------------
# ResourceQuota and LimitRange (pkg/apis/core/validation/validation_test.go)
# ---------------------------------------------------------------------------------------------
def quota(**spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": spec}


@pytest.mark.parametrize("spec", [
    {"hard": {"cpu": "100", "memory": "10G", "pods": "10", "services": 0, "requests.storage": "10Gi",
              "count/deployments.apps": "4", "hugepages-2Mi": "1Gi", "requests.nvidia.com/gpu": "2"}},
    {"hard": {"pods": "10", "cpu": "2"}, "scopes": ["NotTerminating", "NotBestEffort"]},
    {"hard": {"pods": "10"}, "scopes": ["BestEffort"]},
    {"hard": {"pods": "10"}, "scopeSelector": {"matchExpressions": [
        {"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}},
])
def test_validate_resource_quota_success(spec: Obj) -> None:
    # TestValidateResourceQuota: successCases
    assert_ok(quota(**spec))


QUOTA_ERRORS = [
    ("negative-limits", {"hard": {"cpu": "-10"}}, "spec.hard[cpu]", "must be greater than or equal to 0"),
    ("fractional-api-resource", {"hard": {"pods": "0.5"}}, "spec.hard[pods]", "must be an integer"),
    ("fractional count", {"hard": {"count/pods": "1.5"}}, "spec.hard[count/pods]", "must be an integer"),
    ("invalid-quota-resource", {"hard": {"storage": "10Gi"}}, "spec.hard[storage]",
     "must be a standard resource for quota"),
    ("non-standard resource", {"hard": {"widgets": "1"}}, "spec.hard[widgets]",
     "must be a standard resource type or fully qualified"),
    ("invalid-quota-terminating-pair", {"hard": {"pods": "1"}, "scopes": ["Terminating", "NotTerminating"]},
     "spec.scopes", "conflicting scopes"),
    ("unsupported-quota-scope", {"hard": {"pods": "1"}, "scopes": ["foo"]}, "spec.scopes", "unsupported scope"),
    ("invalid-quota-scope-name (BestEffort with cpu)", {"hard": {"cpu": "1"}, "scopes": ["BestEffort"]},
     "spec.scopes", "unsupported scope applied to resource"),
    ("invalid-scope-selector-operator", {"hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [
        {"scopeName": "BestEffort", "operator": "In", "values": ["x"]}]}}, "spec.scopeSelector.matchExpressions.operator",
     "must be 'Exist' when scope is any of"),
    ("invalid-scope-selector-values", {"hard": {"pods": "1"}, "scopeSelector": {"matchExpressions": [
        {"scopeName": "PriorityClass", "operator": "In"}]}}, "spec.scopeSelector.matchExpressions.values",
     "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"),
]


@pytest.mark.parametrize(("case", "spec", "field", "fragment"), QUOTA_ERRORS, ids=[c[0] for c in QUOTA_ERRORS])
def test_validate_resource_quota_errors(case: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateResourceQuota: errorCases
    assert_error(errors_of(quota(**spec)), field, fragment)


def test_validate_resource_quota_update() -> None:
    # TestValidateResourceQuotaUpdate: hard limits may change, scopes may not
    old = quota(hard={"pods": "10"}, scopes=["NotTerminating"])
    assert update_errors(old, quota(hard={"pods": "20"}, scopes=["NotTerminating"])) == []
    assert_error(update_errors(old, quota(hard={"pods": "10"}, scopes=["Terminating"])), "spec.scopes",
                 "field is immutable")


def limit_range(*limits: Obj) -> Obj:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"}, "spec": {"limits": list(limits)}}


@pytest.mark.parametrize("limits", [
    [{"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"}, "default": {"cpu": "1"},
      "defaultRequest": {"cpu": "500m"}, "maxLimitRequestRatio": {"cpu": "10"}}],
    [{"type": "Pod", "max": {"cpu": "4"}}, {"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}}],
    [{"type": "example.com/thing", "max": {"example.com/widget": "3"}}],
])
def test_validate_limit_range_success(limits: list[Obj]) -> None:
    # TestValidateLimitRange: successCases
    assert_ok(limit_range(*limits))


LIMIT_ERRORS = [
    ("duplicate-limit-type", [{"type": "Pod", "max": {"cpu": "1"}}, {"type": "Pod", "min": {"cpu": "1"}}],
     "spec.limits[1].type", 'Duplicate value: "Pod"'),
    ("unknown type", [{"type": "Node"}], "spec.limits[0].type", "must be a standard limit type or fully qualified"),
    ("default-limit-type-pod", [{"type": "Pod", "max": {"cpu": "1"}, "default": {"cpu": "1"}}],
     "spec.limits[0].default", "may not be specified when `type` is 'Pod'"),
    ("min value 2 is greater than max value 1", [{"type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "2"}}],
     "spec.limits[0].min[cpu]", "min value 2 is greater than max value 1"),
    ("default request > default", [{"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "2"}}],
     "spec.limits[0].defaultRequest[cpu]", "default request value 2 is greater than default limit value 1"),
    ("default > max", [{"type": "Container", "max": {"cpu": "1"}, "default": {"cpu": "2"}}],
     "spec.limits[0].default[cpu]", "default value 2 is greater than max value 1"),
    ("ratio less than 1", [{"type": "Container", "maxLimitRequestRatio": {"cpu": "800m"}}],
     "spec.limits[0].maxLimitRequestRatio[cpu]", "ratio 800m is less than 1"),
    ("ratio greater than max/min", [{"type": "Container", "max": {"memory": "800Mi"}, "min": {"memory": "100Mi"},
                                     "maxLimitRequestRatio": {"memory": "10"}}],
     "spec.limits[0].maxLimitRequestRatio[memory]", "ratio 10 is greater than max/min = 8.000000"),
    ("pvc without storage bound", [{"type": "PersistentVolumeClaim", "max": {"cpu": "1"}}], "spec.limits[0].limits",
     "either minimum or maximum storage value is required, but neither was provided"),
    ("hugepages must not overcommit", [{"type": "Container", "default": {"hugepages-2Mi": "4Mi"},
                                        "defaultRequest": {"hugepages-2Mi": "2Mi"}}],
     "spec.limits[0].defaultRequest[hugepages-2Mi]", "default value 4Mi must equal to defaultRequest value 2Mi"),
    ("container resource name", [{"type": "Container", "max": {"storage": "1Gi"}}], "spec.limits[0].max[storage]",
     "must be a standard resource for containers"),
]


@pytest.mark.parametrize(("case", "limits", "field", "fragment"), LIMIT_ERRORS, ids=[c[0] for c in LIMIT_ERRORS])
def test_validate_limit_range_errors(case: str, limits: list[Obj], field: str, fragment: str) -> None:
    # TestValidateLimitRange: errorCases
    assert_error(errors_of(limit_range(*limits)), field, fragment)


# ---------------------------------------------------------------------------------------------
# HorizontalPodAutoscaler (pkg/apis/autoscaling/validation/validation_test.go)
# ---------------------------------------------------------------------------------------------
def hpa(api_version: str = "autoscaling/v2", **spec: Any) -> Obj:
    base: Obj = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5}
    base.update(spec)
    return {"apiVersion": api_version, "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}, "spec": base}


def cpu(utilization: int | None = 50, value: str | None = None) -> Obj:
    target: Obj = {"type": "Utilization" if value is None else "AverageValue"}
    if utilization is not None:
        target["averageUtilization"] = utilization
    if value is not None:
        target["averageValue"] = value
    return {"type": "Resource", "resource": {"name": "cpu", "target": target}}


def test_set_defaults_hpa() -> None:
    # TestSetDefaultHPA (v2): minReplicas 1, CPU 80% when no metric is given, the behavior's default rules
    spec = defaulted(hpa(behavior={"scaleDown": {"stabilizationWindowSeconds": 60}}))["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}], spec["metrics"]
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert spec["behavior"]["scaleDown"]["policies"] == [{"type": "Percent", "value": 100, "periodSeconds": 15}]
    assert spec["behavior"]["scaleUp"]["policies"][0] == {"type": "Pods", "value": 4, "periodSeconds": 15}


@pytest.mark.parametrize("obj", [
    hpa(), hpa(minReplicas=2, metrics=[cpu(), cpu(None, "500m")]),
    hpa(metrics=[{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue",
                                                                                 "averageValue": "10"}}}]),
    hpa(metrics=[{"type": "Object", "object": {"describedObject": {"kind": "Service", "name": "s"},
                                               "metric": {"name": "rps"}, "target": {"type": "Value", "value": "1k"}}}]),
    hpa(metrics=[{"type": "ContainerResource", "containerResource": {"name": "memory", "container": "app", "target": {
        "type": "Utilization", "averageUtilization": 60}}}]),
    hpa(behavior={"scaleUp": {"selectPolicy": "Disabled"}, "scaleDown": {"policies": [
        {"type": "Pods", "value": 1, "periodSeconds": 1800}]}}),
    hpa("autoscaling/v1", targetCPUUtilizationPercentage=70),
])
def test_validate_hpa_success(obj: Obj) -> None:
    # TestValidateHorizontalPodAutoscaler: successCases
    assert_ok(obj)


HPA_ERRORS = [
    ("minReplicas 0", hpa(minReplicas=0), "spec.minReplicas", "must be greater than or equal to 1"),
    ("maxReplicas 0", hpa(maxReplicas=0), "spec.maxReplicas", "must be greater than 0"),
    ("max below min", hpa(minReplicas=7), "spec.maxReplicas", "must be greater than or equal to `minReplicas`"),
    ("missing scaleTargetRef kind", hpa(scaleTargetRef={"name": "web"}), "spec.scaleTargetRef.kind", "Required value"),
    ("scaleTargetRef name with /", hpa(scaleTargetRef={"kind": "Deployment", "name": "a/b"}),
     "spec.scaleTargetRef.name", "may not contain '/'"),
    ("utilization 0", hpa(metrics=[cpu(0)]), "spec.metrics[0].resource.target.averageUtilization",
     "must be greater than 0"),
    ("negative averageValue", hpa(metrics=[cpu(None, "-1")]), "spec.metrics[0].resource.target.averageValue",
     "must be positive"),
    ("both utilization and value", hpa(metrics=[cpu(50, "1")]), "spec.metrics[0].resource.target.averageValue",
     "may not set both a target raw value and a target utilization"),
    ("bad target type", hpa(metrics=[{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Percent", "averageUtilization": 5}}}]), "spec.metrics[0].resource.target.type",
     "must be either Utilization, Value, or AverageValue"),
    ("unknown metric type", hpa(metrics=[{"type": "Magic"}]), "spec.metrics[0].type",
     'supported values: "ContainerResource", "External", "Object", "Pods", "Resource"'),
    ("missing metric source", hpa(metrics=[{"type": "Pods"}]), "spec.metrics[0].pods",
     "must populate information for the given metric source"),
    ("two sources", hpa(metrics=[{**cpu(), "pods": {"metric": {"name": "q"}, "target": {
        "type": "AverageValue", "averageValue": "1"}}}]), "spec.metrics[0].pods",
     "must populate the given metric source only"),
    ("pods without averageValue", hpa(metrics=[{"type": "Pods", "pods": {"metric": {"name": "q"}, "target": {
        "type": "Value", "value": "1"}}}]), "spec.metrics[0].pods.target.averageValue",
     "must specify a positive target averageValue"),
    ("stabilization window too long", hpa(behavior={"scaleUp": {"stabilizationWindowSeconds": 3601}}),
     "spec.behavior.scaleUp.stabilizationWindowSeconds", "must be less than or equal to 3600"),
    ("empty policies", hpa(behavior={"scaleDown": {"policies": []}}), "spec.behavior.scaleDown.policies",
     "must specify at least one Policy"),
    ("bad selectPolicy", hpa(behavior={"scaleUp": {"selectPolicy": "Avg"}}), "spec.behavior.scaleUp.selectPolicy",
     'supported values: "Disabled", "Max", "Min"'),
    ("policy period too long", hpa(behavior={"scaleUp": {"policies": [{"type": "Pods", "value": 1,
                                                                       "periodSeconds": 1801}]}}),
     "spec.behavior.scaleUp.policies[0].periodSeconds", "must be less than or equal to 1800"),
    ("v1 target 0", hpa("autoscaling/v1", targetCPUUtilizationPercentage=0),
     "spec.metrics[0].resource.target.averageUtilization", "must be greater than 0"),
]


@pytest.mark.parametrize(("case", "obj", "field", "fragment"), HPA_ERRORS, ids=[c[0] for c in HPA_ERRORS])
def test_validate_hpa_errors(case: str, obj: Obj, field: str, fragment: str) -> None:
    # TestValidateHorizontalPodAutoscaler: errorCases
    assert_error(errors_of(obj), field, fragment)


# ---------------------------------------------------------------------------------------------
# CSIDriver and VolumeAttachment (pkg/apis/storage/validation/validation_test.go)
# ---------------------------------------------------------------------------------------------
def csi_driver(name: str = "io.kubernetes.storage.mock", **spec: Any) -> Obj:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": name}, "spec": spec}


def test_validate_csi_driver() -> None:
    # TestCSIDriverValidation; TestSetDefaultCSIDriver
    assert_ok(csi_driver())
    assert_ok(csi_driver("io.Kubernetes.Storage.Mock"))  # lower-cased before the subdomain check
    spec = defaulted(csi_driver())["spec"]
    assert (spec["attachRequired"], spec["podInfoOnMount"], spec["fsGroupPolicy"], spec["volumeLifecycleModes"]) == \
        (True, False, "ReadWriteOnceWithFSType", ["Persistent"]), spec
    assert_error(errors_of(csi_driver("a" * 64)), "name", "must have at most 63 bytes")
    assert_error(errors_of(csi_driver("-bad-")), "name", "a lowercase RFC 1123 subdomain")
    assert_error(errors_of(csi_driver(fsGroupPolicy="Sometimes")), "spec.fsGroupPolicy",
                 'supported values: "File", "None", "ReadWriteOnceWithFSType"')
    assert_error(errors_of(csi_driver(volumeLifecycleModes=["Persistent", "Forever"])), "spec.volumeLifecycleModes",
                 'supported values: "Persistent", "Ephemeral"')
    assert_error(errors_of(csi_driver(tokenRequests=[{"audience": "a"}, {"audience": "a"}])),
                 "spec.tokenRequests[1].audience", 'Duplicate value: "a"')
    assert_error(errors_of(csi_driver(tokenRequests=[{"audience": "a", "expirationSeconds": 10}])),
                 "spec.tokenRequests[0].expirationSeconds", "may not specify a duration less than 10 minutes")


def test_validate_csi_driver_update() -> None:
    # TestCSIDriverValidationUpdate: attachRequired and volumeLifecycleModes are immutable, podInfoOnMount is not
    old = csi_driver()
    assert update_errors(old, csi_driver(podInfoOnMount=True)) == []
    assert_error(update_errors(old, csi_driver(attachRequired=False)), "spec.attachedRequired", "field is immutable")


def attachment(**source: Any) -> Obj:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": "va"},
            "spec": {"attacher": "io.kubernetes.storage.mock", "nodeName": "node1",
                     "source": source or {"persistentVolumeName": "pv1"}}}


def test_validate_volume_attachment() -> None:
    # TestVolumeAttachmentValidation / TestVolumeAttachmentValidationV1
    assert_ok(attachment())
    inline = {"accessModes": ["ReadWriteOnce"], "csi": {"driver": "d", "volumeHandle": "h"}}
    assert_ok(attachment(inlineVolumeSpec=inline))
    assert_error(errors_of(attachment(persistentVolumeName="pv1", inlineVolumeSpec=inline)), "spec.source",
                 "Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName")
    bad = attachment()
    bad["spec"]["source"] = {}
    assert_error(errors_of(bad), "spec.source", "Required value: must specify exactly one of")
    assert_error(errors_of(attachment(inlineVolumeSpec={**inline, "capacity": {"storage": "1Gi"}})),
                 "spec.source.inlineVolumeSpec.capacity", "may not be specified in the context of inline volumes")
    bad = attachment()
    bad["spec"]["attacher"] = "Not_A_Driver!"
    assert_error(errors_of(bad), "spec.attacher", "a lowercase RFC 1123 subdomain")
    bad = attachment()
    bad["spec"]["nodeName"] = ""
    assert_error(errors_of(bad), "spec.nodeName", "a lowercase RFC 1123 subdomain")
    changed = attachment(persistentVolumeName="pv2")
    assert_error(update_errors(attachment(), changed), "spec", "field is immutable")


# ---------------------------------------------------------------------------------------------
# Event (pkg/apis/core/validation/events_test.go)
# ---------------------------------------------------------------------------------------------
def event(namespace: str = "default", **fields: Any) -> Obj:
    base: Obj = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": namespace},
                 "involvedObject": {"kind": "Pod", "name": "p", "namespace": namespace}, "reason": "Started"}
    base.update(fields)
    return base


def test_validate_event() -> None:
    # TestValidateEventForCoreV1Events / TestLegacyValidateEvent
    assert_ok(event())
    assert_ok(event(involvedObject={"kind": "Node", "name": "n1"}))  # a cluster-scoped object from default
    assert_error(errors_of(event("foo", involvedObject={"kind": "Pod", "name": "p", "namespace": "bar"})),
                 "involvedObject.namespace", 'Invalid value: "bar": does not match event.namespace')
    assert_error(errors_of(event("foo", involvedObject={"kind": "Node", "name": "n1"})), "involvedObject.namespace",
                 "does not match event.namespace")
    new_style = event(eventTime="2024-01-01T00:00:00.000000Z", reportingComponent="kubelet",
                      reportingInstance="node1", action="Pulling")
    assert_ok(new_style)
    assert_error(errors_of({**new_style, "reportingComponent": ""}), "reportingComponent", "Required value")
    assert_error(errors_of({**new_style, "action": "a" * 129}), "action", "can have at most 128 characters")
    assert_error(errors_of({**new_style, "message": "m" * 1025}), "message", "can have at most 1024 characters")
