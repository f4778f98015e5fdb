"""What participants read is meant for them: the organisers' notes ("moved here by the
organiser") appear on the organisers' page only, never in an e-mail, calendar entry,
letter, chat message or the person's page; the meeting place is a real suggestion;
a group without a common time is asked to agree another."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kaffeeklatsch.reach.letters import letters_pdf, phone_rows
from kaffeeklatsch.reach.services import direct_message_lines
from kaffeeklatsch.rounds.moves import MOVED
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import html_part, ics_part, send_outbox, text_part
from tests.support.web import login, sign_in_participant

pytestmark = pytest.mark.django_db

NOTES = ("Moved here by the organiser", "Von der Organisation hierher verschoben", "moved")


@pytest.fixture
def moved_round(programme: Any, make_participant: Any) -> Any:
    programme.mode = "in_person"
    programme.meeting_places = "Stadtteilcafé Lindenhof, Lindenstraße 5"
    programme.save()
    slot = [[1, 9 * 60, 12 * 60]]
    people = [
        make_participant(
            programme,
            name,
            email=email,
            language=language,
            mode="in_person",
            availability=slot,
            **extra,
        )
        for name, email, language, extra in [
            ("Anna", "anna@example.org", "en", {}),
            ("Bernd", "bernd@example.org", "de", {}),
            ("Carla", "carla@example.org", "de", {}),
            (
                "Dieter",
                "",
                "de",
                {"reached_by": "post", "postal_address": "Weg 1\n53111 Bonn"},
            ),
        ]
    ]
    rnd = preview_round(programme)
    # What a move by hand leaves in the groups' reasons.
    for group in rnd.groups.all():
        group.reasons = [*group.reasons, MOVED]
        group.moved = True
        group.save(update_fields=["reasons", "moved"])
    return publish_round(rnd), people


def test_no_organiser_note_in_any_participant_message(
    client: Any, organiser: Any, programme: Any, moved_round: Any, smtp: Any
) -> None:
    rnd, people = moved_round
    send_outbox()
    introductions = [
        m for m in smtp.messages if "meet" in str(m["Subject"]) or "treffen" in str(m["Subject"])
    ]
    assert len(introductions) == 3  # Dieter gets a letter
    for message in introductions:
        calendar = ics_part(message) or ""
        for text in (text_part(message), html_part(message), calendar):
            for note in NOTES:
                assert note not in text, (note, text)
        # A real place, not just "in person".
        assert "Stadtteilcafé Lindenhof" in text_part(message)
        assert "Stadtteilcafé Lindenhof" in calendar.replace("\r\n ", "")
    letters = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(letters_pdf(rnd))).pages)
    chats = [
        str(line)
        for group in rnd.groups.prefetch_related("members")
        for member in group.members.all()
        for line in direct_message_lines(group, member)
    ]
    phone_list = [" ".join(row) for row in phone_rows(rnd)]
    for text in [letters, *chats, *phone_list]:
        for note in NOTES:
            assert note not in text, (note, text)
    assert "Stadtteilcafé Lindenhof" in letters
    for person in people:
        sign_in_participant(client, person)
        page = client.get(reverse("participants:me")).content.decode()
        for note in NOTES:
            assert note not in page
    # The organisers still see their own note.
    login(client, organiser)
    page = client.get(reverse("rounds:detail", args=[programme.pk, rnd.pk])).content.decode()
    assert any(note in page for note in NOTES[:2])


def test_a_group_without_a_common_time_is_asked_to_agree_another(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    # Saturdays only, and "any time", which means the programme's usual times: weekdays.
    make_participant(programme, "Early", email="early@example.org", availability=[[5, 540, 600]])
    make_participant(programme, "Late", email="late@example.org", availability=[])
    rnd = preview_round(programme)
    group = rnd.groups.get()
    assert group.suggested_start is not None and not group.common_time
    publish_round(rnd)
    send_outbox()
    for message in smtp.messages:
        if "meet" in str(message["Subject"]):
            assert "please agree on another time" in text_part(message)
    member = group.members.first()
    lines = [str(line) for line in direct_message_lines(group, member)]
    assert any("please agree on another time" in line for line in lines)
