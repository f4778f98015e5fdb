"""A neighbourhood programme groups people only as far apart as each of them can go:
the answer to "How far can you go to meet?" limits the round's preview, and a group
changed by hand beyond it names the distance that is broken."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.kinds import Kind
from kaffeeklatsch.rounds.checks import check_group
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.preview import preview_round

pytestmark = pytest.mark.django_db

# Two pairs of neighbours 27 km apart; each shares a hobby with someone across town.
PEOPLE = [
    # name, place, latitude, longitude, interests, how far they can go
    ("Anna", "Berlin-Mitte", 52.520, 13.405, ["Schach"], 3),
    ("Bernd", "Berlin-Mitte", 52.525, 13.410, ["Gärtnern"], None),
    ("Clara", "Potsdam", 52.390, 13.060, ["Schach"], 10),
    ("Dieter", "Potsdam", 52.395, 13.065, ["Gärtnern"], 10),
]


@pytest.fixture
def neighbourhood(organiser: Any, make_programme: Any, make_participant: Any) -> Any:
    programme = make_programme(
        organiser,
        name="Nachbarschaftscafé",
        kind=Kind.NEIGHBOURHOOD,
        mode="in_person",
        max_distance_km=30,
        language="de",
    )
    for name, place, lat, lon, interests, travel_km in PEOPLE:
        make_participant(
            programme,
            name,
            place=place,
            latitude=lat,
            longitude=lon,
            interests=interests,
            travel_km=travel_km,
            department="",
            level="",
            languages=["de"],
        )
    return programme


def km(a: Participant, b: Participant) -> float:
    la, lb = math.radians(a.latitude), math.radians(b.latitude)
    h = (
        math.sin((lb - la) / 2) ** 2
        + math.cos(la) * math.cos(lb) * math.sin(math.radians(b.longitude - a.longitude) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def pairs_of(rnd: Round) -> set[frozenset[str]]:
    return {frozenset(g.members.values_list("name", flat=True)) for g in rnd.groups.all()}


def test_no_group_of_the_preview_is_farther_apart_than_a_member_can_go(neighbourhood: Any):
    rnd = preview_round(neighbourhood)
    assert pairs_of(rnd) == {frozenset({"Anna", "Bernd"}), frozenset({"Clara", "Dieter"})}
    for group in rnd.groups.all():
        assert group.mode == "in_person"
        for a, b in itertools.combinations(group.members.all(), 2):
            limits = [neighbourhood.max_distance_km, a.travel_km, b.travel_km]
            assert km(a, b) <= min(x for x in limits if x is not None), (a.name, b.name)


def test_without_their_answers_the_shared_hobbies_win_across_town(neighbourhood: Any):
    Participant.objects.filter(programme=neighbourhood).update(travel_km=None)
    rnd = preview_round(neighbourhood)
    assert pairs_of(rnd) == {frozenset({"Anna", "Clara"}), frozenset({"Bernd", "Dieter"})}


def test_a_group_made_by_hand_beyond_ones_limit_names_that_distance(neighbourhood: Any):
    rnd = preview_round(neighbourhood)
    anna, bernd, clara = (
        Participant.objects.get(programme=neighbourhood, name=n) for n in ("Anna", "Bernd", "Clara")
    )
    found = check_group(rnd, [anna, clara])
    assert [(p["rule"], p["km"]) for p in found.broken] == [("distance", "3")]
    assert check_group(rnd, [anna, bernd]).broken == []
