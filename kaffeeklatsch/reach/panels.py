"""What the reach app adds to the participant's own page: the queries the page sends
with its own, and what ``reach/me_panel.html`` shows from their rows."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kaffeeklatsch.front.compiled import Call, CompiledQuery
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.reach.models import MeetingUpdate, any_channel_for


def panel_queries(participant_id: int) -> list[Call]:
    """What the panel asks the database, for the page to send with its own queries."""
    return [(_updates_of, (participant_id,)), (any_channel_for, (participant_id,))]


def participant_panel(
    participant: Participant, meetings: list[dict[str, Any]], rows: list[list[Any]]
) -> dict[str, Any]:
    """What ``reach/me_panel.html`` shows on the participant's page.

    ``meetings``: the participant's groups of published rounds, newest round first,
    each as {"group": ..., "others": [the other members, by name]}, as the page has
    them. ``rows``: the results of :func:`panel_queries`."""
    upcoming = meetings[:1]
    updates, any_channel = rows
    mine = {u.group_id: u for u in updates}
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
    channels = (
        [c for c in participant.programme.channels.all() if c.sends_direct_messages]
        if any_channel
        else []
    )
    return {
        "meetings": meetings,
        "statuses": MeetingUpdate.Status.choices,
        "dm_channels": channels,
        "handles": list(participant.chat_handles.select_related("channel")) if channels else [],
    }


# The participant's page asks on every visit: the statement is built once.
_updates_of: CompiledQuery[MeetingUpdate] = CompiledQuery(
    lambda participant_id: MeetingUpdate.objects.filter(participant=participant_id)
)
