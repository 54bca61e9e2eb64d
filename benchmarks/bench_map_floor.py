"""The persistent-map floor of a bulk converge: the map work a name-keyed state cannot avoid, alone.

``floor(n, keys)`` does, for ``n`` pods in turns of 1,000 (what the scheduler binds per turn on default-size
nodes), only what any store of named objects in ``immutables.Map`` does per pod in a converge from empty: the
pod is inserted by name with an index entry by uid and a work key, replaced on binding (with a per-node index
entry), and replaced by two status writes, the last of which drops its work key. No validation, no
controller logic: a few microseconds per pod, against the model's 70-95 (``bench_bulk``).

Two key kinds. ``names``: random generated names, as the API keys pods (a string's hash is SipHash, so a
turn's pods land on random paths of every map). ``sequence``: the creation sequence number with its bits
reversed, so a turn's pods share their maps' paths (an ``int`` hashes to itself and the map's first level
reads the hash's lowest bits, which reversal fills from the sequence's highest bits).

What it shows (idle, the project's 2-core AMD EPYC with a 32 MiB last-level cache, 2026-12-05; fastest round,
three runs): with ``names`` the map work costs 3.8-4.1 us per pod at 10,000 pods and 7.0-7.2 at 100,000,
t(100k)/t(10k) 17.7-18.6 (at 10,000 pods the maps fit the cache; at 100,000 every turn reads their nodes from
memory, and most updates copy a 32-slot array node of a level that 10,000 pods do not have, taking a reference
to each of its 32 children); with ``sequence`` 2.6 and 3.3 us, ratio 12.1-12.7. So the bare map work of a
name-keyed state grows faster than issue 9's bound of 11 allows the whole converge to, and even keys with
locality would not bring this floor under it. In ``bench_bulk`` (the model's about ten name- and uid-keyed
maps and indexes) the persistent maps take about 1.4 s of a 100,000-pod converge, against 0.04 s of a
10,000-pod one (0.4 s scaled by ten): see that module's header.

    pytest benchmarks/bench_calibration.py benchmarks/bench_map_floor.py --benchmark-only
"""

from __future__ import annotations

import random
from typing import Any

import immutables
import pytest

from refmodel.core import cyclic_gc_paused

from .conftest import sizes
from .workloads import QUICK

TURN = 1_000
KEY_KINDS = ("names", "sequence")
_FASTEST: dict[tuple[str, int], float] = {}  # (keys, pods) -> fastest round, this session


def pod_keys(n: int, keys: str) -> list[tuple[Any, Any]]:
    """``n`` pods' (key, uid) of the kind ``keys``, in creation order."""
    if keys == "names":
        rng = random.Random(n)
        return [(f"web-7d9f8c6b5-{k:08x}", f"{i:08x}-{rng.getrandbits(96):024x}")
                for i, k in enumerate(rng.sample(range(1 << 32), n))]
    if keys == "sequence":
        width = max(n - 1, 1).bit_length()
        return [(k, k) for k in (int(format(i, f"0{width}b")[::-1], 2) for i in range(n))]
    raise ValueError(f"keys {keys!r}, but should be one of {KEY_KINDS}")


def floor(n: int, keys: list[tuple[Any, Any]]) -> immutables.Map:
    """The map work of converging ``n`` pods keyed by ``keys`` in turns of :data:`TURN`: the final pods. The
    cyclic collector is paused, as ``rm.converge`` pauses it."""
    with cyclic_gc_paused():
        return _floor(n, keys)


def _floor(n: int, keys: list[tuple[Any, Any]]) -> immutables.Map:
    nodes = n // 100 + 1
    objects: immutables.Map = immutables.Map()  # key -> pod
    by_uid: immutables.Map = immutables.Map()  # uid -> key
    by_node: immutables.Map = immutables.Map()  # node -> Map[key, None]
    dirty: immutables.Map = immutables.Map()  # key -> queue sequence number (the pod's work key)
    spec = {"containers": ({"name": "app", "image": "nginx:1.27"},)}
    for start in range(0, n, TURN):
        turn = keys[start:start + TURN]
        with objects.mutate() as o, by_uid.mutate() as u, dirty.mutate() as d:  # created
            for i, (key, uid) in enumerate(turn, start):
                o[key] = {"metadata": {"name": key, "uid": uid}, "spec": spec, "status": {}}
                u[uid] = key
                d[key] = i
            objects, by_uid, dirty = o.finish(), u.finish(), d.finish()
        with objects.mutate() as o, by_node.mutate() as b:  # bound
            for i, (key, _) in enumerate(turn, start):
                pod = o[key]
                node = i % nodes
                o[key] = {**pod, "spec": {**pod["spec"], "nodeName": node}}
                b[node] = b.get(node, _EMPTY).set(key, None)
            objects, by_node = o.finish(), b.finish()
        for phase in ("Pending", "Running"):  # two status writes; the last one drops the work key
            with objects.mutate() as o, dirty.mutate() as d:
                for key, _ in turn:
                    o[key] = {**o[key], "status": {"phase": phase}}
                    if phase == "Running":
                        del d[key]
                objects, dirty = o.finish(), d.finish()
    return objects


_EMPTY: immutables.Map = immutables.Map()


@pytest.mark.parametrize("keys", KEY_KINDS)
@pytest.mark.parametrize("pods", sizes(1_000, 10_000, 100_000))
def test_map_floor(benchmark: pytest.FixtureRequest, pods: int, keys: str) -> None:
    ordered = pod_keys(pods, keys)
    rounds = 1 if QUICK else 3 if pods >= 100_000 else 10  # (10,000 pods take about 40 ms a round)
    result = benchmark.pedantic(floor, args=(pods, ordered), rounds=rounds, iterations=1)  # type: ignore[attr-defined]
    assert len(result) == pods, f"{len(result)} pods, but should be {pods}"
    last = result[ordered[-1][0]]
    assert last["status"] == {"phase": "Running"} and "nodeName" in last["spec"], (
        f"the last pod is {last}, but should be bound and Running")
    benchmark.extra_info.update({"pods": pods, "keys": keys})  # type: ignore[attr-defined]
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        _FASTEST[(keys, pods)] = stats.stats.min
        tenth = _FASTEST.get((keys, pods // 10))
        if tenth:
            benchmark.extra_info["ratio_to_tenth"] = round(stats.stats.min / tenth, 2)  # type: ignore[attr-defined]
