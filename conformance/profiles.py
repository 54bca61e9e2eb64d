"""Hypothesis profiles of the conformance suite: ``dev``, ``ci`` and ``thorough``.

=============  =========  =====  ===================================================================
profile        examples   steps  notes
=============  =========  =====  ===================================================================
``dev``        150        40     example database in ``.hypothesis/kubeoracle`` (a directory), so a
                                 failure found once is tried first next time
``ci``         150        40     derandomized, no database: the same examples every run
``thorough``   1500       60     for nightly runs or before a release
=============  =========  =====  ===================================================================

``--examples``, ``--steps``, ``--seed`` and ``--database DIR|URL|none`` override a profile; the
environment variable ``KUBEORACLE_DATABASE`` sets the default database directory. A ``redis://HOST:PORT/DB``
(or ``rediss://``) URL shares the database between machines through Hypothesis's own
``hypothesis.extra.redis.RedisExampleDatabase`` (``pip install 'kubeoracle[redis]'``); a directory can
be shared too, on a network file system.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

__all__ = ["PROFILES", "DatabaseError", "database_for", "redis_database", "settings_for"]

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

PROFILES: dict[str, dict[str, Any]] = {
    "dev": {"max_examples": 150, "stateful_step_count": 40, "derandomize": False},
    "ci": {"max_examples": 150, "stateful_step_count": 40, "derandomize": True},
    "thorough": {"max_examples": 1500, "stateful_step_count": 60, "derandomize": False},
}


class DatabaseError(ValueError):
    """``--database`` names a database that cannot be used (the message says why and what to do)."""


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_database(url: str, *, check: bool = False) -> Any:
    """Hypothesis's ``RedisExampleDatabase`` on the server at ``url``; ``check`` pings it first."""
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise DatabaseError(f"--database {url}: a Redis example database needs the Python package 'redis': "
                            "pip install 'kubeoracle[redis]'") from None
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
    except ValueError as exc:
        raise DatabaseError(f"--database {url}: not a Redis URL ({exc}); write redis://HOST:PORT/DB") from None
    if check:
        try:
            client.ping()
        except redis.exceptions.RedisError as exc:
            raise DatabaseError(f"--database {url}: cannot reach the Redis server ({exc}); is it running, "
                                "and is the address right?") from None
    return RedisExampleDatabase(client)


def database_for(profile: str, database: str | None) -> Any:
    """The example database: a directory by default (``ci``: none); ``"none"`` disables it; a
    ``redis://`` URL is a Redis server shared by every machine that names it."""
    if database is not None:
        if database.lower() == "none":
            return None
        if database.startswith(REDIS_SCHEMES):
            return redis_database(database)
        if "://" in database:
            raise DatabaseError(f"--database {database}: unknown scheme; give a directory, a redis://HOST:PORT/DB "
                                "URL or none")
        return DirectoryBasedExampleDatabase(database)
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
