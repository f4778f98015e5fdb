"""A background job's lease: its own length, renewed while the handler runs, so that a
handler waiting longer than the lease (a slow chat server) is not taken over by a
second worker.

On PostgreSQL: on SQLite the handler's transaction holds the one write lock, so
neither the renewal nor a second worker's claim can write while it runs.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import JOBS, enqueue, run_one
from kaffeeklatsch.jobs.registry import register_job
from kaffeeklatsch.lib import leases

KIND = "test_slow_handler"


@pytest.fixture
def slow_handler() -> Iterator[tuple[threading.Event, threading.Event, list[dict[str, Any]]]]:
    """A job kind whose handler runs until the lease it was claimed with has run out,
    says so, and then waits to be let go."""
    lease_ran_out = threading.Event()
    let_go = threading.Event()
    runs: list[dict[str, Any]] = []

    def handler(payload: dict[str, Any]) -> None:
        runs.append(payload)
        # The claim was made before the handler started, so its lease ends before this.
        past_lease = timezone.now() + dt.timedelta(seconds=JOBS.lease_seconds())
        while timezone.now() <= past_lease:
            time.sleep(0.05)
        lease_ran_out.set()
        assert let_go.wait(timeout=60)

    register_job(KIND, handler)
    yield lease_ran_out, let_go, runs


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_handler_longer_than_the_lease_keeps_its_job(settings: Any, slow_handler: Any) -> None:
    assert connection.vendor == "postgresql"
    lease_ran_out, let_go, runs = slow_handler
    settings.JOB_LEASE_SECONDS = 3.0
    job = enqueue(KIND, {"n": 1})
    ran: list[bool] = []

    def first_worker() -> None:
        try:
            ran.append(run_one())
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert lease_ran_out.wait(timeout=60)
        # A second worker looks for work after the first lease would have run out.
        looked_at = timezone.now()
        taken = leases.claim(JOBS)
        held = Job.objects.get(pk=job.pk)
    finally:
        let_go.set()
        thread.join()
    assert taken == []
    assert held.status == Job.Status.RUNNING and held.attempts == 1
    assert held.claimed_until is not None and held.claimed_until > looked_at
    job.refresh_from_db()
    assert ran == [True]
    assert runs == [{"n": 1}]
    assert job.status == Job.Status.DONE and job.attempts == 1
    assert job.claimed_by == "" and job.claimed_until is None
