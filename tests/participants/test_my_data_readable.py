"""The person's data as a document to read, in their language, every field labelled,
besides the JSON download."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.participants.export import export_data
from kaffeeklatsch.participants.readable import LABELS
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import sign_in_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(programme: Any, make_participant: Any) -> Any:
    slot = [[1, 13 * 60, 15 * 60]]  # Tuesday 13:00-15:00 UTC: 14:00-16:00 in Berlin
    hanna = make_participant(
        programme,
        "Hanna Beispiel",
        email="hanna@example.org",
        department="Kita",
        interests=["Chess", "Gardening"],
        availability=slot,
        shares="phone",
        phone="0228 4711",
        languages=["de", "en"],
    )
    make_participant(programme, "Ilse Partner", email="ilse@example.org", availability=slot)
    publish_round(preview_round(programme))
    return hanna


def keys(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            if key != "attributes":  # as the identity system sent them
                found |= keys(inner)
    elif isinstance(value, list):
        for item in value:
            found |= keys(item)
    return found


def test_every_field_of_the_json_download_has_a_label(person: Any) -> None:
    assert keys(export_data(person)) <= set(LABELS)


def text_of(response: Any) -> str:
    html = response.content.decode()
    return unescape(re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1]))


@pytest.mark.parametrize(
    ("language", "expected", "not_expected"),
    [
        (
            "en",
            [
                "What Kaffeeklatsch stores about Hanna Beispiel",
                "Your profile",
                "What the people you meet may see",
                "my phone number",
                "Tuesday 14:00–16:00",
                "German, English",
                "Your meetings",
                "Ilse Partner",
                "Taking part",
            ],
            ["Ihr Profil", "partners_may_see"],
        ),
        (
            "de",
            [
                "Was Kaffeeklatsch über Hanna Beispiel speichert",
                "Ihr Profil",
                "Was die Menschen, die Sie treffen, sehen dürfen",
                "Dienstag 14:00–16:00",
                "Deutsch, Englisch",
                "Ihre Treffen",
                "Ilse Partner",
                "Nimmt teil",
            ],
            ["Your profile", "partners_may_see", "availability_utc"],
        ),
    ],
)
def test_readable_download_in_the_persons_language(
    client: Any, person: Any, language: str, expected: list[str], not_expected: list[str]
) -> None:
    person.language = language
    person.save(update_fields=["language"])
    sign_in_participant(client, person)
    me = client.get(reverse("participants:me")).content.decode()
    assert reverse("participants:export_readable") in me
    assert reverse("participants:export") in me  # the JSON stays on offer
    response = client.get(reverse("participants:export_readable"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "attachment" in response["Content-Disposition"]
    assert f'lang="{language}"' in response.content.decode()
    text = re.sub(r"\s+", " ", text_of(response))
    for phrase in expected:
        assert phrase in text, phrase
    for phrase in not_expected:
        assert phrase not in text, phrase


def test_the_readable_download_needs_the_persons_session(client: Any, person: Any) -> None:
    response = client.get(reverse("participants:export_readable"))
    assert response.status_code in (302, 403)
    assert b"Hanna" not in response.content
