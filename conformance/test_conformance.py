"""The conformance machines as pytest tests: ``pytest --pyargs conformance --adapter NAME``.

Needs the kubeoracle plugin (installed as a ``pytest11`` entry point, or ``-p conformance.plugin``).
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.machines import MACHINES
from conformance.runner import run_machine


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_machine(machine: str, adapter_spec: str, conformance_options: dict[str, Any],
                 conformance_results: list[dict[str, Any]]) -> None:
    result = run_machine(machine, adapter_spec, conformance_options)
    conformance_results.append(result)
    if result["valid"] == "unknown":
        pytest.fail(f"machine {machine} could not run: {result.get('error')}", pytrace=False)
    failure = result.get("failure")
    if result["valid"] is False and failure:
        pytest.fail(f"{failure['invariant']} [{', '.join(failure['rules'])}]: {failure['message']}\n\n"
                    f"{failure.get('program', '')}\n\nevent script:\n{failure['script']}", pytrace=False)
