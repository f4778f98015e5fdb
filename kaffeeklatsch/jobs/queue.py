"""Enqueue and run background jobs stored in the database.

Jobs are leased work (:mod:`kaffeeklatsch.lib.leases`): a worker claims a job in a
short transaction of its own, runs its handler outside it (a slow chat server holds no
lock and no transaction) while the lease is renewed, and stores the outcome in a short
transaction that checks the job is still its own. A job whose worker dies is taken
again when its lease runs out.
The kinds of job are registered by the apps (:mod:`kaffeeklatsch.jobs.registry`).

Failed jobs are retried with back-off; a kind of job may bring its own policy (how many
attempts, for how long, which waits, what to record when an attempt fails). A failure
that says it is ``permanent`` is not retried.

A rate limit (a failure with ``status`` 429 carrying ``retry_after``, the seconds the
server asked for) and a :class:`Deferred` job (its resource is busy) do not use up an
attempt: they are bounded by the policy's window instead, and get a random addition of
up to half the wait, so that jobs sent back together do not all come back at the same
moment. Any other failure with ``retry_after`` (503) is not retried sooner.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.registry import job_handler
from kaffeeklatsch.lib import leases

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
#: How long after it was queued (or sent again) a job is retried at most.
WINDOW = dt.timedelta(hours=24)

JOBS = leases.define(
    Job,
    waiting=Job.Status.PENDING,
    running=Job.Status.RUNNING,
    lease_seconds=lambda: settings.JOB_LEASE_SECONDS,
    order=("run_at", "id"),
    due="run_at",
)


def default_backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=2**attempts)


@dataclass(frozen=True)
class Policy:
    """How a kind of job is retried: at most ``max_attempts`` times (``None``: no limit)
    and never later than ``window`` after it was queued. ``on_error(payload, exc)`` runs
    after a failed attempt was rolled back, in the queue's own transaction, to record
    the failure; ``on_give_up(payload, exc)`` after that when the job is not retried."""

    max_attempts: int | None = MAX_ATTEMPTS
    backoff: Callable[[int], dt.timedelta] = default_backoff
    on_error: Callable[[dict[str, Any], Exception], None] | None = None
    window: dt.timedelta = WINDOW
    on_give_up: Callable[[dict[str, Any], Exception], None] | None = None


class Deferred(Exception):  # noqa: N818 - not an error: the job waits its turn
    """Raised by a handler whose resource is busy (another worker holds it): the job is
    tried again after about ``seconds``, without using up an attempt."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"busy, again in {seconds:g} s")
        self.seconds = seconds


class UnknownJob(Exception):
    """A job of a kind no app registered."""


def jittered(seconds: float, rng: random.Random | None = None) -> dt.timedelta:
    """``seconds`` and a random addition of up to half of it."""
    return dt.timedelta(seconds=seconds + (rng or random).uniform(0, seconds / 2))


def policy_of(kind: str) -> Policy:
    found = job_handler(kind)
    return (found[1] if found is not None else None) or Policy()


def retry_now(job: Job) -> None:
    """Sends a failed job again from its first attempt, with its window starting now
    (an organiser's "send again")."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk).exclude(status=Job.Status.RUNNING).update(
        status=Job.Status.PENDING,
        attempts=0,
        run_at=now,
        finished_at=None,
        retry_until=now + policy_of(job.kind).window,
    )


def enqueue(kind: str, payload: dict[str, Any], run_at: dt.datetime | None = None) -> Job:
    return Job.objects.create(kind=kind, payload=payload, run_at=run_at or timezone.now())


def run_one() -> bool:
    """Runs the oldest due job; false when there is none."""
    claimed = leases.claim(JOBS)
    if not claimed:
        return False
    job = claimed[0]
    found = job_handler(job.kind)
    policy = policy_of(job.kind)
    failure: Exception | None = None
    try:
        if found is None:
            raise UnknownJob(job.kind)
        # No transaction around the handler: a slow chat server must not hold the
        # database (on SQLite its write lock); handlers make what they write atomic.
        with leases.renewing(JOBS, [job]):
            found[0](job.payload)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        failure = exc
    with transaction.atomic():
        if not leases.still_mine(JOBS, job):
            log.warning("job %s (%s) was taken over by another worker", job.pk, job.kind)
            return True
        counted = True
        if failure is None:
            job.status, job.finished_at, job.last_error = Job.Status.DONE, timezone.now(), ""
        else:
            counted = _failed(job, policy, failure)
        leases.finish(
            JOBS,
            job,
            job.status,
            attempts=job.attempts if counted else job.attempts - 1,
            run_at=job.run_at,
            retry_until=job.retry_until,
            finished_at=job.finished_at,
            last_error=job.last_error,
        )
    return True


def _failed(job: Job, policy: Policy, exc: Exception) -> bool:
    """Decides what a failed attempt means for the job (its fields, not yet saved);
    returns whether the attempt counts (a busy resource or a rate limit is no failed
    attempt, only a wait)."""
    job.status = Job.Status.PENDING
    if isinstance(exc, Deferred):
        _again(job, policy, jittered(exc.seconds))
        return False
    log.error("job %s (%s) failed", job.pk, job.kind, exc_info=exc)
    job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if policy.on_error is not None:
        policy.on_error(job.payload, exc)
    asked = getattr(exc, "retry_after", None)
    if not isinstance(asked, int | float) or isinstance(asked, bool):
        asked = None
    counted = True
    if getattr(exc, "permanent", False):
        _fail(job)
    elif asked is not None and getattr(exc, "status", None) == 429:
        # A rate limit is no failed attempt, only a wait the server chose.
        counted = False
        _again(job, policy, max(jittered(float(asked)), dt.timedelta(seconds=1)))
    elif policy.max_attempts is not None and job.attempts >= policy.max_attempts:
        _fail(job)
    else:
        # A server that is away (503) may say when to come back: not sooner.
        wait = policy.backoff(job.attempts)
        if asked is not None and asked > wait.total_seconds():
            wait = jittered(float(asked))
        _again(job, policy, wait)
    if job.status == Job.Status.FAILED and policy.on_give_up is not None:
        policy.on_give_up(job.payload, exc)
    return counted


def _fail(job: Job) -> None:
    job.status = Job.Status.FAILED
    job.finished_at = timezone.now()


def _again(job: Job, policy: Policy, wait: dt.timedelta) -> None:
    """Puts the job back for ``wait``, or for a last try at the end of its window; a job
    whose window is over has failed."""
    now = timezone.now()
    until = job.retry_until or job.created_at + policy.window
    job.retry_until = until
    if now >= until:
        _fail(job)
    else:
        job.run_at = min(now + wait, until)


def run_due(limit: int = 100) -> int:
    done = 0
    while done < limit and run_one():
        done += 1
    return done


def erase_finished(now: dt.datetime) -> int:
    """Finished jobs older than the e-mail retention (their payloads name rounds and
    people)."""
    keep = now - dt.timedelta(days=settings.RETENTION_EMAIL_DAYS)
    return (
        Job.objects.exclude(status__in=[Job.Status.PENDING, Job.Status.RUNNING])
        .filter(created_at__lt=keep)
        .delete()[0]
    )


def recover() -> None:
    leases.release_abandoned(JOBS)
