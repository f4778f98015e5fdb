"""The introduction e-mail of a round: written as a light row when the round is
published, rendered by the worker when it is sent, received by a real SMTP server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kaffeeklatsch.notifications import emails, transport
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.tokens import participant_for
from kaffeeklatsch.rounds.models import Group
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import comparable, html_part, ics_part, links, send_outbox, text_part

pytestmark = [pytest.mark.database, pytest.mark.django_db]


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
    # Published, so no attendees (RFC 5546 §3.2.1); the summary names the whole group.
    assert event.get("ATTENDEE") is None
    assert str(event["SUMMARY"]) == "Coffee: Anna Schmidt, Ben Okafor"
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
    assert "ATTENDEE" not in names  # a PUBLISH lists none (RFC 5546 §3.2.1)
    assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"


# --- Written when published, rendered when sent -------------------------------------


def _expected(participant: Any) -> Any:
    """What the templates give for this person's introduction, from the data as it is."""
    group = Group.objects.select_related("round__programme").get(members=participant)
    members = list(group.members.all())
    member = next(m for m in members if m.pk == participant.pk)
    return emails._introduction(group, member, members)


def test_publishing_writes_one_light_row_per_person_reached_by_email(
    programme: Any, pair: tuple[Any, Any], make_participant: Any
) -> None:
    by_post = make_participant(programme, "Carla", email="carla@example.org", reached_by="post")
    without = make_participant(programme, "Dora", email="", reached_by="phone")
    others = [make_participant(programme) for _ in range(3)]
    reached = [*pair, *others]
    rnd = publish_round(preview_round(programme), notify=False)
    assert not OutboxMessage.objects.exists()

    assert emails.queue_introductions(rnd) == len(reached)
    rows = list(OutboxMessage.objects.all())
    assert sorted(r.participant_id for r in rows) == sorted(p.pk for p in reached)
    for row in rows:
        person = next(p for p in reached if p.pk == row.participant_id)
        assert row.kind == OutboxMessage.Kind.INTRODUCTION
        assert row.group_id == Group.objects.get(round=rnd, members=person).pk
        assert row.to == person.email and row.status == OutboxMessage.Status.PENDING
        assert (row.subject, row.body_text, row.body_html, row.ics) == ("", "", "", "")
        assert row.reply_to == [] and not row.rendered
    assert not OutboxMessage.objects.filter(participant__in=[by_post, without]).exists()


def test_queueing_takes_the_same_few_queries_for_any_round(
    programme: Any, make_participant: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(60):
        make_participant(programme)
    rnd = publish_round(preview_round(programme), notify=False)
    # One INSERT ... SELECT, in a savepoint of its own.
    with django_assert_max_num_queries(3):
        assert emails.queue_introductions(rnd) == 60


def test_a_second_queue_for_the_same_round_is_refused_and_changes_nothing(
    programme: Any, pair: tuple[Any, Any], make_participant: Any
) -> None:
    make_participant(programme)  # a group of three: one row must not slip through
    rnd = publish_round(preview_round(programme))
    before = list(OutboxMessage.objects.values())
    assert len(before) == 3
    with pytest.raises(IntegrityError):
        emails.queue_introductions(rnd)
    assert list(OutboxMessage.objects.values()) == before
    # The database itself refuses a second introduction of a person for a group.
    row = OutboxMessage.objects.first()
    assert row is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(
            kind=OutboxMessage.Kind.INTRODUCTION,
            group_id=row.group_id,
            participant_id=row.participant_id,
            to=row.to,
            next_attempt_at=row.next_attempt_at,
        )


@pytest.mark.parametrize("who", ["anna@example.org", "ben@example.org"])
def test_the_email_sent_is_what_the_templates_give_in_the_persons_language(
    programme: Any, pair: tuple[Any, Any], smtp: Any, settings: Any, who: str
) -> None:
    settings.VIDEO_URL_TEMPLATE = "https://video.example.org/{room}"
    person = next(p for p in pair if p.email == who)
    publish_round(preview_round(programme))
    # Rendered from the data as it is when sent, not as it was when published.
    for p in pair:
        p.department = f"{p.department} (neu)"
        p.save()
    expected = _expected(person)
    assert send_outbox() == 2

    [received] = smtp.to(who)
    assert received["Subject"] == expected.subject
    assert [str(a) for a in received["Reply-To"].addresses] == expected.reply_to
    assert comparable(text_part(received)) == comparable(expected.body_text)
    assert comparable(html_part(received)) == comparable(expected.body_html)
    assert comparable(ics_part(received) or "") == comparable(expected.ics)
    assert expected.ics and "(neu)" in expected.body_text
    if person.language == "de":
        assert "Hallo Anna Schmidt" in expected.body_text and "Sie treffen" in expected.subject
        assert "Eine Frage zum Einstieg" in expected.body_html
    else:
        assert "Hello Ben Okafor" in expected.body_text and "you meet" in expected.subject
        assert "A question to start with" in expected.body_html
    # The sign-in link works for the recipient.
    [page] = [u for u in links(text_part(received)) if "/sign-in/" in u]
    assert participant_for(page.rstrip("/").rsplit("/", 1)[1]).pk == person.pk

    # Stored on the row as sent, so the admin shows it and a retry sends the same.
    row = OutboxMessage.objects.get(to=who)
    assert row.rendered and row.subject == received["Subject"]
    assert row.body_text == text_part(received).replace("\r\n", "\n")
    assert row.body_html == html_part(received).replace("\r\n", "\n")
    assert row.ics == ics_part(received) and row.reply_to == expected.reply_to


def test_a_retry_sends_what_was_rendered_first(
    programme: Any, pair: tuple[Any, Any], smtp: Any
) -> None:
    publish_round(preview_round(programme))
    smtp.refuse = True
    send_outbox()
    first = {
        r.pk: (r.subject, r.body_text, r.body_html, r.ics) for r in OutboxMessage.objects.all()
    }
    assert all(body for _, body, _, _ in first.values())
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).exists()
    pair[1].name = "Benjamin Okafor"
    pair[1].save()
    smtp.refuse = False
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert send_outbox() == 2
    [to_anna] = smtp.to("anna@example.org")
    assert "Ben Okafor" in to_anna["Subject"] and "Benjamin" not in text_part(to_anna)
    after = {
        r.pk: (r.subject, r.body_text, r.body_html, r.ics) for r in OutboxMessage.objects.all()
    }
    assert after == first


@pytest.mark.parametrize("size", [4, 60])
def test_rendering_a_batch_takes_the_same_few_queries_whatever_its_size(
    programme: Any, make_participant: Any, django_assert_max_num_queries: Any, size: int
) -> None:
    for n in range(size):
        make_participant(programme, language="de" if n % 2 else "en", interests=["Jazz"])
    publish_round(preview_round(programme))
    batch = list(OutboxMessage.objects.all())
    assert len(batch) == size
    # The groups with their rounds and programmes, and their members.
    with django_assert_max_num_queries(2):
        result = emails.render_messages(batch)
    assert len(result.rendered) == size and not result.failed
    assert all(m.subject and m.body_text and m.body_html and m.ics for m in batch)

    # As the worker does it: render a claimed batch and store it, in one statement
    # run for every row (in a savepoint).
    OutboxMessage.objects.update(status=OutboxMessage.Status.PENDING)
    claimed = transport.claim(size)
    with django_assert_max_num_queries(2 + 3):
        ready = transport._render(claimed)
    assert len(ready) == size
    stored = {
        m.pk: (m.subject, m.body_text, m.body_html, m.ics) for m in OutboxMessage.objects.all()
    }
    assert stored == {m.pk: (m.subject, m.body_text, m.body_html, m.ics) for m in ready}
    assert all(body for _, body, _, _ in stored.values())


def test_a_message_that_cannot_be_rendered_is_a_failed_attempt_of_it_alone(
    programme: Any, pair: tuple[Any, Any], make_participant: Any, smtp: Any, monkeypatch: Any
) -> None:
    for _ in range(4):
        make_participant(programme)
    publish_round(preview_round(programme))
    anna = pair[0]
    real = emails._ROUND_EMAILS[OutboxMessage.Kind.INTRODUCTION]

    def broken_for_anna(group: Any, member: Any, members: Any) -> Any:
        if member.pk == anna.pk:
            raise ValueError("template broken")
        return real(group, member, members)

    monkeypatch.setitem(emails._ROUND_EMAILS, OutboxMessage.Kind.INTRODUCTION, broken_for_anna)
    assert send_outbox() == 6  # tried: five sent, one failed
    assert len(smtp.messages) == 5 and not smtp.to(anna.email)
    row = OutboxMessage.objects.get(participant=anna)
    assert row.status == OutboxMessage.Status.PENDING and row.attempts == 1
    assert row.last_error == "ValueError: template broken" and row.claimed_until is None
    assert row.next_attempt_at > timezone.now() and not row.rendered
    others = OutboxMessage.objects.exclude(participant=anna)
    assert all(m.status == OutboxMessage.Status.SENT and m.attempts == 1 for m in others)

    monkeypatch.undo()  # fixed: the next attempt renders and sends it
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert send_outbox() == 1
    [to_anna] = smtp.to(anna.email)
    assert "Ben Okafor" in to_anna["Subject"]
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT and row.attempts == 2 and row.last_error == ""


def test_a_person_who_left_after_publishing_still_gets_the_introduction(
    programme: Any, pair: tuple[Any, Any], smtp: Any
) -> None:
    """The round was published with them in it: their partners' e-mails name them,
    and theirs lets them tell the partners they will not come."""
    from kaffeeklatsch.participants.models import Participant

    publish_round(preview_round(programme))
    anna = pair[0]
    anna.status = Participant.Status.LEFT
    anna.save()
    assert send_outbox() == 2
    assert len(smtp.to("anna@example.org")) == 1
    assert "Anna Schmidt" in smtp.to("ben@example.org")[0]["Subject"]
