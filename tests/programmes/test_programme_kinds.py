"""Programme kinds: a workplace, a network across organisations and a neighbourhood
speak to their people in their own words, from the invitation form to the e-mails,
and ask only what fits them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kaffeeklatsch.notifications.emails import queue_confirmation, queue_welcome
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.kinds import DEFAULTS, Kind
from kaffeeklatsch.programmes.models import Programme
from tests.support.mail import html_part, send_outbox, text_part
from tests.support.web import login, sign_in_participant

pytestmark = pytest.mark.django_db

# Words that belong to a workplace and must never reach a neighbour.
WORKPLACE_WORDS = [
    "Kolleg",
    "Abteilung",
    "Arbeitszeit",
    "Ebene",
    "Hierarchie",
    "Arbeitsplatz",
    "colleague",
    "department",
    "working hours",
    "workplace",
    "level",
]

# What each kind calls its people, in English and German.
PEOPLE_WORD = {
    Kind.WORKPLACE: ("colleagues", "Kolleg*innen"),
    Kind.NETWORK: ("peers from other organisations", "Fachleuten aus anderen Organisationen"),
    Kind.NEIGHBOURHOOD: ("neighbour", "Nachbar"),
}


def workplace_words(text: str) -> list[str]:
    return [word for word in WORKPLACE_WORDS if word.lower() in text.lower()]


class Inputs(HTMLParser):
    """The inputs a person fills in on a page's form (hidden fields left out; a group
    of radio buttons or checkboxes with one name counts once)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            name = found.get("name") or ""
            if name not in self.names:
                self.names.append(name)


def visible_text(html: str) -> str:
    """The page's text without markup, scripts and styles: what a person reads."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def form_inputs(html: str) -> list[str]:
    """The inputs of the page's form that asks for consent (the invitation form)."""
    [form] = [f for f in html.split("<form")[1:] if 'name="consent"' in f.split("</form>")[0]]
    parser = Inputs()
    parser.feed("<form" + form.split("</form>", 1)[0])
    return parser.names


@pytest.fixture
def kinds(organiser: Any, make_programme: Any) -> dict[str, Programme]:
    return {
        kind: make_programme(
            organiser,
            name=f"Kaffee {kind}",
            kind=kind,
            questions=list(DEFAULTS[kind].questions),
            mode=DEFAULTS[kind].mode,
            lead_days=DEFAULTS[kind].lead_days,
        )
        for kind in Kind.values
    }


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", Kind.values)
def test_join_form_speaks_the_kind_and_asks_at_most_six_things(
    kinds: dict[str, Programme], kind: str, language: str
) -> None:
    browser = Client(headers={"accept-language": language})
    html = browser.get(reverse("participants:join", args=[kinds[kind].invite_token])).content
    page = html.decode()
    inputs = form_inputs(page)
    assert len(inputs) <= 6, inputs
    assert {"name", "email", "language", "consent"} <= set(inputs)
    # How to meet is asked only where the programme leaves it open.
    assert ("mode" in inputs) == (DEFAULTS[kind].mode == "either")
    english, german = PEOPLE_WORD[kind]
    assert (english if language == "en" else german) in page
    # No sentence part lower-cased into another (the cadence is a sentence of its own).
    assert ("Alle zwei Wochen beginnt" if language == "de" else "every two weeks") in page
    if kind == Kind.NEIGHBOURHOOD:
        assert workplace_words(visible_text(page)) == []


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", Kind.values)
def test_welcome_and_confirmation_emails_speak_the_kind(
    kinds: dict[str, Programme], kind: str, language: str, smtp: Any, make_participant: Any
) -> None:
    added = make_participant(kinds[kind], department="", level="", language=language)
    joined = make_participant(
        kinds[kind], department="", level="", language=language, status="pending"
    )
    queue_welcome(added)
    queue_confirmation(joined)
    assert send_outbox() == 2
    [welcome] = smtp.to(added.email)
    [confirmation] = smtp.to(joined.email)
    english, german = PEOPLE_WORD[kind]
    word = english if language == "en" else german
    assert word in text_part(welcome) and word in html_part(welcome)
    if kind == Kind.NEIGHBOURHOOD:
        for message in (welcome, confirmation):
            for part in (text_part(message), visible_text(html_part(message))):
                assert workplace_words(part) == [], part


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_neighbourhoods_conversation_starters_are_for_neighbours(language: str) -> None:
    with translation.override(language):
        starters = [str(s) for s in DEFAULTS[Kind.NEIGHBOURHOOD].starters]
        workplace = [str(s) for s in DEFAULTS[Kind.WORKPLACE].starters]
    assert len(set(starters)) == 6
    assert all(workplace_words(text) == [] for text in starters), starters
    assert any(workplace_words(text) for text in workplace)  # the list can catch one


def test_choosing_a_kind_sets_its_defaults(client: Any, organiser: Any) -> None:
    login(client, organiser)
    form = {
        "name": "Nachbarschaftscafé Südstadt",
        "kind": "neighbourhood",
        "language": "de",
        "cadence": "fortnightly",
        "weekday": "0",
        "group_size": "2",
        "repeat_window": "6",
        "mode": "either",
        "lead_days": "1",
        "max_distance_km": "30",
        "weight_interests": "3",
        "weight_department": "2",
        "weight_level": "1",
        "weight_organisation": "1",
        "registration_open": "on",
        # The boxes as the new-programme form shows them ticked.
        "questions": list(DEFAULTS[Kind.WORKPLACE].questions),
    }
    response = client.post(reverse("programmes:create"), form)
    assert response.status_code == 302
    programme = Programme.objects.get()
    assert programme.kind == "neighbourhood"
    assert programme.questions == list(DEFAULTS[Kind.NEIGHBOURHOOD].questions)
    assert "department" not in programme.questions and "distance" in programme.questions
    assert programme.mode == "in_person" and programme.lead_days == 7

    # A default changed by the organiser stays: here the lead time, and one question
    # switched off.
    edit = {**form, "questions": ["interests", "times"], "lead_days": "10", "mode": "in_person"}
    client.post(reverse("programmes:edit", args=[programme.pk]), edit)
    programme.refresh_from_db()
    assert programme.questions == ["interests", "times"] and programme.lead_days == 10


def test_bad_kind_is_refused_and_changes_nothing(client: Any, organiser: Any, kinds: Any) -> None:
    login(client, organiser)
    programme = kinds[Kind.WORKPLACE]
    response = client.post(
        reverse("programmes:edit", args=[programme.pk]),
        {"name": "X", "kind": "pub-crawl", "language": "en", "cadence": "weekly"},
        headers={"accept-language": "de"},
    )
    assert response.status_code == 200
    assert "pub-crawl ist keine gültige Auswahl" in response.content.decode()
    programme.refresh_from_db()
    assert programme.kind == Kind.WORKPLACE and programme.name == "Kaffee workplace"


def test_a_question_switched_off_is_not_asked(
    client: Any, kinds: Any, make_participant: Any
) -> None:
    programme = kinds[Kind.NETWORK]
    person = make_participant(programme, organisation="", level="", place="", languages=["en"])
    sign_in_participant(client, person)
    edit = client.get(reverse("participants:edit_profile")).content.decode()
    assert 'name="organisation"' in edit and 'name="department"' not in edit

    programme.questions = [q for q in programme.questions if q != "organisation"]
    programme.save()
    edit = client.get(reverse("participants:edit_profile")).content.decode()
    assert 'name="organisation"' not in edit
    assert client.get(reverse("participants:step"), {"question": "organisation"}).status_code == 404
    page = client.get(reverse("participants:me")).content.decode()
    assert "Which organisation are you with?" not in page


def test_participants_of_a_neighbourhood_are_never_asked_for_a_department(
    client: Any, kinds: Any, make_participant: Any
) -> None:
    person = make_participant(kinds[Kind.NEIGHBOURHOOD], department="", level="", languages=["de"])
    sign_in_participant(client, person)
    seen = []
    for _ in range(8):
        page = client.get(reverse("participants:me")).content.decode()
        seen.append(page)
        match = re.search(r'name="question" value="([a-z]+)"', page)
        if not match:
            break
        client.post(reverse("participants:step"), {"question": match.group(1), "skip": "1"})
    person.refresh_from_db()
    assert person.finished_steps == ["interests", "times", "languages", "place", "distance"]
    for page in seen:
        assert workplace_words(visible_text(page)) == []
    assert Participant.objects.get(pk=person.pk).department == ""


def test_joining_by_phone_where_the_organiser_allows_it(
    kinds: dict[str, Programme], german_client: Any
) -> None:
    network = kinds[Kind.NETWORK]
    network.phone_sign_up = True
    network.save()
    url = reverse("participants:join", args=[network.invite_token])
    inputs = form_inputs(german_client.get(url).content.decode())
    assert inputs == ["name", "email", "phone", "language", "mode", "consent"]

    neither = {"name": "Helmut Vogel", "language": "de", "mode": "in_person", "consent": "on"}
    refused = german_client.post(url, neither)
    assert refused.status_code == 200
    assert "Bitte geben Sie eine E-Mail-Adresse oder eine Telefonnummer an." in (
        refused.content.decode()
    )
    assert not Participant.objects.exists()

    joined = german_client.post(url, {**neither, "phone": "0221 555 0101"}, follow=True)
    assert "Das Organisationsteam ruft Sie an" in joined.content.decode()
    person = Participant.objects.get()
    assert person.status == "pending" and person.email == ""
    assert person.reached_by == Participant.ReachedBy.PHONE and person.phone == "0221 555 0101"
    assert not OutboxMessage.objects.exists()

    # Without the organiser's choice there is no phone field, and an address is needed.
    neighbourhood = kinds[Kind.NEIGHBOURHOOD]
    url = reverse("participants:join", args=[neighbourhood.invite_token])
    assert "phone" not in form_inputs(german_client.get(url).content.decode())
    german_client.post(url, {**neither, "phone": "0221 555 0102"})
    assert Participant.objects.count() == 1
