from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def participant(request: HttpRequest) -> dict[str, Any]:
    """Tells templates whether a participant is signed in through a magic link."""
    return {"participant_signed_in": bool(request.session.get("participant_id"))}
