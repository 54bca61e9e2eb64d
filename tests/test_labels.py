"""Label selectors (refmodel/labels.py) against upstream's tables.

Mirrors ``staging/src/k8s.io/apimachinery/pkg/labels/selector_test.go`` (TestRequirementSelectorMatching,
TestSelectorMatches, TestSetMatches) and the nil/empty rule of
``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`` (LabelSelectorAsSelector).
"""

from __future__ import annotations

from typing import Any

import pytest

from refmodel.labels import map_matches, parse_selector_string, selector_matches, selector_pairs


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
