"""The rules of the conformance machines: one mixin class per area, one rule per event.

Rule names are event names (snake_case), so a shrunk failure prints as an event script (each step
also notes the concrete event it sent). Each rule builds a :mod:`refmodel.events` value and hands
it to the run (``self.run.do(event)``), which drives the adapter and the oracle in lockstep and
checks the invariants. Targets are picked by position among the objects this example applied (a
target may have been deleted since: the request is then rejected, which is checked too) or, for
pods with generated names, among the pods the adapter reports.

Adding an area: one module here with a mixin, added to the machines in ``conformance.machines``.
"""

from __future__ import annotations

from .base import BaseRules
from .control import ControlRules
from .deployments import DeploymentRules
from .nodes import NodeRules
from .pods import CrashLoopRules, ImageFaultRules, PodFaultRules
from .services import ServiceRules
from .statefulsets import StatefulSetRules
from .storage import StorageRules
from .workloads import InvalidRules, NamespaceRules, ReplicaSetRules, WorkloadRules

__all__ = [
    "BaseRules",
    "ControlRules",
    "CrashLoopRules",
    "DeploymentRules",
    "ImageFaultRules",
    "InvalidRules",
    "NamespaceRules",
    "NodeRules",
    "PodFaultRules",
    "ReplicaSetRules",
    "ServiceRules",
    "StatefulSetRules",
    "StorageRules",
    "WorkloadRules",
]
