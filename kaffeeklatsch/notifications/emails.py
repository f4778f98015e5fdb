"""Every e-mail Kaffeeklatsch sends, rendered in the recipient's language into the outbox.

Nothing here talks to a mail server: functions write :class:`OutboxMessage` rows, and
the worker sends them (see :mod:`.transport`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaffeeklatsch.matching.languages import language_name
from kaffeeklatsch.notifications.ics import meeting_invitation, uid_domain
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import absolute, confirm_url, feedback_url, sign_in_url
from kaffeeklatsch.programmes.models import MeetingMode, Programme
from kaffeeklatsch.rounds.models import Group, Round
from kaffeeklatsch.rounds.schedule import MEETING_MINUTES

# Rows written to the outbox in one statement when a round is published.
BATCH = 1000

STARTERS = [
    gettext_lazy("What did you want to become as a child — and what do you do today?"),
    gettext_lazy("Which part of your work would you like others to know more about?"),
    gettext_lazy("What has made your work easier recently?"),
    gettext_lazy("Which place in your town would you show a visitor?"),
    gettext_lazy("What are you looking forward to in the next few weeks?"),
    gettext_lazy("What is something you learned from a colleague?"),
]


def _write(
    kind: str,
    participant: Participant | None,
    to: str,
    lang: str,
    template: str,
    context: dict[str, Any],
    subject: str,
    reply_to: list[str] | None = None,
    ics: str = "",
    save: bool = True,
) -> OutboxMessage:
    """Renders an e-mail into the outbox (or, with ``save=False``, into an unsaved row
    for the caller to store with many others at once)."""
    with translation.override(lang):
        context = {**context, "base_url": settings.BASE_URL, "LANGUAGE_CODE": lang}
        text = render_to_string(f"notifications/email/{template}.txt", context)
        html = render_to_string(f"notifications/email/{template}.html", context)
        message = OutboxMessage(
            kind=kind,
            participant=participant,
            to=to,
            reply_to=reply_to or [],
            subject=str(subject),
            body_text=text,
            body_html=html,
            ics=ics,
            next_attempt_at=timezone.now(),
        )
    if save:
        message.save()
    return message


def queue_confirmation(participant: Participant) -> OutboxMessage:
    with translation.override(participant.language):
        subject = _("Please confirm: %(programme)s") % {"programme": participant.programme.name}
    return _write(
        OutboxMessage.Kind.CONFIRM,
        participant,
        participant.email,
        participant.language,
        "confirm",
        {"participant": participant, "url": confirm_url(participant)},
        subject,
    )


def queue_welcome(participant: Participant) -> OutboxMessage:
    with translation.override(participant.language):
        subject = _("You were added to %(programme)s") % {"programme": participant.programme.name}
    return _write(
        OutboxMessage.Kind.WELCOME,
        participant,
        participant.email,
        participant.language,
        "welcome",
        {"participant": participant, "url": sign_in_url(participant)},
        subject,
    )


def queue_sign_in_link(participant: Participant) -> OutboxMessage:
    with translation.override(participant.language):
        subject = _("Your link to %(programme)s") % {"programme": participant.programme.name}
    return _write(
        OutboxMessage.Kind.LINK,
        participant,
        participant.email,
        participant.language,
        "link",
        {"participant": participant, "url": sign_in_url(participant)},
        subject,
    )


def queue_organiser_invitation(
    user: AbstractBaseUser, programme: Programme, inviter: AbstractBaseUser, url: str, lang: str
) -> OutboxMessage:
    with translation.override(lang):
        subject = _("You are now co-organising %(programme)s") % {"programme": programme.name}
    return _write(
        OutboxMessage.Kind.ORGANISER,
        None,
        user.email,
        lang,
        "organiser",
        {"user": user, "programme": programme, "inviter": inviter, "url": url},
        subject,
    )


def conversation_starter(group: Group, members: list[Participant]) -> str:
    """The question that opens a group's conversation, in the active language."""
    return _starter(group, _shared_interests(members))


def partner_contact(other: Participant) -> dict[str, str]:
    """What a partner may learn about ``other`` besides the name: only what ``other``
    agreed to share."""
    return {"email": other.shared_email, "phone": other.shared_phone}


def _starter(group: Group, shared: list[str]) -> str:
    if shared:
        return _("You both mentioned “%(interest)s”. What got you into it?") % {
            "interest": shared[0]
        }
    return str(STARTERS[group.pk % len(STARTERS)])


def _shared_interests(members: list[Participant]) -> list[str]:
    if not members:
        return []
    common = {i.lower() for i in members[0].interests}
    for member in members[1:]:
        common &= {i.lower() for i in member.interests}
    return [i for i in members[0].interests if i.lower() in common]


def _introduction(
    group: Group, member: Participant, members: list[Participant], save: bool = True
) -> OutboxMessage:
    programme = group.round.programme
    lang = member.language
    others = [m for m in members if m.pk != member.pk]
    with translation.override(lang):
        zone = timezone.get_default_timezone()
        start = group.suggested_start.astimezone(zone) if group.suggested_start else None
        starter = conversation_starter(group, members)
        mode_label = str(MeetingMode(group.mode).label)
        context = {
            "participant": member,
            "programme": programme,
            "round": group.round,
            "others": [
                {
                    "person": o,
                    "languages": ", ".join(language_name(c, lang) for c in o.languages),
                    **partner_contact(o),
                }
                for o in others
            ],
            "reasons": group.reason_texts(lang),
            "starter": starter,
            "start": start,
            "minutes": MEETING_MINUTES,
            "mode": mode_label,
            "online": group.mode != MeetingMode.IN_PERSON,
            "video_url": group.video_url,
            "page_url": sign_in_url(member),
        }
        names = ", ".join(o.name for o in others)
        reply_to = [o.shared_email for o in others if o.shared_email]
        context["reply_to"] = reply_to
        subject = _("Kaffeeklatsch: you meet %(names)s") % {"names": names}
        ics = ""
        if start is not None:
            description = "\n".join(
                [
                    _("Kaffeeklatsch round %(number)s of %(programme)s.")
                    % {"number": group.round.number, "programme": programme.name},
                    _("Conversation starter: %(starter)s") % {"starter": starter},
                    *context["reasons"],
                ]
            )
            ics = meeting_invitation(
                uid=f"group-{group.pk}@{uid_domain()}",
                start=start,
                minutes=MEETING_MINUTES,
                summary=_("Coffee with %(names)s") % {"names": names},
                description=description,
                location=group.video_url or mode_label,
                attendees=[
                    (m.name, m.email if m.pk == member.pk else m.shared_email)
                    for m in members
                    if (m.email if m.pk == member.pk else m.shared_email)
                ],
                url=group.video_url,
            )
    return _write(
        OutboxMessage.Kind.INTRODUCTION,
        member,
        member.email,
        lang,
        "introduction",
        context,
        subject,
        reply_to=reply_to,
        ics=ics,
        save=save,
    )


def queue_introductions(rnd: Round) -> int:
    """One introduction per person reached by e-mail in every group of the round; the
    organiser tells the others by letter or phone (see :mod:`kaffeeklatsch.reach`)."""
    count = 0
    batch: list[OutboxMessage] = []
    for group in rnd.groups.select_related("round__programme").prefetch_related("members"):
        members = list(group.members.all())
        for member in members:
            if member.reached_by_email:
                batch.append(_introduction(group, member, members, save=False))
                count += 1
        if len(batch) >= BATCH:
            OutboxMessage.objects.bulk_create(batch)
            batch = []
    OutboxMessage.objects.bulk_create(batch)
    return count


def queue_feedback_requests(rnd: Round) -> int:
    """ "Did you meet?" for everyone in the round who has not answered yet."""
    count = 0
    for group in rnd.groups.prefetch_related("members", "feedback"):
        answered = {f.participant_id for f in group.feedback.all()}
        members = list(group.members.all())
        for member in members:
            if not member.reached_by_email or member.pk in answered:
                continue
            if member.status != Participant.Status.ACTIVE:
                continue
            lang = member.language
            with translation.override(lang):
                names = ", ".join(o.name for o in members if o.pk != member.pk)
                subject = _("Did you meet %(names)s?") % {"names": names}
            _write(
                OutboxMessage.Kind.FEEDBACK,
                member,
                member.email,
                lang,
                "feedback",
                {
                    "participant": member,
                    "programme": rnd.programme,
                    "names": names,
                    "yes_url": feedback_url(group.pk, member.pk, True),
                    "no_url": feedback_url(group.pk, member.pk, False),
                },
                subject,
            )
            count += 1
    return count


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(timezone.get_default_timezone()) if value else None


__all__ = [
    "absolute",
    "queue_confirmation",
    "queue_feedback_requests",
    "queue_introductions",
    "queue_organiser_invitation",
    "queue_sign_in_link",
    "queue_welcome",
]
