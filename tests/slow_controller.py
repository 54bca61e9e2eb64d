"""A test-only pytest plugin: ``-p slow_controller`` with ``KUBEORACLE_TEST_SLOW_CONTROLLER=NAME:N``
makes controller NAME's sync run N times per work item (the same result, N times the cost), so
``kubeoracle bench --compare`` can be shown to flag a slowed controller (tests/test_bench_cli.py).
Nothing but this plugin reads the variable; the model never does.
"""

from __future__ import annotations

import os

import attrs

from refmodel.controllers import CONTROLLERS
from refmodel.state import ClusterState


def pytest_configure() -> None:
    spec = os.environ.get("KUBEORACLE_TEST_SLOW_CONTROLLER")
    if not spec:
        return
    name, _, times = spec.partition(":")
    controller = CONTROLLERS[name]
    fast, n = controller.sync, int(times or 2)

    def slow(state: ClusterState, key: str) -> ClusterState:
        for _ in range(n - 1):
            fast(state, key)
        return fast(state, key)

    CONTROLLERS[name] = attrs.evolve(controller, sync=slow)
