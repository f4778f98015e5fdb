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
    shown = []
    if meetings:
        # The newest group: shown while its meeting is ahead (or has no time yet), and
        # after it only with the person's own update about it.
        group = meetings[0]["group"]
        update = MeetingUpdate.objects.filter(participant=participant, group=group).first()
        start = group.suggested_start
        if start is None or start >= timezone.now() or update is not None:
            others = [person.name for person in meetings[0]["others"]]
            shown.append({"group": group, "others": others, "update": update})
    channels = [c for c in participant.programme.channels.all() if c.sends_direct_messages]
    return {
        "meetings": shown,
        "statuses": MeetingUpdate.Status.choices,
        "dm_channels": channels,
        "handles": list(participant.chat_handles.select_related("channel")) if channels else [],
    }
