"""Tests for refmodel.patch: merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch, three-way apply.

Strategic cases are named after ``strategicpatch/patch_test.go`` (TestStrategicMergePatch*,
TestCreateThreeWayMergePatch*); the fixtures are our own. Every Hypothesis property is also run against a
deliberately broken implementation, which it must reject.
"""

from __future__ import annotations

import contextlib
import copy
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from refmodel import patch as P
from refmodel.frozen import freeze
from refmodel.patch import PatchError


def deploy(containers: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"replicas": 2, "template": {"spec": {"containers": containers or [
        {"name": "app", "image": "app:1"}]}}}
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": body}


def containers_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["spec"]["template"]["spec"]["containers"]  # type: ignore[no-any-return]


def smp(doc: dict[str, Any], patch: Any, kind: str = "Deployment") -> dict[str, Any]:
    return P.strategic_merge_patch(doc, patch, kind)


def template_patch(pod_spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": pod_spec}}}


# ---------------------------------------------------------------------------------------------
# RFC 7386 (Appendix A test cases, written out as Python values)
# ---------------------------------------------------------------------------------------------
RFC7386 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("doc", "patch", "want"), RFC7386)
def test_rfc7386_appendix_a(doc: Any, patch: Any, want: Any) -> None:
    if isinstance(doc, dict) and not isinstance(patch, dict):
        with pytest.raises(PatchError) as err:  # an API object only takes an object patch
            P.json_merge_patch(doc, patch)
        assert err.value.code == 422
        return
    assert P.json_merge_patch(doc, patch) == want


def test_json_merge_patch_prunes_nulls_inside_new_lists_like_json_patch_v4() -> None:
    # RFC 7386 would keep [1, null, {"b": null}]; json-patch v4's pruneNulls drops null items and null members
    assert P.json_merge_patch({"x": 1}, {"a": [1, None, {"b": None}]}) == {"x": 1, "a": [1, {}]}
    assert P.json_merge_patch({"a": [0]}, {"a": [None, 2]}) == {"a": [2]}
    assert P.json_merge_patch({"a": {"k": 1}}, {"a": [None, 2]}) == {"a": [None, 2]}  # object target: taken as is


def test_json_merge_patch_null_body_is_invalid_json_patch() -> None:
    with pytest.raises(PatchError) as err:
        P.json_merge_patch({"a": 1}, None)
    assert (err.value.code, err.value.message) == (500, "Invalid JSON Patch")


def test_json_merge_patch_replaces_lists_whole() -> None:
    got = P.json_merge_patch(deploy([{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]),
                             template_patch({"containers": [{"name": "b", "image": "3"}]}))
    assert containers_of(got) == [{"name": "b", "image": "3"}]


# ---------------------------------------------------------------------------------------------
# RFC 6902 (Appendix A) and json-patch v4's behaviour
# ---------------------------------------------------------------------------------------------
RFC6902_OK = [
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
    ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}], {"foo": ["bar", "qux", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    ({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo", "foo": "bar"}),
    ({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ({"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}], {"foo": "bar", "baz": "qux"}),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}], {"foo": ["bar", ["abc", "def"]]}),
    ({"a/b": {"m~n": 1}}, [{"op": "replace", "path": "/a~1b/m~0n", "value": 2}], {"a/b": {"m~n": 2}}),
    ({"foo": ["a", "b"]}, [{"op": "copy", "from": "/foo/0", "path": "/foo/-"}], {"foo": ["a", "b", "a"]}),
    ({"foo": ["a", "b", "c"]}, [{"op": "remove", "path": "/foo/-1"}], {"foo": ["a", "b"]}),
]


@pytest.mark.parametrize(("doc", "ops", "want"), RFC6902_OK)
def test_rfc6902_appendix_a(doc: Any, ops: Any, want: Any) -> None:
    assert P.json_patch(doc, ops) == want


RFC6902_FAIL = [
    # (doc, ops, detail)
    ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "testing value /baz failed: test failed"),
    ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}],
     'add operation does not apply: doc is missing path: "/baz/bat": missing value'),
    ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}], "testing value /~01 failed: test failed"),
    ({"foo": "bar"}, [{"op": "remove", "path": "/nope"}],
     "error in remove for path: '/nope': Unable to remove nonexistent key: nope: missing value"),
    ({"foo": ["a"]}, [{"op": "add", "path": "/foo/5", "value": 1}],
     "error in add for path: '/foo/5': Unable to access invalid index: 5: invalid index referenced"),
    ({"foo": ["a"]}, [{"op": "add", "path": "/foo/x", "value": 1}],
     "error in add for path: '/foo/x': value was not a proper array index: 'x': "
     'strconv.Atoi: parsing "x": invalid syntax'),
    ({"foo": ["a"]}, [{"op": "replace", "path": "/foo/3", "value": 1}],
     "replace operation does not apply: doc is missing key: /foo/3: missing value"),
    ({"foo": 1}, [{"op": "frobnicate", "path": "/foo"}], "Unexpected kind: frobnicate"),
    ({"foo": 1}, [{"path": "/foo"}], "Unexpected kind: unknown"),
    ({"foo": 1}, [{"op": "add", "value": 1}], "add operation failed to decode path: missing value"),
    ({"foo": 1}, [{"op": "replace", "value": 1}],
     "replace operation failed to decode path: operation missing path field: missing value"),
    ({"foo": 1}, [{"op": "move", "path": "/bar"}],
     "move operation failed to decode from: operation, missing from field: missing value"),
    ({"foo": 1}, [{"op": "test", "path": 7, "value": 1}],
     "test operation failed to decode path: json: cannot unmarshal number into Go value of type string"),
    ({"foo": 1}, [{"op": "add", "path": "", "value": 1}], 'add operation does not apply: doc is missing path: "": '
     "missing value"),
]


@pytest.mark.parametrize(("doc", "ops", "detail"), RFC6902_FAIL)
def test_rfc6902_failures_are_422_with_json_patch_wording(doc: Any, ops: Any, detail: str) -> None:
    before = copy.deepcopy(doc)
    with pytest.raises(PatchError) as err:
        P.json_patch(doc, ops)
    assert (err.value.code, err.value.reason, err.value.detail) == (422, "Invalid", detail)
    assert err.value.message == "the server rejected our request due to an error in our request"
    assert doc == before


def test_json_patch_replace_of_missing_key_adds_it_as_v4_does() -> None:
    # evanphx/json-patch issue 204: v4 (which the API server uses) turns this replace into an add
    assert P.json_patch({"a": 1}, [{"op": "replace", "path": "/b", "value": 2}]) == {"a": 1, "b": 2}


def test_json_patch_pointer_quirks_of_v4() -> None:
    # findObject splits on "/" and skips the first token: "a/b" addresses /b, and "" addresses nothing
    assert P.json_patch({"a": {"b": 1}, "b": 2}, [{"op": "replace", "path": "a/b", "value": 3}]) == {
        "a": {"b": 1}, "b": 3}
    with pytest.raises(PatchError):
        P.json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {}}])


def test_json_patch_later_operations_see_earlier_ones() -> None:
    ops = [{"op": "add", "path": "/metadata/labels", "value": {}},
           {"op": "add", "path": "/metadata/labels/tier", "value": "web"},
           {"op": "test", "path": "/metadata/labels", "value": {"tier": "web"}}]
    assert P.json_patch(deploy(), ops)["metadata"]["labels"] == {"tier": "web"}


@pytest.mark.parametrize(("body", "detail"), [
    ({"op": "add"}, "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
    ("add", "json: cannot unmarshal string into Go value of type jsonpatch.Patch"),
    ([1], "json: cannot unmarshal number into Go value of type jsonpatch.Operation"),
])
def test_json_patch_undecodable_body_is_400(body: Any, detail: str) -> None:
    with pytest.raises(PatchError) as err:
        P.json_patch({"a": 1}, body)
    assert (err.value.code, err.value.reason, err.value.message) == (400, "BadRequest", detail)


def test_json_patch_operation_limit_is_413() -> None:
    ops = [{"op": "test", "path": "/a", "value": 1}] * (P.MAX_JSON_PATCH_OPERATIONS + 1)
    with pytest.raises(PatchError) as err:
        P.json_patch({"a": 1}, ops)
    assert err.value.code == 413
    assert err.value.message.endswith(f"got {P.MAX_JSON_PATCH_OPERATIONS + 1}")
    assert P.json_patch({"a": 1}, ops[:-1]) == {"a": 1}


# ---------------------------------------------------------------------------------------------
# strategic merge patch (strategicpatch/patch_test.go TestStrategicMergePatch*)
# ---------------------------------------------------------------------------------------------
def test_strategic_merge_patch_merges_containers_by_name() -> None:
    # TestCustomStrategicMergePatch / "merge lists of maps by merge key"
    live = deploy([{"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
                   {"name": "side", "image": "side:1"}])
    got = smp(live, template_patch({"containers": [{"name": "side", "image": "side:2"},
                                                   {"name": "new", "image": "new:1"}]}))
    assert containers_of(got) == [
        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
        {"name": "side", "image": "side:2"},
        {"name": "new", "image": "new:1"}]


def test_strategic_merge_patch_nested_keyed_lists() -> None:
    live = deploy([{"name": "app", "image": "a", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80}], "volumeMounts": [{"name": "v", "mountPath": "/d"}]}])
    got = smp(live, template_patch({"containers": [{"name": "app", "env": [{"name": "B", "value": "3"}],
                                                    "ports": [{"containerPort": 443, "name": "tls"}],
                                                    "volumeMounts": [{"name": "w", "mountPath": "/d"}]}]}))
    (app,) = containers_of(got)
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    # mergeSortedSlice: a new patch item goes before a live-only item it cannot be ordered against
    assert app["ports"] == [{"containerPort": 443, "name": "tls"}, {"containerPort": 80}]
    assert app["volumeMounts"] == [{"name": "w", "mountPath": "/d"}]


def test_strategic_merge_patch_lists_without_strategy_replace() -> None:
    # PodSpec.Tolerations and NodeSpec.Taints carry no patchStrategy: the patch's list wins whole
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}],
                                                              "tolerations": [{"key": "a"}, {"key": "b"}]}}
    assert smp(pod, {"spec": {"tolerations": [{"key": "c"}]}}, "Pod")["spec"]["tolerations"] == [{"key": "c"}]
    node = {"kind": "Node", "metadata": {"name": "n"}, "spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}}
    got = smp(node, {"spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}}, "Node")
    assert got["spec"]["taints"] == [{"key": "b", "effect": "NoExecute"}]


def test_strategic_merge_patch_service_ports_merge_on_port() -> None:
    svc = {"kind": "Service", "metadata": {"name": "s"},
           "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}}
    got = smp(svc, {"spec": {"ports": [{"port": 443, "targetPort": 9443}]}}, "Service")
    assert got["spec"]["ports"] == [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 9443}]


def test_strategic_merge_patch_delete_directive_in_list() -> None:
    # TestStrategicMergePatch: "Delete one item from a merging list"
    live = deploy([{"name": "a", "image": "1"}, {"name": "b", "image": "2"}])
    got = smp(live, template_patch({"containers": [{"name": "a", "$patch": "delete"}]}))
    assert containers_of(got) == [{"name": "b", "image": "2"}]


def test_strategic_merge_patch_replace_directive_in_list() -> None:
    live = deploy([{"name": "a", "image": "1"}, {"name": "b", "image": "2"}])
    got = smp(live, template_patch({"containers": [{"name": "c", "image": "3"}, {"$patch": "replace"}]}))
    assert containers_of(got) == [{"name": "c", "image": "3"}]


def test_strategic_merge_patch_replace_and_delete_directive_in_map() -> None:
    live = deploy(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    got = smp(live, {"spec": {"strategy": {"rollingUpdate": {"maxSurge": 2, "$patch": "replace"}}}})
    assert got["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}
    got = smp(live, {"spec": {"strategy": {"$patch": "delete"}}})
    assert got["spec"]["strategy"] == {}


def test_strategic_merge_patch_null_deletes_a_field() -> None:
    assert "replicas" not in smp(deploy(), {"spec": {"replicas": None}})["spec"]


@pytest.mark.parametrize(("patch", "code", "text"), [
    # mergeMap handleDirectiveInMergeMap: only replace and delete are map directives
    ({"spec": {"strategy": {"$patch": "merge"}}}, 500, "unknown patch type: merge in map: map[$patch:merge]"),
    ({"spec": {"strategy": {"$patch": "keep"}}}, 500, "unknown patch type: keep in map: map[$patch:keep]"),
    (template_patch({"containers": [{"image": "x"}]}), 500,
     "map: map[image:x] does not contain declared merge key: name"),
    (template_patch({"containers": [{"$patch": "delete"}]}), 500,
     "map: map[$patch:delete] does not contain declared merge key: name"),
    (template_patch({"containers": [{"name": "app", "$patch": "merge"}]}), 500,
     "merging lists cannot yet be specified in the patch"),
    (template_patch({"containers": [{"name": "app", "$patch": "nope"}]}), 500,
     "unknown patch type: nope in map: map[$patch:nope name:app]"),
    (template_patch({"containers": ["app"]}), 500,
     "list element types are not identical: [[map[image:app:1 name:app]] [app]]"),
    ({"metadata": {"finalizers": [["a"]]}}, 500,
     "list element types are not identical: [[x] [[a]]]"),  # sliceElementType checks only the first for lists
    ({"spec": {"strategy": {"$retainKeys": "type"}}}, 400, "invalid patch format of retainKeys"),
    ({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}, 400,
     "invalid patch format of retainKeys"),
    ({"metadata": {"$deleteFromPrimitiveList": ["a"]}}, 400, "invalid patch format of primitive list"),
])
def test_strategic_merge_patch_errors(patch: dict[str, Any], code: int, text: str) -> None:
    live = deploy(strategy={"type": "RollingUpdate"})
    live["metadata"]["finalizers"] = ["x"]
    before = copy.deepcopy(live)
    with pytest.raises(PatchError) as err:
        smp(live, patch)
    assert (err.value.code, err.value.detail) == (code, text)
    assert live == before


def test_strategic_merge_patch_list_of_lists_is_422() -> None:
    live = deploy()
    live["metadata"]["finalizers"] = []
    with pytest.raises(PatchError) as err:
        smp(live, {"metadata": {"finalizers": [["a"]]}})
    assert (err.value.code, err.value.detail) == (422, "lists of lists are not supported")


def test_strategic_merge_patch_error_carries_the_field_path() -> None:
    live = deploy([{"name": "app", "image": "a", "env": [{"name": "A", "value": "0"}]}])
    with pytest.raises(PatchError) as err:
        smp(live, template_patch({"containers": [{"name": "app", "env": [{"value": "1"}]}]}))
    assert err.value.field == "spec.template.spec.containers[0].env"
    assert err.value.rejection("Deployment", "web").causes[0].field == "spec.template.spec.containers[0].env"


def test_strategic_merge_patch_wrong_type_replaces_and_decoding_rejects_it() -> None:
    # mergeMap takes a value of another JSON type as it is; the API server's decoding then rejects the object
    # (422); in the model that is refmodel.resources.schema on the patched object
    from refmodel.resources.schema import structural_errors
    live = deploy()
    live["spec"]["selector"] = {"matchLabels": {"app": "web"}}
    got = smp(live, template_patch({"containers": {"name": "app"}}))
    assert got["spec"]["template"]["spec"]["containers"] == {"name": "app"}
    errors = structural_errors("Deployment", "apps/v1", got)
    assert [e.field for e in errors] == ["spec.template.spec.containers"]


def test_strategic_merge_patch_body_must_be_an_object() -> None:
    with pytest.raises(PatchError) as err:
        smp(deploy(), [1])
    assert (err.value.code, err.value.message) == (400, "invalid JSON document")


def test_strategic_merge_patch_delete_from_primitive_list() -> None:
    # TestStrategicMergePatch: "$deleteFromPrimitiveList" removes values from a merging list of scalars
    live = deploy()
    live["metadata"]["finalizers"] = ["a", "b", "c"]
    got = smp(live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"], "finalizers": ["d"]}})
    # mergeSortedSlice puts a patch item the live list cannot order (a new one) before the live-only items
    assert got["metadata"]["finalizers"] == ["d", "a", "c"]


def test_strategic_merge_patch_delete_from_primitive_list_of_an_absent_field_does_nothing() -> None:
    got = smp(deploy(), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert "finalizers" not in got["metadata"]


def test_strategic_merge_patch_delete_from_primitive_list_whatever_the_strategy() -> None:
    # kubernetes PR 110472: Container.args has no patchStrategy, the deletion list still deletes
    live = deploy([{"name": "app", "image": "a", "args": ["--x", "--y", "--z"]}])
    got = smp(live, template_patch({"containers": [{"name": "app", "$deleteFromPrimitiveList/args": ["--y"]}]}))
    assert containers_of(got)[0]["args"] == ["--x", "--z"]


def test_strategic_merge_patch_new_subtree_loses_nulls_and_directives() -> None:
    # kubernetes PRs 107705 (nulls) and 117568 (directives) for a field the object does not have yet
    patch = {"metadata": {"annotations": {"a": "1", "b": None}},
             "spec": {"template": {"spec": {"initContainers": [{"name": "gone", "$patch": "delete"},
                                                               {"name": "init", "image": "i", "args": None}]}}}}
    got = smp(deploy(), patch)
    assert got["metadata"]["annotations"] == {"a": "1"}
    assert got["spec"]["template"]["spec"]["initContainers"] == [{"name": "init", "image": "i"}]


def test_strategic_merge_patch_primitive_merge_list_deduplicates() -> None:
    live = deploy()
    live["metadata"]["finalizers"] = ["a", "b"]
    assert smp(live, {"metadata": {"finalizers": ["b", "c"]}})["metadata"]["finalizers"] == ["a", "b", "c"]


def test_strategic_merge_patch_set_element_order() -> None:
    # TestStrategicMergePatch "$setElementOrder": patch order wins, live-only items keep their place
    live = deploy([{"name": "a", "image": "1"}, {"name": "b", "image": "2"}, {"name": "c", "image": "3"}])
    got = smp(live, template_patch({"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
                                    "containers": [{"name": "a", "image": "9"}]}))
    assert [c["name"] for c in containers_of(got)] == ["b", "c", "a"]
    assert containers_of(got)[2] == {"name": "a", "image": "9"}


def names(containers: list[dict[str, Any]]) -> list[str]:
    return [c["name"] + ("=" + c["image"] if "image" in c else "") for c in containers]


@pytest.mark.parametrize(("live", "patch", "want"), [
    # TestCustomStrategicMergePatch "preserve the order from the patch in a merging list" (1 and 2)
    (["x", "y=b", "z"], ["z=c", "x=a", "y"], ["z=c", "x=a", "y=b"]),
    (["x", "y=b", "z"], ["z=c", "x=a"], ["y=b", "z=c", "x=a"]),
    (["x", "y"], ["w"], ["w", "x", "y"]),
])
def test_strategic_merge_patch_preserves_patch_order(live: list[str], patch: list[str], want: list[str]) -> None:
    def parse(items: list[str]) -> list[dict[str, Any]]:
        return [dict(zip(("name", "image"), item.split("="), strict=False)) for item in items]
    assert names(containers_of(smp(deploy(parse(live)), template_patch({"containers": parse(patch)})))) == want


@pytest.mark.parametrize(("live", "patch", "want"), [
    # "preserve the order from the patch in a merging int list", on ObjectMeta.Finalizers
    (["a", "b", "c"], {"finalizers": ["c", "a", "b"]}, ["c", "a", "b"]),
    (["a", "b", "c"], {"finalizers": ["c", "a"]}, ["b", "c", "a"]),
    # "$setElementOrder contains item that is not present in the int list to be merged"
    (["a", "c"], {"$setElementOrder/finalizers": ["c", "b", "a"]}, ["c", "a"]),
])
def test_strategic_merge_patch_preserves_scalar_order(live: list[str], patch: dict[str, Any],
                                                      want: list[str]) -> None:
    doc = deploy()
    doc["metadata"]["finalizers"] = live
    assert smp(doc, {"metadata": patch})["metadata"]["finalizers"] == want


def test_strategic_merge_patch_set_element_order_with_an_absent_item() -> None:
    # "$setElementOrder contains item that is not present in the list to be merged"
    live = deploy([{"name": "x"}, {"name": "z"}])
    got = smp(live, template_patch({"$setElementOrder/containers": [{"name": "z"}, {"name": "y"}, {"name": "x"}],
                                    "containers": [{"name": "z", "image": "3"}, {"name": "x", "image": "1"}]}))
    assert containers_of(got) == [{"name": "z", "image": "3"}, {"name": "x", "image": "1"}]


def test_strategic_merge_patch_set_element_order_must_agree_with_the_patch_list() -> None:
    # "should check if order in $setElementOrder and patch list match"
    live = deploy([{"name": "x"}, {"name": "z"}, {"name": "y"}])
    with pytest.raises(PatchError) as err:
        smp(live, template_patch({"$setElementOrder/containers": [{"name": "x"}, {"name": "y"}, {"name": "z"}],
                                  "containers": [{"name": "z", "image": "3"}, {"name": "x", "image": "1"}]}))
    assert err.value.code == 500 and "doesn't match $setElementOrder list" in err.value.detail
    assert err.value.field == "spec.template.spec.containers"


def test_strategic_merge_patch_retain_keys_clears_omitted_fields() -> None:
    # DeploymentSpec.Strategy is patchStrategy:"retainKeys": switching to Recreate drops rollingUpdate
    live = deploy(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
    got = smp(live, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert got["spec"]["strategy"] == {"type": "Recreate"}


def test_strategic_merge_patch_volumes_retain_keys_per_element() -> None:
    # PodSpec.Volumes is merge,retainKeys on name: a volume switching source drops the old one
    pod = {"kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "i"}],
                    "volumes": [{"name": "d", "emptyDir": {}}, {"name": "e", "emptyDir": {}}]}}
    got = smp(pod, {"spec": {"volumes": [{"name": "d", "$retainKeys": ["name", "hostPath"],
                                          "hostPath": {"path": "/x"}}]}}, "Pod")
    assert got["spec"]["volumes"] == [{"name": "d", "hostPath": {"path": "/x"}}, {"name": "e", "emptyDir": {}}]


def test_strategic_merge_patch_unknown_kind_knows_only_metadata() -> None:
    cr = {"kind": "Widget", "metadata": {"name": "w", "finalizers": ["a"]}, "spec": {"items": [{"name": "x"}]}}
    got = smp(cr, {"metadata": {"finalizers": ["b"]}, "spec": {"items": [{"name": "y"}]}}, "Widget")
    assert got["metadata"]["finalizers"] == ["b", "a"]
    assert got["spec"]["items"] == [{"name": "y"}]


def test_strategic_merge_patch_accepts_frozen_inputs_and_returns_plain_values() -> None:
    live = freeze(deploy([{"name": "a", "image": "1"}]))
    got = smp(live, freeze(template_patch({"containers": [{"name": "b", "image": "2"}]})))
    assert type(got) is dict and type(containers_of(got)) is list
    assert [c["name"] for c in containers_of(got)] == ["b", "a"]


# ---------------------------------------------------------------------------------------------
# field metadata (the struct tags as data)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "path", "strategy", "key", "retain"), [
    ("Deployment", ("spec", "template", "spec", "containers"), "merge", "name", False),
    ("Deployment", ("spec", "template", "spec", "containers", "ports"), "merge", "containerPort", False),
    ("StatefulSet", ("spec", "template", "spec", "volumes"), "merge", "name", True),
    ("Pod", ("spec", "tolerations"), "", "", False),
    ("Node", ("spec", "taints"), "", "", False),
    ("Node", ("status", "addresses"), "merge", "type", False),
    ("Service", ("spec", "ports"), "merge", "port", False),
    ("Deployment", ("spec", "strategy"), "", "", True),
    ("ReplicaSet", ("metadata", "ownerReferences"), "merge", "uid", False),
    ("Widget", ("metadata", "finalizers"), "merge", "", False),
    ("Widget", ("spec", "containers"), "", "", False),
])
def test_field_meta_resolves_type_paths(kind: str, path: tuple[str, ...], strategy: str, key: str,
                                        retain: bool) -> None:
    meta = P.field_meta(kind, path)
    assert (meta.strategy, meta.merge_key, meta.retain_keys) == (strategy, key, retain)


def test_every_patch_meta_entry_names_a_real_field_and_cites_upstream() -> None:
    from refmodel.resources._schema_data import TYPES
    for (struct, field), meta in P.PATCH_META.items():
        assert field in TYPES.get(struct, {}), f"{struct}.{field} is not in the type table"
        spec = TYPES[struct][field]
        assert meta.cite.startswith("staging/src/k8s.io/"), f"{struct}.{field}: no citation"
        if meta.merge_key:
            elem = TYPES[spec[2:]]
            assert meta.merge_key in elem, f"{struct}.{field}: merge key {meta.merge_key} not a field of {spec}"
        if meta.strategy == "merge" and not meta.merge_key:
            assert spec == "[]string", f"{struct}.{field}: a keyless merge list must hold scalars"


# ---------------------------------------------------------------------------------------------
# two-way and three-way (TestCreateThreeWayMergePatch*)
# ---------------------------------------------------------------------------------------------
def test_create_three_way_merge_patch_deletes_what_last_applied_dropped() -> None:
    last = deploy([{"name": "app", "image": "app:1"}], minReadySeconds=5)
    manifest = deploy([{"name": "app", "image": "app:2"}])
    live = copy.deepcopy(last)
    live["spec"]["replicas"] = 7  # a kubectl scale, kept
    live["metadata"]["labels"] = {"set-by": "someone"}  # set by others, kept
    got = P.three_way_strategic_merge(last, manifest, live, "Deployment")
    assert "minReadySeconds" not in got["spec"]
    assert containers_of(got) == [{"name": "app", "image": "app:2"}]
    assert got["metadata"]["labels"] == {"set-by": "someone"}
    assert got["spec"]["replicas"] == 2  # the manifest sets replicas, so it wins


def test_create_three_way_merge_patch_keeps_elements_added_by_others() -> None:
    last = deploy([{"name": "app", "image": "1"}, {"name": "old", "image": "o"}])
    manifest = deploy([{"name": "app", "image": "2"}])
    live = deploy([{"name": "app", "image": "1"}, {"name": "old", "image": "o"}, {"name": "injected", "image": "i"}])
    patch = P.create_three_way_merge_patch(last, manifest, live, "Deployment")
    pod = patch["spec"]["template"]["spec"]
    assert {"name": "old", "$patch": "delete"} in pod["containers"]
    assert pod["$setElementOrder/containers"] == [{"name": "app"}]
    got = P.three_way_strategic_merge(last, manifest, live, "Deployment")
    assert containers_of(got) == [{"name": "app", "image": "2"}, {"name": "injected", "image": "i"}]


def test_create_three_way_merge_patch_retain_keys_strategy_switch() -> None:
    # the defaulted rollingUpdate is dropped when the manifest switches to Recreate (RETAIN_KEYS in apiserver.apply)
    last = deploy()
    manifest = deploy(strategy={"type": "Recreate"})
    live = deploy(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    patch = P.create_three_way_merge_patch(last, manifest, live, "Deployment")
    assert patch["spec"]["strategy"] == {"$retainKeys": ["type"], "type": "Recreate"}
    assert P.three_way_strategic_merge(last, manifest, live, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_create_three_way_merge_patch_primitive_merge_list() -> None:
    last = {"metadata": {"name": "w", "finalizers": ["mine", "gone"]}}
    manifest = {"metadata": {"name": "w", "finalizers": ["mine"]}}
    live = {"metadata": {"name": "w", "finalizers": ["gc", "mine", "gone"]}}
    patch = P.create_three_way_merge_patch(last, manifest, live, "Deployment")
    assert patch["metadata"]["$deleteFromPrimitiveList/finalizers"] == ["gone"]
    got = P.three_way_strategic_merge(last, manifest, live, "Deployment")
    assert got["metadata"]["finalizers"] == ["gc", "mine"]


def pod_spec(containers: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": containers, **fields}}}}


def labels(**values: Any) -> dict[str, Any]:
    return {"metadata": {"labels": values}}


def fins(*values: str) -> dict[str, Any]:
    return {"metadata": {"finalizers": list(values)}}


def order(*names: str) -> list[dict[str, str]]:
    return [{"name": n} for n in names]


# TestStrategicMergePatch (createStrategicMergePatchTestCaseData): original (last applied), modified (manifest),
# current (live) -> the three-way patch and the object it makes
THREE_WAY = [
    ("add field to map with conflict", {"spec": {"replicas": 1}}, {"spec": {"replicas": 1, "paused": True}},
     {"spec": {"replicas": 5, "minReadySeconds": 3}}, {"spec": {"replicas": 1, "paused": True}},
     {"spec": {"replicas": 1, "paused": True, "minReadySeconds": 3}}),
    ("delete field from nested map with conflict", labels(a="1", b="1"), labels(a="1"), labels(a="x", b="1", c="o"),
     labels(a="1", b=None), labels(a="1", c="o")),
    ("merge lists of maps",
     pod_spec([{"name": "1"}, {"name": "2", "image": "2"}]),
     pod_spec([{"name": "4", "image": "4"}, {"name": "1"}, {"name": "2", "image": "2"}, {"name": "3", "image": "3"}]),
     pod_spec([{"name": "1", "imagePullPolicy": "a"}, {"name": "2", "image": "2", "imagePullPolicy": "b"}]),
     pod_spec([{"name": "4", "image": "4"}, {"name": "3", "image": "3"}],
              **{"$setElementOrder/containers": order("4", "1", "2", "3")}),
     pod_spec([{"name": "4", "image": "4"}, {"name": "1", "imagePullPolicy": "a"},
               {"name": "2", "image": "2", "imagePullPolicy": "b"}, {"name": "3", "image": "3"}])),
    ("merge lists of maps with conflict",
     pod_spec([{"name": "1"}, {"name": "2", "image": "2"}]),
     pod_spec([{"name": "1"}, {"name": "2", "image": "2"}, {"name": "3", "image": "3"}]),
     pod_spec([{"name": "1", "imagePullPolicy": "a"}, {"name": "2", "image": "9", "imagePullPolicy": "b"}]),
     pod_spec([{"image": "2", "name": "2"}, {"name": "3", "image": "3"}],
              **{"$setElementOrder/containers": order("1", "2", "3")}),
     pod_spec([{"name": "1", "imagePullPolicy": "a"}, {"name": "2", "image": "2", "imagePullPolicy": "b"},
               {"name": "3", "image": "3"}])),
    ("delete all maps from merging list with conflict",
     pod_spec([{"name": "1"}, {"name": "2"}]), pod_spec([]),
     pod_spec([{"name": "1", "image": "a"}, {"name": "2", "image": "b"}]),
     pod_spec([{"name": "1", "$patch": "delete"}, {"name": "2", "$patch": "delete"}]), pod_spec([])),
    ("delete items in lists of scalars", fins("1", "2", "3"), fins("1", "2"), fins("1", "2", "3", "4"),
     {"metadata": {"$setElementOrder/finalizers": ["1", "2"], "$deleteFromPrimitiveList/finalizers": ["3"]}},
     fins("1", "2", "4")),
    ("add and delete items in lists of scalars", fins("1", "2", "3"), fins("1", "2", "4"), fins("1", "2", "3", "4"),
     {"metadata": {"$setElementOrder/finalizers": ["1", "2", "4"], "$deleteFromPrimitiveList/finalizers": ["3"]}},
     fins("1", "2", "4")),
    ("replace list of scalars with conflict", pod_spec([], args=["1", "2"]), pod_spec([], args=["2", "3"]),
     pod_spec([], args=["1", "4"]), {"spec": {"template": {"spec": {"args": ["2", "3"]}}}},
     pod_spec([], args=["2", "3"])),
    ("defined null values should propagate overwrite current fields (with conflict)",
     {"spec": {"replicas": 2}}, {"spec": {"replicas": 1, "paused": True, "minReadySeconds": None}},
     {"spec": {"replicas": 7, "minReadySeconds": 4}},
     {"spec": {"replicas": 1, "paused": True, "minReadySeconds": None}}, {"spec": {"replicas": 1, "paused": True}}),
    ("retainKeys map with no change should not be present",
     {"spec": {"strategy": {"type": "Recreate"}}}, {"spec": {"strategy": {"type": "Recreate"}, "paused": True}},
     {"spec": {"strategy": {"type": "Recreate"}, "replicas": 3}}, {"spec": {"paused": True}},
     {"spec": {"strategy": {"type": "Recreate"}, "replicas": 3, "paused": True}}),
]


@pytest.mark.parametrize(("original", "modified", "current", "three_way", "result"),
                         [case[1:] for case in THREE_WAY], ids=[case[0] for case in THREE_WAY])
def test_create_three_way_merge_patch_cases(original: dict[str, Any], modified: dict[str, Any],
                                            current: dict[str, Any], three_way: dict[str, Any],
                                            result: dict[str, Any]) -> None:
    assert P.create_three_way_merge_patch(original, modified, current, "Deployment") == three_way
    assert P.three_way_strategic_merge(original, modified, current, "Deployment") == result


def test_create_three_way_merge_patch_volume_source_switch() -> None:
    # PodSpec.Volumes is merge,retainKeys: the element gets $retainKeys, so the old source goes and others stay
    def pod(volumes: list[dict[str, Any]]) -> dict[str, Any]:
        return {"kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "i"}], "volumes": volumes}}
    last = pod([{"name": "data", "emptyDir": {}}])
    manifest = pod([{"name": "data", "hostPath": {"path": "/x"}}])
    live = pod([{"name": "data", "emptyDir": {"medium": ""}}, {"name": "token", "projected": {"sources": []}}])
    patch = P.create_three_way_merge_patch(last, manifest, live, "Pod")
    assert patch["spec"]["volumes"] == [{"name": "data", "emptyDir": None, "$retainKeys": ["hostPath", "name"],
                                         "hostPath": {"path": "/x"}}]
    got = P.three_way_strategic_merge(last, manifest, live, "Pod")
    assert got["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/x"}},
                                      {"name": "token", "projected": {"sources": []}}]


def test_create_three_way_merge_patch_keeps_server_set_fields_of_keyed_elements() -> None:
    # ServiceSpec.Ports merges on port: the allocated nodePort and defaulted protocol survive an apply that
    # changes targetPort (a whole-list replacement would drop them and the server would allocate a new port)
    def svc(ports: list[dict[str, Any]]) -> dict[str, Any]:
        return {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "NodePort", "ports": ports}}
    last = svc([{"port": 80, "targetPort": 8080}])
    manifest = svc([{"port": 80, "targetPort": 9090}])
    live = svc([{"port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 30007}])
    got = P.three_way_strategic_merge(last, manifest, live, "Service")
    assert got["spec"]["ports"] == [{"port": 80, "targetPort": 9090, "protocol": "TCP", "nodePort": 30007}]


def test_create_three_way_merge_patch_without_last_applied_never_deletes() -> None:
    live = deploy(minReadySeconds=3)
    got = P.three_way_strategic_merge(None, deploy([{"name": "app", "image": "x"}]), live, "Deployment")
    assert got["spec"]["minReadySeconds"] == 3
    assert containers_of(got) == [{"name": "app", "image": "x"}]


def test_three_way_json_merge_for_unknown_kinds() -> None:
    last = {"kind": "Widget", "spec": {"a": 1, "b": 2, "items": [1, 2]}}
    manifest = {"kind": "Widget", "spec": {"a": 5, "items": [3]}}
    live = {"kind": "Widget", "spec": {"a": 1, "b": 2, "c": 9, "items": [1, 2]}, "status": {"ok": True}}
    got = P.three_way_json_merge(last, manifest, live)
    assert got == {"kind": "Widget", "spec": {"a": 5, "c": 9, "items": [3]}, "status": {"ok": True}}


@pytest.mark.parametrize("size", [8, 32, 128, 1024])
def test_strategic_merge_patch_list_order_round_trip(size: int) -> None:
    # TestStrategicMergePatchListOrderRoundTrip: reverse a long keyed list, drop every fifth item, change every
    # third, add one; the two-way patch must rebuild it exactly (and in linear-ish time: 1,024 items ~40 ms)
    before = [{"name": f"c-{i:04d}", "image": "before"} for i in range(size)]
    after = [{"name": f"c-{i:04d}", "image": "after" if i % 3 == 0 else "before"}
             for i in range(size - 1, -1, -1) if i % 5]
    after.append({"name": "new", "image": "added"})
    a, b = {"spec": {"containers": before}}, {"spec": {"containers": after}}
    assert smp(a, P.create_two_way_merge_patch(a, b, "Pod"), "Pod") == b


def test_create_two_way_merge_patch_round_trips() -> None:
    a = deploy([{"name": "a", "image": "1"}, {"name": "b", "image": "2"}], minReadySeconds=1)
    b = deploy([{"name": "b", "image": "3"}, {"name": "c", "image": "4"}])
    b["metadata"]["finalizers"] = ["x"]
    patch = P.create_two_way_merge_patch(a, b, "Deployment")
    assert smp(a, patch) == b


# ---------------------------------------------------------------------------------------------
# bounds and immutability
# ---------------------------------------------------------------------------------------------
def nested(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(depth):
        doc = {"a": doc}
    return doc


@pytest.mark.parametrize("apply", [
    lambda d: P.json_merge_patch({}, d),
    lambda d: P.json_patch(d, []),
    lambda d: P.strategic_merge_patch(d, {}, "Deployment"),
    lambda d: P.three_way_strategic_merge(None, d, {}, "Deployment"),
    lambda d: P.three_way_json_merge(d, {}, {}),
    lambda d: P.create_merge_patch(d, {}),
])
def test_deep_input_is_refused_without_recursion_error(apply: Callable[[Any], Any]) -> None:
    deep = nested(sys.getrecursionlimit() * 2)
    with pytest.raises(PatchError) as err:
        apply(deep)
    assert err.value.code == 400 and "nested deeper than" in err.value.message
    apply(nested(P.MAX_DEPTH - 1))  # the bound is not too tight


@pytest.mark.parametrize("where", ["root", "nested", "in a list"])
@pytest.mark.parametrize("key", [7, None, b"name", ("a",)])
def test_a_key_that_is_not_a_string_is_refused_wherever_it_is(where: str, key: Any) -> None:
    """No JSON object has a key that is not a string: each input of the patch functions is refused with the key
    named (fails when the key check misses a key of some type, or one not at the root)."""
    bad: dict[Any, Any] = {"x": 1, key: "v"}
    doc: Any = {"root": bad, "nested": {"spec": {"a": bad}}, "in a list": {"spec": {"items": [{"b": 1}, bad]}}}[where]
    for apply in (lambda d: P.three_way_strategic_merge(None, d, {}, "Deployment"),
                  lambda d: P.three_way_strategic_merge(None, {}, d, "Deployment"),
                  lambda d: P.strategic_merge_patch({}, d, "Deployment")):
        with pytest.raises(PatchError) as err:
            apply(doc)
        assert err.value.code == 400 and f"has an object key that is not a string: {key!r}" in err.value.message, (
            err.value.message, "a refusal naming the key", where)

    class Key(str):
        pass

    P.three_way_strategic_merge(None, {"k": {Key("sub"): 1}}, {}, "Deployment")  # a str subclass is a string


# ---------------------------------------------------------------------------------------------
# Hypothesis properties, each shown to reject a broken implementation
# ---------------------------------------------------------------------------------------------
KEYS = st.sampled_from(["a", "b", "spec", "metadata"])  # few keys: patches and documents overlap often
SCALARS = st.one_of(st.integers(-3, 3), st.text("xyz", max_size=2), st.booleans())


def json_values(allow_null: bool, allow_lists: bool = True) -> st.SearchStrategy[Any]:
    leaves = st.one_of(SCALARS, st.none()) if allow_null else SCALARS

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        maps = st.dictionaries(KEYS, children, max_size=4)
        return st.one_of(maps, st.lists(children, max_size=3)) if allow_lists else maps

    return st.recursive(leaves, extend, max_leaves=12)


# the machine is shared: no per-example deadline
LOADED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
# a broken implementation must be caught; the first counterexample is enough (no shrinking)
BROKEN = settings(database=None, max_examples=2000, phases=[Phase.generate])


def objects(allow_null: bool, allow_lists: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(KEYS, json_values(allow_null, allow_lists), max_size=4)


# property 1: applying create_merge_patch(a, b) to a gives b (b without nulls: RFC 7386 cannot express them)
def merge_patch_round_trips(merge: Callable[[Any, Any], Any], a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(merge(a, P.create_merge_patch(a, b)) == b)


@LOADED
@given(objects(True), objects(False))
def test_property_merge_patch_round_trip(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert merge_patch_round_trips(P.json_merge_patch, a, b)


def merge_ignoring_null(doc: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    out = dict(doc) if isinstance(doc, dict) else {}
    for k, v in patch.items():
        if v is not None:
            out[k] = merge_ignoring_null(out.get(k), v)
    return out


def test_property_merge_patch_round_trip_rejects_a_merge_ignoring_null() -> None:
    find(st.tuples(objects(True), objects(False)), lambda ab: not merge_patch_round_trips(merge_ignoring_null, *ab),
         settings=BROKEN)


# property 2: no function changes its inputs
def never_mutates(fn: Callable[..., Any], *args: Any) -> bool:
    before = copy.deepcopy(args)
    with contextlib.suppress(PatchError):
        fn(*args)
    return before == args


KINDS = st.sampled_from(["Deployment", "Pod", "Widget"])


@LOADED
@given(objects(True), objects(True), objects(True), KINDS)
def test_property_patch_never_mutates_inputs(a: dict[str, Any], b: dict[str, Any], c: dict[str, Any],
                                             kind: str) -> None:
    assert never_mutates(P.json_merge_patch, a, b)
    assert never_mutates(P.strategic_merge_patch, a, b, kind)
    assert never_mutates(P.three_way_strategic_merge, a, b, c, kind)
    assert never_mutates(P.three_way_json_merge, a, b, c)
    assert never_mutates(P.create_two_way_merge_patch, a, b, kind)
    assert never_mutates(P.json_patch, a, [{"op": "add", "path": "/a/b", "value": 1},
                                           {"op": "remove", "path": "/b/0"}])


def mutating_merge(doc: Any, patch: Any) -> Any:
    if not isinstance(patch, dict) or not isinstance(doc, dict):
        return patch
    for k, v in patch.items():  # writes into the caller's document
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = mutating_merge(doc.get(k), v)
    return doc


def test_property_never_mutates_rejects_an_in_place_merge() -> None:
    find(st.tuples(objects(True), objects(True)), lambda ab: not never_mutates(mutating_merge, *ab),
         settings=BROKEN)


# property 3: without lists and directives, a strategic merge is a JSON merge (a new subtree loses its nulls in
# both since kubernetes PR 107705)
def strategic_equals_json_merge(strategic: Callable[[Any, Any, str], Any], a: dict[str, Any],
                                b: dict[str, Any], kind: str) -> bool:
    return bool(strategic(a, b, kind) == P.json_merge_patch(a, b))


@LOADED
@given(objects(True, allow_lists=False), objects(True, allow_lists=False), KINDS)
def test_property_strategic_merge_without_lists_is_json_merge(a: dict[str, Any], b: dict[str, Any],
                                                              kind: str) -> None:
    assert strategic_equals_json_merge(P.strategic_merge_patch, a, b, kind)


def strategic_replacing_maps(doc: Any, patch: Any, kind: str) -> Any:
    out = dict(doc)
    out.update({k: v for k, v in patch.items() if v is not None})
    return {k: v for k, v in out.items() if not (k in patch and patch[k] is None)}


def test_property_strategic_equals_json_merge_rejects_a_shallow_merge() -> None:
    find(st.tuples(objects(True, allow_lists=False), objects(True, allow_lists=False), KINDS),
         lambda abk: not strategic_equals_json_merge(strategic_replacing_maps, *abk), settings=BROKEN)


# property 4: a two-way strategic patch turns a into b, for pods with keyed lists
CONTAINER_NAMES = st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True, max_size=4)
ENV = st.lists(st.sampled_from(["X", "Y", "Z"]), unique=True, max_size=3)


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    containers = []
    for name in draw(CONTAINER_NAMES):
        c: dict[str, Any] = {"name": name, "image": draw(st.sampled_from(["i1", "i2"]))}
        env = draw(ENV)
        if env:
            c["env"] = [{"name": e, "value": draw(st.sampled_from(["0", "1"]))} for e in env]
        containers.append(c)
    spec: dict[str, Any] = {"containers": containers}
    if draw(st.booleans()):
        spec["tolerations"] = [{"key": k} for k in draw(st.lists(st.sampled_from("pq"), max_size=2))]
    meta: dict[str, Any] = {"name": "p"}
    fins = draw(st.lists(st.sampled_from(["f1", "f2", "f3"]), unique=True, max_size=3))
    if fins:
        meta["finalizers"] = fins
    return {"kind": "Pod", "metadata": meta, "spec": spec}


def two_way_round_trips(diff: Callable[[Any, Any, str], Any], a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(P.strategic_merge_patch(a, diff(a, b, "Pod"), "Pod") == b)


@LOADED
@given(pods(), pods())
def test_property_two_way_strategic_patch_round_trip(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert two_way_round_trips(P.create_two_way_merge_patch, a, b)


def strip_deletions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_deletions(v) for k, v in value.items()
                if v is not None and not k.startswith("$deleteFromPrimitiveList")}
    if isinstance(value, list):
        return [strip_deletions(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
    return value


def diff_without_deletions(a: Any, b: Any, kind: str) -> Any:
    return strip_deletions(P.create_two_way_merge_patch(a, b, kind))


def test_property_two_way_round_trip_rejects_a_diff_that_forgets_deletions() -> None:
    find(st.tuples(pods(), pods()), lambda ab: not two_way_round_trips(diff_without_deletions, *ab),
         settings=BROKEN)


# property 5: three-way apply sets every field of the manifest (the direct effect an apply must have)
def leaves(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict) and (value or not at):
        return [pair for k, v in value.items() for pair in leaves(v, (*at, k))]
    return [(at, value)]


def has_leaf(got: Any, want: Any) -> bool:
    """An empty map in the manifest asks for the map, not for it to be emptied."""
    return isinstance(got, dict) if want == {} else bool(got == want)


def lookup(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        if isinstance(key, str) and isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return KeyError
    return value


def applies_manifest(three_way: Callable[[Any, Any, Any, str], Any], last: dict[str, Any],
                     manifest: dict[str, Any], live: dict[str, Any]) -> bool:
    got = three_way(last, manifest, live, "Widget")
    return all(has_leaf(lookup(got, path), want) for path, want in leaves(manifest))


@LOADED
@given(objects(False, allow_lists=False), objects(False, allow_lists=False), objects(False, allow_lists=False))
def test_property_three_way_apply_sets_the_manifest(last: dict[str, Any], manifest: dict[str, Any],
                                                    live: dict[str, Any]) -> None:
    assert applies_manifest(P.three_way_strategic_merge, last, manifest, live)
    assert applies_manifest(lambda o, m, c, k: P.three_way_json_merge(o, m, c), last, manifest, live)


def three_way_keeping_live(original: Any, modified: Any, current: Any, kind: str) -> Any:
    return P.json_merge_patch(modified, current)  # live values win: the manifest's changes are lost


def test_property_three_way_apply_rejects_a_merge_where_live_wins() -> None:
    find(st.tuples(objects(False, allow_lists=False), objects(False, allow_lists=False),
                   objects(False, allow_lists=False)),
         lambda t: not applies_manifest(three_way_keeping_live, *t), settings=BROKEN)


# property 7: for maps, the three-way apply is "the manifest's fields, plus the live fields the last apply did not
# set" - checked against that one-line rule written independently, recursively
def three_way_rule(last: Any, manifest: Any, live: Any) -> Any:
    if not (isinstance(manifest, dict) and isinstance(live, dict)):
        return manifest
    last = last if isinstance(last, dict) else {}
    out = {k: v for k, v in live.items() if k not in manifest and k not in last}
    for k, v in manifest.items():
        out[k] = three_way_rule(last.get(k), v, live.get(k))
    return out


def three_way_follows_rule(three_way: Callable[[Any, Any, Any, str], Any], last: dict[str, Any],
                           manifest: dict[str, Any], live: dict[str, Any]) -> bool:
    return bool(three_way(last, manifest, live, "Widget") == three_way_rule(last, manifest, live))


@LOADED
@given(objects(False, allow_lists=False), objects(False, allow_lists=False), objects(False, allow_lists=False))
def test_property_three_way_apply_follows_the_rule(last: dict[str, Any], manifest: dict[str, Any],
                                                   live: dict[str, Any]) -> None:
    assert three_way_follows_rule(P.three_way_strategic_merge, last, manifest, live)
    assert three_way_follows_rule(lambda o, m, c, k: P.three_way_json_merge(o, m, c), last, manifest, live)


def test_property_three_way_rule_rejects_an_apply_that_forgets_last_applied() -> None:
    find(st.tuples(objects(False, allow_lists=False), objects(False, allow_lists=False),
                   objects(False, allow_lists=False)),
         lambda t: not three_way_follows_rule(lambda o, m, c, k: P.three_way_strategic_merge(None, m, c, k), *t),
         settings=BROKEN)


# property 6: bad input of any shape gives a PatchError, never another exception
FUZZ_KEYS = st.sampled_from(["spec", "template", "containers", "name", "env", "metadata", "finalizers", "strategy",
                             "$patch", "$retainKeys", "$setElementOrder/containers", "$setElementOrder/finalizers",
                             "$deleteFromPrimitiveList/finalizers", "$deleteFromPrimitiveList/containers"])
FUZZ_SCALARS = st.one_of(st.sampled_from(["delete", "replace", "merge", "a"]), st.integers(-2, 3), st.booleans(),
                         st.none(), st.floats())
FUZZ_VALUES = st.recursive(FUZZ_SCALARS, lambda c: st.one_of(st.dictionaries(FUZZ_KEYS, c, max_size=4),
                                                             st.lists(c, max_size=4)), max_leaves=16)
FUZZ_DOCS = st.dictionaries(FUZZ_KEYS, FUZZ_VALUES, max_size=4).map(lambda d: {"spec": d, **d})
FUZZ_OPS = st.lists(st.one_of(FUZZ_SCALARS, st.fixed_dictionaries({}, optional={
    "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "x"]),
    "path": st.one_of(st.sampled_from(["", "/", "/spec/containers/0", "/spec/containers/-", "a/b", "/~01",
                                       "/spec/finalizers/-1", "/spec/x/y", "/spec/" + "9" * 5000]), FUZZ_SCALARS),
    "from": st.sampled_from(["/spec", "/spec/containers/0", "/nope", ""]), "value": FUZZ_VALUES})), max_size=4)


def only_patch_errors(calls: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> bool:
    for fn, args in calls:
        try:
            fn(*args)
        except PatchError:
            pass
        except Exception:  # any other exception is the failure this property looks for
            return False
    return True


def patch_calls(a: dict[str, Any], b: dict[str, Any], ops: Any, kind: str) -> list[tuple[Callable[..., Any],
                                                                                          tuple[Any, ...]]]:
    return [(P.strategic_merge_patch, (a, b, kind)), (P.three_way_strategic_merge, (b, a, a, kind)),
            (P.three_way_strategic_merge, (a, b, a, kind)), (P.create_two_way_merge_patch, (a, b, kind)),
            (P.json_merge_patch, (a, b)), (P.three_way_json_merge, (a, b, a)), (P.json_patch, (a, ops))]


@LOADED
@given(FUZZ_DOCS, FUZZ_DOCS, FUZZ_OPS, KINDS)
def test_property_bad_input_raises_only_patch_error(a: dict[str, Any], b: dict[str, Any], ops: Any,
                                                    kind: str) -> None:
    assert only_patch_errors(patch_calls(a, b, ops, kind))


def naive_keyed_merge(doc: Any, patch: Any, kind: str) -> Any:
    out = dict(doc)
    for key, value in patch.items():
        if key == "containers" and isinstance(value, list):  # trusts every item to be a map with a name
            names = {c["name"] for c in out.get(key) or []}
            out[key] = (out.get(key) or []) + [c for c in value if c["name"] not in names]
        else:
            out[key] = value
    return out


def test_property_only_patch_errors_rejects_a_merge_that_trusts_its_input() -> None:
    find(st.tuples(FUZZ_DOCS, FUZZ_DOCS), lambda ab: not only_patch_errors([(naive_keyed_merge, (*ab, "Pod"))]),
         settings=BROKEN)


def test_non_string_keys_and_huge_indexes_are_patch_errors() -> None:
    with pytest.raises(PatchError) as err:
        smp(deploy(), {"spec": {1: "x"}})
    assert err.value.code == 400
    with pytest.raises(PatchError) as err:
        P.json_patch({"a": [1]}, [{"op": "add", "path": "/a/" + "9" * 5000, "value": 1}])
    assert err.value.code == 422 and err.value.detail.endswith("value out of range")


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(first=st.deferred(lambda: _manifests()), second=st.deferred(lambda: _manifests()), data=st.data())
def test_a_reapplied_manifest_three_way_patch_skips_only_deletions_it_cannot_have(first: Any, second: Any,
                                                                                   data: Any) -> None:
    # kubectl passes original_is_modified when the last-applied text is this manifest's own: the patch must be
    # the full computation's, whatever the live object holds (another manifest applied over it, a scale)
    import json

    import refmodel as rm
    from refmodel import events as ev
    from refmodel import kubectl

    state = rm.new_cluster(nodes=1)
    second = {**second, "kind": first["kind"], "apiVersion": first["apiVersion"], "metadata": first["metadata"]}
    for manifest in (first, second):
        state = rm.transition(state, ev.Apply(manifest)).state
    kind, md = first["kind"], first["metadata"]
    live = state.get(kind, "" if kind == "Namespace" else md.get("namespace", "default"), md["name"])
    if live is None:
        return
    manifest = kubectl.without_last_applied(freeze(data.draw(st.sampled_from((first, second)))))
    original = json.loads(json.dumps(manifest, sort_keys=True, default=str))
    full = P.create_three_way_merge_patch(original, manifest, live, kind)
    assert P.create_three_way_merge_patch(original, manifest, live, kind, original_is_modified=True) == full


def _manifests() -> Any:
    from strategies.manifests import valid_manifests

    return valid_manifests(namespace="default")
