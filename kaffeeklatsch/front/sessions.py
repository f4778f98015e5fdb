"""Sessions in the database, as Django keeps them, read with one plain statement.

Every signed-in page loads its session first. Django's store builds that lookup
through the ORM on each request, which costs more than the rest of the session
handling together; here it is one fixed SQL statement on the driver's cursor
(:func:`~kaffeeklatsch.front.compiled.fetch_all`). Writing, expiry and clean-up
are Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from kaffeeklatsch.front.compiled import fetch_all


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        if not self.session_key:
            self._session_key = None
            return {}
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = fetch_all(
            connection,
            f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
            [self.session_key, now],
        )
        if not rows:
            self._session_key = None
            return {}
        return self.decode(rows[0][0])
