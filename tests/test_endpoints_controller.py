"""The Endpoints and EndpointSlice controllers (rules EP-1...EP-9, trap 12).

Mirrors ``pkg/controller/endpoint/endpoints_controller_test.go``, ``pkg/controller/endpointslice/
endpointslice_controller_test.go``, ``staging/src/k8s.io/endpointslice/reconciler_test.go`` and the
Services / EndpointSlice conformance tests named below.
"""

from __future__ import annotations

from typing import Any

import pytest
from networking import apply_all, pod

import refmodel as rm
from refmodel import events as ev
from refmodel.controllers.endpoints import MAX_CAPACITY, OVER_CAPACITY
from refmodel.controllers.endpointslice import (
    MANAGED_BY,
    MAX_ENDPOINTS_PER_SLICE,
    SERVICE_NAME_LABEL,
)

EP_ONLY = ("endpoints", "endpointslice")


def service(name: str = "web", ns: str = "default", **spec: Any) -> dict[str, Any]:
    body = {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}], **spec}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": body}


def addresses(state: rm.ClusterState, name: str = "web", ns: str = "default") -> tuple[list[str], list[str]]:
    """(ready pod names, not-ready pod names) of the Endpoints object."""
    ep = rm.get(state, "Endpoints", name, ns)
    assert ep is not None, f"Endpoints {ns}/{name} absent, but the Service has a selector"
    ready, not_ready = [], []
    for subset in ep.get("subsets") or ():
        ready += [a["targetRef"]["name"] for a in subset.get("addresses") or ()]
        not_ready += [a["targetRef"]["name"] for a in subset.get("notReadyAddresses") or ()]
    return sorted(ready), sorted(not_ready)


def slice_endpoints(state: rm.ClusterState, name: str = "web", ns: str = "default") -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for s in rm.list_objects(state, "EndpointSlice", ns, selector={SERVICE_NAME_LABEL: name}):
        for e in s.get("endpoints") or ():
            assert e["targetRef"]["name"] not in out, f"pod {e['targetRef']['name']} in two slices"
            out[e["targetRef"]["name"]] = e["conditions"]
    return out


@pytest.fixture(scope="module")
def base() -> rm.ClusterState:
    return rm.new_cluster(nodes=2)


# ---- which pods, ready or not (EP-2, EP-3, EP-4) -------------------------------------------------
def test_serve_a_basic_endpoint_from_pods(base: rm.ClusterState) -> None:
    # [sig-network] Services should serve a basic endpoint from pods [Conformance]: empty -> 1 -> 2 -> 1 -> empty
    state = apply_all(base, service())
    assert addresses(state) == ([], [])
    state = apply_all(state, pod("pod1"))
    assert addresses(state) == (["pod1"], [])
    state = apply_all(state, pod("pod2"))
    assert addresses(state) == (["pod1", "pod2"], [])
    state = rm.converge(rm.step(state, ev.Delete("Pod", "default", "pod1")))
    assert addresses(state) == (["pod2"], [])
    state = rm.converge(rm.step(state, ev.Delete("Pod", "default", "pod2")))
    assert addresses(state) == ([], [])
    assert rm.get(state, "Endpoints", "web") is not None


def test_sync_service_addresses_ready_and_not_ready(base: rm.ClusterState) -> None:
    # TestSyncServiceAddresses: a not-ready pod goes to notReadyAddresses, and its slice endpoint is not ready
    state = apply_all(base, service(), pod("a"), pod("b"))
    state = rm.converge(rm.step(state, ev.ReadinessChanged("default", "b", False)))
    assert addresses(state) == (["a"], ["b"])
    conds = slice_endpoints(state)
    assert conds["a"] == {"ready": True, "serving": True, "terminating": False}
    assert conds["b"] == {"ready": False, "serving": False, "terminating": False}


def test_terminal_pods_are_excluded_whatever_the_restart_policy(base: rm.ClusterState) -> None:
    # TestSyncServiceAddresses "terminal pods" / ShouldPodBeInEndpoints: Succeeded and Failed are excluded
    state = apply_all(base, service(), pod("done", restartPolicy="Never"), pod("up"))
    state = rm.converge(rm.step(state, ev.ContainerExited("default", "done", "main", 0)))
    assert rm.get(state, "Pod", "done")["status"]["phase"] == "Succeeded"  # type: ignore[index]
    assert addresses(state) == (["up"], [])
    assert set(slice_endpoints(state)) == {"up"}


def test_terminating_pods_in_endpoints_and_slices(base: rm.ClusterState) -> None:
    # trap 12: a terminating pod leaves Endpoints but stays in slices with ready=false, terminating=true
    state = apply_all(base, service(), pod("a", terminationGracePeriodSeconds=30), pod("b"))
    state = rm.step(state, ev.Delete("Pod", "default", "a"))
    state = rm.converge(state, controllers=EP_ONLY)
    assert rm.get(state, "Pod", "a")["metadata"].get("deletionTimestamp")  # type: ignore[index]
    assert addresses(state) == (["b"], [])
    assert slice_endpoints(state)["a"] == {"ready": False, "serving": True, "terminating": True}


def test_publish_not_ready_addresses(base: rm.ClusterState) -> None:
    # TestSyncEndpointsItemsWithLabels... publishNotReadyAddresses: not-ready and terminating pods are ready
    state = apply_all(base, service(publishNotReadyAddresses=True), pod("a", terminationGracePeriodSeconds=30),
                      pod("b"))
    state = rm.converge(rm.step(state, ev.ReadinessChanged("default", "b", False)))
    state = rm.converge(rm.step(state, ev.Delete("Pod", "default", "a")), controllers=EP_ONLY)
    assert addresses(state) == (["a", "b"], [])
    conds = slice_endpoints(state)
    assert conds["a"]["ready"] and conds["a"]["terminating"]
    assert conds["b"] == {"ready": True, "serving": False, "terminating": False}


def test_selectorless_service_keeps_user_endpoints(base: rm.ClusterState) -> None:
    # TestSyncEndpointsItemsPreserveNoSelector; EP-1
    svc = service()
    del svc["spec"]["selector"]
    user = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": "default"},
            "subsets": [{"addresses": [{"ip": "192.168.1.10"}], "ports": [{"port": 8080}]}]}
    state = apply_all(base, svc, user, pod("a"))
    got = rm.get(state, "Endpoints", "web")
    assert got is not None and got["subsets"][0]["addresses"] == [{"ip": "192.168.1.10"}]
    assert rm.list_objects(state, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "web"}) == []


def test_sync_endpoints_service_not_found(base: rm.ClusterState) -> None:
    # TestSyncEndpointsServiceNotFound: the Endpoints of a deleted Service are deleted; slices follow (GC)
    # [sig-network] EndpointSlice should create and delete Endpoints and EndpointSlices for a Service with a
    # selector specified [Conformance]
    state = apply_all(base, service(), pod("a"))
    assert rm.list_objects(state, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "web"})
    state = rm.converge(rm.step(state, ev.Delete("Service", "default", "web")))
    assert rm.get(state, "Endpoints", "web") is None
    assert rm.list_objects(state, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "web"}) == []


def test_other_namespace_pods_are_not_endpoints(base: rm.ClusterState) -> None:
    state = apply_all(base, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}},
                      service(), pod("here"), pod("there", ns="other"))
    assert addresses(state) == (["here"], [])


# ---- ports and hostnames (EP-5, EP-6) -----------------------------------------------------------
def test_serve_multiport_endpoints_from_pods(base: rm.ClusterState) -> None:
    # [sig-network] Services should serve multiport endpoints from pods [Conformance]; FindPort by name
    svc = service(ports=[{"name": "a", "port": 80, "targetPort": "http"}, {"name": "b", "port": 81,
                                                                          "targetPort": "metrics"}])
    p2 = pod("both")
    p2["spec"]["containers"][0]["ports"].append({"name": "metrics", "containerPort": 9090})
    state = apply_all(base, svc, pod("http-only"), p2)
    ep = rm.get(state, "Endpoints", "web")
    assert ep is not None
    by_ports = {tuple(sorted((p["name"], p["port"]) for p in s["ports"])): sorted(
        a["targetRef"]["name"] for a in s["addresses"]) for s in ep["subsets"]}
    assert by_ports == {(("a", 8080),): ["http-only"], (("a", 8080), ("b", 9090)): ["both"]}


def test_hostname_set_for_matching_subdomain(base: rm.ClusterState) -> None:
    # TestPodToEndpointAddressForService / ShouldSetHostname
    state = apply_all(base, service(clusterIP="None"), pod("a", hostname="host-a", subdomain="web"),
                      pod("b", hostname="host-b", subdomain="other"))
    ep = rm.get(state, "Endpoints", "web")
    assert ep is not None
    hosts = {a["targetRef"]["name"]: a.get("hostname") for a in ep["subsets"][0]["addresses"]}
    assert hosts == {"a": "host-a", "b": None}
    assert ep["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}  # TestSyncEndpointsHeadlessService


# ---- capacity and slices (EP-7, EP-8) -----------------------------------------------------------
def _many(state: rm.ClusterState, n: int, ready: int) -> rm.ClusterState:
    """``n`` pods behind ``web``, the first ``ready`` of them ready, written as their kubelets would."""
    from door import create, update_status

    from refmodel.frozen import freeze

    for i in range(n):
        body = pod(f"p{i:04d}")
        state = create(state, body).state
        stored = state.get("Pod", "default", f"p{i:04d}")
        assert stored is not None
        status = {"phase": "Running", "podIP": f"10.1.{i // 250}.{i % 250 + 1}",
                  "podIPs": [{"ip": f"10.1.{i // 250}.{i % 250 + 1}"}],
                  "conditions": [{"type": "Ready", "status": "True" if i < ready else "False"}]}
        state = update_status(state, {**stored, "status": freeze(status)}, controller="kubelet").state
    return rm.converge(state, controllers=EP_ONLY)


def test_sync_service_over_capacity() -> None:
    # TestSyncServiceOverCapacity / TestTruncateEndpoints: ready kept first, annotation set, then removed
    # not strict: validating each 1,000-address write as a user's would make this test quadratic
    state = rm.new_cluster(nodes=0, config=rm.ClusterConfig(strict=False))
    state = _many(rm.converge(rm.apply_manifest(state, service())), 1100, ready=950)
    ready, not_ready = addresses(state)
    assert (len(ready), len(not_ready)) == (950, MAX_CAPACITY - 950)
    ep = rm.get(state, "Endpoints", "web")
    assert ep is not None and ep["metadata"]["annotations"] == {OVER_CAPACITY: "truncated"}
    # slices are not truncated: 1100 endpoints, at most 100 a slice
    slices = rm.list_objects(state, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "web"})
    assert sum(len(s["endpoints"]) for s in slices) == 1100
    assert max(len(s["endpoints"]) for s in slices) == MAX_ENDPOINTS_PER_SLICE and len(slices) == 11
    for i in range(1000, 1100):
        state = rm.step(state, ev.Delete("Pod", "default", f"p{i:04d}"))
    state = rm.converge(state, controllers=EP_ONLY)
    ep = rm.get(state, "Endpoints", "web")
    assert ep is not None and OVER_CAPACITY not in (ep["metadata"].get("annotations") or {})
    assert sum(map(len, addresses(state))) == 1000


def test_reconcile_slices_labels_and_owner(base: rm.ClusterState) -> None:
    # TestReconcile1Pod (reconciler_test.go); [sig-network] EndpointSlice should create Endpoints and
    # EndpointSlices for Pods matching a Service [Conformance]
    state = apply_all(base, service(), pod("a"))
    (s,) = rm.list_objects(state, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "web"})
    svc = rm.get(state, "Service", "web")
    assert svc is not None
    assert s["metadata"]["labels"][MANAGED_BY] == "endpointslice-controller.k8s.io"
    assert s["metadata"]["name"].startswith("web-")
    assert s["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                                 "uid": svc["metadata"]["uid"], "controller": True,
                                                 "blockOwnerDeletion": True}]
    assert s["addressType"] == "IPv4" and s["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]


def test_reconcile_placeholder_when_no_endpoints(base: rm.ClusterState) -> None:
    # TestReconcile1EndpointSlice... a Service with no endpoints keeps one placeholder slice
    state = apply_all(base, service())
    (s,) = rm.list_objects(state, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "web"})
    assert s["endpoints"] == [] and s["ports"] == []
    state = apply_all(state, pod("a"))
    slices = rm.list_objects(state, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "web"})
    assert [len(x["endpoints"]) for x in slices] == [1], "the placeholder gives way to the real slice"


# ---- scenarios ----------------------------------------------------------------------------------
def test_killed_pod_address_removed_before_replacement(base: rm.ClusterState) -> None:
    # scenario: killing a pod removes its address before a replacement appears
    dep = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                    "template": pod("x")["spec"] and {"metadata": {"labels": {"app": "web"}}, "spec": pod("x")["spec"]}}}
    state = apply_all(base, service(), dep)
    before, _ = addresses(state)
    victim = before[0]
    state = rm.step(state, ev.PodKilled("default", victim))
    # the pod is gone; before any replacement runs, the endpoints controllers' turn removes it
    state = rm.converge(state, controllers=EP_ONLY)
    ready, not_ready = addresses(state)
    assert victim not in ready + not_ready and len(ready) == 1
    assert victim not in slice_endpoints(state)
    state = rm.converge(state)
    assert len(addresses(state)[0]) == 2


def test_not_ready_pod_moves_and_gets_no_traffic(base: rm.ClusterState) -> None:
    # scenario: a pod that turns not-ready moves to notReadyAddresses and stops receiving routed traffic
    state = apply_all(base, service(), pod("a"), pod("b"))
    state = rm.converge(rm.step(state, ev.ReadinessChanged("default", "a", False)))
    assert addresses(state) == (["b"], ["a"])
    if hasattr(rm, "route"):
        svc = rm.get(state, "Service", "web")
        assert svc is not None
        b_ip = rm.get(state, "Pod", "b")["status"]["podIP"]  # type: ignore[index]
        assert rm.route(state, "node-0", svc["spec"]["clusterIP"], 80) == {(b_ip, 8080)}


def test_selector_change_moves_membership(base: rm.ClusterState) -> None:
    state = apply_all(base, service(), pod("a"), pod("b", labels={"app": "api"}))
    assert addresses(state) == (["a"], [])
    state = apply_all(state, service(selector={"app": "api"}))
    assert addresses(state) == (["b"], [])
    assert set(slice_endpoints(state)) == {"b"}


def test_label_change_moves_pod(base: rm.ClusterState) -> None:
    state = apply_all(base, service(), pod("a"))
    state = apply_all(state, pod("a", labels={"app": "other"}))
    assert addresses(state) == ([], [])
    assert slice_endpoints(state) == {}


# ---- incremental: a readiness flip is one pod's work ----------------------------------------------
@pytest.mark.parametrize("pods", [50, 2_000])
def test_readiness_flip_costs_one_pod_visit(pods: int) -> None:
    # the work counters (refmodel/counters.py): each controller computes the flipped pod's endpoint once,
    # and the slice controller rewrites one slice (at most 100 endpoints), whatever the pods behind the Service
    from door import update_status

    from refmodel.counters import WorkCounters, counting
    from refmodel.frozen import freeze, with_

    state = rm.new_cluster(nodes=0, config=rm.ClusterConfig(strict=False))
    state = _many(rm.converge(rm.apply_manifest(state, service())), pods, ready=pods)
    counters = WorkCounters()
    with counting(counters):
        p = state.get("Pod", "default", "p0007")
        assert p is not None
        conds = ({"type": "Ready", "status": "False"},)
        state = update_status(state, with_(p, status=with_(p["status"], conditions=freeze(conds))),
                              controller="kubelet").state
        state = rm.converge(state, controllers=EP_ONLY)
    assert "p0007" in addresses(state)[1] or pods > MAX_CAPACITY
    assert counters.get("endpoints", "pod_visits") == 1, counters
    assert counters.get("endpointslice", "pod_visits") == 1, counters
    assert counters.get("endpointslice", "endpoints_written") <= MAX_ENDPOINTS_PER_SLICE, counters


def test_endpoints_and_slices_pointing_to_api_server(base: rm.ClusterState) -> None:
    # [sig-network] EndpointSlice should have Endpoints and EndpointSlices pointing to API Server [Conformance]
    ep = rm.get(base, "Endpoints", "kubernetes")
    (es,) = rm.list_objects(base, "EndpointSlice", "default", selector={SERVICE_NAME_LABEL: "kubernetes"})
    assert ep is not None and len(ep["subsets"]) == 1
    ips = [a["ip"] for a in ep["subsets"][0]["addresses"]]
    assert ips == [a for e in es["endpoints"] for a in e["addresses"]] and len(ips) == 1
    assert ep["subsets"][0]["ports"][0]["port"] == es["ports"][0]["port"] == 6443
    svc = rm.get(base, "Service", "kubernetes")
    assert svc is not None and svc["spec"]["ports"][0]["targetPort"] == 6443
