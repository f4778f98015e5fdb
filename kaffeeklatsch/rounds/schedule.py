"""Suggested meeting times: where the members' weekly availabilities overlap, spread
over the round's window, and never sooner than the message can reach every member.

A letter needs days in the post, a volunteer needs a day or two to make the call, an
e-mail arrives at once but people need a day to plan: each channel has a lead time in
working days (:func:`lead_days`), and a group meets no sooner than its slowest member's
lead time allows. Forty groups of people who can all meet "any time" do not all get the
same Tuesday morning: each kind of availability hands out its candidate times in turn,
days first, then times of day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.kinds import TIME_SLOTS
from kaffeeklatsch.programmes.kinds import defaults as kind_defaults
from kaffeeklatsch.programmes.models import CADENCE_DAYS, Cadence, Programme
from kaffeeklatsch.rounds.models import Group, Round

MEETING_MINUTES = 30
SEARCH_DAYS = 14
# Candidate starts lie on this grid (minutes), within the common windows.
STEP_MINUTES = 30
# The default times of a programme when a person gave none: working hours on weekdays,
# in the server's time zone (see default_hours).
WORKDAY_START = dt.time(9, 0)
WORKDAY_END = dt.time(17, 0)
# Lead time in working days of the channels that need no setting.
PHONE_LEAD_DAYS = 2
EMAIL_LEAD_DAYS = 1

Window = tuple[dt.datetime, dt.datetime]
# A weekly window in local time: weekday (0 = Monday), from, to.
LocalHours = tuple[int, dt.time, dt.time]
Availability = Sequence[Sequence[int]]


def default_hours(programme: Programme | None = None) -> list[LocalHours]:
    """The times a programme offers to people who gave none, as weekly windows in
    the server's time zone: the broad time slots its kind offers (working hours on
    weekdays without a programme)."""
    if programme is None:
        return [(weekday, WORKDAY_START, WORKDAY_END) for weekday in range(5)]
    return [
        (weekday, _clock(slot.start), _clock(slot.end))
        for slot in map(TIME_SLOTS.__getitem__, kind_defaults(programme.kind).slots)
        for weekday in slot.weekdays
    ]


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def add_working_days(day: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Monday to Friday) after ``day``."""
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def subtract_working_days(day: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Monday to Friday) before ``day``."""
    while days > 0:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def channel_of(email: str, reached_by: str) -> str:
    """How a person really gets their news: someone marked "by e-mail" without an
    address is told by the organiser, as people reached by phone are."""
    if reached_by == Participant.ReachedBy.EMAIL and not email:
        return Participant.ReachedBy.PHONE
    return reached_by


def lead_days(channel: str, postal_days: int) -> int:
    """Working days between publishing a round and the first possible meeting for a
    person reached through ``channel`` (a :class:`Participant.ReachedBy` value)."""
    if channel == Participant.ReachedBy.POST:
        return postal_days
    if channel == Participant.ReachedBy.PHONE:
        return PHONE_LEAD_DAYS
    return EMAIL_LEAD_DAYS


def _windows_on(
    day: dt.date, slots: Availability, defaults: Sequence[LocalHours], zone: ZoneInfo
) -> list[Window]:
    if not slots:
        return [
            (
                dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC),
                dt.datetime.combine(day, end, tzinfo=zone).astimezone(dt.UTC),
            )
            for weekday, start, end in defaults
            if weekday == day.weekday()
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


def common_windows(
    availabilities: Sequence[Availability],
    day: dt.date,
    defaults: Sequence[LocalHours] | None = None,
) -> list[Window]:
    """The windows on ``day`` (UTC) in which every member is available. Each member's
    availability is a list of ``[weekday, start, end]`` windows in minutes from
    midnight UTC; an empty list means the programme's default times."""
    zone = ZoneInfo(settings.TIME_ZONE)
    hours = default_hours() if defaults is None else defaults
    common: list[Window] | None = None
    for slots in availabilities:
        windows = _windows_on(day, slots, hours, zone)
        common = windows if common is None else _intersect(common, windows)
        if not common:
            return []
    return common or []


def _starts_in(window: Window, step: int) -> list[dt.datetime]:
    """Starts of a meeting within ``window``, on a ``step``-minute grid."""
    start, end = window
    need = dt.timedelta(minutes=MEETING_MINUTES)
    minutes = (-start.minute) % step
    first = start.replace(second=0, microsecond=0) + dt.timedelta(minutes=minutes)
    out = []
    while end - first >= need:
        out.append(first)
        first += dt.timedelta(minutes=step)
    return out


def suggest_start(availabilities: Sequence[Availability], after: dt.date) -> dt.datetime | None:
    """The first half hour, on a day after ``after`` within two weeks, that suits everyone.

    Returns a UTC datetime rounded up to a quarter hour, or ``None`` if the windows
    never overlap.
    """
    for offset in range(1, SEARCH_DAYS + 1):
        for window in common_windows(availabilities, after + dt.timedelta(days=offset)):
            starts = _starts_in(window, 15)
            if starts:
                return starts[0]
    return None


@dataclass(frozen=True)
class Planned:
    """A group's suggested start and whether it lies in every member's times."""

    start: dt.datetime | None
    common: bool


def _far_apart(times: list[dt.datetime]) -> list[dt.datetime]:
    """One day's starts with the times of day far apart first."""
    return sorted(times, key=lambda t: (times.index(t) % 4, t))


def _spread(starts: list[dt.datetime]) -> list[dt.datetime]:
    """The candidate starts in the order they are handed out: one per day in turn,
    and within a day the times of day far apart first (9:00, 11:00, 13:00 ...)."""
    by_day: dict[dt.date, list[dt.datetime]] = {}
    for start in starts:
        by_day.setdefault(start.date(), []).append(start)
    per_day = [_far_apart(times) for _, times in sorted(by_day.items())]
    ordered = []
    for rank in range(max((len(times) for times in per_day), default=0)):
        ordered += [times[rank] for times in per_day if rank < len(times)]
    return ordered


class Planner:
    """Suggested times for the groups of one round.

    The round's window runs from ``meet_from`` for one cadence of the programme (at
    least a week after a group's earliest day). Candidate starts are worked out once
    per combination of availabilities and lead time (in a large round most groups
    share one, e.g. "any time" by e-mail) and handed out in turn, each start again only
    once every other start of the combination was given as often (to any group): groups
    that could all meet at the same time are spread over the window's days and hours.
    A call costs O(1) amortised once its combination is known.
    """

    def __init__(self, programme: Programme, meet_from: dt.date) -> None:
        self.meet_from = meet_from
        self.postal_days = programme.postal_days
        self.programme_lead_days = programme.lead_days
        self.days = CADENCE_DAYS.get(Cadence(programme.cadence), SEARCH_DAYS)
        self.defaults = default_hours(programme)
        self.known: dict[tuple, tuple[list[dt.datetime], bool]] = {}
        # Per combination: where its turn stands, and how often a start may already
        # have been given (to any group) for it to be given again.
        self.turn: dict[tuple, tuple[int, int]] = {}
        self.used: Counter[dt.datetime] = Counter()

    def earliest(self, channels: Sequence[str]) -> dt.date:
        """The first day a group whose members are reached through ``channels`` may
        meet: after the slowest channel's lead time, and no sooner than the
        programme's lead time."""
        lead = max((lead_days(c, self.postal_days) for c in channels), default=EMAIL_LEAD_DAYS)
        return max(
            add_working_days(self.meet_from, lead),
            self.meet_from + dt.timedelta(days=self.programme_lead_days),
        )

    def _candidates(
        self, availabilities: Sequence[Availability], first: dt.date
    ) -> tuple[list[dt.datetime], bool]:
        last = max(self.meet_from + dt.timedelta(days=self.days), first + dt.timedelta(days=7))
        days = [first + dt.timedelta(days=n) for n in range((last - first).days)]
        starts = [
            start
            for day in days
            for window in common_windows(availabilities, day, self.defaults)
            for start in _starts_in(window, STEP_MINUTES)
        ]
        if starts:
            return _spread(starts), True
        # No common time: the programme's default times, and the group is asked to
        # agree on another.
        starts = [
            start
            for day in days
            for window in common_windows([[]], day, self.defaults)
            for start in _starts_in(window, STEP_MINUTES)
        ]
        return _spread(starts), False

    def plan(
        self, availabilities: Sequence[Availability], channels: Sequence[str], key: tuple = ()
    ) -> Planned:
        """The next suggested start for a group with these members' availabilities
        and channels. ``key`` names the combination of availabilities if the caller
        knows one cheaper than the availabilities themselves."""
        first = self.earliest(channels)
        name = (key or repr(sorted(map(repr, availabilities))), first)
        if name not in self.known:
            self.known[name] = self._candidates(availabilities, first)
        starts, common = self.known[name]
        if not starts:
            return Planned(None, False)
        turn, level = self.turn.get(name, (0, 0))
        while True:
            for step in range(len(starts)):
                position = (turn + step) % len(starts)
                start = starts[position]
                if self.used[start] <= level:
                    self.used[start] += 1
                    self.turn[name] = (position + 1, level)
                    return Planned(start, common)
            level += 1


def post_by(start: dt.datetime, postal_days: int) -> dt.date:
    """The last day a letter for a meeting at ``start`` can be posted."""
    local = start.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return subtract_working_days(local, postal_days)


def letters_post_by(rnd: Round) -> dt.date | None:
    """The last day the round's letters can be posted so that each arrives before its
    group's suggested time, or ``None`` if nobody in the round is reached by post."""
    first = (
        Group.objects.filter(
            round=rnd,
            suggested_start__isnull=False,
            members__programme=rnd.programme_id,
            members__reached_by=Participant.ReachedBy.POST,
        )
        .order_by("suggested_start")
        .values_list("suggested_start", flat=True)
        .first()
    )
    if first is None:
        return None
    return post_by(first, rnd.programme.postal_days)
