"""What a participant of a neighbourhood or a network programme receives after a round
is published speaks that programme's words: no colleague, department or level reaches
them, only the answers to the questions their programme asks."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from kaffeeklatsch.notifications.emails import queue_feedback_requests
from kaffeeklatsch.programmes.kinds import DEFAULTS, Kind
from kaffeeklatsch.reach.letters import letters_pdf, phone_list_pdf
from kaffeeklatsch.reach.reminders import queue_reminders
from kaffeeklatsch.reach.services import direct_message_lines
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.programmes.test_programme_kinds import visible_text, workplace_words
from tests.support.mail import html_part, ics_part, send_outbox, text_part
from tests.support.web import sign_in_participant

pytestmark = pytest.mark.django_db

SLOT = [[1, 9 * 60, 10 * 60]]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", [Kind.NEIGHBOURHOOD, Kind.NETWORK])
def test_everything_a_participant_receives_speaks_the_kind(
    organiser: Any, make_programme: Any, make_participant: Any, smtp: Any, kind: str, language: str
) -> None:
    programme = make_programme(
        organiser,
        name="Treffpunkt",
        kind=kind,
        language=language,
        questions=list(DEFAULTS[kind].questions),
        mode="either",
        lead_days=DEFAULTS[kind].lead_days,
    )
    # Department and level are filled in (an import from a workplace list, say): neither
    # programme asks for a department; the network asks for organisation and role.
    common = {
        "department": "Youth",
        "level": "team lead",
        "language": language,
        "languages": [language],
        "availability": SLOT,
        "organisation": "Tafel e.V.",
    }
    anna = make_participant(programme, "Anna Arndt", email="anna@example.org", **common)
    make_participant(
        programme,
        "Hilde Brauer",
        email="",
        reached_by="post",
        postal_address="Lindenweg 3\n53111 Bonn",
        **{**common, "department": "Abteilung Pflege"},
    )
    make_participant(
        programme,
        "Ben Okafor",
        email="ben@example.org",
        shares="phone",
        phone="0228 1234",
        **common,
    )
    make_participant(
        programme, "Emil Jones", email="", reached_by="phone", phone="030 555", **common
    )
    rnd = publish_round(preview_round(programme))
    for group in rnd.groups.all():
        queue_reminders(group)
    queue_feedback_requests(rnd)
    assert send_outbox() >= 6

    texts: list[str] = []
    for address in ("anna@example.org", "ben@example.org"):
        messages = smtp.to(address)
        assert len(messages) == 3  # introduction, reminder, "Did you meet?"
        for message in messages:
            texts += [message["Subject"], text_part(message), visible_text(html_part(message))]
            texts.append(ics_part(message) or "")
    texts.append(pdf_text(letters_pdf(rnd)))
    texts.append(pdf_text(phone_list_pdf(rnd)))
    for group in rnd.groups.all():
        for member in group.members.all():
            texts += [str(line) for line in direct_message_lines(group, member)]
    browser = Client(headers={"accept-language": language})
    sign_in_participant(browser, anna)
    texts.append(visible_text(browser.get(reverse("participants:me")).content.decode()))

    everything = "\n".join(texts)
    assert "Anna Arndt" in everything and "Hilde Brauer" in everything
    for text in texts:
        assert workplace_words(text) == [], text
        assert "Youth" not in text, text
    # Only the answers to questions the programme asks: the network's organisation and
    # role, none of them for neighbours.
    assert ("Tafel e.V." in everything) == (kind == Kind.NETWORK)
    assert ("team lead" in everything) == (kind == Kind.NETWORK)
