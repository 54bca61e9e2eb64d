"""The kubelet's volume manager, as far as the model needs one: pods waiting for a ConfigMap, Secret or claim.

**Mirrors:** ``pkg/kubelet/volumemanager`` (desired/actual state of the world: a pod's volumes are mounted
before its containers start) and the kubelet's ConfigMap/Secret managers (``pkg/kubelet/configmap``,
``pkg/kubelet/secret``: watch-based caches).
**Modelled:** wake-up only: a ConfigMap or Secret written in a namespace where pods wait for one
(:mod:`refmodel.volumes` records them) makes their kubelets sync again; a pod that is gone loses its start
record. What a container sees and what blocks it live in :mod:`refmodel.volumes`.
**Not modelled (and why):** the sync period and cache TTL (the model refreshes volume views at once).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..frozen import FrozenDict
from ..state import ClusterState
from . import Controller, register

NAME = "volumemanager"


def _volume_manager_sync(state: ClusterState, key: str) -> ClusterState:
    from .. import volumes

    what, _, rest = key.partition("/")
    if what == "ns":
        return volumes.wake_blocked(state, rest)
    return volumes.forget_pod(state, rest)


def _config_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if not state.env.get("volume_blocked"):
        return ()
    obj = new if new is not None else old
    assert obj is not None
    return (f"ns/{obj['metadata']['namespace']}",)


def _gone_pod_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    if new is not None or old is None:
        return ()
    started = state.env.get("container_start")
    if not started or old["metadata"]["uid"] not in started:
        return ()
    return (f"pod/{old['metadata']['uid']}",)


register(Controller(NAME, _volume_manager_sync,
                    {"ConfigMap": _config_keys, "Secret": _config_keys, "Pod": _gone_pod_keys}, environment=True,
                    removals_only=frozenset({"Pod"})))
