"""Between the web's participants and the engine's people: availability windows,
languages, interests, places, and the ``Person`` each participant becomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.matching.geo import resolve_location
from kaffeeklatsch.matching.languages import normalise_language
from kaffeeklatsch.matching.model import Location, Mode, Person, Slot

# Parts of a working day people can pick, in the server's local time.
DAY_PARTS = [
    ("morning", 9 * 60, 12 * 60, _("morning (9–12)")),
    ("midday", 12 * 60, 14 * 60, _("midday (12–14)")),
    ("afternoon", 14 * 60, 17 * 60, _("afternoon (14–17)")),
]
DAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday")]


def utc_offset_minutes(on: dt.date | None = None) -> int:
    zone = ZoneInfo(settings.TIME_ZONE)
    day = on or dt.date.today()
    offset = dt.datetime.combine(day, dt.time(12), tzinfo=zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def availability_choices() -> list[tuple[str, str]]:
    return [
        (f"{day}-{key}", f"{DAY_NAMES[day]}, {label}")
        for day in range(5)
        for key, _start, _end, label in DAY_PARTS
    ]


def slots_from_choices(choices: Iterable[str]) -> list[list[int]]:
    """Checkbox values such as ``"0-morning"`` to UTC windows ``[weekday, start, end]``."""
    offset = utc_offset_minutes()
    parts = {key: (start, end) for key, start, end, _label in DAY_PARTS}
    slots = []
    for value in sorted(set(choices)):
        day_text, _sep, key = value.partition("-")
        if not day_text.isdigit() or key not in parts:
            continue
        start, end = parts[key]
        slots.append([int(day_text), start - offset, end - offset])
    return slots


def choices_from_slots(slots: Iterable[Iterable[int]]) -> list[str]:
    offset = utc_offset_minutes()
    by_window = {(start, end): key for key, start, end, _label in DAY_PARTS}
    values = []
    for weekday, start, end in slots:
        key = by_window.get((start + offset, end + offset))
        if key is not None:
            values.append(f"{weekday}-{key}")
    return values


def parse_languages(text: str) -> tuple[list[str], list[str]]:
    """Comma-separated names or codes to ISO codes; returns (codes, unknown words)."""
    codes: list[str] = []
    unknown: list[str] = []
    for word in text.replace(";", ",").split(","):
        if not word.strip():
            continue
        code = normalise_language(word)
        if code is None:
            unknown.append(word.strip())
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def parse_interests(text: str) -> list[str]:
    seen: list[str] = []
    for word in text.replace(";", ",").split(","):
        word = " ".join(word.split())
        if word and word.lower() not in {w.lower() for w in seen}:
            seen.append(word[:60])
    return seen[:20]


def resolve_place(text: str) -> Location | None:
    """A German postcode, town or "lat,lon" to a point, offline; ``None`` if unknown."""
    if not text.strip():
        return None
    return resolve_location(text.strip())


class Profile(Protocol):
    """What the engine needs of a participant: a model instance or a row read with
    ``values_list`` (see :mod:`kaffeeklatsch.rounds.people`). Read-only properties,
    so that a row (a named tuple) satisfies it as well as a model instance."""

    @property
    def pk(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def department(self) -> str: ...

    @property
    def organisation(self) -> str: ...

    @property
    def level(self) -> str: ...

    @property
    def languages(self) -> list[str]: ...

    @property
    def place(self) -> str: ...

    @property
    def latitude(self) -> float | None: ...

    @property
    def longitude(self) -> float | None: ...

    @property
    def travel_km(self) -> int | None: ...

    @property
    def mode(self) -> str: ...

    @property
    def interests(self) -> list[str]: ...

    @property
    def availability(self) -> list[list[int]]: ...


def _slots(availability: Iterable[Iterable[int]]) -> tuple[Slot, ...]:
    return tuple(Slot(int(d), int(s), int(e)) for d, s, e in availability)


class PersonMaker:
    """Makes the engine's people of a programme's participants.

    A round reads many participants at once, and most of them share their languages,
    interests and times (:func:`kaffeeklatsch.rounds.people.person_rows` gives equal
    lists as one object): each such list is converted once per maker, not once per
    person, which at 1,000,000 people is most of the time of making them."""

    def __init__(self, programme_mode: str) -> None:
        self.forced = None if programme_mode == Mode.EITHER.value else Mode(programme_mode)
        self.modes = {mode.value: mode for mode in Mode}
        # id of a list -> (the list, its conversion): the list is kept, so that its id
        # names it for as long as the maker lives.
        self.converted: dict[int, tuple[object, tuple]] = {}

    def _once(self, value: Any, convert: Callable[[Any], tuple]) -> tuple:
        found = self.converted.get(id(value))
        if found is None:
            found = self.converted[id(value)] = (value, convert(value))
        return found[1]

    def __call__(self, participant: Profile, blocked: Iterable[int] = ()) -> Person:
        own = self.modes.get(participant.mode) or Mode(participant.mode)
        location = None
        if participant.latitude is not None and participant.longitude is not None:
            location = Location(participant.latitude, participant.longitude, participant.place)
        return Person(
            id=str(participant.pk),
            name=participant.name,
            email=participant.email,
            department=participant.department,
            organisation=participant.organisation,
            level=participant.level,
            languages=self._once(participant.languages, tuple),
            location=location,
            mode=self.forced or own,
            interests=self._once(participant.interests, tuple),
            blocked=tuple(str(b) for b in sorted(set(blocked))) if blocked else (),
            availability=self._once(participant.availability, _slots),
            # 0 or no answer: no limit of the person's own, the programme's applies
            max_distance_km=float(participant.travel_km) if participant.travel_km else None,
        )


def to_person(participant: Profile, programme_mode: str, blocked: Iterable[int] = ()) -> Person:
    return PersonMaker(programme_mode)(participant, blocked)
