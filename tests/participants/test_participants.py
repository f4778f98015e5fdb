"""Organisers see, add, edit and remove the people of their programme."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from tests.support.web import login

pytestmark = pytest.mark.django_db

PERSON = {
    "name": "Hildegard Brauer",
    "email": "",
    "department": "Seniorentreff",
    "organisation": "",
    "level": "Ehrenamt",
    "languages_text": "Deutsch",
    "place": "Bonn",
    "mode": "in_person",
    "interests_text": "Stricken, Kartenspiele",
    "language": "de",
    "phone_note": "Festnetz 0228 55 55",
    "status": "active",
}


def test_list_and_filter(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    make_participant(programme, "Active Anna")
    make_participant(programme, "Pending Paul", status=Participant.Status.PENDING)
    login(client, organiser)
    everyone = client.get(reverse("participants:list", args=[programme.pk])).content.decode()
    assert "Active Anna" in everyone and "Pending Paul" in everyone
    pending = client.get(reverse("participants:list", args=[programme.pk]), {"status": "pending"})
    assert "Active Anna" not in pending.content.decode()


def test_add_a_person_without_email(client: Any, organiser: Any, programme: Any) -> None:
    login(client, organiser)
    response = client.post(reverse("participants:add", args=[programme.pk]), PERSON)
    assert response.status_code == 302
    person = Participant.objects.get()
    assert person.email == "" and person.status == Participant.Status.ACTIVE
    assert person.added_by_organiser and person.latitude is not None
    assert not OutboxMessage.objects.exists()


def test_add_a_person_with_email_sends_a_welcome(
    client: Any, organiser: Any, programme: Any
) -> None:
    login(client, organiser)
    client.post(
        reverse("participants:add", args=[programme.pk]), {**PERSON, "email": "hilde@example.org"}
    )
    [message] = OutboxMessage.objects.all()
    assert message.kind == OutboxMessage.Kind.WELCOME and message.to == "hilde@example.org"
    assert "/sign-in/" in message.body_text


def test_two_people_without_email_are_fine(client: Any, organiser: Any, programme: Any) -> None:
    login(client, organiser)
    client.post(reverse("participants:add", args=[programme.pk]), PERSON)
    client.post(reverse("participants:add", args=[programme.pk]), {**PERSON, "name": "Kurt"})
    assert Participant.objects.count() == 2


def test_edit_keeps_imported_availability_unless_changed(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    odd_window = [[2, 7 * 60 + 30, 8 * 60 + 15]]
    person = make_participant(programme, "Ida", availability=odd_window)
    login(client, organiser)
    url = reverse("participants:edit", args=[programme.pk, person.pk])
    assert "Ida" in client.get(url).content.decode()
    client.post(url, {**PERSON, "name": "Ida K.", "email": person.email})
    person.refresh_from_db()
    assert person.name == "Ida K." and person.availability == odd_window


def test_remove(client: Any, organiser: Any, programme: Any, make_participant: Any) -> None:
    person = make_participant(programme)
    login(client, organiser)
    url = reverse("participants:remove", args=[programme.pk, person.pk])
    assert client.get(url).status_code == 200
    client.post(url)
    assert not Participant.objects.exists()


def test_an_organiser_setting_someone_to_left_makes_them_leave(
    client: Any, organiser: Any, programme: Any, make_participant: Any, settings: Any
) -> None:
    """As if they had left themselves: the time is kept, so the retention rules erase
    them; set back, they take part again."""
    import datetime as dt

    from django.utils import timezone

    from kaffeeklatsch.jobs.registry import erase_expired

    person = make_participant(programme, "Ida", email="ida@example.org")
    login(client, organiser)
    url = reverse("participants:edit", args=[programme.pk, person.pk])
    client.post(url, {**PERSON, "name": "Ida", "email": person.email, "status": "left"})
    person.refresh_from_db()
    assert person.status == Participant.Status.LEFT and person.left_at is not None
    client.post(url, {**PERSON, "name": "Ida", "email": person.email, "status": "active"})
    person.refresh_from_db()
    assert person.status == Participant.Status.ACTIVE and person.left_at is None
    client.post(url, {**PERSON, "name": "Ida", "email": person.email, "status": "left"})
    Participant.objects.filter(pk=person.pk).update(
        left_at=timezone.now() - dt.timedelta(days=settings.RETENTION_LEFT_DAYS + 1)
    )
    erase_expired()
    assert not Participant.objects.filter(pk=person.pk).exists()
