"""Sessions in the database, as Django keeps them, read with one plain statement.

Every signed-in page loads its session first. Django's store builds that lookup
through the ORM on each request, which costs more than the rest of the session
handling together; here it is one fixed SQL statement on the driver's cursor
(:func:`~kaffeeklatsch.front.compiled.fetch_all`). Writing, expiry and clean-up
are Django's.

A signed-in person's session row stays the same from one page to the next, so its
decoded contents are kept (per process, for the signed text read from the
database, the keys it was checked with and the serializer): checking the
signature and decoding again would give the same dictionary. Only sessions of
plain values (text, numbers, booleans) are kept; each request gets its own copy.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
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

    def decode(self, session_data: str) -> dict[str, Any]:
        key = (
            session_data,
            settings.SECRET_KEY,
            tuple(settings.SECRET_KEY_FALLBACKS),
            self.key_salt,
            self.serializer,
        )
        found = _decoded.get(key)
        if found is not None:
            return dict(found)
        session = super().decode(session_data)
        # Corrupted data decodes to an empty session, which is not kept: each read
        # of it is logged as Django logs it.
        if session and all(type(value) in _PLAIN for value in session.values()):
            with _decoded_lock:
                if len(_decoded) >= DECODED_KEPT:
                    _decoded.clear()
                _decoded[key] = dict(session)
        return session


# Decoded sessions kept per process, by what they were decoded from.
DECODED_KEPT = 4096
_decoded: dict[tuple[Any, ...], dict[str, Any]] = {}
_decoded_lock = threading.Lock()
_PLAIN = frozenset({str, int, float, bool, type(None)})
