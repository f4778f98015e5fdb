"""An organiser adds a person: from the people page or through the REST API."""

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
