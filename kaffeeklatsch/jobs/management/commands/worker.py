"""``kaffeeklatsch worker``: starts due rounds, runs jobs and sends the outbox."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.jobs.tasks import erase_expired, start_due_rounds
from kaffeeklatsch.notifications.transport import send_due


def work_once() -> dict[str, int]:
    """One pass over everything that is due."""
    return {
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
        while True:
            done = work_once()
            if any(done.values()):
                self.stdout.write(
                    "rounds started: {rounds}, jobs run: {jobs}, e-mails sent: {emails}, "
                    "expired rows erased: {erased}".format(**done)
                )
            if options["once"] or stopping:
                break
            waited = 0.0
            while waited < options["interval"] and not stopping:
                time.sleep(0.5)
                waited += 0.5
            if stopping:
                break
