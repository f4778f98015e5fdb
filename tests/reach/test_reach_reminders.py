"""Reminders before the suggested time, with one-click "we rescheduled" / "we cannot
meet" answers the organiser sees on the round page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.reach.models import MeetingUpdate, ReminderSetting
from kaffeeklatsch.reach.tokens import update_url
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import links, send_outbox, text_part
from tests.support.web import login, path_of, press_link_button, sign_in_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(programme: Any, make_participant: Any) -> tuple[Any, Any]:
    slot = [[1, 9 * 60, 10 * 60]]
    anna = make_participant(
        programme, "Anna", email="anna@example.org", language="de", availability=slot, shares="name"
    )
    ben = make_participant(
        programme, "Ben", email="ben@example.org", availability=slot, shares="both", phone="0228 77"
    )
    return anna, ben


def test_the_organiser_sets_reminders_and_bad_input_changes_nothing(
    client: Any, organiser: Any, programme: Any
) -> None:
    login(client, organiser)
    url = reverse("reach:settings", args=[programme.pk])
    response = client.post(url, {"enabled": "on", "hours_before": "0"})
    assert response.status_code == 200 and "Between 1 and 168 hours" in response.content.decode()
    assert not ReminderSetting.objects.exists()
    client.post(url, {"enabled": "on", "hours_before": "3"})
    setting = ReminderSetting.objects.get(programme=programme)
    assert setting.enabled and setting.hours_before == 3


def test_reminder_sent_by_the_worker_with_one_click_answers(
    client: Any, organiser: Any, programme: Any, pair: Any, smtp: Any
) -> None:
    anna, ben = pair
    ReminderSetting.objects.create(programme=programme, enabled=True, hours_before=24)
    before = timezone.now()
    rnd = publish_round(preview_round(programme))
    after = timezone.now()
    group = rnd.groups.get()
    assert group.suggested_start is not None
    job = Job.objects.get(kind="reach_reminder")
    due = group.suggested_start - dt.timedelta(hours=24)
    # A day before the suggested time, or at once when that day has already begun.
    assert job.run_at == due if due > after else before <= job.run_at <= after
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now())
    run_due()
    send_outbox()
    # The introduction first, then the reminder.
    [_intro, to_ben] = smtp.to("ben@example.org")
    [_intro, to_anna] = smtp.to("anna@example.org")
    assert "Reminder" in to_ben["Subject"] and "Erinnerung" in to_anna["Subject"]
    ben_text, anna_text = text_part(to_ben), text_part(to_anna)
    # Anna shares only her name: her address is in neither the text nor Reply-To.
    assert "anna@example.org" not in ben_text and to_ben["Reply-To"] is None
    assert "0228 77" in anna_text and "ben@example.org" in anna_text
    assert to_anna["Reply-To"] == "ben@example.org"
    [cannot] = [u for u in links(ben_text) if "/meeting/" in u][1:2]
    # Opening the link only asks what the button will do.
    question = client.get(path_of(cannot))
    assert question.status_code == 200
    assert "the meeting cannot take place" in question.content.decode()
    assert not MeetingUpdate.objects.exists()
    page = press_link_button(client, cannot)
    assert page.status_code == 200
    assert MeetingUpdate.objects.get(participant=ben).status == "cannot_meet"
    login(client, organiser)
    detail = client.get(reverse("rounds:detail", args=[programme.pk, rnd.pk])).content.decode()
    assert "Ben: we cannot meet" in detail


def test_people_who_opted_out_or_cancelled_get_no_reminder(programme: Any, pair: Any) -> None:
    anna, ben = pair
    anna.reminders = False
    anna.save()
    ReminderSetting.objects.create(programme=programme, enabled=True, hours_before=24)
    rnd = publish_round(preview_round(programme))
    Job.objects.filter(kind="reach_reminder").update(run_at=timezone.now())
    run_due()
    reminders = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REMINDER)
    assert list(reminders.values_list("to", flat=True)) == ["ben@example.org"]
    # Once someone said the meeting cannot happen, no further reminders go out.
    reminders.delete()
    MeetingUpdate.objects.create(group=rnd.groups.get(), participant=ben, status="cannot_meet")
    from kaffeeklatsch.reach.jobs import reminder

    reminder({"group": rnd.groups.get().pk})
    assert not reminders.exists()


def test_no_reminder_jobs_without_the_setting(programme: Any, pair: Any) -> None:
    publish_round(preview_round(programme))
    assert not Job.objects.filter(kind="reach_reminder").exists()


def test_participants_answer_on_their_page_and_only_for_their_group(
    client: Any, programme: Any, pair: Any, make_participant: Any
) -> None:
    anna, ben = pair
    rnd = publish_round(preview_round(programme), notify=False)
    group = rnd.groups.get()
    sign_in_participant(client, anna)
    page = client.get(reverse("participants:me")).content.decode()
    assert reverse("reach:meeting_update", args=[group.pk]) in page
    client.post(reverse("reach:meeting_update", args=[group.pk]), {"status": "rescheduled"})
    assert MeetingUpdate.objects.get(participant=anna).status == "rescheduled"
    client.post(reverse("reach:meeting_update", args=[group.pk]), {"status": "nonsense"})
    assert MeetingUpdate.objects.get(participant=anna).status == "rescheduled"
    stranger = make_participant(programme, "Stranger")
    client.logout()
    sign_in_participant(client, stranger)
    response = client.post(
        reverse("reach:meeting_update", args=[group.pk]), {"status": "cannot_meet"}
    )
    assert response.status_code == 404
    assert not MeetingUpdate.objects.filter(participant=stranger).exists()
    # Links are signed: forged ones and links for another person's group do nothing.
    forged = path_of(update_url(group.pk, ben.pk, "cannot_meet"))[:-4] + "xyz/"
    assert client.get(forged).status_code == 400
    assert client.post(forged).status_code == 400
    assert client.get(path_of(update_url(group.pk, stranger.pk, "cannot_meet"))).status_code == 404
    assert client.post(path_of(update_url(group.pk, stranger.pk, "cannot_meet"))).status_code == 404
    assert not MeetingUpdate.objects.filter(participant=ben).exists()
