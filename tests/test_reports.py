"""The reports (``reports/``): rendered from fixed result files (``tests/fixtures/reports/``), their
content checked: the verdict first, the machine x invariant grid's cells, each failure's shrunk script,
first diverging field and replay command, the kill matrix, the benchmark tables and plots, and that the
page is self-contained (no URL but the SVG namespaces). An opt-in test opens a page in headless
Chromium and takes a screenshot (``KUBEORACLE_BROWSER_TESTS=1``: ``.ci/run`` installs Debian's chromium
and sets it).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports import plots
from reports.bench import bench_document, compare, figures, headlines
from reports.conformance import (
    cell_status,
    conformance_document,
    first_divergence,
    selftest_document,
)
from reports.document import Document, Grid, Table, Text, Verdict

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
RS_INV = "after settle, the observed state equals the model's"


def results() -> dict[str, Any]:
    return json.loads((FIXTURES / "results.json").read_text())


def bench_data() -> dict[str, Any]:
    return json.loads((FIXTURES / "bench.json").read_text())


def grid_cells(page: str) -> dict[tuple[str, str], str]:
    """(row label, column) -> status, read back from the HTML grid."""
    table = page.split('<table class="grid">', 1)[1].split("</table>", 1)[0]
    columns = re.findall(r'<th class="col">(.*?)</th>', table)
    out = {}
    for row in re.findall(r"<tr><th class=\"row\">(.*?)</th>(.*?)</tr>", table, flags=re.S):
        for col, status in zip(columns, re.findall(r'data-status="([^"]*)"', row[1]), strict=True):
            out[(row[0], col)] = status
    return out


def assert_self_contained(page: str) -> None:
    assert "<script" not in page and "<link" not in page and "@import" not in page, "the page loads something"
    urls = re.findall(r"[\w:-]*=?\"?(?:https?:)?//[^\s\"')<>]+", page)
    foreign = [u for u in urls if not re.match(r'xmlns(:\w+)?="https?://www\.w3\.org/', u)]
    assert not foreign, f"the page names URLs {foreign[:5]}, but should need no network"
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", page), "the page refers to another resource"


# ---------------------------------------------------------------------------------------------
# the conformance report
# ---------------------------------------------------------------------------------------------
def test_a_failing_run_shows_the_verdict_first() -> None:
    page = conformance_document(results(), directory="out").html()
    body = page.split("<body>", 1)[1]
    first = body.split('<div class="verdict"', 1)
    assert "<h2>" not in first[0] and "<table" not in first[0], "something comes before the verdict"
    assert first[1].split("</div>", 1)[0].count("FAILED") == 1
    assert "background:#c62828" in first[1].split(">", 1)[0], "a failed verdict should be red"


def test_the_grid_has_one_cell_per_machine_and_invariant() -> None:
    cells = grid_cells(conformance_document(results()).html())
    assert cells == {
        ("resourceVersion only grows", "replicaset"): "pass",
        ("resourceVersion only grows", "deployment"): "pass",
        ("after an accepted scale, spec.replicas is the number asked for", "replicaset"): "pass",
        ("after an accepted scale, spec.replicas is the number asked for", "deployment"): "vacuous",
        (RS_INV.replace("'", "&#x27;"), "replicaset"): "fail",
        (RS_INV.replace("'", "&#x27;"), "deployment"): "pass",
        ("the garbage collector deletes an object only when none of its owners is alive", "replicaset"): "n/a",
        ("the garbage collector deletes an object only when none of its owners is alive", "deployment"): "n/a",
    }


def test_cell_status_reads_the_machine_stats() -> None:
    m = {"stats": {"checks": {"a": 3, "b": 2, "c": 0}, "premises": {"a": 3, "b": 0}, "not_applicable": ["c"]},
         "failure": {"invariant": "d", "message": "boom"}}
    assert [cell_status(m, i)[0] for i in "abcde"] == ["pass", "vacuous", "n/a", "fail", "n/a"]
    assert "boom" in cell_status(m, "d")[1]


def test_a_cell_whose_machine_does_not_reach_the_premise_is_not_applicable() -> None:
    from conformance.machines import MACHINES
    from conformance.reach import REACHED_BY

    inv, reach = next((n, r) for n, r in REACHED_BY.items() if len(r) == 1)
    outside = next(m for m in MACHINES if m not in reach)
    m = {"stats": {"checks": {inv: 5}, "premises": {}}}
    assert cell_status(m, inv)[0] == "vacuous", "without the machine's name: judged as before"
    assert cell_status(m, inv, outside) == ("n/a", "5 checks, premise held 0 times: this machine does not reach "
                                                   "the premise")
    assert cell_status(m, inv, reach[0])[0] == "vacuous"


def test_each_failure_has_its_script_first_divergence_and_replay_command() -> None:
    doc = conformance_document(results(), directory="out")
    page, md = doc.html(), doc.markdown()
    script = results()["machines"]["replicaset"]["failure"]["script"]
    for text in (page, md):
        assert "kubeoracle replay out/counterexamples/replicaset.yaml" in text
        assert "kubeoracle simulate --events out/counterexamples/replicaset.yaml" in text
        assert "ReplicaSet/default/back: spec.replicas: the adapter has 1, the model 0" in text
    assert "{event: Scale, kind: ReplicaSet, namespace: default, name: back, replicas: 0}" in page
    assert script.strip() in md, "the shrunk script should be in the summary whole"
    assert page.index("Failures") < page.index("Invariants by machine"), "failures come before the tables"
    # the rule's statement is quoted under the failure
    from conformance.catalogue import RULES

    assert f"> RS-1 {RULES['RS-1'].title}: {RULES['RS-1'].statement}" in md


def test_first_divergence() -> None:
    assert first_divergence("the adapter's state differs in 2 place(s), first: Pod/x: spec.a: 1 != 2\n> ...") \
        == "Pod/x: spec.a: 1 != 2"
    assert first_divergence("Deployment/web: stored spec.replicas=1, but should be 0 [after Scale(x)]") \
        == "Deployment/web: stored spec.replicas=1, but should be 0"
    assert first_divergence("") == ""


def test_rule_coverage_counts_checks_and_premises() -> None:
    md = conformance_document(results()).markdown()
    assert "| API-1 | " in md and re.search(r"\| API-1 \| [^|]+ \| 1 \| 80 \| 22 \|", md), md
    assert re.search(r"\| \*\*GC-1\*\* \||\| GC-1 \| [^|]+ \| 1 \| 0 \| 0 \|", md), md


def test_a_passing_run_is_green_and_has_no_failures_section() -> None:
    summary = results()
    summary["valid"] = True
    summary["machines"]["replicaset"] = copy.deepcopy(summary["machines"]["deployment"])
    summary["invariants"][RS_INV]["valid"] = True
    doc = conformance_document(summary)
    assert isinstance(doc.blocks[0], Verdict) and doc.blocks[0].status == "pass"
    assert "Failures" not in doc.html() and "fail" not in set(grid_cells(doc.html()).values())


def test_the_kill_matrix_is_shown_when_the_self_test_ran() -> None:
    st = json.loads((FIXTURES / "selftest.json").read_text())
    page = conformance_document(results(), selftest=st).html()
    assert "Self-test: the kill matrix" in page
    cells = grid_cells(page.split("Self-test: the kill matrix", 1)[1])
    assert cells == {("scale-one-higher", "in-model"): "killed", ("scale-one-higher", "external"): "killed",
                     ("rs-never-adopts", "in-model"): "survived", ("rs-never-adopts", "external"): "gap"}
    alone = selftest_document(st)
    assert alone.blocks[0] == Verdict("fail", "FAILED", "1 seeded bug(s) survived: rs-never-adopts (in-model).")


def test_the_conformance_page_is_self_contained() -> None:
    assert_self_contained(conformance_document(results()).html())


def test_runner_writes_report_html_beside_results(tmp_path: Path) -> None:
    from conformance.runner import _write_report

    _write_report(tmp_path, results())
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "summary.md", "report.html", "counterexamples"}
    page = (tmp_path / "report.html").read_text()
    assert f"kubeoracle replay {tmp_path}/counterexamples/replicaset.yaml" in page
    assert (tmp_path / "counterexamples" / "replicaset.yaml").read_text() == \
        results()["machines"]["replicaset"]["failure"]["script"]


# ---------------------------------------------------------------------------------------------
# the document renderer
# ---------------------------------------------------------------------------------------------
def test_text_is_escaped_and_code_spans_become_code() -> None:
    doc = Document("t <x>", (Text("a `<b>` & c"), Table(("h",), (("1|2",),)),
                             Grid("c", ("r",), ("k",), (("pass",),))))
    page = doc.html()
    assert "<h1>t &lt;x&gt;</h1>" in page and "<p>a <code>&lt;b&gt;</code> &amp; c</p>" in page
    assert "| 1\\|2 |" in doc.markdown() and "| r | pass |" in doc.markdown()


# ---------------------------------------------------------------------------------------------
# the benchmark report
# ---------------------------------------------------------------------------------------------
def test_figures_are_calibrated_and_read_as_throughput() -> None:
    figs = {f.fullname.split("::", 1)[1]: f for f in figures(bench_data())}
    up = figs["test_replicaset_scale_up[1000]"]
    assert up.seconds == 0.2 and up.calibrated == pytest.approx(0.2) and up.per_second == pytest.approx(5000)
    one = figs["test_replicaset_one_event_on_a_large_cluster"]
    assert one.unit == "events" and one.per_second == pytest.approx(1 / 0.004)
    steps = figs["test_machine_steps_per_second[mixed-model]"]
    assert steps.unit == "steps" and steps.per_second == pytest.approx(6000 / 4.0)


def test_other_benchmarks_declare_their_work_in_extra_info() -> None:
    """Endpoint churn (two events a round on a cluster of ``pods``), validation (``documents``) and volume
    binding (``claims``)."""
    def one(name: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "fullname": f"benchmarks/bench_x.py::{name}", "params": {}, "extra_info": extra,
                "stats": {"min": 0.5, "rounds": 1}}

    figs = figures({"benchmarks": [one("test_endpoint_churn[50]", {"pods": 50, "events_per_round": 2}),
                                   one("test_validate_configmaps[6000]", {"documents": 6000, "bytes": 1}),
                                   one("test_bind_claims[100]", {"claims": 100, "binding": "static"})]})
    assert [(f.size, f.unit, f.per_second) for f in figs] == [(50, "events", 4.0), (6000, "documents", 12000.0),
                                                              (100, "claims", 200.0)]


def test_the_bench_page_has_tables_plots_slopes_and_the_machine() -> None:
    if not plots.available():
        pytest.skip("matplotlib (the reports extra) is not installed")
    doc = bench_document(bench_data(), command="kubeoracle bench --quick")
    page = doc.html()
    assert page.count("<svg") == 1, "one plot: replica set scale-up against size"
    svg = page.split("<svg", 1)[1]
    assert "slope +0.00" in svg, "the scale-up curve is linear in the fixture: throughput slope 0"
    for anchor in ("20 writes/s", "100 pods/s", "167 pods/s"):
        assert anchor in svg, f"the anchor {anchor} should be drawn"
    assert "AMD EPYC" in page and "CPython 3.11.7" in page and "1.00 s" in page  # machine and calibration
    md = doc.markdown()
    assert re.search(r"\| test_replicaset_scale_up \| pods \| \+0\.00 \| 1\.00 \|", md), md
    assert "| test_replicaset_scale_up | 10,000 | 2.00 s | 5,000 pods/s |" in md
    assert_self_contained(page)


def test_headlines_give_the_ratio_to_the_anchors() -> None:
    rows = {r[0]: r for r in headlines(figures(bench_data()))}
    up = rows["pods per second (bench_replicaset test_replicaset_scale_up)"]
    assert up[1] == "5,000/s" and up[2] == "10,000 pods"
    assert up[3] == "250x kube-controller-manager client limit, 50x scheduler target, 30x KWOK CI floor"
    one = rows["one-event cost (bench_replicaset test_replicaset_one_event_on_a_large_cluster)"]
    assert one[1] == "4.00 ms (250 events/s)"
    steps = rows["conformance steps per second (test_machine_steps_per_second [mixed, model])"]
    assert steps[1:] == ("1,500/s", "", "1.50x the target of 1000 steps/s")


def test_compare_flags_a_slower_figure_after_calibration() -> None:
    old = bench_data()
    new = copy.deepcopy(old)
    by_name = {b["name"]: b for b in new["benchmarks"]}
    by_name["test_replicaset_scale_up[1000]"]["stats"]["min"] *= 1.5  # slower
    for b in new["benchmarks"]:  # ... and a machine twice as slow: everything, calibration too, doubles
        b["stats"]["min"] *= 2
    c = compare(old, new)
    assert c.calibrated
    assert c.regressed == ["benchmarks/bench_replicaset.py::test_replicaset_scale_up[1000]"], c.rows
    ratio = {r[0].split("::")[1]: r[3] for r in c.rows}
    assert ratio["test_replicaset_scale_up[1000]"] == pytest.approx(1.5)
    assert ratio["test_replicaset_scale_up[10000]"] == pytest.approx(1.0)
    page = bench_document(new, c).html()
    assert "REGRESSED: 1 figure(s)" in page
    assert compare(old, old).regressed == [] and compare(old, new, threshold=0.6).regressed == []


# ---------------------------------------------------------------------------------------------
# opt-in: the page in a real browser
# ---------------------------------------------------------------------------------------------
def _chromium() -> str:
    if os.environ.get("KUBEORACLE_BROWSER_TESTS") != "1":
        pytest.skip("opens headless Chromium: set KUBEORACLE_BROWSER_TESTS=1 (.ci/run does)")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    return exe


@pytest.mark.parametrize("which", ["conformance", "bench"])
def test_the_report_opens_in_headless_chromium(tmp_path: Path, which: str) -> None:
    exe = _chromium()
    doc = conformance_document(results(), directory="out") if which == "conformance" else bench_document(bench_data())
    page = tmp_path / "report.html"
    page.write_text(doc.html(), encoding="utf-8")
    shot = tmp_path / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2000"]
    subprocess.run([exe, *flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120,
                   check=False)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "no screenshot was taken"
    dom = subprocess.run([exe, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=False).stdout
    verdict = "FAILED" if which == "conformance" else "benchmarks"
    assert verdict in dom and 'class="verdict"' in dom, f"the browser's DOM lacks the verdict: {dom[:500]}"
    if which == "conformance":
        assert dom.count('data-status="fail"') == 1, "the browser should show one failed cell"
    else:
        assert "<svg" in dom or not plots.available()
    out = os.environ.get("KUBEORACLE_SCREENSHOTS")
    if out:  # keep the screenshots (CI artefacts, or to look at them)
        Path(out).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(out) / f"{which}.png")


# ---------------------------------------------------------------------------------------------
# the replay report
# ---------------------------------------------------------------------------------------------
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_replay_report_of_a_passing_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.replay import main as replay_main

    script = str(EXAMPLES / "scale-script.yaml")
    assert replay_main([script, "--quiet", "--report", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "kubeoracle replay: PASSED" in page and "background:#2e7d32" in page
    assert f"kubeoracle replay {script} --adapter model" in page
    md = (tmp_path / "summary.md").read_text()
    assert "| 2 | Scale ReplicaSet default/front replicas=4 | ok |  |" in md, md
    assert_self_contained(page)


def test_replay_report_of_a_seeded_bug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With the scale-one-higher bug seeded into the model, the replay fails after the Scale event and the
    report shows that violation, its rule and its first diverging field."""
    from conformance.mutants import MUTANTS, applied
    from conformance.replay import main as replay_main

    mutant = next(m for m in MUTANTS if m.name == "scale-one-higher")
    with applied(mutant):
        rc = replay_main([str(EXAMPLES / "scale-script.yaml"), "--quiet", "--report", str(tmp_path)])
    assert rc == 1
    md = (tmp_path / "summary.md").read_text()
    assert md.startswith("# kubeoracle replay: FAILED\n\n**FAILED**"), md[:200]
    assert "### after event 2: after an accepted scale, spec.replicas is the number asked for [API-6]" in md, md
    assert "First diverging field: `ReplicaSet/default/front: stored spec.replicas=5" in md, md
