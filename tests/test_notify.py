"""Write notification (refmodel/controllers/__init__.py ``notify``): the ``status_blind`` declarations.

A controller may declare that status-only writes of a kind never make its watch return a key, and
``notify`` then skips the call for writes through the status subresource (the kubelet's and the
controllers' status updates: most writes in a cluster). A wrong declaration would silently lose work, so
these tests check every declaration on every status write of scenarios that exercise the controllers:
rollouts, rollbacks, node failures and evictions, crashes, readiness flips, pull failures, foreground and
namespace deletion.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import door
import pytest

import refmodel as rm
from refmodel import controllers
from refmodel.controllers import CONTROLLERS, Controller, register
from refmodel.events import (
    ContainerExited,
    Delete,
    ImagePullFailed,
    ImagePullRecovered,
    NodeFailed,
    NodeRecovered,
    ReadinessChanged,
    RolloutUndo,
    Scale,
)
from refmodel.frozen import FrozenDict, with_
from refmodel.state import ClusterState


def _deployment(image: str, replicas: int = 4, recreate: bool = False, name: str = "web") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas, "minReadySeconds": 5,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
            "name": "c", "image": image, "readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 3},
        }]}},
    }
    if recreate:
        spec["strategy"] = {"type": "Recreate"}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
            "spec": spec}


def _blind_keys(state: ClusterState, kind: str, old: FrozenDict | None, new: FrozenDict | None) -> list[str]:
    """The keys the watches declared blind to status writes of ``kind`` return for this write."""
    found = []
    for c in CONTROLLERS.values():
        watch = c.watches.get(kind)
        if watch is not None and kind in c.status_blind:
            found += [f"{c.name}:{key}" for key in watch(state, old, new)]
    return found


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Check every status-only write; yields the list of violations (and how many writes were checked)."""
    violations: list[str] = []
    seen = [0]
    original = controllers.notify

    def check(state: ClusterState, kind: str, old: FrozenDict | None, new: FrozenDict | None) -> None:
        seen[0] += 1
        keys = _blind_keys(state, kind, old, new)
        if keys:
            name = (new or old or {}).get("metadata", {}).get("name")
            violations.append(f"{kind}/{name}: status write woke {keys}, but the watch is declared status-blind")

    def notify(state: ClusterState, changes: Any) -> ClusterState:
        changes = tuple(changes)
        for ref, old, new, status_only in changes:
            if status_only:
                check(state, ref[0], old, new)
        return original(state, changes)

    # every write reaches the watches through this one function (core, the controllers' client, rm)
    monkeypatch.setattr(controllers, "notify", notify)
    yield violations
    assert seen[0] > 0, "no status write was checked, but the scenario should make many"


def _scenario(check_indexes: bool = False) -> ClusterState:
    """Rollout, rollback, readiness flips, a crash, a pull failure, node failure and recovery, scaling,
    a Recreate rollout, foreground and namespace deletion; with ``check_indexes`` the incremental indexes
    are compared with a recomputation after every reconcile."""
    from refmodel.state import index_errors

    real_converge = rm.converge

    def converge(state: ClusterState) -> ClusterState:
        if not check_indexes:
            return real_converge(state)
        final = state
        for event, final in rm.converge_steps(state):
            errors = index_errors(final)
            assert not errors, f"{errors[0]} [after {event}]"
        return final

    rm_converge = converge
    s = rm.new_cluster(3)
    s = rm_converge(rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}))
    s = rm_converge(rm.apply_manifest(s, _deployment("nginx:1.27")))
    s = rm_converge(rm.apply_manifest(s, _deployment("nginx:1.28")))  # rolling update
    s = rm_converge(rm.step(s, RolloutUndo("shop", "web")))
    pod = rm.list_objects(s, "Pod", "shop")[0]["metadata"]["name"]
    s = rm_converge(rm.step(s, ReadinessChanged("shop", pod, False)))
    s = rm_converge(rm.step(s, ReadinessChanged("shop", pod, True)))
    s = rm_converge(rm.step(s, ContainerExited("shop", pod, "c", 1)))
    s = rm_converge(rm.step(s, ImagePullFailed("nginx:1.29")))
    s = rm_converge(rm.apply_manifest(s, _deployment("nginx:1.29")))
    s = rm_converge(rm.step(s, ImagePullRecovered("nginx:1.29")))
    s = rm_converge(rm.step(s, NodeFailed("node-1")))
    s = rm_converge(rm.step(s, NodeRecovered("node-1")))
    s = rm_converge(rm.step(s, Scale("Deployment", "shop", "web", 1)))
    s = rm_converge(rm.step(s, Delete("Deployment", "shop", "web")))
    s = rm_converge(rm.apply_manifest(s, _deployment("nginx:1.30", replicas=2, recreate=True, name="api")))
    s = rm_converge(rm.apply_manifest(s, _deployment("nginx:1.31", replicas=2, recreate=True, name="api")))
    s = rm_converge(rm.step(s, Delete("Deployment", "shop", "api", "Foreground")))
    return rm_converge(rm.step(s, Delete("Namespace", "", "shop")))


def test_status_blind_watches_ignore_every_status_write(checked: list[str]) -> None:
    s = _scenario(check_indexes=True)
    assert rm.get(s, "Namespace", "shop") is None, "namespace shop still exists, but its deletion should finish"
    assert not checked, "\n".join(checked[:5])


def test_a_false_status_blind_declaration_is_caught(checked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # seeded bug: a controller that does react to pod status (like the ReplicaSet controller, which counts
    # ready pods) but claims it does not
    def ready_watch(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> list[str]:
        return ["x"] if new is not None and old is not None and new.get("status") != old.get("status") else []

    monkeypatch.setitem(CONTROLLERS, "liar", Controller("liar", lambda s, k: s, {"Pod": ready_watch},
                                                         status_blind=frozenset({"Pod"})))
    s = rm.new_cluster(1)
    rm.converge(rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
    assert checked and "liar:x" in checked[0], f"violations={checked[:1]}, but the false declaration should show"
    checked.clear()


def test_status_writes_skip_blind_watches_and_still_reach_the_others() -> None:
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1), _deployment("nginx:1.27", replicas=1) | {
        "metadata": {"name": "web"}}))
    pod = rm.list_objects(s, "Pod")[0]
    assert not s.dirty, f"dirty={dict(s.dirty)}, but a converged state has no work queued"
    r = door.update_status(s, with_(pod, status=with_(pod["status"], message="x")))
    queued = sorted(c for c, _ in r.state.dirty)
    assert queued == ["replicaset"], f"queued={queued}, but only the ReplicaSet controller watches pod status"


def test_register_keeps_blind_watches_out_of_the_status_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from refmodel import controllers

    monkeypatch.setattr(controllers, "_WATCHERS", {})
    monkeypatch.setattr(controllers, "_UPDATE_WATCHERS", {})
    monkeypatch.setattr(controllers, "_STATUS_WATCHERS", {})
    monkeypatch.setattr(controllers, "CONTROLLERS", {})
    register(Controller("a", lambda s, k: s, {"Pod": lambda s, o, n: (), "Node": lambda s, o, n: ()},
                        status_blind=frozenset({"Pod"})))
    assert [n for n, _ in controllers._WATCHERS["Pod"]] == ["a"]
    assert "Pod" not in controllers._STATUS_WATCHERS, "a status-blind watch is still called on status writes"
    assert [n for n, _ in controllers._STATUS_WATCHERS["Node"]] == ["a"]


# ---------------------------------------------------------------------------------------------
# gates: a gated watch returns no key for a write outside the namespaces its gate names (notify skips it)
# ---------------------------------------------------------------------------------------------
def _gated_keys(state: ClusterState, ref: Any, old: FrozenDict | None, new: FrozenDict | None) -> tuple[bool, list[str]]:
    """(whether some gate closes on this write, the keys the watches it closes on return for it)."""
    closed, found = False, []
    for c in CONTROLLERS.values():
        watch, gate = c.watches.get(ref[0]), c.gates.get(ref[0])
        if watch is not None and gate is not None and ref[1] not in gate(state):
            closed = True
            found += [f"{c.name}:{key}" for key in watch(state, old, new)]
    return closed, found


@pytest.fixture
def gate_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Check every write against the gates; yields the violations."""
    violations: list[str] = []
    seen = [0, 0]  # writes checked, writes a gate closes on
    original = controllers.notify

    def notify(state: ClusterState, changes: Any) -> ClusterState:
        changes = tuple(changes)
        for ref, old, new, _status_only in changes:
            closed, keys = _gated_keys(state, ref, old, new)
            seen[0] += 1
            seen[1] += closed
            if keys:
                violations.append(f"{ref[0]}/{ref[2]}: write woke {keys}, but the watch's gate is closed on it")
        return original(state, changes)

    monkeypatch.setattr(controllers, "notify", notify)
    yield violations
    assert 0 < seen[1] < seen[0], f"gates closed on {seen[1]} of {seen[0]} writes, but the scenario should have " \
        "writes behind open and closed gates"


def _service(name: str, selector: dict[str, str] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": [{"port": 80}]}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"}, "spec": spec}


def test_closed_gates_hide_no_work(gate_checked: list[str]) -> None:
    # the endpoints controllers' pod watch is gated on the namespaces with a Service that has a selector:
    # pods come and go before any Service, beside a selectorless one, behind one, after it is deleted
    s = rm.new_cluster(2)
    s = rm.converge(rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}))
    s = rm.converge(rm.apply_manifest(s, _deployment("nginx:1.27", replicas=3)))
    s = rm.converge(rm.apply_manifest(s, _service("bare", None)))
    s = rm.converge(rm.apply_manifest(s, _service("web", {"app": "web"})))
    assert rm.get(s, "Endpoints", "web", "shop") is not None, "the selecting Service got no Endpoints"
    pod = rm.list_objects(s, "Pod", "shop")[0]["metadata"]["name"]
    s = rm.converge(rm.step(s, ReadinessChanged("shop", pod, False)))
    s = rm.converge(rm.step(s, Delete("Service", "shop", "web")))
    s = rm.converge(rm.step(s, Scale("Deployment", "shop", "web", 5)))
    s = rm.converge(rm.apply_manifest(s, _deployment("nginx:1.28", replicas=5)))
    assert not gate_checked, "\n".join(gate_checked[:5])


def test_closed_claim_gates_hide_no_work(gate_checked: list[str]) -> None:
    # the persistent-volume controller's pod watch is gated on the namespaces that hold a claim: pods come
    # and go before any claim, in another namespace, and beside a claim being deleted, which goes with its
    # last user
    def claim_user(name: str, ns: str) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": {
            "containers": [{"name": "c", "image": "nginx", "volumeMounts": [{"name": "v", "mountPath": "/d"}]}],
            "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "data"}}]}}

    s = rm.new_cluster(2)
    s = rm.converge(rm.apply_manifest(s, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}))
    s = rm.converge(rm.apply_manifest(s, _deployment("nginx:1.27", replicas=2)))
    s = rm.converge(rm.apply_manifest(s, {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}))
    s = rm.converge(rm.apply_manifest(s, claim_user("user", "shop")))
    s = rm.converge(rm.step(s, Delete("PersistentVolumeClaim", "shop", "data")))
    assert rm.get(s, "PersistentVolumeClaim", "data", "shop") is not None, "the claim went while its pod uses it"
    s = rm.converge(rm.step(s, Delete("Pod", "shop", "user")))
    assert rm.get(s, "PersistentVolumeClaim", "data", "shop") is None, "the claim stayed after its last user went"
    s = rm.converge(rm.step(s, Scale("Deployment", "shop", "web", 0)))
    assert not gate_checked, "\n".join(gate_checked[:5])


def test_a_false_gate_is_caught(gate_checked: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # seeded bug: a gate that names no namespace while its watch still has work (new pods)
    def new_pods(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> list[str]:
        return ["x"] if old is None and new is not None else []

    monkeypatch.setitem(CONTROLLERS, "liar", Controller("liar", lambda s, k: s, {"Pod": new_pods},
                                                         gates={"Pod": lambda s: frozenset({"default"})}))
    s = rm.converge(rm.apply_manifest(rm.new_cluster(1), {"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": "shop"}}))
    rm.converge(rm.apply_manifest(s, _deployment("nginx:1.27", replicas=2)))
    assert gate_checked and "liar:x" in gate_checked[0], f"violations={gate_checked[:1]}, but the false gate should show"
    gate_checked.clear()


def test_notify_calls_a_gated_watch_only_in_the_namespaces_of_its_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def watch(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> list[str]:
        calls.append(new["metadata"]["namespace"] if new is not None else "")
        return ["k"]

    monkeypatch.setattr(controllers, "_WATCHERS", {"Pod": [("g", watch)]})
    monkeypatch.setattr(controllers, "_UPDATE_WATCHERS", {"Pod": [("g", watch)]})
    monkeypatch.setattr(controllers, "_GATES", {("g", "Pod"): lambda s: s.env.get("open") or frozenset()})
    s = rm.new_cluster(1)
    pods = [FrozenDict({"metadata": FrozenDict({"name": "p", "namespace": ns})}) for ns in ("a", "b")]
    changes = [(("Pod", p["metadata"]["namespace"], "p"), None, p, False) for p in pods]
    assert not controllers.notify(s, changes).dirty, "a watch behind a closed gate queued work"
    assert calls == [], f"the watch was called for {calls} behind a closed gate"
    out = controllers.notify(s.replace(env=s.env.set("open", frozenset({"b"}))), changes)
    assert calls == ["b"] and ("g", "k") in out.dirty, f"the watch was called for {calls}, but should be for b alone"


# ---------------------------------------------------------------------------------------------
# removals_only: a watch that returns keys only when an object goes away is not called for other writes
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def removal_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Check every write that is not a removal against the ``removals_only`` declarations; yields the
    violations."""
    violations: list[str] = []
    seen = [0]
    original = controllers.notify

    def notify(state: ClusterState, changes: Any) -> ClusterState:
        changes = tuple(changes)
        for ref, old, new, _status_only in changes:
            if new is None:
                continue
            seen[0] += 1
            for c in CONTROLLERS.values():
                watch = c.watches.get(ref[0])
                if watch is not None and ref[0] in c.removals_only:
                    keys = list(watch(state, old, new))
                    if keys:
                        violations.append(f"{ref[0]}/{ref[2]}: write woke {c.name}:{keys}, but the watch is "
                                          "declared to wake only on removals")
        return original(state, changes)

    monkeypatch.setattr(controllers, "notify", notify)
    yield violations
    assert seen[0] > 0, "no write was checked, but the scenario should make many"


def test_removals_only_watches_ignore_every_other_write(removal_checked: list[str]) -> None:
    s = _scenario()
    assert rm.get(s, "Namespace", "shop") is None, "namespace shop still exists, but its deletion should finish"
    assert not removal_checked, "\n".join(removal_checked[:5])


def test_a_false_removals_only_declaration_is_caught(removal_checked: list[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # seeded bug: a controller that reacts to a pod's binding but claims to wake only on removals
    def bound_watch(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> list[str]:
        return ["x"] if new is not None and new["spec"].get("nodeName") else []

    monkeypatch.setitem(CONTROLLERS, "liar", Controller("liar", lambda s, k: s, {"Pod": bound_watch},
                                                         removals_only=frozenset({"Pod"})))
    rm.converge(rm.apply_manifest(rm.new_cluster(1), {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))
    assert removal_checked and "liar:['x']" in removal_checked[0], (
        f"violations={removal_checked[:1]}, but the false declaration should show")
    removal_checked.clear()


def test_removals_only_watches_still_see_removals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(controllers, "_WATCHERS", {})
    monkeypatch.setattr(controllers, "_UPDATE_WATCHERS", {})
    monkeypatch.setattr(controllers, "_STATUS_WATCHERS", {})
    monkeypatch.setattr(controllers, "CONTROLLERS", {})
    register(Controller("gone", lambda s, k: s, {"Pod": lambda s, o, n: ("k",)}, removals_only=frozenset({"Pod"})))
    pod = FrozenDict({"metadata": FrozenDict({"name": "p", "namespace": "default"})})
    s = rm.new_cluster(1)
    assert not controllers.notify(s, [(("Pod", "default", "p"), None, pod, False)]).dirty, (
        "a create woke a removals-only watch, but should not")
    assert not controllers.notify(s, [(("Pod", "default", "p"), pod, pod, True)]).dirty, (
        "a status write woke a removals-only watch, but should not")
    woke = controllers.notify(s, [(("Pod", "default", "p"), pod, None, False)]).dirty
    assert ("gone", "k") in woke, f"dirty={dict(woke)}, but a removal should wake the watch"
