"""The conformance machines: ``RuleBasedStateMachine`` classes composed from the rule mixins.

=============  ==================================================================================
``replicaset``  ReplicaSets, bare pods (adoption), namespaces, scale, delete, pod faults, crash loops, time
``deployment``  Deployments: apply, image change, scale (also mid-rollout), undo, pause/resume, delete,
                image faults
``rollout``     Deployments with no faults at all: clean rollouts, where the rollout bounds bite
``nodes``       ReplicaSets under cordon/uncordon and node failure/recovery
``mixed``       everything at once, including invalid manifests (the benchmark's machine)
``services``    Services of every type over ReplicaSets and pods, with readiness flaps, kills and node failure
``statefulset`` StatefulSets under scaling, updates, partitions, rollbacks, deletes and pod/node faults
``storage``     claims, volumes, classes, ConfigMaps, Secrets and the pods using them; pod kills, node failure
=============  ==================================================================================

Every machine also has ``settle``, ``clock_advanced`` and ``reconcile`` (one controller turn). Use
:func:`build` to get a class bound to an adapter and a :class:`~conformance.harness.Stats`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

import strategies as ks
from strategies.services import services

from .adapters import Adapter, Bound
from .harness import Run, Stats
from .invariants import ALL, Invariant
from .rules import (
    ControlRules,
    CrashLoopRules,
    DeploymentRules,
    ImageFaultRules,
    InvalidRules,
    NamespaceRules,
    NodeRules,
    PodFaultRules,
    ReplicaSetRules,
    ServiceRules,
    StatefulSetRules,
    StorageRules,
    WorkloadRules,
)

__all__ = ["EXAMPLE_SHARE", "MACHINES", "DeploymentMachine", "MixedMachine", "NodesMachine", "ReplicaSetMachine", "RolloutMachine",
           "ServicesMachine", "StatefulSetMachine",
           "StorageMachine", "build", "factory"]


class ReplicaSetMachine(ReplicaSetRules, WorkloadRules, NamespaceRules, PodFaultRules, CrashLoopRules, ControlRules):
    """ReplicaSets and their pods under user operations, pod faults and crash loops."""


class DeploymentMachine(DeploymentRules, WorkloadRules, ImageFaultRules, PodFaultRules, ControlRules):
    """Deployments: rollouts, rollbacks, pause/resume, scaling, deletion, pull failures."""


class RolloutMachine(DeploymentRules, WorkloadRules, ControlRules):
    """Deployments in one namespace, unpaused, pods that fit, no faults: rollouts, rollovers, undo and
    scaling over a few objects, so every settle is a clean rollout and the rollout bounds bite."""

    @rule(manifest=ks.deployments(namespace="default", paused=False, fits=True))
    def apply_deployment(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    def rollout_pause(self, pick: int) -> None:  # not a rule here: paused rollouts have their machine
        raise NotImplementedError

    def rollout_resume(self, pick: int) -> None:  # not a rule here
        raise NotImplementedError

    def delete_orphan(self, prefer: str, pick: int) -> None:  # not a rule here
        raise NotImplementedError

    def delete(self, pick: int, propagation: str) -> None:  # not a rule here
        raise NotImplementedError

    def scale_mid_rollout(self, pick: int, image: str, more: int) -> None:  # not a rule here: no faults
        raise NotImplementedError


class NodesMachine(ReplicaSetRules, WorkloadRules, NodeRules, ControlRules):
    """Workloads on nodes that are cordoned, fail and recover."""


class StorageMachine(StorageRules, PodFaultRules, NodeRules, ControlRules):
    """Claims, volumes, classes, ConfigMaps and Secrets, and the pods that use them, under pod kills and
    node failure."""


class MixedMachine(ReplicaSetRules, DeploymentRules, WorkloadRules, NamespaceRules, InvalidRules, NodeRules,
                   PodFaultRules, ImageFaultRules, ServiceRules, ControlRules, StatefulSetRules,
                   StorageRules):
    """Every rule: user operations, invalid manifests and every fault, interleaved."""


class ServicesMachine(ServiceRules, ReplicaSetRules, WorkloadRules, PodFaultRules, NodeRules, ControlRules):
    """Services of every type over ReplicaSets and bare pods: type and selector changes, deletion, readiness
    flaps, pod kills, scaling and node failure (the endpoints, allocator, DNS and proxy invariants). Workloads
    live in ``default`` and most Services too, so that selectors meet pods; some Services are in ``team-a``,
    resolved from ``default`` by their qualified name."""

    @rule(manifest=ks.replicasets(namespace="default"))
    def apply_replicaset(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @rule(manifest=ks.pods(namespace="default"))
    def apply_pod(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @rule(manifest=services(namespaces=("default", "default", "team-a"), selectors=(
        {"rs": "front"}, {"rs": "back"}, {"track": "canary"}, {"rs": "front"}, {"rs": "back"}, None)))
    def apply_service(self, manifest: dict[str, Any]) -> None:
        self.apply(manifest)

    @initialize(service=services(name="front", namespace="default", selectors=({"rs": "front"},)),
                workload=ks.replicasets(name="front", namespace="default"))
    def apply_front(self, service: dict[str, Any], workload: dict[str, Any]) -> None:
        """Every example starts with a Service and a ReplicaSet in ``default`` (its selector may or may not
        match the Service's), so that the endpoints invariants judge pods behind a Service."""
        self.apply(workload)
        self.apply(service)

    def delete_orphan(self, prefer: str, pick: int) -> None:  # not a rule here: the workload machines have it
        raise NotImplementedError

    def delete(self, prefer: str, pick: int, propagation: str) -> None:  # not a rule here: delete_service, kills
        raise NotImplementedError

    def cordon(self, node: str) -> None:  # not a rule here
        raise NotImplementedError

    def uncordon(self, node: str) -> None:  # not a rule here
        raise NotImplementedError


class StatefulSetMachine(StatefulSetRules, PodFaultRules, ImageFaultRules, NodeRules, ControlRules):
    """StatefulSets: apply, scale, template updates, partitions, rollbacks, retention policies and deletes,
    interleaved with pod kills, readiness flaps, image failures and node failure."""


#: the share of the profile's examples a machine runs when ``--examples`` is not given: the services
#: machine's examples each start with a Service and its pods, so fewer of them reach its invariants' premises;
#: the storage machine's rules aim at their premises, which a third of the examples reach
EXAMPLE_SHARE: dict[str, float] = {"services": 0.4, "storage": 0.35}

MACHINES: dict[str, type[RuleBasedStateMachine]] = {
    "replicaset": ReplicaSetMachine,
    "deployment": DeploymentMachine,
    "rollout": RolloutMachine,
    "nodes": NodesMachine,
    "mixed": MixedMachine,
    "services": ServicesMachine,
    "statefulset": StatefulSetMachine,
    "storage": StorageMachine,
}


def build(name: str, adapter: Bound | Adapter, stats: Stats, invariants: tuple[Invariant, ...] = ALL,
          *, on_run: Callable[[Run], None] | None = None) -> type[RuleBasedStateMachine]:
    """A subclass of machine ``name`` whose examples drive ``adapter`` and count into ``stats``."""
    base = MACHINES[name]

    def make_run() -> Run:
        run = Run(adapter, stats, invariants)
        if on_run is not None:
            on_run(run)
        return run

    return type(base.__name__, (base,), {"make_run": staticmethod(make_run), "__module__": __name__})


def factory(name: str, adapter: Bound | Adapter, stats: Stats, invariants: tuple[Invariant, ...] = ALL,
            *, on_run: Callable[[Run], None] | None = None, seed: int | None = None) -> Callable[[], Any]:
    """A zero-argument factory for ``run_state_machine_as_test``, with its own database key and seed."""
    cls = build(name, adapter, stats, invariants, on_run=on_run)

    def make() -> Any:
        return cls()

    make.__name__ = f"{name}_machine"
    make.__qualname__ = make.__name__
    make._hypothesis_internal_add_digest = f"kubeoracle:{name}".encode()  # type: ignore[attr-defined]
    if seed is not None:
        make._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    return make
