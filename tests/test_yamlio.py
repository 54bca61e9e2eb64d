"""refmodel.yamlio: multi-document YAML in, API-shaped dicts out, and back.

Mirrors kubectl's manifest reading (``sigs.k8s.io/yaml`` ``YAMLToJSONStrict`` as used by
``staging/src/k8s.io/cli-runtime/pkg/resource`` Builder): duplicate keys are errors, empty documents are
skipped, ``kind: List`` is unwrapped, non-string keys become their text.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refmodel as rm
from refmodel import yamlio


def _message(text: str) -> str:
    with pytest.raises(rm.Invalid) as exc:
        rm.load_manifests(text)
    return str(exc.value)


# TestYAMLToJSONStrict (sigs.k8s.io/yaml): a repeated key in one mapping is rejected with its line.
def test_duplicate_key_rejected_with_line() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: '1'\n  x: '2'\n"
    msg = _message(text)
    assert 'key "x" already set in map' in msg, f"message={msg!r}, but should name the duplicate key"
    assert "line 7" in msg, f"message={msg!r}, but should give line 7 of the duplicate"


def test_duplicate_key_in_nested_list_item_rejected() -> None:
    text = "kind: Pod\napiVersion: v1\nspec:\n  containers:\n  - name: a\n    name: b\n"
    assert 'key "name" already set in map' in _message(text)


def test_same_key_in_different_maps_is_fine() -> None:
    objs = rm.load_manifests("a: {x: 1}\nb: {x: 2}\n")
    assert objs == [{"a": {"x": 1}, "b": {"x": 2}}], f"got {objs}, but sibling maps may reuse keys"


def test_parse_error_has_line_and_column() -> None:
    msg = _message("kind: ConfigMap\ndata:\n  a: b: c\n")
    assert "line 3" in msg, f"message={msg!r}, but should point at line 3"
    assert "column" in msg, f"message={msg!r}, but should carry a column"


def test_unclosed_flow_mapping_is_a_parse_error() -> None:
    msg = _message("kind: Pod\nmetadata: {name: x\n")
    assert "error parsing YAML" in msg, f"message={msg!r}, but should be a parse error"


def test_kind_list_is_unwrapped() -> None:
    text = ("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
            "- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n")
    objs = rm.load_manifests(text)
    assert [o["kind"] for o in objs] == ["ConfigMap", "Secret"], f"got {objs}, but List items should be expanded"


def test_empty_and_comment_only_documents_are_skipped() -> None:
    text = "---\n# only a comment\n---\n\n---\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n---\n...\n"
    objs = rm.load_manifests(text)
    assert len(objs) == 1, f"got {len(objs)} objects, but only one document has content"
    assert rm.load_manifests("") == []
    assert rm.load_manifests("# nothing\n") == []


def test_non_mapping_document_rejected() -> None:
    msg = _message("- a\n- b\n")
    assert "must be a mapping" in msg, f"message={msg!r}"


def test_non_string_keys_become_text() -> None:
    objs = rm.load_manifests("data:\n  5: a\n  3.14: b\n  true: c\n")
    assert set(objs[0]["data"]) == {"5", "3.14", "true"}, f"got {objs[0]['data']}, but keys should be their text"


def test_timestamps_stay_strings() -> None:
    objs = rm.load_manifests("metadata:\n  creationTimestamp: 2020-01-01T00:00:00Z\n")
    assert objs[0]["metadata"]["creationTimestamp"] == "2020-01-01T00:00:00Z"


_KEYS = st.text(alphabet=string.ascii_letters + string.digits + "-_./ :#'\"", min_size=1, max_size=12)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=20,
)


# load(dump(x)) == x for JSON-like documents (DESIGN.md's round-trip contract).
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _JSON, min_size=1, max_size=5), max_size=3))
def test_load_dump_round_trip(objs: list[dict[str, Any]]) -> None:
    objs = [o for o in objs if not (isinstance(o.get("kind"), str) and o["kind"].endswith("List") and "items" in o)]
    text = rm.dump_manifests(objs)
    assert rm.load_manifests(text) == objs, f"load(dump(x)) != x for x={objs!r}, text={text!r}"


def test_round_trip_of_a_real_object() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1"}},
           "data": {"script": "#!/bin/sh\necho hi\n", "yes": "true", "num": "0123", "empty": ""}}
    assert rm.load_manifests(rm.dump_manifests([obj])) == [obj]


# TestLimits (go-yaml limit_test.go): the alias-ratio and depth limits, on go-yaml's own inputs.
@pytest.mark.parametrize(("name", "text", "error"), [
    ("1000kb of maps with 100 aliases",
     "{a: &a [{a}" + ",{a}" * (1000 * 1024 // 4 - 100) + "], b: &b [*a" + ",*a" * 99 + "]}",
     "document contains excessive aliasing"),
    ("1000kb of deeply nested slices", "[" * (1000 * 1024), "exceeded max depth of 10000"),
    ("1000kb of deeply nested maps", "x: " + "{" * (1000 * 1024), "exceeded max depth of 10000"),
    ("1000kb of deeply nested indents", "- " * (1000 * 1024), "exceeded max depth of 10000"),
    ("1000kb of 1000-indent lines", ("- " * 1000 + "\n") * (1024 // 2), None),
    ("10kb of maps", "a: &a [{a}" + ",{a}" * (10 * 1024 // 4 - 1) + "]", None),
    ("a few aliases", "a: &a [1, 2]\nb: *a\nc: {x: *a}\n", None),
])
def test_limits(name: str, text: str, error: str | None) -> None:
    from refmodel import yamlio

    if error is None:
        assert yamlio.load_yaml(text) is not None, name
        return
    with pytest.raises(rm.Invalid, match=error):
        yamlio.load_yaml(text)


# TestYAMLOrJSONDecoder (apimachinery util/yaml): a stream starting with "{" is strict JSON.
@pytest.mark.parametrize(("text", "error"), [
    ('{"a": 1,}', "error parsing JSON"),
    ('{"a": NaN}', "unsupported value: NaN"),
    ('{"a": 1} {"b": 2}', None),
    ("a: 1\nb: [1, 2,]\n", None),  # YAML flow sequences may end with a comma
])
def test_json_streams_are_strict(text: str, error: str | None) -> None:
    if error is None:
        assert rm.load_manifests(text)
        return
    with pytest.raises(rm.Invalid, match=error):
        rm.load_manifests(text)


def test_alias_values_are_copies() -> None:
    obj = rm.load_manifests("a: &x {k: [1]}\nb: *x\n")[0]
    obj["a"]["k"].append(2)
    assert obj["b"] == {"k": [1]}, "an alias shares its container with its anchor"


def test_deep_values_freeze_and_thaw_without_recursion() -> None:
    from refmodel.frozen import freeze, thaw

    value: object = 1
    for _ in range(9_000):
        value = {"x": [value]}
    frozen = freeze(value)
    back = thaw(frozen)
    for _ in range(9_000):
        back = back["x"][0]
    assert back == 1


# ---------------------------------------------------------------------------------------------
# the fast reader for plain block YAML: it reads exactly what libyaml's path reads, or declines
# ---------------------------------------------------------------------------------------------
def _libyaml_path(text: str) -> tuple[list[tuple[int, int | None, Any]], str | None]:
    from refmodel import yamlio

    out: list[yamlio.Document] = []
    try:
        yamlio._read_documents(text, lambda root, i, size, items: yamlio._finish(root, i, size, items, out))
    except rm.Invalid as exc:
        return [(d.index, d.item, d.obj) for d in out], exc.rejection.message
    return [(d.index, d.item, d.obj) for d in out], None


def _fast_path(text: str) -> list[tuple[int, int | None, Any]] | None:
    from refmodel import yamlio

    docs = yamlio._read_plain(text)
    return None if docs is None else [(d.index, d.item, d.obj) for d in docs]


def _mostly(good: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    """A value from ``good`` 24 times in 25, else from ``odd`` (YAML the fast reader must decline or
    read as libyaml does)."""
    return st.integers(0, 24).flatmap(lambda i: st.sampled_from(odd if i == 0 else good))


_F_KEYS = _mostly(["a", "b", "name", "app.kubernetes.io/name", "x_1", "k:x"], ["on", "1", "null", "a b", "<<", "'q'"])
_F_SCALARS = _mostly(
    ["v", "a b", "a  b ", "x # c", "-1", "-.5", "0x1F", "yes", "2001-01-01", "'s'", '"d"', '"a # b"', "{}", "[]",
     "nginx:1.27", "http://x", "1e3", "3", "true", ""],
    ["a#b", "~", ".nan", "'it''s'", '"e\\n"', "{a: 1}", "- x", "a: b", "|", "&a x", "*a", "!!str 1", "a:", "%x", "@x", "-"])
_F_JUNK = st.sampled_from(["---", "--- ", "...", "# comment", "", "  ", "%YAML 1.1", "--- x", "x", "- - a", "\t- a",
                           "a: \u00e9", "a:\r"])


@st.composite
def _block_yaml(draw: st.DrawFn) -> str:
    """A block-YAML stream written as people write manifests (nested maps, lists compact or indented,
    comments, quotes), then with a few lines broken or re-indented now and then."""
    lines: list[str] = []

    def mapping(pad: int, depth: int, first_prefix: str | None = None) -> None:
        for i, key in enumerate(draw(st.lists(_F_KEYS, min_size=1, max_size=4, unique=True))):
            lead = first_prefix if (i == 0 and first_prefix is not None) else " " * pad
            shape = draw(st.sampled_from(["scalar", "scalar", "map", "list"] if depth < 3 else ["scalar"]))
            if shape == "scalar":
                value = draw(_F_SCALARS)
                lines.append(f"{lead}{key}:{' ' + value if value else ''}")
            elif shape == "map":
                lines.append(f"{lead}{key}:")
                mapping(pad + draw(st.sampled_from([2, 4])), depth + 1)
            else:
                lines.append(f"{lead}{key}:")
                items_pad = pad + draw(st.sampled_from([0, 2]))
                for _ in range(draw(st.integers(1, 3))):
                    if draw(st.booleans()):
                        lines.append(f"{' ' * items_pad}- {draw(_F_SCALARS)}")
                    else:
                        mapping(items_pad + 2, depth + 1, first_prefix=f"{' ' * items_pad}- ")
            if draw(st.integers(0, 9)) == 0:
                lines.append(" " * draw(st.integers(0, 4)) + "# note")

    for d in range(draw(st.integers(1, 3))):
        if d or draw(st.booleans()):
            lines.append("---")
        if draw(st.integers(0, 5)):
            mapping(0, 0)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2])) if lines else 0):  # damage: a line replaced, re-indented or repeated
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["junk", "indent", "dedent", "repeat"]))
        if how == "junk":
            lines[i] = draw(_F_JUNK)
        elif how == "indent":
            lines[i] = " " + lines[i]
        elif how == "dedent":
            lines[i] = lines[i][1:]
        else:
            lines.insert(i, lines[i])
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n---\n"]))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_block_yaml())
def test_fast_reader_agrees_with_libyaml_or_declines(text: str) -> None:
    fast = _fast_path(text)
    if fast is None:
        return
    slow, error = _libyaml_path(text)
    assert error is None, f"the fast reader read {fast}, but libyaml's path fails with {error!r} on {text!r}"
    assert fast == slow, f"the fast reader read {fast}, but libyaml's path reads {slow} from {text!r}"


@pytest.mark.parametrize("text", [
    # the shapes of real manifests: nested maps, compact and indented lists, comments, quotes, {} and []
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web  # the name\n  labels:\n    app: web\n"
    "spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n"
    "        args: []\n        resources: {}\n        ports:\n          - containerPort: 80\n            name: 'http'\n",
    "# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: \"v w\"\n---\n---\n"
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n",
])
def test_fast_reader_takes_plain_manifests(text: str) -> None:
    fast = _fast_path(text)
    assert fast is not None, f"the fast reader declined {text!r}, but it is plain block YAML"
    assert fast == _libyaml_path(text)[0], "the fast reader and libyaml's path read different objects"


@pytest.mark.parametrize(("text", "error"), [
    ("a: 1\na: 2\n", 'key "a" already set in map'),
    ("a: .nan\n", "unsupported value: NaN"),
    ("a: x\n  b: 2\n", "mapping values are not allowed"),
    ("- a\n", "an object must be a mapping"),
    ("kind: List\nitems: 3\n", "items: must be a list"),
])
def test_errors_in_plain_streams_are_libyamls(text: str, error: str) -> None:
    """The fast reader never words an error itself: a plain stream with an error reads as libyaml's path."""
    assert _fast_path(text) is None, f"the fast reader read {text!r}, but it holds an error"
    assert error in _message(text)


# ---------------------------------------------------------------------------------------------
# a large stream read in pieces by several processes (validate --workers): the same documents
# ---------------------------------------------------------------------------------------------
def _pieces_path(text: str, workers: int) -> tuple[list[tuple[int, int | None, Any]], str | None]:
    from conformance import cli

    docs, error = cli._documents(text, None, workers)
    return [(d.index, d.item, d.obj) for d in docs], None if error is None else error.rejection.message


def _whole_path(text: str) -> tuple[list[tuple[int, int | None, Any]], str | None]:
    docs, error = yamlio.documents_from(text)
    return [(d.index, d.item, d.obj) for d in docs], None if error is None else error.rejection.message


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(_block_yaml(), min_size=1, max_size=6), st.integers(2, 4))
def test_a_stream_read_in_pieces_reads_as_a_whole(monkeypatch: pytest.MonkeyPatch, parts: list[str],
                                                  workers: int) -> None:
    from conformance import cli

    monkeypatch.setattr(cli, "PARALLEL_BYTES", 0)
    text = "\n---\n".join(parts)
    assert _pieces_path(text, workers) == _whole_path(text), f"read in {workers} pieces, {text!r} reads otherwise"


def test_pieces_cut_at_document_starts() -> None:
    text = "".join(f"---\nkind: ConfigMap\nmetadata:\n  name: c{i}\n" for i in range(10)) + "---\n---\n"
    pieces = yamlio.plain_pieces(text, 3)
    assert "".join(pieces) == text and len(pieces) == 3, pieces
    assert all(p.startswith("---\n") for p in pieces), pieces
    read = [yamlio.read_piece(p) for p in pieces]
    counts = [r[1] for r in read if r is not None]
    # each piece counts the documents it begins, the two empty ones at the end too
    assert counts == [p.count("---\n") for p in pieces] and sum(counts) == 12, counts
    names = [d.obj["metadata"]["name"] for r in read if r is not None for d in r[0]]
    assert names == [f"c{i}" for i in range(10)], names
