"""``kubeoracle serve`` on the wire: authentication, discovery, OpenAPI, Status errors, selectors, paging,
watches, and bad input (never a 5xx, never a dead server). Plus the pure parts (selectors, ages, tables).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from serving import Server, need_serve_deps, start

from conformance.serve.selectors import SelectorError, parse_field_selector, parse_label_selector
from conformance.serve.tables import human_duration, table

NS = "/api/v1/namespaces/default"


def _cm(name: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": data}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_serve_deps()
    yield from start(tmp_path_factory.mktemp("serve"))


# ---------------------------------------------------------------------------------------------
# pure parts
# ---------------------------------------------------------------------------------------------
# TestHumanDuration (apimachinery/pkg/util/duration/duration_test.go)
@pytest.mark.parametrize(("seconds", "text"), [
    (1, "1s"), (70, "70s"), (190, "3m10s"), (600, "10m"), (150 * 60, "150m"), (4 * 3600 + 30 * 60, "4h30m"), (9 * 3600, "9h"),
    (3 * 86400 + 4 * 3600, "3d4h"), (30 * 86400, "30d"), (3 * 365 * 86400, "3y"), (-1, "0s"), (-5, "<invalid>"),
])
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


# TestParse / TestLexerSequence (apimachinery/pkg/labels/selector_test.go)
@pytest.mark.parametrize(("selector", "labels", "matches"), [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "db"}, False),
    ("app!=web", {}, True),  # != matches objects without the key
    ("app in (web,db),tier notin (cache)", {"app": "db", "tier": "front"}, True),
    ("app in (web,db),tier notin (cache)", {"app": "db", "tier": "cache"}, False),
    ("!canary", {"canary": "yes"}, False),
    ("env", {"env": ""}, True),
    ("replicas>2", {"replicas": "3"}, True),
    ("replicas<2", {"replicas": "3"}, False),
    ("", {"x": "y"}, True),
])
def test_label_selector(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert parse_label_selector(selector)(labels) is matches


@pytest.mark.parametrize("selector", ["app in web", "app in ()", "a=b,", "=x", "app in (a", "x>y", "a b"])
def test_label_selector_errors(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


def test_field_selector() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": {"nodeName": "node-1"},
           "status": {"phase": "Running"}}
    assert parse_field_selector("spec.nodeName=node-1,status.phase!=Pending", "Pod")(pod)
    assert not parse_field_selector("spec.nodeName==node-2", "Pod")(pod)
    assert parse_field_selector("spec.nodeName=", "Pod")({**pod, "spec": {}})
    with pytest.raises(SelectorError, match=r"field label not supported: spec\.replicas"):
        parse_field_selector("spec.replicas=1", "Deployment")
    with pytest.raises(SelectorError):
        parse_field_selector("metadata.name", "Pod")


def test_table_columns_and_priorities() -> None:
    pod = {"kind": "Pod", "apiVersion": "v1",
           "metadata": {"name": "p", "namespace": "default", "creationTimestamp": "2025-01-01T00:00:00Z"},
           "spec": {"nodeName": "node-0", "containers": [{"name": "a"}, {"name": "b"}]},
           "status": {"phase": "Running", "podIP": "10.0.0.9", "containerStatuses": [
               {"name": "a", "ready": True, "restartCount": 2, "state": {"running": {}}},
               {"name": "b", "ready": False, "restartCount": 1, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}
    t = table("Pod", [pod], 1735689600 + 190)
    assert [c["name"] for c in t["columnDefinitions"] if c["priority"] == 0] == [
        "Name", "Ready", "Status", "Restarts", "Age"]
    assert t["rows"][0]["cells"][:7] == ["p", "1/2", "CrashLoopBackOff", 3, "3m10s", "10.0.0.9", "node-0"]
    assert t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert "object" not in table("Pod", [pod], 0, include="None")["rows"][0]


# ---------------------------------------------------------------------------------------------
# on the wire
# ---------------------------------------------------------------------------------------------
def test_unauthenticated_requests_get_401(server: Server) -> None:
    for token in ("", "wrong"):
        code, body = server.call("GET", "/api/v1/namespaces", token=token)
        assert (code, body["reason"], body["kind"]) == (401, "Unauthorized", "Status"), body


def test_version_and_discovery(server: Server) -> None:
    code, version = server.call("GET", "/version")
    assert code == 200 and (version["major"], version["minor"]) == ("1", "32"), version
    _, groups = server.call("GET", "/apis")
    names = {g["name"] for g in groups["groups"]}
    assert {"apps", "batch", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io"} <= names, names
    _, apps = server.call("GET", "/apis/apps/v1")
    by_name = {r["name"]: r for r in apps["resources"]}
    assert by_name["deployments"]["shortNames"] == ["deploy"] and "watch" in by_name["deployments"]["verbs"]
    assert (by_name["deployments/scale"]["group"], by_name["deployments/scale"]["kind"]) == ("autoscaling", "Scale")
    _, core = server.call("GET", "/api/v1")
    assert {"pods", "pods/status", "pods/binding", "namespaces", "events"} <= {r["name"] for r in core["resources"]}
    code, body = server.call("GET", "/apis/nosuch.example.com/v1")
    assert (code, body["reason"]) == (404, "NotFound"), body


def test_openapi_v3_says_patch_validates_fields(server: Server) -> None:
    """kubectl apply relies on this (query_param_verifier_v3.go supportsQueryParamV3)."""
    _, index = server.call("GET", "/openapi/v3")
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    code, doc = server.call("GET", url)
    assert code == 200
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    containers = doc["components"]["schemas"]["PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name" and containers["x-kubernetes-patch-strategy"] == "merge"
    code, v2 = server.call("GET", "/openapi/v2")
    assert code == 200 and v2["swagger"] == "2.0" and "Deployment" in v2["definitions"]


def test_status_errors_carry_upstream_reasons(server: Server) -> None:
    code, body = server.call("POST", f"{NS}/configmaps", _cm("dup", a="1"))
    assert code == 201 and body["metadata"]["resourceVersion"], body
    code, body = server.call("POST", f"{NS}/configmaps", _cm("dup", a="1"))
    assert (code, body["reason"], body["details"]["name"]) == (409, "AlreadyExists", "dup"), body
    code, body = server.call("GET", f"{NS}/configmaps/none")
    assert (code, body["reason"], body["message"]) == (404, "NotFound", 'configmaps "none" not found'), body
    code, body = server.call("POST", f"{NS}/configmaps", _cm("Bad_Name"))
    assert (code, body["reason"]) == (422, "Invalid"), body
    assert body["details"]["causes"][0]["field"] == "metadata.name", body
    # two writers from one resourceVersion: the second gets 409 Conflict, the first write stays
    _, live = server.call("GET", f"{NS}/configmaps/dup")
    first = {**live, "data": {"a": "first"}}
    second = {**live, "data": {"a": "second"}}
    assert server.call("PUT", f"{NS}/configmaps/dup", first)[0] == 200
    code, body = server.call("PUT", f"{NS}/configmaps/dup", second)
    assert (code, body["reason"]) == (409, "Conflict"), body
    assert server.call("GET", f"{NS}/configmaps/dup")[1]["data"] == {"a": "first"}
    # the URL's namespace and name win over a body that disagrees: 400
    code, body = server.call("POST", "/api/v1/namespaces/kube-system/configmaps",
                             {**_cm("x"), "metadata": {"name": "x", "namespace": "default"}})
    assert (code, body["reason"]) == (400, "BadRequest"), body
    # ValidatePatchOptions: an apply names its field manager; force is for applies only
    code, body = server.call("PATCH", f"{NS}/configmaps/dup", {"data": {"b": "2"}}, content_type="application/apply-patch+yaml")
    assert (code, body["reason"], body["details"]["kind"]) == (422, "Invalid", "PatchOptions"), body
    assert body["message"] == 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for ' \
        "apply patch", body
    code, body = server.call("PATCH", f"{NS}/configmaps/dup?force=true", {"data": {"b": "2"}},
                             content_type="application/merge-patch+json")
    assert (code, body["reason"]) == (422, "Invalid"), body
    assert "force: Forbidden: may not be specified for non-apply patch" in body["message"], body
    code, body = server.call("PUT", f"{NS}/configmaps/dup", {**live, "metadata": {**live["metadata"], "name": "other"}})
    assert (code, body["reason"]) == (400, "BadRequest"), body


def test_list_selectors_and_paging(server: Server) -> None:
    for i in range(7):
        server.call("POST", f"{NS}/configmaps", _cm(f"page-{i}", {"page": "yes", "parity": "even" if i % 2 == 0 else "odd"}))
    code, body = server.call("GET", f"{NS}/configmaps?labelSelector=page%3Dyes,parity+in+(odd)")
    assert code == 200 and [o["metadata"]["name"] for o in body["items"]] == ["page-1", "page-3", "page-5"], body
    code, body = server.call("GET", f"{NS}/configmaps?fieldSelector=metadata.name%3Dpage-4")
    assert [o["metadata"]["name"] for o in body["items"]] == ["page-4"], body
    code, body = server.call("GET", f"{NS}/configmaps?fieldSelector=data.x%3D1")
    assert (code, body["reason"]) == (400, "BadRequest") and "field label not supported" in body["message"], body
    code, body = server.call("GET", f"{NS}/configmaps?labelSelector=a+in+b")
    assert (code, body["reason"]) == (400, "BadRequest"), body
    # limit/continue: pages of 3 from one snapshot, even when writes happen between them
    names: list[str] = []
    path = f"{NS}/configmaps?labelSelector=page%3Dyes&limit=3"
    code, page = server.call("GET", path)
    names += [o["metadata"]["name"] for o in page["items"]]
    assert page["metadata"]["remainingItemCount"] == 4, page["metadata"]
    server.call("POST", f"{NS}/configmaps", _cm("page-9", {"page": "yes"}))  # after the snapshot
    while page["metadata"].get("continue"):
        code, page = server.call("GET", path + "&continue=" + page["metadata"]["continue"])
        assert code == 200, page
        names += [o["metadata"]["name"] for o in page["items"]]
    assert names == [f"page-{i}" for i in range(7)], names
    code, body = server.call("GET", path + "&continue=not-a-token")
    assert (code, body["reason"]) == (400, "BadRequest"), body
    # the Table kubectl asks for
    code, t = server.call("GET", f"{NS}/configmaps?labelSelector=page%3Dyes&limit=2",
                          accept="application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    assert t["kind"] == "Table" and [c["name"] for c in t["columnDefinitions"]] == ["Name", "Data", "Age"], t
    assert len(t["rows"]) == 2 and t["metadata"]["continue"], t


def test_watch_replays_from_a_resource_version_and_expires_old_ones(server: Server) -> None:
    _code, listed = server.call("GET", f"{NS}/configmaps")
    rv = listed["metadata"]["resourceVersion"]
    server.call("POST", f"{NS}/configmaps", _cm("w1", {"watched": "yes"}))
    server.call("PATCH", f"{NS}/configmaps/w1", {"data": {"k": "v"}}, content_type="application/merge-patch+json")
    server.call("DELETE", f"{NS}/configmaps/w1")
    events = server.stream(f"{NS}/configmaps?watch=true&labelSelector=watched%3Dyes&resourceVersion={rv}&timeoutSeconds=2")
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"], events
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(rv), rvs
    # bookmarks while nothing happens
    marks = server.stream(f"{NS}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion={rvs[-1]}&timeoutSeconds=3")
    assert marks and {e["type"] for e in marks} == {"BOOKMARK"}, marks
    # a version older than the log: one ERROR event with 410 Expired
    gone = server.stream(f"{NS}/configmaps?watch=1&resourceVersion=1&timeoutSeconds=2")
    assert len(gone) == 1 and gone[0]["type"] == "ERROR", gone
    assert (gone[0]["object"]["code"], gone[0]["object"]["reason"]) == (410, "Expired"), gone


# etcd3/store.go GetList with resourceVersionMatch=Exact (what the kube adapter's consistent cuts read)
def test_list_at_an_exact_resource_version(server: Server) -> None:
    _code, listed = server.call("GET", f"{NS}/configmaps")
    rv = listed["metadata"]["resourceVersion"]
    names = sorted(o["metadata"]["name"] for o in listed["items"])
    assert server.call("POST", f"{NS}/configmaps", _cm("exact-1"))[0] == 201
    code, then = server.call("GET", f"{NS}/configmaps?resourceVersion={rv}&resourceVersionMatch=Exact")
    assert code == 200 and then["metadata"]["resourceVersion"] == rv, then
    assert sorted(o["metadata"]["name"] for o in then["items"]) == names, then["items"]  # not exact-1: later
    code, now = server.call("GET", f"{NS}/configmaps")
    assert "exact-1" in {o["metadata"]["name"] for o in now["items"]}, now
    code, body = server.call("GET", f"{NS}/configmaps?resourceVersion=1&resourceVersionMatch=Exact")
    assert (code, body["reason"]) == (410, "Expired"), body
    code, body = server.call("GET", f"{NS}/configmaps?resourceVersion=99999999&resourceVersionMatch=Exact")
    assert (code, body["reason"]) == (504, "Timeout"), body


def test_delete_with_options(server: Server) -> None:
    server.call("POST", f"{NS}/configmaps", _cm("del"))
    code, body = server.call("DELETE", f"{NS}/configmaps/del", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                                "preconditions": {"uid": "not-the-uid"}})
    assert (code, body["reason"]) == (409, "Conflict"), body
    code, body = server.call("DELETE", f"{NS}/configmaps/del", {"propagationPolicy": "Sideways"})
    assert (code, body["reason"]) == (422, "Invalid"), body
    code, body = server.call("DELETE", f"{NS}/configmaps/del", {"propagationPolicy": "Foreground"})
    assert code in (200, 202), body
    if code == 202:  # foreground: held by the foregroundDeletion finalizer until the collector is done
        assert "foregroundDeletion" in body["metadata"]["finalizers"], body
    server.wait_for("the ConfigMap gone", lambda: server.call("GET", f"{NS}/configmaps/del")[0] == 404, timeout=30)


HOSTILE: list[tuple[str, bytes, str]] = [
    ("not json", b"{nope", "application/json"),
    ("a list", b"[1,2,3]", "application/json"),
    ("a string", b'"configmap"', "application/json"),
    ("NaN", b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"n"},"data":{"a":NaN}}', "application/json"),
    ("duplicate key", b'{"kind":"ConfigMap","kind":"ConfigMap","metadata":{"name":"d"}}', "application/json"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("invalid utf-8", b'{"metadata":{"name":"\xff\xfe"}}', "application/json"),
    ("wrong types", b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":7,"labels":[1]},"data":3}',
     "application/json"),
    ("huge string", b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' + b"a" * 10_000 + b'"}}',
     "application/json"),
    ("yaml alias bomb", b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
     b"g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", "application/yaml"),
    ("empty", b"", "application/json"),
    ("too large", b'{"a":"' + b"x" * (4 * 1024 * 1024) + b'"}', "application/json"),
    ("protobuf garbage", b"k8s\x00\x0a\x03xyz", "application/vnd.kubernetes.protobuf"),
]
ENDPOINTS = [("POST", f"{NS}/configmaps"), ("PUT", f"{NS}/configmaps/dup"), ("PATCH", f"{NS}/configmaps/dup"),
             ("POST", "/apis/apps/v1/namespaces/default/deployments"), ("PUT", "/apis/apps/v1/namespaces/default/deployments/x/scale"),
             ("DELETE", f"{NS}/configmaps/dup"), ("POST", f"{NS}/pods/p/binding"), ("PUT", "/api/v1/namespaces/default"),
             ("PATCH", "/api/v1/nodes/node-0/status")]


@pytest.mark.parametrize(("label", "raw", "ctype"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bodies_get_4xx_and_the_server_stays_up(server: Server, label: str, raw: bytes, ctype: str) -> None:
    server.call("POST", f"{NS}/configmaps", _cm("dup"))
    for method, path in ENDPOINTS:
        if (label == "too large" and method != "POST") or (label == "empty" and method == "DELETE"):
            continue  # (a DELETE without a body is a plain delete)
        patch_ctype = "application/merge-patch+json" if method == "PATCH" and ctype == "application/json" else ctype
        code, body = server.call(method, path, raw=raw, content_type=patch_ctype)
        assert 400 <= code < 500, f"{method} {path} with {label}: {code} {body!r:.300}, but should be a 4xx"
        assert isinstance(body, dict) and body.get("kind") == "Status", f"{method} {path} with {label}: {body!r:.300}"
    assert server.alive()
    assert server.call("GET", f"{NS}/configmaps/dup")[0] == 200


def test_fuzzed_bodies_never_get_5xx(server: Server) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                               lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                               max_leaves=20)
    bodies = st.fixed_dictionaries({"apiVersion": st.sampled_from(["v1", "apps/v1", 3]),
                                    "kind": st.sampled_from(["ConfigMap", "Deployment", "Pod", None]),
                                    "metadata": json_values | st.fixed_dictionaries({"name": st.text(max_size=10)}),
                                    "spec": json_values, "data": json_values})

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=bodies, where=st.sampled_from(ENDPOINTS))
    def run(body: dict[str, Any], where: tuple[str, str]) -> None:
        method, path = where
        ctype = "application/strategic-merge-patch+json" if method == "PATCH" else "application/json"
        code, out = server.call(method, path, raw=json.dumps(body).encode(), content_type=ctype)
        assert code < 500, f"{method} {path} {body!r:.300}: {code} {out!r:.300}"

    run()
    assert server.alive()


def _pb_field(number: int, payload: bytes | int) -> bytes:
    def varint(n: int) -> bytes:
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out
    if isinstance(payload, int):
        return varint(number << 3) + varint(payload)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _pb_envelope(kind: str, raw: bytes) -> bytes:
    type_meta = _pb_field(1, b"v1") + _pb_field(2, kind.encode())
    return b"k8s\x00" + _pb_field(1, type_meta) + _pb_field(2, raw) + _pb_field(3, b"") + _pb_field(4, b"")


def test_protobuf_bodies() -> None:
    """The envelope and field numbers of generated.proto, as Go's encoder writes them (empty fields too)."""
    from conformance.serve.protobuf import ProtobufError, decode

    meta = (_pb_field(1, b"cfg") + _pb_field(2, b"") + _pb_field(3, b"default") + _pb_field(4, b"") +
            _pb_field(8, b"") + _pb_field(11, _pb_field(1, b"app") + _pb_field(2, b"web")))
    raw = _pb_field(1, meta) + _pb_field(2, _pb_field(1, b"a") + _pb_field(2, b"1")) + \
        _pb_field(3, _pb_field(1, b"bin") + _pb_field(2, b"\x00\xff")) + _pb_field(4, 1)
    assert decode(_pb_envelope("ConfigMap", raw)) == {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "default", "labels": {"app": "web"}},
        "data": {"a": "1"}, "binaryData": {"bin": "AP8="}, "immutable": True}
    with pytest.raises(ProtobufError) as unsupported:
        decode(_pb_envelope("Deployment", b""))
    assert unsupported.value.unsupported
    with pytest.raises(ProtobufError) as unknown_field:
        decode(_pb_envelope("ConfigMap", _pb_field(9, b"x")))
    assert unknown_field.value.unsupported
    for broken in (b"k8s\x00\x0a\xff", b"k8s\x00\x0a\x05ab", b"nope", b"k8s\x00\x0f"):
        with pytest.raises(ProtobufError) as bad:
            decode(broken)
        assert not bad.value.unsupported, broken


@pytest.mark.parametrize(("argv", "message"), [
    (["--host", "0.0.0.0"], "is not a loopback address; pass --allow-remote"),
    (["--time-scale", "0"], "argument --time-scale: must be greater than 0"),
    (["--port", "70000"], "argument --port: must be between 0 and 65535"),
    (["--nodes", "-1"], "argument --nodes: must be between 0 and 5000"),
])
def test_serve_flags(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.serve import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err


def test_a_failing_controller_turn_does_not_stop_the_cluster(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.serve.cluster import Cluster
    from refmodel.controllers import CONTROLLERS
    from refmodel.request import Request

    ticks = [0.0]
    cluster = Cluster(clock=lambda: ticks[0])
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                  "spec": {"replicas": 2, "selector": {"matchLabels": {"a": "b"}},
                           "template": {"metadata": {"labels": {"a": "b"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    real = CONTROLLERS["deployment"]

    class Broken:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def sync(self, state: object, key: str) -> object:
            raise RuntimeError("a controller bug")

    monkeypatch.setitem(CONTROLLERS, "deployment", Broken())
    assert cluster.request(Request("create", body=deployment)).code == 201
    for _ in range(3):
        ticks[0] += 1
        cluster.tick()
    assert "the deployment controller failed on 'default/w'" in capsys.readouterr().err
    monkeypatch.setitem(CONTROLLERS, "deployment", real)
    cluster.request(Request("patch", "Deployment", "default", "w", body={"spec": {"replicas": 1}}))
    for _ in range(20):
        ticks[0] += 1
        cluster.tick()
    assert cluster.state.count("Pod", "default") == 1  # the controller runs again once it works
