"""Every e-mail Kaffeeklatsch sends, rendered in the recipient's language.

Nothing here talks to a mail server: functions write :class:`OutboxMessage` rows, and
the worker sends them (see :mod:`.transport`). Most e-mails are rendered into the row
at once; the e-mails of a round, one per person, are written as light rows in one
statement and rendered by the worker when it sends them (:func:`render_messages`),
so that publishing a round of many people stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaffeeklatsch.lib.fields import model_field
from kaffeeklatsch.lib.names import NameOrder
from kaffeeklatsch.matching.languages import language_name
from kaffeeklatsch.notifications.calendar import attending, calendar_entry
from kaffeeklatsch.notifications.compose import Rendered, conversation_starter, render, write
from kaffeeklatsch.notifications.dates import date_and_time
from kaffeeklatsch.notifications.ics import PUBLISH, calendar_text
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import (
    absolute,
    confirm_url,
    feedback_url,
    sign_in_url,
)
from kaffeeklatsch.programmes.models import MeetingMode, OrganiserInvitation
from kaffeeklatsch.rounds.models import Feedback, Group, Round
from kaffeeklatsch.rounds.places import suggested_place
from kaffeeklatsch.rounds.schedule import MEETING_MINUTES


def queue_confirmation(participant: Participant, template: str = "confirm") -> OutboxMessage:
    """The e-mail with the link to confirm taking part; ``template`` says why the
    person is asked (they signed up themselves, or their organisation added them)."""
    with translation.override(participant.language):
        subject = _("Please confirm: %(programme)s") % {"programme": participant.programme.name}
    return write(
        OutboxMessage.Kind.CONFIRM,
        participant,
        participant.email,
        participant.language,
        template,
        {"participant": participant, "url": confirm_url(participant)},
        subject,
    )


def queue_welcome(participant: Participant) -> OutboxMessage:
    with translation.override(participant.language):
        subject = _("You were added to %(programme)s") % {"programme": participant.programme.name}
    return write(
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
    return write(
        OutboxMessage.Kind.LINK,
        participant,
        participant.email,
        participant.language,
        "link",
        {"participant": participant, "url": sign_in_url(participant)},
        subject,
    )


def queue_come_back_link(participant: Participant) -> OutboxMessage:
    """The link for someone who left and asked to take part again: confirming it
    makes them active again with their profile as it was."""
    with translation.override(participant.language):
        subject = _("Come back to %(programme)s") % {"programme": participant.programme.name}
    return write(
        OutboxMessage.Kind.LINK,
        participant,
        participant.email,
        participant.language,
        "come_back",
        {"participant": participant, "url": sign_in_url(participant)},
        subject,
    )


def queue_organiser_invitation(
    invitation: OrganiserInvitation, url: str, password_url: str, lang: str
) -> OutboxMessage:
    """The e-mail inviting an account to co-organise a programme: ``url`` opens the
    invitation (accepted or declined there, signed in); ``password_url``, for an
    account without a password yet, sets one first."""
    programme = invitation.programme
    with translation.override(lang):
        subject = _("Invitation to co-organise %(programme)s") % {"programme": programme.name}
    return write(
        OutboxMessage.Kind.ORGANISER,
        None,
        invitation.user.email,
        lang,
        "organiser",
        {
            "user": invitation.user,
            "programme": programme,
            "inviter": invitation.invited_by,
            "url": url,
            "password_url": password_url,
            "expires_at": invitation.expires_at,
        },
        subject,
    )


def partner_contact(other: Participant) -> dict[str, str]:
    """What a partner may learn about ``other`` besides the name: only what ``other``
    agreed to share."""
    return {"email": other.shared_email, "phone": other.shared_phone}


def _introduction(group: Group, member: Participant, members: list[Participant]) -> Rendered:
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
                    # Only the answers to the questions this programme asks.
                    "details": ", ".join(o.answers(programme)),
                    "place": o.place if programme.asks("place") else "",
                    "interests": o.interests if programme.asks("interests") else [],
                    "languages": ", ".join(language_name(c, lang) for c in o.languages),
                    **partner_contact(o),
                }
                for o in others
            ],
            "reasons": group.participant_reasons(lang),
            "starter": starter,
            "start": start,
            "minutes": MEETING_MINUTES,
            "mode": mode_label,
            "place": suggested_place(group, members),
            "common_time": group.common_time,
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
            context["when"] = date_and_time(start)
            entry = calendar_entry(group, attending(members), starter)
            ics = calendar_text(entry, PUBLISH)
    return render(lang, "introduction", context, subject, reply_to=reply_to, ics=ics)


def _feedback_request(group: Group, member: Participant, members: list[Participant]) -> Rendered:
    lang = member.language
    with translation.override(lang):
        names = ", ".join(o.name for o in members if o.pk != member.pk)
        subject = _("Did you meet %(names)s?") % {"names": names}
    context = {
        "participant": member,
        "programme": group.round.programme,
        "names": names,
        "yes_url": feedback_url(group.pk, member.pk, True),
        "no_url": feedback_url(group.pk, member.pk, False),
    }
    return render(lang, "feedback", context, subject)


# The e-mails of a round: written as light rows, rendered when they are sent.
_ROUND_EMAILS: dict[str, Callable[[Group, Participant, list[Participant]], Rendered]] = {
    OutboxMessage.Kind.INTRODUCTION: _introduction,
    OutboxMessage.Kind.FEEDBACK: _feedback_request,
}


def _queue(kind: str, memberships: QuerySet[Any, Any]) -> int:
    """One light row of ``kind`` per row of ``memberships`` (a query of the group
    memberships, in the order the rows are to be sent), in one ``INSERT ... SELECT``:
    the database copies the rows, none of them passes through Python."""
    meta = OutboxMessage._meta
    now = timezone.now()
    # Every other column as a new row has it: defaults, and the times of now.
    light = OutboxMessage(kind=kind, next_attempt_at=now, created_at=now)
    fixed = [
        f
        for f in meta.concrete_fields
        if not f.primary_key and f.name not in ("group", "participant", "to")
    ]
    alias = router.db_for_write(OutboxMessage)
    source = (
        memberships.using(alias)
        .annotate(**{f"_{f.name}": Value(getattr(light, f.attname), output_field=f) for f in fixed})
        .values_list(
            "group_id", "participant_id", "participant__email", *(f"_{f.name}" for f in fixed)
        )
    )
    connection = connections[alias]
    select, params = source.query.get_compiler(connection=connection).as_sql()
    columns = [model_field(OutboxMessage, name) for name in ("group", "participant", "to")] + fixed
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in columns)
    # A savepoint of its own: when the database refuses the rows (a second
    # introduction), the caller's transaction stays usable and nothing is written.
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({names}) {select}", params)
        return cursor.rowcount


def _memberships(rnd: Round) -> QuerySet[Any, Any]:
    """The round's members reached by e-mail (see :attr:`Participant.reached_by_email`)."""
    return Group.members.through.objects.filter(group__round=rnd).filter(
        Participant.reached_by_email_filter("participant__")
    )


def queue_introductions(rnd: Round) -> int:
    """One introduction per person reached by e-mail in every group of the round; the
    organiser tells the others by letter or phone (see :mod:`kaffeeklatsch.reach`).

    The rows only name the group and the person: the worker renders each e-mail when
    it sends it (:func:`render_messages`). The database refuses a second introduction
    of a person for the same group, so queueing a round twice fails and writes nothing.
    """
    return _queue(
        OutboxMessage.Kind.INTRODUCTION,
        _memberships(rnd).order_by("group_id", NameOrder("participant__name"), "participant_id"),
    )


def queue_feedback_requests(rnd: Round) -> int:
    """ "Did you meet?" for everyone in the round who takes part, is reached by e-mail
    and has not answered yet; rendered when sent, as introductions are."""
    answered = Feedback.objects.filter(
        group_id=OuterRef("group_id"), participant_id=OuterRef("participant_id")
    )
    return _queue(
        OutboxMessage.Kind.FEEDBACK,
        _memberships(rnd)
        .filter(participant__status=Participant.Status.ACTIVE)
        .exclude(Exists(answered))
        .order_by("group_id", NameOrder("participant__name"), "participant_id"),
    )


@dataclass
class RenderResult:
    rendered: list[OutboxMessage] = field(default_factory=list)
    failed: list[tuple[OutboxMessage, Exception]] = field(default_factory=list)


def render_messages(messages: Sequence[OutboxMessage]) -> RenderResult:
    """Renders, in place, the messages of a round that are not rendered yet, from the
    group, its round, programme and members as they are now, in the recipient's
    language. Two queries whatever the number of messages; nothing is stored.

    A message that cannot be rendered is returned in ``failed`` with its error and
    left as it was; the others are not affected.
    """
    todo = [m for m in messages if not m.rendered]
    result = RenderResult()
    if not todo:
        return result
    groups = (
        Group.objects.select_related("round__programme", "calendar_event")
        .prefetch_related("members")
        .in_bulk({m.group_id for m in todo})
    )
    for message in todo:
        try:
            group = groups[message.group_id]
            members = list(group.members.all())
            recipient = next((m for m in members if m.pk == message.participant_id), None)
            if recipient is None:
                raise LookupError(f"participant {message.participant_id} is not in the group")
            rendered = _ROUND_EMAILS[message.kind](group, recipient, members)
        except Exception as exc:  # noqa: BLE001 - one broken e-mail must not stop the others
            result.failed.append((message, exc))
            continue
        for name, value in asdict(rendered).items():
            setattr(message, name, value)
        result.rendered.append(message)
    return result


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
    "render_messages",
]
