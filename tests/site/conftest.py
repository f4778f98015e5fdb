"""The authorization matrix's world, built once per test module.

Building it (two programmes, a previewed and a published round, an object for every
URL parameter) costs more than most tests that use it, so it is written once per
module inside a transaction that is rolled back when the module ends. Each test runs
in a savepoint of that transaction (pytest-django's ``db``) and gets its own copy of
the objects, as Django's ``TestCase.setUpTestData`` does: a test rolls back only its
own changes and sees the world as built.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def shared_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(shared_world: World, db: None) -> World:
    return copy.deepcopy(shared_world)
