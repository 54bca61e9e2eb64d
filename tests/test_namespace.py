"""Namespace deletion (refmodel/controllers/namespace.py) and the NamespaceLifecycle rules of the API server.

Mirrors ``pkg/controller/namespace/deletion/namespaced_resources_deleter.go`` (Delete, deleteAllContent,
finalizeNamespace), ``staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go``
(immortal namespaces, no new content in a terminating namespace) and the conformance tests
"Namespaces [Serial] should ensure that all pods are removed when a namespace is deleted" and
"... all services are removed when a namespace is deleted" (test/e2e/apimachinery/namespace.go).
"""

from __future__ import annotations

from typing import Any

import door
import pytest

import refmodel as rm
from refmodel.events import Delete
from refmodel.state import ClusterState


def _ns(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _pod(name: str, ns: str, finalizers: list[str] | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if finalizers:
        md["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}


def _svc(name: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"foo": "bar"}, "ports": [{"port": 80, "targetPort": 80}]}}


def _rs(name: str, ns: str, replicas: int = 3) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}


@pytest.fixture(scope="module")
def cluster() -> ClusterState:
    return rm.new_cluster(2)


def test_initial_namespaces(cluster: ClusterState) -> None:
    # NS-1
    names = [n["metadata"]["name"] for n in rm.list_objects(cluster, "Namespace")]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"], f"namespaces {names}"
    for n in rm.list_objects(cluster, "Namespace"):
        assert n["status"]["phase"] == "Active" and n["spec"]["finalizers"] == ["kubernetes"]
        assert n["metadata"]["labels"]["kubernetes.io/metadata.name"] == n["metadata"]["name"]


def test_namespace_deletion_removes_pods(cluster: ClusterState) -> None:
    # conformance: all pods are removed when a namespace is deleted
    s = rm.apply_manifest(cluster, _ns("nsdeletetest"))
    s = rm.converge(rm.apply_manifest(s, _pod("test-pod", "nsdeletetest")))
    assert rm.get(s, "Pod", "test-pod", "nsdeletetest")["status"]["phase"] == "Running"
    s = rm.step(s, Delete("Namespace", "", "nsdeletetest"))
    ns = rm.get(s, "Namespace", "nsdeletetest")
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"].get("deletionTimestamp")
    s = rm.converge(s)
    assert rm.get(s, "Namespace", "nsdeletetest") is None, "namespace still there after its content was deleted"
    assert rm.list_objects(s, "Pod", "nsdeletetest") == []
    s = rm.converge(rm.apply_manifest(s, _ns("nsdeletetest")))
    assert rm.list_objects(s, "Pod", "nsdeletetest") == [], "a recreated namespace is not empty"


def test_namespace_deletion_removes_services(cluster: ClusterState) -> None:
    # conformance: all services are removed when a namespace is deleted
    s = rm.apply_manifest(cluster, _ns("svc-ns"))
    s = rm.converge(rm.apply_manifest(s, _svc("test-service", "svc-ns")))
    s = rm.converge(rm.step(s, Delete("Namespace", "", "svc-ns")))
    assert rm.get(s, "Namespace", "svc-ns") is None
    assert rm.list_objects(s, "Service", "svc-ns") == []


def test_namespace_deletion_removes_workloads_without_recreating_pods(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _ns("apps"))
    s = rm.converge(rm.apply_manifest(s, _rs("web", "apps")))
    s = rm.apply_manifest(s, _rs("web", "default", 1))
    s = rm.converge(rm.step(rm.converge(s), Delete("Namespace", "", "apps")))
    for kind in ("Pod", "ReplicaSet"):
        assert rm.list_objects(s, kind, "apps") == [], f"{kind}s left in the deleted namespace"
    assert len(rm.list_objects(s, "Pod", "default", selector={"app": "web"})) == 1, "another namespace was touched"


def test_terminating_namespace_waits_for_finalized_content(cluster: ClusterState) -> None:
    # NS-2: the namespace goes only when nothing is left; NamespaceContentRemaining reports what is
    s = rm.apply_manifest(cluster, _ns("held"))
    s = rm.converge(rm.apply_manifest(s, _pod("stuck", "held", ["example.com/hold"])))
    s = rm.converge(rm.step(s, Delete("Namespace", "", "held")))
    ns = rm.get(s, "Namespace", "held")
    assert ns is not None and ns["spec"]["finalizers"] == ["kubernetes"], "namespace finalized while content remains"
    cond = next((c for c in ns["status"].get("conditions") or [] if c["type"] == "NamespaceContentRemaining"), None)
    assert cond is not None and (cond["status"], cond["reason"]) == ("True", "SomeResourcesRemain"), f"{cond}"
    assert "pods has 1 resource instances" in cond["message"], f"message {cond['message']!r}"
    pod = rm.get(s, "Pod", "stuck", "held")
    assert pod is not None and pod["metadata"].get("deletionTimestamp"), "content was not deleted"
    # NamespaceLifecycle: no new content while terminating
    r = door.create(s, _pod("late", "held"))
    assert r.rejection is not None and r.rejection.reason == "Forbidden" and r.state is s
    pod["metadata"]["finalizers"] = []
    s = rm.converge(door.update(s, pod).state)
    assert rm.get(s, "Pod", "stuck", "held") is None
    assert rm.get(s, "Namespace", "held") is None, "namespace stayed after its last content went"


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_immortal_namespaces(cluster: ClusterState, name: str) -> None:
    # NS-1 / lifecycle admission immortalNamespaces
    r = rm.transition(cluster, Delete("Namespace", "", name))
    assert r.rejection is not None and r.rejection.reason == "Forbidden", f"deleting {name}: {r.rejection}"
    assert "may not be deleted" in r.rejection.message
    assert r.state is cluster


def test_kube_node_lease_can_be_deleted(cluster: ClusterState) -> None:
    s = rm.converge(rm.step(cluster, Delete("Namespace", "", "kube-node-lease")))
    assert rm.get(s, "Namespace", "kube-node-lease") is None


def test_second_delete_of_a_terminating_namespace_is_a_no_op(cluster: ClusterState) -> None:
    s = rm.apply_manifest(cluster, _ns("twice"))
    s = rm.converge(rm.apply_manifest(s, _pod("stuck", "twice", ["example.com/hold"])))
    s = rm.converge(rm.step(s, Delete("Namespace", "", "twice")))
    r = door.delete(s, "Namespace", "", "twice")
    assert r.ok and r.state is s, "a second DELETE of a terminating namespace changed it"
