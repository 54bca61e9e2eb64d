"""The direct-effect invariants (conformance/invariants/direct.py): each judges what an accepted request
stored with no oracle, passes on what upstream does and fails on the seeded bug's effect; the machines
reach their premises; their seeded bugs are named in the mutant list (tests/test_mutants.py runs every
kill)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from premise_runs import premises

import refmodel as rm
from conformance.adapters import Outcome
from conformance.invariants import BY_NAME, Context, Step, direct
from conformance.mutants import BY_NAME as MUTANTS
from conformance.view import ListView, StateView, View
from refmodel import events as ev
from refmodel.frozen import thaw

RS: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front", "namespace": "default"},
                      "spec": {"replicas": 2, "selector": {"matchLabels": {"rs": "front"}},
                               "template": {"metadata": {"labels": {"rs": "front"}},
                                            "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}}}
DEPLOY: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                                   "template": {"metadata": {"labels": {"app": "web"}},
                                                "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}}}


def _cluster(*manifests: dict[str, Any]) -> rm.ClusterState:
    s = rm.new_cluster(nodes=3)
    for m in manifests:
        r = rm.transition(s, ev.Apply(m))
        assert r.ok, r.rejection
        s = rm.converge(r.state)
    return s


def _step(state: rm.ClusterState, event: Any) -> tuple[Step, rm.ClusterState]:
    r = rm.transition(state, event)
    out = Outcome.rejected(r.rejection.reason) if r.rejection is not None else Outcome.ok(r.obj)  # type: ignore[arg-type]
    return Step(event, out, StateView(state), StateView(r.state)), r.state


def _edited(view: View, kind: str, ns: str, name: str, edit: Any) -> ListView:
    """The objects of ``view`` with one of them edited (what a buggy system would have stored)."""
    objs = []
    for k in ("Namespace", "Node", "Pod", "ReplicaSet", "Deployment"):
        for o in view.objects(k):
            o = thaw(o)
            if k == kind and o["metadata"].get("namespace", "") == ns and o["metadata"]["name"] == name:
                edit(o)
            objs.append(o)
    return ListView(objs, now=view.now)


# ---- scale (API-6) ------------------------------------------------------------------------------
def test_scale_sets_replicas_passes_on_the_model_and_fails_one_higher() -> None:
    s = _cluster(RS)
    step, _ = _step(s, ev.Scale("ReplicaSet", "default", "front", 4))
    assert direct.scale_sets_replicas(step, Context()) == (1, [])
    wrong = _edited(step.after, "ReplicaSet", "default", "front", lambda o: o["spec"].update(replicas=5))
    n, bad = direct.scale_sets_replicas(Step(step.event, Outcome.ok(), step.before, wrong), Context())
    assert n == 1 and bad and "spec.replicas=5" in bad[0] and "should be 4" in bad[0], bad


def test_scale_rejected_is_not_judged() -> None:
    s = _cluster(RS)
    step, _ = _step(s, ev.Scale("ReplicaSet", "default", "front", -1))
    assert step.outcome is not None and step.outcome.status == "rejected"
    assert direct.scale_sets_replicas(step, Context()) == (0, [])


# ---- apply (API-7) ------------------------------------------------------------------------------
def test_apply_stores_the_manifest_after_defaulting() -> None:
    s = _cluster(DEPLOY)
    changed = copy.deepcopy(DEPLOY)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    changed["spec"]["strategy"] = {"type": "RollingUpdate"}  # defaulting fills rollingUpdate: not judged
    step, _ = _step(s, ev.Apply(changed))
    assert direct.apply_stores_the_manifest(step, Context()) == (1, [])

    def keep_old(o: dict[str, Any]) -> None:
        o["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"

    wrong = _edited(step.after, "Deployment", "default", "web", keep_old)
    n, bad = direct.apply_stores_the_manifest(Step(step.event, Outcome.ok(), step.before, wrong), Context())
    assert n == 1 and bad and "spec.template.spec.containers[0].image='nginx:1.25'" in bad[0], bad


def test_apply_after_an_undo_keeps_a_container_the_last_apply_did_not_have() -> None:
    # conformance --machines rollout --seed 29 (shrunk by hand): an undo restores a sidecar that the last
    # applied manifest does not list; the next apply's three-way strategic merge keeps it (it was "added by
    # others"), so the stored list has more items than the manifest, and that is not a violation
    two = copy.deepcopy(DEPLOY)
    two["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "redis:7.2"})
    one = copy.deepcopy(DEPLOY)
    one["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    s = _cluster(two, one)
    s = rm.converge(rm.transition(s, ev.RolloutUndo("default", "web")).state)
    d = s.get("Deployment", "default", "web")
    assert d is not None and [c["name"] for c in d["spec"]["template"]["spec"]["containers"]] == ["main", "sidecar"]
    again = copy.deepcopy(one)
    again["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    step, after = _step(s, ev.Apply(again))
    stored = after.get("Deployment", "default", "web")
    assert stored is not None and [c["name"] for c in stored["spec"]["template"]["spec"]["containers"]] == [
        "main", "sidecar"], "the sidecar restored by the undo was dropped, but apply keeps what others added"
    assert direct.apply_stores_the_manifest(step, Context()) == (1, [])

    def drop_main(o: dict[str, Any]) -> None:
        o["spec"]["template"]["spec"]["containers"] = o["spec"]["template"]["spec"]["containers"][1:]

    wrong = _edited(step.after, "Deployment", "default", "web", drop_main)
    n, bad = direct.apply_stores_the_manifest(Step(step.event, Outcome.ok(), step.before, wrong), Context())
    assert n == 1 and bad and "missing" in bad[0], bad


def test_apply_that_drops_a_repeat_of_the_last_applied_configuration_may_delete_the_name() -> None:
    # kubernetes/kubernetes#58477 (kubectl#1750): found by a default conformance run (mixed machine). An apply
    # onto a live Deployment repeats container "main" (the patch merges the two into one: accepted); the next
    # apply lists "main" once with a sidecar, and the three-way patch's diff of the sorted configurations
    # (strategicpatch diffListsOfMaps) sends a delete directive for "main": every "main" goes
    dup = copy.deepcopy(DEPLOY)
    dup["spec"]["template"]["spec"]["containers"].append({"name": "main", "image": "nginx:1.25"})
    s = _cluster(DEPLOY, dup)
    fixed = copy.deepcopy(DEPLOY)
    fixed["spec"]["template"]["spec"]["containers"] = [{"name": "main", "image": "nginx:1.26"},
                                                       {"name": "sidecar", "image": "redis:7.2"}]
    step, after = _step(s, ev.Apply(fixed))
    stored = after.get("Deployment", "default", "web")
    assert stored is not None and [c["name"] for c in stored["spec"]["template"]["spec"]["containers"]] == [
        "sidecar"], "the model no longer deletes a name the last applied configuration repeated (upstream does)"
    assert direct.apply_stores_the_manifest(step, Context()) == (1, [])

    def drop_sidecar(o: dict[str, Any]) -> None:  # a name the last configuration did not repeat is still judged
        o["spec"]["template"]["spec"]["containers"] = []

    wrong = _edited(step.after, "Deployment", "default", "web", drop_sidecar)
    n, bad = direct.apply_stores_the_manifest(Step(step.event, Outcome.ok(), step.before, wrong), Context())
    assert n == 1 and bad and "containers[1] (name 'sidecar') is missing" in bad[0], bad
    # without the repeat in the previous configuration, a missing "main" is a violation
    plain = _cluster(DEPLOY)
    step, _ = _step(plain, ev.Apply(fixed))
    wrong = _edited(step.after, "Deployment", "default", "web", drop_sidecar)
    n, bad = direct.apply_stores_the_manifest(Step(step.event, Outcome.ok(), step.before, wrong), Context())
    assert n == 1 and bad and "containers[0] (name 'main') is missing" in bad[0], bad


def test_apply_judges_defaulted_values_and_not_fields_the_manifest_omits() -> None:
    # the stored object has more than the manifest (status, defaults, annotations): only the manifest's own
    # fields are compared, with the values defaulting gives them
    got = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "web", "namespace": "default", "uid": "u", "annotations": {"a": "b"}},
           "spec": {"replicas": 1, "progressDeadlineSeconds": 600}, "status": {"replicas": 1}}

    def first(manifest: dict[str, Any], stored: dict[str, Any]) -> str | None:
        return direct._first_mismatch((), manifest, stored, direct._Defaulted(manifest))

    # SetDefaults_Deployment gives replicas 1: a manifest without it is not judged on it, one with 2 is
    assert first({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {}}, got) is None
    hit = first({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 2}}, got)
    assert hit is not None and "spec.replicas=1" in hit and "has 2" in hit, hit
    hit = first({"kind": "ConfigMap", "data": {"x": [1, 2]}}, {"kind": "ConfigMap", "data": {"x": [1]}})
    assert hit is not None and "data.x" in hit and "2 item(s)" in hit, hit


# ---- delete (API-8, GC-2, GC-3) -----------------------------------------------------------------
def test_delete_marks_or_removes_and_records_the_cascade() -> None:
    s = _cluster(RS)
    ctx = Context()
    step, _ = _step(s, ev.Delete("ReplicaSet", "default", "front", "Background"))
    assert direct.delete_marks_or_removes(step, ctx) == (1, [])
    owner_uid = s.get("ReplicaSet", "default", "front")["metadata"]["uid"]  # type: ignore[index]
    _, policy, deps = ctx.cascades[owner_uid]
    assert policy == "Background" and len(deps) == 2, ctx.cascades
    kept = ListView([thaw(o) for k in ("Pod", "ReplicaSet") for o in StateView(s).objects(k)], now=step.after.now)
    n, bad = direct.delete_marks_or_removes(Step(step.event, Outcome.ok(), step.before, kept), Context())
    assert n == 1 and bad and "no deletionTimestamp" in bad[0], bad


def test_cascaded_dependents_are_deleted_at_settle() -> None:
    s = _cluster(RS)
    ctx = Context()
    step, after = _step(s, ev.Delete("ReplicaSet", "default", "front", "Foreground"))
    direct.delete_marks_or_removes(step, ctx)
    settled = StateView(rm.converge(after))
    assert direct.cascaded_dependents_are_deleted(settled, ctx) == (2, [])
    assert not ctx.cascades  # judged and done
    # the same delete turned into an orphaning one: the pods survive without their owner reference
    ctx = Context()
    direct.delete_marks_or_removes(step, ctx)
    orphaned = StateView(rm.converge(rm.transition(s, ev.Delete("ReplicaSet", "default", "front", "Orphan")).state))
    n, bad = direct.cascaded_dependents_are_deleted(orphaned, ctx)
    assert n == 2 and len(bad) == 2 and "propagationPolicy=Foreground" in bad[0], bad


# TestStoreDeleteWithOrphanDependents (registry/store_test.go): a second DELETE re-decides the GC
# finalizers; "orphan" is swapped for "foregroundDeletion", or dropped
def test_store_delete_with_orphan_dependents_then_foreground_deletes_the_dependents() -> None:
    s = _cluster(RS)
    s = rm.transition(s, ev.Delete("ReplicaSet", "default", "front", "Orphan")).state
    rs = s.get("ReplicaSet", "default", "front")
    assert rs is not None and rs["metadata"]["finalizers"] == ("orphan",), rs and rs["metadata"]
    s = rm.transition(s, ev.Delete("ReplicaSet", "default", "front", "Foreground")).state
    rs = s.get("ReplicaSet", "default", "front")
    assert rs is not None and rs["metadata"]["finalizers"] == ("foregroundDeletion",), (
        f"finalizers {rs and rs['metadata'].get('finalizers')}, but a Foreground re-delete swaps 'orphan' for "
        "'foregroundDeletion'")
    s = rm.converge(s)
    assert s.count("Pod", "default") == 0, [p["metadata"]["name"] for p in s.iter_kind("Pod", "default")]
    assert s.get("ReplicaSet", "default", "front") is None


def test_store_delete_with_orphan_dependents_then_background_deletes_the_owner_at_once() -> None:
    s = _cluster(RS)
    s = rm.transition(s, ev.Delete("ReplicaSet", "default", "front", "Orphan")).state
    s = rm.transition(s, ev.Delete("ReplicaSet", "default", "front", "Background")).state
    assert s.get("ReplicaSet", "default", "front") is None, (
        "the ReplicaSet is still there, but a Background re-delete drops the 'orphan' finalizer and, with no "
        "finalizer left, deletes it at once")
    s = rm.converge(s)
    assert s.count("Pod", "default") == 0, "the ReplicaSet's pods were orphaned, but the Background delete won"


@pytest.mark.parametrize(("finalizers", "propagation", "want"), [
    # deletionFinalizersForGarbageCollection, as TestStoreDeleteWithOrphanDependents's table checks it
    ([], None, []),
    ([], "Background", []),
    ([], "Orphan", ["orphan"]),
    ([], "Foreground", ["foregroundDeletion"]),
    (["orphan"], None, ["orphan"]),
    (["orphan"], "Background", []),
    (["orphan"], "Foreground", ["foregroundDeletion"]),
    (["foregroundDeletion"], None, ["foregroundDeletion"]),
    (["foregroundDeletion"], "Orphan", ["orphan"]),
    (["example.com/x", "orphan"], "Foreground", ["example.com/x", "foregroundDeletion"]),
    (["example.com/x", "orphan"], "Orphan", ["example.com/x", "orphan"]),
])
def test_store_delete_with_orphan_dependents_table(finalizers: list[str], propagation: str | None, want: list[str]) -> None:
    from refmodel.apiserver import gc_finalizers

    got = gc_finalizers(finalizers, propagation)
    assert got == want, f"finalizers {got}, but a DELETE with {propagation} on {finalizers} leaves {want}"


# ---- the machines reach the premises; the seeded bugs exist -------------------------------------
_DIRECT = {inv.name for inv in direct.INVARIANTS}


def test_the_machines_reach_the_direct_premises() -> None:
    counts = premises("replicaset", "deployment")  # the machines of their seeded bugs
    vacuous = sorted(name for name in _DIRECT if not counts[name])
    assert not vacuous, f"never reached the premise of {vacuous}"


def test_every_direct_invariant_has_a_seeded_bug() -> None:
    caught = {name for m in MUTANTS.values() for name in m.expect}
    assert caught >= _DIRECT, f"no mutant expects {sorted(_DIRECT - caught)}"
    assert all(name in BY_NAME for m in MUTANTS.values() for name in m.expect if name in _DIRECT)


def test_orphaned_dependents_of_a_namespace_being_deleted_may_go() -> None:
    # the namespace controller deletes everything in a terminating namespace, orphans included (NS-2)
    from conformance.invariants import gc

    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    rs = {**RS, "metadata": {"name": "front", "namespace": "team-a"}}
    s = _cluster(ns, rs)
    owner = s.get("ReplicaSet", "team-a", "front")
    assert owner is not None
    pods = tuple(p["metadata"]["uid"] for p in s.iter_kind("Pod", "team-a"))
    ctx = Context(deleted={owner["metadata"]["uid"]: ("ReplicaSet", "team-a", "front", "Orphan")},
                  orphaned={owner["metadata"]["uid"]: pods})
    s = rm.transition(s, ev.Delete("ReplicaSet", "team-a", "front", "Orphan")).state
    gone = rm.converge(rm.transition(s, ev.Delete("Namespace", "", "team-a", "Background")).state)
    assert gc.orphaned_dependents_survive(StateView(gone), ctx) == (0, [])
    # the same pods gone from a namespace that stays: a violation
    removed = rm.converge(s)  # the owner is gone, its pods orphaned
    for uid in pods:
        p = removed.by_uid_get(uid)
        removed = rm.transition(removed, ev.PodKilled("team-a", p["metadata"]["name"])).state  # type: ignore[index]
    n, bad = gc.orphaned_dependents_survive(StateView(removed), ctx)
    assert n == 2 and len(bad) == 2 and "must be kept" in bad[0], bad


ORPHAN_THEN_EVICTED = """\
machine: nodes
adapter: model
events:
- event: Apply
  obj:
    apiVersion: apps/v1
    kind: ReplicaSet
    metadata: {name: front, namespace: default}
    spec:
      replicas: 1
      selector:
        matchLabels: {rs: front}
      template:
        metadata:
          labels: {rs: front}
        spec:
          containers:
          - {name: main, image: 'nginx:1.25'}
          terminationGracePeriodSeconds: 0
- {event: NodeFailed, node: node-0}
- {event: Reconcile, controller: replicaset, key: default/front}
- {event: Delete, kind: ReplicaSet, namespace: default, name: front, propagation: Orphan}
- {event: Settle}
"""


def test_a_pod_orphaned_before_binding_and_evicted_from_a_failed_node_may_go(tmp_path: Any,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # found by a default conformance run (nodes machine): the orphan is bound to the failed node after the Orphan
    # deletion, and the taint manager evicts it (zero grace period: gone) before the settle ends
    from conformance import replay

    script = tmp_path / "orphan.yaml"
    script.write_text(ORPHAN_THEN_EVICTED)
    rc = replay.main([str(script)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "must be kept" not in out


# ---- rollout undo (deployments.undo_restores_the_revision, strengthened) ------------------------
def test_undo_with_no_previous_revision_must_be_rejected() -> None:
    # kubectl rollback.go deploymentRevision: "no rollout history found" when only one revision exists
    from conformance.invariants import deployments

    s = _cluster(DEPLOY)
    step, _ = _step(s, ev.RolloutUndo("default", "web", 0))
    assert step.outcome is not None and step.outcome.status == "rejected"
    assert deployments.undo_restores_the_revision(step, Context()) == (1, [])
    accepted = Step(step.event, Outcome.ok(), step.before, step.after)
    n, bad = deployments.undo_restores_the_revision(accepted, Context())
    assert n == 1 and bad and "with no previous revision succeeded" in bad[0], bad
