"""PersistentVolume binding: converge N claims, dynamically provisioned (100 / 1,000 / 10,000) and against N
static volumes (100 / 300 / 1,000).

Dynamic provisioning costs no scan (the binder finds a provisioned volume through its claim index), so its
10,000 / 1,000 ratio stays near 10. Static binding scans the unclaimed volumes for each claim, as upstream's
``findBestMatchForClaim`` does (``pkg/controller/volume/persistentvolume/index.go``): its cost grows with
claims x volumes, so the 1,000 / 100 ratio is up to 100 (measured, not a target).

    pytest benchmarks/bench_storage.py --benchmark-only
"""

from __future__ import annotations

from typing import Any

import pytest

import refmodel as rm

from .conftest import sizes


def _claim(i: int, cls: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    if cls is not None:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": f"data-{i}", "namespace": "default"}, "spec": spec}


def _volume(i: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": f"pv-{i}"},
            "spec": {"capacity": {"storage": f"{1 + i % 3}Gi"}, "accessModes": ["ReadWriteOnce"],
                     "storageClassName": "", "hostPath": {"path": f"/mnt/pv-{i}"}}}


def _start(n: int, static: bool) -> rm.ClusterState:
    state = rm.new_cluster(nodes=1)
    if static:
        for i in range(n):
            state = rm.apply_manifest(state, _volume(i))
        state = rm.converge(state)
    for i in range(n):
        state = rm.apply_manifest(state, _claim(i, "" if static else None))
    return state


def _assert_all_bound(state: rm.ClusterState, n: int) -> None:
    phases = [c.get("status", {}).get("phase") for c in rm.list_objects(state, "PersistentVolumeClaim")]
    assert phases.count("Bound") == n, f"{phases.count('Bound')} of {n} claims Bound, but all should be"
    volumes = {c["spec"]["volumeName"] for c in rm.list_objects(state, "PersistentVolumeClaim")}
    assert len(volumes) == n, f"{n} claims bound to {len(volumes)} volumes, but binding is one to one"


@pytest.mark.parametrize("claims", sizes(100, 1_000, 10_000))
def test_bind_provisioned_claims(benchmark: Any, claims: int) -> None:
    start = _start(claims, static=False)
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=1 if claims >= 10_000 else 3, iterations=1)
    _assert_all_bound(result, claims)
    benchmark.extra_info.update({"claims": claims, "binding": "dynamic"})


@pytest.mark.parametrize("claims", sizes(100, 300, 1_000))
def test_bind_static_volumes(benchmark: Any, claims: int) -> None:
    start = _start(claims, static=True)
    result = benchmark.pedantic(rm.converge, args=(start,), rounds=1 if claims >= 1_000 else 3, iterations=1)
    _assert_all_bound(result, claims)
    benchmark.extra_info.update({"claims": claims, "binding": "static"})
