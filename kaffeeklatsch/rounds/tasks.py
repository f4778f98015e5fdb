"""Previews and publications of rounds as background work of ``kaffeeklatsch worker``.

The organiser's press of a button only writes a :class:`RoundTask`; a worker takes it,
reports its stage and progress on the row as it goes (each report its own short
transaction, so the page can show it), and stores the result in one transaction
together with the task's end. Hence:

* A second press, by the same organiser or another, while a task of the programme
  waits or runs, finds that task (a unique constraint allows one active task per
  programme) instead of starting another.
* A worker killed half way leaves the task ``running`` with a lease
  (``ROUND_TASK_LEASE_SECONDS``) that it renews with every report; nothing of the
  result is stored, since the result and the task's end commit together. After the
  lease another worker takes the task again and does the work once more from the
  start, up to :data:`MAX_ATTEMPTS` times.
* While the result is being stored, the worker holds a lock on the task's row, so
  that even a lease that ran out meanwhile cannot give the task to a second worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import Error as DatabaseError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from kaffeeklatsch.insights.snapshot import is_large, request_snapshot
from kaffeeklatsch.lib import leases
from kaffeeklatsch.matching.engine import RulesError, no_cycle_collection
from kaffeeklatsch.notifications.emails import queue_feedback_requests
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.checks import RoundError, RuleBroken
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Group, Round, RoundTask
from kaffeeklatsch.rounds.preview import Report, calculate_preview, store_preview
from kaffeeklatsch.rounds.publish import publish_round, run_automatic_round

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# Progress is written at most this often (seconds), besides every change of stage.
REPORT_EVERY = 0.5

TASKS = leases.define(
    RoundTask,
    waiting=RoundTask.Status.WAITING,
    running=RoundTask.Status.RUNNING,
    lease_seconds=lambda: settings.ROUND_TASK_LEASE_SECONDS,
)


class Busy(Exception):
    """The programme already has a round task waiting or running: ``task``."""

    def __init__(self, task: RoundTask) -> None:
        super().__init__(f"round task {task.pk} is {task.status}")
        self.task = task


def active_task(programme: Programme) -> RoundTask | None:
    return programme.round_tasks.filter(status__in=RoundTask.ACTIVE).first()


def _request(programme: Programme, kind: str, user: User | None, rnd: Round | None) -> RoundTask:
    requested_by = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            return RoundTask.objects.create(
                programme=programme, kind=kind, round=rnd, requested_by=requested_by
            )
    except IntegrityError:
        running = active_task(programme)
        if running is None:  # finished between the insert and the look
            return _request(programme, kind, user, rnd)
        raise Busy(running) from None


def request_preview(programme: Programme, user: User | None = None) -> RoundTask:
    """Asks the worker for a (new) preview of the programme's next round."""
    return _request(programme, RoundTask.Kind.PREVIEW, user, None)


def request_publish(rnd: Round, user: User | None = None) -> RoundTask:
    """Asks the worker to publish this preview."""
    if rnd.status != Round.Status.PREVIEW:
        raise RoundError("published")
    return _request(rnd.programme, RoundTask.Kind.PUBLISH, user, rnd)


def claim(pk: int | None = None) -> RoundTask | None:
    """Takes the oldest waiting task (or the task ``pk``), or a running one whose
    worker's lease ran out."""
    rows = RoundTask.objects.all() if pk is None else RoundTask.objects.filter(pk=pk)
    taken = leases.claim(TASKS, rows, max_attempts=MAX_ATTEMPTS, give_up=_crashed)
    if not taken:
        return None
    task = taken[0]
    task.started_at = task.started_at or timezone.now()
    task.stage, task.progress = RoundTask.Stage.READING, 0.0
    leases.mine(TASKS, task).update(
        started_at=task.started_at, stage=task.stage, progress=task.progress
    )
    return task


def _crashed(task: RoundTask) -> None:
    """A task whose workers died every time ends as an internal failure."""
    _fail(task, "internal", attempts=MAX_ATTEMPTS)


class Reporter:
    """Writes a task's stage and progress (and renews its lease) as the work goes on."""

    def __init__(self, task: RoundTask, storing: Storing, listen: Report | None = None) -> None:
        self.task = task
        self.storing = storing
        self.listen = listen
        self.stage = ""
        self.last = 0.0

    def __call__(self, stage: str, share: float) -> None:
        if self.listen is not None:
            self.listen(stage, share)
        if self.storing.inside:
            # An update of the task's row inside the storing transaction would make
            # a second press wait (on the unique constraint) until it commits, and
            # nobody would see the figure before then anyway.
            return
        now = time.monotonic()
        if stage not in RoundTask.Stage.values or stage == RoundTask.Stage.DONE:
            return
        if stage == self.stage and now - self.last < REPORT_EVERY:
            return
        self.stage, self.last = stage, now
        leases.renew(TASKS, [self.task], stage=stage, progress=min(share, 0.99))


class TaskLost(Exception):
    """Another worker took the task over; this worker's result is rolled back."""


class Storing:
    """Ties the stored result to the task: :meth:`begin` runs first in the storing
    transaction and locks the task's row (so no other worker can take it while the
    result is written, even if the lease runs out), :meth:`end` runs last and ends the
    task, so the result and the task's end are committed together."""

    def __init__(self, task: RoundTask) -> None:
        self.task = task
        self.inside = False

    def begin(self) -> None:
        self.inside = True
        if not leases.still_mine(TASKS, self.task):
            raise TaskLost(self.task.pk)

    def end(self, rnd: Round) -> None:
        self.inside = False
        leases.finish(
            TASKS,
            self.task,
            RoundTask.Status.DONE,
            stage=RoundTask.Stage.DONE,
            progress=1.0,
            round=rnd,
            finished_at=timezone.now(),
        )


def _fail(task: RoundTask, error: str, problems: list | None = None, **fields: Any) -> None:
    leases.finish(
        TASKS,
        task,
        RoundTask.Status.FAILED,
        error=error,
        problems=problems or [],
        finished_at=timezone.now(),
        **fields,
    )


def _again(task: RoundTask) -> None:
    """Gives the task back, to be taken by the next pass of any worker."""
    leases.release(TASKS, [task])


def run(task: RoundTask, listen: Report | None = None) -> None:
    """Does the work of a claimed task and records how it ended; ``listen`` hears the
    progress too (the command line's progress bar).

    The database away or locked is raised for the worker's loop to wait on, after
    giving the task back where the database still answers; every other failure is
    recorded on the task (and tried again, at most :data:`MAX_ATTEMPTS` times).
    """
    programme = Programme.objects.get(pk=task.programme_id)
    storing = Storing(task)
    report = Reporter(task, storing, listen)
    try:
        # Reading and storing a large round allocate millions of objects without
        # cycles, as the engine does.
        with no_cycle_collection():
            store: Callable[[], Round]
            if task.kind == RoundTask.Kind.PREVIEW:
                # As preview_round, with the engine's run before the storing transaction.
                store = partial(
                    store_preview, calculate_preview(programme, progress=report), task.requested_by
                )
            else:
                rnd = (
                    Round.objects.filter(pk=task.round_id, programme=programme).first()
                    if task.round_id is not None
                    else None
                )
                if rnd is None:
                    raise RoundError("gone")
                # Reported before the storing transaction, in which reports are not written.
                report("checking", 0.0)
                store = partial(publish_round, rnd, progress=report)
            with transaction.atomic():
                storing.begin()
                rnd = store()
                analyse_if_large(rnd, task.kind)
                storing.end(rnd)
        report("done", 1.0)
    except TaskLost:
        log.warning("round task %s was taken over by another worker", task.pk)
    except RulesError:
        _fail(task, "rules")
    except RuleBroken as exc:
        _fail(task, "rule_broken", exc.details)
    except RoundError as exc:
        _fail(task, str(exc).replace(" ", "_")[:20])
    except (OperationalError, InterfaceError):
        # The database away or locked: the worker's loop waits and reconnects.
        storing.inside = False
        try:
            _again(task)
        except DatabaseError:
            pass  # the lease gives it back
        raise
    except Exception:  # noqa: BLE001 - recorded on the task and retried
        storing.inside = False
        log.exception("round task %s (%s) failed", task.pk, task.kind)
        if task.attempts >= MAX_ATTEMPTS:
            _fail(task, "internal")
        else:
            _again(task)
    else:
        if task.kind == RoundTask.Kind.PUBLISH and is_large(programme):
            # The insights of a large programme are read again at once, not when an
            # organiser next opens them.
            request_snapshot(programme)


# Groups from which a stored round makes PostgreSQL gather its statistics again.
ANALYSE_FROM = 5000


def analyse_if_large(rnd: Round, kind: str) -> None:
    """After a large round was written, PostgreSQL gathers the statistics of its tables
    at once, in the transaction that stores the round (which sees its own new rows),
    rather than when autovacuum next comes by: the round's page is planned for the
    tables as they now are (an index lookup, not a scan of 500,000 groups) from its
    first view on, which comes as soon as the task is seen to be done."""
    if connection.vendor != "postgresql":
        return
    # The number of groups from the figures kept on the round, not a count of them.
    if figures_of(rnd)["counts"].get("groups", 0) < ANALYSE_FROM:
        return
    tables = [Group._meta.db_table, Group.members.through._meta.db_table]
    if kind == RoundTask.Kind.PUBLISH:
        tables.append(OutboxMessage._meta.db_table)
    with connection.cursor() as cursor:
        for table in tables:
            try:
                # In a savepoint: statistics not gathered must not undo the round.
                with transaction.atomic():
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            except DatabaseError:
                log.warning("statistics of round %s not gathered", rnd.pk)


def run_round_tasks(limit: int = 10) -> int:
    """Runs waiting round tasks; returns how many were taken."""
    done = 0
    while done < limit and (task := claim()) is not None:
        run(task)
        done += 1
    return done


def feedback_request(payload: dict[str, Any]) -> None:
    """The job that asks a published round's people "Did you meet?"."""
    rnd = Round.objects.filter(pk=payload["round"], status=Round.Status.PUBLISHED).first()
    if rnd is not None:
        with transaction.atomic():
            queue_feedback_requests(rnd)


def start_due_rounds() -> int:
    """Starts and publishes every automatic round that is due; returns how many."""
    started = 0
    due = Programme.objects.filter(automatic=True, next_round_on__lte=timezone.localdate())
    for programme in due:
        try:
            if run_automatic_round(programme) is not None:
                started += 1
        except Exception:  # noqa: BLE001 - one broken programme must not stop the others
            log.exception("automatic round of programme %s failed", programme.pk)
    return started


def erase_finished(now: dt.datetime) -> int:
    """Finished round tasks older than the e-mail retention: a failed publication names
    the people it found."""
    keep = now - dt.timedelta(days=settings.RETENTION_EMAIL_DAYS)
    return (
        RoundTask.objects.exclude(status__in=RoundTask.ACTIVE)
        .filter(created_at__lt=keep)
        .delete()[0]
    )


def recover() -> None:
    leases.release_abandoned(TASKS)
