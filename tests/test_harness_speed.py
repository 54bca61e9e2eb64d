"""The suite's shortcuts change nothing it concludes: cached state verdicts, the identity fast path of
``diff_kind``, and the external adapter's wire values (:mod:`conformance.harness`, :mod:`conformance.view`,
:mod:`conformance.adapters.external`)."""

from __future__ import annotations

import json
from typing import Any

import refmodel as rm
from conformance.adapters import load
from conformance.adapters.external import ExternalAdapter
from conformance.harness import Run, Stats
from conformance.invariants import Context, Invariant, Verdict
from conformance.view import ListView, StateView, View, WatchView, diff_kind
from refmodel import events as ev

RS = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front", "namespace": "default"},
      "spec": {"replicas": 2, "selector": {"matchLabels": {"rs": "front"}},
               "template": {"metadata": {"labels": {"rs": "front"}},
                            "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"},
      "data": {"a": "1"}}


def _pod_counter(seen: list[int]) -> Invariant:
    def check(view: View, ctx: Context) -> Verdict:
        n = sum(1 for _ in view.objects("Pod"))
        seen.append(n)
        return n, []
    return Invariant("test: pods are counted", ("API-1",), "state", check, reads=("Pod",))


def test_a_state_verdict_is_reused_only_while_the_kinds_it_reads_are_unchanged() -> None:
    for adapter in ("external", "model"):
        seen: list[int] = []
        inv = _pod_counter(seen)
        stats = Stats()
        run = Run(load(adapter), stats, (inv,))
        assert seen == [], "a state invariant ran before the first step"
        run.do(ev.Apply(CM))  # no pod changes: the cached verdict stands
        assert seen == [0], f"{adapter}: evaluated {len(seen)} times over an unchanged pod list, but should be once"
        run.do(ev.Apply(RS))
        run.settle()  # pods are created: evaluated again, and the verdict is the new one
        assert seen[-1] == 2, f"{adapter}: the last evaluation counted {seen[-1]} pods, but 2 exist after settle"
        n = len(seen)
        run.do(ev.Apply({**CM, "data": {"a": "2"}}))
        assert len(seen) == n, f"{adapter}: re-evaluated after a ConfigMap write that touched no pod"
        run.do(ev.Scale("ReplicaSet", "default", "front", 3))
        run.settle()
        assert seen[-1] == 3, f"{adapter}: counted {seen[-1]} pods after scaling to 3, but should be 3"
        # every check is counted, cached or not, and premises follow the cached verdicts
        assert stats.checks[inv.name] > len(seen), (stats.checks[inv.name], len(seen))
        assert stats.premises[inv.name] >= 3 * (stats.checks[inv.name] - len(seen))


def _slow_diff(before: View, after: View, kind: str) -> set[tuple[str, str]]:
    """Every changed object as (key, JSON) pairs, by comparing whole lists (no identity shortcut)."""
    b = ListView(list(before.objects(kind)))
    a = ListView(list(after.objects(kind)))
    return {(json.dumps(o, sort_keys=True), json.dumps(n, sort_keys=True)) for o, n in diff_kind(b, a, kind)}


def _fast_diff(before: View, after: View, kind: str) -> set[tuple[str, str]]:
    return {(json.dumps(o, sort_keys=True), json.dumps(n, sort_keys=True)) for o, n in diff_kind(before, after, kind)}


def test_diff_kind_by_identity_finds_what_a_full_comparison_finds() -> None:
    events: list[Any] = [ev.Apply(RS), ev.Apply(CM), ev.Scale("ReplicaSet", "default", "front", 4),
                         ev.Delete("ConfigMap", "default", "cfg"), ev.ClockAdvanced(30)]
    state = rm.new_cluster(nodes=2)
    adapter = ExternalAdapter()
    adapter.state = state
    version, _, upserts, _ = adapter.changes("")
    watch = WatchView({}, 0, "").advance(version, True, upserts, [], 0)
    changed_somewhere = 0
    for event in events:
        for e in [event, *(e for e, _ in rm.converge_steps(rm.step(state, event)))]:
            new = rm.step(state, e)
            adapter.state = new
            version, relist, upserts, deletes = adapter.changes(watch.version_token)
            assert not relist
            nxt = watch.advance(version, False, upserts, deletes, 0)
            for kind in ("Pod", "ReplicaSet", "ConfigMap", "Node"):
                for b, a in ((StateView(state), StateView(new)), (watch, nxt)):
                    fast, slow = _fast_diff(b, a, kind), _slow_diff(b, a, kind)
                    assert fast == slow, f"{kind} after {e}: the identity path found {len(fast)} changes, " \
                                         f"but a full comparison finds {len(slow)}"
                    changed_somewhere += bool(fast)
            state, watch = new, nxt
    assert changed_somewhere > 10, "the sequence changed too little to test anything"


def test_the_external_adapter_answers_json_values_that_share_nothing_with_its_model() -> None:
    adapter = ExternalAdapter()
    out = adapter.apply(json.loads(json.dumps(RS)))
    assert out.status == "ok" and out.obj is not None
    assert out.obj == json.loads(json.dumps(out.obj)) and type(out.obj) is dict
    assert type(out.obj["spec"]["template"]["spec"]["containers"]) is list
    out.obj["spec"]["replicas"] = 99  # the caller owns the answer: the model is untouched
    assert adapter.state.get("ReplicaSet", "default", "front")["spec"]["replicas"] == 2
    adapter.settle()
    _, _, upserts, _ = adapter.changes("")
    assert upserts == json.loads(json.dumps(upserts)) and all(type(o) is dict for o in upserts)
    assert any(o["kind"] == "Pod" for o in upserts)
