"""The figures of the organiser insights, computed from a programme's published rounds.

Definitions used throughout (they are also stated on the dashboard):

* A **meeting** is a group of a published round, unless everyone in it who answered
  "Did you meet?" said no. Groups nobody answered for count as meetings: most people do
  not answer, and the introduction itself is what the organiser arranged.
* A **connection** is a pair of people who were in one meeting; a group of three gives
  three connections. A connection is **new** in the first round it appears in.
* The **meeting rate** of a round is the share of its answered groups in which at least
  one person said "we met".
* **Privacy**: no figure is shown about a group of fewer than :data:`MIN_GROUP` people.
  Departments with fewer people are pooled; a pool that is still too small is hidden; the
  meeting rate of a round is hidden when fewer than :data:`MIN_GROUP` people answered; a
  programme with fewer than :data:`MIN_GROUP` people shows no figures at all.

Loading (:func:`load`) is the only part that touches the database: it reads the
programme as columns (:class:`Columns`: one array per fact, a row per person, per
group and per membership), with datetimes turned into days by the database and the
"Did you meet?" answers counted there per group. Everything else works on these arrays
with NumPy, so a programme of 100,000 people and ten rounds is counted in a fraction of
a second. The same columns are made from plain records (:class:`Data`), so the figures
can be checked by hand in tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, combinations
from typing import Any

import numpy as np
from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    ExpressionWrapper,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round

MIN_GROUP = 5
"""The smallest number of people a shown figure may be about."""

MAX_DEPARTMENTS = 16
"""At most this many departments get their own row; smaller ones join the pool."""

POOL = "\x00pool"
"""Key of the pooled small departments (never a real department name)."""

NO_DEPARTMENT = ""


@dataclass(frozen=True)
class PersonRecord:
    id: int
    department: str
    level: str
    organisation: str
    status: str
    joined: dt.date | None
    left: dt.date | None
    paused_now: bool


@dataclass(frozen=True)
class GroupRecord:
    id: int
    members: tuple[int, ...]
    answers: dict[int, bool] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        """A meeting unless everyone who answered said they did not meet."""
        return not self.answers or any(self.answers.values())

    @property
    def answered(self) -> bool:
        return bool(self.answers)

    def pairs(self) -> list[tuple[int, int]]:
        return list(combinations(sorted(self.members), 2))


@dataclass(frozen=True)
class RoundRecord:
    id: int
    number: int
    meet_from: dt.date
    score: float
    bound: float
    groups: tuple[GroupRecord, ...]
    left_out: frozenset[int] = frozenset()
    # Groups whose members shared an interest in the same words, and those who shared
    # interests by meaning only (as the round's figures count them).
    same_words: int = 0
    by_meaning: int = 0

    @property
    def quality(self) -> int | None:
        """Score against the proven bound, in percent (as on the round's page)."""
        if self.bound <= 0:
            return None
        return round(100 * min(1.0, self.score / self.bound))

    @property
    def people(self) -> frozenset[int]:
        return frozenset(m for g in self.groups for m in g.members)


@dataclass(frozen=True)
class Data:
    """A programme as plain records (for tests and small examples); :func:`insights`
    turns it into :class:`Columns` first."""

    people: dict[int, PersonRecord]
    rounds: tuple[RoundRecord, ...]  # ascending by number
    today: dt.date

    @property
    def joined(self) -> list[PersonRecord]:
        return [p for p in self.people.values() if p.joined is not None]

    def columns(self) -> Columns:
        people = sorted(self.people.values(), key=lambda p: p.id)
        codes = {name: _Codes() for name in ("department", "level", "organisation")}
        groups = [(r, g) for r, rnd in enumerate(self.rounds) for g in rnd.groups]
        members = [(k, m) for k, (_r, g) in enumerate(groups) for m in g.members]
        return Columns(
            today=self.today,
            person=_ints([p.id for p in people]),
            **{
                name: _ints([code.of(getattr(p, name)) for p in people])
                for name, code in codes.items()
            },
            names={name: code.names for name, code in codes.items()},
            joined=_ints([_day(p.joined) for p in people]),
            left=_ints([_day(p.left) for p in people]),
            gone_now=np.array([p.status == Participant.Status.LEFT for p in people], dtype=bool),
            paused_now=np.array([p.paused_now for p in people], dtype=bool),
            numbers=_ints([r.number for r in self.rounds]),
            days=_ints([r.meet_from.toordinal() for r in self.rounds]),
            scores=[r.score for r in self.rounds],
            bounds=[r.bound for r in self.rounds],
            groups=_ints([len(rnd.groups) for rnd in self.rounds]),
            same_words=_ints([rnd.same_words for rnd in self.rounds]),
            by_meaning=_ints([rnd.by_meaning for rnd in self.rounds]),
            left_out=[_ints(sorted(rnd.left_out)) for rnd in self.rounds],
            answers=_ints([sum(len(g.answers) for g in rnd.groups) for rnd in self.rounds]),
            answered_groups=_ints([sum(g.answered for g in rnd.groups) for rnd in self.rounds]),
            met_groups=_ints(
                [
                    sum(g.answered and any(g.answers.values()) for g in rnd.groups)
                    for rnd in self.rounds
                ]
            ),
            group_round=_ints([r for r, _g in groups]),
            group_met=np.array([g.met for _r, g in groups], dtype=bool),
            member_group=_ints([k for k, _m in members]),
            member_person=_ints([m for _k, m in members]),
        )


class _Codes:
    """Small numbers for the values of a text field; 0 is the empty text."""

    def __init__(self) -> None:
        self.names = [""]
        self._codes = {"": 0}

    def of(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.names)
            self.names.append(value)
        return code


def _ints(values: Sequence[int] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _day(value: dt.date | None) -> int:
    return -1 if value is None else value.toordinal()


@dataclass(frozen=True, eq=False)
class Columns:
    """A programme's people and published rounds, one array per fact.

    People are sorted by id; ``department``, ``level`` and ``organisation`` are codes
    into ``names[field]`` (0: not given); ``joined`` and ``left`` are days
    (``date.toordinal()``, -1: never). Rounds are ascending by number; per round,
    ``groups`` counts its groups (with the ones nobody is left in), ``answers`` the
    people who answered "Did you meet?", ``answered_groups`` the groups someone
    answered for and ``met_groups`` those in which someone said yes;
    ``same_words`` and ``by_meaning`` count the groups that shared an interest in the
    same words, and those that shared interests by meaning only. A group with
    members is a row of ``group_round`` (the round's position) and ``group_met`` (a
    meeting, see the module's definitions). A membership is a row of ``member_group``
    (the group's row) and ``member_person`` (a person's id)."""

    today: dt.date
    person: np.ndarray
    department: np.ndarray
    level: np.ndarray
    organisation: np.ndarray
    names: dict[str, list[str]]
    joined: np.ndarray
    left: np.ndarray
    gone_now: np.ndarray
    paused_now: np.ndarray
    numbers: np.ndarray
    days: np.ndarray
    scores: list[float]
    bounds: list[float]
    groups: np.ndarray
    same_words: np.ndarray
    by_meaning: np.ndarray
    answers: np.ndarray
    answered_groups: np.ndarray
    met_groups: np.ndarray
    left_out: list[np.ndarray]
    group_round: np.ndarray
    group_met: np.ndarray
    member_group: np.ndarray
    member_person: np.ndarray

    @property
    def joined_count(self) -> int:
        return int((self.joined >= 0).sum())

    @cached_property
    def member_round(self) -> np.ndarray:
        return self.group_round[self.member_group]

    def index_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of ``ids`` among the people, and which of them are people at all."""
        at = np.searchsorted(self.person, ids)
        at = np.minimum(at, max(len(self.person) - 1, 0))
        known = (self.person[at] == ids) if len(self.person) else np.zeros(len(ids), bool)
        return at, known

    @cached_property
    def members(self) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
        """Memberships numbered densely: (each membership's person number, how many
        numbers, each number's position among the people, whether it is one of them).
        Numbers follow the ids, so a pair of numbers is ordered as the pair of ids."""
        ids, dense = np.unique(self.member_person, return_inverse=True)
        at, known = self.index_of(ids)
        return dense.reshape(-1).astype(np.int64), len(ids), at, known

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair of people in one group: (group row, smaller number, larger number)."""
        dense = self.members[0]
        order = np.lexsort((dense, self.member_group))
        group, person = self.member_group[order], dense[order]
        sizes = np.bincount(group, minlength=len(self.group_round))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        out_g, out_a, out_b = (
            [np.zeros(0, np.int64)],
            [np.zeros(0, np.int64)],
            [np.zeros(0, np.int64)],
        )
        for size in np.unique(sizes[sizes >= 2]).tolist():
            rows = np.flatnonzero(sizes == size)
            matrix = person[starts[rows, None] + np.arange(size)]
            for i, j in combinations(range(size), 2):
                out_g.append(rows)
                out_a.append(matrix[:, i])
                out_b.append(matrix[:, j])
        return np.concatenate(out_g), np.concatenate(out_a), np.concatenate(out_b)

    def meeting_pairs(self, rounds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(round position, a, b) of the pairs of the meetings of the given rounds, as
        person numbers (see :attr:`members`)."""
        group, a, b = self.pairs
        chosen = np.zeros(len(self.numbers), dtype=bool)
        chosen[rounds] = True
        keep = self.group_met[group] & chosen[self.group_round[group]]
        return self.group_round[group[keep]], a[keep], b[keep]

    def positions(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions among the people of person numbers, and which are people at all."""
        _dense, _count, at, known = self.members
        return at[numbers], known[numbers]

    def known_pairs(self, rounds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`meeting_pairs` of two people who are both still people of the
        programme, as (round position, position of a, position of b)."""
        rnd, a, b = self.meeting_pairs(rounds)
        at_a, known_a = self.positions(a)
        at_b, known_b = self.positions(b)
        keep = known_a & known_b
        return rnd[keep], at_a[keep], at_b[keep]

    def count_of(self, *positions: np.ndarray) -> int:
        """How many different people are at these positions."""
        seen = np.zeros(len(self.person), dtype=bool)
        for at in positions:
            seen[at] = True
        return int(seen.sum())


def _numbers(rows: QuerySet, *fields: str) -> np.ndarray:
    """The integer ``fields`` of ``rows``, one row of the array each, in no order.

    PostgreSQL sends them as one text ("1,2,3,4,5,6,...") that NumPy reads in one
    pass: hundreds of thousands of rows as Python tuples would take seconds. Rows that
    are grouped (``values().annotate()``) are aggregated over, as Django does."""
    if connection.vendor != "postgresql":
        found = list(rows.values_list(*fields))
        flat = chain.from_iterable(found)
        return np.fromiter(flat, dtype=np.int64, count=len(fields) * len(found)).reshape(
            -1, len(fields)
        )
    parts: list[Any] = []
    for name in fields:
        parts += [Cast(name, CharField()), Value(",")]
    text = rows.aggregate(
        numbers=StringAgg(Concat(*parts[:-1], output_field=CharField()), delimiter=",")
    )["numbers"]
    return np.fromstring(text or "", dtype=np.int64, sep=",").reshape(-1, len(fields))


def _days(values: Iterable[dt.date | None]) -> np.ndarray:
    return np.fromiter((-1 if d is None else d.toordinal() for d in values), dtype=np.int64)


def _coded(values: Sequence[str], codes: _Codes) -> np.ndarray:
    """The codes of texts (without surrounding space), looked up once per distinct text."""
    code_of = {value: codes.of(value.strip()) for value in dict.fromkeys(values)}
    return np.fromiter(map(code_of.__getitem__, values), dtype=np.int64, count=len(values))


def load(programme: Programme, today: dt.date) -> Columns:
    """Reads what the figures need: people, published rounds, memberships and answers.

    The database does what it can: it cuts days from the datetimes (in UTC, as
    Python's ``date()`` of Django's datetimes does, and as dates, which need no
    converter of Django's on every row), says who has left or takes a break and
    counts the answers of each group. People come as narrow tuples, memberships and
    the answers' counts as numbers (:func:`_numbers`)."""
    person, department, level, organisation, joined, left, gone, paused = _people(programme, today)
    codes = {name: _Codes() for name in ("department", "level", "organisation")}
    published = list(
        programme.rounds.filter(status=Round.Status.PUBLISHED)
        .order_by("number")
        .only("pk", "number", "meet_from", "score", "bound", "figures")
    )
    rounds = [(r.pk, r.number, r.meet_from, r.score, r.bound) for r in published]
    # The figures each round keeps (counted once for a round stored before them).
    kept = [figures_of(r).get("counts", {}) for r in published]
    round_ids = [r[0] for r in rounds]
    to_position = np.zeros(max(round_ids, default=0) + 1, dtype=np.int64)
    to_position[round_ids] = np.arange(len(round_ids))
    # Groups per round from the round's index alone.
    group_counts = dict(
        Group.objects.filter(round__in=round_ids)
        .order_by()
        .values("round")
        .annotate(n=Count("round"))
        .values_list("round", "n")
    )
    answers = _answers(round_ids)
    answer_round = to_position[answers[:, 0]]
    not_met = answers[answers[:, 3] == 0, 1]
    members = _numbers(
        Group.members.through.objects.filter(group__round__in=round_ids).order_by(),
        "group__round",
        "group",
        "participant",
    )
    group_ids, first, member_group = np.unique(
        members[:, 1], return_index=True, return_inverse=True
    )
    return Columns(
        today=today,
        person=_ints(person),
        department=_coded(department, codes["department"]),
        level=_coded(level, codes["level"]),
        organisation=_coded(organisation, codes["organisation"]),
        names={name: code.names for name, code in codes.items()},
        joined=_days(joined),
        left=_days(left),
        gone_now=np.array(gone, dtype=bool),
        paused_now=np.array(paused, dtype=bool),
        numbers=_ints([r[1] for r in rounds]),
        days=_ints([r[2].toordinal() for r in rounds]),
        scores=[r[3] for r in rounds],
        bounds=[r[4] for r in rounds],
        groups=_ints([group_counts.get(pk, 0) for pk in round_ids]),
        same_words=_ints([int(c.get("interests_same_words", 0)) for c in kept]),
        by_meaning=_ints([int(c.get("interests_by_meaning", 0)) for c in kept]),
        answers=np.bincount(answer_round, weights=answers[:, 2], minlength=len(rounds)).astype(
            np.int64
        ),
        answered_groups=np.bincount(answer_round, minlength=len(rounds)),
        met_groups=np.bincount(answer_round[answers[:, 3] > 0], minlength=len(rounds)),
        left_out=_left_out(round_ids),
        group_round=to_position[members[first, 0]],
        group_met=~np.isin(group_ids, not_met),
        member_group=member_group.reshape(-1).astype(np.int64),
        member_person=members[:, 2].copy(),
    )


def _people(programme: Programme, today: dt.date) -> tuple[Sequence[Any], ...]:
    """The programme's people as eight columns: id, department, level, organisation,
    the days they joined and left, whether they have left and whether they take a
    break now."""
    utc = dt.UTC
    status = Participant.Status
    joined_at = Coalesce(
        "confirmed_at",
        Case(When(~Q(status=status.PENDING), then="created_at")),
    )
    # TruncDate converts every row in Python; a cast to a date is read by the driver.
    people = list(
        Participant.objects.filter(programme=programme)
        .order_by("pk")
        .values_list(
            "pk",
            "department",
            "level",
            "organisation",
            Cast(TruncDate(joined_at, tzinfo=utc), DateField()),
            Cast(TruncDate("left_at", tzinfo=utc), DateField()),
            ExpressionWrapper(Q(status=status.LEFT), output_field=BooleanField()),
            ExpressionWrapper(
                Q(status=status.ACTIVE) & (Q(skip_next_round=True) | Q(paused_until__gte=today)),
                output_field=BooleanField(),
            ),
        )
    )
    return tuple(zip(*people, strict=True)) if people else ((),) * 8


def _answers(round_ids: list[int]) -> np.ndarray:
    """Per group that has answers: its round, the group, how many answered and how
    many said yes."""
    return _numbers(
        Feedback.objects.filter(group__round__in=round_ids)
        .order_by()
        .values("group__round", "group")
        .annotate(n=Count("pk"), yes=Count("pk", filter=Q(met=True))),
        "group__round",
        "group",
        "n",
        "yes",
    )


def _left_out(round_ids: list[int]) -> list[np.ndarray]:
    """The people left out of each round, sorted."""
    position = {pk: k for k, pk in enumerate(round_ids)}
    left_out: list[list[int]] = [[] for _ in round_ids]
    for round_id, participant_id in (
        LeftOut.objects.filter(round__in=round_ids)
        .order_by()
        .values_list("round_id", "participant_id")
    ):
        left_out[position[round_id]].append(participant_id)
    return [_ints(sorted(set(ids))) for ids in left_out]


# --- people over time -------------------------------------------------------------------


@dataclass(frozen=True)
class PeoplePoint:
    """The programme's people on one day: everyone who ever joined, those who had left,
    those taking a break (paused or skipping that round) and the active rest."""

    day: dt.date
    round_number: int | None  # None for today
    joined: int
    active: int
    paused: int
    left: int


def people_over_time(data: Columns, rounds: np.ndarray) -> list[PeoplePoint]:
    """One point per round (on its day) and one for today.

    On a round's day, a person who had joined and not yet left but was neither in a group
    nor left out of that round was taking a break; today, a break is a current pause or a
    skipped next round.
    """
    points = []
    has_joined = data.joined >= 0
    for r in rounds.tolist():
        day = int(data.days[r])
        members = has_joined & (data.joined <= day)
        gone = members & (data.left >= 0) & (data.left <= day)
        present = members & ~gone
        in_round = np.zeros(len(data.person), dtype=bool)
        at, known = data.positions(data.members[0][data.member_round == r])
        in_round[at[known]] = True
        at, known = data.index_of(data.left_out[r])
        in_round[at[known]] = True
        paused = int((present & ~in_round).sum())
        points.append(
            PeoplePoint(
                dt.date.fromordinal(day),
                int(data.numbers[r]),
                int(members.sum()),
                int(present.sum()) - paused,
                paused,
                int(gone.sum()),
            )
        )
    today = data.today.toordinal()
    members = has_joined & (data.joined <= today)
    gone_now = int((members & data.gone_now).sum())
    paused_now = int((members & data.paused_now).sum())
    count = int(members.sum())
    points.append(
        PeoplePoint(data.today, None, count, count - gone_now - paused_now, paused_now, gone_now)
    )
    return points


# --- rounds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundFigures:
    number: int
    meet_from: dt.date
    groups: int
    people: int
    left_out: int
    score: float
    bound: float
    quality: int | None
    answers: int  # people who answered
    answered_groups: int
    met_groups: int
    new_connections: int
    same_words: int = 0
    by_meaning: int = 0

    @property
    def meeting_rate(self) -> int | None:
        """Percent of answered groups that met; None when fewer than MIN_GROUP answered."""
        if self.answers < MIN_GROUP or not self.answered_groups:
            return None
        return round(100 * self.met_groups / self.answered_groups)


def _per_round(data: Columns, values: np.ndarray, weights: np.ndarray | None = None) -> list[int]:
    counts = np.bincount(values, weights=weights, minlength=len(data.numbers))
    return [int(round(x)) for x in counts.tolist()]


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (a sort: faster here than NumPy's hashing unique)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def round_figures(data: Columns) -> list[RoundFigures]:
    """Figures of every published round, oldest first. New connections are counted
    against all earlier rounds."""
    everyone = np.arange(len(data.numbers))
    dense, count, _at, _known = data.members
    rnd, a, b = data.meeting_pairs(everyone)
    # Each pair once, in the first round it met in (rounds are ascending).
    order = np.argsort(rnd, kind="stable")
    _keys, first = np.unique((a * count + b)[order], return_index=True)
    new = _per_round(data, rnd[order][first])
    in_round = _distinct(data.member_round * count + dense)
    people = _per_round(data, in_round // max(count, 1))
    result = []
    for r in everyone.tolist():
        score, bound = data.scores[r], data.bounds[r]
        result.append(
            RoundFigures(
                number=int(data.numbers[r]),
                meet_from=dt.date.fromordinal(int(data.days[r])),
                groups=int(data.groups[r]),
                people=people[r],
                left_out=len(data.left_out[r]),
                score=score,
                bound=bound,
                quality=None if bound <= 0 else round(100 * min(1.0, score / bound)),
                answers=int(data.answers[r]),
                answered_groups=int(data.answered_groups[r]),
                met_groups=int(data.met_groups[r]),
                new_connections=new[r],
                same_words=int(data.same_words[r]),
                by_meaning=int(data.by_meaning[r]),
            )
        )
    return result


# --- mixing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mixing:
    """How many people met, in at least one meeting, someone of another department,
    level or organisation (only people whose own and whose partner's field is filled in
    are compared)."""

    people_who_met: int
    other_department: int
    other_level: int
    other_organisation: int


def mixing(data: Columns, rounds: np.ndarray) -> Mixing:
    _rnd, a, b = data.known_pairs(rounds)
    met = data.count_of(a, b)
    crossed = []
    for codes in (data.department, data.level, data.organisation):
        ca, cb = codes[a], codes[b]
        across = (ca > 0) & (cb > 0) & (ca != cb)
        crossed.append(data.count_of(a[across], b[across]))
    return Mixing(met, *crossed)


# --- departments -------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentNetwork:
    """Meetings between departments.

    ``labels`` are department names, or :data:`POOL` for the departments with fewer than
    :data:`MIN_GROUP` people each (and those beyond :data:`MAX_DEPARTMENTS`), or
    :data:`NO_DEPARTMENT`. ``people[i]`` is how many people of ``labels[i]`` took part in a
    meeting; ``hidden[i]`` says the row is too small to show. ``matrix[i][j]`` counts the
    connections between people of ``labels[i]`` and ``labels[j]`` (the diagonal: within).
    """

    labels: list[str]
    people: list[int]
    hidden: list[bool]
    matrix: list[list[int]]
    pooled_departments: int

    def cell(self, i: int, j: int) -> int | None:
        """A cell's count, or None when either department is hidden."""
        if self.hidden[i] or self.hidden[j]:
            return None
        return self.matrix[i][j]

    @property
    def shown(self) -> list[int]:
        return [i for i, hidden in enumerate(self.hidden) if not hidden]


def department_network(data: Columns, rounds: np.ndarray) -> DepartmentNetwork:
    _rnd, a, b = data.known_pairs(rounds)
    names = data.names["department"]
    took_part = np.zeros(len(data.person), dtype=bool)
    took_part[a] = took_part[b] = True
    sizes = np.bincount(data.department[took_part], minlength=len(names))
    # The largest departments (ties by name), at most MAX_DEPARTMENTS of them.
    big = sorted(
        (code for code in range(1, len(names)) if sizes[code] >= MIN_GROUP),
        key=lambda code: (-sizes[code], names[code]),
    )[:MAX_DEPARTMENTS]
    present = [code for code in range(len(names)) if sizes[code]]
    key_of = {code: (names[code] if code in big else POOL) for code in present}
    # People without a department are only shown apart when there are enough of them.
    if sizes[0]:
        key_of[0] = NO_DEPARTMENT if sizes[0] >= MIN_GROUP else POOL
    pooled = sum(1 for code in present if code and key_of[code] == POOL)
    labels = [names[code] for code in big]
    for extra in (NO_DEPARTMENT, POOL):
        if extra in key_of.values():
            labels.append(extra)
    index = {label: i for i, label in enumerate(labels)}
    label_of = np.zeros(len(names), dtype=np.int64)
    people = [0] * len(labels)
    for code, key in key_of.items():
        label_of[code] = index[key]
        people[index[key]] += int(sizes[code])
    i, j = label_of[data.department[a]], label_of[data.department[b]]
    size = len(labels)
    cells = np.bincount(i * size + j, minlength=size * size)
    across = i != j
    cells += np.bincount(j[across] * size + i[across], minlength=size * size)
    matrix = cells.reshape(size, size).tolist() if size else []
    hidden = [n < MIN_GROUP for n in people]
    return DepartmentNetwork(labels, people, hidden, matrix, pooled)


@dataclass(frozen=True)
class SiloIndex:
    """Meetings across departments against random pairing of the same people.

    Only connections between two people who both gave a department count. For the
    connections of round *r* (``n_r`` of them, ``c_r`` across departments), among the
    ``N_r`` people with a department who met in that round, ``k_{r,d}`` of department
    *d*, random pairing would put two people of different departments together with
    probability ``p_r = 1 - sum_d k_{r,d} (k_{r,d} - 1) / (N_r (N_r - 1))``.

    * ``observed`` = ``sum_r c_r / sum_r n_r`` (share of connections across departments),
    * ``expected`` = ``sum_r n_r p_r / sum_r n_r`` (the share random pairing would give),
    * ``index`` = ``observed / expected``.

    1 means as mixed as chance, above 1 more across departments than chance (the rounds
    connect silos), below 1 less (people stay in their silos). None when nothing can be
    compared (no connections, or only one department).
    """

    connections: int
    across: int
    observed: float | None
    expected: float | None

    @property
    def index(self) -> float | None:
        if self.observed is None or not self.expected:
            return None
        return self.observed / self.expected


def silo_index(data: Columns, rounds: np.ndarray) -> SiloIndex:
    rnd, a, b = data.meeting_pairs(rounds)
    at_a, known_a = data.positions(a)
    at_b, known_b = data.positions(b)
    # A person's department, 0 for none (and for someone no longer in the programme).
    da = np.where(known_a, data.department[at_a], 0)
    db = np.where(known_b, data.department[at_b], 0)
    a, b = at_a, at_b
    total = across = 0
    expected_sum = 0.0
    for r in rounds.tolist():
        here = rnd == r
        both = here & (da > 0) & (db > 0)
        pairs = int(both.sum())
        if not pairs:
            continue
        who = np.zeros(len(data.person), dtype=bool)
        who[a[here & (da > 0)]] = who[b[here & (db > 0)]] = True
        n = int(who.sum())
        if n < 2:
            continue
        counts = np.bincount(data.department[who]).tolist()
        same = sum(k * (k - 1) for k in counts) / (n * (n - 1))
        total += pairs
        across += int((da[both] != db[both]).sum())
        expected_sum += pairs * (1 - same)
    if not total:
        return SiloIndex(0, 0, None, None)
    return SiloIndex(total, across, across / total, expected_sum / total)


# --- everything for a page or a report ---------------------------------------------------


@dataclass(frozen=True)
class Insights:
    data: Columns
    start: dt.date | None
    end: dt.date | None
    rounds: list[RoundFigures]
    people: list[PeoplePoint]
    mixing: Mixing
    network: DepartmentNetwork
    silo: SiloIndex

    @property
    def enough_people(self) -> bool:
        return self.data.joined_count >= MIN_GROUP

    @property
    def total_new_connections(self) -> int:
        return sum(r.new_connections for r in self.rounds)


def insights(
    data: Columns | Data, start: dt.date | None = None, end: dt.date | None = None
) -> Insights:
    """All figures for the rounds that met between ``start`` and ``end`` (inclusive)."""
    if isinstance(data, Data):
        data = data.columns()

    def inside(day: dt.date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    days = [dt.date.fromordinal(int(d)) for d in data.days.tolist()]
    chosen = np.array([r for r, day in enumerate(days) if inside(day)], dtype=np.int64)
    numbers = set(data.numbers[chosen].tolist())
    people = [
        point
        for point in people_over_time(data, chosen)
        if point.round_number is not None or inside(point.day)
    ]
    return Insights(
        data=data,
        start=start,
        end=end,
        rounds=[r for r in round_figures(data) if r.number in numbers],
        people=people,
        mixing=mixing(data, chosen),
        network=department_network(data, chosen),
        silo=silo_index(data, chosen),
    )
