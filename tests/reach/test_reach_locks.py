"""The lock of a chat account: a second worker is deferred at once instead of waiting,
other accounts are not held up, and the lock is free again after its block."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from kaffeeklatsch.jobs.queue import Deferred
from kaffeeklatsch.reach.locks import BUSY_SECONDS, account_lock

pytestmark = pytest.mark.database


def in_other_worker(name: str) -> str:
    """Tries the lock from another thread (its own database connection)."""
    outcome: list[str] = []

    def worker() -> None:
        try:
            with account_lock(name):
                outcome.append("taken")
        except Deferred as exc:
            outcome.append(f"deferred {exc.seconds}")
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.django_db(transaction=True)
def test_a_held_account_defers_the_other_worker_and_is_free_afterwards(
    settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    with account_lock("matrix:@bot:example.org"):
        assert in_other_worker("matrix:@bot:example.org") == f"deferred {BUSY_SECONDS}"
        assert in_other_worker("matrix:@other-bot:example.org") == "taken"
    assert in_other_worker("matrix:@bot:example.org") == "taken"


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_given_back_when_the_block_fails(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    with pytest.raises(RuntimeError), account_lock("matrix:@bot:example.org"):
        raise RuntimeError("the homeserver went away")
    assert in_other_worker("matrix:@bot:example.org") == "taken"
