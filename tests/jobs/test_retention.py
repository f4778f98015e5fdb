"""The worker erases what the retention settings no longer allow to keep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.registry import erase_expired
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from tests.support.web import sign_in_participant

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def age(model: Any, pk: int, days: int, field: str = "created_at") -> None:
    model.objects.filter(pk=pk).update(**{field: timezone.now() - dt.timedelta(days=days)})


def test_people_who_left_are_erased_after_the_retention_period(
    client: Any, programme: Any, make_participant: Any, settings: Any
) -> None:
    settings.RETENTION_LEFT_DAYS = 90
    leaver = make_participant(programme, "Leaver")
    stayer = make_participant(programme, "Stayer")
    sign_in_participant(client, leaver)
    client.post(reverse("participants:leave"))
    leaver.refresh_from_db()
    assert leaver.left_at is not None
    assert erase_expired() == 0
    age(Participant, leaver.pk, 91, "left_at")
    assert erase_expired() == 1
    assert list(Participant.objects.all()) == [stayer]


def test_unconfirmed_sign_ups_are_erased_but_people_added_by_organisers_stay(
    programme: Any, make_participant: Any, settings: Any
) -> None:
    settings.RETENTION_UNCONFIRMED_DAYS = 14
    unconfirmed = make_participant(programme, status=Participant.Status.PENDING)
    added = make_participant(programme, status=Participant.Status.PENDING, added_by_organiser=True)
    fresh = make_participant(programme, status=Participant.Status.PENDING)
    for person in (unconfirmed, added):
        age(Participant, person.pk, 15)
    erase_expired()
    assert set(Participant.objects.all()) == {added, fresh}


def test_old_emails_and_jobs_are_erased_but_pending_ones_are_kept(settings: Any) -> None:
    settings.RETENTION_EMAIL_DAYS = 30
    now = timezone.now()
    rows = {
        status: OutboxMessage.objects.create(
            kind="link",
            to="a@example.org",
            subject="s",
            body_text="t",
            next_attempt_at=now,
            status=status,
        )
        for status in ("sent", "failed", "pending")
    }
    done = Job.objects.create(kind="x", run_at=now, status="done")
    waiting = Job.objects.create(kind="x", run_at=now)
    for row in rows.values():
        age(OutboxMessage, row.pk, 31)
    age(Job, done.pk, 31)
    age(Job, waiting.pk, 31)
    assert erase_expired() == 3
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["pending"]
    assert list(Job.objects.all()) == [waiting]
