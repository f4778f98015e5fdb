"""The privacy page a data-protection officer can sign: what is stored of each kind
of person, why, for how long (from the retention settings), who can see it, who is
responsible (from the settings) and how a person uses their rights, in German and
English; and the help page organisers are sent to instead of the README."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page(language: str) -> str:
    header = "de-DE,de;q=0.9" if language == "de" else "en"
    response = Client(headers={"accept-language": header}).get(reverse("front:privacy"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_privacy_page_follows_the_settings(settings: Any) -> None:
    settings.PRIVACY_CONTROLLER = "Caritasverband Musterstadt e. V., Domplatz 1, 12345 Musterstadt"
    settings.PRIVACY_CONTACT = "datenschutz@caritas-musterstadt.example"
    settings.PRIVACY_OFFICER = "Dr. Petra Prüfer, dsb@caritas-musterstadt.example"
    settings.RETENTION_LEFT_DAYS = 45
    settings.RETENTION_UNCONFIRMED_DAYS = 1
    settings.RETENTION_EMAIL_DAYS = 61
    settings.MAGIC_LINK_MAX_AGE = 48 * 3600
    settings.SESSION_COOKIE_AGE = 7 * 24 * 3600
    settings.DOWNLOAD_KEEP_HOURS = 12
    english = page("en")
    for text in (
        "Caritasverband Musterstadt e. V., Domplatz 1, 12345 Musterstadt",
        "datenschutz@caritas-musterstadt.example",
        "Dr. Petra Prüfer",
        "erased 45 days later",
        "erased after 1 day.",
        "Copies of e-mails are erased after 61 days.",
        "work for 48 hours",
        "at most 7 days",
        "kept 12 hours",
    ):
        assert text in english, text
    german = page("de")
    for text in (
        "Caritasverband Musterstadt e. V.",
        "45 Tage später gelöscht",
        "nach 1 Tag gelöscht",
        "nach 61 Tagen gelöscht",
        "48 Stunden lang",
        "höchstens 7 Tage",
        "12 Stunden aufbewahrt",
    ):
        assert text in german, text
    settings.RETENTION_LEFT_DAYS = 10
    assert "erased 10 days later" in page("en")


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                "Who is responsible",
                "phone number, postal address",
                "Chat handles",
                "answers to “Did you meet?”",
                "Why",
                "Who can see it",
                "For how long",
                "Organisers",
                "the password only as a one-way hash",
                "Download my data (JSON)",
                "erase yourself at once",
                "supervisory authority",
            ],
        ),
        (
            "de",
            [
                "Wer verantwortlich ist",
                "Telefonnummer, Postanschrift",
                "Chat-Namen",
                "Antworten auf „Haben Sie sich getroffen?“",
                "Warum",
                "Wer es sehen kann",
                "Wie lange",
                "Organisator*innen",
                "Einweg-Hash",
                "Meine Daten herunterladen (JSON)",
                "sich sofort löschen",
                "Aufsichtsbehörde",
            ],
        ),
    ],
)
def test_the_privacy_page_covers_every_kind_of_person_and_right(
    language: str, texts: list[str]
) -> None:
    shown = page(language)
    assert f'<html lang="{language}">' in shown
    for text in texts:
        assert text in shown, text


def test_without_a_named_controller_the_page_says_whom_to_ask(settings: Any) -> None:
    settings.PRIVACY_CONTROLLER = ""
    assert "has not yet named the organisation responsible" in page("en")


@pytest.mark.parametrize(("language", "heading"), [("en", "Help"), ("de", "Hilfe")])
def test_the_help_page_tells_what_the_administrator_needs_for_single_sign_on(
    language: str, heading: str
) -> None:
    header = "de-DE,de;q=0.9" if language == "de" else "en"
    client = Client(headers={"accept-language": header})
    response = client.get(reverse("front:help"))
    assert response.status_code == 200
    shown = response.content.decode()
    assert f"<h1>{heading}</h1>" in shown
    assert "http://testserver" + reverse("sso:callback") in shown
    assert "README" not in shown
    # Every page's footer leads there.
    assert reverse("front:help") in client.get(reverse("front:privacy")).content.decode()


def test_no_page_template_or_translation_sends_organisers_to_the_readme() -> None:
    package = Path(__file__).parents[2] / "kaffeeklatsch"
    found = [
        str(path.relative_to(package))
        for pattern in ("**/templates/**/*.html", "locale/*/LC_MESSAGES/django.po")
        for path in package.glob(pattern)
        if "README" in path.read_text()
    ]
    assert not found, found
