"""Groups formed by hand, checked by the engine: every broken rule found, and the
scores and reasons the engine itself would give."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaffeeklatsch.matching.check import BrokenRule, check_groups
from kaffeeklatsch.matching.engine import RulesError, match_round
from kaffeeklatsch.matching.model import Mode, PastGroup, Person, Rules
from tests.matching.test_engine import compatible, rounds


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rounds(max_people=16), sizes=st.lists(st.integers(1, 4), min_size=1, max_size=8))
def test_every_pair_that_breaks_a_rule_is_found(data, sizes) -> None:
    """Cut the people into groups of any sizes, the pairs the check finds broken are
    exactly the pairs the rules, written out plainly, forbid."""
    people, history, rules = data
    groups: list[list[str]] = []
    ids = [p.id for p in people]
    for size in itertools.cycle(sizes):
        if not ids:
            break
        groups.append(ids[:size])
        ids = ids[size:]
    found = check_groups(people, groups, history, rules, 4)
    by_id = {p.id: p for p in people}
    forbidden = {
        (gi, a, b)
        for gi, members in enumerate(groups)
        for a, b in itertools.combinations(members, 2)
        if not compatible(by_id[a], by_id[b], rules, history, 4)
    }
    assert {(x.group, x.a, x.b) for x in found.broken} == forbidden
    assert [g.members for g in found.groups] == [tuple(m) for m in groups]


def test_each_broken_rule_is_named() -> None:
    people = [
        Person("a", languages=("de",), mode=Mode.IN_PERSON),
        Person("b", languages=("tr",)),
        Person("c", languages=("de",), mode=Mode.ONLINE),
    ]
    history = [PastGroup(round=3, members=("a", "c"))]
    found = check_groups(people, [["a", "b"], ["c", "a"]], history, Rules(), 4, explain=False)
    assert found.broken == (
        BrokenRule(0, "language", "a", "b"),
        BrokenRule(1, "mode", "c", "a"),
        BrokenRule(1, "history", "c", "a"),
    )
    assert found.groups == ()


def test_groups_are_scored_and_explained_as_the_engine_forms_them() -> None:
    people = [
        Person("a", name="Ada", department="Care", interests=("Jazz", "Kochen"), new_joiner=True),
        Person("b", name="Ben", department="IT", interests=("jazz",)),
    ]
    formed = match_round(people, rules=Rules(), round_number=1).groups
    checked = check_groups(people, [list(g.members) for g in formed]).groups
    assert checked == tuple(formed)
    assert checked[0].explain("de").startswith("Sie mögen beide")


def test_a_member_who_is_not_among_the_people_is_refused() -> None:
    with pytest.raises(ValueError, match="1 group members"):
        check_groups([Person("a"), Person("b")], [["a", "x"]])
    with pytest.raises(RulesError):
        check_groups([Person("a"), Person("a")], [["a"]])
