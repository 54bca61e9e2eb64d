"""Hypothesis profiles of the conformance suite: ``dev``, ``ci`` and ``thorough``.

=============  =========  =====  ===================================================================
profile        examples   steps  notes
=============  =========  =====  ===================================================================
``dev``        150        40     example database in ``.hypothesis/kubeoracle`` (a directory), so a
                                 failure found once is tried first next time
``ci``         150        40     derandomized, no database: the same examples every run
``thorough``   1500       60     for nightly runs or before a release
=============  =========  =====  ===================================================================

``--examples``, ``--steps``, ``--seed`` and ``--database DIR|none`` override a profile; the
environment variable ``KUBEORACLE_DATABASE`` sets the default database directory.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

__all__ = ["PROFILES", "database_for", "settings_for"]

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 150, "stateful_step_count": 40, "derandomize": False},
    "ci": {"max_examples": 150, "stateful_step_count": 40, "derandomize": True},
    "thorough": {"max_examples": 1500, "stateful_step_count": 60, "derandomize": False},
}


def database_for(profile: str, database: str | None) -> Any:
    """The example database: a directory by default (``ci``: none); ``"none"`` disables it."""
    if database is not None:
        return None if database.lower() == "none" else DirectoryBasedExampleDatabase(database)
    if profile == "ci":
        return None
    return DirectoryBasedExampleDatabase(os.environ.get("KUBEORACLE_DATABASE", ".hypothesis/kubeoracle"))


def settings_for(profile: str = "dev", *, examples: int | None = None, steps: int | None = None,
                 database: str | None = None, seed: int | None = None, shrink: bool = True) -> settings:
    """Hypothesis settings for one machine run (``shrink=False``: report the first failure as found)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    p = PROFILES[profile]
    return settings(
        max_examples=examples or p["max_examples"],
        stateful_step_count=steps or p["stateful_step_count"],
        derandomize=p["derandomize"] and seed is None,
        database=database_for(profile, database),
        deadline=None,
        suppress_health_check=_SUPPRESS,
        print_blob=True,
        phases=list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate],
    )


for _name in PROFILES:  # also usable as plain Hypothesis profiles: kubeoracle-dev, kubeoracle-ci, ...
    settings.register_profile(f"kubeoracle-{_name}", settings_for(_name))
