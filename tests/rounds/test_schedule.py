"""Suggested meeting times where weekly availabilities overlap."""

from __future__ import annotations

import datetime as dt

from kaffeeklatsch.rounds.schedule import suggest_start

MONDAY = dt.date(2026, 11, 23)


def test_first_common_half_hour_after_the_day() -> None:
    a = [[1, 8 * 60, 10 * 60]]  # Tuesday 08:00-10:00 UTC
    b = [[1, 9 * 60 + 5, 12 * 60]]  # Tuesday 09:05-12:00 UTC
    start = suggest_start([a, b], MONDAY)
    assert start == dt.datetime(2026, 11, 24, 9, 15, tzinfo=dt.UTC)


def test_too_short_overlap_and_no_overlap() -> None:
    assert suggest_start([[[1, 540, 560]], [[1, 500, 560]]], MONDAY) is None
    assert suggest_start([[[0, 540, 600]], [[2, 540, 600]]], MONDAY) is None


def test_any_time_means_working_hours_on_weekdays() -> None:
    start = suggest_start([[], []], dt.date(2026, 11, 27))  # a Friday
    assert start is not None
    assert start.astimezone(dt.UTC).weekday() == 0  # Monday, not the weekend
    assert start.astimezone(dt.UTC).hour == 8  # 09:00 in Berlin in winter


def test_any_time_meets_a_specific_window() -> None:
    start = suggest_start([[], [[3, 13 * 60, 14 * 60]]], MONDAY)
    assert start == dt.datetime(2026, 11, 26, 13, 0, tzinfo=dt.UTC)
