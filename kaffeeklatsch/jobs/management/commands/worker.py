"""``kaffeeklatsch worker``: previews and publishes the rounds organisers asked for,
starts due rounds, runs jobs and sends the outbox."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import Error as DatabaseError
from django.db import connections

from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.jobs.tasks import erase_expired, start_due_rounds
from kaffeeklatsch.notifications.transport import send_due

log = logging.getLogger(__name__)
# Longest wait between two tries while the database is away.
MAX_DATABASE_WAIT = 60.0


def work_once() -> dict[str, int]:
    """One pass over everything that is due."""
    from kaffeeklatsch.downloads.tasks import run_downloads
    from kaffeeklatsch.rounds.tasks import run_round_tasks

    return {
        "previews": run_round_tasks(),
        "downloads": run_downloads(),
        "rounds": start_due_rounds(),
        "jobs": run_due(),
        "emails": send_due(),
        "erased": erase_expired(),
    }


class Command(BaseCommand):
    help = "Runs background work: automatic rounds, jobs and outgoing e-mail."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Do what is due, then exit.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between passes.")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        failures = 0
        while True:
            wait = options["interval"]
            try:
                done = work_once()
            except DatabaseError as exc:
                # Locked (SQLite), restarted or unreachable (PostgreSQL): drop the
                # connection and try again later; nothing was half-done, since every
                # step is its own transaction.
                if options["once"]:
                    raise
                failures += 1
                wait = min(options["interval"] * 2**failures, MAX_DATABASE_WAIT)
                log.warning(
                    "database unavailable (%s); trying again in %.1f s", type(exc).__name__, wait
                )
                connections.close_all()
                done = {}
            else:
                failures = 0
                if any(done.values()):
                    self.stdout.write(
                        "round previews and publications: {previews}, downloads: {downloads}, "
                        "rounds started: {rounds}, jobs run: {jobs}, e-mails sent: {emails}, "
                        "expired rows erased: {erased}".format(**done)
                    )
                    self.stdout.flush()
                    wait = 0.0  # more may be waiting: go on at once
            if options["once"] or stopping:
                break
            waited = 0.0
            while waited < wait and not stopping:
                step = min(0.5, wait - waited)
                time.sleep(step)
                waited += step
            if stopping:
                break
