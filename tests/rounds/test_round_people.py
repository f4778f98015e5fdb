"""The engine's people of a round, made from rows read at once, are the people each
participant becomes on their own: blocks in both directions, ways of meeting, times."""

from __future__ import annotations

from typing import Any

import pytest

from kaffeeklatsch.matching.model import Mode, Slot
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import to_person
from kaffeeklatsch.rounds.people import person_rows, persons

pytestmark = pytest.mark.django_db

MONDAY_MORNING = [[0, 540, 720]]


@pytest.fixture
def crowd(programme: Any, make_participant: Any) -> list[Participant]:
    people = [
        make_participant(programme, mode="online", availability=MONDAY_MORNING),
        make_participant(programme, mode="in_person", availability=MONDAY_MORNING),
        make_participant(programme, languages=["tr"], interests=["Schach", "Jazz"]),
        make_participant(programme, place="Köln", latitude=50.94, longitude=6.96),
        make_participant(programme),
    ]
    people[0].blocked.add(people[2])
    return people


def test_rows_become_the_people_each_participant_is(programme: Any, crowd: list) -> None:
    made = persons(programme, person_rows(Participant.objects.filter(programme=programme)))
    by_id = {person.id: person for person in made}
    blocks = {crowd[0].pk: [crowd[2].pk], crowd[2].pk: [crowd[0].pk]}
    for participant in crowd:
        alone = to_person(participant, programme.mode, blocks.get(participant.pk, []))
        assert by_id[str(participant.pk)] == alone
    # The block holds in both directions; nobody else blocks anyone.
    assert by_id[str(crowd[2].pk)].blocked == (str(crowd[0].pk),)
    assert by_id[str(crowd[0].pk)].blocked == (str(crowd[2].pk),)
    assert [p.blocked for p in made].count(()) == 3
    assert by_id[str(crowd[0].pk)].availability == (Slot(0, 540, 720),)
    assert by_id[str(crowd[0].pk)].mode == Mode.ONLINE


def test_a_programme_that_meets_one_way_sets_everyones_way(
    programme: Any, crowd: list[Participant]
) -> None:
    programme.mode = "in_person"
    made = persons(programme, person_rows(Participant.objects.filter(programme=programme)))
    assert {person.mode for person in made} == {Mode.IN_PERSON}
