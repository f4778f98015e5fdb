"""Writing an e-mail into the outbox, and the question that opens a group's
conversation: shared by the e-mails of :mod:`~kaffeeklatsch.notifications.emails`,
the calendar changes of :mod:`~kaffeeklatsch.notifications.calendar` and the
reminders of the reach app."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import unsubscribe_url
from kaffeeklatsch.programmes.kinds import defaults
from kaffeeklatsch.rounds.models import Group


@dataclass(frozen=True)
class Rendered:
    """An e-mail's subject, bodies, reply-to and calendar invitation."""

    subject: str
    body_text: str
    body_html: str
    reply_to: list[str] = field(default_factory=list)
    ics: str = ""


def render(
    lang: str,
    template: str,
    context: dict[str, Any],
    subject: str,
    reply_to: list[str] | None = None,
    ics: str = "",
) -> Rendered:
    with translation.override(lang):
        context = {**context, "base_url": settings.BASE_URL, "LANGUAGE_CODE": lang}
        participant = context.get("participant")
        if isinstance(participant, Participant):
            # Besides the List-Unsubscribe header: a way out the reader can see.
            context["unsubscribe_url"] = unsubscribe_url(participant)
        text: str = render_to_string(f"notifications/email/{template}.txt", context)
        html = render_to_string(f"notifications/email/{template}.html", context)
        if "unsubscribe_url" in context:
            text = "{}\n\n-- \n{}\n".format(
                text.rstrip("\n"),
                _("To get no more e-mails, leave the programme: %(url)s")
                % {"url": context["unsubscribe_url"]},
            )
    return Rendered(str(subject), text, html, reply_to or [], ics)


def write(
    kind: str,
    participant: Participant | None,
    to: str,
    lang: str,
    template: str,
    context: dict[str, Any],
    subject: str,
    reply_to: list[str] | None = None,
    ics: str = "",
) -> OutboxMessage:
    """Renders an e-mail into the outbox."""
    rendered = render(lang, template, context, subject, reply_to, ics)
    return OutboxMessage.objects.create(
        kind=kind,
        participant=participant,
        to=to,
        next_attempt_at=timezone.now(),
        **asdict(rendered),
    )


def conversation_starter(group: Group, members: list[Participant]) -> str:
    """The question that opens a group's conversation, in the active language: from
    an interest they share, else one of the set of the programme's kind."""
    return _starter(group, _shared_interests(members), group.round.programme.kind)


def _starter(group: Group, shared: list[str], kind: str) -> str:
    if shared:
        return _("You both mentioned “%(interest)s”. What got you into it?") % {
            "interest": shared[0]
        }
    starters = defaults(kind).starters
    return str(starters[group.pk % len(starters)])


def _shared_interests(members: list[Participant]) -> list[str]:
    if not members:
        return []
    common = {i.lower() for i in members[0].interests}
    for member in members[1:]:
        common &= {i.lower() for i in member.interests}
    return [i for i in members[0].interests if i.lower() in common]
