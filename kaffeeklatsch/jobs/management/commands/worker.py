"""``kaffeeklatsch worker``: does the periodic work the apps registered (previews and
publications, downloads, due rounds, jobs, the outbox) and their retention clean-up.

Before its first pass, and when the database is back after it was away, it runs the
apps' recoveries: what an interrupted pass (or a dead worker on this machine) still
held is given back at once rather than when its lease runs out."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import Error as DatabaseError
from django.db import connections

from kaffeeklatsch.jobs import registry

log = logging.getLogger(__name__)
# Longest wait between two tries while the database is away.
MAX_DATABASE_WAIT = 60.0


def work_once() -> dict[str, int]:
    """One pass over everything that is due."""
    done = {work.name: work.run() for work in registry.periodic()}
    done["erased"] = registry.erase_expired()
    return done


def summary(done: dict[str, int]) -> str:
    labels = {work.name: work.label for work in registry.periodic()}
    labels["erased"] = "expired rows erased"
    return ", ".join(f"{labels.get(name, name)}: {count}" for name, count in done.items())


class Command(BaseCommand):
    help = "Runs background work: automatic rounds, jobs and outgoing e-mail."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Do what is due, then exit.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between passes.")
        parser.add_argument(
            "--heartbeat",
            type=Path,
            help="A file to touch after every pass (read by 'kaffeeklatsch health worker').",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        failures = 0
        recovered = False
        while True:
            wait = options["interval"]
            try:
                if not recovered:
                    registry.recover()
                    recovered = True
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
                recovered = False
                done = {}
            else:
                failures = 0
                if any(done.values()):
                    self.stdout.write(summary(done))
                    self.stdout.flush()
                    wait = 0.0  # more may be waiting: go on at once
            if options["heartbeat"] is not None:
                # Also after a pass the database refused: the worker is alive and waits.
                options["heartbeat"].touch()
            if options["once"] or stopping:
                break
            waited = 0.0
            while waited < wait and not stopping:
                step = min(0.5, wait - waited)
                time.sleep(step)
                waited += step
            if stopping:
                break
