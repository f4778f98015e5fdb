"""A group's calendar entry, and the e-mails that change or cancel it.

Once a round is published its groups' times and places do not change (an organiser
moves people only in a preview). What changes a published group is a member going:
one who leaves the programme, or is erased (by themselves or an organiser). For each
such group whose meeting is still ahead, the entry gets the next SEQUENCE and, of the
members who already have the entry (their introduction is written out),

- the member who left gets ``METHOD:CANCEL`` (an erased member gets nothing: their
  address is erased with them);
- if fewer than two members remain, the group is dissolved and they get the same
  ``METHOD:CANCEL``;
- otherwise the remaining members get the entry again (``METHOD:PUBLISH``), which no
  longer names the one who went, with a SEQUENCE one higher than the cancellation.
  So a calendar shared by one who went and one who stays (which gets both) keeps the
  entry in either order: a calendar ignores a message older than what it holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaffeeklatsch.notifications.compose import conversation_starter, write
from kaffeeklatsch.notifications.dates import date_and_time
from kaffeeklatsch.notifications.ics import CANCEL, PUBLISH, CalendarEntry, calendar_text, group_uid
from kaffeeklatsch.notifications.models import CalendarEvent, OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import MeetingMode
from kaffeeklatsch.rounds.models import Group, Round
from kaffeeklatsch.rounds.places import suggested_place
from kaffeeklatsch.rounds.schedule import MEETING_MINUTES


def attending(members: Collection[Participant], going: Collection[int] = ()) -> list[Participant]:
    """The members who still take part, by name: the ones the entry names."""
    return sorted(
        (m for m in members if m.status != Participant.Status.LEFT and m.pk not in going),
        key=lambda m: (m.name, m.pk),
    )


def _state(group: Group) -> tuple[int, dt.datetime]:
    try:
        event = group.calendar_event
    except CalendarEvent.DoesNotExist:
        return 0, group.round.published_at or timezone.now()
    return event.sequence, event.stamp


def calendar_entry(group: Group, members: Collection[Participant], starter: str) -> CalendarEntry:
    """The group's entry in the active language. ``members`` are the ones it names;
    everything but the words is the same in every member's copy."""
    programme = group.round.programme
    sequence, stamp = _state(group)
    names = ", ".join(m.name for m in members)
    description = "\n".join(
        [
            _("Kaffeeklatsch round %(number)s of %(programme)s.")
            % {"number": group.round.number, "programme": programme.name},
            _("Conversation starter: %(starter)s") % {"starter": starter},
            *group.participant_reasons(translation.get_language()),
        ]
    )
    if group.suggested_start is None:
        raise ValueError(f"group {group.pk} has no suggested time")
    return CalendarEntry(
        uid=group_uid(group.pk),
        sequence=sequence,
        stamp=stamp,
        start=group.suggested_start,
        minutes=MEETING_MINUTES,
        summary=_("Coffee: %(names)s") % {"names": names},
        description=description,
        location=group.video_url
        or suggested_place(group, list(members))
        or str(MeetingMode(group.mode).label),
        url=group.video_url,
    )


def _next_sequence(group: Group) -> None:
    """Raises the group's SEQUENCE by one and stamps it now (the row is locked)."""
    now = timezone.now()
    event, created = CalendarEvent.objects.select_for_update().get_or_create(
        group=group, defaults={"sequence": 1, "stamp": now}
    )
    if not created:
        event.sequence += 1
        event.stamp = now
        event.save(update_fields=["sequence", "stamp"])
    group.calendar_event = event


def _queue(
    group: Group,
    member: Participant,
    names: list[Participant],
    method: str,
    went: bool,
    reporter: Participant | None = None,
) -> None:
    lang = member.language
    with translation.override(lang):
        entry = calendar_entry(group, names, conversation_starter(group, names))
        when = date_and_time(entry.start)
        others = ", ".join(m.name for m in names if m.pk != member.pk)
        if method == CANCEL:
            subject = _("Cancelled: coffee on %(when)s") % {"when": when}
        else:
            subject = _("Changed: coffee on %(when)s") % {"when": when}
    write(
        OutboxMessage.Kind.CALENDAR,
        member,
        member.email,
        lang,
        "calendar_cancel" if method == CANCEL else "calendar_update",
        {
            "participant": member,
            "programme": group.round.programme,
            "when": when,
            "others": others,
            "went": went,
            "reporter": reporter.name if reporter is not None else "",
            "reported_by_you": reporter is not None and reporter.pk == member.pk,
        },
        subject,
        ics=calendar_text(entry, method),
    )


def _introduced(group: Group) -> set[int]:
    """The members whose introduction to the group is written out (sent or about to
    be): they have the entry. One whose introduction is not rendered yet gets it as
    it is when it is sent, and no change."""
    return set(
        OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION, group=group)
        .exclude(OutboxMessage.not_rendered())
        .values_list("participant_id", flat=True)
    )


def queue_calendar_changes(going: Collection[int], tell_going: bool) -> int:
    """Writes the calendar changes of the people ``going`` leaving their groups whose
    meeting is still ahead (see the module's docstring); ``tell_going`` is false when
    they are erased. Call before they are erased, in the same transaction. Returns
    how many e-mails were written."""
    going = set(going)
    if not going:
        return 0
    ahead = Group.objects.filter(
        round__status=Round.Status.PUBLISHED,
        suggested_start__gt=timezone.now(),
        members__in=going,
    ).values_list("pk", flat=True)
    count = 0
    with transaction.atomic():
        # The groups are locked before their members are read: two people leaving one
        # group at once (SCIM deprovisions in parallel) are then told one after the
        # other, the second seeing that the first has gone.
        locked = list(
            Group.objects.select_for_update()
            .filter(pk__in=list(ahead.distinct()))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        groups = (
            Group.objects.filter(pk__in=locked)
            .order_by("pk")
            .select_related("round__programme")
            .prefetch_related("members")
        )
        for group in groups:
            members = list(group.members.all())
            before = attending(members)
            remaining = attending(members, going)
            if len(remaining) == len(before) or len(before) < 2:
                # Those going had left already, or the group was dissolved before:
                # the change was sent then.
                continue
            told = _introduced(group)
            _next_sequence(group)
            leavers = [m for m in before if m.pk in going] if tell_going else []
            for member in leavers:
                if member.pk in told and member.reached_by_email:
                    _queue(group, member, before, CANCEL, went=True)
                    count += 1
            dissolved = len(remaining) < 2
            if not dissolved:
                # One more than the cancellation: where both reach one calendar, the
                # entry stays whichever arrives first (the lower one is stale then).
                _next_sequence(group)
            for member in remaining:
                if member.pk in told and member.reached_by_email:
                    if dissolved:
                        # The erased are named nowhere any more.
                        _queue(group, member, before if tell_going else remaining, CANCEL, False)
                    else:
                        _queue(group, member, remaining, PUBLISH, went=False)
                    count += 1
    return count


def cancel_for_leaving(participant: Participant, **kwargs: object) -> None:
    """Receives :data:`kaffeeklatsch.participants.signals.leaving`: the calendar
    changes of a person leaving the programme, written in their leaving's
    transaction."""
    queue_calendar_changes([participant.pk], tell_going=True)


def cancel_meeting(group: Group, reporter: Participant) -> int:
    """Someone of the group said "we cannot meet": the meeting, if still ahead, is
    cancelled in the calendars of everyone who has the entry (METHOD:CANCEL, the next
    SEQUENCE). Call once, when the group's first such answer is recorded. Returns how
    many e-mails were written."""
    count = 0
    with transaction.atomic():
        locked = (
            Group.objects.select_for_update()
            .filter(pk=group.pk, suggested_start__gt=timezone.now())
            .values_list("pk", flat=True)
        )
        if not list(locked):
            return 0
        group = (
            Group.objects.select_related("round__programme")
            .prefetch_related("members")
            .get(pk=group.pk)
        )
        members = attending(list(group.members.all()))
        if len(members) < 2:
            return 0  # dissolved before: its members were told then
        told = _introduced(group)
        _next_sequence(group)
        for member in members:
            if member.pk in told and member.reached_by_email:
                _queue(group, member, members, CANCEL, went=False, reporter=reporter)
                count += 1
    return count
