"""Calendar entries (RFC 5545, sent as iTIP/iMIP, RFC 5546 and 6047) for a group's
suggested meeting.

An entry is published, not requested: ``METHOD:PUBLISH`` with an ORGANIZER and no
ATTENDEE (RFC 5546 §3.2.1). Kaffeeklatsch does not read answers to its e-mails, and
listing the members as attendees would show each member the addresses of the others,
which they may not have agreed to share. Every member's copy of one group's meeting is
the same event: the same UID, SEQUENCE, DTSTAMP, times, place and names, so members
who keep one shared calendar store it once. A change is published again with a higher
SEQUENCE of the same UID; a cancellation is ``METHOD:CANCEL`` of the same UID with
``STATUS:CANCELLED`` (RFC 5546 §3.2.5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr

import icalendar
from django.conf import settings

from kaffeeklatsch.matching.text import clean_lines, clean_one_line

PUBLISH = "PUBLISH"
CANCEL = "CANCEL"


@dataclass(frozen=True)
class CalendarEntry:
    """What one calendar entry says; the same for every member of a group, apart
    from the words, which are in the member's language."""

    uid: str
    sequence: int
    stamp: dt.datetime
    start: dt.datetime
    minutes: int
    summary: str
    description: str
    location: str
    url: str = ""


def calendar_text(entry: CalendarEntry, method: str = PUBLISH) -> str:
    """A one-event VCALENDAR with ``method`` (:data:`PUBLISH` or :data:`CANCEL`).
    Times are written in UTC; the organiser is the sender of Kaffeeklatsch's e-mails
    (RFC 5546 asks for one in both methods)."""
    if method not in (PUBLISH, CANCEL):
        raise ValueError(f"unknown iTIP method {method!r}")
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Kaffeeklatsch//Kaffeeklatsch//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", entry.stamp.astimezone(dt.UTC))
    event.add("dtstart", entry.start.astimezone(dt.UTC))
    event.add("dtend", (entry.start + dt.timedelta(minutes=entry.minutes)).astimezone(dt.UTC))
    sender_name, sender_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = icalendar.vCalAddress(f"mailto:{sender_address or 'kaffeeklatsch@localhost'}")
    organizer.params["cn"] = icalendar.vText(sender_name or "Kaffeeklatsch")
    event.add("organizer", organizer, encode=0)
    # Names and places are one line (their forms refuse others); older ones are made so.
    event.add("summary", clean_one_line(entry.summary).text)
    event.add("description", clean_lines(entry.description))
    if entry.location:
        event.add("location", clean_one_line(entry.location).text)
    if entry.url:
        event.add("url", entry.url)
    if method == CANCEL:
        event.add("status", "CANCELLED")
        event.add("transp", "TRANSPARENT")
    else:
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def calendar_method(text: str) -> str:
    """The METHOD of a VCALENDAR written by :func:`calendar_text`."""
    return str(icalendar.Calendar.from_ical(text).get("method", PUBLISH)).upper()


def uid_domain() -> str:
    host = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "localhost"


def group_uid(group_id: int) -> str:
    return f"group-{group_id}@{uid_domain()}"
