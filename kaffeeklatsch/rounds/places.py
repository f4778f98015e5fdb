"""Where a group meets: a real suggestion, not just "in person".

A place the organiser listed for the programme (each group gets one of them in turn),
otherwise the area the members come from. Every message a participant reads (e-mail,
letter, chat, calendar entry) takes its place from here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import MeetingMode
from kaffeeklatsch.rounds.models import Group


def suggested_place(group: Group, members: Sequence[Participant]) -> str:
    """The meeting place for a group that may meet in person, in the active
    language; empty for a group that meets online."""
    if group.mode == MeetingMode.ONLINE:
        return ""
    listed = group.round.programme.place_list()
    if listed:
        return listed[(group.number or group.pk or 0) % len(listed)]
    areas: list[str] = []
    for member in members:
        if member.place and member.place not in areas:
            areas.append(member.place)
    if len(areas) == 1:
        return _("a café near %(place)s") % {"place": areas[0]}
    if areas:
        return _("a café between %(places)s and %(last)s") % {
            "places": ", ".join(areas[:-1]),
            "last": areas[-1],
        }
    return _("a café or another quiet place near one of you, as you agree")
