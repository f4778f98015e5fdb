"""Calendar entries as calendars take them: every member's copy of a group's meeting
is one event, changes raise its SEQUENCE, cancellations are METHOD:CANCEL of the same
UID. Read by two independent parsers (icalendar, vobject) and stored in a real
CalDAV server (Radicale) on loopback, as a calendar program would."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
import pytest
import vobject
from django.urls import reverse

from kaffeeklatsch.notifications.models import CalendarEvent, OutboxMessage
from kaffeeklatsch.participants.erasure import erase_participant
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.caldav import Calendar, radicale
from tests.support.mail import ics_part, text_part
from tests.support.web import sign_in_participant

pytestmark = pytest.mark.django_db

SLOT = [[1, 9 * 60, 12 * 60], [3, 9 * 60, 12 * 60]]


@pytest.fixture
def trio(programme: Any, make_participant: Any, settings: Any) -> list[Participant]:
    settings.VIDEO_URL_TEMPLATE = "https://video.example.org/{room}"
    programme.group_size = 3
    programme.save()
    return [
        make_participant(
            programme, name, email=email, language=lang, mode="online", availability=SLOT
        )
        for name, email, lang in (
            ("Anna Schmidt", "anna@example.org", "de"),
            ("Ben Okafor", "ben@example.org", "en"),
            ("Cleo Brandt", "cleo@example.org", "en"),
        )
    ]


def received(smtp: Any, address: str) -> EmailMessage:
    """The last e-mail to ``address``."""
    return smtp.to(address)[-1]


def check_itip(text: str) -> dict[str, Any]:
    """Reads ``text`` with both parsers, checks RFC 5546's rules for PUBLISH and
    CANCEL with each, and returns what they agree on."""
    ours = icalendar.Calendar.from_ical(text)
    [event] = ours.walk("VEVENT")
    theirs = vobject.readOne(text, validate=True)
    [other] = theirs.vevent_list
    method = str(ours["METHOD"])
    assert theirs.method.value == method
    assert theirs.version.value == "2.0" and str(ours["VERSION"]) == "2.0"
    facts = {
        "method": method,
        "uid": str(event["UID"]),
        "sequence": int(event["SEQUENCE"]),
        "dtstamp": event.decoded("DTSTAMP"),
        "start": event.decoded("DTSTART"),
        "end": event.decoded("DTEND"),
        "organizer": str(event["ORGANIZER"]),
        "summary": str(event["SUMMARY"]),
        "status": str(event["STATUS"]),
    }
    assert other.uid.value == facts["uid"]
    assert int(other.sequence.value) == facts["sequence"]
    assert other.dtstamp.value == facts["dtstamp"]
    assert other.dtstart.value == facts["start"]
    assert other.dtend.value == facts["end"]
    assert other.organizer.value == facts["organizer"]
    assert other.summary.value == facts["summary"]
    assert other.status.value == facts["status"]
    # No attendees in either method (RFC 5546 §3.2.1 forbids them in a PUBLISH).
    assert event.get("ATTENDEE") is None and not hasattr(other, "attendee")
    assert facts["organizer"].startswith("mailto:")
    if method == "CANCEL":
        assert facts["status"] == "CANCELLED"
    else:
        assert method == "PUBLISH" and facts["status"] == "CONFIRMED"
    return facts


# What a calendar compares: the same in every member's copy, whatever the language.
SAME = ("uid", "sequence", "dtstamp", "start", "end", "organizer", "status")


def test_every_member_gets_the_same_event(trio: list[Participant], programme: Any, smtp: Any):
    rnd = publish_round(preview_round(programme))
    [group] = rnd.groups.all()
    from tests.support.mail import send_outbox

    assert send_outbox() == 3
    copies = {p.email: ics_part(received(smtp, p.email)) or "" for p in trio}
    facts = {email: check_itip(text) for email, text in copies.items()}
    anna, ben, cleo = (facts[p.email] for p in trio)
    for key in SAME:
        assert anna[key] == ben[key] == cleo[key], key
    assert anna["uid"] == f"group-{group.pk}@localhost" and anna["sequence"] == 0
    assert anna["dtstamp"] == rnd.published_at.replace(microsecond=0)
    # Same language, same bytes; the names of the whole group, in the same order.
    assert copies["ben@example.org"] == copies["cleo@example.org"]
    assert ben["summary"] == "Coffee: Anna Schmidt, Ben Okafor, Cleo Brandt"
    assert anna["summary"] == "Kaffee: Anna Schmidt, Ben Okafor, Cleo Brandt"
    # The MIME part names the method the calendar carries.
    part = next(
        p
        for p in received(smtp, "ben@example.org").walk()
        if p.get_content_type() == "text/calendar"
    )
    assert part.get_param("method") == "PUBLISH"


def _send(smtp: Any) -> None:
    from tests.support.mail import send_outbox

    smtp.clear()
    send_outbox()


def test_leaving_cancels_and_updates_in_a_shared_calendar(
    trio: list[Participant], programme: Any, smtp: Any, client: Any, tmp_path: Path
) -> None:
    anna, ben, cleo = trio
    rnd = publish_round(preview_round(programme))
    [group] = rnd.groups.all()
    _send(smtp)
    with radicale(tmp_path / "collections") as port:
        # Ben and Cleo keep one team calendar; Anna her own.
        team = Calendar(port, "/team/coffee/")
        team.create()
        own = Calendar(port, "/anna/calendar/", user="anna")
        own.create()
        first = ics_part(received(smtp, "ben@example.org")) or ""
        second = ics_part(received(smtp, "cleo@example.org")) or ""
        assert team.receive(first) == "added"
        # A second resource with the same UID is refused (Radicale's no-uid-conflict):
        # the copies must be one event, which the client finds by its UID.
        from tests.support.caldav import resource

        assert team.put("/team/coffee/other.ics", resource(second), {}) == 409
        assert team.receive(second) == "updated"
        assert own.receive(ics_part(received(smtp, "anna@example.org")) or "") == "added"
        [stored] = team.entries().values()
        assert "Cleo Brandt" in stored

        # Cleo leaves on her page: her meeting is cancelled, the others' changes.
        sign_in_participant(client, cleo)
        assert client.post(reverse("participants:leave")).status_code == 302
        _send(smtp)
        cancel = ics_part(received(smtp, "cleo@example.org")) or ""
        update = ics_part(received(smtp, "ben@example.org")) or ""
        for_anna = ics_part(received(smtp, "anna@example.org")) or ""
        cancelled, changed = check_itip(cancel), check_itip(update)
        assert cancelled["method"] == "CANCEL" and cancelled["sequence"] == 1
        assert changed["method"] == "PUBLISH" and changed["sequence"] == 2
        assert check_itip(for_anna)["sequence"] == 2
        for key in ("uid", "start", "end"):
            assert cancelled[key] == changed[key]
        assert changed["summary"] == "Coffee: Anna Schmidt, Ben Okafor"
        assert "Cancelled" in received(smtp, "cleo@example.org")["Subject"]
        assert "no longer take part" in text_part(received(smtp, "cleo@example.org"))
        assert "Geändert" in received(smtp, "anna@example.org")["Subject"]

        # The team calendar gets both; the meeting stays, in either order.
        assert team.receive(update) == "updated"
        assert team.receive(cancel) == "ignored"  # older than what it holds
        [stored] = team.entries().values()
        assert "Cleo" not in stored and "SEQUENCE:2" in stored
        assert own.receive(for_anna) == "updated"

        # Ben leaves too: the group is dissolved, Anna's meeting is cancelled as well.
        sign_in_participant(client, ben)
        client.post(reverse("participants:leave"))
        _send(smtp)
        for_ben = check_itip(ics_part(received(smtp, "ben@example.org")) or "")
        for_anna = check_itip(ics_part(received(smtp, "anna@example.org")) or "")
        assert for_ben["method"] == for_anna["method"] == "CANCEL"
        assert for_ben["sequence"] == for_anna["sequence"] == 3
        assert not smtp.to("cleo@example.org")
        assert team.receive(ics_part(received(smtp, "ben@example.org")) or "") == "removed"
        assert own.receive(ics_part(received(smtp, "anna@example.org")) or "") == "removed"
        assert team.entries() == {} and own.entries() == {}
    assert CalendarEvent.objects.get(group=group).sequence == 3
    # Leaving again changes nothing and sends nothing.

    ben.refresh_from_db()
    assert ben.leave() is False
    _send(smtp)
    assert smtp.messages == []


def test_the_other_order_in_a_shared_calendar(
    trio: list[Participant], programme: Any, smtp: Any, tmp_path: Path
) -> None:

    publish_round(preview_round(programme))
    _send(smtp)
    with radicale(tmp_path / "collections") as port:
        team = Calendar(port, "/team/coffee/")
        team.create()
        assert team.receive(ics_part(received(smtp, "cleo@example.org")) or "") == "added"
        trio[2].leave()
        _send(smtp)
        # The cancellation first removes it; the update brings it back.
        assert team.receive(ics_part(received(smtp, "cleo@example.org")) or "") == "removed"
        assert team.receive(ics_part(received(smtp, "ben@example.org")) or "") == "added"
        [stored] = team.entries().values()
        assert "Ben Okafor" in stored and "Cleo" not in stored


def test_an_erased_member_gets_nothing_and_the_others_an_update(
    trio: list[Participant], programme: Any, smtp: Any
) -> None:
    publish_round(preview_round(programme))
    _send(smtp)
    erase_participant(trio[2])
    _send(smtp)
    assert smtp.to("cleo@example.org") == []
    facts = check_itip(ics_part(received(smtp, "ben@example.org")) or "")
    assert facts["method"] == "PUBLISH" and facts["sequence"] == 2
    assert "Cleo" not in facts["summary"]
    # Down to one: dissolved.
    erase_participant(trio[1])
    _send(smtp)
    facts = check_itip(ics_part(received(smtp, "anna@example.org")) or "")
    assert facts["method"] == "CANCEL" and facts["sequence"] == 3
    assert received(smtp, "anna@example.org")["Subject"].startswith("Abgesagt: Kaffee am ")


def test_past_meetings_and_people_without_e_mail_get_no_change(
    trio: list[Participant], programme: Any, smtp: Any
) -> None:

    rnd = publish_round(preview_round(programme))
    _send(smtp)
    Participant.objects.filter(pk=trio[0].pk).update(reached_by=Participant.ReachedBy.POST)
    rnd.groups.update(suggested_start=dt.datetime(2020, 1, 7, 9, tzinfo=dt.UTC))
    trio[2].leave()
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.CALENDAR).exists()
    rnd.groups.update(suggested_start=dt.datetime(2099, 1, 6, 9, tzinfo=dt.UTC))
    trio[1].leave()
    # Ben is told; Anna, reached by post, is not (the organiser tells her).
    assert list(
        OutboxMessage.objects.filter(kind=OutboxMessage.Kind.CALENDAR).values_list("to", flat=True)
    ) == ["ben@example.org"]


def test_an_introduction_sent_after_a_change_carries_the_new_sequence(
    trio: list[Participant], programme: Any, smtp: Any
) -> None:

    publish_round(preview_round(programme))
    trio[2].leave()  # before the introductions went out
    _send(smtp)
    intro = next(m for m in smtp.to("ben@example.org") if "you meet" in str(m["Subject"]))
    facts = check_itip(ics_part(intro) or "")
    assert facts["sequence"] == 2 and "Cleo" not in facts["summary"]


def test_we_cannot_meet_cancels_the_meeting_in_every_calendar(
    trio: list[Participant], programme: Any, smtp: Any, client: Any
) -> None:
    """One member's "we cannot meet" takes the meeting out of everyone's calendar: a
    CANCEL of the same UID with the next SEQUENCE, once."""
    rnd = publish_round(preview_round(programme))
    _send(smtp)
    first = {p.email: check_itip(ics_part(received(smtp, p.email)) or "") for p in trio}
    anna, ben, cleo = trio
    group = rnd.groups.get()
    sign_in_participant(client, ben)
    answer = client.post(
        reverse("reach:meeting_update", args=[group.pk]), {"status": "cannot_meet"}
    )
    assert answer.status_code == 302
    _send(smtp)
    for person in trio:
        cancel = check_itip(ics_part(received(smtp, person.email)) or "")
        assert cancel["method"] == "CANCEL"
        assert cancel["uid"] == first[person.email]["uid"]
        assert cancel["sequence"] == first[person.email]["sequence"] + 1
    assert "Ben Okafor said that your group cannot meet" in text_part(received(smtp, cleo.email))
    assert "you said that your group cannot meet" in text_part(received(smtp, ben.email))
    # A second "cannot meet" of the same group sends nothing more.
    sign_in_participant(client, cleo)
    client.post(reverse("reach:meeting_update", args=[group.pk]), {"status": "cannot_meet"})
    _send(smtp)
    assert smtp.messages == []
