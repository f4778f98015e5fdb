"""``kaffeeklatsch backup PATH``: a consistent copy of the whole database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kaffeeklatsch.jobs.backup import BackupError, backup


class Command(BaseCommand):
    help = "Backs up the whole database to PATH (see kaffeeklatsch restore)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--portable",
            action="store_true",
            help="Write every row as JSON (restorable into SQLite or PostgreSQL) instead of "
            "an SQLite copy or pg_dump's format.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            method = backup(options["path"], native=not options["portable"])
        except (BackupError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(f"backup written to {options['path']} ({method})")
