"""The programme setting "match interests by meaning": on for a new programme, said
in plain words on the settings page in German and English, and turned off there."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.programmes.models import Programme
from tests.programmes.test_programmes import PROGRAMME
from tests.support.web import login

pytestmark = pytest.mark.django_db


def checkbox(html: str) -> str:
    start = html.index('name="match_by_meaning"')
    return html[html.rindex("<input", 0, start) : html.index(">", start) + 1]


def test_the_settings_page_explains_it_in_both_languages(
    client: Any, german_client: Any, organiser: Any, programme: Programme
) -> None:
    url = reverse("programmes:edit", args=[programme.pk])
    login(client, organiser)
    login(german_client, organiser)
    english = client.get(url).content.decode()
    german = german_client.get(url).content.decode()
    assert "Match interests by meaning" in english
    assert "in other words or another language" in english and "nothing is sent" in english
    assert "Interessen nach Bedeutung zusammenbringen" in german
    assert "in einer anderen Sprache" in german and "nichts wird irgendwohin" in german
    assert "checked" in checkbox(english) and "checked" in checkbox(german)


def test_a_new_programme_matches_by_meaning_and_the_page_turns_it_off(
    client: Any, organiser: Any, programme: Programme
) -> None:
    assert Programme().match_by_meaning is True
    assert programme.rules().weight_meaning > 0
    login(client, organiser)
    url = reverse("programmes:edit", args=[programme.pk])
    # An unticked box is not sent.
    client.post(url, PROGRAMME)
    programme.refresh_from_db()
    assert programme.match_by_meaning is False and programme.rules().weight_meaning == 0
    assert "checked" not in checkbox(client.get(url).content.decode())
    client.post(url, {**PROGRAMME, "match_by_meaning": "on"})
    programme.refresh_from_db()
    assert programme.match_by_meaning is True and programme.rules().weight_meaning > 0
