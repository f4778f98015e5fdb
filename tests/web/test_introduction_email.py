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


def test_the_ics_is_rfc_5545_byte_for_byte(
    programme: Any, pair: tuple[Any, Any], smtp: Any, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Kaffeeklatsch im Haus <kaffee@haus.example.org>"
    programme.name = "Kaffee im Haus – quer durch alle Abteilungen, Ebenen und Standorte"
    programme.save()
    rnd = publish_round(preview_round(programme))
    group = rnd.groups.get()
    send_outbox()
    to_ben = smtp.to("ben@example.org")[0]
    [part] = [p for p in to_ben.walk() if p.get_content_type() == "text/calendar"]
    # One charset, the method, an attachment with a file name.
    assert part.get_params() == [
        ("text/calendar", ""),
        ("charset", "utf-8"),
        ("method", "PUBLISH"),
    ]
    assert part.get_filename() == "invitation.ics"
    raw = part.get_payload(decode=True)
    assert isinstance(raw, bytes)
    row = OutboxMessage.objects.get(to="ben@example.org")
    assert raw == row.ics.encode("utf-8")  # sent exactly as stored

    # Content lines end in CRLF, never in a bare LF or CR.
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    # Lines are folded at 75 octets, continuation lines start with one space, and a
    # fold never cuts a UTF-8 character in two.
    assert all(len(line) <= 75 for line in lines), [ln for ln in lines if len(ln) > 75]
    assert any(line.startswith(b" ") for line in lines), "the long description is folded"
    for line in lines:
        line.decode("utf-8")
    unfolded = raw.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")[:-1]
    assert unfolded[0] == "BEGIN:VCALENDAR" and unfolded[-1] == "END:VCALENDAR"
    names = [line.split(":", 1)[0].split(";", 1)[0] for line in unfolded]
    for required in ("VERSION", "PRODID", "METHOD", "UID", "DTSTAMP", "DTSTART", "DTEND"):
        assert required in names, required
    assert "METHOD:PUBLISH" in unfolded and "VERSION:2.0" in unfolded
    assert names.count("BEGIN") == names.count("END") == 2
    stamp = next(line for line in unfolded if line.startswith("DTSTAMP:"))
    start = next(line for line in unfolded if line.startswith("DTSTART"))
    end = next(line for line in unfolded if line.startswith("DTEND"))
    for line in (stamp, start, end):
        value = line.split(":", 1)[1]
        # UTC ("Z") or a named time zone, never a floating local time.
        assert value.endswith("Z") or line.startswith(("DTSTART;TZID=", "DTEND;TZID=")), line
        dt.datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    organizer = next(line for line in unfolded if line.startswith("ORGANIZER"))
    assert organizer.endswith(":mailto:kaffee@haus.example.org")
    assert 'CN="Kaffeeklatsch im Haus"' in organizer

    # The icalendar library reads it back to the same event.
    calendar = icalendar.Calendar.from_ical(raw)
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"group-{group.pk}@localhost"
    assert event.decoded("DTSTART") == group.suggested_start
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=30)
    assert str(event["ORGANIZER"]) == "mailto:kaffee@haus.example.org"
    assert programme.name in str(event["DESCRIPTION"])
    assert sorted(str(a) for a in event.get("ATTENDEE")) == [
        "mailto:anna@example.org",
        "mailto:ben@example.org",
    ]
