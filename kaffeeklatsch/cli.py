"""The ``kaffeeklatsch`` console script.

``kaffeeklatsch match ...`` runs the matching engine on CSV files and needs no
database; ``kaffeeklatsch health web|worker`` checks the processes on this machine
without loading Django. Every other sub-command is a Django management command
(``kaffeeklatsch migrate``, ``kaffeeklatsch runserver``, ``kaffeeklatsch demo``...).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from kaffeeklatsch import __version__


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in {"--version", "version"}:
        print(f"kaffeeklatsch {__version__}")
        return 0
    if args and args[0] == "match":
        # Only "match" loads the engine (NumPy, SciPy): Django's commands start without.
        from kaffeeklatsch.matching.cli import main as match_main  # noqa: PLC0415

        return match_main(args[1:])
    if args and args[0] == "health":
        # Without Django: a health check runs every half minute and must stay cheap.
        from kaffeeklatsch.health import main as health_main  # noqa: PLC0415

        return health_main(args[1:])
    return _django(args)


def _django(args: list[str]) -> int:
    try:
        # Django is absent where only the engine is installed: "match" works there.
        from django.core.management import execute_from_command_line  # noqa: PLC0415
    except ImportError:  # pragma: no cover - only without the web extras
        print("kaffeeklatsch: the web application is not installed.", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaffeeklatsch.settings")
    execute_from_command_line(["kaffeeklatsch", *args])
    return 0
