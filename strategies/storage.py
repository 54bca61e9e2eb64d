"""Strategies for storage and configuration: claims, volumes, classes, ConfigMaps, Secrets and pods using them.

Names come from small fixed sets, and what a name stands for is fixed too (a claim's class and access modes
follow from its name), so re-applying a name changes only what may change: a claim's size (growth is
admitted, shrinking rejected), a ConfigMap's or Secret's data, a volume's reclaim policy.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["CLAIMS", "CONFIGMAPS", "WFFC_CLASS", "claim", "claims", "config_pods", "configmaps", "persistent_volumes",
           "secrets", "storage_classes"]

Obj = dict[str, Any]

NAMESPACE = "default"
WFFC_CLASS = "local-wffc"
# claim name -> (storageClassName or None for the default class, access modes)
CLAIMS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "data-a": (None, ("ReadWriteOnce",)),
    "data-b": (None, ("ReadWriteOncePod",)),
    "data-c": (WFFC_CLASS, ("ReadWriteOnce",)),
    "data-d": ("", ("ReadWriteOnce",)),
}
CONFIGMAPS = ("cfg-a", "cfg-b")
SECRETS = ("sec-a",)
_VALUES = ("v1", "v2", "v3")


def storage_classes() -> st.SearchStrategy[Obj]:
    """The machine's WaitForFirstConsumer class (in-memory provisioner, expandable)."""
    return st.just({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": WFFC_CLASS},
                    "provisioner": "kubeoracle.io/in-memory", "volumeBindingMode": "WaitForFirstConsumer",
                    "reclaimPolicy": "Delete", "allowVolumeExpansion": True})


def claim(name: str, gib: int = 1) -> Obj:
    """The claim ``name`` stands for (its class and access modes are fixed by the name), of ``gib`` GiB."""
    cls, modes = CLAIMS[name]
    spec: Obj = {"accessModes": list(modes), "resources": {"requests": {"storage": f"{gib}Gi"}}}
    if cls is not None:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": spec}


# the strategies the composites below draw from, built once (one built per draw is validated per draw)
_CLAIM_NAMES = st.sampled_from(sorted(CLAIMS))
_ONE_TO_THREE = st.integers(1, 3)
_RECLAIM = st.sampled_from(("Retain", "Recycle", "Delete"))
_VALUE = st.sampled_from(_VALUES)
_BOOL = st.booleans()
_CONFIGMAP = st.sampled_from(CONFIGMAPS)
_APP = st.sampled_from(("app-0", "app-1", "app-2"))
_POD_CONFIGMAP = st.sampled_from((CONFIGMAPS[0], CONFIGMAPS[0], CONFIGMAPS[1]))
_OPTIONAL = st.sampled_from((True, True, True, False))
_POD_CLAIM = st.sampled_from((None, "data-a", "data-b", "data-b", "data-c", "data-d"))


@st.composite
def claims(draw: st.DrawFn) -> Obj:
    return claim(draw(_CLAIM_NAMES), draw(_ONE_TO_THREE))


@st.composite
def persistent_volumes(draw: st.DrawFn) -> Obj:
    """Static volumes for the class-less claim (``""``) and the WaitForFirstConsumer class."""
    i = draw(_ONE_TO_THREE)
    cls = "" if i < 3 else WFFC_CLASS
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv-{i}"},
            "spec": {"capacity": {"storage": f"{i + 1}Gi"}, "accessModes": ["ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": draw(_RECLAIM),
                     "storageClassName": cls, "hostPath": {"path": f"/mnt/pv-{i}"}}}


@st.composite
def configmaps(draw: st.DrawFn) -> Obj:
    data = {k: draw(_VALUE) for k in ("k1", "k2") if draw(_BOOL) or k == "k1"}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": draw(_CONFIGMAP), "namespace": NAMESPACE}, "data": data}


@st.composite
def secrets(draw: st.DrawFn) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRETS[0], "namespace": NAMESPACE},
            "stringData": {"password": draw(_VALUE)}}


@st.composite
def config_pods(draw: st.DrawFn) -> Obj:
    """A bare pod that reads a ConfigMap (env and a volume, sometimes a subPath), maybe a Secret, maybe a claim."""
    name = draw(_APP)
    cm = draw(_POD_CONFIGMAP)
    optional = draw(_OPTIONAL)
    env: list[Obj] = [{"name": "K1", "valueFrom": {"configMapKeyRef": {"name": cm, "key": "k1", "optional": optional}}}]
    if draw(_BOOL):
        env.append({"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": SECRETS[0], "key": "password",
                                                                       "optional": True}}})
    mounts: list[Obj] = [{"name": "config", "mountPath": "/etc/config"}]
    volumes: list[Obj] = [{"name": "config", "configMap": {"name": cm, "optional": True}}]
    if draw(_BOOL):
        mounts.append({"name": "config", "mountPath": "/etc/k1", "subPath": "k1"})
    claim = draw(_POD_CLAIM)
    if claim is not None:
        mounts.append({"name": "data", "mountPath": "/data"})
        volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": claim}})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": name}},
            "spec": {"terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9", "env": env,
                                     "volumeMounts": mounts}],
                     "volumes": volumes}}
