"""Label selectors (refmodel/labels.py) against upstream's tables.

Mirrors ``staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go`` (TestRequirementSelectorMatching,
TestSelectorMatches, TestSetMatches), Go's ``strconv/atoi_test.go`` (TestParseInt64, TestParseInt32) and the nil/empty rule of
``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`` (LabelSelectorAsSelector).
"""

from __future__ import annotations

from typing import Any

import pytest

from refmodel.controllers.scheduler import _node_selector_term_matches
from refmodel.labels import map_matches, parse_selector_string, selector_matches, selector_pairs
from refmodel.resources import lookup
from refmodel.resources.common import parse_go_int


def _req(key: str, op: str, values: list[str] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"key": key, "operator": op}
    if values is not None:
        r["values"] = values
    return r


# TestRequirementSelectorMatching: (labels, requirements, match). The zero Requirement{} of the first
# row has an empty operator, which matches nothing. Gt rows are not LabelSelector operators
# (rule L-2) and are covered by the node-affinity matcher in test_scheduler.py.
REQUIREMENT_SELECTOR_MATCHING = [
    ({"x": "foo", "y": "baz"}, [_req("", "")], False),
    ({"x": "foo", "y": "baz"}, [_req("x", "In", ["foo"]), _req("y", "NotIn", ["alpha"])], True),
    ({"x": "foo", "y": "baz"}, [_req("x", "In", ["foo"]), _req("y", "In", ["alpha"])], False),
    ({"y": ""}, [_req("x", "NotIn", [""]), _req("y", "Exists")], True),
    ({"y": ""}, [_req("x", "DoesNotExist"), _req("y", "Exists")], True),
    ({"y": ""}, [_req("x", "NotIn", [""]), _req("y", "DoesNotExist")], False),
    ({"y": "baz"}, [_req("x", "In", [""])], False),
]


@pytest.mark.parametrize(("labels", "reqs", "want"), REQUIREMENT_SELECTOR_MATCHING)
def test_requirement_selector_matching(labels: dict[str, str], reqs: list[dict[str, Any]], want: bool) -> None:
    # TestRequirementSelectorMatching
    sel = {"matchExpressions": reqs}
    got = selector_matches(sel, labels)
    assert got == want, f"selector {reqs} on {labels}: matches={got}, but should be {want}"


# TestSelectorMatches: (selector string, labels, match); the Gt/Lt rows ("x>1", "x<1") use the
# string grammar beyond k=v/k!=v/k/!k, which refmodel.labels does not model (see its header).
SELECTOR_MATCHES = [
    ("", {"x": "y"}, True),
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),
    ("x", {"x": "z"}, True),
    ("!x", {"y": "z"}, True),
    ("x=z", {}, False),
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("x", {"y": "z"}, False),
    ("!x", {"x": "z"}, False),
    ("foo=bar", {"foo": "bar", "baz": "blah"}, True),
    ("baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=bar,baz=blah", {"foo": "bar", "baz": "blah"}, True),
    ("foo=blah", {"foo": "bar", "baz": "blah"}, False),
    ("baz=bar", {"foo": "bar", "baz": "blah"}, False),
    ("foo=bar,foobar=bar,baz=blah", {"foo": "bar", "baz": "blah"}, False),
]


@pytest.mark.parametrize(("text", "labels", "want"), SELECTOR_MATCHES)
def test_selector_matches(text: str, labels: dict[str, str], want: bool) -> None:
    # TestSelectorMatches
    sel = parse_selector_string(text)
    got = selector_matches(sel, labels)
    assert got == want, f"selector {text!r} (parsed {sel}) on {labels}: matches={got}, but should be {want}"


@pytest.mark.parametrize("selector", [{}, {"foo": "bar"}, {"baz": "blah"}, {"foo": "bar", "baz": "blah"}])
def test_set_matches(selector: dict[str, str]) -> None:
    # TestSetMatches (SelectorFromSet: an equality map)
    labels = {"foo": "bar", "baz": "blah"}
    assert map_matches(selector, labels), f"map selector {selector} on {labels}: no match, but should match"
    assert selector_matches({"matchLabels": selector}, labels), (
        f"matchLabels {selector} on {labels}: no match, but should match")


def test_not_in_and_not_equals_match_an_absent_key() -> None:
    # rule L-3 / trap Z-13: NotIn and != are satisfied when the key is absent
    assert selector_matches({"matchExpressions": [_req("tier", "NotIn", ["db"])]}, {"app": "web"})
    assert selector_matches(parse_selector_string("tier!=db"), {"app": "web"})
    assert not selector_matches({"matchExpressions": [_req("tier", "NotIn", ["db"])]}, {"tier": "db"})


def test_nil_selector_matches_nothing_and_empty_selector_everything() -> None:
    # LabelSelectorAsSelector(nil) = Nothing, (&LabelSelector{}) = Everything (rule L-4)
    for labels in ({}, {"a": "b"}, None):
        assert selector_matches(None, labels) is False, f"nil selector matched {labels}, but should match nothing"
        assert selector_matches({}, labels) is True, f"empty selector did not match {labels}, but should match all"


def test_match_labels_and_match_expressions_are_anded() -> None:
    # rule L-1
    sel = {"matchLabels": {"app": "web"}, "matchExpressions": [_req("tier", "In", ["fe", "be"])]}
    assert selector_matches(sel, {"app": "web", "tier": "fe"})
    assert not selector_matches(sel, {"app": "web"}), "matchExpressions ignored when matchLabels match"
    assert not selector_matches(sel, {"app": "db", "tier": "fe"}), "matchLabels ignored when expressions match"


def test_unknown_operator_matches_nothing() -> None:
    # LabelSelectorAsSelector rejects operators other than In/NotIn/Exists/DoesNotExist (rule L-2)
    for op in ("Gt", "Lt", "in", "Equals"):
        sel = {"matchExpressions": [_req("z", op, ["1"])]}
        assert selector_matches(sel, {"z": "2"}) is False, f"operator {op!r} matched, but is not a selector operator"


def test_selector_pairs_lists_the_equality_requirements() -> None:
    sel = {"matchLabels": {"app": "web"},
           "matchExpressions": [_req("tier", "In", ["fe"]), _req("env", "In", ["a", "b"]), _req("x", "Exists")]}
    got = sorted(selector_pairs(sel))
    assert got == [("app", "web"), ("tier", "fe")], f"selector_pairs={got}, but should be the single-valued pairs"
    assert selector_pairs(None) == ()


# TestParseInt64 (Go strconv/atoi_test.go, base 10): Go's grammar, not Python's int(): no digit separators,
# no surrounding spaces, ASCII digits only, an optional sign, the int64 range.
PARSE_INT64 = [
    ("0", 0), ("-0", 0), ("+0", 0), ("1", 1), ("+1", 1), ("-1", -1), ("12345", 12345), ("012345", 12345),
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63)),
    ("9223372036854775808", None), ("-9223372036854775809", None),
    ("", None), ("-", None), ("+", None), ("1_0", None), ("1_000", None), (" 10", None), ("10 ", None),
    ("10\n", None), ("\u0661\u0660", None), ("１０", None), ("0x10", None), ("1e3", None), ("1.0", None),
    ("--1", None), ("12345x", None),
]


@pytest.mark.parametrize(("text", "want"), PARSE_INT64)
def test_parse_int64(text: str, want: int | None) -> None:
    # TestParseInt64
    got = parse_go_int(text)
    assert got == want, f"parse_go_int({text!r}) = {got}, but strconv.ParseInt(s, 10, 64) gives {want}"


@pytest.mark.parametrize(("text", "want"), [("2147483647", 2**31 - 1), ("-2147483648", -(2**31)),
                                            ("2147483648", None), ("-2147483649", None)])
def test_parse_int32(text: str, want: int | None) -> None:
    # TestParseInt32
    assert parse_go_int(text, 32) == want, f"parse_go_int({text!r}, 32), but ParseInt(s, 10, 32) gives {want}"


@pytest.mark.parametrize(("label", "value", "op", "fits"), [
    ("10", "9", "Gt", True), ("1_0", "9", "Gt", False), ("10", "1_0", "Lt", False), ("10", "1_1", "Gt", False),
    ("99999999999999999999", "1", "Gt", False), ("1", "99999999999999999999", "Lt", False),
    ("9223372036854775807", "9223372036854775806", "Gt", True), ("0010", "9", "Gt", True),
])
def test_node_selector_gt_lt_parse_as_go(label: str, value: str, op: str, fits: bool) -> None:
    # labels.Requirement.Matches for Gt/Lt: both sides through strconv.ParseInt(v, 10, 64); an error never
    # matches (Python's int() reads "1_0" as 10 and has no int64 bound)
    term = {"matchExpressions": [{"key": "z", "operator": op, "values": [value]}]}
    got = _node_selector_term_matches(term, {"z": label}, "node1")
    assert got == fits, f"z={label} {op} {value}: got {got}, but upstream's matcher says {fits}"


def test_pod_deletion_cost_annotation_parsed_as_go() -> None:
    # ValidatePodSpecificAnnotations: controller.kubernetes.io/pod-deletion-cost is strconv.ParseInt(v, 10, 32)
    for cost, ok in (("10", True), ("-2147483648", True), ("1_0", False), (" 10", False), ("2147483648", False)):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "p", "annotations": {"controller.kubernetes.io/pod-deletion-cost": cost}},
               "spec": {"containers": [{"name": "c", "image": "x"}]}}
        info = lookup("Pod")
        assert info is not None
        info.default(pod)
        errs = [e for e in info.validate(pod) if "pod-deletion-cost" in e.field]
        assert (not errs) == ok, f"deletion cost {cost!r}: got {[str(e) for e in errs]}, but valid={ok}"
