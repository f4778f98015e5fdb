"""What a round means for people who are not reached by e-mail: announcements in chat
channels, direct messages, reminders, and the facts letters and phone lists print.

Everything that talks to another server runs later in the job queue: publishing a
round only writes jobs, in the round's own transaction, so a slow or broken chat
server never holds up a round and a failed delivery is retried with back-off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.matching.languages import language_name
from kaffeeklatsch.notifications.compose import conversation_starter
from kaffeeklatsch.notifications.dates import clock_time, long_date
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import MeetingMode
from kaffeeklatsch.reach.channels.escaping import Line, linked
from kaffeeklatsch.reach.models import ChatHandle, ReminderSetting
from kaffeeklatsch.rounds.models import Group, Round
from kaffeeklatsch.rounds.places import suggested_place
from kaffeeklatsch.rounds.schedule import MEETING_MINUTES


@dataclass
class Partner:
    name: str
    details: str  # department, organisation, place
    contact: list[str]  # only what the partner agreed to share
    languages: str
    phone: str = ""  # shared phone number, or ""
    email: str = ""  # shared e-mail address, or ""


@dataclass
class Meeting:
    """One person's view of their group, in their language."""

    person: Participant
    round: Round
    partners: list[Partner]
    when: str  # empty when no time could be suggested
    how: str
    starter: str
    extra: list[str] = field(default_factory=list)
    # False when the members' times do not overlap and the time is only a proposal.
    common_time: bool = True


def no_common_time_line() -> str:
    """The line for a group whose usual times do not overlap, in the active language."""
    return _(
        "Your usual times do not overlap, so this is only a proposal: please agree on "
        "another time that suits you all."
    )


def _when(start: dt.datetime | None) -> str:
    if start is None:
        return ""
    return _("%(date)s at %(time)s (%(minutes)s minutes)") % {
        "date": long_date(start),
        "time": clock_time(start),
        "minutes": MEETING_MINUTES,
    }


def partner_contact(other: Participant) -> list[str]:
    contact = []
    if other.shared_phone:
        contact.append(_("Phone: %(phone)s") % {"phone": other.shared_phone})
    if other.shared_email:
        contact.append(_("E-mail: %(email)s") % {"email": other.shared_email})
    return contact


def meeting_for(group: Group, person: Participant) -> Meeting:
    """The facts of ``person``'s meeting; call inside ``translation.override``."""
    members = list(group.members.all())
    programme = group.round.programme
    lang = translation.get_language() or person.language
    partners = []
    for other in members:
        if other.pk == person.pk:
            continue
        details = ", ".join(other.answers(programme, place=True))
        partners.append(
            Partner(
                name=other.name,
                details=details,
                contact=partner_contact(other),
                languages=", ".join(language_name(c, lang[:2]) for c in other.languages),
                phone=other.shared_phone,
                email=other.shared_email,
            )
        )
    place = suggested_place(group, members)
    if group.mode == MeetingMode.IN_PERSON:
        how = _("In person – %(place)s") % {"place": place}
    elif group.video_url:
        how = _("Online: %(url)s") % {"url": group.video_url}
    elif group.mode == MeetingMode.ONLINE:
        how = _("By phone or video call.")
    else:
        how = _("In person (%(place)s) or by phone, as you like.") % {"place": place}
    return Meeting(
        person=person,
        round=group.round,
        partners=partners,
        when=_when(group.suggested_start),
        how=how,
        starter=conversation_starter(group, members),
        common_time=group.common_time,
    )


def direct_message_lines(group: Group, person: Participant) -> list[Line]:
    """The match as a chat message, in the person's language: the headline, then the
    partners and the meeting's facts. Texts, names included, are escaped by each
    transport; the group's video room stays a link."""
    with translation.override(person.language):
        meeting = meeting_for(group, person)
        lines: list[Line] = [
            _("Kaffeeklatsch, round %(number)s of “%(programme)s”: you meet")
            % {"number": group.round.number, "programme": group.round.programme.name}
        ]
        for partner in meeting.partners:
            contact = "; ".join(partner.contact) or _("contact details not shared")
            lines.append(f"{partner.name} ({contact})")
        if meeting.when:
            lines.append(_("Suggested time: %(when)s") % {"when": meeting.when})
        if meeting.when and not meeting.common_time:
            lines.append(no_common_time_line())
        lines.append(linked(_("How: %(how)s") % {"how": meeting.how}, group.video_url))
        lines.append(_("A question to start with: %(starter)s") % {"starter": meeting.starter})
        return lines


def announcement_lines(rnd: Round) -> list[str]:
    """The round for a shared channel: names only of people who agreed to be named,
    the others as "a participant"; groups with nobody named are only counted."""
    programme = rnd.programme
    groups = list(rnd.groups.prefetch_related("members"))
    with translation.override(programme.language):
        people = sum(len(g.members.all()) for g in groups)
        lines = [
            _(
                "Kaffeeklatsch round %(number)s of “%(programme)s” is out: "
                "%(people)s people meet in %(groups)s groups."
            )
            % {
                "number": rnd.number,
                "programme": programme.name,
                "people": people,
                "groups": len(groups),
            }
        ]
        unnamed = 0
        for group in groups:
            members = list(group.members.all())
            named = [m.name for m in members if m.named_in_channels]
            if not named:
                unnamed += 1
                continue
            others = len(members) - len(named)
            if others == 1:
                named.append(_("a participant"))
            elif others > 1:
                named.append(
                    ngettext("%(count)s participant", "%(count)s participants", others)
                    % {"count": others}
                )
            lines.append(" & ".join(named))
        if unnamed and len(lines) > 1:
            lines.append(
                ngettext("and %(count)s more group", "and %(count)s more groups", unnamed)
                % {"count": unnamed}
            )
        lines.append(_("Have a good conversation! ☕"))
    return lines


def queue_round_messages(rnd: Round) -> int:
    """Writes the jobs that announce a published round, send direct messages and
    reminders; called in the transaction that publishes the round. A round of
    100,000 people may need a reminder for each of its groups: they are written in
    batches, read from the groups as plain rows."""
    programme = rnd.programme
    now = timezone.now()
    jobs = [
        Job(kind="reach_announce", payload={"channel": pk, "round": rnd.pk}, run_at=now)
        for pk in programme.channels.values_list("pk", flat=True)
    ]
    handles = (
        ChatHandle.objects.filter(
            channel__programme=programme,
            participant__groups__round=rnd,
            participant__status=Participant.Status.ACTIVE,
            refused=False,
        )
        .distinct()
        .values_list("pk", "channel_id")
    )
    jobs += [
        Job(
            kind="reach_direct",
            payload={"handle": pk, "channel": channel, "round": rnd.pk},
            run_at=now,
        )
        for pk, channel in handles
    ]
    setting = ReminderSetting.objects.filter(programme=programme, enabled=True).first()
    if setting is not None:
        before = dt.timedelta(hours=setting.hours_before)
        starts = rnd.groups.filter(suggested_start__gt=now).values_list("pk", "suggested_start")
        jobs += [
            Job(kind="reach_reminder", payload={"group": pk}, run_at=max(start - before, now))
            for pk, start in starts
            if start is not None  # excluded by the filter; the column may be empty
        ]
    Job.objects.bulk_create(jobs, batch_size=5000)
    return len(jobs)
