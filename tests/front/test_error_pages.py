"""Our own error pages: 400, 403, 404, 500 and a refused form (CSRF), each in the
site's layout and the reader's language, with a viewport, saying what happened and
what to do next; the invitation link an organiser replaced, naming whom to ask; and
the favicon every browser asks for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kaffeeklatsch.participants.tokens import sign_in_token
from kaffeeklatsch.programmes.models import Programme
from tests.support.web import login

pytestmark = pytest.mark.django_db

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def browser(language: str, **options: Any) -> Client:
    header = "de-DE,de;q=0.9" if language == "de" else "en"
    return Client(headers={"accept-language": header}, **options)


def assert_our_page(response: Any, status: int, language: str, *texts: str) -> str:
    assert response.status_code == status
    page = response.content.decode()
    assert VIEWPORT in page
    assert f'<html lang="{language}">' in page
    # The site's layout: its stylesheet, the header's brand and the footer.
    assert "kaffeeklatsch/style.css" in page and 'class="brand"' in page
    assert 'class="foot"' in page and 'rel="icon"' in page
    for text in texts:
        assert text in page, text
    return page


@pytest.mark.parametrize(
    ("language", "heading", "advice"),
    [
        ("en", "Page not found", "ask the organiser of your programme for the current link"),
        ("de", "Seite nicht gefunden", "nach dem aktuellen Link"),
    ],
)
def test_an_unknown_address_gets_our_404_page(language: str, heading: str, advice: str) -> None:
    response = browser(language).get("/no/such/page/")
    assert_our_page(response, 404, language, heading, advice)


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "The request could not be understood"), ("de", "Die Anfrage war nicht verständlich")],
)
def test_a_bad_request_gets_our_400_page(language: str, heading: str) -> None:
    # A host name the server does not serve is a bad request (Django's DisallowedHost).
    response = browser(language).get(reverse("front:privacy"), headers={"host": "evil.example"})
    page = assert_our_page(response, 400, language, heading)
    assert "evil.example" not in page


@pytest.mark.urls("tests.support.error_urls")
@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "This page is not open to you"), ("de", "Diese Seite ist für Sie nicht freigegeben")],
)
def test_a_refusal_gets_our_403_page(language: str, heading: str) -> None:
    response = browser(language).get("/test-errors/refuse/")
    assert_our_page(response, 403, language, heading, reverse("accounts:login"))


@pytest.mark.urls("tests.support.error_urls")
@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Something went wrong"), ("de", "Etwas ist schiefgegangen")],
)
def test_a_crash_gets_our_500_page(language: str, heading: str) -> None:
    response = browser(language, raise_request_exception=False).get("/test-errors/crash/")
    page = assert_our_page(response, 500, language, heading)
    assert "a bug on purpose" not in page and "RuntimeError" not in page


@pytest.mark.urls("tests.support.error_urls")
def test_the_500_page_answers_even_when_its_template_fails(
    settings: Any, tmp_path: Path, caplog: Any
) -> None:
    (tmp_path / "500.html").write_text("{% load no_such_library %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    response = browser("en", raise_request_exception=False).get("/test-errors/crash/")
    assert response.status_code == 500
    page = response.content.decode()
    assert VIEWPORT in page
    assert "Etwas ist schiefgegangen" in page and "Something went wrong" in page


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "The form could not be sent"), ("de", "Das Formular konnte nicht gesendet werden")],
)
def test_a_form_without_its_csrf_token_gets_our_page_and_changes_nothing(
    language: str, heading: str, programme: Programme
) -> None:
    client = browser(language, enforce_csrf_checks=True)
    login(client, programme.organisers.get())
    before = programme.invite_token
    response = client.post(
        reverse("programmes:new_invitation", args=[programme.pk]), {"confirm": "yes"}
    )
    assert_our_page(response, 403, language, heading)
    programme.refresh_from_db()
    assert programme.invite_token == before


def test_the_favicon_is_served_and_linked(client: Any) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/vnd.microsoft.icon"
    body = b"".join(icon.streaming_content) if icon.streaming else icon.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = client.get(reverse("front:privacy")).content.decode()
    svg = page.split('rel="icon" href="')[1].split('"')[0]
    assert svg.endswith(".svg")
    served = client.get(svg)
    assert served.status_code == 200
    content = b"".join(served.streaming_content) if served.streaming else served.content
    assert content.startswith(b"<svg")


@pytest.mark.parametrize(
    ("language", "ask"),
    [
        ("en", "Please ask the organiser, Olga Organ, for the current link:"),
        ("de", "Bitte fragen Sie die Organisator*in des Programms, Olga Organ, nach dem"),
    ],
)
def test_a_replaced_invitation_link_names_the_organiser_to_ask(
    language: str, ask: str, organiser: Any, programme: Programme
) -> None:
    organiser.first_name, organiser.last_name = "Olga", "Organ"
    organiser.save()
    old = programme.invite_token
    programme.replace_invite_link()
    response = browser(language).get(reverse("participants:join", args=[old]))
    page = assert_our_page(response, 404, language, ask, "mailto:olga@example.org")
    assert programme.name in page
    # The thanks page of the old link says the same.
    thanks = browser(language).get(reverse("participants:joined", args=[old]))
    assert thanks.status_code == 404 and ask in thanks.content.decode()


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "is incomplete or mistyped"),
        ("de", "ist unvollständig oder vertippt"),
    ],
)
def test_a_cut_off_or_mistyped_invitation_link_names_the_organiser_to_ask(
    language: str, says: str, organiser: Any, programme: Programme
) -> None:
    token = programme.invite_token
    for broken in (token[:-1], token[:-2] + "xx", token[:12]):
        response = browser(language).get(reverse("participants:join", args=[broken]))
        page = assert_our_page(response, 404, language, says, "mailto:olga@example.org")
        assert programme.name in page and token not in page


@pytest.mark.parametrize(
    ("language", "advice"),
    [
        ("en", "Please ask the organiser of your programme for the current invitation link"),
        ("de", "Bitte fragen Sie die Organisator*innen Ihres Programms"),
    ],
)
def test_an_unknown_invitation_link_says_whom_to_ask_and_names_nobody(
    language: str, advice: str, organiser: Any, programme: Programme
) -> None:
    for unknown in ("x" * len(programme.invite_token), programme.invite_token[:11]):
        response = browser(language).get(reverse("participants:join", args=[unknown]))
        page = assert_our_page(response, 404, language, advice)
        assert programme.name not in page and organiser.email not in page


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "The link has expired."), ("de", "Der Link ist abgelaufen.")],
)
def test_an_expired_sign_in_link_says_how_to_get_a_new_one(
    language: str, text: str, programme: Programme, make_participant: Any, settings: Any
) -> None:
    anna = make_participant(programme, "Anna")
    link = reverse("participants:sign_in", args=[sign_in_token(anna)])
    settings.MAGIC_LINK_MAX_AGE = -1
    response = browser(language).get(link)
    assert_our_page(response, 400, language, text, reverse("participants:request_link"))
