"""Suggested times: spread over the round's window, within the members' common times,
and never sooner than the slowest member's channel allows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.schedule import Planner, add_working_days, post_by

MONDAY = dt.date(2026, 11, 23)
EMAIL, PHONE, POST = (
    Participant.ReachedBy.EMAIL,
    Participant.ReachedBy.PHONE,
    Participant.ReachedBy.POST,
)


def local(start: dt.datetime) -> dt.datetime:
    return start.astimezone(ZoneInfo(settings.TIME_ZONE))


def test_forty_groups_any_time_are_spread_over_days_and_hours() -> None:
    planner = Planner(Programme(cadence="fortnightly"), MONDAY)
    starts = [planner.plan([[], []], [EMAIL, EMAIL]).start for _ in range(40)]
    assert all(s is not None for s in starts)
    days = Counter(local(s).date() for s in starts)
    hours = Counter(local(s).time() for s in starts)
    assert len(days) >= 8  # every weekday of the fortnight after the first
    assert max(days.values()) <= 5
    assert len(hours) >= 4
    assert len(set(starts)) == 40
    for start in starts:
        assert local(start).weekday() < 5
        assert dt.time(9) <= local(start).time() <= dt.time(16, 30)
        assert local(start).date() > MONDAY


@pytest.mark.parametrize(
    ("channel", "postal_days", "working_days"),
    [(EMAIL, 5, 1), (PHONE, 5, 2), (POST, 5, 5), (POST, 8, 8)],
)
def test_no_sooner_than_the_slowest_channel_allows(
    channel: str, postal_days: int, working_days: int
) -> None:
    planner = Planner(Programme(cadence="weekly", postal_days=postal_days), MONDAY)
    earliest = add_working_days(MONDAY, working_days)
    for _ in range(30):
        start = planner.plan([[], []], [EMAIL, channel]).start
        assert start is not None
        assert local(start).date() >= earliest
    # The slowest member decides, and a later channel really is later.
    first = Planner(Programme(cadence="weekly", postal_days=postal_days), MONDAY).plan(
        [[], []], [EMAIL, channel]
    )
    assert first.start is not None and local(first.start).date() == earliest


def test_a_letter_on_monday_means_a_meeting_the_monday_after() -> None:
    start = Planner(Programme(), MONDAY).plan([[], []], [POST, EMAIL]).start
    assert start is not None
    assert local(start).date() == dt.date(2026, 11, 30)
    assert post_by(start, 5) == MONDAY


def test_times_lie_in_the_members_common_slots() -> None:
    # Tuesday 13:00-15:00 UTC and Tuesday/Thursday 14:00-16:00 UTC: only Tuesday 14-15.
    a = [[1, 13 * 60, 15 * 60]]
    b = [[1, 14 * 60, 16 * 60], [3, 14 * 60, 16 * 60]]
    planner = Planner(Programme(cadence="fortnightly"), MONDAY)
    for _ in range(6):
        planned = planner.plan([a, b], [EMAIL, EMAIL])
        assert planned.common
        assert planned.start is not None
        assert planned.start.weekday() == 1
        assert dt.time(14) <= planned.start.time() <= dt.time(14, 30)


def test_no_common_slot_gets_a_default_time_and_is_marked() -> None:
    planned = Planner(Programme(), MONDAY).plan([[[0, 540, 600]], [[2, 540, 600]]], [EMAIL, EMAIL])
    assert planned.start is not None
    assert not planned.common
    assert local(planned.start).weekday() < 5


def test_a_previewed_round_spreads_its_groups(programme: Programme, make_participant: Any) -> None:
    for n in range(16):
        make_participant(programme, name=f"Person {n:02d}", email=f"p{n}@example.org")
    letter = make_participant(
        programme, name="Ohne Mail", email="", reached_by=POST, postal_address="Weg 1"
    )
    rnd = preview_round(programme, on=MONDAY)
    groups = list(rnd.groups.prefetch_related("members"))
    starts = [g.suggested_start for g in groups]
    assert all(starts) and len(set(starts)) == len(groups)
    assert len({local(s).date() for s in starts if s}) >= 4
    (by_post,) = [g for g in groups if letter in g.members.all()]
    assert by_post.suggested_start is not None
    assert local(by_post.suggested_start).date() >= add_working_days(MONDAY, 5)
    assert all(g.common_time for g in groups)
