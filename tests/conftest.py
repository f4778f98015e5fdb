"""Settings for the whole test suite."""

from __future__ import annotations

import os

import pytest
from django.conf import settings as django_settings
from hypothesis import settings

# The suite is the project's gate, so property tests draw the same examples on
# every run; KAFFEEKLATSCH_HYPOTHESIS=explore draws new ones to look for bugs.
settings.register_profile("gate", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("KAFFEEKLATSCH_HYPOTHESIS", "gate"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SQLite's test database is a file, as in production, not Django's shared in-memory
    database: the live server's threads and the tests' worker threads then each have a
    connection of their own that waits for the write lock (busy timeout, WAL), where
    connections to a shared in-memory database fail at once with "table is locked"."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("database") / "kaffeeklatsch.sqlite3"
        )
