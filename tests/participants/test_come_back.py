"""Leaving is never a dead end: someone who left asks for a link on the sign-in page or
on the unsubscribe page, a real SMTP server receives it, and confirming it makes them
take part again with the profile they left."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import unsubscribe_url
from tests.support.mail import links, send_outbox, text_part
from tests.support.web import path_of, press_link_button

pytestmark = pytest.mark.django_db


@pytest.fixture
def left(programme: Any, make_participant: Any) -> Participant:
    person = make_participant(
        programme,
        "Greta Left",
        email="greta@example.org",
        department="Kita",
        interests=["Chess"],
        language="en",
    )
    person.leave()
    person.refresh_from_db()
    assert person.status == Participant.Status.LEFT
    return person


def without_tokens(html: bytes) -> bytes:
    """A page without its CSRF tokens, which differ from one response to the next."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def come_back_link(smtp: Any, address: str) -> str:
    send_outbox()
    (message,) = smtp.to(address)
    assert "Come back" in str(message["Subject"])
    text = text_part(message)
    assert "again" in text
    (url,) = [u for u in links(text) if "/sign-in/" in u]
    return url


def test_come_back_from_the_unsubscribe_page(client: Any, left: Participant, smtp: Any) -> None:
    page = client.get(path_of(unsubscribe_url(left)))
    html = page.content.decode()
    assert "You have left" in html
    assert f'action="{reverse("participants:request_link")}"' in html
    assert 'name="email"' in html
    sent = client.post(reverse("participants:request_link"), {"email": "greta@example.org"})
    assert sent.status_code == 200
    assert "a link is on its way" in sent.content.decode()
    url = come_back_link(smtp, "greta@example.org")
    confirm = client.get(path_of(url))
    assert "Take part again" in confirm.content.decode()
    left.refresh_from_db()
    assert left.status == Participant.Status.LEFT  # opening the link changes nothing
    response = press_link_button(client, url)
    assert response.status_code == 302
    left.refresh_from_db()
    assert left.status == Participant.Status.ACTIVE and left.left_at is None
    # The earlier profile is back as it was.
    assert left.department == "Kita" and left.interests == ["Chess"]
    me = client.get(reverse("participants:me"), follow=True).content.decode()
    assert "Welcome back" in me and "You are taking part." in me


def test_come_back_from_the_sign_in_page_in_german(
    german_client: Any, left: Participant, smtp: Any
) -> None:
    left.language = "de"
    left.save(update_fields=["language"])
    page = german_client.get(reverse("participants:request_link")).content.decode()
    assert "zurück" in page
    german_client.post(reverse("participants:request_link"), {"email": "GRETA@example.org "})
    send_outbox()
    (message,) = smtp.to("greta@example.org")
    assert "Kaffee im Haus" in str(message["Subject"])
    (url,) = [u for u in links(text_part(message)) if "/sign-in/" in u]
    press_link_button(german_client, url)
    left.refresh_from_db()
    assert left.status == Participant.Status.ACTIVE


def test_a_link_is_used_once_and_unknown_addresses_get_the_same_page(
    client: Any, left: Participant, smtp: Any
) -> None:
    known = client.post(reverse("participants:request_link"), {"email": "greta@example.org"})
    unknown = client.post(reverse("participants:request_link"), {"email": "nobody@example.org"})
    assert without_tokens(known.content) == without_tokens(unknown.content)
    url = come_back_link(smtp, "greta@example.org")
    assert not smtp.to("nobody@example.org")
    press_link_button(client, url)
    second = client.post(path_of(url))
    assert second.status_code == 400


def test_the_page_says_honestly_when_no_new_link_is_sent(
    client: Any, left: Participant, smtp: Any
) -> None:
    client.post(reverse("participants:request_link"), {"email": "greta@example.org"})
    again = client.post(reverse("participants:request_link"), {"email": "greta@example.org"})
    text = again.content.decode()
    assert "at most one link every five minutes" in text
    assert "erased your data" in text
    send_outbox()
    assert len(smtp.to("greta@example.org")) == 1
