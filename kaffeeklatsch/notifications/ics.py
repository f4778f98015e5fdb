"""Calendar invitations (RFC 5545) for a group's suggested meeting."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone


def meeting_invitation(
    *,
    uid: str,
    start: dt.datetime,
    minutes: int,
    summary: str,
    description: str,
    location: str,
    attendees: list[tuple[str, str]],
    url: str = "",
) -> str:
    """A one-event VCALENDAR with METHOD:PUBLISH, which Outlook, Thunderbird and Apple
    Calendar open as an event to add. Times are written in UTC; the organiser is the
    sender of Kaffeeklatsch's e-mails (RFC 5546 asks for one in a PUBLISH)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Kaffeeklatsch//Kaffeeklatsch//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", start.astimezone(dt.UTC))
    event.add("dtend", (start + dt.timedelta(minutes=minutes)).astimezone(dt.UTC))
    sender_name, sender_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = icalendar.vCalAddress(f"mailto:{sender_address or 'kaffeeklatsch@localhost'}")
    organizer.params["cn"] = icalendar.vText(sender_name or "Kaffeeklatsch")
    event.add("organizer", organizer, encode=0)
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    for name, email in attendees:
        attendee = icalendar.vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = icalendar.vText(name)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    event.add("transp", "OPAQUE")
    event.add("sequence", 0)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def uid_domain() -> str:
    host = settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "localhost"
