"""The engine against an independent reading of the rules."""

from __future__ import annotations

import dataclasses
import itertools
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaffeeklatsch.matching import engine
from kaffeeklatsch.matching.engine import RulesError, match_round
from kaffeeklatsch.matching.features import encode, score
from kaffeeklatsch.matching.model import Location, Mode, PastGroup, Person, Rules, Slot
from kaffeeklatsch.matching.synthetic import organisation

PLACES = [
    Location(52.52, 13.405, "Berlin"),
    Location(52.39, 13.06, "Potsdam"),  # 27 km from Berlin
    Location(48.137, 11.575, "München"),
]


def km(p: Location, q: Location) -> float:
    la, lb = math.radians(p.lat), math.radians(q.lat)
    h = (
        math.sin((lb - la) / 2) ** 2
        + math.cos(la) * math.cos(lb) * math.sin(math.radians(q.lon - p.lon) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def met_recently(a: str, b: str, history: list[PastGroup], round_number: int, window: int) -> bool:
    return any(
        not g.left_out and round_number - g.round <= window and a in g.members and b in g.members
        for g in history
    )


def limit(rules: Rules, *people: Person) -> float:
    """The farthest these people may live apart to meet in person."""
    own = [p.max_distance_km for p in people if p.max_distance_km is not None]
    return min([rules.max_distance_km, *own])


def compatible(p: Person, q: Person, rules: Rules, history: list[PastGroup], rnd: int) -> bool:
    """The hard rules, written out plainly."""
    if p.languages and q.languages and not set(p.languages) & set(q.languages):
        return False
    modes = {p.mode, q.mode}
    if modes == {Mode.IN_PERSON, Mode.ONLINE}:
        return False
    if Mode.IN_PERSON in modes and p.location and q.location:
        if km(p.location, q.location) > limit(rules, p, q):
            return False
    if p.availability and q.availability:
        hours = lambda x: {  # noqa: E731
            s.weekday * 24 + h
            for s in x.availability
            for h in range(s.start // 60, max(s.start // 60 + 1, math.ceil(s.end / 60)))
        }
        if not hours(p) & hours(q):
            return False
    if q.id in p.blocked or p.id in q.blocked:
        return False
    return not met_recently(p.id, q.id, history, rnd, rules.repeat_window)


@st.composite
def rounds(draw, max_people: int = 24):
    n = draw(st.integers(min_value=0, max_value=max_people))
    people = []
    for i in range(n):
        blocked = draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=2))
        slots = draw(
            st.lists(
                st.builds(
                    lambda d, h: Slot(d, h * 60, h * 60 + 60),
                    st.integers(0, 1),
                    st.integers(8, 10),
                ),
                max_size=2,
            )
        )
        people.append(
            Person(
                id=f"p{i}",
                name=f"Person {i}",
                department=draw(st.sampled_from(["", "Pflege", "Verwaltung", "Kita"])),
                level=draw(st.sampled_from(["", "Fachkraft", "Leitung"])),
                organisation=draw(st.sampled_from(["", "Caritas", "AWO"])),
                languages=tuple(draw(st.sets(st.sampled_from(["de", "en", "tr"]), max_size=2))),
                location=draw(st.one_of(st.none(), st.sampled_from(PLACES))),
                mode=draw(st.sampled_from(list(Mode))),
                interests=tuple(
                    draw(
                        st.sets(
                            st.sampled_from(["Fotografie", "Podcasts", "Kochen", "KI"]), max_size=3
                        )
                    )
                ),
                blocked=tuple(f"p{j}" for j in blocked if j != i),
                availability=tuple(slots),
                new_joiner=draw(st.booleans()),
                max_distance_km=draw(st.sampled_from([None, None, 20.0, 40.0])),
            )
        )
    history = []
    for r in range(1, 4):
        if n >= 2:
            pairs = draw(
                st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4)
            )
            history += [PastGroup(r, (f"p{a}", f"p{b}"), 5.0) for a, b in pairs if a != b]
    rules = Rules(
        group_size=draw(st.sampled_from([2, 2, 3, 4])),
        repeat_window=draw(st.integers(0, 3)),
        max_distance_km=draw(st.sampled_from([10.0, 30.0, 1000.0])),
        seed=draw(st.integers(0, 3)),
    )
    return people, history, rules


def expected_mode(members: list[Person], rules: Rules) -> Mode:
    modes = {p.mode for p in members}
    if Mode.IN_PERSON in modes:
        return Mode.IN_PERSON
    if Mode.ONLINE in modes:
        return Mode.ONLINE
    if any(p.location is None for p in members):
        return Mode.EITHER
    near = all(
        km(p.location, q.location) <= limit(rules, p, q)
        for p, q in itertools.combinations(members, 2)
    )
    return Mode.IN_PERSON if near else Mode.ONLINE


def check_round(people, history, rules, result, rnd=4):
    by_id = {p.id: p for p in people}
    seen = [m for g in result.groups for m in g.members] + [x.person for x in result.left_out]
    assert sorted(seen) == sorted(by_id), "everybody exactly once"
    for g in result.groups:
        assert len(g.members) >= 2
        for a, b in itertools.combinations(g.members, 2):
            assert compatible(by_id[a], by_id[b], rules, history, rnd), (a, b)
    alone = [by_id[x.person] for x in result.left_out]
    for p, q in itertools.combinations(alone, 2):
        assert not compatible(p, q, rules, history, rnd), "two compatible people left out"
    for p in alone:
        for g in result.groups:
            if len(g.members) == 2:
                assert not all(compatible(p, by_id[m], rules, history, rnd) for m in g.members), (
                    "a valid group of three existed"
                )
    for g in result.groups:
        assert g.mode == expected_mode([by_id[m] for m in g.members], rules), g
    assert result.bound >= result.score - 1e-6
    assert result.score == pytest.approx(sum(g.score for g in result.groups), abs=1e-4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_hard_rules_are_never_broken(data):
    people, history, rules = data
    result = match_round(people, history, rules, round_number=4)
    check_round(people, history, rules, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rounds(max_people=60))
def test_hard_rules_hold_on_the_large_round_path(data):
    people, history, rules = data
    with pytest.MonkeyPatch.context() as mp:
        # Send the round through the sparse, chunked solver used for large rounds.
        mp.setattr(engine, "DENSE_LIMIT", 0)
        mp.setattr(engine, "CHUNK", 16)
        result = match_round(people, history, rules, round_number=4)
    check_round(people, history, rules, result)


def brute_force(people, rules) -> float:
    f = encode(people, [], rules, 1)
    best = 0.0

    def go(rest: tuple[int, ...], total: float) -> None:
        nonlocal best
        best = max(best, total)
        if len(rest) < 2:
            return
        first, tail = rest[0], rest[1:]
        go(tail, total)  # first stays alone
        for k, other in enumerate(tail):
            if compatible(people[first], people[other], rules, [], 1):
                w = float(score(f, np.array([first]), np.array([other]))[0])
                go(tail[:k] + tail[k + 1 :], total + w)

    go(tuple(range(len(people))), 0.0)
    return best


@settings(max_examples=60, deadline=None)
@given(rounds(max_people=9))
def test_small_rounds_are_optimal(data):
    people, _, rules = data
    rules = Rules(max_distance_km=rules.max_distance_km, seed=rules.seed)
    result = match_round(people, [], rules)
    # A group of three only appears where someone would otherwise be alone, a
    # rule that comes before the score; rounds of pairs must be optimal.
    if all(len(g.members) == 2 for g in result.groups):
        assert result.score == pytest.approx(brute_force(people, rules), abs=1e-4)
        assert result.exact


def test_same_input_and_seed_give_the_same_round():
    people = organisation(400, seed=3)
    first = match_round(people, rules=Rules(seed=7))
    second = match_round(people, rules=Rules(seed=7))
    assert [g.members for g in first.groups] == [g.members for g in second.groups]
    assert first.score == second.score and first.bound == second.bound


def test_large_round_path_is_deterministic(monkeypatch):
    monkeypatch.setattr(engine, "DENSE_LIMIT", 100)
    monkeypatch.setattr(engine, "CHUNK", 150)
    people = organisation(600, seed=5, organisations=3)
    first = match_round(people, rules=Rules(seed=1))
    second = match_round(people, rules=Rules(seed=1))
    assert [g.members for g in first.groups] == [g.members for g in second.groups]
    check_round(people, [], Rules(seed=1), first, rnd=1)


@pytest.mark.parametrize("size", [3, 4])
def test_groups_of_three_and_four(size):
    # Everybody may meet online in German here, so every group can have the size asked for.
    people = [
        dataclasses.replace(p, mode=Mode.EITHER, languages=("de",))
        for p in organisation(120, seed=2)
    ]
    rules = Rules(group_size=size)
    result = match_round(people, rules=rules)
    sizes = [len(g.members) for g in result.groups]
    assert sum(s == size for s in sizes) >= 0.9 * len(sizes)
    assert not result.left_out
    check_round(people, [], rules, result, rnd=1)
    # With places and modes in the way, groups still keep every rule.
    people = organisation(150, seed=4)
    check_round(people, [], rules, match_round(people, rules=rules), rnd=1)


def test_recent_pairs_are_not_repeated_but_older_ones_may_be():
    a = Person("a", languages=("de",))
    b = Person("b", languages=("de",))
    history = [PastGroup(1, ("a", "b"), 4.0)]
    rules = Rules(repeat_window=2)
    blocked = match_round([a, b], history, rules, round_number=3)
    assert not blocked.groups
    assert {x.reason.code for x in blocked.left_out} == {"all_met"}
    allowed = match_round([a, b], history, rules, round_number=4)
    assert [set(g.members) for g in allowed.groups] == [{"a", "b"}]


def test_blocks_hold_from_either_side():
    people = [Person("a", blocked=("b",)), Person("b"), Person("c", blocked=("a",))]
    result = match_round(people)
    assert [set(g.members) for g in result.groups] == [{"b", "c"}]
    assert result.left_out[0].person == "a"


def test_odd_count_makes_a_group_of_three():
    people = [Person(x, languages=("de",)) for x in "abc"]
    result = match_round(people)
    assert not result.left_out
    assert [sorted(g.members) for g in result.groups] == [["a", "b", "c"]]


def test_left_out_last_round_comes_first():
    # b and c are blocked from each other, so one of them must be left out.
    people = [Person("a"), Person("b", blocked=("c",)), Person("c")]
    history = [PastGroup(1, ("a", "b"), 5.0), PastGroup(1, ("c",), left_out=True)]
    result = match_round(people, history, Rules(repeat_window=0), round_number=2)
    assert [sorted(g.members) for g in result.groups] == [["a", "c"]]
    assert result.left_out[0].person == "b"


def test_reasons_are_given_in_both_languages():
    people = [
        Person(
            "a",
            name="Ayşe",
            department="Pflege",
            languages=("de", "tr"),
            interests=("Fotografie", "Podcasts"),
            level="Fachkraft",
        ),
        Person(
            "b",
            name="Bernd",
            department="Verwaltung",
            languages=("de",),
            interests=("Photography", "Podcasts", "Kochen"),
            level="Leitung",
        ),
    ]
    group = match_round(people).groups[0]
    en = group.explain("en")
    de = group.explain("de")
    assert "you both like Fotografie and Podcasts" in en
    assert "Pflege meets Verwaltung" in en
    assert "you both speak German" in en
    assert "Sie mögen beide Fotografie und Podcasts" in de
    assert "Pflege trifft Verwaltung" in de
    assert "Sie sprechen beide Deutsch" in de


def test_people_left_out_get_a_reason():
    people = [
        Person("a", languages=("de",)),
        Person("b", languages=("tr",)),
    ]
    result = match_round(people)
    assert {x.reason.code for x in result.left_out} == {"no_language"}
    assert "Sprachen" in result.left_out[0].reason.text("de")


def test_too_far_for_in_person():
    people = [
        Person("a", mode=Mode.IN_PERSON, location=PLACES[0]),
        Person("b", mode=Mode.IN_PERSON, location=PLACES[2]),
    ]
    result = match_round(people, rules=Rules(max_distance_km=30))
    assert {x.reason.code for x in result.left_out} == {"too_far"}
    near = match_round(people, rules=Rules(max_distance_km=600))
    assert len(near.groups) == 1


@pytest.mark.parametrize(
    "rules",
    [
        Rules(group_size=5),
        Rules(repeat_window=-1),
        Rules(max_distance_km=0),
        Rules(weight_level=-1),
    ],
)
def test_bad_rules_are_refused(rules):
    with pytest.raises(RulesError):
        match_round([Person("a"), Person("b")], rules=rules)


def test_duplicate_ids_are_refused():
    with pytest.raises(RulesError):
        match_round([Person("a"), Person("a")])


def test_bound_is_close_on_a_realistic_organisation():
    people = organisation(800, seed=11, organisations=2)
    result = match_round(people)
    assert result.bound >= result.score
    assert result.gap < 0.01
    check_round(people, [], Rules(), result, rnd=1)


def test_chunks_solved_by_several_processes_give_the_same_round(monkeypatch):
    people = organisation(5000, seed=2, organisations=3)
    monkeypatch.setattr(engine, "CHUNK", 1200)
    alone = match_round(people)
    monkeypatch.setattr(engine, "PARALLEL_FROM", 0)
    f = encode(people, (), Rules(), 1)
    with engine._Solver(f) as solver:
        several_cores = len(os.sched_getaffinity(0)) > 1
        assert (solver.pool is not None) == several_cores
    together = match_round(people)
    assert [g.members for g in together.groups] == [g.members for g in alone.groups]
    assert together.score == alone.score and together.bound == alone.bound
