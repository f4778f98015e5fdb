"""Leased work: rows that workers take, hold for a while and give back.

Round tasks, downloads, jobs and the outbox are all queues of rows with a ``status``.
A worker *claims* due rows in a short transaction of its own (``SELECT ... FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so workers never wait for each other nor take the same
row; SQLite has no row locks, so the claim there is the ``UPDATE`` that still finds
the row due, and SQLite's single writer does the rest). The claim marks the rows
running, counts an attempt and writes a *lease*: the worker's id and the time until
which the rows are its own. It commits before any work is done, so the work (a round,
a file, a chat message, an e-mail) runs outside any transaction that holds a lock.

While it works, a worker *renews* its lease: as it reports progress, or every third of
the lease while a block of work that reports none runs (:func:`renewing`). Its result
is stored in a short transaction that first asks "still mine?" (the row is running,
leased by this worker, at the same attempt) and locks the row, so a worker that
outlived its lease leaves the row to the one that took it over. A row taken more
often than its queue allows (its workers died every time) is given up instead of run
again. A worker gives back (*releases*) what it did not finish; rows of a worker that
died are due again when their lease runs out, or at once when a worker on the same
machine finds their process gone (:func:`release_abandoned`).

Nothing here knows an app: a queue is described by a :class:`Queue` over a model that
inherits :class:`Leased`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import Error as DatabaseError
from django.db import connections, models, router, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

__all__ = [
    "Leased",
    "Queue",
    "claim",
    "finish",
    "mine",
    "release",
    "release_abandoned",
    "renew",
    "renewing",
    "still_mine",
    "worker_id",
]

log = logging.getLogger(__name__)


class Leased(models.Model):
    """The fields of a row that workers lease: how often it was taken, until when and
    by whom it is held. The model brings ``status`` (and its own order and due time)."""

    attempts = models.PositiveIntegerField(default=0)
    # While running: the worker ``claimed_by`` owns the row until then.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # A default in the database too: rows written by raw SQL (and the rows already
    # there when the column is added) hold nothing.
    claimed_by = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        abstract = True


L = TypeVar("L", bound=Leased)


@dataclass(frozen=True)
class Queue(Generic[L]):
    """A queue of ``model`` rows: those with ``status == waiting`` (and, with ``due``,
    that datetime field not in the future) are taken in ``order``, held with
    ``status == running`` for ``lease_seconds()``."""

    model: type[L]
    waiting: str
    running: str
    lease_seconds: Callable[[], float]
    order: tuple[str, ...] = ("created_at", "id")
    due: str | None = None

    def lease(self, now: dt.datetime | None = None) -> dt.datetime:
        return (now or timezone.now()) + dt.timedelta(seconds=self.lease_seconds())

    def takeable(self, now: dt.datetime) -> Q:
        """Rows waiting and due, or running with a lease that ran out."""
        waiting = Q(status=self.waiting)
        if self.due is not None:
            waiting &= Q(**{f"{self.due}__lte": now})
        return waiting | Q(status=self.running, claimed_until__lt=now)

    @property
    def objects(self) -> QuerySet[L]:
        return self.model._default_manager.all()


def define(
    model: type[L],
    *,
    waiting: str,
    running: str,
    lease_seconds: Callable[[], float],
    order: Iterable[str] = ("created_at", "id"),
    due: str | None = None,
) -> Queue[L]:
    """A queue of ``model`` rows (see :class:`Queue`)."""
    return Queue(model, waiting, running, lease_seconds, tuple(order), due)


_identity: tuple[int, str] | None = None


def worker_id() -> str:
    """This process as a lease holder: ``host:pid:random``. The random part tells a
    process from an earlier one that had the same pid (a restarted container)."""
    global _identity  # noqa: PLW0603 - one identity per process, made on first use
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        _identity = (pid, f"{socket.gethostname()}:{pid}:{secrets.token_hex(4)}")
    return _identity[1]


def claim(
    queue: Queue[L],
    rows: QuerySet[L] | None = None,
    limit: int = 1,
    *,
    max_attempts: int | None = None,
    give_up: Callable[[L], object] | None = None,
) -> list[L]:
    """Takes up to ``limit`` of the takeable ``rows`` (default: all of the queue's) for
    this worker and commits; returns them as now held (running, leased, one attempt
    more).

    With ``max_attempts``, a row taken for an attempt beyond it (its workers died every
    time: out of memory on a huge round, say) is not returned but handed to
    ``give_up``, which ends it, so that it does not stop the worker's other work for
    good; when every row taken was given up, others are taken in their place.
    """
    if max_attempts is not None and give_up is None:
        raise ValueError("max_attempts needs give_up")
    while True:
        picked = _claim(queue, rows, limit)
        if max_attempts is None or give_up is None:
            return picked
        spent = [row for row in picked if row.attempts > max_attempts]
        for row in spent:
            give_up(row)
        if len(spent) < len(picked) or not spent:
            return [row for row in picked if row.attempts <= max_attempts]


def _claim(queue: Queue[L], rows: QuerySet[L] | None, limit: int) -> list[L]:
    now = timezone.now()
    until = queue.lease(now)
    owner = worker_id()
    base = queue.objects if rows is None else rows
    with transaction.atomic(using=router.db_for_write(queue.model)):
        picked = list(
            base.select_for_update(skip_locked=True)
            .filter(queue.takeable(now))
            .order_by(*queue.order)[:limit]
        )
        if not picked:
            return []
        ids = [row.pk for row in picked]
        taken = (
            queue.objects.filter(pk__in=ids)
            .filter(queue.takeable(now))
            .update(
                status=queue.running,
                claimed_until=until,
                claimed_by=owner,
                attempts=F("attempts") + 1,
            )
        )
        if taken < len(picked):
            # Only without row locks: another worker was first for some.
            got = set(
                queue.objects.filter(pk__in=ids, claimed_by=owner, claimed_until=until).values_list(
                    "pk", flat=True
                )
            )
            picked = [row for row in picked if row.pk in got]
    for row in picked:
        row.status = queue.running  # type: ignore[attr-defined]
        row.claimed_until, row.claimed_by = until, owner
        row.attempts += 1
    return picked


def mine(queue: Queue[L], row: L) -> QuerySet[L]:
    """The row, if this worker still holds it at the attempt it took."""
    return queue.objects.filter(
        pk=row.pk, status=queue.running, claimed_by=row.claimed_by, attempts=row.attempts
    )


def still_mine(queue: Queue[L], row: L) -> bool:
    """ "Still mine?", asked first in the transaction that stores a result: it locks
    the row, so nobody takes it over until that transaction ends, even if the lease
    runs out meanwhile."""
    return mine(queue, row).select_for_update().exists()


def renew(queue: Queue[L], held: Sequence[L], **fields: Any) -> list[L]:
    """Extends the lease of the rows still held (writing ``fields`` too); returns
    those rows (the others were taken over)."""
    until = queue.lease()
    renewed = []
    for row in held:
        if mine(queue, row).update(claimed_until=until, **fields):
            row.claimed_until = until
            renewed.append(row)
    return renewed


@contextmanager
def renewing(queue: Queue[L], held: Sequence[L]) -> Iterator[None]:
    """Renews the lease of ``held`` every third of the lease while the block runs: for
    work that reports no progress of its own (a job's handler waiting for a slow chat
    server), so that no other worker takes it over while this one is alive.

    The renewal runs in a thread of its own, with its own database connection, which it
    closes when the block ends.
    """
    stop = threading.Event()

    def keep_renewed() -> None:
        try:
            while not stop.wait(queue.lease_seconds() / 3):
                try:
                    renew(queue, held)
                except DatabaseError:
                    # Tried again at the next turn; the lease may run out meanwhile.
                    log.warning("lease of %s not renewed", queue.model.__name__)
        finally:
            connections.close_all()

    thread = threading.Thread(target=keep_renewed, name="lease-renewal", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def finish(queue: Queue[L], row: L, status: str, **fields: Any) -> bool:
    """Ends the lease of a row still held with ``status`` (and ``fields``); false when
    it was no longer this worker's."""
    return bool(mine(queue, row).update(status=status, claimed_until=None, claimed_by="", **fields))


def release(queue: Queue[L], held: Sequence[L], *, uncount: bool = False, **fields: Any) -> int:
    """Gives back rows still held, waiting again at once (``uncount``: the attempt
    was not made, so it is not counted)."""
    if not held:
        return 0
    done = 0
    extra = {"attempts": F("attempts") - 1} if uncount else {}
    for attempts, rows in _by_attempts(held).items():
        done += queue.objects.filter(
            pk__in=[r.pk for r in rows],
            status=queue.running,
            claimed_by=worker_id(),
            attempts=attempts,
        ).update(status=queue.waiting, claimed_until=None, claimed_by="", **extra, **fields)
    return done


def _by_attempts(rows: Sequence[L]) -> dict[int, list[L]]:
    groups: dict[int, list[L]] = {}
    for row in rows:
        groups.setdefault(row.attempts, []).append(row)
    return groups


def _gone(owner: str) -> bool:
    """Whether the process that holds a lease as ``owner`` (not this worker) is no more:
    it ran on this machine and its pid is free, or is this process's (an earlier
    process that had the same pid)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def release_abandoned(queue: Queue[L]) -> int:
    """Gives back, at once, what this worker holds (an interrupted pass) and what
    dead workers on this machine held. Called when a worker
    starts and when it is back after the database was away; leases of workers on
    other machines run out instead."""
    me = worker_id()
    owners = set(
        queue.objects.filter(status=queue.running)
        .exclude(claimed_by="")
        .order_by()
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    gone = [owner for owner in owners if owner == me or _gone(owner)]
    if not gone:
        return 0
    return queue.objects.filter(status=queue.running, claimed_by__in=gone).update(
        status=queue.waiting, claimed_until=None, claimed_by=""
    )
