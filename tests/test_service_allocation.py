"""The Service allocators (rules SVC-2...SVC-7, trap 16): cluster IPs and node ports, their bands,
conflicts, type transitions, and that a rejected write holds nothing.

Mirrors ``pkg/registry/core/service/ipallocator/bitmap_test.go``, ``portallocator/allocator_test.go``,
``pkg/registry/core/service/storage/storage_test.go`` and the Services conformance tests named below.
"""

from __future__ import annotations

from typing import Any

import pytest
from door import create, delete, update

import refmodel as rm
from refmodel.allocator import IPRange, PortRange, ip_range, port_range
from refmodel.state import index_errors


def svc(name: str, type_: str = "ClusterIP", ns: str = "default", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_, **spec}
    if type_ != "ExternalName" and "ports" not in spec:
        body["ports"] = [{"port": 80}]
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": body}


@pytest.fixture(scope="module")
def cluster() -> rm.ClusterState:
    return rm.new_cluster(nodes=1)


def spec_of(state: rm.ClusterState, name: str, ns: str = "default") -> dict[str, Any]:
    got = rm.get(state, "Service", name, ns)
    assert got is not None, f"Service {ns}/{name} is absent, but should be stored"
    return got["spec"]


def held(state: rm.ClusterState) -> dict[Any, tuple[str, str]]:
    return dict(state.allocations.items())


# ---- the ranges ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("cidr", "size", "offset", "first"), [
    ("10.0.0.0/24", 254, 16, "10.0.0.1"),      # kube-apiserver's default
    ("10.96.0.0/12", 2**20 - 2, 256, "10.96.0.1"),  # kubeadm's: the band is capped at 256
    ("192.168.1.0/28", 14, 16, "192.168.1.1"),  # 16 addresses: min(max(16, 1), 256)
    ("192.168.1.0/29", 6, 0, "192.168.1.1"),    # fewer than 16: no static band
])
def test_ip_range_size_and_band(cidr: str, size: int, offset: int, first: str) -> None:
    # TestCalculateRangeOffset (ipallocator), TestAllocate: network and broadcast are never handed out
    r = IPRange(cidr)
    assert (r.size, r.offset, r.first()) == (size, offset, first)
    assert not r.contains(str(r.network.network_address))
    if r.network.version == 4:
        assert not r.contains(str(r.network.broadcast_address))


@pytest.mark.parametrize(("lo", "hi", "offset"), [(30000, 32767, 86), (30000, 30015, 16), (30000, 30010, 0),
                                                   (1, 65535, 128)])
def test_port_range_band(lo: int, hi: int, offset: int) -> None:
    # TestCalculateRangeOffset (portallocator): min(max(16, size/32), 128)
    assert PortRange(lo, hi).offset == offset


def test_kubernetes_service_takes_the_first_address(cluster: rm.ClusterState) -> None:
    # [sig-network] Services should provide secure master service [Conformance]
    # [sig-network] Services should find a service from listing all namespaces [Conformance]
    names = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in rm.list_objects(cluster, "Service")}
    assert ("default", "kubernetes") in names
    assert spec_of(cluster, "kubernetes")["clusterIP"] == ip_range(cluster.config.service_cidr).first()
    assert index_errors(cluster) == []


def test_another_cidr_moves_the_builtin_services() -> None:
    state = rm.new_cluster(nodes=1, config=rm.ClusterConfig(service_cidr="10.96.0.0/12"))
    assert spec_of(state, "kubernetes")["clusterIP"] == "10.96.0.1"
    assert spec_of(state, "kube-dns", "kube-system")["clusterIP"] == "10.96.0.10"


# ---- ClusterIP ----------------------------------------------------------------------------------
def test_dynamic_allocation_prefers_the_upper_band(cluster: rm.ClusterState) -> None:
    # TestAllocateReserved (ipallocator): automatic allocation takes the dynamic band first
    state = create(cluster, svc("a")).state
    ip = spec_of(state, "a")["clusterIP"]
    rng = ip_range(state.config.service_cidr)
    assert rng.contains(ip)
    assert int(ip.rsplit(".", 1)[1]) > rng.offset, f"clusterIP={ip} is in the static band, but should be above it"
    assert spec_of(state, "a")["clusterIPs"] == [ip]
    assert spec_of(state, "a")["ipFamilies"] == ["IPv4"] and spec_of(state, "a")["ipFamilyPolicy"] == "SingleStack"


def test_static_band_is_used_when_the_dynamic_band_is_full() -> None:
    # TestAllocateReserved: once the upper band is exhausted, AllocateNext falls back to the lower
    state = rm.new_cluster(nodes=0, config=rm.ClusterConfig(service_cidr="10.0.0.0/27"))  # 30 usable, band 16
    rng = ip_range("10.0.0.0/27")
    for i in range(rng.size - rng.offset):
        state = create(state, svc(f"s{i}")).state
    ips = {spec_of(state, f"s{i}")["clusterIP"] for i in range(rng.size - rng.offset)}
    assert ips == {rng.address(i) for i in range(rng.offset, rng.size)}
    state = create(state, svc("low")).state
    assert spec_of(state, "low")["clusterIP"] == rng.address(1), "the next free static address (10.0.0.1 is taken)"


def test_requested_ip_taken_is_rejected_and_changes_nothing(cluster: rm.ClusterState) -> None:
    # TestCreateWithIPs / TestServiceRegistryIPReallocation: "provided IP is already allocated"
    state = create(cluster, svc("a", clusterIP="10.0.0.50")).state
    sent = create(state, svc("b", clusterIP="10.0.0.50", type_="NodePort"))
    assert sent.rejection is not None
    assert 'spec.clusterIPs: Invalid value: ["10.0.0.50"]: failed to allocate IP 10.0.0.50: provided IP is ' \
           "already allocated" in str(sent.rejection)
    assert sent.state is state and held(sent.state) == held(state)


@pytest.mark.parametrize("ip", ["10.0.1.5", "10.0.0.0", "10.0.0.255"])
def test_requested_ip_out_of_range_is_rejected(cluster: rm.ClusterState, ip: str) -> None:
    # TestAllocate (ipallocator): ErrNotInRange; the network and broadcast addresses are outside
    sent = create(cluster, svc("a", clusterIP=ip))
    assert sent.rejection is not None
    assert (f"failed to allocate IP {ip}: provided IP is not in the valid range. The range of valid IPs is "
            "10.0.0.0/24") in str(sent.rejection)
    assert held(sent.state) == held(cluster)


def test_freed_ip_is_reusable(cluster: rm.ClusterState) -> None:
    # TestServiceRegistryIPReallocation: delete frees the address for the next Service
    state = create(cluster, svc("a", clusterIP="10.0.0.77")).state
    state = delete(state, "Service", "default", "a").state
    assert ("ip", "10.0.0.77") not in held(state)
    state = create(state, svc("b", clusterIP="10.0.0.77")).state
    assert held(state)[("ip", "10.0.0.77")] == ("default", "b")


def test_headless_gets_no_address(cluster: rm.ClusterState) -> None:
    state = create(cluster, svc("h", clusterIP="None", selector={"app": "x"})).state
    assert spec_of(state, "h")["clusterIPs"] == ["None"]
    assert held(state) == held(cluster)
    state = create(cluster, svc("h2", clusterIP="None")).state
    assert spec_of(state, "h2")["ipFamilyPolicy"] == "RequireDualStack"  # headless, selectorless


def test_cluster_ip_is_immutable(cluster: rm.ClusterState) -> None:
    # TestServiceRegistryUpdate... / ValidateServiceUpdate: clusterIPs may not change once set (SVC-4)
    state = create(cluster, svc("a", clusterIP="10.0.0.60")).state
    sent = update(state, svc("a", clusterIP="10.0.0.61"))
    assert sent.rejection is not None and "may not change once set" in str(sent.rejection)
    assert held(sent.state) == held(state)


def test_dry_run_holds_nothing(cluster: rm.ClusterState) -> None:
    sent = create(cluster, svc("a", type_="NodePort"), dry_run=True)
    assert sent.ok and sent.obj is not None and sent.obj["spec"]["ports"][0]["nodePort"]
    assert held(sent.state) == held(cluster)


# ---- NodePort -----------------------------------------------------------------------------------
def test_node_port_is_allocated_above_the_static_band(cluster: rm.ClusterState) -> None:
    # TestCreateInitNodePorts; portallocator TestAllocateReserved
    state = create(cluster, svc("np", type_="NodePort")).state
    port = spec_of(state, "np")["ports"][0]["nodePort"]
    rng = port_range(tuple(state.config.node_port_range))
    assert rng.lo + rng.offset <= port <= rng.hi
    assert spec_of(state, "np")["clusterIP"], "NodePort builds on a ClusterIP (SVC-6)"


def test_ports_of_one_number_share_a_node_port(cluster: rm.ClusterState) -> None:
    # TestCreateInitNodePorts "shared": the same port over TCP and UDP gets one node port
    # ([sig-network] Services should serve endpoints on same port and different protocols [Conformance])
    state = create(cluster, svc("dns", type_="NodePort", ports=[
        {"name": "udp", "port": 53, "protocol": "UDP"}, {"name": "tcp", "port": 53, "protocol": "TCP"}])).state
    a, b = (p["nodePort"] for p in spec_of(state, "dns")["ports"])
    assert a == b


def test_two_services_same_node_port_second_rejected(cluster: rm.ClusterState) -> None:
    # scenario: two Services asking for the same nodePort: the second is rejected and nothing changes
    state = create(cluster, svc("one", type_="NodePort", ports=[{"port": 80, "nodePort": 30100}])).state
    sent = create(state, svc("two", type_="NodePort", ports=[{"port": 81, "nodePort": 30100}]))
    assert sent.rejection is not None
    assert "spec.ports[0].nodePort: Invalid value: 30100: provided port is already allocated" in str(sent.rejection)
    assert sent.state is state and rm.get(sent.state, "Service", "two") is None
    assert held(sent.state) == held(state)


def test_node_port_out_of_range(cluster: rm.ClusterState) -> None:
    sent = create(cluster, svc("np", type_="NodePort", ports=[{"port": 80, "nodePort": 8080}]))
    assert sent.rejection is not None
    assert ("spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range "
            "of valid ports is 30000-32767") in str(sent.rejection)


def test_node_port_forbidden_on_cluster_ip(cluster: rm.ClusterState) -> None:
    # SVC-7
    sent = create(cluster, svc("c", ports=[{"port": 80, "nodePort": 30200}]))
    assert sent.rejection is not None
    assert "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'" in str(sent.rejection)


def test_load_balancer_allocates_node_ports_and_health_check(cluster: rm.ClusterState) -> None:
    # TestAllocHealthCheckNodePort...; SVC-6 LoadBalancer builds on NodePort
    state = create(cluster, svc("lb", type_="LoadBalancer", externalTrafficPolicy="Local")).state
    spec = spec_of(state, "lb")
    assert spec["ports"][0]["nodePort"] and spec["healthCheckNodePort"]
    assert spec["healthCheckNodePort"] != spec["ports"][0]["nodePort"]
    state2 = create(cluster, svc("lb2", type_="LoadBalancer", allocateLoadBalancerNodePorts=False)).state
    assert "nodePort" not in spec_of(state2, "lb2")["ports"][0]


# ---- type transitions ---------------------------------------------------------------------------
def test_change_type_from_external_name_to_cluster_ip(cluster: rm.ClusterState) -> None:
    # [sig-network] Services should be able to change the type from ExternalName to ClusterIP [Conformance]
    state = create(cluster, svc("en", type_="ExternalName", externalName="example.com")).state
    assert "clusterIP" not in spec_of(state, "en")
    state = rm.apply_manifest(state, svc("en"))
    assert ip_range(state.config.service_cidr).contains(spec_of(state, "en")["clusterIP"])


def test_change_type_from_external_name_to_node_port(cluster: rm.ClusterState) -> None:
    # [sig-network] Services should be able to change the type from ExternalName to NodePort [Conformance]
    state = create(cluster, svc("en", type_="ExternalName", externalName="example.com")).state
    state = rm.apply_manifest(state, svc("en", type_="NodePort"))
    spec = spec_of(state, "en")
    assert spec["clusterIP"] and spec["ports"][0]["nodePort"]


def test_change_type_from_node_port_to_external_name(cluster: rm.ClusterState) -> None:
    # [sig-network] Services should be able to change the type from NodePort to ExternalName [Conformance]
    state = create(cluster, svc("np", type_="NodePort")).state
    before = held(state)
    state = rm.apply_manifest(state, svc("np", type_="ExternalName", externalName="example.com"))
    spec = spec_of(state, "np")
    assert "clusterIP" not in spec and "nodePort" not in spec["ports"][0]
    assert held(state) == held(cluster), f"allocations {held(state)} after the change, {before} before"


def test_change_type_from_cluster_ip_to_external_name(cluster: rm.ClusterState) -> None:
    # [sig-network] Services should be able to change the type from ClusterIP to ExternalName [Conformance]
    state = create(cluster, svc("c")).state
    state = rm.apply_manifest(state, svc("c", type_="ExternalName", externalName="example.com"))
    assert "clusterIP" not in spec_of(state, "c") and held(state) == held(cluster)


def test_change_type_node_port_to_cluster_ip_frees_the_port(cluster: rm.ClusterState) -> None:
    # dropTypeDependentFields: the node ports the user left as they were are wiped and freed
    state = create(cluster, svc("np", type_="NodePort", ports=[{"port": 80, "nodePort": 30300}])).state
    state = rm.apply_manifest(state, svc("np"))
    assert "nodePort" not in spec_of(state, "np")["ports"][0]
    assert ("port", 30300) not in held(state)
    state = create(state, svc("other", type_="NodePort", ports=[{"port": 80, "nodePort": 30300}])).state
    assert held(state)[("port", 30300)] == ("default", "other")
    assert index_errors(state) == []


def test_replace_that_omits_allocated_values_keeps_them(cluster: rm.ClusterState) -> None:
    # patchAllocatedValues (TestPatchAllocatedValues)
    state = create(cluster, svc("np", type_="NodePort")).state
    before = spec_of(state, "np")
    current = rm.get(state, "Service", "np")
    assert current is not None
    body = svc("np", type_="NodePort", ports=[{"port": 80}])
    body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    state = update(state, body).state
    after = spec_of(state, "np")
    assert (after["clusterIP"], after["ports"][0]["nodePort"]) == (before["clusterIP"], before["ports"][0]["nodePort"])
