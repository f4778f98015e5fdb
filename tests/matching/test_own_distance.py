"""Each person's own limit of how far they can go: two people who meet in person are
grouped only within the round's maximum distance and within each one's own limit, in
the engine, in a check of groups changed by hand, in the reasons and in PEOPLE.csv."""

from __future__ import annotations

import pytest

from kaffeeklatsch.matching.check import BrokenRule, check_groups
from kaffeeklatsch.matching.csvio import parse_people
from kaffeeklatsch.matching.engine import RulesError, match_round
from kaffeeklatsch.matching.model import Location, Mode, Person, Rules

BERLIN = Location(52.52, 13.405, "Berlin")
POTSDAM = Location(52.39, 13.06, "Potsdam")  # 27 km from Berlin
RULES = Rules(max_distance_km=30)


def pair(mode: Mode, own_a: float | None, own_b: float | None) -> list[Person]:
    return [
        Person("a", name="Anna", mode=mode, location=BERLIN, max_distance_km=own_a),
        Person("b", name="Bernd", mode=mode, location=POTSDAM, max_distance_km=own_b),
    ]


def test_a_pair_within_the_round_but_beyond_ones_own_limit_is_not_grouped():
    result = match_round(pair(Mode.IN_PERSON, None, 10), rules=RULES)
    assert result.groups == []
    reasons = {x.person: x.reason for x in result.left_out}
    assert {r.code for r in reasons.values()} == {"too_far"}
    assert reasons["b"].params == {"km": 10}  # Bernd's own limit
    assert reasons["a"].params == {"km": 30}  # Anna gave none: the round's
    assert "10 km" in reasons["b"].text("en")
    assert "10 km" in reasons["b"].text("de")


def test_a_pair_within_both_limits_meets_in_person():
    result = match_round(pair(Mode.IN_PERSON, 28, 40), rules=RULES)
    assert [sorted(g.members) for g in result.groups] == [["a", "b"]]
    assert result.groups[0].mode == Mode.IN_PERSON


def test_ones_own_limit_never_widens_the_rounds():
    result = match_round(pair(Mode.IN_PERSON, 100, 100), rules=Rules(max_distance_km=20))
    assert result.groups == []


def test_people_who_may_meet_either_way_meet_online_beyond_ones_own_limit():
    near = match_round(pair(Mode.EITHER, None, None), rules=RULES)
    assert near.groups[0].mode == Mode.IN_PERSON
    far = match_round(pair(Mode.EITHER, 10, None), rules=RULES)
    assert far.groups[0].mode == Mode.ONLINE
    assert "in_person" not in {r.code for r in far.groups[0].reasons}


def test_a_group_made_by_hand_beyond_ones_own_limit_breaks_the_distance_rule():
    people = [*pair(Mode.IN_PERSON, None, 10), Person("c", mode=Mode.IN_PERSON, location=BERLIN)]
    found = check_groups(people, [["a", "b", "c"]], rules=RULES)
    assert found.broken == (
        BrokenRule(0, "distance", "a", "b"),
        BrokenRule(0, "distance", "b", "c"),
    )
    kept = check_groups(people, [["a", "c"]], rules=RULES)
    assert kept.broken == ()
    assert kept.groups[0].mode == Mode.IN_PERSON
    wider = [*pair(Mode.IN_PERSON, None, 40), people[2]]
    assert check_groups(wider, [["a", "b", "c"]], rules=RULES).broken == ()


@pytest.mark.parametrize("own", [0.0, -5.0, float("nan")])
def test_an_own_limit_that_is_not_positive_is_refused(own):
    with pytest.raises(RulesError) as refused:
        match_round(pair(Mode.IN_PERSON, own, None), rules=RULES)
    assert refused.value.code == "max_distance"
    assert "muss größer als 0 sein" in refused.value.text("de")


def test_people_csv_reads_an_own_limit_in_english_or_german():
    english = parse_people(
        b"id,name,location,mode,max distance km\n"
        b"a,Anna,Berlin,in person,5\nb,Bernd,Potsdam,in person,\n"
    )
    assert [p.max_distance_km for p in english.people] == [5.0, None]
    german = parse_people(
        b"ID;Name;Ort;Modus;Entfernung\n"
        b"a;Anna;Berlin;vor Ort;2,5 km\n"
        b"b;Bernd;Potsdam;vor Ort;null\n"
    )
    assert [p.max_distance_km for p in german.people] == [2.5]
    assert [(x.line, x.column, x.code) for x in german.problems] == [
        (3, "Entfernung", "bad_distance")
    ]
