"""The insights counted on columns (NumPy) give exactly the figures of their definitions
counted record by record (``insights_reference.py``, the figures as first written), on
random programmes read from the database and on plain records."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from kaffeeklatsch.insights import metrics
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Feedback, Group, LeftOut, Round
from tests.support import insights_reference as reference

pytestmark = [pytest.mark.database, pytest.mark.django_db]

TODAY = dt.date(2026, 6, 1)
# Department sizes chosen to give pooled, hidden and shown rows; "" is "no department".
# Interests shared in the same words, by meaning only, both, or none.
SAME = {"code": "interests", "params": {"interests": ["Kochen"]}}
MEANING = {"code": "interests_meaning", "params": {"pairs": [["Wandern", "hiking"]]}}
SHARED = [[], [SAME], [MEANING], [SAME, MEANING]]
DEPARTMENTS = ["A"] * 9 + ["B"] * 7 + ["C"] * 6 + ["D"] * 3 + ["E"] * 2 + [" F "] * 5 + [""] * 6


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def random_programme(make_programme: Any, owner: Any, seed: int) -> Any:
    rng = random.Random(seed)
    programme = make_programme(owner, name=f"Random {seed}")
    start = dt.date(2026, 1, 5)
    people = []
    for n, department in enumerate(DEPARTMENTS):
        status = rng.choice(["active"] * 6 + ["left", "pending"])
        joined = start + dt.timedelta(days=rng.randint(-30, 80))
        person = Participant.objects.create(
            programme=programme,
            name=f"P{n}",
            email=f"p{seed}-{n}@example.org",
            department=department,
            level=rng.choice(["staff", "lead", ""]),
            organisation=rng.choice(["Caritas", "Diakonie", " AWO", ""]),
            status=status,
            # Late in the evening: the day in UTC is the day of the figures.
            confirmed_at=None if status == "pending" else _at(joined, rng.choice([0, 12, 23])),
            left_at=_at(joined + dt.timedelta(days=rng.randint(1, 90)))
            if status == "left"
            else None,
            paused_until=TODAY + dt.timedelta(days=3) if rng.random() < 0.1 else None,
            skip_next_round=rng.random() < 0.05,
        )
        people.append(person)
    for number in range(1, 7):
        day = start + dt.timedelta(days=14 * (number - 1))
        rnd = Round.objects.create(
            programme=programme,
            number=number,
            status=Round.Status.PUBLISHED,
            meet_from=day,
            score=rng.uniform(5, 20),
            bound=rng.choice([0.0, 25.0]),
        )
        # Few people and six rounds: pairs meet again, so connections are not all new.
        pool = rng.sample(people[:24], 20) if number % 2 else rng.sample(people, 30)
        at = 0
        while at < len(pool) - 1:
            size = rng.choice([2, 2, 3])
            members = pool[at : at + size]
            at += size
            reasons = rng.choice(SHARED)
            group = Group.objects.create(round=rnd, mode="either", score=1.0, reasons=reasons)
            group.members.set(members)
            for person in members:
                if rng.random() < 0.5:
                    Feedback.objects.create(group=group, participant=person, met=rng.random() < 0.6)
        for person in pool[at:]:
            LeftOut.objects.create(round=rnd, participant=person, reason={})
        # A group nobody is left in.
        Group.objects.create(round=rnd, mode="online", score=1.0, reasons=[])
        # A group everyone left after answering: its answers still count.
        emptied = Group.objects.create(round=rnd, mode="online", score=1.0, reasons=[])
        for person, met in zip(pool[:2], (number % 2 == 0, False), strict=True):
            Feedback.objects.create(group=emptied, participant=person, met=met)
        # Kept on the round as a preview keeps them.
        figures_of(rnd)
    # A preview is no published round.
    preview = Round.objects.create(programme=programme, number=7, meet_from=start)
    Group.objects.create(round=preview, mode="either", reasons=[]).members.set(people[:2])
    # Someone erased: their memberships and answers are gone with them.
    people[3].delete()
    return programme


def _same(new: Any, old: Any) -> None:
    assert type(new).__name__ == type(old).__name__
    if dataclasses.is_dataclass(new):
        for item in dataclasses.fields(new):
            if item.name != "data":
                _same(getattr(new, item.name), getattr(old, item.name))
    elif isinstance(new, list):
        assert len(new) == len(old)
        for a, b in zip(new, old, strict=True):
            _same(a, b)
    elif isinstance(new, float):
        assert new == pytest.approx(old, rel=1e-12)
    else:
        assert new == old


PERIODS = [
    (None, None),
    (dt.date(2026, 1, 10), None),
    (None, dt.date(2026, 2, 20)),
    (dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
    (dt.date(2027, 1, 1), None),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_columns_from_the_database_count_as_the_records_do(
    make_programme: Any, make_organiser: Any, seed: int
) -> None:
    programme = random_programme(make_programme, make_organiser(f"o{seed}"), seed)
    new_data = metrics.load(programme, TODAY)
    old_data = reference.load(programme, TODAY)
    assert old_data.rounds and any(r.new_connections for r in reference.round_figures(old_data))
    for start, end in PERIODS:
        new = metrics.insights(new_data, start, end)
        old = reference.insights(old_data, start, end)
        _same(new, old)
        assert new.enough_people == old.enough_people


def test_records_count_as_they_did(make_programme: Any, make_organiser: Any) -> None:
    programme = random_programme(make_programme, make_organiser("o"), 4)
    old_data = reference.load(programme, TODAY)
    records = metrics.Data(
        people={
            pk: metrics.PersonRecord(**dataclasses.asdict(p)) for pk, p in old_data.people.items()
        },
        rounds=tuple(
            metrics.RoundRecord(
                **{
                    **dataclasses.asdict(r),
                    "groups": tuple(
                        metrics.GroupRecord(g.id, g.members, g.answers) for g in r.groups
                    ),
                    # The records of the product count shared interests per round.
                    "same_words": sum(g.same_words for g in r.groups),
                    "by_meaning": sum(g.by_meaning for g in r.groups),
                }
            )
            for r in old_data.rounds
        ),
        today=TODAY,
    )
    for start, end in PERIODS:
        _same(metrics.insights(records, start, end), reference.insights(old_data, start, end))
