"""The kinds of background work."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from kaffeeklatsch.jobs.queue import handler

log = logging.getLogger(__name__)


@handler("feedback_request")
def feedback_request(payload: dict[str, Any]) -> None:
    from kaffeeklatsch.notifications.emails import queue_feedback_requests
    from kaffeeklatsch.rounds.models import Round

    rnd = Round.objects.filter(pk=payload["round"], status=Round.Status.PUBLISHED).first()
    if rnd is not None:
        queue_feedback_requests(rnd)


def start_due_rounds() -> int:
    """Starts and publishes every automatic round that is due; returns how many."""
    from kaffeeklatsch.programmes.models import Programme
    from kaffeeklatsch.rounds.publish import run_automatic_round

    started = 0
    due = Programme.objects.filter(automatic=True, next_round_on__lte=timezone.localdate())
    for programme in due:
        try:
            if run_automatic_round(programme) is not None:
                started += 1
        except Exception:  # noqa: BLE001 - one broken programme must not stop the others
            log.exception("automatic round of programme %s failed", programme.pk)
    return started


def erase_expired() -> int:
    """Erases what the retention settings no longer allow to keep; returns how many rows.

    People who left the programme (after ``RETENTION_LEFT_DAYS``), sign-ups never
    confirmed (after ``RETENTION_UNCONFIRMED_DAYS``), and sent or failed e-mails,
    finished jobs and finished round tasks (after ``RETENTION_EMAIL_DAYS``), since
    these hold personal data too.
    """
    import datetime as dt

    from django.conf import settings

    from kaffeeklatsch.downloads import tasks as downloads
    from kaffeeklatsch.front.ratelimit import forget_expired
    from kaffeeklatsch.insights.models import Snapshot
    from kaffeeklatsch.jobs.models import Job
    from kaffeeklatsch.notifications.models import OutboxMessage
    from kaffeeklatsch.participants.erasure import erase_people
    from kaffeeklatsch.participants.models import Participant
    from kaffeeklatsch.rounds.models import RoundTask

    now = timezone.now()

    def before(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    erased = 0
    erased += erase_people(
        Participant.objects.filter(
            status=Participant.Status.LEFT, left_at__lt=before(settings.RETENTION_LEFT_DAYS)
        )
    )
    erased += erase_people(
        Participant.objects.filter(
            status=Participant.Status.PENDING,
            added_by_organiser=False,
            created_at__lt=before(settings.RETENTION_UNCONFIRMED_DAYS),
        )
    )
    erased += (
        OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED]
        )
        .filter(created_at__lt=before(settings.RETENTION_EMAIL_DAYS))
        .delete()[0]
    )
    erased += forget_expired()
    erased += (
        Job.objects.exclude(status=Job.Status.PENDING)
        .filter(created_at__lt=before(settings.RETENTION_EMAIL_DAYS))
        .delete()[0]
    )
    erased += downloads.erase_expired(now)
    erased += Snapshot.objects.filter(computed_at__lt=before(1)).delete()[0]
    # Finished round tasks: a failed publication names the people it found.
    erased += (
        RoundTask.objects.exclude(status__in=RoundTask.ACTIVE)
        .filter(created_at__lt=before(settings.RETENTION_EMAIL_DAYS))
        .delete()[0]
    )
    return erased
