"""The one layout around every page (header, navigation, messages, footer), its
CSRF fields and its language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_pages_share_the_layout(client: Any, programme: Any) -> None:
    """The privacy page and the people list have the same header, navigation and
    footer, from the one layout."""
    from tests.support.web import login

    login(client, programme.organisers.first())
    pages = [
        client.get(reverse("front:privacy")).content.decode(),
        client.get(reverse("participants:list", args=[programme.pk])).content.decode(),
    ]
    chrome = [
        re.sub(r'value="[^"]*"', "", page.split("<main")[0].split("</title>")[1])
        + page.split("</main>")[1]
        for page in pages
    ]
    people = reverse("participants:list", args=[programme.pk])
    assert chrome[0] == chrome[1].replace(people, reverse("front:privacy"))
    for page in pages:
        assert "Log out" in page and 'lang="en"' in page
        assert page.count("<title>") == 1 and " – Kaffeeklatsch</title>" in page


@pytest.mark.django_db
def test_the_csrf_fields_of_a_page_are_accepted_and_a_post_without_one_is_refused(
    programme: Any, make_participant: Any
) -> None:
    from django.test import Client

    from kaffeeklatsch.participants.tokens import sign_in_token

    anna = make_participant(programme, "Anna", email="anna@example.org")
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    sign_in = reverse("participants:sign_in", args=[sign_in_token(anna)])
    form = browser.get(sign_in).content.decode()
    token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[-1]
    assert browser.post(sign_in, {"csrfmiddlewaretoken": token}).status_code == 302
    page = browser.get(reverse("participants:me")).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) >= 3  # sign-out, language, break, ...
    refused = browser.post(reverse("participants:pause"), {"skip_next_round": "on"})
    assert refused.status_code == 403
    anna.refresh_from_db()
    assert not anna.skip_next_round
    accepted = browser.post(
        reverse("participants:pause"), {"skip_next_round": "on", "csrfmiddlewaretoken": tokens[-1]}
    )
    assert accepted.status_code == 302
    anna.refresh_from_db()
    assert anna.skip_next_round


@pytest.mark.django_db
def test_a_page_speaks_the_language_of_the_request(
    client: Any, programme: Any, make_participant: Any
) -> None:
    from tests.support.web import sign_in_participant

    anna = make_participant(programme, "Anna", email="anna@example.org", language="en")
    sign_in_participant(client, anna)
    assert "My meetings" in client.get(reverse("participants:me")).content.decode()
    client.post(reverse("front:set_language"), {"language": "de", "next": "/me/"})
    page = client.get(reverse("participants:me")).content.decode()
    assert "Meine Treffen" in page and "Abmelden" in page and 'lang="de"' in page
    assert "My meetings" not in page
    # Kept as the person's language too, so that their e-mails follow.
    anna.refresh_from_db()
    assert anna.language == "de"


@pytest.mark.django_db
def test_titles_are_escaped_once(client: Any, programme: Any) -> None:
    from tests.support.web import login

    programme.name = "Kaffee & Kuchen <O'Brien>"
    programme.save()
    login(client, programme.organisers.first())
    page = client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()
    title = page.split("<title>")[1].split("</title>")[0]
    assert title == "Kaffee &amp; Kuchen &lt;O&#x27;Brien&gt; – Kaffeeklatsch"


@pytest.mark.django_db
def test_a_page_without_a_title_of_its_own_is_titled_kaffeeklatsch(client: Any) -> None:
    page = client.get(reverse("front:home")).content.decode()
    assert "<title>Kaffeeklatsch</title>" in page
