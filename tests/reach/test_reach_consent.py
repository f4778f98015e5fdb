"""What a partner may see: people choose e-mail, phone or nothing but their name, and
every message respects it; organisers record how people without e-mail are reached."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import html_part, ics_part, send_outbox, text_part
from tests.support.web import login, sign_in_participant

pytestmark = pytest.mark.django_db


def test_a_name_only_partner_never_appears_with_address_or_in_reply_to(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    slot = [[1, 9 * 60, 10 * 60]]
    make_participant(
        programme,
        "Anna Private",
        email="anna@example.org",
        shares="name",
        phone="0111 222",
        availability=slot,
    )
    make_participant(
        programme,
        "Ben Open",
        email="ben@example.org",
        shares="both",
        phone="0228 333",
        availability=slot,
    )
    publish_round(preview_round(programme))
    assert send_outbox() == 2
    [to_ben] = smtp.to("ben@example.org")
    [to_anna] = smtp.to("anna@example.org")
    whole = to_ben.as_string()
    for part in (text_part(to_ben), html_part(to_ben), ics_part(to_ben) or "", whole):
        assert "anna@example.org" not in part and "0111 222" not in part
    assert to_ben["Reply-To"] is None
    assert "shares only their name" in text_part(to_ben)
    assert "Just reply to this e-mail" not in text_part(to_ben)
    # Ben shares both: Anna sees his address and phone and can reply to him.
    assert to_anna["Reply-To"] == "ben@example.org"
    assert "ben@example.org" in text_part(to_anna) and "0228 333" in text_part(to_anna)
    # The calendar entry lists no addresses at all (see notifications/ics.py).
    assert "ben@example.org" not in (ics_part(to_anna) or "")


def test_phone_only_sharing_shows_the_phone_not_the_address(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    make_participant(
        programme, "Carla", email="carla@example.org", shares="phone", phone="0170 123"
    )
    make_participant(programme, "Dirk", email="dirk@example.org")
    publish_round(preview_round(programme))
    send_outbox()
    [to_dirk] = smtp.to("dirk@example.org")
    assert "0170 123" in text_part(to_dirk) and "carla@example.org" not in to_dirk.as_string()


BASE = {
    "name": "Hildegard Brauer",
    "email": "",
    "languages_text": "Deutsch",
    "mode": "either",
    "language": "de",
    "status": "active",
    "shares": "email",
}


def test_organisers_record_how_a_person_is_reached(
    client: Any, organiser: Any, programme: Any
) -> None:
    login(client, organiser)
    url = reverse("participants:add", args=[programme.pk])
    cases = [
        ({"reached_by": "post"}, "Please enter the postal address"),
        ({"reached_by": "phone"}, "Please enter the phone number the volunteers call"),
        ({"reached_by": "email"}, "can only be reached by post or phone"),
        (
            {"reached_by": "post", "postal_address": "Weg 1", "shares": "phone"},
            "Please enter the phone number you want to share",
        ),
    ]
    for extra, message in cases:
        response = client.post(url, {**BASE, **extra})
        assert response.status_code == 200 and message in response.content.decode(), extra
    assert not Participant.objects.exists()
    client.post(
        url,
        {
            **BASE,
            "reached_by": "post",
            "postal_address": "Lindenweg 3\n53111 Bonn",
            "phone": "0228 5",
            "shares": "phone",
        },
    )
    hilde = Participant.objects.get()
    assert hilde.reached_by == "post" and hilde.postal_address.startswith("Lindenweg 3")
    assert hilde.shared_phone == "0228 5" and hilde.shared_email == ""
    # Not chosen: by e-mail with an address, else by phone.
    client.post(url, {**BASE, "name": "Otto", "reached_by": "", "phone": "0228 6"})
    client.post(url, {**BASE, "name": "Emma", "reached_by": "", "email": "emma@example.org"})
    assert Participant.objects.get(name="Otto").reached_by == "phone"
    assert Participant.objects.get(name="Emma").reached_by == "email"
    edit = client.get(reverse("participants:edit", args=[programme.pk, hilde.pk])).content.decode()
    assert "by post" in edit and "Lindenweg 3" in edit


def test_participants_choose_what_partners_see_on_their_own_page(
    client: Any, programme: Any, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    sign_in_participant(client, anna)
    form = {
        "name": "Anna",
        "email": "anna@example.org",
        "languages_text": "Deutsch",
        "mode": "either",
        "language": "en",
    }
    url = reverse("participants:edit_profile")
    response = client.post(url, {**form, "shares": "phone"})
    assert "Please enter the phone number you want to share" in response.content.decode()
    anna.refresh_from_db()
    assert anna.shares == "email"
    client.post(url, {**form, "shares": "name", "named_in_channels": "on"})
    anna.refresh_from_db()
    assert anna.shares == "name" and anna.named_in_channels and not anna.reminders
    page = client.get(reverse("participants:me")).content.decode()
    assert "<dt>Visible to partners</dt><dd>my name</dd>" in page
    exported = json.loads(client.get(reverse("participants:export")).content)

    assert exported["profile"]["partners_may_see"] == "name"
    assert exported["profile"]["reminders"] is False
