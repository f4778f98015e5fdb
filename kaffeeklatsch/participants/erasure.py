"""Erasing people: everything stored about them goes, their groups stay.

A group they were in keeps their place as "a former participant" (so the others'
history and the round's figures stay true) and nothing else: the rows about them
(feedback, blocks, chat handles, e-mails to them, being left out of a round) are
deleted with them, and the e-mails to the people they met no longer name them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext

from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.insights.models import Snapshot
from kaffeeklatsch.notifications.calendar import queue_calendar_changes
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Group
from kaffeeklatsch.rounds.vectors import forget as forget_terms


def erase_people(people: QuerySet[Participant]) -> int:
    """Erases these participants; returns how many."""
    with transaction.atomic():
        chosen = list(people.select_for_update())
        if not chosen:
            return 0
        ids = [p.pk for p in chosen]
        through = Group.members.through
        per_group = (
            through.objects.filter(participant_id__in=ids)
            .values("group_id")
            .annotate(n=Count("id"))
        )
        for row in per_group:
            Group.objects.filter(pk=row["group_id"]).update(
                former_members=F("former_members") + row["n"]
            )
        partners = set(
            through.objects.filter(group_id__in=[r["group_id"] for r in per_group])
            .exclude(participant_id__in=ids)
            .values_list("participant_id", flat=True)
        )
        _redact_messages(chosen, partners, [r["group_id"] for r in per_group])
        # What was made from them: figures kept for the insights, prepared files.
        programmes = {p.programme_id for p in chosen}
        Snapshot.objects.filter(programme__in=programmes).delete()
        Download.objects.filter(programme__in=programmes).delete()
        # The others of their meetings still ahead get the changed or cancelled
        # calendar entry; the erased get nothing, their addresses go with them.
        queue_calendar_changes(ids, tell_going=False)
        # The kept meanings of what they wrote as their interests.
        forget_terms(term for p in chosen for term in p.interests or ())
        Participant.objects.filter(pk__in=ids).delete()
    return len(ids)


def erase_participant(participant: Participant) -> None:
    erase_people(Participant.objects.filter(pk=participant.pk))


def _redact_messages(erased: list[Participant], partners: set[int], groups: list[int]) -> None:
    """The introductions and questions to the people they met name them (and show
    their profile). Such an e-mail still waiting to go out is dropped, and so is one
    about their groups that is not rendered yet (it would be rendered without them);
    the kept copy of one already sent loses its text, keeping only when and to whom
    it went."""
    OutboxMessage.objects.filter(
        OutboxMessage.not_rendered(), participant_id__in=partners, group_id__in=groups
    ).delete()
    names = [value for p in erased for value in (p.name, p.email) if value]
    if not names:
        return
    mention = Q()
    for value in names:
        mention |= Q(subject__contains=value) | Q(body_text__contains=value)
    found = OutboxMessage.objects.filter(participant_id__in=partners).filter(mention)
    found.filter(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]).delete()
    for message in found.select_related("participant"):
        lang = message.participant.language if message.participant else None
        with translation.override(lang):
            message.subject = gettext("(text removed)")
            message.body_text = gettext(
                "The text of this e-mail was removed because it named a participant who "
                "has since erased their data."
            )
        message.body_html = message.ics = ""
        message.reply_to = []
        message.save(update_fields=["subject", "body_text", "body_html", "ics", "reply_to"])


def erase_expired(now: dt.datetime) -> int:
    """People who left the programme (after ``RETENTION_LEFT_DAYS``) and sign-ups never
    confirmed (after ``RETENTION_UNCONFIRMED_DAYS``); returns how many were erased."""
    left = now - dt.timedelta(days=settings.RETENTION_LEFT_DAYS)
    unconfirmed = now - dt.timedelta(days=settings.RETENTION_UNCONFIRMED_DAYS)
    erased = erase_people(
        Participant.objects.filter(status=Participant.Status.LEFT, left_at__lt=left)
    )
    return erased + erase_people(
        Participant.objects.filter(
            status=Participant.Status.PENDING,
            added_by_organiser=False,
            created_at__lt=unconfirmed,
        )
    )
