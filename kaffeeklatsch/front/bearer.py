"""Bearer tokens of other systems (the REST API, a programme's SCIM endpoint).

A token is 256 random bits, so a plain SHA-256 keeps it unguessable from the database
and lets a request find what it opens by one lookup; it is compared in constant
time. The time of its last use is written at most once a minute: writing it on every
request would turn each read into a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.db.models import Model
from django.utils import timezone

LAST_USE_EVERY = dt.timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(stored: str, token: str) -> bool:
    """Whether ``token`` is the one whose digest is ``stored`` (none if empty)."""
    return bool(stored) and hmac.compare_digest(stored, digest(token))


def note_use(holder: Model, field: str = "last_used_at") -> None:
    """Records that ``holder``'s token was used now, unless it was within a minute."""
    now = timezone.now()
    last = getattr(holder, field)
    if last is None or last < now - LAST_USE_EVERY:
        type(holder)._default_manager.filter(pk=holder.pk).update(**{field: now})
        setattr(holder, field, now)
