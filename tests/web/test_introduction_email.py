"""The introduction e-mail of a round, received by a real SMTP server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.rounds.services import preview_round, publish_round
from tests.web.conftest import html_part, ics_part, send_outbox, text_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(programme: Any, make_participant: Any) -> tuple[Any, Any]:
    anna = make_participant(
        programme,
        "Anna Schmidt",
        email="anna@example.org",
        department="Pflege",
        language="de",
        interests=["Gärtnern", "Jazz"],
        mode="online",
        availability=[[1, 8 * 60, 11 * 60]],
    )
    ben = make_participant(
        programme,
        "Ben Okafor",
        email="ben@example.org",
        department="IT",
        language="en",
        interests=["gardening", "Jazz"],
        mode="online",
        availability=[[1, 9 * 60, 12 * 60], [3, 9 * 60, 10 * 60]],
    )
    return anna, ben


def test_each_person_gets_one_email_in_their_language_with_an_ics(
    programme: Any, pair: tuple[Any, Any], smtp: Any, settings: Any
) -> None:
    settings.KAFFEEKLATSCH_VIDEO_URL_TEMPLATE = ""
    settings.VIDEO_URL_TEMPLATE = "https://video.example.org/{room}"
    anna, ben = pair
    rnd = publish_round(preview_round(programme))
    assert send_outbox() == 2
    assert send_outbox() == 0  # nothing is sent twice

    [to_anna] = smtp.to("anna@example.org")
    [to_ben] = smtp.to("ben@example.org")
    assert "Ben Okafor" in to_anna["Subject"] and "Sie treffen" in to_anna["Subject"]
    assert "Anna Schmidt" in to_ben["Subject"] and "you meet" in to_ben["Subject"]
    assert to_anna["Reply-To"] == "ben@example.org"
    assert to_ben["Reply-To"] == "anna@example.org"
    assert to_anna["Message-ID"] != to_ben["Message-ID"]

    text = text_part(to_ben)
    html = html_part(to_ben)
    for body in (text, html):
        assert "Anna Schmidt" in body and "Pflege" in body
        assert "A question to start with" in body
        assert "https://video.example.org/kaffeeklatsch-" in body
    assert "Eine Frage zum Einstieg" in text_part(to_anna)
    assert "Jazz" in text  # the shared interest opens the conversation
    group = rnd.groups.get()
    for reason in group.reason_texts("en"):
        assert reason in text

    calendar = icalendar.Calendar.from_ical(ics_part(to_ben))
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND")
    assert start.tzinfo is not None and end - start == dt.timedelta(minutes=30)
    # Tuesday 09:00-11:00 UTC is the only overlap of the two availabilities.
    assert start.weekday() == 1
    assert dt.time(9, 0) <= start.astimezone(dt.UTC).time() <= dt.time(10, 30)
    assert str(event["UID"]).startswith(f"group-{group.pk}@")
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == ["mailto:anna@example.org", "mailto:ben@example.org"]
    assert str(event["LOCATION"]).startswith("https://video.example.org/")
    assert ics_part(to_anna) is not None


def test_without_a_template_there_is_no_video_link(
    programme: Any, pair: tuple[Any, Any], smtp: Any
) -> None:
    publish_round(preview_round(programme))
    send_outbox()
    for message in smtp.messages:
        assert "video.example.org" not in text_part(message)
        assert "http" not in str(
            icalendar.Calendar.from_ical(ics_part(message)).walk("VEVENT")[0].get("LOCATION", "")
        )


def test_no_common_time_means_no_ics_and_a_hint(
    programme: Any, pair: tuple[Any, Any], smtp: Any
) -> None:
    # The engine only groups people whose times overlap; an organiser's move may not.
    rnd = preview_round(programme)
    rnd.groups.update(suggested_start=None)
    publish_round(rnd)
    send_outbox()
    assert len(smtp.messages) == 2
    for message in smtp.messages:
        assert ics_part(message) is None
        assert "do not overlap" in text_part(message) or "überschneiden" in text_part(message)


def test_the_outbox_row_records_sending(programme: Any, pair: tuple[Any, Any], smtp: Any) -> None:
    publish_round(preview_round(programme))
    send_outbox()
    for row in OutboxMessage.objects.all():
        assert row.status == OutboxMessage.Status.SENT and row.sent_at is not None
        assert row.attempts == 1
