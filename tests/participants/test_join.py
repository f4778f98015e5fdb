"""Joining through the invitation link, with double opt-in by e-mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from tests.support.mail import links, send_outbox, text_part

pytestmark = pytest.mark.django_db


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Lena Vogel",
        "email": "Lena.Vogel@Example.org",
        "department": "Pflege",
        "organisation": "",
        "level": "Fachkraft",
        "languages_text": "Deutsch, Türkisch",
        "place": "",
        "mode": "online",
        "interests_text": "Gärtnern, Fußball",
        "availability_choices": ["0-morning", "2-afternoon"],
        "language": "de",
        "consent": "on",
    }
    data.update(overrides)
    return data


def join_url(programme: Any) -> str:
    return reverse("participants:join", args=[programme.invite_token])


def test_form_is_shown_with_labels(client: Any, programme: Any) -> None:
    response = client.get(join_url(programme))
    assert response.status_code == 200
    html = response.content.decode()
    assert programme.name in html
    for field in ["id_name", "id_email", "id_language", "id_consent"]:
        assert f'for="{field}"' in html
    assert "How would you like to meet?" in html and 'name="mode"' in html
    # The rest of the profile is asked after joining, on the person's own page.
    assert 'for="id_department"' not in html


def test_the_empty_form_is_the_one_the_form_draws_in_each_language(
    programme: Any, organiser: Any, make_programme: Any
) -> None:
    from django.test import Client
    from django.utils import translation

    from kaffeeklatsch.front.templatetags.fields import form_fields
    from kaffeeklatsch.participants.forms import SignupForm

    other = make_programme(organiser, name="Zweites")
    for _ in range(2):  # the second visits get what the first ones drew
        for language, label in (("en", "How would you like to meet?"), ("de", "Wie möchten")):
            with translation.override(language):
                drawn = str(form_fields(SignupForm(programme=programme)))
            for place in (programme, other):
                browser = Client(headers={"accept-language": language})
                html = browser.get(join_url(place)).content.decode()
                assert drawn in html and label in html
                assert f'<option value="{language}" selected>' in html


def test_signup_stores_a_pending_participant_and_sends_a_confirmation(
    client: Any, programme: Any, smtp: Any, settings: Any
) -> None:
    response = client.post(join_url(programme), form_data())
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert participant.status == Participant.Status.PENDING
    assert participant.email == "lena.vogel@example.org"
    # Only the short form is read; interests and times come later, step by step.
    assert participant.languages == ["de"]
    assert participant.interests == [] and participant.availability == []
    assert participant.mode == "online"

    assert send_outbox() == 1
    [message] = smtp.to("lena.vogel@example.org")
    assert "Bitte bestätigen" in message["Subject"]
    [confirm] = links(text_part(message), settings.BASE_URL + "/confirm/")

    page = client.get(confirm.removeprefix(settings.BASE_URL))
    assert page.status_code == 200
    participant.refresh_from_db()
    assert participant.status == Participant.Status.PENDING  # a GET changes nothing

    done = client.post(confirm.removeprefix(settings.BASE_URL))
    assert done.status_code == 302 and done["Location"] == reverse("participants:me")
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ACTIVE
    assert participant.confirmed_at is not None
    assert client.get(reverse("participants:me")).status_code == 200

    again = client.post(confirm.removeprefix(settings.BASE_URL))
    assert again.status_code == 400  # single use


def test_a_tampered_link_is_refused(client: Any, programme: Any) -> None:
    client.post(join_url(programme), form_data())
    message = OutboxMessage.objects.get()
    [confirm] = [url for url in links(message.body_text) if "/confirm/" in url]
    path = confirm.split("://", 1)[1].split("/", 1)[1]
    forged = "/" + path[:-3] + ("AAA" if not path.endswith("AAA/") else "BBB") + "/"
    assert client.post(forged).status_code == 400
    assert Participant.objects.get().status == Participant.Status.PENDING


def test_an_expired_link_is_refused(client: Any, programme: Any, settings: Any) -> None:
    client.post(join_url(programme), form_data())
    [confirm] = links(OutboxMessage.objects.get().body_text, settings.BASE_URL + "/confirm/")
    settings.MAGIC_LINK_MAX_AGE = -1
    response = client.post(confirm.removeprefix(settings.BASE_URL))
    assert response.status_code == 400
    assert Participant.objects.get().status == Participant.Status.PENDING


def test_required_fields_and_consent(client: Any, programme: Any) -> None:
    response = client.post(join_url(programme), form_data(name="", consent=""))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"name", "consent"}
    assert not Participant.objects.exists()


def test_allowed_domains(client: Any, programme: Any) -> None:
    programme.allowed_domains = "caritas.example"
    programme.save()
    refused = client.post(join_url(programme), form_data(email="lena@gmail.example"))
    assert "email" in refused.context["form"].errors
    accepted = client.post(join_url(programme), form_data(email="lena@caritas.example"))
    assert accepted.status_code == 302


def test_the_same_address_cannot_join_twice(client: Any, programme: Any) -> None:
    first = client.post(join_url(programme), form_data())
    response = client.post(join_url(programme), form_data(name="Lena again"))
    # The answer does not tell that the address is known (tests/site/test_security.py).
    assert response.status_code == 302 and response["Location"] == first["Location"]
    assert Participant.objects.count() == 1
    assert Participant.objects.get().name != "Lena again"


def test_closed_registration(client: Any, programme: Any) -> None:
    programme.registration_open = False
    programme.save()
    assert client.get(join_url(programme)).status_code == 403
    assert client.post(join_url(programme), form_data()).status_code == 403
    assert not Participant.objects.exists()


def test_an_unknown_invitation_is_404(client: Any, db: Any) -> None:
    assert client.get(reverse("participants:join", args=["nope"])).status_code == 404


def test_the_form_defaults_to_the_language_of_the_page(
    client: Any, german_client: Any, programme: Any
) -> None:
    english = client.get(join_url(programme)).content.decode()
    german = german_client.get(join_url(programme)).content.decode()
    assert (
        '<option value="en" selected>' in english and '<option value="de" selected>' not in english
    )
    assert '<option value="de" selected>' in german and '<option value="en" selected>' not in german


def test_asking_for_links_again_and_again_sends_one(client: Any, programme: Any) -> None:
    client.post(join_url(programme), form_data())
    for _ in range(3):
        client.post(reverse("participants:request_link"), {"email": "lena.vogel@example.org"})
    assert OutboxMessage.objects.count() == 1  # the confirmation of the sign-up
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=6))
    client.post(reverse("participants:request_link"), {"email": "lena.vogel@example.org"})
    assert OutboxMessage.objects.count() == 2
