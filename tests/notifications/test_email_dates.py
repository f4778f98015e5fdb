"""Dates and times in e-mails are written as the recipient's language writes them
(Django's formats of ``de`` and ``en``), never in one pattern for everybody."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import translation

from kaffeeklatsch.notifications.dates import clock_time, date_and_time, long_date
from kaffeeklatsch.reach.reminders import queue_reminders
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import html_part, send_outbox, text_part

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# A Thursday afternoon, in the server's time zone.
START = dt.datetime(2031, 12, 4, 15, 30, tzinfo=BERLIN)
ENGLISH = "Thursday, Dec. 4, 2031, 3:30 p.m."
GERMAN = "Donnerstag, 4. Dezember 2031, 15:30 Uhr"


def test_the_patterns_of_each_language() -> None:
    with translation.override("en"):
        assert long_date(START) == "Thursday, Dec. 4, 2031"
        assert clock_time(START) == "3:30 p.m."
        assert date_and_time(START) == ENGLISH
        assert long_date(START.date()) == "Thursday, Dec. 4, 2031"
    with translation.override("de"):
        assert long_date(START) == "Donnerstag, 4. Dezember 2031"
        assert clock_time(START) == "15:30"
        assert date_and_time(START) == GERMAN
    # Shown in the server's time zone, whatever zone the value is in.
    with translation.override("de"):
        assert clock_time(START.astimezone(dt.UTC)) == "15:30"


@pytest.fixture
def pair(programme: Any, make_participant: Any) -> Any:
    slot = [[1, 9 * 60, 12 * 60]]
    anna = make_participant(
        programme, "Anna", email="anna@example.org", language="de", availability=slot
    )
    ben = make_participant(
        programme, "Ben", email="ben@example.org", language="en", availability=slot
    )
    rnd = preview_round(programme)
    rnd.groups.update(suggested_start=START)
    return anna, ben, publish_round(rnd)


def test_introductions_reminders_and_changes_in_each_language(pair: Any, smtp: Any) -> None:
    anna, ben, rnd = pair
    queue_reminders(rnd.groups.get())
    send_outbox()
    anna.leave()
    send_outbox()
    to_ben, to_anna = smtp.to("ben@example.org"), smtp.to("anna@example.org")
    kinds = ("introduction", "reminder", "change")
    assert len(to_ben) == len(to_anna) == len(kinds)
    for message in to_ben:
        for body in (text_part(message), html_part(message)):
            assert "Thursday, Dec. 4, 2031" in body
            assert "3:30 p.m." in body
            assert "4. December" not in body and "15:30" not in body
    for message in to_anna:
        for body in (text_part(message), html_part(message)):
            assert "Donnerstag, 4. Dezember 2031" in body and "15:30" in body
            assert "Thursday" not in body and "p.m." not in body
    introduction = text_part(to_ben[0])
    assert f"Suggested time: {ENGLISH} (30 minutes)" in introduction
    assert f"Vorgeschlagene Zeit: {GERMAN} (30 Minuten)" in text_part(to_anna[0])
    assert "Thursday, Dec. 4, 2031 at 3:30 p.m. (30 minutes)" in text_part(to_ben[1])
    assert "Donnerstag, 4. Dezember 2031 um 15:30 Uhr" in text_part(to_anna[1])
    assert str(to_ben[2]["Subject"]) == f"Cancelled: coffee on {ENGLISH}"
    assert str(to_anna[2]["Subject"]) == f"Abgesagt: Kaffee am {GERMAN}"
