"""Hypothesis strategies for kubeoracle: valid manifests, invalid manifests, events and faults.

Strategies are plural nouns with keyword-only options; options that vary take strategies, and
``None`` means "every combination". Valid strategies produce objects the API server must accept;
:func:`invalid_manifests` produces ``(manifest, field)`` pairs whose rejection must name ``field``.
"""

from __future__ import annotations

from .events import (
    IMAGES,
    NODES,
    clock_jumps,
    event_sequences,
    faults,
    user_events,
)
from .invalid import FOLDED_BY_MERGE, invalid_manifests
from .manifests import (
    APPS,
    DEPLOYMENT_NAMES,
    NAMESPACES,
    POD_NAMES,
    REPLICASET_NAMES,
    deployments,
    images,
    int_or_percents,
    namespaces,
    pod_templates,
    pods,
    replicasets,
    resource_requirements,
    rolling_updates,
    valid_manifests,
)

__all__ = [
    "APPS",
    "DEPLOYMENT_NAMES",
    "FOLDED_BY_MERGE",
    "IMAGES",
    "NAMESPACES",
    "NODES",
    "POD_NAMES",
    "REPLICASET_NAMES",
    "clock_jumps",
    "deployments",
    "event_sequences",
    "faults",
    "images",
    "int_or_percents",
    "invalid_manifests",
    "namespaces",
    "pod_templates",
    "pods",
    "replicasets",
    "resource_requirements",
    "rolling_updates",
    "user_events",
    "valid_manifests",
]

_public = {n for n in dir() if not n.startswith(("_", "@")) and n not in {"annotations", "events", "invalid", "manifests"}}
assert set(__all__) == _public, (set(__all__) - _public, _public - set(__all__))
