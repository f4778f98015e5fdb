"""A person joins or leaves: from the pages, the e-mail links and the REST API."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.notifications.emails import queue_confirmation, queue_welcome
from kaffeeklatsch.participants.forms import OrganiserParticipantForm
from kaffeeklatsch.participants.models import Participant


def add_participant(form: OrganiserParticipantForm) -> Participant:
    """Stores the person of a valid form and queues their welcome (active) or their
    confirmation link (pending), in one transaction."""
    with transaction.atomic():
        participant = form.save(commit=False)
        participant.added_by_organiser = True
        if participant.status == Participant.Status.ACTIVE:
            participant.confirmed_at = timezone.now()
        participant.save()
        if participant.email and participant.status == Participant.Status.ACTIVE:
            queue_welcome(participant)
        elif participant.email and participant.status == Participant.Status.PENDING:
            queue_confirmation(participant)
    return participant


@transaction.atomic
def leave(participant: Participant) -> bool:
    """The person leaves the programme, as when they leave on their own page, and
    their meetings still ahead are cancelled (see
    :mod:`kaffeeklatsch.notifications.calendar`); false if they had left already, in
    which case nothing changes."""
    from kaffeeklatsch.notifications.calendar import queue_calendar_changes

    locked = Participant.objects.select_for_update().get(pk=participant.pk)
    if locked.status == Participant.Status.LEFT:
        return False
    queue_calendar_changes([participant.pk], tell_going=True)
    participant.status = Participant.Status.LEFT
    participant.left_at = timezone.now()
    participant.save(update_fields=["status", "left_at"])
    return True
