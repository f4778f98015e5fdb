"""What the reach app adds to the participant's own page: what
``reach/me_panel.html`` shows."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.reach.models import MeetingUpdate


def participant_panel(participant: Participant, meetings: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``reach/me_panel.html`` shows on the participant's page.

    ``meetings``: the participant's groups of published rounds, newest round first,
    each as {"group": ..., "others": [the other members, by name]}, as the page has
    them."""
    upcoming = meetings[:1]
    mine = (
        {
            u.group_id: u
            for u in MeetingUpdate.objects.filter(
                participant=participant, group=upcoming[0]["group"].pk
            )
        }
        if upcoming
        else {}
    )
    now = timezone.now()
    meetings = [
        {
            "group": m["group"],
            "others": [person.name for person in m["others"]],
            "update": mine.get(m["group"].pk),
        }
        for m in upcoming
        if m["group"].suggested_start is None
        or m["group"].suggested_start >= now
        or m["group"].pk in mine
    ]
    channels = [c for c in participant.programme.channels.all() if c.sends_direct_messages]
    return {
        "meetings": meetings,
        "statuses": MeetingUpdate.Status.choices,
        "dm_channels": channels,
        "handles": list(participant.chat_handles.select_related("channel")) if channels else [],
    }
