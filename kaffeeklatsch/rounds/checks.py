"""Groups of a round checked against the engine's hard rules, in the organiser's words.

A move by hand and the publication of a preview both ask the engine
(:func:`kaffeeklatsch.matching.check.check_groups`) whether every pair of the groups
may meet; what it finds is kept as data (a ``rule`` with names and figures) and put
into words in the reader's language by :func:`problem_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.matching.check import BrokenRule, check_groups
from kaffeeklatsch.matching.check import GroupCheck as EngineCheck
from kaffeeklatsch.matching.model import Reason
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.people import PersonRow, history, persons, round_members
from kaffeeklatsch.rounds.vectors import DatabaseStore


class RoundError(Exception):
    """A round that cannot be previewed, edited or published as asked."""


Problem = dict[str, Any]


class RuleBroken(RoundError):
    """A change by hand that would break a hard rule. ``details`` say which, as data
    (a ``rule`` and its names and figures, see :func:`problem_text`), to be put into
    words in the reader's language; ``problems`` are those words in the language
    active when it was raised."""

    def __init__(self, details: list[Problem]) -> None:
        self.details = details
        self.problems = [problem_text(item) for item in details]
        super().__init__("; ".join(self.problems))


RULE_MESSAGES = {
    "alone": _("Group %(group)s has only %(name)s: every group needs at least two people."),
    "empty": _("Group %(group)s has nobody in it."),
    "new_alone": _(
        "%(name)s would be alone in a new group: every group needs at least two people. "
        "Choose someone to start the new group with."
    ),
    "unavailable": _("%(name)s no longer takes part in this round (left, paused or skipping it)."),
    "more": _("… and %(count)s more."),
    "language": _("%(a)s and %(b)s have no language in common."),
    "mode": _("%(a)s and %(b)s want to meet in different ways (one in person, one online)."),
    "distance": _("%(a)s and %(b)s live more than %(km)s km apart to meet in person."),
    "availability": _("The times %(a)s and %(b)s have do not overlap."),
    "history": _(
        "%(a)s and %(b)s met in the last %(window)s rounds, or one of them does not want "
        "to meet the other."
    ),
}

# At most so many problems are named; the rest are counted.
PROBLEMS_SHOWN = 50


GROUP_PROBLEM = _("Group %(group)s: %(problem)s")


def problem_text(problem: Problem) -> str:
    """A problem of :class:`RuleBroken` in words, in the active language; a broken pair
    with the number of its group."""
    text = str(RULE_MESSAGES[problem["rule"]]) % problem
    if "group" in problem and problem["rule"] not in ("alone", "empty"):
        return str(GROUP_PROBLEM) % {"group": problem["group"], "problem": text}
    return text


def reason_json(reason: Reason) -> dict:
    """A reason as a group stores it."""
    return {"code": reason.code, "params": dict(reason.params)}


@dataclass
class CheckedGroup:
    """A group as the engine sees it: the hard rules it breaks, its score and reasons."""

    broken: list[Problem]
    score: float | None
    mode: str
    reasons: list[dict]


def _check(
    rnd: Round, groups: Sequence[Sequence[Participant | PersonRow]], explain: bool
) -> tuple[EngineCheck, list[Problem]]:
    """The engine's check of these groups of the round, and the broken rules as
    problems naming the people."""
    programme = rnd.programme
    everyone = {m.pk: m for members in groups for m in members}
    rules = programme.rules(seed=rnd.number)
    only = None if len(everyone) >= 500 else set(everyone)
    people = persons(programme, list(everyone.values()))
    found = check_groups(
        people,
        [[str(m.pk) for m in members] for members in groups],
        history(programme, only),
        rules,
        rnd.number,
        explain=explain,
        vectors=DatabaseStore(),
    )
    own = {p.id: p.max_distance_km for p in people}
    problems: list[Problem] = [
        {
            "rule": broken.rule,
            "a": everyone[int(broken.a)].name,
            "b": everyone[int(broken.b)].name,
            "km": f"{_limit_km(rules.max_distance_km, own, broken):g}",
            "window": rules.repeat_window,
        }
        for broken in found.broken
    ]
    return found, problems


def _limit_km(programme_km: float, own: dict[str, float | None], broken: BrokenRule) -> float:
    """How far the two people of a broken rule may live apart: the programme's
    maximum distance or the nearer of their own limits."""
    limits = [km for km in (own[broken.a], own[broken.b]) if km is not None]
    return min([programme_km, *limits])


def check_group(rnd: Round, members: Sequence[Participant | PersonRow]) -> CheckedGroup:
    """Checks every pair of a group against the engine's hard rules and scores and
    explains the group as the engine would."""
    if len(members) < 2:
        return CheckedGroup([], None, rnd.programme.mode, [])
    found, broken = _check(rnd, [members], explain=True)
    group = found.groups[0]
    return CheckedGroup(
        broken=broken,
        score=group.score,
        mode=group.mode.value,
        reasons=[reason_json(r) for r in group.reasons],
    )


def joinable(
    rnd: Round,
    person: Participant | PersonRow,
    groups: Sequence[Sequence[Participant | PersonRow]],
) -> list[bool]:
    """Whether the person may join each of these groups under the engine's hard rules,
    all checked by the engine at once."""
    if not groups:
        return []
    found, _problems = _check(rnd, [[*members, person] for members in groups], explain=False)
    bad = {broken.group for broken in found.broken}
    return [index not in bad for index in range(len(groups))]


def small_groups(rnd: Round, members: dict[int, list[PersonRow]]) -> list[Problem]:
    """Every group of fewer than two people, by its number."""
    small = {pk: people for pk, people in members.items() if len(people) < 2}
    if not small:
        return []
    numbers = dict(rnd.groups.filter(pk__in=list(small)).values_list("pk", "number"))
    return [
        {"rule": "alone", "group": numbers.get(pk, 0), "name": people[0].name}
        if people
        else {"rule": "empty", "group": numbers.get(pk, 0)}
        for pk, people in sorted(small.items(), key=lambda item: numbers.get(item[0], 0))
    ]


def round_problems(rnd: Round, members: dict[int, list[PersonRow]] | None = None) -> list[Problem]:
    """What keeps a preview from being published as it is now: groups of fewer than two
    people, people who left, paused or asked to skip since it was calculated, and pairs
    that broke a hard rule since (someone blocked a partner, or a round published
    meanwhile brought them together), each with the number of its group."""
    members = members if members is not None else round_members(rnd)
    problems = small_groups(rnd, members)
    numbers = dict(rnd.groups.values_list("pk", "number"))
    group_of = {m.pk: numbers.get(pk, 0) for pk, people in members.items() for m in people}
    groups = list(members.values())
    available = set(
        rnd.programme.participants.available_on(timezone.localdate())
        .order_by()
        .values_list("pk", flat=True)
    )
    problems += [
        {"rule": "unavailable", "name": m.name, "group": group_of[m.pk]}
        for group in groups
        for m in group
        if m.pk not in available
    ]
    found, broken = _check(rnd, [g for g in groups if len(g) >= 2], explain=False)
    problems += [
        {**problem, "group": group_of[int(pair.a)]}
        for pair, problem in zip(found.broken, broken, strict=True)
    ]
    if len(problems) > PROBLEMS_SHOWN:
        rest = len(problems) - PROBLEMS_SHOWN
        problems = [*problems[:PROBLEMS_SHOWN], {"rule": "more", "count": rest}]
    return problems
