"""The kinds the API-server model serves: one :class:`KindInfo` per kind, in one registry.

**Mirrors:** the API groups and versions kube-apiserver v1.32 serves
(``pkg/controlplane/instance.go`` storage providers) and, per kind, the registry strategy's
``PrepareForCreate``/``Validate``/``ValidateUpdate`` (``pkg/registry/<group>/<kind>/strategy.go``).
**Modelled:** which apiVersions are served (and which are gone: ``extensions/v1beta1``,
``apps/v1beta1``...), scope (namespaced or cluster), name rules, defaulting, create and update
validation, one module per kind or API group: ``pod``, ``deployment``, ``replicaset``, ``statefulset``,
``daemonset``, ``replicationcontroller``, ``batch`` (Job, CronJob; schedules in ``cron``), ``service``,
``endpoints``, ``discovery`` (EndpointSlice, ControllerRevision), ``namespace``, ``configmap``, ``secret``,
``serviceaccount``, ``persistentvolume``, ``storageclass``, ``csi`` (CSIDriver, VolumeAttachment), ``node``,
``rbac`` (Role, ClusterRole and their bindings), ``policy`` (PodDisruptionBudget), ``quota`` (ResourceQuota,
LimitRange), ``networking`` (Ingress, IngressClass, NetworkPolicy), ``autoscaling`` (HorizontalPodAutoscaler),
``scheduling`` (PriorityClass, Lease), ``event``; shared rules in ``common``; strict decoding of every kind in
``schema`` from the generated ``_schema_data``; whether a kind has a status subresource and tracks
``metadata.generation``; ``modelled``: whether it is validated (checked); ``reconciled``: whether the model runs
the controller upstream runs for it (a checked Job is stored, its pods are not created); its PrepareForCreate
and admission hooks (``prepare_create``), its binding subresource and the secondary
indexes the state keeps for it. These are the kind's strategies: :func:`refmodel.apiserver.handle` runs them
in one fixed order, so a new kind is one module registering one :class:`KindInfo`.
**Not modelled (and why):** conversion between versions (each kind is served at the versions listed and
stored as sent); CustomResourceDefinition validation (structural schemas are a validator of their own; a CRD
is decoded strictly and stored, and ``validate`` reports it as not checked) and custom resources (no custom
schemas in scope).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ..errors import FieldError
from ..frozen import FrozenDict

__all__ = ["REGISTRY", "REMOVED_VERSIONS", "KindInfo", "lookup", "lookup_plural"]

Obj = dict[str, Any]


def _no_default(obj: Obj) -> None:
    return None


def _no_errors(obj: Obj) -> list[FieldError]:
    return []


def _no_update_errors(old: Obj, new: Obj) -> list[FieldError]:
    return []


def _no_prepare(old: Obj, new: Obj) -> None:
    return None


@attrs.frozen
class KindInfo:
    """A kind's whole API-server behaviour, declared by its module (the registry strategy of
    ``pkg/registry/<group>/<kind>/strategy.go``): the one door (:func:`refmodel.apiserver.handle`) runs
    these hooks in its fixed order, and ``state.py`` keeps the indexes it names. A new kind is one module
    that registers one of these."""

    kind: str
    api_versions: tuple[str, ...]  # served, preferred first
    namespaced: bool
    plural: str
    short_names: tuple[str, ...] = ()
    name_rule: str = "subdomain"  # subdomain | label | dns1035 | path (opaque kinds: any path segment)
    default: Callable[[Obj], None] = _no_default
    validate: Callable[[Obj], list[FieldError]] = _no_errors
    validate_update: Callable[[Obj, Obj], list[FieldError]] = _no_update_errors
    # PrepareForUpdate: fields an update may not set through this endpoint, taken from the old object
    prepare_update: Callable[[Obj, Obj], None] = _no_prepare
    has_status: bool = True  # status is written only through the status subresource
    tracks_generation: bool = False  # metadata.generation bumps when the spec changes
    modelled: bool = True  # False: decoded strictly but not validated (not checked), reconciled by nobody
    reconciled: bool = True  # False: checked, but the controller upstream runs for it is not modelled
    top_level: tuple[str, ...] = ("spec", "status")  # allowed top-level fields besides apiVersion/kind/metadata
    # PrepareForCreate and the mutating admission plugins for the kind (initial status, admission
    # defaults), applied to every new object after validation: (state, object) -> object
    prepare_create: Callable[[Any, FrozenDict], FrozenDict] | None = None
    # the binding subresource (pods): (state, object, node name) -> the bound object
    bind: Callable[[Any, FrozenDict, str], FrozenDict] | None = None
    # the secondary indexes state.py keeps for the kind (state.POD_INDEXES, state.ORPHAN_INDEX)
    indexes: frozenset[str] = frozenset()
    # the values an object holds in the cluster's allocators (state.ALLOCATION_INDEX): object -> frozenset
    holds: Callable[[FrozenDict], frozenset[Any]] | None = None
    # the registry's allocation step (a Service's cluster IP and node ports), run on every create and on
    # every update that changes the spec, after validation: (transaction, old or None, new) -> the object
    # with its values allocated, or the field errors (nothing is held: the write is not stored)
    allocate: Callable[[Any, FrozenDict | None, FrozenDict], FrozenDict | list[FieldError]] | None = None
    # validating admission of a user's update that needs the cluster (PersistentVolumeClaimResize):
    # (state, old, new) -> a Rejection, or None to admit
    admit_update: Callable[[Any, Obj, Obj], Any] | None = None


REGISTRY: dict[str, KindInfo] = {}

# apiVersions that older manifests use and v1.32 no longer serves, with the version that replaced them.
REMOVED_VERSIONS: dict[tuple[str, str], str] = {
    ("extensions/v1beta1", "Deployment"): "apps/v1",
    ("extensions/v1beta1", "ReplicaSet"): "apps/v1",
    ("extensions/v1beta1", "DaemonSet"): "apps/v1",
    ("extensions/v1beta1", "Ingress"): "networking.k8s.io/v1",
    ("extensions/v1beta1", "NetworkPolicy"): "networking.k8s.io/v1",
    ("extensions/v1beta1", "PodSecurityPolicy"): "(removed)",
    ("apps/v1beta1", "Deployment"): "apps/v1",
    ("apps/v1beta1", "StatefulSet"): "apps/v1",
    ("apps/v1beta2", "Deployment"): "apps/v1",
    ("apps/v1beta2", "StatefulSet"): "apps/v1",
    ("apps/v1beta2", "ReplicaSet"): "apps/v1",
    ("apps/v1beta2", "DaemonSet"): "apps/v1",
    ("networking.k8s.io/v1beta1", "Ingress"): "networking.k8s.io/v1",
    ("policy/v1beta1", "PodDisruptionBudget"): "policy/v1",
    ("batch/v1beta1", "CronJob"): "batch/v1",
    ("rbac.authorization.k8s.io/v1beta1", "Role"): "rbac.authorization.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"): "rbac.authorization.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"): "rbac.authorization.k8s.io/v1",
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"): "rbac.authorization.k8s.io/v1",
    ("storage.k8s.io/v1beta1", "StorageClass"): "storage.k8s.io/v1",
}


def register(info: KindInfo) -> KindInfo:
    REGISTRY[info.kind] = info
    return info


def lookup(kind: str) -> KindInfo | None:
    return REGISTRY.get(kind)


def lookup_plural(resource: str) -> KindInfo | None:
    """Find a kind by plural, singular, short name or kind, case-insensitively (``deploy``, ``pods``)."""
    r = resource.lower()
    for info in REGISTRY.values():
        if r in (info.plural, info.kind.lower(), *info.short_names):
            return info
    return None


def _opaque(kind: str, versions: tuple[str, ...], namespaced: bool, plural: str,
            short: tuple[str, ...] = (), top: tuple[str, ...] = ("spec", "status")) -> None:
    register(KindInfo(kind, versions, namespaced, plural, short, name_rule="path", has_status=False,
                      modelled=False, top_level=top))


# Kinds that real manifests carry but the model does not validate: decoded, stored as sent, with a notice.
_opaque("CustomResourceDefinition", ("apiextensions.k8s.io/v1",), False, "customresourcedefinitions",
        ("crd",))


def _load_modelled() -> None:
    # Each module registers its kind(s) with full defaulting and validation.
    from . import (  # noqa: F401
        autoscaling,
        batch,
        configmap,
        csi,
        daemonset,
        deployment,
        discovery,
        endpoints,
        event,
        namespace,
        networking,
        node,
        persistentvolume,
        pod,
        policy,
        quota,
        rbac,
        replicaset,
        replicationcontroller,
        scheduling,
        secret,
        service,
        serviceaccount,
        statefulset,
        storageclass,
    )


_load_modelled()
