"""The ``worker`` command: outbox sending, jobs, automatic rounds."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import enqueue, run_one
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.notifications.transport import send_one
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round

pytestmark = pytest.mark.database


def outbox_row(to: str = "someone@example.org", **fields: Any) -> OutboxMessage:
    fields.setdefault("next_attempt_at", timezone.now())
    return OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.LINK, to=to, subject="Hello", body_text="Text", **fields
    )


@pytest.mark.django_db
def test_worker_once_sends_the_outbox(smtp: Any) -> None:
    outbox_row("a@example.org")
    outbox_row("b@example.org")
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "e-mails sent: 2" in out.getvalue()
    assert sorted(str(m["To"]) for m in smtp.messages) == ["a@example.org", "b@example.org"]
    call_command("worker", "--once", stdout=StringIO())
    assert len(smtp.messages) == 2


@pytest.mark.django_db
def test_a_refusing_mail_server_means_retry_with_back_off(smtp: Any) -> None:
    row = outbox_row()
    smtp.refuse = True
    assert send_one() is True
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.PENDING
    assert row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert send_one() is False  # not due yet
    smtp.refuse = False
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert send_one() is True
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT and row.attempts == 2
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_an_unreachable_mail_server_gives_up_after_many_attempts(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    row = outbox_row()
    for _ in range(8):
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        send_one()
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.FAILED and row.attempts == 8


@pytest.mark.django_db
def test_jobs_run_when_due_and_failures_are_retried() -> None:
    later = enqueue("feedback_request", {"round": 1}, run_at=timezone.now() + dt.timedelta(days=1))
    broken = enqueue("no_such_kind", {})
    assert run_one() is True
    broken.refresh_from_db()
    assert broken.status == Job.Status.PENDING and broken.attempts == 1
    assert broken.run_at > timezone.now() and "no_such_kind" in broken.last_error
    assert run_one() is False  # the other job is not due
    later.refresh_from_db()
    assert later.status == Job.Status.PENDING and later.attempts == 0
    for _ in range(4):
        Job.objects.filter(pk=broken.pk).update(run_at=timezone.now())
        run_one()
    broken.refresh_from_db()
    assert broken.status == Job.Status.FAILED and broken.attempts == 5


@pytest.mark.django_db
def test_the_feedback_job_asks_everyone_who_has_not_answered(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    from kaffeeklatsch.rounds.models import Feedback

    people = [make_participant(programme) for _ in range(4)]
    rnd = publish_round(preview_round(programme))
    job = Job.objects.get(kind="feedback_request")
    assert job.run_at > timezone.now() + dt.timedelta(days=4)
    answered = people[0]
    Feedback.objects.create(group=answered.groups.get(), participant=answered, met=True)
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now())
    assert run_one() is True
    asked = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.FEEDBACK)
    assert sorted(asked.values_list("to", flat=True)) == sorted(p.email for p in people[1:])
    assert rnd.status == Round.Status.PUBLISHED


@pytest.mark.django_db
def test_automatic_rounds_start_on_their_day(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    from kaffeeklatsch.jobs.management.commands.worker import work_once

    for _ in range(4):
        make_participant(programme)
    today = timezone.localdate()
    programme.automatic = True
    programme.weekday = today.weekday()
    programme.cadence = "fortnightly"
    programme.next_round_on = today + dt.timedelta(days=1)
    programme.save()
    assert work_once()["rounds"] == 0
    programme.next_round_on = today
    programme.save()
    done = work_once()
    assert done["rounds"] == 1 and done["emails"] == 4
    rnd = Round.objects.get(programme=programme)
    assert rnd.status == Round.Status.PUBLISHED
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION).count() == 4
    programme.refresh_from_db()
    assert programme.next_round_on == today + dt.timedelta(days=14)
    assert work_once()["rounds"] == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_message(smtp: Any) -> None:
    """Several workers share the queue through PostgreSQL's row locks."""
    assert connection.vendor == "postgresql"
    for n in range(40):
        outbox_row(f"p{n}@example.org")
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            while send_one():
                pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = sorted(str(m["To"]) for m in smtp.messages)
    assert received == sorted(f"p{n}@example.org" for n in range(40))
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 40
    assert all(m.attempts == 1 for m in OutboxMessage.objects.all())
