"""Validation and defaulting of the modelled kinds, mirroring upstream's validation tests by name.

Upstream tables: ``staging/src/k8s.io/apimachinery/pkg/util/validation/validation_test.go``,
``pkg/apis/core/validation/validation_test.go``, ``pkg/apis/apps/validation/validation_test.go``,
``pkg/apis/storage/validation/validation_test.go`` and Go's ``encoding/base64/base64_test.go``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import door
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from kinds import assert_error, assert_ok, errors_of, update_errors

import refmodel as rm
from refmodel.errors import FieldError, Rejection
from refmodel.resources import REGISTRY, common, lookup
from refmodel.resources.schema import base64_corrupt_at, root_type, structural_errors

Obj = dict[str, Any]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster() -> rm.ClusterState:
    return rm.new_cluster(nodes=1)


def pod(**spec: Any) -> Obj:
    base: Obj = {"containers": [{"name": "c", "image": "nginx:1.25"}]}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": base}


def template(labels: dict[str, str] | None = None, **spec: Any) -> Obj:
    s: Obj = {"containers": [{"name": "c", "image": "nginx:1.25"}]}
    s.update(spec)
    return {"metadata": {"labels": {"app": "web"} if labels is None else labels}, "spec": s}


def deployment(**spec: Any) -> Obj:
    base: Obj = {"selector": {"matchLabels": {"app": "web"}}, "template": template()}
    base.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": base}


def replicaset(**spec: Any) -> Obj:
    obj = deployment(**spec)
    obj["kind"] = "ReplicaSet"
    return obj


def statefulset(**spec: Any) -> Obj:
    base: Obj = {"selector": {"matchLabels": {"app": "web"}}, "serviceName": "web", "template": template()}
    base.update(spec)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"}, "spec": base}


def service(**spec: Any) -> Obj:
    base: Obj = {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": base}


def pvc(storage: str = "1Gi", **spec: Any) -> Obj:
    base: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": base}


def pv(**spec: Any) -> Obj:
    base: Obj = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp"}}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"}, "spec": base}


def create(state: rm.ClusterState, obj: Obj) -> Rejection | None:
    return door.create(state, copy.deepcopy(obj)).rejection


# ---------------------------------------------------------------------------------------------
# name and label rules (apimachinery validation_test.go tables)
# ---------------------------------------------------------------------------------------------
# TestIsDNS1123Label
@pytest.mark.parametrize("value", ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a",
                                   "1--a--b--2", "a" * 63])
def test_is_dns1123_label_good(value: str) -> None:
    assert common.dns1123_label_errors(value) == [], f"{value!r} rejected, but is a DNS-1123 label"


@pytest.mark.parametrize("value", ["", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_",
                                   "_a", "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ",
                                   "a ", " a", "a b", "1 ", " 1", "1 2", "a" * 64])
def test_is_dns1123_label_bad(value: str) -> None:
    assert common.dns1123_label_errors(value), f"{value!r} accepted, but is not a DNS-1123 label"


# TestIsDNS1123Subdomain
@pytest.mark.parametrize("value", ["a", "ab", "a1", "a--1--2--b", "0", "1-a", "a.a", "ab.a", "a--1--2--b.a", "a.1",
                                   "0.a", "012.a", "1--a--b--2", "0.1", "1--a--b--2.1", "a.b.c.d.e",
                                   "aa.bb.cc.dd.ee", "1.2.3.4.5", "11.22.33.44.55", "a" * 253])
def test_is_dns1123_subdomain_good(value: str) -> None:
    assert common.dns1123_subdomain_errors(value) == [], f"{value!r} rejected, but is a DNS-1123 subdomain"


@pytest.mark.parametrize("value", ["", "A", "ABC", "aBc", "A-1", "-", "a-", "-a", "_", "a_b", ".", "a.", ".a", "a..b",
                                   "1.", ".1", "1..2", " ", "a b", "A.a", "aB.a", "ab.A", "A1.1", "0.A", "A.B.C.D.E",
                                   "a.B.c.d.e", "a@b", "a,b", "a;b", "a:b", "a%b", "a?b", "a$b", "a" * 254])
def test_is_dns1123_subdomain_bad(value: str) -> None:
    assert common.dns1123_subdomain_errors(value), f"{value!r} accepted, but is not a DNS-1123 subdomain"


# TestIsDNS1035Label
@pytest.mark.parametrize("value", ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "a" * 63])
def test_is_dns1035_label_good(value: str) -> None:
    assert common.dns1035_label_errors(value) == []


@pytest.mark.parametrize("value", ["0", "01", "012", "1a", "1-a", "1--a--b--2", "", "A", "aBc", "-", "a-", "-a",
                                   "a_b", "a.b", "a b", "a" * 64])
def test_is_dns1035_label_bad(value: str) -> None:
    assert common.dns1035_label_errors(value), f"{value!r} accepted, but is not a DNS-1035 label"


# TestIsQualifiedName
@pytest.mark.parametrize("value", ["simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple",
                                   "now-with-dashes/simple", "now.with.dots/simple", "1-num.2-num/3-num",
                                   "1234/5678", "1.2.3.4/5678", "Uppercase_Is_OK_123",
                                   "example.com/Uppercase_Is_OK_123", "requests.storage-foo", "a" * 63,
                                   "a" * 253 + "/" + "b" * 63])
def test_is_qualified_name_good(value: str) -> None:
    assert common.qualified_name_errors(value) == [], f"{value!r} rejected, but is a qualified name"


@pytest.mark.parametrize("value", ["nospecialchars%^=@", "cantendwithadash-", "-cantstartwithadash-",
                                   "only/one/slash", "Example.com/abc", "example_com/abc", "example.com/", "/simple",
                                   "a" * 64, "a" * 254 + "/abc"])
def test_is_qualified_name_bad(value: str) -> None:
    assert common.qualified_name_errors(value), f"{value!r} accepted, but is not a qualified name"


# TestIsValidLabelValue
@pytest.mark.parametrize("value", ["simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234",
                                   "a" * 63, ""])
def test_is_valid_label_value_good(value: str) -> None:
    assert common.label_value_errors(value) == []


@pytest.mark.parametrize("value", ["nospecialchars%^=@", "Tama-nui-te-rā", "\u2424", "cantendwithadash-",
                                   "-cantstartwithadash", "a" * 64])
def test_is_valid_label_value_bad(value: str) -> None:
    assert common.label_value_errors(value), f"{value!r} accepted, but is not a label value"


# TestIsValidPortName (N-8)
@pytest.mark.parametrize("value", ["telnet", "re-mail-ck", "pop3", "a", "a-1", "1-a", "a-1-b-2-c", "1-a-2-b-3"])
def test_is_valid_port_name_good(value: str) -> None:
    assert common.port_name_errors(value) == []


@pytest.mark.parametrize("value", ["longerthan15characters", "", "a" * 16, "12345", "1-2-3-4", "-begin", "end-",
                                   "two--hyphens", "whois++"])
def test_is_valid_port_name_bad(value: str) -> None:
    assert common.port_name_errors(value), f"{value!r} accepted, but is not an IANA_SVC_NAME"


# TestIsValidPortNum (N-9)
@pytest.mark.parametrize(("value", "ok"), [(1, True), (2, True), (1000, True), (65535, True), (0, False),
                                          (-1, False), (65536, False), (100000, False)])
def test_is_valid_port_num(value: int, ok: bool) -> None:
    assert (common.port_num_errors(value) == []) is ok


# TestIsConfigMapKey (N-7)
@pytest.mark.parametrize(("value", "ok"), [("a", True), ("good", True), ("good-good", True), ("still.good", True),
                                          ("this.is.also.good", True), (".so.is.this", True),
                                          ("THIS_IS_GOOD", True), ("so_is_this_17", True), (".", False),
                                          ("..", False), ("..bad", False), ("b*d", False), ("bad!&bad", False),
                                          ("", False)])
def test_is_config_map_key(value: str, ok: bool) -> None:
    assert (common.configmap_key_errors(value) == []) is ok, f"{value!r}: {common.configmap_key_errors(value)}"


# TestIsValidPercent
@pytest.mark.parametrize(("value", "ok"), [("0%", True), ("00000%", True), ("1%", True), ("01%", True),
                                          ("99%", True), ("100%", True), ("101%", True), ("", False), (" ", False),
                                          ("0", False), ("100", False), ("0.0%", False), ("99.9%", False),
                                          ("hundred", False), (" 1%", False), ("1% ", False), ("-0%", False),
                                          ("-1%", False), ("+1%", False)])
def test_is_valid_percent(value: str, ok: bool) -> None:
    assert (common.percent_errors(value) == []) is ok


# TestDecodeCorrupt (Go encoding/base64): the byte offset Go reports for corrupt input.
@pytest.mark.parametrize(("text", "offset"), [
    ("", -1), ("\n", -1), ("AAA=\n", -1), ("AAAA\n", -1), ("!!!!", 0), ("====", 0), ("x===", 1), ("=AAA", 0),
    ("A=AA", 1), ("AA=A", 2), ("AA==A", 4), ("AAA=AAAA", 4), ("AAAAA", 4), ("AAAAAA", 4), ("A=", 1), ("A==", 1),
    ("AA=", 3), ("AA==", -1), ("AAA=", -1), ("AAAA", -1), ("AAAAAA=", 7), ("YWJjZA=====", 8), ("A!\n", 1),
    ("A=\n", 1),
])
def test_decode_corrupt(text: str, offset: int) -> None:
    got = base64_corrupt_at(text)
    assert (-1 if got is None else got) == offset, f"{text!r}: corrupt at {got}, but Go says {offset}"


# ---------------------------------------------------------------------------------------------
# structural (strict decoding) checks
# ---------------------------------------------------------------------------------------------
def test_unknown_field_has_full_path() -> None:
    errs = errors_of(deployment(foo="bar"))
    assert_error(errs, "spec.foo", 'strict decoding error: unknown field "spec.foo"')
    errs = errors_of(pod(containers=[{"name": "c", "image": "x", "imagePullPolicyy": "Always"}]))
    assert_error(errs, "spec.containers[0].imagePullPolicyy", "unknown field")


def test_unknown_fields_sorted_like_decoding() -> None:
    errs = errors_of(deployment(foo="bar", baz="baq"))
    assert [e.field for e in errs] == ["spec.baz", "spec.foo"], f"got {[e.field for e in errs]}"


def test_int32_rejects_string_and_fractional_float() -> None:
    assert_error(errors_of(service(ports=[{"port": "sds"}])), "spec.ports[0].port", "must be of type integer")
    assert_error(errors_of(deployment(replicas=1.5)), "spec.replicas", "must be of type integer")
    assert_error(errors_of(deployment(replicas=3_000_000_000)), "spec.replicas", "int32")


def test_whole_float_decodes_as_int() -> None:
    obj = deployment(replicas=3.0)
    assert structural_errors("Deployment", "apps/v1", obj) == []
    assert obj["spec"]["replicas"] == 3 and isinstance(obj["spec"]["replicas"], int)


def test_map_where_list_required_and_list_where_map_required() -> None:
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": {"a": "b"}}}
    assert_error(errors_of(bad), "metadata.finalizers", 'must be of type array: "object"')
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": ["a"]}
    assert_error(errors_of(bad), "data", 'data in body must be of type object: "array"')


def test_quantity_boolean_rejected_number_accepted() -> None:
    c = {"name": "c", "image": "x", "resources": {"requests": {"cpu": True}}}
    assert_error(errors_of(pod(containers=[c])), "spec.containers[0].resources.requests[cpu]",
                 'must be of type string: "boolean"')
    c = {"name": "c", "image": "x", "resources": {"requests": {"cpu": 1, "memory": 512}}}
    assert_ok(pod(containers=[c]))


def test_quantity_must_parse() -> None:
    c = {"name": "c", "image": "x", "resources": {"limits": {"memory": "lots"}}}
    assert_error(errors_of(pod(containers=[c])), "spec.containers[0].resources.limits[memory]",
                 "quantities must match the regular expression")


def test_null_is_the_zero_value() -> None:
    obj = pod(containers=[{"name": "c", "image": "x", "args": None}])
    obj["metadata"]["creationTimestamp"] = None
    assert structural_errors("Pod", "v1", obj) == []
    assert "args" not in obj["spec"]["containers"][0] and "creationTimestamp" not in obj["metadata"]


def test_every_served_kind_has_a_schema() -> None:
    missing = sorted(k for k, info in REGISTRY.items() if root_type(k, info.api_versions[0]) is None)
    assert not missing, f"kinds without a schema: {missing}, but every served kind is decoded strictly"


def test_unknown_top_level_field_rejected_for_every_kind() -> None:
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}, "whatever": 1}
    assert_error(structural_errors("ServiceAccount", "v1", sa), "whatever", 'unknown field "whatever"')
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": "nope"}}
    assert_error(structural_errors("Job", "batch/v1", job), "spec.template", 'must be of type object: "string"')
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a", "labels": ["x"]}}
    assert_error(structural_errors("ServiceAccount", "v1", sa), "metadata.labels", "must be of type object")


def test_version_with_its_own_schema() -> None:
    # autoscaling/v1 has targetCPUUtilizationPercentage; autoscaling/v2 has metrics instead
    spec = {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3,
            "targetCPUUtilizationPercentage": 50}
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}, "spec": spec}
    assert structural_errors("HorizontalPodAutoscaler", "autoscaling/v1", copy.deepcopy(v1)) == []
    v2 = dict(v1, apiVersion="autoscaling/v2")
    assert_error(structural_errors("HorizontalPodAutoscaler", "autoscaling/v2", copy.deepcopy(v2)),
                 "spec.targetCPUUtilizationPercentage", "unknown field")


# Integer fields as the Go types declare them: (kind, apiVersion, path, width).
INT_WIDTHS = [
    ("Deployment", "apps/v1", ("spec", "replicas"), "int32", "DeploymentSpec"),
    ("Job", "batch/v1", ("spec", "parallelism"), "int32", "JobSpec"),
    ("Job", "batch/v1", ("spec", "activeDeadlineSeconds"), "int64", "JobSpec"),
    ("CronJob", "batch/v1", ("spec", "startingDeadlineSeconds"), "int64", "CronJobSpec"),
    ("CronJob", "batch/v1", ("spec", "successfulJobsHistoryLimit"), "int32", "CronJobSpec"),
    ("PriorityClass", "scheduling.k8s.io/v1", ("value",), "int32", "PriorityClass"),
    ("ControllerRevision", "apps/v1", ("revision",), "int64", "ControllerRevision"),
    ("Lease", "coordination.k8s.io/v1", ("spec", "leaseDurationSeconds"), "int32", "LeaseSpec"),
    ("Event", "v1", ("count",), "int32", "Event"),
    ("HorizontalPodAutoscaler", "autoscaling/v2", ("spec", "maxReplicas"), "int32", "HorizontalPodAutoscalerSpec"),
    ("Pod", "v1", ("spec", "activeDeadlineSeconds"), "int64", "PodSpec"),
    ("Pod", "v1", ("spec", "priority"), "int32", "PodSpec"),
]


@pytest.mark.parametrize(("kind", "api_version", "path", "width", "struct"), INT_WIDTHS)
def test_integer_ranges_as_go_types_them(kind: str, api_version: str, path: tuple[str, ...], width: str,
                                         struct: str) -> None:
    bits = 31 if width == "int32" else 63
    dotted = ".".join(path)

    def obj_with(n: Any) -> Obj:
        o: Obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
        cur = o
        for key in path[:-1]:
            cur = cur.setdefault(key, {})
        cur[path[-1]] = n
        return o

    for n in (2**bits - 1, -(2**bits)):
        errs = [e for e in structural_errors(kind, api_version, obj_with(n)) if e.field == dotted]
        assert errs == [], f"{kind} {dotted}={n}: got {[str(e) for e in errs]}, but {width} holds it"
    for n in (2**bits, -(2**bits) - 1):
        want = f"json: cannot unmarshal number {n} into Go struct field {struct}.{dotted} of type {width}"
        assert_error(structural_errors(kind, api_version, obj_with(n)), dotted, want)


def test_out_of_range_in_a_list_names_the_item_and_the_go_field() -> None:
    c = {"name": "c", "image": "x", "ports": [{"containerPort": 80}, {"containerPort": 2**32}]}
    errs = errors_of(pod(containers=[c]))
    assert_error(errs, "spec.containers[0].ports[1].containerPort",
                 "json: cannot unmarshal number 4294967296 into Go struct field ContainerPort."
                 "spec.containers.ports.containerPort of type int32")
    sc = {"supplementalGroups": [1, 2**63]}
    assert_error(errors_of(pod(securityContext=sc)), "spec.securityContext.supplementalGroups[1]", "of type int64")
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2**31}}
    assert_error(errors_of(deployment(strategy=strategy)), "spec.strategy.rollingUpdate.maxSurge", "of type int32")


@pytest.mark.parametrize(("value", "text"), [(math.nan, "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf")])
def test_non_finite_numbers_rejected(value: float, text: str) -> None:
    c = {"name": "c", "image": "x", "resources": {"requests": {"cpu": value}}}
    assert_error(errors_of(pod(containers=[c])), "spec.containers[0].resources.requests[cpu]",
                 f"json: unsupported value: {text}")
    assert_error(errors_of(deployment(replicas=value)), "spec.replicas", f"unsupported value: {text}")
    rev = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"}, "revision": 1,
           "data": {"spec": {"weight": [1.5, value]}}}
    assert_error(structural_errors("ControllerRevision", "apps/v1", rev), "data[spec][weight][1]",
                 f"unsupported value: {text}")


# ---------------------------------------------------------------------------------------------
# Pod
# ---------------------------------------------------------------------------------------------
def test_validate_pod_spec_success_cases() -> None:
    # TestValidatePodSpec: successCases (a representative subset)
    assert_ok(pod())
    assert_ok(pod(restartPolicy="OnFailure", dnsPolicy="Default", hostname="h", subdomain="s",
                  volumes=[{"name": "v"}], nodeSelector={"disk": "ssd"}, activeDeadlineSeconds=30,
                  tolerations=[{"operator": "Exists"}], serviceAccountName="acct"))
    assert_ok(pod(hostNetwork=True, containers=[{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]))
    assert_ok(pod(initContainers=[{"name": "i", "image": "busybox"},
                                  {"name": "side", "image": "busybox", "restartPolicy": "Always",
                                   "readinessProbe": {"tcpSocket": {"port": 80}}}]))


@pytest.mark.parametrize(("spec", "field", "fragment"), [
    ({"containers": []}, "spec.containers", "Required value"),
    ({"containers": [{"name": "c"}]}, "spec.containers[0].image", "Required value"),
    ({"containers": [{"image": "x"}]}, "spec.containers[0].name", "Required value"),
    ({"containers": [{"name": "myContainer", "image": "x"}]}, "spec.containers[0].name", "RFC 1123 label"),
    ({"containers": [{"name": "c", "image": "x"}, {"name": "c", "image": "y"}]}, "spec.containers[1].name",
     'Duplicate value: "c"'),
    ({"restartPolicy": "Sometimes"}, "spec.restartPolicy", 'supported values: "Always", "OnFailure", "Never"'),
    ({"dnsPolicy": "Whatever"}, "spec.dnsPolicy", "Unsupported value"),
    ({"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80, "protocol": "udp"}]}]},
     "spec.containers[0].ports[0].protocol", 'Unsupported value: "udp": supported values: "SCTP", "TCP", "UDP"'),
    ({"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 123456}]}]},
     "spec.containers[0].ports[0].containerPort", "must be between 1 and 65535, inclusive"),
    ({"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80, "name": "n234567890123456"}]}]},
     "spec.containers[0].ports[0].name", "must be no more than 15 characters"),
    ({"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "2"},
                                                              "limits": {"cpu": "1"}}}]},
     "spec.containers[0].resources.requests", "must be less than or equal to cpu limit of 1"),
    ({"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "-1"}}}]},
     "spec.containers[0].resources.requests[cpu]", "must be greater than or equal to 0"),
    ({"containers": [{"name": "c", "image": "x", "resources": {"requests": {"gpu": "1"}}}]},
     "spec.containers[0].resources.requests[gpu]", "must be a standard resource for containers"),
    ({"containers": [{"name": "c", "image": "x", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]},
     "spec.containers[0].volumeMounts[0].name", 'Not found: "data"'),
    ({"volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]}, "spec.volumes[0].hostPath",
     "may not specify more than 1 volume type"),
    ({"volumes": [{"name": "v", "configMap": {}}]}, "spec.volumes[0].configMap.name", "Required value"),
    ({"volumes": [{"name": "Bad_Name"}]}, "spec.volumes[0].name", "RFC 1123 label"),
    ({"volumes": [{"name": "v"}, {"name": "v"}]}, "spec.volumes[1].name", "Duplicate value"),
    ({"containers": [{"name": "c", "image": "x", "livenessProbe": {"exec": {"command": ["true"]},
                                                                  "successThreshold": 2}}]},
     "spec.containers[0].livenessProbe.successThreshold", "must be 1"),
    ({"containers": [{"name": "c", "image": "x", "readinessProbe": {"periodSeconds": 5}}]},
     "spec.containers[0].readinessProbe", "must specify a handler type"),
    ({"initContainers": [{"name": "i", "image": "x", "readinessProbe": {"exec": {"command": ["a"]}}}]},
     "spec.initContainers[0].readinessProbe", "may not be set for init containers without restartPolicy=Always"),
    ({"initContainers": [{"name": "c", "image": "x"}]}, "spec.initContainers[0].name", "Duplicate value"),
    ({"activeDeadlineSeconds": 0}, "spec.activeDeadlineSeconds", "must be between 1 and 2147483647, inclusive"),
    ({"tolerations": [{"operator": "Equal"}]}, "spec.tolerations[0].operator", "operator must be Exists"),
    ({"hostname": "Not_OK"}, "spec.hostname", "RFC 1123 label"),
    ({"hostNetwork": True, "containers": [{"name": "c", "image": "x",
                                           "ports": [{"containerPort": 80, "hostPort": 81}]}]},
     "spec.containers[0].ports[0].hostPort", "must match `containerPort` when `hostNetwork` is true"),
    ({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80}]},
                     {"name": "b", "image": "x", "ports": [{"containerPort": 81, "hostPort": 80}]}]},
     "spec.containers[1].ports[0].hostPort", 'Duplicate value: "TCP//80"'),
    ({"containers": [{"name": "c", "image": "x", "env": [{"name": "A", "value": "1",
                                                          "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}]},
     "spec.containers[0].env[0].valueFrom", "may not be specified when `value` is not empty"),
    ({"dnsPolicy": "None"}, "spec.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"),
])
def test_validate_pod_spec_error_cases(spec: Obj, field: str, fragment: str) -> None:
    # TestValidatePodSpec: errorCases
    obj = pod()
    obj["spec"].update(spec)
    assert_error(errors_of(obj), field, fragment)


def test_set_defaults_pod() -> None:
    # TestSetDefaultPodSpec / TestSetDefaultContainer / TestSetDefaultProbe / TestSetDefaultVolume
    obj = pod(containers=[{"name": "c", "image": "nginx", "resources": {"limits": {"cpu": "1"}},
                           "livenessProbe": {"httpGet": {"port": 80}}, "ports": [{"containerPort": 80}]}],
              volumes=[{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "c"}}])
    info = lookup("Pod")
    assert info is not None
    info.default(obj)
    spec = obj["spec"]
    c = spec["containers"][0]
    got = (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"], spec["schedulerName"],
           c["imagePullPolicy"], c["terminationMessagePolicy"], c["ports"][0]["protocol"],
           c["resources"]["requests"], c["livenessProbe"]["httpGet"]["path"], c["livenessProbe"]["periodSeconds"],
           spec["volumes"][0], spec["volumes"][1]["configMap"]["defaultMode"])
    want = ("Always", "ClusterFirst", 30, "default-scheduler", "Always", "File", "TCP", {"cpu": "1"}, "/", 10,
            {"name": "scratch", "emptyDir": {}}, 0o644)
    assert got == want, f"defaults {got}, but should be {want}"


@pytest.mark.parametrize(("image", "policy"), [("nginx", "Always"), ("nginx:latest", "Always"),
                                               ("nginx:1.25", "IfNotPresent"), ("reg:5000/nginx", "Always"),
                                               ("nginx@sha256:abc", "IfNotPresent")])
def test_set_default_image_pull_policy(image: str, policy: str) -> None:
    # TestSetDefaultContainer (imagePullPolicy from the tag)
    from refmodel.resources.pod import image_pull_policy_for

    assert image_pull_policy_for(image) == policy


def test_validate_pod_update() -> None:
    # TestValidatePodUpdate: image and activeDeadlineSeconds may change; anything else is forbidden (P-10)
    old = pod(activeDeadlineSeconds=100)
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    new["spec"]["activeDeadlineSeconds"] = 50
    new["spec"]["tolerations"] = [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]
    assert update_errors(old, new) == []
    changed = copy.deepcopy(old)
    changed["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    errs = update_errors(old, changed)
    assert_error(errs, "spec", "pod updates may not change fields other than `spec.containers[*].image`,"
                               "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                               "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                               "(allow it to be set to 1 if it was previously negative)")
    longer = copy.deepcopy(old)
    longer["spec"]["activeDeadlineSeconds"] = 200
    assert_error(update_errors(old, longer), "spec.activeDeadlineSeconds", "must be less than or equal to previous")
    more = copy.deepcopy(old)
    more["spec"]["containers"].append({"name": "d", "image": "x"})
    assert_error(update_errors(old, more), "spec.containers", "pod updates may not add or remove containers")


# ---------------------------------------------------------------------------------------------
# Deployment, ReplicaSet, StatefulSet
# ---------------------------------------------------------------------------------------------
def test_validate_deployment_success() -> None:
    # TestValidateDeployment: successCases
    assert_ok(deployment())
    assert_ok(deployment(strategy={"type": "Recreate"}))
    assert_ok(deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "1%",
                                                                             "maxUnavailable": 0}}))
    assert_ok(deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 5}}, replicas=0))
    assert_ok(deployment(selector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}))


@pytest.mark.parametrize(("name", "spec", "field", "fragment"), [
    ("selector missing", {"selector": None}, "spec.selector", "Required value"),
    ("empty selector", {"selector": {}}, "spec.selector", "empty selector is invalid for deployment"),
    ("selector does not match", {"template": template({"app": "x"})}, "spec.template.metadata.labels",
     "`selector` does not match template `labels`"),
    ("invalid label selector", {"selector": {"matchExpressions": [{"key": "app", "operator": "Has"}]}},
     "spec.selector.matchExpressions[0].operator", "not a valid selector operator"),
    ("invalid restart policy", {"template": template(restartPolicy="OnFailure")},
     "spec.template.spec.restartPolicy", 'Unsupported value: "OnFailure": supported values: "Always"'),
    ("activeDeadlineSeconds", {"template": template(activeDeadlineSeconds=10)},
     "spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported"),
    ("negative replicas", {"replicas": -1}, "spec.replicas", "must be greater than or equal to 0"),
    ("negative minReadySeconds", {"minReadySeconds": -1}, "spec.minReadySeconds", "greater than or equal to 0"),
    ("negative revisionHistoryLimit", {"revisionHistoryLimit": -2}, "spec.revisionHistoryLimit",
     "must be greater than or equal to 0"),
    ("both 0", {"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}},
     "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"),
    ("both 0 percent", {"strategy": {"rollingUpdate": {"maxSurge": "0%", "maxUnavailable": 0}}},
     "spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0"),
    ("maxUnavailable over 100%", {"strategy": {"rollingUpdate": {"maxUnavailable": "110%"}}},
     "spec.strategy.rollingUpdate.maxUnavailable", "must not be greater than 100%"),
    ("invalid percent", {"strategy": {"rollingUpdate": {"maxSurge": "20Percent"}}},
     "spec.strategy.rollingUpdate.maxSurge", "a valid percent string must be a numeric string followed by"),
    ("negative maxSurge", {"strategy": {"rollingUpdate": {"maxSurge": -1}}}, "spec.strategy.rollingUpdate.maxSurge",
     "must be greater than or equal to 0"),
    ("rollingUpdate with Recreate", {"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}},
     "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"),
    ("unknown strategy", {"strategy": {"type": "BlueGreen"}}, "spec.strategy", 'supported values: "Recreate"'),
    ("progressDeadlineSeconds <= minReadySeconds", {"minReadySeconds": 600, "progressDeadlineSeconds": 600},
     "spec.progressDeadlineSeconds", "must be greater than minReadySeconds"),
    ("template container invalid", {"template": template(containers=[{"name": "c"}])},
     "spec.template.spec.containers[0].image", "Required value"),
])
def test_validate_deployment_errors(name: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateDeployment: errorCases
    obj = deployment()
    obj["spec"].update(spec)
    if spec.get("selector", 0) is None:
        del obj["spec"]["selector"]
    assert_error(errors_of(obj), field, fragment)


def test_set_defaults_deployment() -> None:
    # TestSetDefaultDeployment (D-1)
    obj = deployment()
    info = lookup("Deployment")
    assert info is not None
    info.default(obj)
    s = obj["spec"]
    got = (s["replicas"], s["strategy"], s["revisionHistoryLimit"], s["progressDeadlineSeconds"])
    want = (1, {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}, 10, 600)
    assert got == want, f"defaults {got}, but should be {want}"


def test_deployment_selector_immutable() -> None:
    # TestDeploymentStrategy_ValidateUpdate (apps/v1: selector immutable)
    new = deployment(selector={"matchLabels": {"app": "web", "tier": "x"}},
                     template=template({"app": "web", "tier": "x"}))
    assert_error(update_errors(deployment(), new), "spec.selector", "field is immutable")


def test_validate_replica_set() -> None:
    # TestValidateReplicaSet
    assert_ok(replicaset())
    obj = replicaset()
    del obj["spec"]["selector"]
    errs = errors_of(obj)
    assert_error(errs, "spec.selector", "Required value")
    assert_error(errs, "spec.template.metadata.labels", "`selector` does not match template `labels`")
    assert_error(errors_of(replicaset(replicas=-1)), "spec.replicas", "must be greater than or equal to 0")
    assert_error(update_errors(replicaset(), replicaset(selector={"matchLabels": {"app": "other"}},
                                                      template=template({"app": "other"}))),
                 "spec.selector", "field is immutable")


def test_validate_stateful_set() -> None:
    # TestValidateStatefulSet
    assert_ok(statefulset())
    assert_ok(statefulset(podManagementPolicy="Parallel", updateStrategy={"type": "OnDelete"}))
    cases = [
        ({"podManagementPolicy": "Sometimes"}, "spec.podManagementPolicy", "must be 'OrderedReady' or 'Parallel'"),
        ({"updateStrategy": {"type": "OnDelete", "rollingUpdate": {"partition": 1}}},
         "spec.updateStrategy.rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'"),
        ({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": -1}}},
         "spec.updateStrategy.rollingUpdate.partition", "must be greater than or equal to 0"),
        ({"selector": {}}, "spec.selector", "empty selector is invalid for statefulset"),
        ({"template": template({"app": "x"})}, "spec.template.metadata.labels", "`selector` does not match"),
        ({"template": template(restartPolicy="Never")}, "spec.template.spec.restartPolicy", "Unsupported value"),
        ({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Keep"}},
         "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", 'supported values: "Retain", "Delete"'),
    ]
    for spec, field, fragment in cases:
        obj = statefulset()
        obj["spec"].update(spec)
        assert_error(errors_of(obj), field, fragment)


def test_stateful_set_name_is_a_dns_label(cluster: rm.ClusterState) -> None:
    # TestValidateStatefulSet: names are DNS labels (N-4), not subdomains
    obj = statefulset()
    obj["metadata"]["name"] = "web.v1"
    rej = create(cluster, obj)
    assert rej is not None and rej.field == "metadata.name", f"got {rej}, but a dotted name is not a DNS label"


def test_validate_stateful_set_update() -> None:
    # TestValidateStatefulSetUpdate (SS-14): replicas/template/updateStrategy may change, the rest may not
    old = statefulset(volumeClaimTemplates=[{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}])
    ok = copy.deepcopy(old)
    ok["spec"]["replicas"] = 5
    ok["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    assert update_errors(old, ok) == []
    for key, value in (("serviceName", "other"), ("podManagementPolicy", "Parallel"), ("revisionHistoryLimit", 3)):
        bad = copy.deepcopy(old)
        bad["spec"][key] = value
        assert_error(update_errors(old, bad), "spec", "updates to statefulset spec for fields other than 'replicas', "
                                                      "'ordinals', 'template', 'updateStrategy', "
                                                      "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
                                                      "are forbidden")
    grown = copy.deepcopy(old)
    grown["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert_error(update_errors(old, grown), "spec", "are forbidden")


# ---------------------------------------------------------------------------------------------
# Service
# ---------------------------------------------------------------------------------------------
def test_validate_service_success() -> None:
    # TestValidateService: valid cases
    assert_ok(service())
    assert_ok(service(clusterIP="None", ports=[]))
    assert_ok(service(type="ExternalName", externalName="my.database.example.com.", ports=[{"port": 3306}]))
    assert_ok(service(type="NodePort", ports=[{"port": 80, "nodePort": 31000}]))
    assert_ok(service(type="LoadBalancer", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 443}]))
    assert_ok(service(ports=[{"port": 80, "nodePort": 0}]))
    assert_ok(service(ports=[{"name": "dns", "port": 53, "protocol": "UDP"},
                             {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]))
    assert_ok(service(ports=[{"port": 80, "targetPort": "http"}]))


@pytest.mark.parametrize(("name", "spec", "field", "fragment"), [
    ("invalid type", {"type": "Internal"}, "spec.type", "Unsupported value"),
    ("missing ports", {"ports": []}, "spec.ports", "Required value"),
    ("missing port names", {"ports": [{"port": 80}, {"port": 81}]}, "spec.ports[0].name", "Required value"),
    ("duplicate port names", {"ports": [{"name": "a", "port": 80}, {"name": "a", "port": 81}]},
     "spec.ports[1].name", "Duplicate value"),
    ("duplicate ports", {"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}, "spec.ports[1]",
     "Duplicate value"),
    ("invalid port", {"ports": [{"port": 65536}]}, "spec.ports[0].port", "must be between 1 and 65535"),
    ("invalid protocol", {"ports": [{"port": 80, "protocol": "HTTP"}]}, "spec.ports[0].protocol",
     'supported values: "SCTP", "TCP", "UDP"'),
    ("invalid targetPort number", {"ports": [{"port": 80, "targetPort": 123456}]}, "spec.ports[0].targetPort",
     "must be between 1 and 65535"),
    ("invalid targetPort name", {"ports": [{"port": 80, "targetPort": "n234567890123456"}]},
     "spec.ports[0].targetPort", "must be no more than 15 characters"),
    ("nodePort with ClusterIP", {"ports": [{"port": 80, "nodePort": 31000}]}, "spec.ports[0].nodePort",
     "may not be used when `type` is 'ClusterIP'"),
    ("nodePort out of range", {"type": "NodePort", "ports": [{"port": 80, "nodePort": 80}]},
     "spec.ports[0].nodePort", "provided port is not in the valid range. The range of valid ports is 30000-32767"),
    ("headless NodePort", {"type": "NodePort", "clusterIP": "None"}, "spec.clusterIPs[0]",
     "may not be set to 'None' for NodePort services"),
    ("headless LoadBalancer", {"type": "LoadBalancer", "clusterIP": "None"}, "spec.clusterIPs[0]",
     "may not be set to 'None' for LoadBalancer services"),
    ("ExternalName without name", {"type": "ExternalName"}, "spec.externalName", "Required value"),
    ("ExternalName upper case", {"type": "ExternalName", "externalName": "My.Host"}, "spec.externalName",
     "RFC 1123 subdomain"),
    ("ExternalName with cluster IP", {"type": "ExternalName", "externalName": "a.b", "clusterIP": "10.0.0.5"},
     "spec.clusterIPs", "may not be set for ExternalName services"),
    ("invalid cluster IP", {"clusterIP": "10.0.0.300"}, "spec.clusterIPs[0]", "must be a valid IP address"),
    ("invalid selector", {"selector": {"app": "-x"}}, "spec.selector", "a valid label must be"),
    ("externalTrafficPolicy on ClusterIP", {"externalTrafficPolicy": "Local"}, "spec.externalTrafficPolicy",
     "may only be set for externally-accessible services"),
    ("session affinity", {"sessionAffinity": "Cookie"}, "spec.sessionAffinity", 'supported values: "ClientIP"'),
])
def test_validate_service_errors(name: str, spec: Obj, field: str, fragment: str) -> None:
    # TestValidateService: error cases
    obj = service()
    obj["spec"].update(spec)
    assert_error(errors_of(obj), field, fragment)


def test_service_name_is_dns1035(cluster: rm.ClusterState) -> None:
    # N-3: Service names must start with a letter
    obj = service()
    obj["metadata"]["name"] = "1web"
    rej = create(cluster, obj)
    assert rej is not None and "DNS-1035 label" in rej.message, f"got {rej}, but '1web' is not a DNS-1035 label"


def test_set_defaults_service() -> None:
    # TestSetDefaultService (SVC-1)
    obj = service(type="LoadBalancer")
    info = lookup("Service")
    assert info is not None
    info.default(obj)
    s = obj["spec"]
    got = (s["sessionAffinity"], s["ports"][0]["protocol"], s["ports"][0]["targetPort"], s["externalTrafficPolicy"],
           s["internalTrafficPolicy"], s["allocateLoadBalancerNodePorts"])
    assert got == ("None", "TCP", 80, "Cluster", "Cluster", True), f"defaults {got}"


def test_validate_service_update_cluster_ip_immutable() -> None:
    # TestValidateServiceUpdate (SVC-4)
    old = service(clusterIP="10.0.0.5")
    new = service(clusterIP="10.0.0.6", clusterIPs=["10.0.0.6"])
    assert_error(update_errors(old, new), "spec.clusterIPs[0]", "may not change once set")
    same = service(clusterIP="10.0.0.5")
    assert update_errors(old, same) == []
    replace_without_ip = service()
    assert update_errors(old, replace_without_ip) == [], "a replace that omits clusterIP keeps the allocated one"
    external = service(type="ExternalName", externalName="db.example.com")
    assert update_errors(old, external) == [], "changing to ExternalName releases the cluster IP"


# ---------------------------------------------------------------------------------------------
# ConfigMap and Secret
# ---------------------------------------------------------------------------------------------
def configmap(**fields: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, **fields}


def secret(**fields: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, **fields}


def test_validate_config_map() -> None:
    # TestValidateConfigMap
    assert_ok(configmap(data={"validkey": "value", ".dot": "v"}, binaryData={"bin": "AAEC"}))
    assert_error(errors_of(configmap(data={"": "v"})), "data[]", "a valid config key must consist of")
    assert_error(errors_of(configmap(data={"..bad": "v"})), "data[..bad]", "must not start with '..'")
    assert_error(errors_of(configmap(data={"a": "v"}, binaryData={"a": "AAEC"})), "data[a]",
                 "duplicate of key present in binaryData")
    big = configmap(data={"a": "x" * (1024 * 1024 + 1)})
    assert any(e.type == "Too long" for e in errors_of(big)), "a ConfigMap over 1 MiB is too long"


def test_validate_config_map_update() -> None:
    # TestValidateConfigMapUpdate (CM-4)
    old = configmap(data={"a": "1"}, immutable=True)
    assert update_errors(old, configmap(data={"a": "1"}, immutable=True)) == []
    assert_error(update_errors(old, configmap(data={"a": "2"}, immutable=True)), "data",
                 "field is immutable when `immutable` is set")
    assert_error(update_errors(old, configmap(data={"a": "1"}, immutable=False)), "immutable",
                 "field is immutable when `immutable` is set")
    assert update_errors(configmap(data={"a": "1"}), configmap(data={"a": "2"})) == []


def test_validate_secret() -> None:
    # TestValidateSecret
    assert_ok(secret(data={"username": "YWRtaW4=", "empty": ""}))
    assert_error(errors_of(secret(data={"tls.crt": "REPLACE_WITH_BASE64_CERT"})), "data[tls.crt]",
                 "illegal base64 data at input byte 7")
    assert_error(errors_of(secret(type="kubernetes.io/tls", data={"tls.crt": "YQ=="})), "data[tls.key]",
                 "Required value")
    assert_error(errors_of(secret(type="kubernetes.io/dockerconfigjson", data={})), "data[.dockerconfigjson]",
                 "Required value")
    assert_error(errors_of(secret(type="kubernetes.io/dockerconfigjson", data={".dockerconfigjson": "W10="})),
                 "data[.dockerconfigjson]", "cannot unmarshal array")
    assert_error(errors_of(secret(type="kubernetes.io/basic-auth", data={})), "data[username]", "Required value")
    assert_ok(secret(type="kubernetes.io/basic-auth", stringData={"password": "t0p-Secret"}))
    assert_error(errors_of(secret(type="kubernetes.io/ssh-auth", data={})), "data[ssh-privatekey]",
                 "Required value")
    assert_error(errors_of(secret(type="kubernetes.io/service-account-token")),
                 "metadata.annotations[kubernetes.io/service-account.name]", "Required value")
    assert_error(errors_of(secret(data={"a b": "YQ=="})), "data[a b]", "a valid config key")


def test_secret_string_data_merged_into_data() -> None:
    # Convert_v1_Secret_To_core_Secret: stringData overwrites data and is not stored
    obj = secret(data={"user": "b2xk", "keep": "a2VlcA=="}, stringData={"user": "admin"})
    info = lookup("Secret")
    assert info is not None
    info.default(obj)
    assert obj["data"] == {"user": "YWRtaW4=", "keep": "a2VlcA=="} and "stringData" not in obj
    assert obj["type"] == "Opaque"


def test_validate_secret_update() -> None:
    # TestValidateSecretUpdate: type immutable; CM-4
    assert_error(update_errors(secret(data={}), secret(type="kubernetes.io/tls", data={"tls.crt": "",
                                                                                     "tls.key": ""})),
                 "type", "field is immutable")
    old = secret(data={"a": "YQ=="}, immutable=True)
    assert_error(update_errors(old, secret(data={"a": "Yg=="}, immutable=True)), "data",
                 "field is immutable when `immutable` is set")


# ---------------------------------------------------------------------------------------------
# PersistentVolume, PersistentVolumeClaim, StorageClass
# ---------------------------------------------------------------------------------------------
def test_validate_persistent_volume() -> None:
    # TestValidatePersistentVolumes
    assert_ok(pv())
    assert_ok(pv(hostPath=None, nfs={"server": "nfs", "path": "/exports"}, persistentVolumeReclaimPolicy="Recycle",
                 mountOptions=["hard"]))
    cases = [
        ({"capacity": None}, "spec.capacity", "Required value"),
        ({"capacity": {"storage": "1Gi", "cpu": "1"}}, "spec.capacity", 'supported values: "storage"'),
        ({"capacity": {"storage": "0"}}, "spec.capacity[storage]", "must be greater than zero"),
        ({"accessModes": []}, "spec.accessModes", "Required value"),
        ({"accessModes": ["ReadWriteSometimes"]}, "spec.accessModes", "Unsupported value"),
        ({"accessModes": ["ReadWriteOncePod", "ReadWriteOnce"]}, "spec.accessModes",
         "may not use ReadWriteOncePod with other access modes"),
        ({"hostPath": None}, "spec", "must specify a volume type"),
        ({"nfs": {"server": "a", "path": "/b"}}, "spec.nfs", "may not specify more than 1 volume type"),
        ({"persistentVolumeReclaimPolicy": "Keep"}, "spec.persistentVolumeReclaimPolicy", "Unsupported value"),
        ({"hostPath": None, "local": {"path": "/mnt"}}, "spec.nodeAffinity", "Local volume requires node affinity"),
        ({"storageClassName": "Fast"}, "spec.storageClassName", "RFC 1123 subdomain"),
    ]
    for spec, field, fragment in cases:
        obj = pv()
        obj["spec"].update(spec)
        for k in [k for k, v in spec.items() if v is None]:
            obj["spec"].pop(k)
        assert_error(errors_of(obj), field, fragment)


def test_set_defaults_persistent_volume() -> None:
    # TestSetDefaultPersistentVolume: reclaim policy Retain, volumeMode Filesystem
    obj = pv()
    info = lookup("PersistentVolume")
    assert info is not None
    info.default(obj)
    assert (obj["spec"]["persistentVolumeReclaimPolicy"], obj["spec"]["volumeMode"]) == ("Retain", "Filesystem")


def test_validate_persistent_volume_claim() -> None:
    # TestValidatePersistentVolumeClaim
    assert_ok(pvc())
    assert_ok(pvc(storageClassName="", volumeName="pv1", selector={"matchLabels": {"a": "b"}}))
    assert_error(errors_of(pvc(accessModes=[])), "spec.accessModes", "at least 1 access mode is required")
    obj = pvc()
    obj["spec"]["resources"] = {}
    assert_error(errors_of(obj), "spec.resources[storage]", "Required value")
    assert_error(errors_of(pvc("0")), "spec.resources[storage]", "must be greater than zero")
    assert_error(errors_of(pvc(dataSource={"kind": "Snapshot", "name": "s"})), "spec.dataSource",
                 "must be 'PersistentVolumeClaim' when referencing the default apiGroup")


def test_validate_persistent_volume_claim_update() -> None:
    # TestValidatePersistentVolumeClaimUpdate (PV-8)
    old = pvc("10Gi")
    assert_error(update_errors(old, pvc("20Gi")), "spec", "spec is immutable after creation except "
                                                          "resources.requests and volumeAttributesClassName for "
                                                          "bound claims")
    assert update_errors(old, pvc("10Gi", volumeName="pv1")) == [], "volumeName may be set once"
    bound_old = {**pvc("10Gi", volumeName="pv1"), "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}}}
    assert update_errors(bound_old, pvc("20Gi", volumeName="pv1")) == [], "a bound claim may grow"
    assert_error(update_errors(bound_old, pvc("5Gi", volumeName="pv1")), "spec.resources.requests.storage",
                 "field can not be less than status.capacity")
    assert_error(update_errors(bound_old, pvc("10Gi", volumeName="pv2")), "spec", "spec is immutable")
    ann_old = pvc()
    ann_old["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "gold"}
    assert update_errors(ann_old, {**pvc(storageClassName="gold"), "metadata": ann_old["metadata"]}) == [], \
        "the legacy annotation may be upgraded to spec.storageClassName"
    assert_error(update_errors(ann_old, pvc()), "metadata.annotations.volume.beta.kubernetes.io/storage-class",
                 "field is immutable")


def storage_class(**fields: Any) -> Obj:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
            "provisioner": "kubernetes.io/gce-pd", **fields}


def test_validate_storage_class() -> None:
    # TestValidateStorageClass
    assert_ok(storage_class(parameters={"type": "pd-ssd"}, reclaimPolicy="Retain",
                            volumeBindingMode="WaitForFirstConsumer",
                            allowedTopologies=[{"matchLabelExpressions": [
                                {"key": "topology.kubernetes.io/zone", "values": ["a", "b"]}]}]))
    no_provisioner = storage_class()
    del no_provisioner["provisioner"]
    assert_error(errors_of(no_provisioner), "provisioner", "Required value")
    assert_error(errors_of(storage_class(provisioner="invalid/provisioner/name")), "provisioner", "qualified name")
    assert_error(errors_of(storage_class(reclaimPolicy="Recycle")), "reclaimPolicy",
                 'supported values: "Delete", "Retain"')
    assert_error(errors_of(storage_class(volumeBindingMode="Later")), "volumeBindingMode", "Unsupported value")
    assert_error(errors_of(storage_class(parameters={"": "x"})), "parameters", "field can not be empty.")
    obj = storage_class()
    info = lookup("StorageClass")
    assert info is not None
    info.default(obj)
    assert (obj["reclaimPolicy"], obj["volumeBindingMode"]) == ("Delete", "Immediate")


def test_validate_storage_class_update() -> None:
    # TestValidateStorageClassUpdate (PV-7)
    old = storage_class(parameters={"type": "pd-ssd"})
    ok = storage_class(parameters={"type": "pd-ssd"}, allowVolumeExpansion=True)
    ok["metadata"]["labels"] = {"tier": "gold"}
    assert update_errors(old, ok) == []
    bad = storage_class(parameters={"type": "pd-standard"}, provisioner="example.com/other", reclaimPolicy="Retain",
                        volumeBindingMode="WaitForFirstConsumer")
    errs = update_errors(old, bad)
    assert_error(errs, "parameters", "updates to parameters are forbidden.")
    assert_error(errs, "provisioner", "updates to provisioner are forbidden.")
    assert_error(errs, "reclaimPolicy", "updates to reclaimPolicy are forbidden.")
    assert_error(errs, "volumeBindingMode", "field is immutable")


# ---------------------------------------------------------------------------------------------
# Namespace, Node, Endpoints
# ---------------------------------------------------------------------------------------------
def test_validate_namespace(cluster: rm.ClusterState) -> None:
    # TestValidateNamespace: names are DNS-1123 labels; finalizers qualified
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "my.ns"}}
    rej = create(cluster, ns)
    assert rej is not None and rej.field == "metadata.name", f"got {rej}, but 'my.ns' is not a DNS-1123 label"
    ok = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    r = door.create(cluster, ok)
    assert r.ok and r.obj is not None
    assert r.obj["metadata"]["labels"]["kubernetes.io/metadata.name"] == "team-a"
    assert list(r.obj["spec"]["finalizers"]) == ["kubernetes"]
    bad = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {"finalizers": ["bogus"]}}
    assert_error(errors_of(bad), "spec.finalizers", "neither a standard finalizer name nor is it fully qualified")


def test_validate_node() -> None:
    # TestValidateNode
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
            "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}, {"key": "a", "effect": "NoSchedule"}]}}
    assert_error(errors_of(node), "metadata.taints[1]", "taints must be unique by key and effect pair")
    node["spec"]["taints"] = [{"key": "a", "effect": "Sometimes"}]
    assert_error(errors_of(node), "metadata.taints[0].effect", "Unsupported value")
    old = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"podCIDRs": ["10.0.0.0/24"]}}
    new = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": {"podCIDRs": ["10.0.1.0/24"]}}
    assert_error(update_errors(old, new), "spec.podCIDRs", "node updates may not change podCIDR")


def test_validate_endpoints() -> None:
    # TestValidateEndpointsCreate
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "redis"},
          "subsets": [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 6379}]}]}
    assert_ok(ep)
    ep["subsets"][0]["addresses"][0]["ip"] = "127.0.0.1"
    assert_error(errors_of(ep), "subsets[0].addresses[0].ip", "may not be in the loopback range")
    ep["subsets"] = [{"ports": [{"port": 1}, {"port": 2}]}]
    errs = errors_of(ep)
    assert_error(errs, "subsets[0]", "must specify `addresses` or `notReadyAddresses`")
    assert_error(errs, "subsets[0].ports[0].name", "Required value")


# ---------------------------------------------------------------------------------------------
# through the API server: kubectl-like text, and a rejected write changes nothing
# ---------------------------------------------------------------------------------------------
def test_rejection_text_is_kubectl_like(cluster: rm.ClusterState) -> None:
    rej = create(cluster, deployment(template=template({"app": "x"})))
    assert rej is not None
    want = ('The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: {"app":"x"}: '
            "`selector` does not match template `labels`")
    assert rej.message == want, f"message={rej.message!r}, but should be {want!r}"
    assert rej.reason == "Invalid" and rej.code == 422


@pytest.mark.parametrize("obj", [
    deployment(replicas=-1),
    pod(containers=[{"name": "c"}]),
    service(type="NodePort", ports=[{"port": 80, "nodePort": 99}]),
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "!!!"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": 1}},
], ids=["deployment", "pod", "service", "secret", "configmap"])
def test_rejected_write_changes_nothing(cluster: rm.ClusterState, obj: Obj) -> None:
    r = door.apply(cluster, copy.deepcopy(obj))
    assert r.rejection is not None, f"{obj['kind']} was accepted, but is invalid"
    assert r.state is cluster, "a rejected write returned a different state"
    with pytest.raises(rm.Invalid):
        rm.apply_manifest(cluster, obj)
    assert rm.get(cluster, obj["kind"], obj["metadata"]["name"]) is None


def test_rejected_update_changes_nothing(cluster: rm.ClusterState) -> None:
    state = rm.apply_manifest(cluster, deployment())
    before = rm.get(state, "Deployment", "web")
    bad = deployment(selector={"matchLabels": {"app": "other"}}, template=template({"app": "other"}))
    r = door.apply(state, bad)
    assert r.rejection is not None and r.rejection.field == "spec.selector", f"got {r.rejection}"
    assert r.state is state and rm.get(r.state, "Deployment", "web") == before


def test_reapply_of_defaulted_objects_is_accepted(cluster: rm.ClusterState) -> None:
    # A second `kubectl apply` of the same manifests must pass update validation (defaults are idempotent)
    objs = [deployment(), statefulset(volumeClaimTemplates=[{"metadata": {"name": "d"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]),
        service(), pvc(), pod(), storage_class(), pv(), secret(stringData={"a": "b"}), configmap(data={"a": "b"})]
    state = cluster
    for obj in objs:
        state = rm.apply_manifest(state, obj)
    state = rm.converge(state)
    for obj in objs:
        state = rm.apply_manifest(state, obj)
    assert rm.get(state, "StatefulSet", "web") is not None


def test_generated_schema_is_fresh() -> None:
    # tools/gen_schema.py: the committed tables equal what the v1.32 client generates (dev machines only)
    pytest.importorskip("kubernetes")
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "gen_schema.py"
    spec = importlib.util.spec_from_file_location("gen_schema", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.generate() == module.OUT.read_text(encoding="utf-8"), "run python tools/gen_schema.py"


# ---------------------------------------------------------------------------------------------
# every checked kind: a wrong-typed value at any top-level spec field is a field-path error
# ---------------------------------------------------------------------------------------------
_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "str": st.text(max_size=5),
    "int": st.integers(-5, 5),
    "float": st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    "bool": st.booleans(),
    "list": st.lists(st.integers(0, 3), max_size=2),
    "dict": st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2),
}
# JSON types each type spec refuses (free-form "object" fields accept anything and are left out)
_WRONG: dict[str, tuple[str, ...]] = {
    "string": ("int", "float", "bool", "list", "dict"),
    "boolean": ("str", "int", "float", "list", "dict"),
    "int32": ("str", "float", "bool", "list", "dict"),
    "int64": ("str", "float", "bool", "list", "dict"),
    "number": ("str", "bool", "list", "dict"),
    "int-or-string": ("float", "bool", "list", "dict"),
    "quantity": ("bool", "list", "dict"),
    "byte": ("int", "float", "bool", "list", "dict"),
    "date-time": ("int", "float", "bool", "list", "dict"),
}


def _wrong_kinds(spec: str) -> tuple[str, ...]:
    if spec.startswith("[]"):
        return ("str", "int", "bool", "dict")
    return _WRONG.get(spec, ("str", "int", "float", "bool", "list"))  # objects and maps


def _spec_fields(kind: str, api_version: str) -> tuple[str, list[tuple[str, str]]]:
    """The prefix and the (field, type spec) pairs of a kind's top-level spec (or its top level if it has none)."""
    root = root_type(kind, api_version)
    assert root is not None
    fields = _schema_types()[root]
    if "spec" in fields:
        return "spec.", sorted((k, v) for k, v in _schema_types()[fields["spec"]].items() if v != "object")
    return "", sorted((k, v) for k, v in fields.items()
                      if k not in ("apiVersion", "kind", "metadata", "status") and v != "object")


def _schema_types() -> dict[str, dict[str, str]]:
    from refmodel.resources._schema_data import TYPES

    return TYPES


CHECKED = sorted(k for k, info in REGISTRY.items() if info.modelled)


@st.composite
def _wrong_typed(draw: st.DrawFn) -> tuple[Obj, str]:
    kind = draw(st.sampled_from(CHECKED))
    info = REGISTRY[kind]
    api_version = info.api_versions[0]
    prefix, fields = _spec_fields(kind, api_version)
    name, spec = draw(st.sampled_from(fields))
    value = draw(_SCALARS[draw(st.sampled_from(_wrong_kinds(spec)))])
    obj: Obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
    if prefix:
        obj["spec"] = {name: value}
    else:
        obj[name] = value
    return obj, f"{prefix}{name}"


@given(_wrong_typed())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_checked_kind_rejects_a_wrong_type_at_each_spec_field(case: tuple[Obj, str]) -> None:
    obj, field = case
    r = door.create(rm.new_cluster(nodes=0), copy.deepcopy(obj))  # no exception, whatever the value
    assert r.rejection is not None, f"{obj['kind']} {field}={obj.get('spec', obj).get(field.split('.')[-1])!r}: " \
                                    "accepted, but the value has the wrong type"
    assert any(c.field == field for c in r.rejection.causes), \
        f"{obj['kind']}: got {[str(c) for c in r.rejection.causes]}, but should name {field}"


def test_wrong_type_property_covers_every_checked_kind() -> None:
    assert {"Job", "CronJob", "DaemonSet", "ReplicationController", "PodDisruptionBudget", "ServiceAccount", "Role",
            "ClusterRole", "RoleBinding", "ClusterRoleBinding"} <= set(CHECKED), CHECKED
    for kind in CHECKED:
        _, fields = _spec_fields(kind, REGISTRY[kind].api_versions[0])
        assert fields or kind in ("ServiceAccount",), f"{kind}: no top-level fields to test"


_GARBAGE = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                     max_size=3), max_leaves=8)


@st.composite
def _garbage_object(draw: st.DrawFn) -> Obj:
    """A checked kind with garbage at some of its own top-level spec fields (or top-level fields)."""
    kind = draw(st.sampled_from(CHECKED))
    info = REGISTRY[kind]
    prefix, fields = _spec_fields(kind, info.api_versions[0])
    names = [n for n, _ in fields] or ["spec"]
    body = draw(st.dictionaries(st.sampled_from(names), _GARBAGE, max_size=4))
    obj: Obj = {"apiVersion": info.api_versions[0], "kind": kind, "metadata": {"name": "x", "namespace": "default"}}
    if prefix:
        obj["spec"] = body
    else:
        obj.update(body)
    return obj


@given(_garbage_object())
@example({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"ipFamilies": [[]]}})
@example({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "x"}, "spec": {"podCIDRs": [None, []]}})
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_validators_are_total_on_garbage(obj: Obj) -> None:
    # defaulting and validation run after the structural check upstream, but must never raise on any input
    info = REGISTRY[obj["kind"]]
    info.default(obj)
    errs = info.validate(obj) + info.validate_update(copy.deepcopy(obj), obj)
    assert all(isinstance(e, FieldError) for e in errs)


def test_only_custom_resource_definitions_are_unchecked() -> None:
    # every served kind but CRDs is validated as upstream validates it; `validate` reports CRDs as not checked
    unchecked = sorted(k for k, info in REGISTRY.items() if not info.modelled)
    assert unchecked == ["CustomResourceDefinition"], f"unchecked kinds: {unchecked}"


def test_structural_errors_come_in_the_order_of_the_keys_text_whatever_the_order_of_the_manifest() -> None:
    # the check walks a struct in the manifest's own order and sorts only when it found errors: the report
    # must not depend on that (kubectl users see the errors as the API server sorts them)
    from refmodel.resources.schema import structural_errors

    def deployment(spec: dict[str, object]) -> dict[str, object]:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"a": "b"}},
                "spec": spec}

    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    orders = [
        {"zeta": 1, "replicas": "three", "alpha": True, "template": template, "paused": None},
        {"alpha": True, "template": template, "paused": None, "replicas": "three", "zeta": 1},
    ]
    reports = []
    for spec in orders:
        obj = deployment(spec)
        errs = structural_errors("Deployment", "apps/v1", obj)
        reports.append([(e.field, e.type) for e in errs])
        assert "paused" not in obj["spec"], "a null field was not decoded as absent"
    assert reports[0] == reports[1], f"{reports[0]} and {reports[1]}: the order followed the manifest"
    assert [f for f, _ in reports[0]] == ["spec.alpha", "spec.replicas", "spec.zeta"], reports[0]
    nested = deployment({"selector": {"matchLabels": {"z": 1, "a": 2}}, "template": template})
    fields = [e.field for e in structural_errors("Deployment", "apps/v1", nested)]
    assert fields == ["spec.selector.matchLabels[a]", "spec.selector.matchLabels[z]"], fields


def test_a_string_rule_answers_the_same_for_a_value_it_has_seen_and_never_remembers_an_invalid_one() -> None:
    from refmodel.resources import common

    rules = (common.dns1123_label_errors, common.dns1123_subdomain_errors, common.dns1035_label_errors,
             common.qualified_name_errors, common.label_value_errors)
    values = ("web", "Web", "a" * 64, "example.com/app", "-x", "", "a/b/c", "x.y", "9abc", "_v")
    first = {(r.__name__, v): r(v) for r in rules for v in values}
    for _ in range(2):
        for r in rules:
            for v in values:
                again = r(v)
                assert again == first[(r.__name__, v)], (
                    f"{r.__name__}({v!r}) answered {again} on a repeat, but should answer {first[(r.__name__, v)]}")
    assert any(first.values()) and not all(first.values()), "the values should include valid and invalid ones"
