"""The rate limit's counter: one statement per use, shared by every web process."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from kaffeeklatsch.front.models import RateLimit
from kaffeeklatsch.front.ratelimit import WINDOW, hit

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def test_each_use_counts_until_the_limit_and_clients_are_apart() -> None:
    assert [hit("join", "ip:203.0.113.7", 3) for _ in range(5)] == [
        True, True, True, False, False,
    ]  # fmt: skip
    assert hit("join", "ip:198.51.100.2", 3)
    assert hit("link", "ip:203.0.113.7", 3)
    assert sorted(RateLimit.objects.values_list("count", flat=True)) == [1, 1, 5]


def test_a_new_hour_starts_the_count_again() -> None:
    for _ in range(4):
        hit("join", "ip:203.0.113.7", 3)
    row = RateLimit.objects.get()
    assert not hit("join", "ip:203.0.113.7", 3)
    RateLimit.objects.update(window_start=timezone.now() - WINDOW - dt.timedelta(seconds=1))
    before = timezone.now()
    assert hit("join", "ip:203.0.113.7", 3)
    row.refresh_from_db()
    assert row.count == 1
    assert row.window_start >= before
    # Within the window the start stays where it was.
    started = row.window_start
    assert hit("join", "ip:203.0.113.7", 3)
    row.refresh_from_db()
    assert (row.count, row.window_start) == (2, started)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_uses_at_the_same_moment_are_each_counted_once() -> None:
    per_thread, threads = 25, 4
    answers: list[bool] = []
    lock = threading.Lock()

    def use() -> None:
        try:
            for _ in range(per_thread):
                allowed = hit("join", "ip:203.0.113.7", 60)
                with lock:
                    answers.append(allowed)
        finally:
            connection.close()

    workers = [threading.Thread(target=use) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert RateLimit.objects.get().count == per_thread * threads
    assert answers.count(True) == 60
