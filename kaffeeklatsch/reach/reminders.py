"""The reminder e-mail before a suggested meeting, written into the outbox."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from kaffeeklatsch.notifications.compose import write as write_email
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import sign_in_url
from kaffeeklatsch.reach.models import MeetingUpdate
from kaffeeklatsch.reach.services import meeting_for
from kaffeeklatsch.reach.tokens import update_url
from kaffeeklatsch.rounds.models import Group


def queue_reminders(group: Group) -> int:
    """One reminder per member reached by e-mail who wants reminders, unless someone
    in the group already said the meeting cannot take place."""
    if group.updates.filter(status=MeetingUpdate.Status.CANNOT_MEET).exists():
        return 0
    count = 0
    for member in group.members.all():
        if not (member.reached_by_email and member.reminders):
            continue
        if member.status != Participant.Status.ACTIVE:
            continue
        lang = member.language
        with translation.override(lang):
            meeting = meeting_for(group, member)
            names = ", ".join(p.name for p in meeting.partners)
            subject = _("Reminder: coffee with %(names)s") % {"names": names}
        reply_to = [
            o.shared_email for o in group.members.all() if o.pk != member.pk and o.shared_email
        ]
        write_email(
            OutboxMessage.Kind.REMINDER,
            member,
            member.email,
            lang,
            "reminder",
            {
                "participant": member,
                "meeting": meeting,
                "programme": group.round.programme,
                "rescheduled_url": update_url(group.pk, member.pk, "rescheduled"),
                "cannot_meet_url": update_url(group.pk, member.pk, "cannot_meet"),
                "page_url": sign_in_url(member),
            },
            subject,
            reply_to=reply_to,
        )
        count += 1
    return count
