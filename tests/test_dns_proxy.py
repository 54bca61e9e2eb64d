"""Cluster DNS (rules DNS-1...DNS-8, NS-3, trap 15) and kube-proxy routes (SVC-12), and LoadBalancer status
from the modelled cloud (SVC-6).

Mirrors the DNS and Services conformance tests named below (``test/e2e/network/dns.go``,
``test/e2e/network/service.go``) and ``pkg/proxy/topology_test.go`` (TestCategorizeEndpoints).
"""

from __future__ import annotations

from typing import Any

import pytest
from networking import apply_all, pod

import refmodel as rm
from refmodel import events as ev
from refmodel.dns import Record

ZONE = "cluster.local"


def service(name: str = "web", ns: str = "default", **spec: Any) -> dict[str, Any]:
    body = {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}], **spec}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": body}


def ip_of(state: rm.ClusterState, name: str, ns: str = "default") -> str:
    got = rm.get(state, "Pod", name, ns)
    assert got is not None
    return str(got["status"]["podIP"])


@pytest.fixture(scope="module")
def base() -> rm.ClusterState:
    return apply_all(rm.new_cluster(nodes=2), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})


def a_records(records: tuple[Record, ...]) -> set[str]:
    assert all(r.type == "A" for r in records), records
    return {r.data for r in records}


# ---- DNS ----------------------------------------------------------------------------------------------
def test_provide_dns_for_the_cluster(base: rm.ClusterState) -> None:
    # [sig-network] DNS should provide DNS for the cluster [Conformance]: kubernetes.default from any pod
    ip = rm.get(base, "Service", "kubernetes")["spec"]["clusterIP"]  # type: ignore[index]
    for name in ("kubernetes.default", f"kubernetes.default.svc.{ZONE}", f"kubernetes.default.svc.{ZONE}."):
        assert rm.resolve(base, name, "other") == (Record("A", f"kubernetes.default.svc.{ZONE}", ip),)


def test_provide_dns_for_services(base: rm.ClusterState) -> None:
    # [sig-network] DNS should provide DNS for services [Conformance]: A for ClusterIP and headless, SRV
    state = apply_all(base, service(), service("web-hl", clusterIP="None"), pod("p1"), pod("p2"))
    cluster_ip = rm.get(state, "Service", "web")["spec"]["clusterIP"]  # type: ignore[index]
    assert a_records(rm.resolve(state, "web", "default")) == {cluster_ip}
    assert a_records(rm.resolve(state, "web-hl", "default")) == {ip_of(state, "p1"), ip_of(state, "p2")}
    srv = rm.resolve(state, "_http._tcp.web", "default", "SRV")
    assert [r.data for r in srv] == [f"0 100 80 web.default.svc.{ZONE}"]
    srv_hl = rm.resolve(state, "_http._tcp.web-hl", "default", "SRV")
    assert sorted(r.data.split()[2] for r in srv_hl) == ["8080", "8080"] and len(srv_hl) == 2


def test_srv_only_for_named_ports(base: rm.ClusterState) -> None:
    # trap 15: unnamed ports have no SRV record
    state = apply_all(base, service(ports=[{"port": 80, "targetPort": 8080}]))
    assert rm.resolve(state, "_http._tcp.web", "default", "SRV") == ()
    assert rm.resolve(state, "web", "default") != ()


def test_headless_nxdomain_without_ready_endpoints(base: rm.ClusterState) -> None:
    # DNS-2 / trap 15: only ready endpoints; none ready -> NXDOMAIN
    state = apply_all(base, service("web-hl", clusterIP="None"), pod("p1"))
    state = rm.converge(rm.step(state, ev.ReadinessChanged("default", "p1", False)))
    assert rm.resolve(state, "web-hl", "default") == ()
    state = apply_all(state, service("web-hl", clusterIP="None", publishNotReadyAddresses=True))
    assert a_records(rm.resolve(state, "web-hl", "default")) == {ip_of(state, "p1")}


def test_resolve_partial_qualified_names(base: rm.ClusterState) -> None:
    # [sig-network] DNS should resolve DNS of partial qualified names for services [Conformance]; NS-3:
    # another namespace's Service by <svc>.<ns>, not by its bare name (DNS-8 search path)
    state = apply_all(base, service(ns="other"))
    ip = rm.get(state, "Service", "web", "other")["spec"]["clusterIP"]  # type: ignore[index]
    assert a_records(rm.resolve(state, "web.other", "default")) == {ip}
    assert a_records(rm.resolve(state, "web.other.svc", "default")) == {ip}
    assert rm.resolve(state, "web", "default") == ()
    assert a_records(rm.resolve(state, "WEB", "other")) == {ip}  # DNS-7: case-insensitive


def test_provide_dns_for_external_name_services(base: rm.ClusterState) -> None:
    # [sig-network] DNS should provide DNS for ExternalName services [Conformance]: CNAME, follows the
    # change of externalName, and an A record after the switch to ClusterIP
    en = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "default"},
          "spec": {"type": "ExternalName", "externalName": "foo.example.com"}}
    state = apply_all(base, en)
    assert rm.resolve(state, "ext", "default", "CNAME") == (Record("CNAME", f"ext.default.svc.{ZONE}",
                                                                    "foo.example.com"),)
    en["spec"]["externalName"] = "bar.example.com"
    state = apply_all(state, en)
    assert rm.resolve(state, "ext", "default")[0].data == "bar.example.com"
    state = apply_all(state, {**en, "spec": {"type": "ClusterIP", "ports": [{"port": 80, "name": "http"}]}})
    ip = rm.get(state, "Service", "ext")["spec"]["clusterIP"]  # type: ignore[index]
    assert rm.resolve(state, "ext", "default") == (Record("A", f"ext.default.svc.{ZONE}", ip),)


def test_provide_dns_for_pods_for_hostname(base: rm.ClusterState) -> None:
    # [sig-network] DNS should provide DNS for pods for Hostname [Conformance]; DNS-6: hostname + subdomain
    # + a headless Service of that name
    state = apply_all(base, service("sub", clusterIP="None"), pod("p1", hostname="host-1", subdomain="sub"),
                      pod("p2", subdomain="sub"))
    fqdn = f"host-1.sub.default.svc.{ZONE}"
    assert rm.resolve(state, fqdn, "other") == (Record("A", fqdn, ip_of(state, "p1")),)
    assert rm.resolve(state, "host-1.sub", "default") == (Record("A", fqdn, ip_of(state, "p1")),)
    # a pod with a subdomain but no hostname gets no per-pod name
    assert rm.resolve(state, f"p2.sub.default.svc.{ZONE}", "default") == ()


def test_provide_dns_for_pods_for_subdomain(base: rm.ClusterState) -> None:
    # [sig-network] DNS should provide DNS for pods for Subdomain [Conformance]: without the headless
    # Service the name does not exist
    state = apply_all(base, pod("p1", hostname="host-1", subdomain="nosvc"))
    assert rm.resolve(state, f"host-1.nosvc.default.svc.{ZONE}", "default") == ()


def test_pod_a_records_and_ptr(base: rm.ClusterState) -> None:
    # DNS-7 pod records; DNS-4 PTR for a cluster IP
    state = apply_all(base, service(), pod("p1"))
    ip = ip_of(state, "p1")
    dashed = ip.replace(".", "-")
    assert a_records(rm.resolve(state, f"{dashed}.default.pod.{ZONE}", "default")) == {ip}
    cluster_ip = rm.get(state, "Service", "web")["spec"]["clusterIP"]  # type: ignore[index]
    arpa = ".".join(reversed(cluster_ip.split("."))) + ".in-addr.arpa."
    assert rm.resolve(state, arpa, "default", "PTR") == (Record("PTR", arpa[:-1], f"web.default.svc.{ZONE}"),)


# ---- kube-proxy ---------------------------------------------------------------------------------------
def test_create_a_functioning_node_port_service(base: rm.ClusterState) -> None:
    # [sig-network] Services should be able to create a functioning NodePort service [Conformance]:
    # reachable through clusterIP:port and every nodeIP:nodePort
    state = apply_all(base, service(type="NodePort"), pod("p1"), pod("p2"))
    svc = rm.get(state, "Service", "web")
    assert svc is not None
    want = {(ip_of(state, "p1"), 8080), (ip_of(state, "p2"), 8080)}
    assert rm.route(state, "node-0", svc["spec"]["clusterIP"], 80) == want
    node_port = svc["spec"]["ports"][0]["nodePort"]
    for node in ("node-0", "node-1"):
        node_ip = rm.get(state, "Node", node, "")["status"]["addresses"][0]["address"]  # type: ignore[index]
        assert rm.route(state, "node-0", node_ip, node_port) == want
    assert rm.route(state, "node-0", svc["spec"]["clusterIP"], 80, "UDP") == frozenset()
    assert rm.route(state, "node-0", svc["spec"]["clusterIP"], 81) == frozenset()


def test_external_traffic_policy_local(base: rm.ClusterState) -> None:
    # TestCategorizeEndpoints "externalTrafficPolicy: Local": only the node's own endpoints
    state = apply_all(base, service(type="NodePort", externalTrafficPolicy="Local"), pod("p1", nodeName="node-0"),
                      pod("p2", nodeName="node-1"))
    svc = rm.get(state, "Service", "web")
    assert svc is not None
    node_ip = rm.get(state, "Node", "node-1", "")["status"]["addresses"][0]["address"]  # type: ignore[index]
    assert rm.route(state, "node-1", node_ip, svc["spec"]["ports"][0]["nodePort"]) == {(ip_of(state, "p2"), 8080)}
    # the cluster IP still reaches both (internalTrafficPolicy Cluster)
    assert len(rm.route(state, "node-1", svc["spec"]["clusterIP"], 80)) == 2


def test_terminating_endpoints_only_when_none_ready(base: rm.ClusterState) -> None:
    # TestCategorizeEndpoints "only terminating endpoints": serving-terminating ones are used as a fallback
    state = apply_all(base, service(), pod("p1", terminationGracePeriodSeconds=30), pod("p2"))
    svc = rm.get(state, "Service", "web")
    assert svc is not None
    ep_only = ("endpoints", "endpointslice")
    terminating = rm.converge(rm.step(state, ev.Delete("Pod", "default", "p1")), controllers=ep_only)
    assert rm.route(terminating, "node-0", svc["spec"]["clusterIP"], 80) == {(ip_of(state, "p2"), 8080)}
    state = rm.converge(rm.step(state, ev.ReadinessChanged("default", "p2", False)))
    state = rm.converge(rm.step(state, ev.Delete("Pod", "default", "p1")), controllers=ep_only)
    assert rm.get(state, "Pod", "p1")["metadata"]["deletionTimestamp"]  # type: ignore[index]
    assert rm.route(state, "node-0", svc["spec"]["clusterIP"], 80) == {(ip_of(state, "p1"), 8080)}


def test_headless_and_external_name_are_not_proxied(base: rm.ClusterState) -> None:
    state = apply_all(base, service(clusterIP="None"), pod("p1"))
    assert rm.route(state, "node-0", ip_of(state, "p1"), 80) == frozenset()


# ---- LoadBalancer ---------------------------------------------------------------------------------------
def test_load_balancer_pending_without_a_cloud(base: rm.ClusterState) -> None:
    # SVC-6: no cloud controller, no ingress
    state = apply_all(base, service(type="LoadBalancer"))
    assert not ((rm.get(state, "Service", "web") or {}).get("status") or {}).get("loadBalancer", {}).get("ingress")


def test_load_balancer_ingress_from_the_cloud() -> None:
    # SVC-6 with the cloud switch on: an ingress IP, reachable; released on a type change
    state = rm.new_cluster(nodes=1, config=rm.ClusterConfig(load_balancer_ips="203.0.113.0/28"))
    state = apply_all(state, service(type="LoadBalancer"), pod("p1"))
    svc = rm.get(state, "Service", "web")
    assert svc is not None
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.1", "ipMode": "VIP"}]
    assert svc["metadata"]["finalizers"] == ["service.kubernetes.io/load-balancer-cleanup"]
    assert rm.route(state, "node-0", "203.0.113.1", 80) == {(ip_of(state, "p1"), 8080)}
    state = apply_all(state, service(type="ClusterIP"))
    svc = rm.get(state, "Service", "web")
    assert svc is not None and not svc["status"].get("loadBalancer") and not svc["metadata"].get("finalizers")
    assert rm.route(state, "node-0", "203.0.113.1", 80) == frozenset()


def test_statefulset_pods_resolve_through_their_headless_service(base: rm.ClusterState) -> None:
    # DNS-6: <set>-<i>.<serviceName>.<ns>.svc.<zone> for the ready pods of a StatefulSet whose headless
    # Service exists ([sig-apps] StatefulSet ... should provide basic identity)
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
           "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "main", "image": "postgres"}]}}}}
    state = apply_all(base, service("db", clusterIP="None", selector={"app": "db"}, ports=[{"port": 5432}]), sts)
    if rm.get(state, "Pod", "db-1") is None:
        pytest.skip("the StatefulSet controller is not in this tree")
    for i in range(2):
        fqdn = f"db-{i}.db.default.svc.{ZONE}"
        assert rm.resolve(state, f"db-{i}.db", "default") == (Record("A", fqdn, ip_of(state, f"db-{i}")),)
    assert a_records(rm.resolve(state, "db", "default")) == {ip_of(state, "db-0"), ip_of(state, "db-1")}
