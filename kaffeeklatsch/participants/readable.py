"""A person's data as a document they can read: the same content as the JSON download
(:func:`.export.export_data`), every field labelled in the person's language, values in
words (dates as dates, choices by their names, times in local time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kaffeeklatsch.matching.languages import language_name
from kaffeeklatsch.notifications.dates import date_and_time, long_date
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import WEEKDAYS, MeetingMode
from kaffeeklatsch.reach.models import MeetingUpdate

#: A label for every key of the JSON download, at every depth.
LABELS: dict[str, Promise] = {
    "programme": gettext_lazy("Programme"),
    "profile": gettext_lazy("Your profile"),
    "id_in_the_organisers_file": gettext_lazy("Your id in the organisers' file"),
    "added_by_organiser": gettext_lazy("Added by the organisers"),
    "status": gettext_lazy("Status"),
    "joined": gettext_lazy("Joined"),
    "confirmed": gettext_lazy("Confirmed"),
    "left": gettext_lazy("Left"),
    "paused_until": gettext_lazy("Paused until"),
    "skip_next_round": gettext_lazy("Skips the next round"),
    "blocked": gettext_lazy("Never matched with"),
    "meetings": gettext_lazy("Your meetings"),
    "left_out_of_rounds": gettext_lazy("Rounds you were in no group"),
    "chat_handles": gettext_lazy("Your names in chat channels"),
    "meeting_updates": gettext_lazy("Your news about meetings"),
    "from_the_identity_system": gettext_lazy("What your organisation's user directory sent"),
    "signs_in_with": gettext_lazy("The account you sign in with"),
    "emails": gettext_lazy("E-mails to you"),
    # The profile
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("E-mail address"),
    "department": gettext_lazy("Department"),
    "organisation": gettext_lazy("Organisation"),
    "level": gettext_lazy("Level"),
    "languages": gettext_lazy("Languages you speak"),
    "place": gettext_lazy("Place"),
    "latitude": gettext_lazy("Latitude of the place"),
    "longitude": gettext_lazy("Longitude of the place"),
    "mode": gettext_lazy("How you like to meet"),
    "interests": gettext_lazy("Interests"),
    "availability_utc": gettext_lazy("Times you can meet"),
    "travel_km": gettext_lazy("How far you can go to meet (km)"),
    "profile_steps_done": gettext_lazy("Questions on your page you answered or skipped"),
    "language": gettext_lazy("Language of your messages"),
    "note_for_organiser": gettext_lazy("How the organisers reach you without e-mail"),
    "reached_by": gettext_lazy("How you are reached"),
    "phone": gettext_lazy("Phone number"),
    "postal_address": gettext_lazy("Postal address"),
    "partners_may_see": gettext_lazy("What the people you meet may see"),
    "named_in_chat_announcements": gettext_lazy("Named in chat announcements"),
    "reminders": gettext_lazy("Reminders before a meeting"),
    # Meetings, rounds, updates, identities, e-mails
    "round": gettext_lazy("Round"),
    "date": gettext_lazy("Date"),
    "with": gettext_lazy("With"),
    "we_met": gettext_lazy("Did you meet?"),
    "why": gettext_lazy("Why"),
    "channel": gettext_lazy("Channel"),
    "handle": gettext_lazy("Name there"),
    "update": gettext_lazy("News"),
    "when": gettext_lazy("When"),
    "user_name": gettext_lazy("User name"),
    "attributes": gettext_lazy("Details"),
    "groups": gettext_lazy("Groups"),
    "issuer": gettext_lazy("Identity provider"),
    "subject": gettext_lazy("Subject"),
    "linked": gettext_lazy("Linked"),
    "kind": gettext_lazy("Kind"),
    "created": gettext_lazy("Written"),
    "sent": gettext_lazy("Sent"),
}

_DATES = {"joined", "confirmed", "left", "date", "when", "created", "sent", "linked"}
_CHOICES: dict[str, Any] = {
    "status": Participant.Status,
    "mode": MeetingMode,
    "reached_by": Participant.ReachedBy,
    "partners_may_see": Participant.Shares,
    "kind": OutboxMessage.Kind,
    "update": MeetingUpdate.Status,
}


@dataclass
class Field:
    label: str
    value: str


@dataclass
class Table:
    label: str
    columns: list[str]
    rows: list[list[str]]


def _times(windows: list[list[int]]) -> str:
    """Weekly windows (minutes from midnight UTC) in the server's local time."""
    if not windows:
        return _("Any time (the programme's usual times)")
    zone = ZoneInfo(settings.TIME_ZONE)
    # A week without a change of summer time, to name weekdays and clock times.
    monday = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    names = dict(WEEKDAYS)
    texts = []
    for weekday, start, end in windows:
        first = (monday + dt.timedelta(days=weekday, minutes=start)).astimezone(zone)
        last = (monday + dt.timedelta(days=weekday, minutes=end)).astimezone(zone)
        texts.append(
            f"{names[first.weekday()]} {first:%H:%M}–{last:%H:%M}",
        )
    return "; ".join(texts)


def shown(key: str, value: Any) -> str:
    """A value of the JSON download in words, in the active language."""
    lang = (get_language() or "en")[:2]
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "paused_until":
        return long_date(dt.date.fromisoformat(value))
    if key in _DATES:
        return date_and_time(dt.datetime.fromisoformat(value))
    if key in _CHOICES:
        return str(_CHOICES[key](value).label)
    if key == "language":
        return language_name(value, lang)
    if key == "languages":
        return ", ".join(language_name(code, lang) for code in value)
    if key == "availability_utc":
        return _times(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(shown(key, v) for v in value)
    return str(value)


@dataclass
class Document:
    fields: list[Field]
    tables: list[Table]


def readable(data: dict[str, Any]) -> Document:
    """The JSON download as labelled fields and tables, in the active language."""
    doc = Document([], [])
    for key, value in data.items():
        label = str(LABELS[key])
        if isinstance(value, dict):
            rows = [[str(LABELS[k]), shown(k, v)] for k, v in value.items()]
            doc.tables.append(Table(label, [], rows))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            columns = list(value[0])
            doc.tables.append(
                Table(
                    label,
                    [str(LABELS[c]) for c in columns],
                    [[shown(c, item[c]) for c in columns] for item in value],
                )
            )
        else:
            doc.fields.append(Field(label, shown(key, value)))
    return doc
