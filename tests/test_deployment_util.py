"""Unit tests of refmodel.controllers.deployment_util, mirroring upstream's deployment_util_test.go tables.

Upstream: kubernetes/kubernetes pkg/controller/deployment/util/deployment_util_test.go (and
sync_test.go TestScale for the proportions). Cases keep upstream's names or table indices.
"""

from __future__ import annotations

from typing import Any

import pytest

from refmodel.controllers import deployment_util as du
from refmodel.frozen import FrozenDict, freeze
from refmodel.intstr import IntOrStringError
from refmodel.state import format_time, parse_time

T0 = parse_time("2016-05-20T00:00:00Z")


def deployment(name: str = "nginx", replicas: int = 1, max_surge: Any = 0, max_unavailable: Any = 0,
               strategy: str = "RollingUpdate", status: dict[str, Any] | None = None,
               annotations: dict[str, str] | None = None, pds: int | None = None,
               generation: int = 0) -> FrozenDict:
    """generateDeployment / newDeployment: selector and template labels {name: <image>}."""
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"name": name}},
        "template": {"metadata": {"labels": {"name": name}},
                     "spec": {"containers": [{"name": name, "image": name, "imagePullPolicy": "Always"}]}},
        "strategy": {"type": strategy},
    }
    if strategy == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": max_surge, "maxUnavailable": max_unavailable}
    if pds is not None:
        spec["progressDeadlineSeconds"] = pds
    md: dict[str, Any] = {"name": name, "namespace": "default", "uid": f"uid-{name}", "generation": generation}
    if annotations:
        md["annotations"] = annotations
    return freeze({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md, "spec": spec,
                   "status": status or {}})


def rs_from(d: FrozenDict, name: str, replicas: int = 0, created: int = 0, hash_label: str | None = None,
            annotations: dict[str, str] | None = None, status: dict[str, Any] | None = None,
            uid: str | None = None) -> FrozenDict:
    """generateRS: the deployment's template, optionally with a pod-template-hash label."""
    template = dict(d["spec"]["template"])
    labels = dict(template["metadata"]["labels"])
    if hash_label is not None:
        labels[du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = hash_label
    template = {**template, "metadata": {"labels": labels}}
    md: dict[str, Any] = {"name": name, "namespace": "default", "uid": uid or f"uid-{name}",
                          "creationTimestamp": format_time(T0 + created), "labels": labels}
    if annotations:
        md["annotations"] = annotations
    return freeze({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": md,
                   "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
                   "status": status or {}})


# ---------------------------------------------------------------------------------------------
# TestResolveFenceposts (cases are numbered in upstream: t.Run(fmt.Sprintf("%d", num)))
# ---------------------------------------------------------------------------------------------
RESOLVE_FENCEPOSTS = [
    # num, maxSurge, maxUnavailable, desired, surge, unavailable, error
    (0, "0%", "0%", 0, 0, 1, False),
    (1, "39%", "39%", 10, 4, 3, False),
    (2, "oops", "39%", 10, 0, 0, True),
    (3, "55%", "urg", 10, 0, 0, True),
    (4, None, "39%", 10, 0, 3, False),
    (5, "39%", None, 10, 4, 0, False),
    (6, None, None, 10, 0, 1, False),
]


@pytest.mark.parametrize(("num", "max_surge", "max_unavailable", "desired", "surge", "unavailable", "error"),
                         RESOLVE_FENCEPOSTS, ids=[str(c[0]) for c in RESOLVE_FENCEPOSTS])
def test_resolve_fenceposts(num: int, max_surge: str | None, max_unavailable: str | None, desired: int,
                            surge: int, unavailable: int, error: bool) -> None:
    # TestResolveFenceposts
    if error:
        with pytest.raises(IntOrStringError):
            du.resolve_fenceposts(max_surge, max_unavailable, desired)
        return
    got = du.resolve_fenceposts(max_surge, max_unavailable, desired)
    assert got == (surge, unavailable), (
        f"resolve_fenceposts({max_surge!r}, {max_unavailable!r}, {desired})={got}, but should be "
        f"{(surge, unavailable)} [TestResolveFenceposts #{num}]")


# ---------------------------------------------------------------------------------------------
# TestMaxUnavailable / TestMinAvailable
# ---------------------------------------------------------------------------------------------
MAX_UNAVAILABLE = [
    ("maxUnavailable less than replicas", 10, 5, 5),
    ("maxUnavailable equal replicas", 10, 10, 10),
    ("maxUnavailable greater than replicas", 5, 10, 5),
    ("maxUnavailable with replicas is 0", 0, 10, 0),
    ("maxUnavailable with Recreate deployment strategy", None, None, 0),
    ("maxUnavailable less than replicas with percents", 10, "50%", 5),
    ("maxUnavailable equal replicas with percents", 10, "100%", 10),
    ("maxUnavailable greater than replicas with percents", 5, "100%", 5),
]


@pytest.mark.parametrize(("name", "replicas", "max_unavailable", "expected"), MAX_UNAVAILABLE,
                         ids=[c[0] for c in MAX_UNAVAILABLE])
def test_max_unavailable(name: str, replicas: int | None, max_unavailable: Any, expected: int) -> None:
    # TestMaxUnavailable
    if replicas is None:
        d = deployment(replicas=1, strategy="Recreate")
    else:
        d = deployment(replicas=replicas, max_surge=1, max_unavailable=max_unavailable)
    got = du.max_unavailable(d)
    assert got == expected, f"max_unavailable={got}, but should be {expected} [TestMaxUnavailable {name!r}]"


MIN_AVAILABLE = [
    ("replicas greater than maxUnavailable", 10, 5, 5),
    ("replicas equal maxUnavailable", 10, 10, 0),
    ("replicas less than maxUnavailable", 5, 10, 0),
    ("replicas is 0", 0, 10, 0),
    ("minAvailable with Recreate deployment strategy", None, None, 0),
    ("replicas greater than maxUnavailable with percents", 10, "60%", 4),
    ("replicas equal maxUnavailable with percents", 10, "100%", 0),
    ("replicas less than maxUnavailable with percents", 5, "100%", 0),
]


@pytest.mark.parametrize(("name", "replicas", "max_unavailable", "expected"), MIN_AVAILABLE,
                         ids=[c[0] for c in MIN_AVAILABLE])
def test_min_available(name: str, replicas: int | None, max_unavailable: Any, expected: int) -> None:
    # TestMinAvailable
    if replicas is None:
        d = deployment(replicas=10, strategy="Recreate")
    else:
        d = deployment(replicas=replicas, max_surge=1, max_unavailable=max_unavailable)
    got = du.min_available(d)
    assert got == expected, f"min_available={got}, but should be {expected} [TestMinAvailable {name!r}]"


def test_max_surge_is_not_clamped() -> None:
    # MaxSurge (deployment_util.go): scaled with round-up, never clamped to replicas; 0 for Recreate
    assert du.max_surge(deployment(replicas=10, max_surge="39%", max_unavailable=0)) == 4
    assert du.max_surge(deployment(replicas=2, max_surge=10, max_unavailable=0)) == 10
    assert du.max_surge(deployment(replicas=2, strategy="Recreate")) == 0


# ---------------------------------------------------------------------------------------------
# TestNewRSNewReplicas
# ---------------------------------------------------------------------------------------------
NEW_RS_NEW_REPLICAS = [
    ("can not scale up - to newRSReplicas", "RollingUpdate", 1, 5, 1, 5),
    ("scale up - to depReplicas", "RollingUpdate", 6, 2, 10, 6),
    ("recreate - to depReplicas", "Recreate", 3, 1, 1, 3),
]


@pytest.mark.parametrize(("name", "strategy", "dep_replicas", "new_rs_replicas", "max_surge", "expected"),
                         NEW_RS_NEW_REPLICAS, ids=[c[0] for c in NEW_RS_NEW_REPLICAS])
def test_new_rs_new_replicas(name: str, strategy: str, dep_replicas: int, new_rs_replicas: int, max_surge: int,
                             expected: int) -> None:
    # TestNewRSNewReplicas
    d = deployment(replicas=dep_replicas, max_surge=max_surge, max_unavailable=1)
    if strategy == "Recreate":
        d = freeze({**d, "spec": {**d["spec"], "strategy": {"type": "Recreate"}}})
    new_rs = rs_from(d, "new", new_rs_replicas)
    rs5 = rs_from(d, "rs5", 5)
    got = du.new_rs_new_replicas(d, [rs5], new_rs)
    assert got == expected, f"new_rs_new_replicas={got}, but should be {expected} [TestNewRSNewReplicas {name!r}]"


# ---------------------------------------------------------------------------------------------
# TestGetReplicaSetFraction and GetProportion
# ---------------------------------------------------------------------------------------------
FRACTION = [
    # name, deploymentReplicas, deploymentStatusReplicas, maxSurge, rsReplicas, annotations, expected
    ("empty deployment always scales to 0", 0, 0, 0, 10, None, -10),
    ("unsynced deployment does not scale when max-replicas annotation is missing (removed by a 3rd party)",
     10, 0, 0, 5, None, 0),
    ("unsynced deployment does not scale when max-replicas annotation is incorrectly set to 0 (by a 3rd party)",
     10, 0, 0, 5, {du.MAX_REPLICAS_ANNOTATION: "0"}, 0),
    ("scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is missing "
     "(removed by a 3rd party)", 120, 100, 0, 50, None, 10),
    ("scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is incorrectly set to 0 "
     "(by a 3rd party)", 120, 100, 0, 50, {du.MAX_REPLICAS_ANNOTATION: "0"}, 10),
    ("scale up by 1/5 should increase RS replicas by 1/5", 120, 0, 0, 50, {du.MAX_REPLICAS_ANNOTATION: "100"}, 10),
    ("scale up with maxSurge by 1/5 should increase RS replicas approximately by 1/5", 120, 0, 10, 50,
     {du.MAX_REPLICAS_ANNOTATION: "110"}, 9),
    ("scale down by 1/6 should decrease RS replicas by 1/6", 10, 0, 0, 6, {du.MAX_REPLICAS_ANNOTATION: "12"}, -1),
    ("scale down with maxSurge by 1/6 should decrease RS replicas approximately by 1/6", 100, 0, 10, 50,
     {du.MAX_REPLICAS_ANNOTATION: "130"}, -8),
]


@pytest.mark.parametrize(("name", "d_replicas", "d_status_replicas", "max_surge", "rs_replicas", "annotations",
                          "expected"), FRACTION, ids=[c[0][:60] for c in FRACTION])
def test_get_replica_set_fraction(name: str, d_replicas: int, d_status_replicas: int, max_surge: int,
                                  rs_replicas: int, annotations: dict[str, str] | None, expected: int) -> None:
    # TestGetReplicaSetFraction
    d = deployment(replicas=d_replicas, max_surge=max_surge, max_unavailable=1,
                   status={"replicas": d_status_replicas})
    rs = rs_from(d, "rs", rs_replicas, annotations=annotations)
    got = du.get_replica_set_fraction(rs, d)
    assert got == expected, f"fraction={got}, but should be {expected} [TestGetReplicaSetFraction {name!r}]"


def test_get_replica_set_fraction_rounds_half_away_from_zero() -> None:
    # getReplicaSetFraction uses integer.RoundToInt32 (math.Round): 1 * 5 / 2 = 2.5 -> 3, not 2 (Z5)
    d = deployment(replicas=5, max_surge=0, max_unavailable=1)
    rs = rs_from(d, "rs", 1, annotations={du.MAX_REPLICAS_ANNOTATION: "2"})
    got = du.get_replica_set_fraction(rs, d)
    assert got == 2, f"fraction={got}, but should be 2 (round(2.5) = 3, minus 1 replica)"
    d = deployment(replicas=1, max_surge=0, max_unavailable=1)
    rs = rs_from(d, "rs", 3, annotations={du.MAX_REPLICAS_ANNOTATION: "2"})
    got = du.get_replica_set_fraction(rs, d)
    assert got == -1, f"fraction={got}, but should be -1 (round(1.5) = 2, minus 3 replicas)"


@pytest.mark.parametrize(("value", "expected"), [(2.5, 3), (-2.5, -3), (0.5, 1), (1.49, 1), (-0.4, 0), (3.0, 3)])
def test_go_round_half_away_from_zero(value: float, expected: int) -> None:
    # math.Round as used by integer.RoundToInt32 in getReplicaSetFraction
    assert du.go_round(value) == expected, f"go_round({value})={du.go_round(value)}, but should be {expected}"


def test_get_proportion() -> None:
    # GetProportion: no upstream table; the steps of TestScale "proportional scaling: 5 -> 10" and
    # "proportional scaling: 5 -> 3" (sync_test.go), computed one replica set at a time.
    old_d = deployment(replicas=5)
    rs_v1 = rs_from(old_d, "foo-v1", 3, annotations={du.MAX_REPLICAS_ANNOTATION: "5"})
    rs_v2 = rs_from(old_d, "foo-v2", 2, annotations={du.MAX_REPLICAS_ANNOTATION: "5"})
    up = deployment(replicas=10)
    assert du.get_proportion(rs_v1, up, 5, 0) == 3  # round(3*10/5) - 3 = 3, min(3, 5)
    assert du.get_proportion(rs_v2, up, 5, 3) == 2  # round(2*10/5) - 2 = 2, min(2, 2)
    assert du.get_proportion(rs_v2, up, 5, 5) == 0  # nothing left to add
    down = deployment(replicas=3)
    assert du.get_proportion(rs_v1, down, -2, 0) == -1  # round(1.8) - 3 = -1, max(-1, -2)
    assert du.get_proportion(rs_v2, down, -2, -1) == -1  # round(1.2) - 2 = -1, max(-1, -1)
    assert du.get_proportion(rs_from(old_d, "zero", 0), up, 5, 0) == 0  # an empty RS gets nothing
    assert du.get_proportion(None, up, 5, 0) == 0


# ---------------------------------------------------------------------------------------------
# TestDeploymentComplete / TestDeploymentProgressing / TestDeploymentTimedOut
# ---------------------------------------------------------------------------------------------
COMPLETE = [
    ("not complete: min but not all pods become available", (5, 5, 5, 4, 1, 0), False),
    ("not complete: min availability is not honored", (5, 5, 5, 3, 1, 0), False),
    ("complete", (5, 5, 5, 5, 0, 0), True),
    ("not complete: all pods are available but not updated", (5, 5, 4, 5, 0, 0), False),
    ("not complete: still running old pods", (1, 2, 1, 1, 0, 1), False),
    ("not complete: one replica deployment never comes up", (1, 1, 1, 0, 1, 1), False),
]


@pytest.mark.parametrize(("name", "args", "expected"), COMPLETE, ids=[c[0] for c in COMPLETE])
def test_deployment_complete(name: str, args: tuple[int, ...], expected: bool) -> None:
    # TestDeploymentComplete
    desired, current, updated, available, max_unavailable, max_surge = args
    status = {"replicas": current, "updatedReplicas": updated, "availableReplicas": available}
    d = deployment(replicas=desired, max_surge=max_surge, max_unavailable=max_unavailable, status=status)
    got = du.deployment_complete(d, d["status"])
    assert got == expected, f"deployment_complete={got}, but should be {expected} [TestDeploymentComplete {name!r}]"


PROGRESSING = [
    ("progressing: updated pods", (10, 4, 4, 4), (10, 6, 4, 4), True),
    ("not progressing", (10, 4, 4, 4), (10, 4, 4, 4), False),
    ("progressing: old pods removed", (10, 4, 6, 6), (8, 4, 6, 6), True),
    ("not progressing: less new pods", (10, 7, 3, 3), (10, 6, 3, 3), False),
    ("progressing: less overall but more new pods", (10, 4, 7, 7), (8, 8, 5, 5), True),
    ("progressing: more ready pods", (10, 10, 9, 8), (10, 10, 10, 8), True),
    ("progressing: more available pods", (10, 10, 10, 9), (10, 10, 10, 10), True),
]


def _counts(t: tuple[int, int, int, int]) -> dict[str, int]:
    return dict(zip(("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"), t))


@pytest.mark.parametrize(("name", "old", "new", "expected"), PROGRESSING, ids=[c[0] for c in PROGRESSING])
def test_deployment_progressing(name: str, old: tuple[int, int, int, int], new: tuple[int, int, int, int],
                                expected: bool) -> None:
    # TestDeploymentProgressing
    d = deployment(status=_counts(old))
    got = du.deployment_progressing(d, _counts(new))
    assert got == expected, (f"deployment_progressing={got}, but should be {expected} "
                             f"[TestDeploymentProgressing {name!r}]")


def _at(minute: int, second: int) -> int:
    return parse_time(f"2016-01-01T00:{minute:02d}:{second:02d}Z")


TIMED_OUT = [
    ("nil progressDeadlineSeconds specified - no timeout", None, "", _at(1, 9), _at(1, 20), False),
    ("infinite progressDeadlineSeconds specified - no timeout", du.MAX_INT32, "", _at(1, 9), _at(1, 20), False),
    ("progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s", 10, "", _at(1, 9), _at(1, 20),
     True),
    ("progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s", 10, "", _at(1, 11), _at(1, 20),
     False),
    ("previous status was a complete deployment", None, du.NEW_RS_AVAILABLE_REASON, _at(0, 0), _at(1, 20), False),
]


@pytest.mark.parametrize(("name", "pds", "reason", "frm", "now", "expected"), TIMED_OUT,
                         ids=[c[0] for c in TIMED_OUT])
def test_deployment_timed_out(name: str, pds: int | None, reason: str, frm: int, now: int, expected: bool) -> None:
    # TestDeploymentTimedOut
    cond = {"type": "Progressing", "status": "True", "reason": reason, "lastUpdateTime": format_time(frm)}
    d = deployment(pds=pds, status={"conditions": [cond]})
    got = du.deployment_timed_out(d, d["status"], now)
    assert got == expected, f"deployment_timed_out={got}, but should be {expected} [TestDeploymentTimedOut {name!r}]"


def test_deployment_timed_out_is_strict() -> None:
    # DeploymentTimedOut: from.Add(delta).Before(now) -- exactly at the deadline it has not timed out (Z21)
    cond = {"type": "Progressing", "status": "True", "reason": du.REPLICA_SET_UPDATED_REASON,
            "lastUpdateTime": format_time(_at(1, 0))}
    d = deployment(pds=10, status={"conditions": [cond]})
    assert not du.deployment_timed_out(d, d["status"], _at(1, 10)), "timed out at lastUpdateTime + pds exactly"
    assert du.deployment_timed_out(d, d["status"], _at(1, 11)), "not timed out one second after the deadline"
    failed = {"type": "Progressing", "status": "False", "reason": du.TIMED_OUT_REASON}
    d = deployment(pds=10, status={"conditions": [failed]})
    assert du.deployment_timed_out(d, d["status"], _at(0, 0)), "a ProgressDeadlineExceeded condition must stay timed out"


# ---------------------------------------------------------------------------------------------
# TestEqualIgnoreHash / TestFindNewReplicaSet / TestFindOldReplicaSets
# ---------------------------------------------------------------------------------------------
def _tmpl(name: str, node: str, annotations: dict[str, str], labels: dict[str, str]) -> FrozenDict:
    """generatePodTemplateSpec."""
    md: dict[str, Any] = {"name": name, "labels": labels}
    if annotations:
        md["annotations"] = annotations
    return freeze({"metadata": md, "spec": {"nodeName": node}})


H = du.DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY
EQUAL_IGNORE_HASH = [
    ("Same spec, same labels", _tmpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
     _tmpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}), True),
    ("Same spec, only pod-template-hash label value is different",
     _tmpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
     _tmpl("foo", "foo-node", {}, {H: "value-2", "something": "else"}), True),
    ("Same spec, the former doesn't have pod-template-hash label", _tmpl("foo", "foo-node", {}, {"something": "else"}),
     _tmpl("foo", "foo-node", {}, {H: "value-2", "something": "else"}), True),
    ("Same spec, the label is different, the former doesn't have pod-template-hash label, same number of labels",
     _tmpl("foo", "foo-node", {}, {"something": "else"}), _tmpl("foo", "foo-node", {}, {H: "value-2"}), False),
    ("Same spec, the label is different, the latter doesn't have pod-template-hash label, same number of labels",
     _tmpl("foo", "foo-node", {}, {H: "value-1"}), _tmpl("foo", "foo-node", {}, {"something": "else"}), False),
    ("Same spec, the label is different, and the pod-template-hash label value is the same",
     _tmpl("foo", "foo-node", {}, {H: "value-1"}), _tmpl("foo", "foo-node", {}, {H: "value-1", "something": "else"}),
     False),
    ("Different spec, same labels", _tmpl("foo", "foo-node", {"former": "value"}, {H: "value-1", "something": "else"}),
     _tmpl("foo", "foo-node", {"latter": "value"}, {H: "value-1", "something": "else"}), False),
    ("Different spec, different pod-template-hash label value",
     _tmpl("foo-1", "foo-node", {}, {H: "value-1", "something": "else"}),
     _tmpl("foo-2", "foo-node", {}, {H: "value-2", "something": "else"}), False),
    ("Different spec, the former doesn't have pod-template-hash label",
     _tmpl("foo-1", "foo-node-1", {}, {"something": "else"}),
     _tmpl("foo-2", "foo-node-2", {}, {H: "value-2", "something": "else"}), False),
    ("Different spec, different labels", _tmpl("foo", "foo-node-1", {}, {"something": "else"}),
     _tmpl("foo", "foo-node-2", {}, {"nothing": "else"}), False),
]


@pytest.mark.parametrize(("name", "former", "latter", "expected"), EQUAL_IGNORE_HASH,
                         ids=[c[0][:70] for c in EQUAL_IGNORE_HASH])
def test_equal_ignore_hash(name: str, former: FrozenDict, latter: FrozenDict, expected: bool) -> None:
    # TestEqualIgnoreHash (both orders, and the inputs keep their labels)
    for a, b, order in ((former, latter, ""), (latter, former, " (reverse order)")):
        got = du.equal_ignore_hash(a, b)
        assert got == expected, f"equal_ignore_hash={got}, but should be {expected} [TestEqualIgnoreHash {name!r}{order}]"
    assert former["metadata"]["labels"] and latter["metadata"]["labels"], "labels were dropped from the inputs"


def test_equal_ignore_hash_nil_and_empty_are_equal() -> None:
    # apiequality.Semantic.DeepEqual: nil and empty maps/slices compare equal
    a = freeze({"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "resources": {}}]}})
    b = freeze({"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c"}]}})
    assert du.equal_ignore_hash(a, b), "an empty resources map made two templates differ"


def _find_fixture() -> tuple[FrozenDict, FrozenDict, FrozenDict, FrozenDict]:
    d = deployment("nginx")
    new_rs = rs_from(d, "new", 1, created=60, hash_label="hash")
    new_rs_dup = rs_from(d, "new-dup", 0, created=0, hash_label="different-hash")
    old_d = freeze({**d, "spec": {**d["spec"], "template": {**d["spec"]["template"], "spec": {
        "containers": [{"name": "nginx-old-1", "image": "nginx", "imagePullPolicy": "Always"}]}}}})
    old_rs = rs_from(old_d, "old", 0, created=-60)
    return d, new_rs, new_rs_dup, old_rs


def test_find_new_replica_set() -> None:
    # TestFindNewReplicaSet (the v1.32 cases)
    d, new_rs, new_rs_dup, old_rs = _find_fixture()
    cases = [
        ("Get new ReplicaSet with the same template as Deployment spec but different pod-template-hash value",
         [new_rs, old_rs], new_rs),
        ("Get the oldest new ReplicaSet when there are more than one ReplicaSet with the same template",
         [new_rs, old_rs, new_rs_dup], new_rs_dup),
        ("Get nil new ReplicaSet", [old_rs], None),
    ]
    for name, rs_list, expected in cases:
        got = du.find_new_replica_set(d, rs_list)
        got_name = got["metadata"]["name"] if got is not None else None
        want = expected["metadata"]["name"] if expected is not None else None
        assert got_name == want, f"find_new_replica_set={got_name}, but should be {want} [TestFindNewReplicaSet {name!r}]"


def test_find_old_replica_sets() -> None:
    # TestFindOldReplicaSets
    d, new_rs, new_rs_dup, old_rs = _find_fixture()
    cases = [
        ("Get old ReplicaSets", [new_rs, old_rs], ["old"], []),
        ("Get old ReplicaSets with no new ReplicaSet", [old_rs], ["old"], []),
        ("Get old ReplicaSets with two new ReplicaSets, only the oldest new ReplicaSet is seen as new ReplicaSet",
         [old_rs, new_rs, new_rs_dup], ["old", "new"], ["new"]),
        ("Get empty old ReplicaSets", [new_rs], [], []),
    ]
    for name, rs_list, want_all, want_required in cases:
        required, all_old = du.find_old_replica_sets(d, rs_list)
        got_all = sorted(r["metadata"]["name"] for r in all_old)
        got_required = sorted(r["metadata"]["name"] for r in required)
        assert got_all == sorted(want_all), f"old={got_all}, but should be {sorted(want_all)} [TestFindOldReplicaSets {name!r}]"
        assert got_required == sorted(want_required), (
            f"required old={got_required}, but should be {sorted(want_required)} [TestFindOldReplicaSets {name!r}]")


# ---------------------------------------------------------------------------------------------
# revisions and annotations
# ---------------------------------------------------------------------------------------------
def _with_revisions(*revisions: str | None) -> list[FrozenDict]:
    d = deployment()
    return [rs_from(d, f"rs{i}", annotations={du.REVISION_ANNOTATION: r} if r is not None else None)
            for i, r in enumerate(revisions)]


@pytest.mark.parametrize(("revisions", "max_rev", "last_rev"), [
    (("1", "2", "3"), 3, 2),
    (("3", "1", "2"), 3, 2),
    (("5",), 5, 0),
    ((), 0, 0),
    ((None, "2"), 2, 0),  # a missing annotation is revision 0
    (("x", "4", "7"), 7, 4),  # unparsable revisions are skipped
    (("2", "2"), 2, 2),  # v >= max moves the old max down (LastRevision)
    (("-3", "-1"), 0, 0),  # negative revisions never beat 0 (both start from 0)
])
def test_max_and_last_revision(revisions: tuple[str | None, ...], max_rev: int, last_rev: int) -> None:
    # MaxRevision / LastRevision (deployment_util.go; upstream has no table for them)
    rss = _with_revisions(*revisions)
    assert du.max_revision(rss) == max_rev, f"max_revision={du.max_revision(rss)}, but should be {max_rev} [{revisions}]"
    assert du.last_revision(rss) == last_rev, (
        f"last_revision={du.last_revision(rss)}, but should be {last_rev} [{revisions}]")


def test_set_new_replica_set_annotations_revision_history() -> None:
    # TestAnnotationUtils/SetNewReplicaSetAnnotations: revisions 11..20 with a 5-character history limit
    d = deployment(annotations={du.REVISION_ANNOTATION: "1"})
    rs = rs_from(d, "rs")
    for i in range(10, 20):
        next_revision = str(i + 1)
        rs, _ = du.set_new_replica_set_annotations(d, rs, next_revision, True, 5)
        ann = du.annotations_of(rs)
        if i >= 12:
            want = f"{i - 1},{i}"
            assert ann.get(du.REVISION_HISTORY_ANNOTATION) == want, (
                f"revision-history={ann.get(du.REVISION_HISTORY_ANNOTATION)!r}, but should be {want!r} [revision {i + 1}]")
        assert ann.get(du.REVISION_ANNOTATION) == next_revision, (
            f"revision={ann.get(du.REVISION_ANNOTATION)!r}, but should be {next_revision!r}")


def test_set_new_replica_set_annotations_rollback_keeps_history() -> None:
    # SetNewReplicaSetAnnotations: revisions 1,2,3; the RS of revision 2 becomes new -> revision 4, history "2"
    d = deployment(annotations={du.REVISION_ANNOTATION: "3", "kubernetes.io/change-cause": "undo",
                                du.LAST_APPLIED_CONFIG_ANNOTATION: "{}"})
    rs2 = rs_from(d, "rs2", annotations={du.REVISION_ANNOTATION: "2"})
    rs, changed = du.set_new_replica_set_annotations(d, rs2, "4", True)
    ann = du.annotations_of(rs)
    assert changed, "the revision bump was not reported as a change"
    assert ann[du.REVISION_ANNOTATION] == "4", f"revision={ann[du.REVISION_ANNOTATION]}, but should be 4"
    assert ann[du.REVISION_HISTORY_ANNOTATION] == "2", f"history={ann[du.REVISION_HISTORY_ANNOTATION]}, but should be 2"
    assert ann["kubernetes.io/change-cause"] == "undo", "change-cause was not copied to the new replica set"
    assert du.LAST_APPLIED_CONFIG_ANNOTATION not in ann, "last-applied-configuration was copied to the replica set"
    assert du.DESIRED_REPLICAS_ANNOTATION not in ann, "an existing RS got replica annotations from SetNewReplicaSetAnnotations"
    # never lowered
    rs_again, changed = du.set_new_replica_set_annotations(d, rs, "3", True)
    assert not changed and du.annotations_of(rs_again)[du.REVISION_ANNOTATION] == "4", "the revision went down"
    # a brand-new RS gets the replica annotations
    fresh, _ = du.set_new_replica_set_annotations(deployment(replicas=10, max_surge="25%", max_unavailable="25%"),
                                                  rs_from(d, "fresh"), "1", False)
    got = (du.annotations_of(fresh)[du.DESIRED_REPLICAS_ANNOTATION], du.annotations_of(fresh)[du.MAX_REPLICAS_ANNOTATION])
    assert got == ("10", "13"), f"replica annotations={got}, but should be ('10', '13')"


def test_annotation_utils_set_replicas_annotations_and_is_saturated() -> None:
    # TestAnnotationUtils/SetReplicasAnnotations and /IsSaturated
    d = deployment(annotations={du.REVISION_ANNOTATION: "1"})
    rs, updated = du.set_replicas_annotations(rs_from(d, "rs"), 10, 11)
    assert updated, "SetReplicasAnnotations() failed"
    ann = du.annotations_of(rs)
    assert (ann[du.DESIRED_REPLICAS_ANNOTATION], ann[du.MAX_REPLICAS_ANNOTATION]) == ("10", "11"), f"annotations={ann}"
    rs = rs_from(d, "rs", 1, annotations={du.DESIRED_REPLICAS_ANNOTATION: "1"}, status={"availableReplicas": 1})
    assert du.is_saturated(d, rs), "IsSaturated Expected=true Obtained=false"
    assert not du.is_saturated(d, rs_from(d, "rs", 1, annotations={du.DESIRED_REPLICAS_ANNOTATION: "1"})), (
        "an RS without available replicas is saturated")


REPLICAS_ANNOTATIONS_NEED_UPDATE = [
    ("test Annotations nil", None, True),
    ("test desiredReplicas update", {du.DESIRED_REPLICAS_ANNOTATION: "8", du.MAX_REPLICAS_ANNOTATION: "20"}, True),
    ("test maxReplicas update", {du.DESIRED_REPLICAS_ANNOTATION: "10", du.MAX_REPLICAS_ANNOTATION: "16"}, True),
    ("test needn't update", {du.DESIRED_REPLICAS_ANNOTATION: "10", du.MAX_REPLICAS_ANNOTATION: "20"}, False),
]


@pytest.mark.parametrize(("name", "annotations", "expected"), REPLICAS_ANNOTATIONS_NEED_UPDATE,
                         ids=[c[0] for c in REPLICAS_ANNOTATIONS_NEED_UPDATE])
def test_replicas_annotations_need_update(name: str, annotations: dict[str, str] | None, expected: bool) -> None:
    # TestReplicasAnnotationsNeedUpdate
    rs = rs_from(deployment(), "hello", annotations=annotations)
    got = du.replicas_annotations_need_update(rs, 10, 20)
    assert got == expected, f"need update={got}, but should be {expected} [TestReplicasAnnotationsNeedUpdate {name!r}]"


def test_find_active_or_latest() -> None:
    # FindActiveOrLatest: one active -> it; none active -> the new RS, else the newest old; several -> None
    d = deployment()
    older = rs_from(d, "older", 0, created=0)
    newer = rs_from(d, "newer", 0, created=60)
    new = rs_from(d, "new", 0, created=120)
    assert du.find_active_or_latest(None, [older, newer])["metadata"]["name"] == "newer"
    assert du.find_active_or_latest(new, [older, newer])["metadata"]["name"] == "new"
    active = rs_from(d, "active", 2, created=0)
    assert du.find_active_or_latest(new, [active, newer])["metadata"]["name"] == "active"
    assert du.find_active_or_latest(rs_from(d, "new", 1, created=120), [active]) is None
    assert du.find_active_or_latest(None, []) is None


# ---------------------------------------------------------------------------------------------
# hashing
# ---------------------------------------------------------------------------------------------
def test_safe_encode_string_alphabet() -> None:
    # rand.SafeEncodeString: digits map into "bcdfghjklmnpqrstvwxz2456789" by code point modulo 27
    assert du.safe_encode_string("0123456789") == "456789bcdf", du.safe_encode_string("0123456789")


def test_compute_hash_depends_on_template_and_collision_count() -> None:
    # ComputeHash: FNV-32a of the template, plus collisionCount bytes when set (see the module header)
    d = deployment()
    t = d["spec"]["template"]
    h0 = du.compute_hash(t, None)
    assert h0 == du.compute_hash(freeze(t), None), "the hash of equal templates differs"
    assert set(h0) <= set("bcdfghjklmnpqrstvwxz2456789"), f"hash {h0!r} uses characters outside the safe alphabet"
    assert du.compute_hash(t, 0) != h0, "collisionCount 0 must change the hash (8 more bytes hashed)"
    assert du.compute_hash(t, 1) != du.compute_hash(t, 0), "collisionCount 1 and 0 hash alike"
    other = freeze({**t, "spec": {"containers": [{"name": "nginx", "image": "nginx:2"}]}})
    assert du.compute_hash(other, None) != h0, "a different template hashes alike"
    assert du.fnv32a(b"") == 0x811C9DC5 and du.fnv32a(b"a") == 0xE40C292C, "FNV-32a test vectors failed"
