"""PodDisruptionBudget, ReplicationController, Job, CronJob and DaemonSet, mirroring upstream's validation tests
by name: ``pkg/apis/policy/validation/validation_test.go``, ``pkg/apis/core/validation/validation_test.go``,
``pkg/apis/batch/validation/validation_test.go`` and ``pkg/apis/apps/validation/validation_test.go``."""

from __future__ import annotations

import copy
from typing import Any

import door
import pytest
from kinds import Obj, assert_error, assert_ok, defaulted, errors_of, update_errors

import refmodel as rm


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
    state = door.create(rm.new_cluster(nodes=0), dict(pdb(minAvailable=1), status={"expectedPods": 3})).state
    stored = rm.get(state, "PodDisruptionBudget", "p")
    assert stored is not None and "status" not in stored and stored["metadata"]["generation"] == 1, stored
    r = door.update(state, pdb(minAvailable=2))
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
    ("selector matches only some labels", {"selector": {"app": "web", "tier": "fe"}}, "spec.template.metadata.labels",
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
    # template and replicas may change). A read-write GCE PD with several replicas is accepted in v1.32: the
    # read-only check was skipped from v1.29 and removed with SkipReadOnlyValidationGCE in v1.31
    assert_ok(rc())
    assert_ok(rc(replicas=3, template=template(volumes=[{"name": "gce", "gcePersistentDisk": {"pdName": "pd"}}])))
    old = rc()
    new = rc(selector={"app": "web", "tier": "fe"}, template=template({"app": "web", "tier": "fe"}), replicas=5)
    assert update_errors(old, new) == []
    assert_error(update_errors(old, rc(replicas=-3)), "spec.replicas", "must be greater than or equal to 0")


# ---------------------------------------------------------------------------------------------
# Job
# ---------------------------------------------------------------------------------------------
def job_template(**spec: Any) -> Obj:
    return template({}, restartPolicy="Never", **spec)


def job(name: str = "myjob", **spec: Any) -> Obj:
    base: Obj = {"template": job_template()}
    base.update(spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": base}


def test_set_defaults_job() -> None:
    # TestSetDefaultJob: "All unspecified -> sets all to default values"; labels from the template
    o = defaulted(job(template=template({"app": "pi"}, restartPolicy="Never")))
    spec = o["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6), spec
    assert (spec["completionMode"], spec["suspend"], spec["podReplacementPolicy"]) == \
        ("NonIndexed", False, "TerminatingOrFailed"), spec
    assert o["metadata"]["labels"] == {"app": "pi"}
    # "parallelism unset, completions set" keeps completions; backoffLimitPerIndex makes backoffLimit MaxInt32
    o = defaulted(job(completions=5, completionMode="Indexed", backoffLimitPerIndex=1))
    assert (o["spec"]["completions"], o["spec"]["parallelism"], o["spec"]["backoffLimit"]) == (5, 1, 2**31 - 1)
    policy = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    o = defaulted(job(podFailurePolicy=policy))
    assert o["spec"]["podReplacementPolicy"] == "Failed"
    assert o["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"] == "True"


@pytest.mark.parametrize("spec", [
    {},
    {"parallelism": 0, "completions": 0, "backoffLimit": 0, "activeDeadlineSeconds": 0},
    {"template": template({}, restartPolicy="OnFailure")},
    {"completionMode": "Indexed", "completions": 3, "backoffLimitPerIndex": 1, "maxFailedIndexes": 3},
    {"manualSelector": True, "selector": {"matchLabels": {"a": "b"}}, "template": template({"a": "b"},
                                                                                           restartPolicy="Never")},
    {"podFailurePolicy": {"rules": [
        {"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In", "values": [1, 2, 3]}},
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
        {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [0]}}]}},
    {"completionMode": "Indexed", "completions": 10, "successPolicy": {"rules": [
        {"succeededIndexes": "0-2,5", "succeededCount": 3}, {"succeededCount": 10}]}},
    {"suspend": True, "ttlSecondsAfterFinished": 100, "podReplacementPolicy": "Failed"},
    {"template": template({"batch.kubernetes.io/controller-uid": "x"}, restartPolicy="Never"),
     "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "x"}}, "manualSelector": True},
])
def test_validate_job_success(spec: Obj) -> None:
    # TestValidateJob: successCases (manual selectors, policies, Indexed)
    assert_ok(job(**spec))


JOB_ERRORS = [
    ("spec.parallelism:must be greater than or equal to 0", {"parallelism": -4}, "spec.parallelism",
     "Invalid value: -4: must be greater than or equal to 0"),
    ("spec.completions:must be greater than or equal to 0", {"completions": -1}, "spec.completions",
     "must be greater than or equal to 0"),
    ("spec.activeDeadlineSeconds:must be greater than or equal to 0", {"activeDeadlineSeconds": -1},
     "spec.activeDeadlineSeconds", "must be greater than or equal to 0"),
    ("spec.backoffLimit:must be greater than or equal to 0", {"backoffLimit": -1}, "spec.backoffLimit",
     "must be greater than or equal to 0"),
    ("spec.ttlSecondsAfterFinished: must be greater than or equal to 0", {"ttlSecondsAfterFinished": -1},
     "spec.ttlSecondsAfterFinished", "must be greater than or equal to 0"),
    ("spec.template.spec.restartPolicy: Required value", {"template": template({})},
     "spec.template.spec.restartPolicy", 'Required value: valid values: "OnFailure", "Never"'),
    ("spec.template.spec.restartPolicy: Required value (Always)", {"template": template({}, restartPolicy="Always")},
     "spec.template.spec.restartPolicy", 'Required value: valid values: "OnFailure", "Never"'),
    ("spec.template.spec.restartPolicy: Unsupported value", {"template": template({}, restartPolicy="Sometimes")},
     "spec.template.spec.restartPolicy", "Unsupported value"),
    ("spec.template: not an object", {"template": "nope"}, "spec.template",
     'spec.template in body must be of type object: "string"'),
    ("spec.template.spec.containers[0].image: Required value",
     {"template": template({}, restartPolicy="Never", containers=[{"name": "c"}])},
     "spec.template.spec.containers[0].image", "Required value"),
    ("spec.foo: unknown field", {"foo": 1}, "spec.foo", 'strict decoding error: unknown field "spec.foo"'),
    ("spec.completions: Required value when completion mode is Indexed", {"completionMode": "Indexed",
                                                                          "parallelism": 2},
     "spec.completions", "Required value: when completion mode is Indexed"),
    ("spec.completionMode: Unsupported value", {"completionMode": "Sequential"}, "spec.completionMode",
     'Unsupported value: "Sequential": supported values: "NonIndexed", "Indexed"'),
    ("spec.parallelism: must be less than or equal to 100000 when completion mode is Indexed",
     {"completionMode": "Indexed", "completions": 2, "parallelism": 100_001}, "spec.parallelism",
     "must be less than or equal to 100000 when completion mode is Indexed"),
    ("spec.backoffLimitPerIndex: requires indexed completion mode", {"backoffLimitPerIndex": 1},
     "spec.backoffLimitPerIndex", "requires indexed completion mode"),
    ("spec.backoffLimitPerIndex: Required value when maxFailedIndexes is specified",
     {"completionMode": "Indexed", "completions": 2, "maxFailedIndexes": 1}, "spec.backoffLimitPerIndex",
     "Required value: when maxFailedIndexes is specified"),
    ("spec.maxFailedIndexes: must be less than or equal to completions",
     {"completionMode": "Indexed", "completions": 2, "backoffLimitPerIndex": 1, "maxFailedIndexes": 3},
     "spec.maxFailedIndexes", "must be less than or equal to completions"),
    ("spec.podFailurePolicy.rules[0].action: Required value", {"podFailurePolicy": {"rules": [
        {"onExitCodes": {"operator": "In", "values": [1]}}]}}, "spec.podFailurePolicy.rules[0].action",
     'Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]'),
    ("spec.podFailurePolicy.rules[0].action: FailIndex requires backoffLimitPerIndex",
     {"podFailurePolicy": {"rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [1]}}]}},
     "spec.podFailurePolicy.rules[0].action", "requires the backoffLimitPerIndex to be set"),
    ("spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Duplicate value", {"podFailurePolicy": {"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [1, 1]}}]}},
     "spec.podFailurePolicy.rules[0].onExitCodes.values[1]", "Duplicate value: 1"),
    ("spec.podFailurePolicy.rules[0].onExitCodes.values: must be ordered", {"podFailurePolicy": {"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [2, 1]}}]}},
     "spec.podFailurePolicy.rules[0].onExitCodes.values", "must be ordered"),
    ("spec.podFailurePolicy.rules[0].onExitCodes.values[0]: must not be 0 for the In operator",
     {"podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [0]}}]}},
     "spec.podFailurePolicy.rules[0].onExitCodes.values[0]", "must not be 0 for the In operator"),
    ("spec.podFailurePolicy.rules[0].onExitCodes.containerName: unknown container",
     {"podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {"containerName": "x", "operator": "In",
                                                                          "values": [1]}}]}},
     "spec.podFailurePolicy.rules[0].onExitCodes.containerName",
     "must be one of the container or initContainer names in the pod template"),
    ("spec.podFailurePolicy.rules[0]: specifying one of OnExitCodes and OnPodConditions is required",
     {"podFailurePolicy": {"rules": [{"action": "FailJob"}]}}, "spec.podFailurePolicy.rules[0]",
     "specifying one of OnExitCodes and OnPodConditions is required"),
    ("spec.podFailurePolicy.rules[0].onPodConditions[0].status: Unsupported value", {"podFailurePolicy": {"rules": [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "Maybe"}]}]}},
     "spec.podFailurePolicy.rules[0].onPodConditions[0].status", 'supported values: "False", "True", "Unknown"'),
    ("spec.template.spec.restartPolicy: only Never with podFailurePolicy",
     {"template": template({}, restartPolicy="OnFailure"), "podFailurePolicy": {"rules": [
         {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}},
     "spec.template.spec.restartPolicy", 'only "Never" is supported when podFailurePolicy is specified'),
    ("spec.podReplacementPolicy: only Failed with podFailurePolicy",
     {"podReplacementPolicy": "TerminatingOrFailed", "podFailurePolicy": {"rules": [
         {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}},
     "spec.podReplacementPolicy", 'Unsupported value: "TerminatingOrFailed": supported values: "Failed"'),
    ("spec.successPolicy: requires indexed completion mode", {"successPolicy": {"rules": [{"succeededCount": 1}]}},
     "spec.successPolicy", "requires indexed completion mode"),
    ("spec.successPolicy.rules[0].succeededIndexes: error parsing", {"completionMode": "Indexed", "completions": 5,
                                                                     "successPolicy": {"rules": [
                                                                         {"succeededIndexes": "3-1"}]}},
     "spec.successPolicy.rules[0].succeededIndexes",
     "error parsing succeededIndexes: non-increasing order, previous: 3, current: 1"),
    ("spec.successPolicy.rules[0].succeededIndexes: too large index", {"completionMode": "Indexed", "completions": 5,
                                                                       "successPolicy": {"rules": [
                                                                           {"succeededIndexes": "1,9"}]}},
     "spec.successPolicy.rules[0].succeededIndexes", 'too large index: "9"'),
    ("spec.successPolicy.rules[0].succeededCount: more than the indexes",
     {"completionMode": "Indexed", "completions": 5, "successPolicy": {"rules": [
         {"succeededIndexes": "0-1", "succeededCount": 3}]}}, "spec.successPolicy.rules[0].succeededCount",
     "must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)"),
    ("spec.selector: Required value with manualSelector", {"manualSelector": True}, "spec.selector",
     "Required value"),
    ("spec.selector: `selector` not auto-generated", {"selector": {"matchLabels": {"a": "b"}}}, "spec.selector",
     "`selector` not auto-generated"),
    ("spec.template.metadata.labels[job-name]: must be the Job's name",
     {"template": template({"job-name": "other"}, restartPolicy="Never")},
     "spec.template.metadata.labels[job-name]", "must be 'myjob'"),
    ("spec.managedBy: must be a domain-prefixed path", {"managedBy": "kueue"}, "spec.managedBy",
     'must be a domain-prefixed path (such as "acme.io/foo")'),
    ("spec.managedBy: Too long", {"managedBy": "example.com/" + "a" * 60}, "spec.managedBy",
     "Too long: may not be longer than 63"),
    ("spec.podFailurePolicy.rules[0].onExitCodes.values: Too many", {"podFailurePolicy": {"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": list(range(256))}}]}},
     "spec.podFailurePolicy.rules[0].onExitCodes.values", "must have at most 255 items"),
]


@pytest.mark.parametrize(("case", "spec", "field", "fragment"), JOB_ERRORS, ids=[c[0] for c in JOB_ERRORS])
def test_validate_job_errors(case: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateJob: errorCases (keys are upstream's "field: message" case names)
    assert_error(errors_of(job(**spec)), field, fragment)


def test_validate_job_name_limits() -> None:
    # TestValidateJob: a name of 64 characters fails as the job-name label value; an Indexed Job's last pod
    # hostname (name-<completions-1>) must be a DNS label
    assert_error(errors_of(job("a" * 64)), "spec.template.labels", "must be no more than 63 characters")
    assert_ok(job("a" * 63))
    errs = errors_of(job("a" * 62, completionMode="Indexed", completions=10))
    assert_error(errs, "metadata.name", "will not able to create pod with invalid DNS label: " + "a" * 62 + "-9")


def test_validate_job_update() -> None:
    # TestValidateJobUpdate: parallelism may change; completions, selector, template, completionMode immutable;
    # completions of an Indexed Job change only with parallelism; a suspended Job's scheduling directives change
    old = job(parallelism=2, completions=4)
    assert update_errors(old, job(parallelism=3, completions=4)) == []
    assert_error(update_errors(old, job(parallelism=2, completions=5)), "spec.completions", "field is immutable")
    assert_error(update_errors(old, job(parallelism=2, completions=4, template=job_template(activeDeadlineSeconds=5))),
                 "spec.template", "field is immutable")
    assert_error(update_errors(old, job(parallelism=2, completions=4, completionMode="Indexed")),
                 "spec.completionMode", "field is immutable")
    indexed = job(completionMode="Indexed", completions=4, parallelism=4)
    assert update_errors(indexed, job(completionMode="Indexed", completions=6, parallelism=6)) == []
    assert_error(update_errors(indexed, job(completionMode="Indexed", completions=6, parallelism=4)),
                 "spec.completions", "can only be modified in tandem with spec.parallelism")
    suspended = job(suspend=True)
    moved = job(suspend=True, template=job_template(nodeSelector={"zone": "b"}, tolerations=[{"operator": "Exists"}]))
    assert update_errors(suspended, moved) == []
    assert_error(update_errors(job(), job(template=job_template(nodeSelector={"zone": "b"}))), "spec.template",
                 "field is immutable")


def test_job_through_the_api_server() -> None:
    # the examples: garbage is rejected with a field path and nothing is stored
    state = rm.new_cluster(nodes=0)
    for spec, field in (({"template": "nope"}, "spec.template"), ({"parallelism": -4}, "spec.parallelism"),
                        ({"foo": 1}, "spec.foo")):
        r = door.create(state, job(**spec))
        assert r.rejection is not None and any(c.field == field for c in r.rejection.causes), f"{spec}: {r.rejection}"
        assert r.state is state
    r = door.create(state, job())
    assert r.ok, f"got {r.rejection}"
    stored = rm.get(r.state, "Job", "myjob")
    assert stored is not None and stored["spec"]["backoffLimit"] == 6 and stored["metadata"]["generation"] == 1


# ---------------------------------------------------------------------------------------------
# CronJob
# ---------------------------------------------------------------------------------------------
def cron_job(name: str = "mycronjob", **spec: Any) -> Obj:
    base: Obj = {"schedule": "* * * * ?", "jobTemplate": {"spec": {"template": job_template()}}}
    base.update(spec)
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name}, "spec": base}


def test_set_defaults_cron_job() -> None:
    # TestSetDefaultCronJob: concurrencyPolicy Allow, suspend false, history limits 3 and 1; the JobSpec of the
    # template is not defaulted (SetDefaults_Job applies to Jobs only)
    o = defaulted(cron_job())
    spec = o["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"], spec["successfulJobsHistoryLimit"],
            spec["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1), spec
    assert "backoffLimit" not in spec["jobTemplate"]["spec"]


@pytest.mark.parametrize("schedule", ["* * * * ?", "*/5 * * * *", "0 0 1 1 *", "0 9-17 * * MON-FRI", "@hourly",
                                      "@every 1h30m", "@every 5m", "@yearly", "@midnight", "0 0 * jan,JUL sun",
                                      "1,2,3/2 */4 1-31/7 * 0-6"])
def test_validate_cron_job_schedules(schedule: str) -> None:
    # TestValidateCronJob: successCases (schedules robfig/cron's ParseStandard accepts)
    assert_ok(cron_job(schedule=schedule))


CRON_ERRORS = [
    ("spec.schedule: Invalid value", {"schedule": "error"}, "spec.schedule",
     'Invalid value: "error": expected exactly 5 fields, found 1: [error]'),
    ("spec.schedule: Required value", {"schedule": ""}, "spec.schedule", "Required value"),
    ("spec.schedule: minute out of range", {"schedule": "60 * * * *"}, "spec.schedule",
     "end of range (60) above maximum (59): 60"),
    ("spec.schedule: weekday 7", {"schedule": "* * * * 7"}, "spec.schedule", "end of range (7) above maximum (6): 7"),
    ("spec.schedule: @every with a bad duration", {"schedule": "@every 1d"}, "spec.schedule",
     'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'),
    ("spec.schedule: unrecognized descriptor", {"schedule": "@fortnightly"}, "spec.schedule",
     "unrecognized descriptor: @fortnightly"),
    ("spec.schedule: cannot use TZ", {"schedule": "TZ=UTC 0 * * * *"}, "spec.schedule",
     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    ("spec.schedule: bad TZ location", {"schedule": "CRON_TZ=Mars/Olympus 0 * * * *"}, "spec.schedule",
     "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"),
    ("spec.timeZone: timeZone must be nil or non-empty string", {"timeZone": ""}, "spec.timeZone",
     "timeZone must be nil or non-empty string"),
    ("spec.timeZone: timeZone must be an explicit time zone", {"timeZone": "Local"}, "spec.timeZone",
     "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"),
    ("spec.timeZone: Invalid value: unknown time zone", {"timeZone": "America/New York"}, "spec.timeZone",
     "unknown time zone America/New York"),
    ("spec.timeZone: Invalid value: ../ path", {"timeZone": "../etc/passwd"}, "spec.timeZone", "unknown time zone"),
    ("spec.startingDeadlineSeconds:must be greater than or equal to 0", {"startingDeadlineSeconds": -1},
     "spec.startingDeadlineSeconds", "must be greater than or equal to 0"),
    ("spec.successfulJobsHistoryLimit: must be greater than or equal to 0", {"successfulJobsHistoryLimit": -1},
     "spec.successfulJobsHistoryLimit", "must be greater than or equal to 0"),
    ("spec.concurrencyPolicy: Unsupported value", {"concurrencyPolicy": "Sometimes"}, "spec.concurrencyPolicy",
     'supported values: "Allow", "Forbid", "Replace"'),
    ("spec.jobTemplate.spec.parallelism:must be greater than or equal to 0",
     {"jobTemplate": {"spec": {"parallelism": -1, "template": job_template()}}}, "spec.jobTemplate.spec.parallelism",
     "must be greater than or equal to 0"),
    ("spec.jobTemplate.spec.template.spec.restartPolicy: Required value",
     {"jobTemplate": {"spec": {"template": template({})}}}, "spec.jobTemplate.spec.template.spec.restartPolicy",
     'Required value: valid values: "OnFailure", "Never"'),
    ("spec.jobTemplate.spec.selector: Invalid value: `selector` will be auto-generated",
     {"jobTemplate": {"spec": {"selector": {"matchLabels": {"a": "b"}}, "template": job_template()}}},
     "spec.jobTemplate.spec.selector", "`selector` will be auto-generated"),
    ("spec.jobTemplate.spec.manualSelector: Unsupported value",
     {"jobTemplate": {"spec": {"manualSelector": True, "template": job_template()}}},
     "spec.jobTemplate.spec.manualSelector", 'supported values: "nil", "false"'),
]


@pytest.mark.parametrize(("case", "spec", "field", "fragment"), CRON_ERRORS, ids=[c[0] for c in CRON_ERRORS])
def test_validate_cron_job_errors(case: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateCronJob: errorCases (keys are upstream's "field: message" case names)
    assert_error(errors_of(cron_job(**spec)), field, fragment)


def test_validate_cron_job_name_and_time_zone() -> None:
    # TestValidateCronJob: "metadata.name: must be no more than 52 characters"; TestValidateCronJobSpec time zones
    assert_error(errors_of(cron_job("a" * 53)), "metadata.name", "must be no more than 52 characters")
    assert_ok(cron_job("a" * 52))
    for tz in ("America/New_York", "UTC", "Etc/GMT+5", "Europe/Berlin"):
        assert_ok(cron_job(timeZone=tz))


def test_validate_cron_job_update() -> None:
    # TestValidateCronJobSpecUpdate: the spec may change, and is validated again
    old = cron_job()
    assert update_errors(old, cron_job(schedule="@daily", suspend=True)) == []
    assert_error(update_errors(old, cron_job(schedule="@sometimes")), "spec.schedule", "unrecognized descriptor")


# ---------------------------------------------------------------------------------------------
# DaemonSet
# ---------------------------------------------------------------------------------------------
def daemon_set(**spec: Any) -> Obj:
    base: Obj = {"selector": {"matchLabels": {"app": "web"}}, "template": template()}
    base.update(spec)
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"}, "spec": base}


def test_set_defaults_daemon_set() -> None:
    # TestSetDefaultDaemonSetSpec: RollingUpdate, maxUnavailable 1, maxSurge 0, revisionHistoryLimit 10
    spec = defaulted(daemon_set())["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert spec["revisionHistoryLimit"] == 10 and spec["template"]["spec"]["restartPolicy"] == "Always"
    spec = defaulted(daemon_set(updateStrategy={"type": "OnDelete"}))["spec"]
    assert spec["updateStrategy"] == {"type": "OnDelete"}, spec


@pytest.mark.parametrize("spec", [
    {}, {"updateStrategy": {"type": "OnDelete"}}, {"minReadySeconds": 5, "revisionHistoryLimit": 0},
    {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "10%"}}},
    {"template": template(volumes=[{"name": "pd", "gcePersistentDisk": {"pdName": "x", "readOnly": True}}])},
    {"template": template(volumes=[{"name": "pd", "gcePersistentDisk": {"pdName": "x"}}])},  # no read-only check
])
def test_validate_daemon_set_success(spec: Obj) -> None:
    # TestValidateDaemonSet: successCases
    assert_ok(daemon_set(**spec))


DS_ERRORS = [
    ("zero-length selector", {"selector": {}}, "spec.selector", "empty selector is invalid for daemonset"),
    ("missing selector", {"selector": None}, "spec.template.metadata.labels",
     "`selector` does not match template `labels`"),
    ("selector_doesnt_match", {"selector": {"matchLabels": {"foo": "bar"}}}, "spec.template.metadata.labels",
     "`selector` does not match template `labels`"),
    ("invalid restart policy", {"template": template(restartPolicy="OnFailure")}, "spec.template.spec.restartPolicy",
     'Unsupported value: "OnFailure": supported values: "Always"'),
    ("template may not contain activeDeadlineSeconds", {"template": template(activeDeadlineSeconds=10)},
     "spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in DaemonSet is not Supported"),
    ("negative minReadySeconds", {"minReadySeconds": -1}, "spec.minReadySeconds", "must be greater than or equal to 0"),
    ("negative revisionHistoryLimit", {"revisionHistoryLimit": -1}, "spec.revisionHistoryLimit",
     "must be greater than or equal to 0"),
    ("invalid update strategy type", {"updateStrategy": {"type": "Random"}}, "spec.updateStrategy",
     'supported values: "RollingUpdate", "OnDelete"'),
    ("both maxSurge and maxUnavailable", {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": 1, "maxSurge": 1}}}, "spec.updateStrategy.rollingUpdate.maxSurge",
     "may not be set when maxUnavailable is non-zero"),
    ("neither maxSurge nor maxUnavailable", {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": 0, "maxSurge": "0%"}}}, "spec.updateStrategy.rollingUpdate.maxUnavailable",
     "Required value: cannot be 0 when maxSurge is 0"),
    ("maxUnavailable over 100%", {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": "120%"}}}, "spec.updateStrategy.rollingUpdate.maxUnavailable",
     "must not be greater than 100%"),
    ("negative maxUnavailable", {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": -1}}}, "spec.updateStrategy.rollingUpdate.maxUnavailable",
     "must be greater than or equal to 0"),
    ("invalid template", {"template": template(containers=[{"name": "c", "image": "x", "ports": [
        {"containerPort": 70000}]}])}, "spec.template.spec.containers[0].ports[0].containerPort",
     "must be between 1 and 65535, inclusive"),
]


@pytest.mark.parametrize(("case", "spec", "field", "fragment"), DS_ERRORS, ids=[c[0] for c in DS_ERRORS])
def test_validate_daemon_set_errors(case: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateDaemonSet: errorCases; TestValidateDaemonSetUpdateStrategy / TestValidateRollingUpdateDaemonSet
    obj = daemon_set(**spec)
    if obj["spec"]["selector"] is None:
        del obj["spec"]["selector"]
    assert_error(errors_of(obj), field, fragment)


def test_validate_daemon_set_update() -> None:
    # TestValidateDaemonSetUpdate: the template and strategy may change, the selector may not
    old = daemon_set()
    assert update_errors(old, daemon_set(template=template(nodeSelector={"disk": "ssd"}),
                                         updateStrategy={"type": "OnDelete"})) == []
    new = daemon_set(selector={"matchLabels": {"app": "web", "tier": "x"}}, template=template({"app": "web",
                                                                                               "tier": "x"}))
    assert_error(update_errors(old, new), "spec.selector", "field is immutable")
