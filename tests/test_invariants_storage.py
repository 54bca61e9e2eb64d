"""The storage invariants (conformance/invariants/storage.py): each passes on what upstream does and fails on
its seeded bug's effect, built by hand here; the kill matrix itself is tests/test_mutants.py."""

from __future__ import annotations

from typing import Any

import refmodel as rm
from conformance.invariants import BY_NAME, Context, Step
from conformance.mutants import BY_NAME as MUTANTS
from conformance.mutants import applied
from conformance.view import StateView
from refmodel import events as ev
from refmodel.controllers import send

CLAIM: dict[str, Any] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                         "metadata": {"name": "data", "namespace": "default"},
                         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}
CONFIG: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
                          "data": {"k": "one"}}


def pod(name: str, claim: str = "data") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "main", "image": "nginx",
                                     "env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}],
                                     "volumeMounts": [{"name": "d", "mountPath": "/data"},
                                                      {"name": "c", "mountPath": "/etc/cfg"}]}],
                     "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim}},
                                 {"name": "c", "configMap": {"name": "cfg"}}]}}


def run(state: rm.ClusterState, *events: ev.Event) -> rm.ClusterState:
    for e in events:
        result = rm.transition(state, e)
        assert result.ok, result.rejection
        state = rm.converge(result.state)
    return state


def judge(name: str, before: rm.ClusterState, after: rm.ClusterState, event: Any = "test") -> tuple[int, list[str]]:
    inv = BY_NAME[name]
    if inv.kind == "state":
        return inv.check(StateView(after), Context())  # type: ignore[no-any-return]
    return inv.check(Step(event, None, StateView(before), StateView(after)), Context())  # type: ignore[no-any-return]


def base() -> rm.ClusterState:
    return run(rm.new_cluster(2), ev.Apply(CLAIM), ev.Apply(CONFIG), ev.Apply(pod("one")))


def test_storage_invariants_are_registered_with_their_mutants() -> None:
    for inv, mutant in (("a claim's requested size never shrinks", "pvc-shrink-admitted"),
                        ("a bound claim stays bound to the same volume", "claim-unbound-when-idle"),
                        ("no data token is lost while its volume exists", "volume-data-overwritten"),
                        ("one ReadWriteOncePod claim is used by at most one pod", "rwop-ignored"),
                        ("a ConfigMap update reaches volume views and never env views", "env-follows-configmap")):
        assert inv in BY_NAME and inv in MUTANTS[mutant].expect and MUTANTS[mutant].machine == "storage"


def test_claim_request_growth_passes_and_shrink_fails() -> None:
    name = "a claim's requested size never shrinks"
    before = base()
    grown = run(before, ev.Apply({**CLAIM, "spec": {**CLAIM["spec"], "resources": {"requests": {"storage": "3Gi"}}}}))
    assert judge(name, before, grown) == (1, [])
    with applied(MUTANTS["pvc-shrink-admitted"]):
        shrunk = run(before, ev.Apply({**CLAIM, "spec": {**CLAIM["spec"], "resources": {"requests": {"storage": "1Gi"}}}}))
    n, bad = judge(name, before, shrunk)
    assert n == 1 and len(bad) == 1 and "went from 2147483648 to 1073741824 bytes" in bad[0], bad


def test_bound_claim_that_goes_pending_fails() -> None:
    name = "a bound claim stays bound to the same volume"
    before = base()
    grown = run(before, ev.Apply({**CLAIM, "spec": {**CLAIM["spec"], "resources": {"requests": {"storage": "3Gi"}}}}))
    assert judge(name, before, grown) == (1, [])
    claim = before.get("PersistentVolumeClaim", "default", "data")
    assert claim is not None
    pending = dict(claim)
    pending["status"] = {**claim["status"], "phase": "Pending"}
    after, response = send(before, rm.Request("update", body=pending, subresource="status"))
    assert response.rejection is None
    n, bad = judge(name, before, after)
    assert n == 1 and "phase Pending" in bad[0], bad


def test_replaced_pod_keeps_the_data_and_an_overwrite_fails() -> None:
    name = "no data token is lost while its volume exists"
    before = run(base(), ev.Delete("Pod", "default", "one"))
    assert judge(name, before, run(before, ev.Apply(pod("two"))))[1] == []
    with applied(MUTANTS["volume-data-overwritten"]):
        after = run(before, ev.Apply(pod("two")))
    n, bad = judge(name, before, after)
    assert n == 1 and "default/one@" in bad[0], bad


def test_second_pod_on_a_read_write_once_pod_claim_fails() -> None:
    name = "one ReadWriteOncePod claim is used by at most one pod"
    rwop = {**CLAIM, "spec": {**CLAIM["spec"], "accessModes": ["ReadWriteOncePod"]}}
    state = run(rm.new_cluster(2), ev.Apply(rwop), ev.Apply(CONFIG), ev.Apply(pod("one")), ev.Apply(pod("two")))
    assert judge(name, state, state) == (1, [])
    with applied(MUTANTS["rwop-ignored"]):
        bad_state = run(rm.new_cluster(2), ev.Apply(rwop), ev.Apply(CONFIG), ev.Apply(pod("one")), ev.Apply(pod("two")))
    n, bad = judge(name, bad_state, bad_state)
    assert n == 1 and "['one', 'two']" in bad[0], bad


def test_configmap_update_reaches_the_volume_and_not_the_env() -> None:
    name = "a ConfigMap update reaches volume views and never env views"
    before = base()
    event = ev.Apply({**CONFIG, "data": {"k": "two"}})
    assert judge(name, before, run(before, event), event) == (1, [])
    with applied(MUTANTS["env-follows-configmap"]):
        after = run(before, event)
        n, bad = judge(name, before, after, event)
    assert n == 1 and "environment became {'K': 'two'}" in bad[0], bad
