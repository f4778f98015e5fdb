"""The figures of the organiser insights as first written, counted record by record in
plain Python: the reference that ``test_insights_columns.py`` checks the counting on
columns against. (Not a test module itself.)

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

Loading (:func:`load`) is the only part that touches the database; everything else works
on the plain records it returns, so the figures can be checked by hand in tests.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
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
    # The codes of the group's reasons.
    reasons: frozenset[str] = frozenset()

    @property
    def same_words(self) -> bool:
        """Its members share an interest in the same words."""
        return "interests" in self.reasons

    @property
    def by_meaning(self) -> bool:
        """Its members share interests by meaning only."""
        return "interests_meaning" in self.reasons and not self.same_words

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
    people: dict[int, PersonRecord]
    rounds: tuple[RoundRecord, ...]  # ascending by number
    today: dt.date

    @property
    def joined(self) -> list[PersonRecord]:
        return [p for p in self.people.values() if p.joined is not None]


def load(programme: Programme, today: dt.date) -> Data:
    """Reads what the figures need: people, published rounds, groups and answers."""
    people: dict[int, PersonRecord] = {}
    for p in programme.participants.all():
        joined_at = p.confirmed_at or (
            p.created_at if p.status != Participant.Status.PENDING else None
        )
        people[p.pk] = PersonRecord(
            id=p.pk,
            department=p.department.strip(),
            level=p.level.strip(),
            organisation=p.organisation.strip(),
            status=p.status,
            joined=joined_at.date() if joined_at else None,
            left=p.left_at.date() if p.left_at else None,
            paused_now=p.status == Participant.Status.ACTIVE
            and (p.skip_next_round or (p.paused_until is not None and p.paused_until >= today)),
        )
    rounds = list(programme.rounds.filter(status=Round.Status.PUBLISHED).order_by("number"))
    members: dict[int, list[int]] = defaultdict(list)
    through = Group.members.through.objects.filter(group__round__in=rounds)
    for group_id, participant_id in through.values_list("group_id", "participant_id"):
        members[group_id].append(participant_id)
    answers: dict[int, dict[int, bool]] = defaultdict(dict)
    feedback = Feedback.objects.filter(group__round__in=rounds)
    for group_id, participant_id, met in feedback.values_list("group_id", "participant_id", "met"):
        answers[group_id][participant_id] = met
    groups: dict[int, list[GroupRecord]] = defaultdict(list)
    rows = Group.objects.filter(round__in=rounds).values_list("id", "round_id", "reasons")
    for group_id, round_id, reasons in rows:
        groups[round_id].append(
            GroupRecord(
                group_id,
                tuple(sorted(members[group_id])),
                dict(answers[group_id]),
                frozenset(r["code"] for r in reasons or []),
            )
        )
    left_out: dict[int, set[int]] = defaultdict(set)
    for round_id, participant_id in LeftOut.objects.filter(round__in=rounds).values_list(
        "round_id", "participant_id"
    ):
        left_out[round_id].add(participant_id)
    records = tuple(
        RoundRecord(
            id=r.pk,
            number=r.number,
            meet_from=r.meet_from,
            score=r.score,
            bound=r.bound,
            groups=tuple(sorted(groups[r.pk], key=lambda g: g.id)),
            left_out=frozenset(left_out[r.pk]),
        )
        for r in rounds
    )
    return Data(people=people, rounds=records, today=today)


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


def people_over_time(data: Data, rounds: Sequence[RoundRecord]) -> list[PeoplePoint]:
    """One point per round (on its day) and one for today.

    On a round's day, a person who had joined and not yet left but was neither in a group
    nor left out of that round was taking a break; today, a break is a current pause or a
    skipped next round.
    """
    points = []
    joined = data.joined
    for rnd in rounds:
        day = rnd.meet_from
        members = [p for p in joined if p.joined <= day]  # type: ignore[operator]
        gone = [p for p in members if p.left is not None and p.left <= day]
        present = {p.id for p in members} - {p.id for p in gone}
        in_round = rnd.people | rnd.left_out
        paused = len(present - in_round)
        points.append(
            PeoplePoint(day, rnd.number, len(members), len(present) - paused, paused, len(gone))
        )
    day = data.today
    members = [p for p in joined if p.joined <= day]  # type: ignore[operator]
    gone = [p for p in members if p.status == Participant.Status.LEFT]
    paused = sum(1 for p in members if p.paused_now)
    points.append(
        PeoplePoint(day, None, len(members), len(members) - len(gone) - paused, paused, len(gone))
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
    same_words: int
    by_meaning: int

    @property
    def meeting_rate(self) -> int | None:
        """Percent of answered groups that met; None when fewer than MIN_GROUP answered."""
        if self.answers < MIN_GROUP or not self.answered_groups:
            return None
        return round(100 * self.met_groups / self.answered_groups)


def round_figures(data: Data) -> list[RoundFigures]:
    """Figures of every published round, oldest first. New connections are counted
    against all earlier rounds."""
    seen: set[tuple[int, int]] = set()
    result = []
    for rnd in data.rounds:
        pairs = {pair for g in rnd.groups if g.met for pair in g.pairs()}
        new = pairs - seen
        seen |= pairs
        result.append(
            RoundFigures(
                number=rnd.number,
                meet_from=rnd.meet_from,
                groups=len(rnd.groups),
                people=len(rnd.people),
                left_out=len(rnd.left_out),
                score=rnd.score,
                bound=rnd.bound,
                quality=rnd.quality,
                answers=sum(len(g.answers) for g in rnd.groups),
                answered_groups=sum(1 for g in rnd.groups if g.answered),
                met_groups=sum(1 for g in rnd.groups if g.answered and any(g.answers.values())),
                new_connections=len(new),
                same_words=sum(g.same_words for g in rnd.groups),
                by_meaning=sum(g.by_meaning for g in rnd.groups),
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


def mixing(data: Data, rounds: Iterable[RoundRecord]) -> Mixing:
    met: set[int] = set()
    crossed: dict[str, set[int]] = {"department": set(), "level": set(), "organisation": set()}
    for rnd in rounds:
        for group in rnd.groups:
            if not group.met:
                continue
            for a, b in group.pairs():
                pa, pb = data.people.get(a), data.people.get(b)
                if pa is None or pb is None:
                    continue
                met.update((a, b))
                for name, ids in crossed.items():
                    va, vb = getattr(pa, name), getattr(pb, name)
                    if va and vb and va != vb:
                        ids.update((a, b))
    return Mixing(
        len(met), len(crossed["department"]), len(crossed["level"]), len(crossed["organisation"])
    )


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


def _meeting_pairs(rounds: Iterable[RoundRecord]) -> list[tuple[int, int]]:
    return [pair for rnd in rounds for g in rnd.groups if g.met for pair in g.pairs()]


def department_network(data: Data, rounds: Sequence[RoundRecord]) -> DepartmentNetwork:
    pairs = [(a, b) for a, b in _meeting_pairs(rounds) if a in data.people and b in data.people]
    took_part = {m for pair in pairs for m in pair}
    sizes = Counter(data.people[m].department for m in took_part)
    big = [d for d, n in sizes.most_common() if n >= MIN_GROUP and d != NO_DEPARTMENT]
    big = sorted(big[:MAX_DEPARTMENTS], key=lambda d: (-sizes[d], d))
    key_of = {
        d: (d if d in big else (NO_DEPARTMENT if d == NO_DEPARTMENT else POOL)) for d in sizes
    }
    # People without a department are only shown apart when there are enough of them.
    if sizes.get(NO_DEPARTMENT, 0) < MIN_GROUP and NO_DEPARTMENT in key_of:
        key_of[NO_DEPARTMENT] = POOL
    pooled = sum(1 for d in sizes if key_of[d] == POOL and d != NO_DEPARTMENT)
    labels = list(big)
    for extra in (NO_DEPARTMENT, POOL):
        if extra in key_of.values():
            labels.append(extra)
    index = {label: i for i, label in enumerate(labels)}
    people = [0] * len(labels)
    for d, n in sizes.items():
        people[index[key_of[d]]] += n
    matrix = [[0] * len(labels) for _ in labels]
    for a, b in pairs:
        i = index[key_of[data.people[a].department]]
        j = index[key_of[data.people[b].department]]
        matrix[i][j] += 1
        if i != j:
            matrix[j][i] += 1
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


def silo_index(data: Data, rounds: Iterable[RoundRecord]) -> SiloIndex:
    total = across = 0
    expected_sum = 0.0
    for rnd in rounds:
        pairs = [
            (data.people[a].department, data.people[b].department)
            for a, b in _meeting_pairs([rnd])
            if a in data.people
            and b in data.people
            and data.people[a].department
            and data.people[b].department
        ]
        if not pairs:
            continue
        who = {
            m
            for a, b in _meeting_pairs([rnd])
            for m in (a, b)
            if m in data.people and data.people[m].department
        }
        counts = Counter(data.people[m].department for m in who)
        n = len(who)
        if n < 2:
            continue
        same = sum(k * (k - 1) for k in counts.values()) / (n * (n - 1))
        total += len(pairs)
        across += sum(1 for da, db in pairs if da != db)
        expected_sum += len(pairs) * (1 - same)
    if not total:
        return SiloIndex(0, 0, None, None)
    return SiloIndex(total, across, across / total, expected_sum / total)


# --- everything for a page or a report ---------------------------------------------------


@dataclass(frozen=True)
class Insights:
    data: Data
    start: dt.date | None
    end: dt.date | None
    rounds: list[RoundFigures]
    people: list[PeoplePoint]
    mixing: Mixing
    network: DepartmentNetwork
    silo: SiloIndex

    @property
    def enough_people(self) -> bool:
        return len(self.data.joined) >= MIN_GROUP

    @property
    def total_new_connections(self) -> int:
        return sum(r.new_connections for r in self.rounds)


def insights(data: Data, start: dt.date | None = None, end: dt.date | None = None) -> Insights:
    """All figures for the rounds that met between ``start`` and ``end`` (inclusive)."""

    def inside(day: dt.date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    chosen = [r for r in data.rounds if inside(r.meet_from)]
    numbers = {r.number for r in chosen}
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
