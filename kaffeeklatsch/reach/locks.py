"""A lock per chat account that no worker waits for.

A bot's direct rooms live in its account on the chat server (Matrix: ``m.direct``), so
finding or opening a person's room and recording it must not interleave between two
workers, whichever channel or programme they send for. :func:`account_lock` takes a
lock named after the account without blocking: when another worker holds it, the job
is :class:`~kaffeeklatsch.jobs.queue.Deferred` for a few seconds (no attempt used up)
and the worker goes on with other work. The lock is held only for the few requests it
guards, never through a wait, and never ties up a database row.

On PostgreSQL it is a session advisory lock (workers may run on several machines); on
SQLite, whose workers share one machine and one database file, an exclusive ``flock``
on a file in the data directory.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from kaffeeklatsch.jobs.queue import Deferred

#: A job that finds the account busy is tried again after about this many seconds.
BUSY_SECONDS = 2.0


def _key(name: str) -> int:
    """A signed 64-bit number for ``name``, as ``pg_try_advisory_lock`` takes it."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def account_lock(name: str) -> Iterator[None]:
    """Holds the lock ``name`` for the ``with`` block, or raises :class:`Deferred`."""
    if connection.vendor == "postgresql":
        key = _key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise Deferred(BUSY_SECONDS)
            try:
                yield
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    directory = settings.DATA_DIR / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.lock"
    with path.open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Deferred(BUSY_SECONDS) from None
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
