"""Cells to values: lists, languages, meeting modes, yes/no, places and weekly times.

Each function reads one kind of cell as organisers write it, in German or English, and
returns ``None`` (or the entries it could not read) where the text is not one.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from kaffeeklatsch.matching.languages import normalise_language
from kaffeeklatsch.matching.model import Location, Mode, Slot

LIST_SPLIT = re.compile(r"\s*[,;|\n]\s*")
_LANGUAGE_SPLIT = re.compile(r"\s*(?:[,;/|+&\n]|\bund\b|\band\b)\s*", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# A phone number as people write it: "+49 30 1234567", "030/123 45-67", "(0221) 12345".
PHONE = re.compile(r"^\+?[0-9(][0-9 ()/.\-]{4,38}$")


def split(cell: str, pattern: re.Pattern[str] = LIST_SPLIT) -> list[str]:
    """The entries of a list cell, stripped, empty ones dropped, each once."""
    if not cell:
        return []
    parts = [part for part in pattern.split(cell) if part]
    if len(parts) > 1 and len(set(parts)) < len(parts):
        parts = list(dict.fromkeys(parts))
    return parts


def _mode_key(text: str) -> str:
    return " ".join(re.sub(r"[-_/]", " ", text.casefold()).split())


_MODES: dict[str, Mode] = {
    **{
        k: Mode.IN_PERSON
        for k in (
            "in person",
            "inperson",
            "person",
            "vor ort",
            "präsenz",
            "praesenz",
            "persönlich",
            "persoenlich",
            "offline",
            "face to face",
            "vor ort treffen",
            "in präsenz",
        )
    },
    **{
        k: Mode.ONLINE
        for k in (
            "online",
            "video",
            "remote",
            "virtuell",
            "virtual",
            "digital",
            "videocall",
            "videoanruf",
            "video call",
            "online video",
        )
    },
    **{
        k: Mode.EITHER
        for k in (
            "",
            "either",
            "egal",
            "beides",
            "both",
            "any",
            "flexibel",
            "flexible",
            "beliebig",
            "online oder vor ort",
            "vor ort oder online",
            "in person or online",
            "online or in person",
        )
    },
}


def parse_mode(text: str) -> Mode | None:
    """The meeting mode an organiser wrote, or ``None`` if it is none of them."""
    return _MODES.get(_mode_key(text))


_YES = {"1", "x", "ja", "j", "yes", "y", "true", "wahr", "neu", "new", "✓", "✔"}
_NO = {"", "0", "nein", "n", "no", "false", "falsch", "-"}


def flag(text: str) -> bool | None:
    key = text.strip().casefold()
    if key in _YES:
        return True
    if key in _NO:
        return False
    return None


_DAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("mo", "mon", "montag", "monday"),
        ("di", "tu", "tue", "tues", "dienstag", "tuesday"),
        ("mi", "we", "wed", "mittwoch", "wednesday"),
        ("do", "th", "thu", "thur", "thurs", "donnerstag", "thursday"),
        ("fr", "fri", "freitag", "friday"),
        ("sa", "sat", "samstag", "sonnabend", "saturday"),
        ("so", "su", "sun", "sonntag", "sunday"),
    )
):
    for _name in _names:
        _DAYS[_name] = _number

_DAY = r"(?:" + "|".join(sorted(_DAYS, key=len, reverse=True)) + r")\.?"
_TIME = r"\d{1,2}(?:[:.]\d{2})?"
_AVAILABILITY_TOKEN = re.compile(
    rf"(?P<days>(?P<d1>{_DAY})(?:\s*[-–]\s*(?P<d2>{_DAY}))?)(?![a-zäöü])"
    rf"|(?P<times>(?P<t1>{_TIME})\s*(?:uhr\s*)?(?:-|–|bis|to)\s*(?P<t2>{_TIME})\s*(?:uhr|h)?)"
    r"|(?P<sep>[\s,;/&+]+|\bund\b|\band\b)",
    re.IGNORECASE,
)


def distance_km(text: str) -> float | None:
    """A distance such as "5", "2,5" or "10 km" in km; ``None`` unless greater than 0."""
    number = text.strip().removesuffix("km").strip().replace(",", ".")
    try:
        km = float(number)
    except ValueError:
        return None
    return km if math.isfinite(km) and km > 0 else None


def _minutes(text: str) -> int | None:
    hours, _, minutes = text.replace(".", ":").partition(":")
    value = int(hours) * 60 + (int(minutes) if minutes else 0)
    if value > 24 * 60 or (minutes and int(minutes) >= 60):
        return None
    return value


def parse_availability(
    text: str, timezone: str = "", today: date | None = None
) -> tuple[Slot, ...] | None:
    """Weekly windows from text such as "Mo-Fr 9-12, Sa 10:30-12:00" (German or English).

    A time range applies to the days written before it; a day without a time means
    the whole day. Times are in ``timezone`` (UTC when empty) and are turned into UTC
    with the offset of the week of ``today``. Returns ``None`` if the text cannot be read.
    """
    text = text.strip()
    if not text:
        return ()
    local = _local_windows(text)
    if not local:
        return None
    return _utc_slots(local, _utc_offset_minutes(timezone, today))


def _day_span(match: re.Match[str]) -> list[int]:
    """The weekdays of a token such as "Mo" or "Fr-Mo" (across the weekend)."""
    first = _DAYS[match.group("d1").rstrip(".").lower()]
    last = _DAYS[(match.group("d2") or match.group("d1")).rstrip(".").lower()]
    if first <= last:
        return list(range(first, last + 1))
    return list(range(first, 7)) + list(range(0, last + 1))


def _local_windows(text: str) -> list[tuple[int, int, int]] | None:
    """(weekday, start, end minutes) in local time of each window, or ``None`` if the
    text cannot be read."""
    local: list[tuple[int, int, int]] = []
    days: list[int] = []
    timed = False
    position = 0
    while position < len(text):
        match = _AVAILABILITY_TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        position = match.end()
        if match.group("days"):
            if timed:
                days, timed = [], False
            days.extend(d for d in _day_span(match) if d not in days)
        elif match.group("times"):
            start, end = _minutes(match.group("t1")), _minutes(match.group("t2"))
            if not days or start is None or end is None or start >= end:
                return None
            local.extend((day, start, end) for day in days)
            timed = True
    if days and not timed:
        local.extend((day, 0, 24 * 60) for day in days)
    return local


def _utc_slots(local: list[tuple[int, int, int]], offset: int) -> tuple[Slot, ...]:
    """Local windows moved by ``offset`` minutes to UTC, cut at midnight, sorted."""
    week = 7 * 24 * 60
    slots: set[Slot] = set()
    for day, start, end in local:
        begin = (day * 24 * 60 + start - offset) % week
        length = end - start
        while length > 0:
            weekday, minute = divmod(begin, 24 * 60)
            piece = min(length, 24 * 60 - minute)
            slots.add(Slot(weekday, minute, minute + piece))
            begin = (begin + piece) % week
            length -= piece
    return tuple(sorted(slots, key=lambda s: (s.weekday, s.start, s.end)))


def _utc_offset_minutes(timezone: str, today: date | None) -> int:
    if not timezone:
        return 0
    day = today or date.today()
    # The Wednesday of that week at noon: away from the night a clock changes.
    noon = datetime(day.year, day.month, day.day, 12) + timedelta(days=2 - day.weekday())
    offset = noon.replace(tzinfo=zoneinfo.ZoneInfo(timezone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def valid_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def resolve_place(text: str) -> Location | None:
    """The place of a postcode, town or coordinates, or ``None``."""
    # Imported here: the place index loads NumPy, which a file without places (and the
    # command line's --help) need not wait for.
    from kaffeeklatsch.matching.geo import resolve_location  # noqa: PLC0415

    return resolve_location(text)


def languages(cell: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ISO codes of a languages cell, and the entries that are no language."""
    codes: list[str] = []
    unknown: list[str] = []
    for text in split(cell, _LANGUAGE_SPLIT):
        code = normalise_language(text)
        if code is None:
            unknown.append(text)
        elif code not in codes:
            codes.append(code)
    return tuple(codes), tuple(unknown)


def blocked_entries(cell: str, ids: Mapping[str, int], emails: Mapping[str, str]) -> list[str]:
    """Ids or e-mail addresses in a blocked cell: separated by commas, semicolons or (for
    entries that are not themselves an id, as an id may contain a space) spaces."""
    entries: list[str] = []
    for entry in split(cell):
        if entry in ids or entry.casefold() in emails:
            entries.append(entry)
        else:
            entries.extend(entry.split())
    return entries
