"""The kubeoracle pytest plugin: ``pytest --pyargs conformance --adapter NAME``.

Registered through the ``pytest11`` entry point ``kubeoracle = "conformance.plugin"`` (or ``-p
conformance.plugin``). Options (one group, like pytest-benchmark's):

``--adapter NAME[:ARG]``             system under test (a built-in or ``package.module:factory``)
``--conformance-examples N``         examples per machine
``--conformance-steps N``            steps per example
``--conformance-profile P``          dev | ci | thorough
``--conformance-database DIR|none``  example database
``--conformance-report DIR``         write results.json and summary.md at the end of the session

The ``adapter_spec`` fixture gives the chosen spec; ``conformance_options`` the settings. Machines run
as tests in ``conformance/test_conformance.py``; a machine whose capability the adapter lacks reports
the rules and invariants it could not run as not applicable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .profiles import PROFILES

__all__ = ["pytest_addoption", "pytest_configure"]

_RESULTS_KEY = pytest.StashKey[list[dict[str, Any]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeoracle", "kubeoracle conformance")
    group.addoption("--adapter", metavar="NAME[:ARG]", default="model",
                    help="system under test: a built-in NAME[:ARG] or package.module:factory. Default: %(default)r")
    group.addoption("--conformance-examples", metavar="N", type=int, default=None,
                    help="examples per machine. Default: from the profile")
    group.addoption("--conformance-steps", metavar="N", type=int, default=None,
                    help="steps per example. Default: from the profile")
    group.addoption("--conformance-profile", metavar="P", default="ci", choices=sorted(PROFILES),
                    help="Hypothesis profile (dev, ci, thorough). Default: %(default)r")
    group.addoption("--conformance-database", metavar="DIR|none", default=None,
                    help="example database directory, or 'none'. Default: from the profile")
    group.addoption("--conformance-report", metavar="DIR", default=None,
                    help="write results.json and summary.md into DIR at the end of the session")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance_machine(name): a kubeoracle conformance machine")
    from .adapters import AdapterError, load

    spec = config.getoption("adapter", default="model")
    try:
        load(spec).close()
    except AdapterError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_RESULTS_KEY] = []


@pytest.fixture(scope="session")
def adapter_spec(pytestconfig: pytest.Config) -> str:
    """The ``--adapter`` value (``model`` unless given)."""
    return str(pytestconfig.getoption("adapter"))


@pytest.fixture(scope="session")
def conformance_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Budget and profile of the machines, from the ``--conformance-*`` options."""
    return {"examples": pytestconfig.getoption("conformance_examples"),
            "steps": pytestconfig.getoption("conformance_steps"),
            "profile": pytestconfig.getoption("conformance_profile"),
            "database": pytestconfig.getoption("conformance_database"), "seed": None}


@pytest.fixture(scope="session")
def conformance_results(pytestconfig: pytest.Config) -> list[dict[str, Any]]:
    """Where machine tests put their results (summarised at the end of the session)."""
    return pytestconfig.stash[_RESULTS_KEY]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS_KEY, [])
    if not results:
        return
    from .runner import _write_report, summarise

    summary = summarise(results, str(config.getoption("adapter")), {})
    tr = terminalreporter
    tr.section("kubeoracle conformance")
    tr.write_line(f"{summary['steps']} steps, {summary['examples']} examples, "
                  f"{summary['intermediate_states']} intermediate states checked")
    for name in summary["vacuous"]:
        tr.write_line(f"VACUOUS: {name}")
    report = config.getoption("conformance_report")
    if report:
        _write_report(Path(report), summary)
        tr.write_line(f"report: {report}/summary.md")
