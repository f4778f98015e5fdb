"""Dates and times in messages, written the way the reader's language writes them.

Django's formats of the active language (``DATE_FORMAT``, ``TIME_FORMAT``) decide
the pattern, so an English reader sees "Thursday, Dec. 3, 2026, 4:30 p.m." and a
German one "Donnerstag, 3. Dezember 2026, 16:30". Call inside
``translation.override(language)``; times are shown in the server's time zone.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(timezone.get_default_timezone())


def long_date(value: dt.date | dt.datetime) -> str:
    """The weekday and the date: "Thursday, Dec. 3, 2026"."""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return _("%(weekday)s, %(date)s") % {
        "weekday": date_format(value, "l"),
        "date": date_format(value, "DATE_FORMAT"),
    }


def clock_time(value: dt.datetime) -> str:
    """The time of day: "4:30 p.m." / "16:30"."""
    return time_format(_local(value), "TIME_FORMAT")


def date_and_time(value: dt.datetime) -> str:
    """ "Thursday, Dec. 3, 2026, 4:30 p.m." / "Donnerstag, 3. Dezember 2026, 16:30"."""
    return _("%(date)s, %(time)s") % {"date": long_date(value), "time": clock_time(value)}
