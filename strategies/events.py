"""Events: user operations and faults, as :mod:`refmodel.events` values.

These strategies do not look at any state, so they name objects from the same pools the manifest
strategies use; an event about an object that does not exist is a legitimate request the API
server rejects. The stateful machines (``conformance.rules``) use the per-event strategies below
with targets drawn from the running cluster instead.
"""

from __future__ import annotations

from hypothesis import strategies as st

from refmodel import events as ev

from .manifests import (
    DEPLOYMENT_NAMES,
    IMAGE_POOL,
    NAMESPACES,
    POD_NAMES,
    REPLICASET_NAMES,
    deployments,
    namespaces,
    pods,
    replicasets,
)

__all__ = [
    "IMAGES",
    "NODES",
    "PROPAGATIONS",
    "clock_jumps",
    "event_sequences",
    "faults",
    "propagations",
    "user_events",
]

NODES: tuple[str, ...] = ("node-0", "node-1", "node-2")
IMAGES: tuple[str, ...] = IMAGE_POOL
PROPAGATIONS: tuple[str, ...] = ("Background", "Foreground", "Orphan")


def propagations() -> st.SearchStrategy[str]:
    """``propagationPolicy`` of a delete (GC-2). Example: ``'Orphan'``."""
    return st.sampled_from(PROPAGATIONS)


def clock_jumps() -> st.SearchStrategy[int]:
    """Seconds of virtual time: short waits, the 40 s node grace period, the 300 s eviction delay, an hour.

    Example: ``301``.
    """
    return st.sampled_from([1, 5, 11, 30, 41, 301, 3600])


def _workload_refs() -> st.SearchStrategy[tuple[str, str, str]]:
    return st.one_of(
        st.tuples(st.just("Deployment"), st.sampled_from(NAMESPACES), st.sampled_from(DEPLOYMENT_NAMES)),
        st.tuples(st.just("ReplicaSet"), st.sampled_from(NAMESPACES), st.sampled_from(REPLICASET_NAMES)),
    )


def user_events() -> st.SearchStrategy[ev.Event]:
    """Apply (create, change image, change strategy), Delete with each propagation policy, Scale,
    RolloutUndo (to a revision or the previous one), RolloutPause/Resume, Cordon/Uncordon.

    Example: ``Scale(kind='Deployment', namespace='team-a', name='web', replicas=4)``.
    """
    ns = st.sampled_from(NAMESPACES)
    return st.one_of(
        st.one_of(deployments(), replicasets(), pods(), namespaces()).map(ev.Apply),
        st.builds(lambda r, p: ev.Delete(r[0], r[1], r[2], p), _workload_refs(), propagations()),
        st.builds(lambda ns_, n, p: ev.Delete("Pod", ns_, n, p), ns, st.sampled_from(POD_NAMES), propagations()),
        st.builds(lambda r, n: ev.Scale(r[0], r[1], r[2], n), _workload_refs(), st.integers(0, 6)),
        st.builds(ev.RolloutUndo, ns, st.sampled_from(DEPLOYMENT_NAMES), st.integers(0, 4)),
        st.builds(ev.RolloutPause, ns, st.sampled_from(DEPLOYMENT_NAMES)),
        st.builds(ev.RolloutResume, ns, st.sampled_from(DEPLOYMENT_NAMES)),
        st.builds(ev.Cordon, st.sampled_from(NODES)),
        st.builds(ev.Uncordon, st.sampled_from(NODES)),
    )


def faults() -> st.SearchStrategy[ev.Event]:
    """Environment facts: node failure and recovery, pod kill, container crash, image pull failure and
    recovery, readiness flaps, clock jumps.

    Example: ``NodeFailed(node='node-1')``.
    """
    ns = st.sampled_from(NAMESPACES)
    pod = st.sampled_from(POD_NAMES)
    return st.one_of(
        st.builds(ev.NodeFailed, st.sampled_from(NODES)),
        st.builds(ev.NodeRecovered, st.sampled_from(NODES)),
        st.builds(ev.PodKilled, ns, pod),
        st.builds(ev.ContainerExited, ns, pod, st.just("main"), st.sampled_from([0, 1, 137])),
        st.builds(ev.ImagePullFailed, st.sampled_from(IMAGES)),
        st.builds(ev.ImagePullRecovered, st.sampled_from(IMAGES)),
        st.builds(ev.ReadinessChanged, ns, pod, st.booleans()),
        st.builds(ev.ClockAdvanced, clock_jumps()),
    )


def event_sequences(*, min_size: int = 1, max_size: int = 20,
                    fault_ratio: float | None = None) -> st.SearchStrategy[list[ev.Event]]:
    """Lists that mix user operations with faults (about one fault in three unless ``fault_ratio``).

    Example: ``[Apply(obj=...), NodeFailed(node='node-0'), Scale(...), ClockAdvanced(seconds=301)]``.
    """
    weight = 3 if fault_ratio is None else max(1, round(1 / max(fault_ratio, 0.01)))
    choices = [user_events()] * (weight - 1) + [faults()]
    return st.lists(st.one_of(*choices), min_size=min_size, max_size=max_size)
