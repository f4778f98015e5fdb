"""Enqueue and run background jobs stored in the database.

Jobs are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and finished in the same
transaction, so any number of workers can share the queue through PostgreSQL; a job
whose worker dies is simply taken again. Failed jobs are retried with back-off.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register


def enqueue(kind: str, payload: dict[str, Any], run_at: dt.datetime | None = None) -> Job:
    return Job.objects.create(kind=kind, payload=payload, run_at=run_at or timezone.now())


def run_one() -> bool:
    """Runs the oldest due job; false when there is none."""
    from kaffeeklatsch.jobs import tasks  # noqa: F401 - registers the handlers

    with transaction.atomic():
        job = (
            Job.objects.select_for_update(skip_locked=True)
            .filter(status=Job.Status.PENDING, run_at__lte=timezone.now())
            .order_by("run_at", "id")
            .first()
        )
        if job is None:
            return False
        job.attempts += 1
        try:
            with transaction.atomic():
                HANDLERS[job.kind](job.payload)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
            log.exception("job %s (%s) failed", job.pk, job.kind)
            job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if job.attempts >= MAX_ATTEMPTS:
                job.status = Job.Status.FAILED
            else:
                job.run_at = timezone.now() + dt.timedelta(minutes=2**job.attempts)
        else:
            job.status = Job.Status.DONE
            job.finished_at = timezone.now()
            job.last_error = ""
        job.save()
    return True


def run_due(limit: int = 100) -> int:
    done = 0
    while done < limit and run_one():
        done += 1
    return done
