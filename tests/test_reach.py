"""Scope and top-up (``conformance/reach.py``, ``conformance.runner.top_up``).

- A run over some machines judges only the invariants they can reach: the others are "not exercised",
  not vacuous, and do not make the run UNKNOWN (before, ``--machines replicaset`` could never pass).
- A vacuous invariant gets its reaching machines run again (top-up), only those, with new examples; the
  run passes when the premise then holds, and is UNKNOWN, naming the rounds, when it still does not.
- The learned table is not narrower than what a derandomized run reaches (else a subset run would call an
  exercised invariant "not exercised"), and the learner only adds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance import runner
from conformance.invariants import ALL
from conformance.machines import MACHINES
from conformance.reach import REACHED_BY, in_scope, learn, machines_reaching, unlisted_reaches

NAMES = [inv.name for inv in ALL]
#: an invariant only some machines reach, and one machine that does not reach it
NARROW = next(name for name, reach in REACHED_BY.items() if len(reach) == 1 and name in NAMES)
OUTSIDE = next(m for m in MACHINES if m not in REACHED_BY[NARROW])
INSIDE = REACHED_BY[NARROW][0]


def result(machine: str, missing: set[str] = frozenset(), examples: int = 5) -> dict[str, Any]:  # type: ignore[assignment]
    """A passing machine result whose stats show every invariant it reaches held its premise but ``missing``."""
    premises = {n: 3 for n in NAMES if in_scope(n, [machine]) and n not in missing}
    return {"machine": machine, "valid": True, "failure": None, "error": None, "seconds": 0.1,
            "stats": {"checks": {n: 10 for n in NAMES}, "premises": premises, "steps": 40, "examples": examples,
                      "runs": examples}}


def test_the_table_names_real_invariants_and_machines() -> None:
    assert set(REACHED_BY) <= set(NAMES), set(REACHED_BY) - set(NAMES)
    assert all(reach and set(reach) <= set(MACHINES) and len(reach) < len(MACHINES) for reach in REACHED_BY.values())


def test_an_invariant_the_run_s_machines_cannot_reach_is_not_exercised_rather_than_vacuous() -> None:
    summary = runner.summarise([result(OUTSIDE)], "model", {})
    assert NARROW in summary["not_exercised"] and NARROW not in summary["vacuous"], summary["vacuous"]
    assert summary["invariants"][NARROW]["valid"] == "not exercised"
    assert summary["valid"] is True, (summary["valid"], summary["vacuous"])
    # the same invariant is vacuous (and the run UNKNOWN) when a machine that reaches it ran and missed it
    missed = runner.summarise([result(OUTSIDE), result(INSIDE, {NARROW})], "model", {})
    assert missed["vacuous"] == [NARROW] and missed["valid"] == "unknown", missed["vacuous"]
    assert machines_reaching(NARROW, [OUTSIDE, INSIDE]) == [INSIDE]


class Fake:
    """``run_machine`` replaced: INSIDE misses NARROW's premise on its first ``misses`` runs; every call is
    recorded with its seed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.misses = 1

    def __call__(self, name: str, adapter: str, options: dict[str, Any], progress: Any = None) -> dict[str, Any]:
        self.calls.append((name, options.get("seed")))
        runs = sum(1 for n, _ in self.calls if n == INSIDE)
        return result(name, {NARROW} if name == INSIDE and runs <= self.misses else set())


def test_the_report_lists_what_was_not_exercised_apart_from_what_was_vacuous() -> None:
    from reports.conformance import conformance_document

    summary = runner.summarise([result(OUTSIDE)], "model", {})
    assert NARROW in summary["not_exercised"]
    md = conformance_document(summary).markdown()
    part = md[md.index("## Invariants not exercised"):]
    assert NARROW in part.split("##")[1], part[:600]
    assert "## Vacuous invariants" not in md or NARROW not in md[md.index("## Vacuous invariants"):].split("##")[1]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Fake:
    f = Fake()
    monkeypatch.setattr(runner, "run_machine", f)
    return f


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any], str]:
    rc = runner.main(["--machines", f"{OUTSIDE},{INSIDE}", "--report", str(tmp_path), "--profile", "ci", *extra])
    out = capsys.readouterr().out
    return rc, json.loads((tmp_path / "results.json").read_text()), out


def test_a_vacuous_invariant_tops_up_only_the_machines_that_reach_it(fake: Fake, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    rc, summary, out = _run(tmp_path, capsys)
    assert rc == 0 and summary["valid"] is True, (rc, summary["vacuous"], out)
    assert summary["top_up"] == [{"round": 1, "vacuous": [NARROW], "machines": [INSIDE]}], summary["top_up"]
    assert [n for n, _ in fake.calls] == [OUTSIDE, INSIDE, INSIDE], fake.calls
    first, again = fake.calls[1][1], fake.calls[2][1]
    assert again is not None and again != first, "a top-up draws new examples (a derived seed, derandomized too)"
    assert summary["machines"][INSIDE]["top_up"] == 1 and summary["machines"][INSIDE]["stats"]["examples"] == 10
    assert summary["examples"] == 15 and f"top-up 1/2: 1 invariant(s) with no premise held yet ({NARROW})" in out


def test_a_premise_still_missed_after_the_top_up_leaves_the_run_unknown(fake: Fake, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    fake.misses = 99
    rc, summary, out = _run(tmp_path, capsys, "--top-up", "3")
    assert rc == 2 and summary["valid"] == "unknown" and summary["vacuous"] == [NARROW], (rc, summary["vacuous"])
    assert [t["round"] for t in summary["top_up"]] == [1, 2, 3]
    seeds = [seed for name, seed in fake.calls if name == INSIDE]
    assert len(seeds) == 4 and len(set(seeds)) == 4, f"each round draws from its own seed: {seeds}"
    assert "never held after 3 top-up round(s)" in out, out


def test_no_top_up_when_asked_for_none_or_when_a_check_failed(fake: Fake, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rc, summary, _ = _run(tmp_path / "none", capsys, "--top-up", "0")
    assert rc == 2 and "top_up" not in summary and len(fake.calls) == 2
    fake.calls.clear()

    def failing(name: str, *args: Any, **kw: Any) -> dict[str, Any]:
        r = fake(name, *args, **kw)
        if name == OUTSIDE:
            r.update(valid=False, failure={"invariant": NAMES[0], "rules": [], "message": "seeded", "events": []})
        return r

    monkeypatch.setattr(runner, "run_machine", failing)
    rc, summary, _ = _run(tmp_path / "failed", capsys)
    assert rc == 1 and "top_up" not in summary and len(fake.calls) == 2, fake.calls


def test_a_real_run_over_one_machine_tops_up_that_machine_and_judges_only_what_it_reaches(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = runner.main(["--machines", "replicaset", "--examples", "3", "--steps", "8", "--seed", "3",
                      "--database", "none", "--quiet", "--report", str(tmp_path)])
    summary = json.loads((tmp_path / "results.json").read_text())
    assert rc == runner.exit_code(summary["valid"])
    assert summary["not_exercised"] and not set(summary["not_exercised"]) & set(summary["vacuous"])
    assert all(not in_scope(n, ["replicaset"]) for n in summary["not_exercised"])
    rounds = summary.get("top_up") or []
    assert all(t["machines"] == ["replicaset"] for t in rounds), rounds
    assert summary["examples"] == 3 * (1 + len(rounds)), (summary["examples"], rounds)
    if summary["vacuous"]:  # still missed: every round the run allows was tried, and the run says UNKNOWN
        assert len(rounds) == 2 and summary["valid"] == "unknown", (rounds, summary["valid"])


def test_the_table_is_not_narrower_than_a_derandomized_run(tmp_path: Path) -> None:
    """A machine that met a premise the table says it cannot reach: update the table
    (``python -m conformance.reach DIR``, see its docstring)."""
    assert runner.main(["--profile", "ci", "--examples", "25", "--database", "none", "--quiet", "--top-up", "0",
                        "--report", str(tmp_path)]) in (0, 2)
    summary = json.loads((tmp_path / "results.json").read_text())
    assert unlisted_reaches(summary) == {}, f"run 'python -m conformance.reach {tmp_path}' to add them"


def test_learning_only_adds_and_leaves_out_what_every_machine_reaches() -> None:
    machines = ["a", "b", "c"]
    runs = [{"machines": {"a": {"stats": {"premises": {"x": 1, "y": 2, "z": 0}}},
                          "b": {"stats": {"premises": {"x": 1}}},
                          "c": {"stats": {"premises": {"x": 4}}}}}]
    table = learn(runs, machines, {"y": ("c",), "w": ("b",), "x": ("a",)})
    assert table == {"y": ("a", "c"), "w": ("b",)}, table
    assert learn([], machines, {}) == {}
