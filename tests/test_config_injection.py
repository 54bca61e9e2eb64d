"""ConfigMaps and Secrets as a container sees them: environment, volumes, refresh and missing references
(rules CM-1, CM-2, CM-3, CM-4, CM-6, CM-7; refmodel/volumes.py)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

import refmodel as rm


def configmap(name: str, data: dict[str, str] | None = None, binary: dict[str, bytes] | None = None,
              immutable: bool | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}
    if data is not None:
        obj["data"] = data
    if binary is not None:
        obj["binaryData"] = {k: base64.b64encode(v).decode() for k, v in binary.items()}
    if immutable is not None:
        obj["immutable"] = immutable
    return obj


def secret(name: str, data: dict[str, str] | None = None, string_data: dict[str, str] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"}}
    if data is not None:
        obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    if string_data is not None:
        obj["stringData"] = string_data
    return obj


def pod(name: str, *, env: list[dict[str, Any]] | None = None, env_from: list[dict[str, Any]] | None = None,
        volumes: list[dict[str, Any]] | None = None, mounts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "busybox"}
    if env:
        container["env"] = env
    if env_from:
        container["envFrom"] = env_from
    if mounts:
        container["volumeMounts"] = mounts
    spec: dict[str, Any] = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def run(*objs: dict[str, Any]) -> rm.ClusterState:
    state = rm.new_cluster(1, config=rm.ClusterConfig(strict=True))
    for obj in objs:
        state = rm.apply_manifest(state, obj)
    return rm.converge(state)


def view(state: rm.ClusterState, name: str = "p") -> dict[str, Any]:
    got = rm.container_view(state, "default", name, "app")
    assert got is not None, f"container app of pod {name} has not started, but should have"
    return got


def waiting(state: rm.ClusterState, name: str = "p") -> dict[str, Any]:
    p = rm.get(state, "Pod", name)
    assert p is not None
    return dict(p["status"]["containerStatuses"][0]["state"].get("waiting") or {})


CM_KEY = {"name": "CONFIG_DATA_1", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "data-1"}}}


# [sig-node] ConfigMap should be consumable via environment variable [Conformance]
def test_configmap_should_be_consumable_via_environment_variable() -> None:
    state = run(configmap("cm", {"data-1": "value-1"}), pod("p", env=[CM_KEY]))
    assert view(state)["env"] == {"CONFIG_DATA_1": "value-1"}


# [sig-node] ConfigMap should be consumable via the environment [Conformance]
def test_configmap_should_be_consumable_via_the_environment() -> None:
    state = run(configmap("cm", {"data-1": "value-1", "data-2": "value-2"}),
                pod("p", env_from=[{"configMapRef": {"name": "cm"}}, {"prefix": "p-", "configMapRef": {"name": "cm"}}]))
    assert view(state)["env"] == {"data-1": "value-1", "data-2": "value-2", "p-data-1": "value-1",
                                  "p-data-2": "value-2"}


# [sig-node] Secrets should be consumable from pods in env vars [Conformance]
def test_secrets_should_be_consumable_from_pods_in_env_vars() -> None:
    state = run(secret("s", {"data-1": "value-1"}),
                pod("p", env=[{"name": "SECRET_DATA", "valueFrom": {"secretKeyRef": {"name": "s", "key": "data-1"}}}]))
    assert view(state)["env"] == {"SECRET_DATA": "value-1"}


# [sig-storage] ConfigMap should be consumable from pods in volume with mappings [Conformance]
def test_configmap_should_be_consumable_from_pods_in_volume_with_mappings() -> None:
    state = run(configmap("cm", {"data-1": "value-1", "data-2": "value-2"}),
                pod("p", volumes=[{"name": "v", "configMap": {"name": "cm", "items": [
                    {"key": "data-2", "path": "path/to/data-2"}]}}],
                    mounts=[{"name": "v", "mountPath": "/etc/configmap-volume"}]))
    assert view(state)["files"] == {"/etc/configmap-volume/path/to/data-2": "value-2"}


# [sig-storage] ConfigMap should be consumable from pods in volume with defaultMode set [Conformance];
# ... with mappings and Item mode set [Conformance]; the default is 0644
def test_configmap_volume_file_modes() -> None:
    state = run(configmap("cm", {"data-1": "value-1", "data-2": "value-2"}),
                pod("p", volumes=[{"name": "a", "configMap": {"name": "cm", "defaultMode": 0o400}},
                                  {"name": "b", "configMap": {"name": "cm", "items": [
                                      {"key": "data-2", "path": "x", "mode": 0o400}, {"key": "data-1", "path": "y"}]}},
                                  {"name": "c", "configMap": {"name": "cm"}}],
                    mounts=[{"name": "a", "mountPath": "/a"}, {"name": "b", "mountPath": "/b"},
                            {"name": "c", "mountPath": "/c"}]))
    assert view(state)["modes"] == {"/a/data-1": 0o400, "/a/data-2": 0o400, "/b/x": 0o400, "/b/y": 0o644,
                                    "/c/data-1": 0o644, "/c/data-2": 0o644}


# [sig-storage] ConfigMap binary data should be reflected in volume [Conformance]
def test_configmap_binary_data_should_be_reflected_in_volume() -> None:
    state = run(configmap("cm", {"data-1": "value-1"}, {"dump.bin": b"\xde\xca\xfe\xba\xd0\xfe"}),
                pod("p", volumes=[{"name": "v", "configMap": {"name": "cm"}}],
                    mounts=[{"name": "v", "mountPath": "/etc/cm"}]))
    assert view(state)["files"] == {"/etc/cm/data-1": "value-1", "/etc/cm/dump.bin": b"\xde\xca\xfe\xba\xd0\xfe"}


# [sig-storage] ConfigMap updates should be reflected in volume [Conformance]; and env never changes (CM-1)
def test_configmap_updates_should_be_reflected_in_volume_and_not_in_env() -> None:
    state = run(configmap("cm", {"data-1": "value-1"}),
                pod("p", env=[CM_KEY], volumes=[{"name": "v", "configMap": {"name": "cm"}}],
                    mounts=[{"name": "v", "mountPath": "/etc/cm"},
                            {"name": "v", "mountPath": "/etc/fixed", "subPath": "data-1"}]))
    before = view(state)
    state = rm.converge(rm.apply_manifest(state, configmap("cm", {"data-1": "value-2"})))
    after = view(state)
    assert before["files"]["/etc/cm/data-1"] == "value-1" and after["files"]["/etc/cm/data-1"] == "value-2"
    assert after["env"] == {"CONFIG_DATA_1": "value-1"}, "environment values are fixed at container start"
    assert after["files"]["/etc/fixed"] == "value-1", "a subPath mount is not refreshed"


# [sig-storage] ConfigMap optional updates should be reflected in volume [Conformance]
def test_configmap_optional_updates_should_be_reflected_in_volume() -> None:
    state = run(pod("p", volumes=[{"name": "v", "configMap": {"name": "later", "optional": True}}],
                    mounts=[{"name": "v", "mountPath": "/etc/cm"}]))
    assert view(state)["files"] == {}
    state = rm.converge(rm.apply_manifest(state, configmap("later", {"data-3": "value-3"})))
    assert view(state)["files"] == {"/etc/cm/data-3": "value-3"}


def test_missing_configmap_key_keeps_the_container_from_starting_until_it_exists() -> None:
    state = run(configmap("cm", {"other": "x"}), pod("p", env=[CM_KEY]))
    assert rm.container_view(state, "default", "p", "app") is None
    assert waiting(state) == {"reason": "CreateContainerConfigError",
                              "message": "couldn't find key data-1 in ConfigMap default/cm"}
    state = rm.converge(rm.apply_manifest(state, configmap("cm", {"data-1": "now"})))
    assert view(state)["env"] == {"CONFIG_DATA_1": "now"}


def test_missing_configmap_keeps_the_container_from_starting() -> None:
    state = run(pod("p", env_from=[{"configMapRef": {"name": "absent"}}]))
    assert waiting(state) == {"reason": "CreateContainerConfigError", "message": 'configmap "absent" not found'}


def test_optional_missing_references_are_skipped() -> None:
    optional = {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "absent", "key": "k", "optional": True}}}
    state = run(pod("p", env=[optional], env_from=[{"secretRef": {"name": "absent", "optional": True}}]))
    assert view(state)["env"] == {}


def test_missing_configmap_volume_keeps_the_pod_container_creating() -> None:
    state = run(pod("p", volumes=[{"name": "v", "configMap": {"name": "absent"}}],
                    mounts=[{"name": "v", "mountPath": "/etc/cm"}]))
    assert waiting(state)["reason"] == "ContainerCreating"
    state = rm.converge(rm.apply_manifest(state, configmap("absent", {"a": "b"})))
    assert view(state)["files"] == {"/etc/cm/a": "b"}


# [sig-storage] Secrets should be consumable from pods in volume [Conformance]; stringData merged (CM-7)
def test_secrets_should_be_consumable_from_pods_in_volume() -> None:
    state = run(secret("s", {"data-1": "value-1"}, {"data-2": "value-2"}),
                pod("p", volumes=[{"name": "v", "secret": {"secretName": "s"}}],
                    mounts=[{"name": "v", "mountPath": "/etc/secret-volume"}]))
    assert view(state)["files"] == {"/etc/secret-volume/data-1": "value-1", "/etc/secret-volume/data-2": "value-2"}
    stored = rm.get(state, "Secret", "s")
    assert stored is not None and "stringData" not in stored


# [sig-storage] ConfigMap should be immutable if `immutable` field is set [Conformance]
def test_configmap_should_be_immutable_if_immutable_field_is_set() -> None:
    state = run(configmap("cm", {"a": "1"}, immutable=True))
    with pytest.raises(rm.Invalid, match="data: Forbidden: field is immutable when `immutable` is set"):
        rm.apply_manifest(state, configmap("cm", {"a": "2"}, immutable=True))
    with pytest.raises(rm.Invalid, match="immutable: Forbidden"):
        rm.apply_manifest(state, configmap("cm", {"a": "1"}, immutable=False))
