"""``kaffeeklatsch restore PATH``: replaces the database with a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kaffeeklatsch.jobs.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replaces everything in the database with the backup at PATH. Stop the web "
        "application and the worker first."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"no backup at {path}")
        if not options["yes"]:
            answer = input("This replaces everything in the database. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("nothing was restored")
        try:
            method = restore(path)
        except (BackupError, OSError) as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        self.stdout.write(f"restored from {path} ({method})")
