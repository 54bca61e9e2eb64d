"""Hypothesis feeds garbage to the loaders and validators; they answer with an error, never a crash.

Two generators: random JSON-like trees (any shape, huge ints, NaN, deep lists, odd keys), written as
YAML and as JSON; and, for every kind in ``refmodel.resources.REGISTRY``, an object with a value of the
wrong JSON type at a field path its schema has (the v1.32 OpenAPI tables of
``refmodel.resources._schema_data``; ``metadata`` and the top-level fields for kinds without one).
Properties, as in ``test_bad_input``: exit code 0 or 1 (never an exception), ``error: ...`` lines
with the field path, no traceback, no "internal error", under an alarm; and ``validate`` never calls
a wrongly typed object valid (a kind the model checks says invalid, one it does not says skipped).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import cli
from conformance.script import ScriptError, load_script
from refmodel import yamlio
from refmodel.resources import REGISTRY
from refmodel.resources._schema_data import ROOTS, TYPES

ALARM = 10
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
keys = st.one_of(st.sampled_from(["apiVersion", "kind", "metadata", "name", "spec", "items", "event", "<<"]),
                 st.text(max_size=8))
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


class Hung(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hung(f"ran for more than {ALARM} s")


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(ALARM)
    try:
        rc = cli.main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    assert rc in (0, 1), f"exit code {rc} for {argv}\n{err[-1500:]}"
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    # simulate reports a rejected write exactly as kubectl apply does ("Error from server (Invalid): ...")
    bad = [ln for ln in err.splitlines() if ln.lower().startswith("error") and not ln.startswith("error: ")
           and not ln.startswith("Error from server (")]
    assert not bad, bad
    return rc, out, err


def _yaml_text(tree: Any) -> str:
    return yaml.safe_dump(tree, allow_unicode=True) if not isinstance(tree, str) else yaml.safe_dump([tree])


@FUZZ
@given(tree=trees, as_json=st.booleans())
def test_garbage_documents_are_refused_or_accepted_never_crash(tree: Any, as_json: bool, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": tree} \
        if isinstance(tree, dict | list) else tree
    text = json.dumps(doc) if as_json else _yaml_text(doc)
    docs, err = yamlio.documents_from(text)
    assert err is None or err.rejection.message.startswith("document "), err
    f = tmp_path / ("g.json" if as_json else "g.yaml")
    f.write_text(text)
    rc, _out, _errtext = run_cli(["validate", "-f", str(f)], capsys)
    if rc == 0:
        assert docs, f"validate passed input the loader refused: {err}"
    run_cli(["simulate", "--nodes", "1", "-f", str(f), "-o", "json"], capsys)


@FUZZ
@given(tree=trees)
def test_garbage_event_scripts_are_refused_with_a_path(tree: Any) -> None:
    for text in (_yaml_text(tree), _yaml_text({"events": tree}), _yaml_text([tree])):
        try:
            load_script(text)
        except ScriptError as exc:
            assert exc.problems and all(p for p in exc.problems), exc


# ---------------------------------------------------------------------------------------------
# wrong types at valid field paths, for every kind
# ---------------------------------------------------------------------------------------------
def _wrong(t: str) -> list[Any]:
    """Values of a JSON type that a field of schema type ``t`` does not accept (null is its zero value)."""
    if t == "string":
        return [5, [1], {"a": "b"}, True]
    if t in ("int32", "int64"):
        return ["x", [1], {"a": 1}, True]
    if t == "boolean":
        return ["x", 1, [1]]
    if t in ("quantity", "int-or-string"):
        return [[1], {"a": 1}, True]
    if t == "date-time":
        return [5, [1], "yesterday"]
    if t.startswith("{}"):
        return ["x", [1]]
    if t.startswith("[]"):
        return ["x", {"a": 1}, 5]
    if t == "object":
        return []  # free-form: anything goes
    return ["x", [1], 5]  # a struct


def _paths(kind: str) -> list[tuple[tuple[str | int, ...], str]]:
    """Field paths of a kind's schema (depth <= 4) with their types."""
    root = ROOTS.get(kind)
    out: list[tuple[tuple[str | int, ...], str]] = []
    if root is None:
        info = REGISTRY[kind]
        for f in info.top_level:
            out.append(((f,), "object-or-anything"))
        root_types = {"metadata": "ObjectMeta"}
        for f, t in root_types.items():
            for k, kt in TYPES[t].items():
                out.append(((f, k), kt))
        return out

    def walk(t: str, path: tuple[str | int, ...], depth: int) -> None:
        fields = TYPES.get(t)
        if fields is None or depth > 4:
            return
        for name, ft in fields.items():
            if path == () and name in ("apiVersion", "kind"):
                continue
            p = (*path, name)
            out.append((p, ft))
            if ft.startswith("[]"):
                walk(ft[2:], (*p, 0), depth + 1)
            elif ft.startswith("{}"):
                continue
            else:
                walk(ft, p, depth + 1)

    walk(root, (), 0)
    return out


PATHS = {kind: _paths(kind) for kind in REGISTRY}


def _set(obj: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    cur: Any = obj
    for i, step in enumerate(path[:-1]):
        nxt = path[i + 1]
        empty: Any = [{}] if isinstance(nxt, int) else {}
        if isinstance(step, int):
            while len(cur) <= step:
                cur.append({})
            if not isinstance(cur[step], dict | list):
                cur[step] = empty
            cur = cur[step]
        else:
            if not isinstance(cur.get(step), dict | list):
                cur[step] = empty
            cur = cur[step]
    last = path[-1]
    if isinstance(last, int):
        cur[last] = value
    else:
        cur[last] = value


@st.composite
def wrongly_typed(draw: st.DrawFn) -> tuple[str, tuple[str | int, ...], Any]:
    kind = draw(st.sampled_from(sorted(REGISTRY)))
    candidates = [(p, t) for p, t in PATHS[kind] if _wrong(t) or t == "object-or-anything"]
    path, t = draw(st.sampled_from(candidates))
    value = draw(st.sampled_from(_wrong(t) or ["x", 5, [1]]))
    return kind, path, value


def _dotted(path: tuple[str | int, ...]) -> str:
    """The part of the path before the first list index, as field errors spell it."""
    out: list[str] = []
    for p in path:
        if isinstance(p, int):
            break
        out.append(p)
    return ".".join(out)


@FUZZ
@given(case=wrongly_typed())
def test_wrong_type_at_a_field_path_is_never_valid(case: tuple[str, tuple[str | int, ...], Any], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    kind, path, value = case
    info = REGISTRY[kind]
    obj: dict[str, Any] = {"apiVersion": info.api_versions[0], "kind": kind, "metadata": {"name": "x"}}
    _set(obj, path, value)
    f = tmp_path / "o.yaml"
    f.write_text(yaml.safe_dump(obj))
    rc, out, err = run_cli(["validate", "-f", str(f)], capsys)
    assert "0 valid" in out, f"{kind} with {_dotted(path)}={value!r} was called valid:\n{out}{err}"
    if info.modelled and path[0] != "status":
        assert rc == 1 and "1 invalid" in out, f"{kind} with {path}={value!r}: {out}{err}"
        assert any(_dotted(path) in ln or path[0] in ln for ln in err.splitlines() if ln.startswith("error: ")), \
            f"no error names {_dotted(path)}:\n{err}"
    rc2, _, _ = run_cli(["validate", "--strict", "-f", str(f)], capsys)
    assert rc2 == 1, f"--strict passed {kind} with {path}={value!r}"


def test_every_kind_has_field_paths() -> None:
    empty = [k for k, p in PATHS.items() if not p]
    assert not empty, f"kinds without a field path to fuzz: {empty}"
