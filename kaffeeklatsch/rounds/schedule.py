"""A suggested meeting time where the members' weekly availabilities overlap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings

MEETING_MINUTES = 30
SEARCH_DAYS = 14
# "Any time" means working hours in the server's time zone.
WORKDAY_START = dt.time(9, 0)
WORKDAY_END = dt.time(17, 0)

Window = tuple[dt.datetime, dt.datetime]


def _windows_on(day: dt.date, slots: Sequence[Sequence[int]], zone: ZoneInfo) -> list[Window]:
    if not slots:
        if day.weekday() >= 5:
            return []
        return [
            (
                dt.datetime.combine(day, WORKDAY_START, tzinfo=zone).astimezone(dt.UTC),
                dt.datetime.combine(day, WORKDAY_END, tzinfo=zone).astimezone(dt.UTC),
            )
        ]
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    return [
        (midnight + dt.timedelta(minutes=start), midnight + dt.timedelta(minutes=end))
        for weekday, start, end in slots
        if weekday == day.weekday()
    ]


def _intersect(a: list[Window], b: list[Window]) -> list[Window]:
    out = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if end > start:
                out.append((start, end))
    return sorted(out)


def suggest_start(
    availabilities: Sequence[Sequence[Sequence[int]]], after: dt.date
) -> dt.datetime | None:
    """The first half hour, on a day after ``after`` within two weeks, that suits everyone.

    Each member's availability is a list of ``[weekday, start, end]`` windows in minutes
    from midnight UTC (an empty list means any time during working hours). Returns a UTC
    datetime rounded up to a quarter hour, or ``None`` if the windows never overlap.
    """
    zone = ZoneInfo(settings.TIME_ZONE)
    need = dt.timedelta(minutes=MEETING_MINUTES)
    for offset in range(1, SEARCH_DAYS + 1):
        day = after + dt.timedelta(days=offset)
        common: list[Window] | None = None
        for slots in availabilities:
            windows = _windows_on(day, slots, zone)
            common = windows if common is None else _intersect(common, windows)
            if not common:
                break
        for start, end in common or []:
            minutes = (-start.minute) % 15
            start = start.replace(second=0, microsecond=0) + dt.timedelta(minutes=minutes)
            if end - start >= need:
                return start
    return None
