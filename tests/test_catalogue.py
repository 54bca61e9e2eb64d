"""The rules catalogue (conformance/catalogue.py): every rule id the project cites resolves in it.

Ids are collected from the invariant registry (each ``Invariant.rules``) and from the docstrings and
comments of every Python package of the repository (ranges such as ``D-1..D-22`` cite every id in
between). ``KB-n`` ids are the record of model bugs the suite found (tests/test_fixed_bugs.py), not
upstream rules; ``UTF-8`` is an encoding.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import attrs
import pytest

from conformance import catalogue, invariants
from conformance.catalogue import CITATION, RULES, Rule, cited_ids, describe, rule
from conformance.invariants import Invariant

ROOT = Path(__file__).resolve().parents[1]
NOT_RULES = ("KB-", "UTF-")  # known-bug record ids; UTF-8


def _prose(source: str) -> list[str]:
    """The docstrings and comments of a Python source."""
    tree = ast.parse(source)
    texts = [doc for node in ast.walk(tree)
             if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
             and (doc := ast.get_docstring(node, clean=False))]
    texts += [tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
              if tok.type == tokenize.COMMENT]
    return texts


def _cited_in_prose(*roots: str) -> dict[str, set[str]]:
    """rule id -> the files (relative to the repository) whose docstrings or comments cite it."""
    out: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            for text in _prose(path.read_text()):
                for rid in cited_ids(text):
                    if not rid.startswith(NOT_RULES):
                        out.setdefault(rid, set()).add(str(path.relative_to(ROOT)))
    return out


def _missing_from_registry(registry: tuple[Invariant, ...]) -> list[str]:
    return sorted(f"{inv.name!r} cites {rid}" for inv in registry for rid in inv.rules if rid not in RULES)


def test_every_id_an_invariant_cites_is_in_the_catalogue() -> None:
    registry = invariants.ALL  # read at call time, so a test can register a fake invariant
    assert len(registry) > 30
    missing = _missing_from_registry(registry)
    assert not missing, f"rule ids not in conformance/catalogue.py: {missing}; expected every cited id there"


def test_every_id_cited_in_docstrings_and_comments_is_in_the_catalogue() -> None:
    cited = _cited_in_prose("conformance", "refmodel", "strategies", "reports", "benchmarks", "tests")
    missing = {rid: sorted(files) for rid, files in cited.items() if rid not in RULES}
    assert not missing, f"rule ids cited but not in conformance/catalogue.py: {missing}"
    # the scan is not vacuous: it finds ids in the modules that cite most of them
    assert {"D-11", "RS-5", "API-1", "NODE-4"} <= set(cited), sorted(cited)


def test_a_fake_invariant_citing_an_unknown_id_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Invariant("a fake invariant", ("D-11", "ZZ-99"), "state", lambda view, ctx: (0, []))
    monkeypatch.setattr(invariants, "ALL", (*invariants.ALL, fake))
    assert _missing_from_registry(invariants.ALL) == ["'a fake invariant' cites ZZ-99"]
    with pytest.raises(AssertionError, match="'a fake invariant' cites ZZ-99"):
        test_every_id_an_invariant_cites_is_in_the_catalogue()


def test_a_docstring_or_comment_citing_an_unknown_id_is_found() -> None:
    src = ('"""Mirrors upstream rule ZZ-98 and D-3..D-4."""\n# see ZZ-97\n'
           'x = "ZZ-96 in a plain string is not a citation"\n')
    cited = set().union(*(cited_ids(t) for t in _prose(src)))
    assert cited == {"ZZ-98", "D-3", "D-4", "ZZ-97"}


def test_ids_are_unique_and_well_formed() -> None:
    assert all(key == r.id for key, r in RULES.items())
    with pytest.raises(ValueError, match="D-11 is defined twice"):
        catalogue._rules(RULES["D-11"], attrs.evolve(RULES["D-12"], id="D-11"))


def test_every_rule_has_a_statement_and_upstream_citations_of_the_form_path_function() -> None:
    bad = {r.id: c for r in RULES.values() for c in r.upstream if not CITATION.match(c)}
    assert not bad, f"citations not of the form path/to/file.go:Function: {bad}"
    empty = [r.id for r in RULES.values() if not r.upstream or not r.title or len(r.statement) < 40]
    assert not empty, f"rules without a title, a statement or an upstream citation: {empty}"


def test_tested_by_lists_only_test_modules_that_cite_the_rule() -> None:
    cited = _cited_in_prose("tests")
    text = {p: (ROOT / p).read_text() for r in RULES.values() for p in r.tested_by}
    wrong = {r.id: p for r in RULES.values() for p in r.tested_by
             if not (ROOT / p).is_file() or r.id not in cited_ids(text[p])}
    assert not wrong, f"tested_by names files that do not cite the rule: {wrong}"
    assert cited  # the tests do cite rules


@pytest.mark.parametrize(("text", "ids"), [
    ("rules D-1..D-3 and GC-6", {"D-1", "D-2", "D-3", "GC-6"}),
    ("NODE-1..4", {"NODE-1", "NODE-2", "NODE-3", "NODE-4"}),
    ("(RS-4, P-6)", {"RS-4", "P-6"}),
    ("node-0..node-N-1 and D-10", {"D-10"}),  # lower-case words are not ids
])
def test_cited_ids_expands_ranges(text: str, ids: set[str]) -> None:
    assert cited_ids(text) == ids


def test_lookup_and_describe() -> None:
    assert rule("D-11").title and isinstance(rule("D-11"), Rule)
    with pytest.raises(KeyError, match="ZZ-99 is not in the catalogue"):
        rule("ZZ-99")
    assert describe(["RS-5", "ZZ-99"]) == [f"RS-5 {RULES['RS-5'].title}: {RULES['RS-5'].statement}",
                                           "ZZ-99: not in the catalogue"]
    assert "no object has more than one controller owner reference" in catalogue.checked_by("RS-5")


def test_the_conformance_summary_states_the_rules_next_to_the_invariants() -> None:
    from reports.markdown import render

    failure = {"invariant": "resourceVersion only grows", "rules": ["API-1"], "message": "rv went 7 -> 3"}
    summary = {"valid": False, "adapter": "model", "machines": {"mixed": {"valid": False, "failure": failure}},
               "invariants": {"resourceVersion only grows": {"valid": False, "rules": ["API-1"], "kind": "transition",
                                                              "checks": 3, "premises": 3, "violations": 1},
                              "x": {"valid": True, "rules": ["D-10", "D-2"], "kind": "state", "checks": 1,
                                    "premises": 1, "violations": 0}}}
    md = render(summary)
    assert f"> API-1 {RULES['API-1'].title}: {RULES['API-1'].statement}" in md  # under the failure
    listed = [line for line in md.splitlines() if line.startswith("- ")]
    assert [line.split()[1] for line in listed] == ["API-1", "D-2", "D-10"], listed
