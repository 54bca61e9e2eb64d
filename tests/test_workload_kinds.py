"""PodDisruptionBudget, ReplicationController, Job, CronJob and DaemonSet, mirroring upstream's validation tests
by name: ``pkg/apis/policy/validation/validation_test.go``, ``pkg/apis/core/validation/validation_test.go``,
``pkg/apis/batch/validation/validation_test.go`` and ``pkg/apis/apps/validation/validation_test.go``."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import refmodel as rm
from refmodel import apiserver
from refmodel.errors import FieldError
from refmodel.resources import lookup
from refmodel.resources.schema import structural_errors

Obj = dict[str, Any]


def errors_of(obj: Obj) -> list[FieldError]:
    """What the API server says about creating ``obj``: structure, then defaults and validation."""
    o = copy.deepcopy(obj)
    errs = structural_errors(o["kind"], o["apiVersion"], o)
    if errs:
        return errs
    info = lookup(o["kind"])
    assert info is not None and info.modelled, f"{o['kind']} is not checked"
    info.default(o)
    return info.validate(o)


def defaulted(obj: Obj) -> Obj:
    o = copy.deepcopy(obj)
    assert structural_errors(o["kind"], o["apiVersion"], o) == []
    info = lookup(o["kind"])
    assert info is not None
    info.default(o)
    return o


def update_errors(old: Obj, new: Obj) -> list[FieldError]:
    info = lookup(new["kind"])
    assert info is not None
    o, n = defaulted(old), defaulted(new)
    return info.validate(n) + info.validate_update(o, n)


def assert_ok(obj: Obj) -> None:
    errs = errors_of(obj)
    assert not errs, f"{obj['kind']}: got {[str(e) for e in errs]}, but should be valid"


def assert_error(errs: list[FieldError], field: str, fragment: str) -> None:
    hit = [e for e in errs if e.field == field and fragment in str(e)]
    assert hit, f"got {[str(e) for e in errs]}, but should contain {fragment!r} at {field!r}"


def template(labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    s: Obj = {"containers": [{"name": "c", "image": "busybox:1.36"}]}
    s.update(spec)
    return {"metadata": {"labels": {"app": "web"} if labels is None else labels}, "spec": s}


def with_spec(obj: Obj, **spec: Any) -> Obj:
    o = copy.deepcopy(obj)
    o["spec"].update(spec)
    return o


# ---------------------------------------------------------------------------------------------
# PodDisruptionBudget
# ---------------------------------------------------------------------------------------------
def pdb(**spec: Any) -> Obj:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec}}


@pytest.mark.parametrize("spec", [{"minAvailable": 2}, {"minAvailable": "50%"}, {"maxUnavailable": 0},
                                  {"maxUnavailable": "100%"}, {}, {"minAvailable": 1, "selector": None},
                                  {"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "AlwaysAllow"}])
def test_validate_min_available_success(spec: Obj) -> None:
    # TestValidateMinAvailablePodDisruptionBudgetSpec / TestValidateMinAvailablePodAndMaxUnavailableDisruptionBudgetSpec
    assert_ok(pdb(**spec))


PDB_ERRORS = [
    ({"minAvailable": 1, "maxUnavailable": 1}, "spec", "minAvailable and maxUnavailable cannot be both set"),
    ({"minAvailable": -1}, "spec.minAvailable", "must be greater than or equal to 0"),
    ({"minAvailable": "10"}, "spec.minAvailable", "a valid percent string must be"),
    ({"minAvailable": "101%"}, "spec.minAvailable", "must not be greater than 100%"),
    ({"maxUnavailable": "-1%"}, "spec.maxUnavailable", "a valid percent string must be"),
    ({"maxUnavailable": "150%"}, "spec.maxUnavailable", "must not be greater than 100%"),
    ({"maxUnavailable": 1, "unhealthyPodEvictionPolicy": "Never"}, "spec.unhealthyPodEvictionPolicy",
     'Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"'),
    ({"maxUnavailable": 1, "selector": {"matchLabels": {"app": "-bad"}}}, "spec.selector.matchLabels",
     "a valid label must be"),
    ({"maxUnavailable": 1, "selector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}},
     "spec.selector.matchExpressions[0].values", "may not be specified when `operator` is 'Exists'"),
]


@pytest.mark.parametrize(("spec", "field", "fragment"), PDB_ERRORS)
def test_validate_pod_disruption_budget_spec(spec: Obj, field: str, fragment: str) -> None:
    # TestValidatePodDisruptionBudgetSpec / TestValidateUnhealthyPodEvictionPolicyDisruptionBudgetSpec
    assert_error(errors_of(pdb(**spec)), field, fragment)


def test_pdb_spec_may_change_and_status_is_the_controllers() -> None:
    # policy/v1 allows spec updates; status is reset on create (PrepareForCreate) and kept on update
    state = apiserver.create(rm.new_cluster(nodes=0), dict(pdb(minAvailable=1), status={"expectedPods": 3})).state
    stored = rm.get(state, "PodDisruptionBudget", "p")
    assert stored is not None and "status" not in stored and stored["metadata"]["generation"] == 1, stored
    r = apiserver.update(state, pdb(minAvailable=2))
    assert r.ok, f"got {r.rejection}, but policy/v1 lets the spec change"
    stored = rm.get(r.state, "PodDisruptionBudget", "p")
    assert stored is not None and stored["metadata"]["generation"] == 2, stored


# ---------------------------------------------------------------------------------------------
# ReplicationController
# ---------------------------------------------------------------------------------------------
def rc(**spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"app": "web"}, "template": template(), **spec}}


def test_set_defaults_replication_controller() -> None:
    # TestSetDefaultReplicationControllerSelector / TestSetDefaultReplicationControllerReplicas
    obj = rc()
    del obj["spec"]["selector"], obj["spec"]["replicas"]
    o = defaulted(obj)
    assert o["spec"]["selector"] == {"app": "web"} and o["metadata"]["labels"] == {"app": "web"}, o
    assert o["spec"]["replicas"] == 1
    assert o["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert_ok(obj)


RC_ERRORS = [
    ("zero-length selector", {"selector": {}, "template": None}, "spec.selector", "Required value"),
    ("missing template", {"template": None}, "spec.template", "Required value"),
    ("selector_doesnt_match", {"selector": {"foo": "bar"}}, "spec.template.metadata.labels",
     "`selector` does not match template `labels`"),
    ("negative_replicas", {"replicas": -1}, "spec.replicas", "must be greater than or equal to 0"),
    ("negative minReadySeconds", {"minReadySeconds": -1}, "spec.minReadySeconds", "must be greater than or equal"),
    ("invalid restart policy 1", {"template": template(restartPolicy="OnFailure")},
     "spec.template.spec.restartPolicy", 'Unsupported value: "OnFailure": supported values: "Always"'),
    ("invalid restart policy 2", {"template": template(restartPolicy="Never")}, "spec.template.spec.restartPolicy",
     "Unsupported value"),
    ("template may not have activeDeadlineSeconds", {"template": template(activeDeadlineSeconds=10)},
     "spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicationController is not Supported"),
    ("invalid_label in template", {"template": template({"app": "web", "NoUppercaseOrSpecialCharsLike=Equals": "b"})},
     "spec.template.labels", "name part must consist of alphanumeric characters"),
    ("invalid container in template", {"template": template(containers=[{"name": "c"}])},
     "spec.template.spec.containers[0].image", "Required value"),
    ("read-write persistent disk with > 1 pod",
     {"template": template(volumes=[{"name": "gce", "gcePersistentDisk": {"pdName": "my-PD"}}])},
     "spec.template.spec.volumes[0].gcePersistentDisk.readOnly", "must be true for replicated pods > 1"),
]


@pytest.mark.parametrize(("case", "spec", "field", "fragment"), RC_ERRORS, ids=[c[0] for c in RC_ERRORS])
def test_validate_replication_controller(case: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateReplicationController: errorCases
    obj = rc(**spec)
    if obj["spec"]["template"] is None:
        del obj["spec"]["template"]
    assert_error(errors_of(obj), field, fragment)


def test_validate_replication_controller_success_and_update() -> None:
    # TestValidateReplicationController successCases; TestValidateReplicationControllerUpdate (selector,
    # template and replicas may change; a read-write GCE PD is fine with one replica)
    assert_ok(rc())
    assert_ok(rc(replicas=1, template=template(volumes=[{"name": "gce", "gcePersistentDisk": {"pdName": "pd"}}])))
    old = rc()
    new = rc(selector={"app": "web", "tier": "fe"}, template=template({"app": "web", "tier": "fe"}), replicas=5)
    assert update_errors(old, new) == []
    assert_error(update_errors(old, rc(replicas=-3)), "spec.replicas", "must be greater than or equal to 0")
