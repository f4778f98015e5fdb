"""Enqueue and run background jobs stored in the database.

Jobs are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and finished in the same
transaction, so any number of workers can share the queue through PostgreSQL; a job
whose worker dies is simply taken again. Failed jobs are retried with back-off; a kind
of job may bring its own policy (how many attempts, which waits, what to record when an
attempt fails). A failure that says it is ``permanent`` is not retried, and one that
carries ``retry_after`` (seconds a server asked for) is not retried sooner.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


def default_backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=2**attempts)


@dataclass(frozen=True)
class Policy:
    """How a kind of job is retried. ``on_error(payload, exc)`` runs after a failed
    attempt was rolled back, in the queue's own transaction, to record the failure."""

    max_attempts: int = MAX_ATTEMPTS
    backoff: Callable[[int], dt.timedelta] = default_backoff
    on_error: Callable[[dict[str, Any], Exception], None] | None = None


POLICIES: dict[str, Policy] = {}


def handler(kind: str, policy: Policy | None = None) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        POLICIES[kind] = policy or Policy()
        return func

    return register


def retry_now(job: Job) -> None:
    """Sends a failed job again from its first attempt (an organiser's "send again")."""
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.PENDING, attempts=0, run_at=timezone.now(), finished_at=None
    )


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
        policy = POLICIES.get(job.kind, Policy())
        try:
            with transaction.atomic():
                HANDLERS[job.kind](job.payload)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
            log.exception("job %s (%s) failed", job.pk, job.kind)
            job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if policy.on_error is not None:
                policy.on_error(job.payload, exc)
            if getattr(exc, "permanent", False) or job.attempts >= policy.max_attempts:
                job.status = Job.Status.FAILED
                job.finished_at = timezone.now()
            else:
                wait = policy.backoff(job.attempts)
                asked = getattr(exc, "retry_after", None)
                if isinstance(asked, int | float) and asked > wait.total_seconds():
                    wait = dt.timedelta(seconds=asked)
                job.run_at = timezone.now() + wait
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
