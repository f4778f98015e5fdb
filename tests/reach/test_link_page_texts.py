"""Texts of pages people reach from a link: an invitation's validity reads as one
sentence in English too, and a reminder's link for a meeting that is over says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.programmes.models import OrganiserInvitation
from kaffeeklatsch.reach.models import MeetingUpdate
from kaffeeklatsch.reach.tokens import update_url
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import login, path_of


@pytest.mark.django_db
def test_the_invitation_page_ends_its_time_with_one_period(
    client: Any, german_client: Any, organiser: Any, programme: Any, make_organiser: Any
) -> None:
    carla = make_organiser("carla")
    # In the afternoon, so that the English time ends in "p.m."
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    until = tomorrow.replace(hour=17, minute=0, second=0, microsecond=0)
    invitation = OrganiserInvitation.objects.create(
        programme=programme,
        user=carla,
        invited_by=organiser,
        invited_at=timezone.now(),
        expires_at=until,
    )
    path = reverse("programmes:invitation", args=[invitation.pk])
    login(client, carla)
    english = client.get(path).content.decode()
    assert "The invitation is valid until" in english and "p.m." in english
    assert "p.m.." not in english
    login(german_client, carla)
    german = german_client.get(path).content.decode()
    assert "Die Einladung gilt bis" in german and "17:00." in german


@pytest.mark.django_db
def test_a_reminder_link_for_a_meeting_that_is_over_says_so(
    client: Any, german_client: Any, programme: Any, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna")
    make_participant(programme, "Ben")
    group = publish_round(preview_round(programme), notify=False).groups.get()
    link = path_of(update_url(group.pk, anna.pk, MeetingUpdate.Status.RESCHEDULED))
    assert client.get(link).status_code == 200  # ahead: the question
    group.suggested_start = timezone.now() - dt.timedelta(hours=1)
    group.save(update_fields=["suggested_start"])
    for response in (client.get(link), client.post(link)):
        page = response.content.decode()
        assert response.status_code == 400
        assert "This meeting is already over" in page and "copied completely" not in page
    german = german_client.get(link).content.decode()
    assert "Dieses Treffen ist schon vorbei" in german
    assert not MeetingUpdate.objects.exists()
