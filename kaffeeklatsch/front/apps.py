from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from kaffeeklatsch.jobs.registry import register_cleanup
from kaffeeklatsch.lib.names import register_sqlite_collation


def _name_collation(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Every SQLite connection learns how names sort (kaffeeklatsch/lib/names.py)."""
    if connection.vendor == "sqlite":
        register_sqlite_collation(connection.connection)


class FrontConfig(AppConfig):
    name = "kaffeeklatsch.front"
    label = "front"

    def ready(self) -> None:
        # The rate limits' module imports the app's models, importable only now.
        from kaffeeklatsch.front.ratelimit import forget_expired  # noqa: PLC0415

        register_cleanup("rate_limits", lambda now: forget_expired())
        connection_created.connect(_name_collation, dispatch_uid="kaffeeklatsch_name_collation")
