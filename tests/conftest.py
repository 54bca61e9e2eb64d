"""Shared fixtures for the unit, scenario, corpus and mutant tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import refmodel.state

# every cluster the tests build validates its controllers' writes as a user's (ClusterConfig.strict): a
# controller that writes what the API server would reject fails the test that makes it do so
refmodel.state.STRICT_BY_DEFAULT = True

settings.register_profile("dev", max_examples=50)
settings.register_profile("ci", max_examples=50, derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_manifests() -> Path | None:
    """``../shared/manifests`` next to the checkout, or $KUBEORACLE_MANIFESTS; None when absent."""
    env = os.environ.get("KUBEORACLE_MANIFESTS")
    for cand in ([Path(env)] if env else []) + [SHARED / "manifests", Path(__file__).resolve().parents[1].parent / "shared" / "manifests"]:
        if cand.is_dir():
            return cand
    return None


@pytest.fixture
def manifests_dir() -> Path:
    d = shared_manifests()
    if d is None:
        pytest.skip("../shared/manifests is not present")
    return d
