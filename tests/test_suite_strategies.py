"""The strategies produce what they promise: valid manifests are accepted, invalid ones are rejected
naming their field, event sequences are replayable events."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refmodel as rm
import strategies as ks
from refmodel import events as ev
from strategies.invalid import CASES

CI = settings(max_examples=40, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
CLUSTER = rm.new_cluster(nodes=3)
for _ns in ks.NAMESPACES[1:]:
    CLUSTER = rm.apply_manifest(CLUSTER, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": _ns}})


@CI
@given(ks.valid_manifests())
def test_valid_manifests_are_accepted(manifest: dict) -> None:
    r = rm.transition(CLUSTER, ev.Apply(manifest))
    assert r.rejection is None, f"{manifest['kind']} was rejected: {r.rejection}, but the strategy promises valid"


@CI
@given(ks.deployments())
def test_deployments_never_zero_surge_and_unavailable(d: dict) -> None:
    ru = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    both = (ru.get("maxSurge"), ru.get("maxUnavailable"))
    assert not (both[0] in (0, "0%") and both[1] in (0, "0%")), f"rollingUpdate {ru}: both zero is invalid (D-2)"
    labels = d["spec"]["template"]["metadata"]["labels"]
    assert d["spec"]["selector"]["matchLabels"].items() <= labels.items(), "selector must match template labels"


def test_strategies_cover_the_variety_the_suite_needs() -> None:
    seen: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(ks.deployments())
    def collect(d: dict) -> None:
        spec = d["spec"]
        strategy = spec.get("strategy") or {}
        seen.add(strategy.get("type", "default"))
        for v in (strategy.get("rollingUpdate") or {}).values():
            seen.add("percent" if isinstance(v, str) else "int")
        for key in ("minReadySeconds", "revisionHistoryLimit", "paused"):
            if key in spec:
                seen.add(key)
        seen.add(d["metadata"]["namespace"])
        if any(c.get("resources", {}).get("requests", {}).get("cpu") == "5" for c in spec["template"]["spec"]["containers"]):
            seen.add("does-not-fit")

    collect()
    want = {"Recreate", "RollingUpdate", "percent", "int", "minReadySeconds", "revisionHistoryLimit", "paused",
            "does-not-fit", *ks.NAMESPACES}
    assert want <= seen, f"never generated: {sorted(want - seen)}"


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=5, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_invalid_manifests_name_their_field(case: str, data: st.DataObject) -> None:
    # ValidateDeploymentSpec / ValidateReplicaSetSpec / ValidatePodSpec error paths (validation_test.go)
    manifest, field = data.draw(ks.invalid_manifests(cases=(case,)), label="case")
    rej = rm.validate_manifest(CLUSTER, manifest)
    assert rej is not None, f"{case}: accepted, but must be rejected naming {field}"
    fields = [c.field for c in rej.causes]
    assert field in fields or field in rej.message, f"{case}: rejected naming {fields}, but must name {field}"


@CI
@given(ks.event_sequences(max_size=12))
def test_event_sequences_replay_and_serialise(events: list) -> None:
    state = CLUSTER
    for e in events:
        assert ev.event_from_dict(ev.event_to_dict(e)) == e, f"{e} does not survive event_to_dict/event_from_dict"
        state = rm.step(state, e)  # never raises for bad requests
    assert state.rv >= CLUSTER.rv


# TestStrategicMergePatch (staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go): two
# patch entries with one merge key merge into the one stored entry of that key
def test_a_duplicate_container_defect_only_a_create_sees() -> None:
    import copy

    import door

    from strategies.invalid import FOLDED_BY_MERGE, _template_duplicate_container

    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "front", "namespace": "default"},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"rs": "front"}},
                   "template": {"metadata": {"labels": {"rs": "front"}},
                                "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}}}}
    broken = copy.deepcopy(rs)
    field = _template_duplicate_container(broken)
    assert field in FOLDED_BY_MERGE
    created = door.apply(CLUSTER, broken)
    assert created.rejection is not None and field in str(created.rejection), \
        f"a create of two containers named main gave {created.rejection}, but it must be rejected naming {field}"
    stored = door.apply(CLUSTER, rs).state
    patched = door.apply(stored, broken)
    assert patched.rejection is None, f"the apply over the stored ReplicaSet was rejected: {patched.rejection}"
    containers = patched.state.get("ReplicaSet", "default", "front")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["main"], \
        f"the stored template has containers {[c['name'] for c in containers]}, but the merge folds the duplicate"
