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

from kaffeeklatsch.matching.check import GroupCheck as EngineCheck
from kaffeeklatsch.matching.check import check_groups
from kaffeeklatsch.matching.model import Reason
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.people import PersonRow, history, persons, round_members


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


def problem_text(problem: Problem) -> str:
    """A problem of :class:`RuleBroken` in words, in the active language."""
    return str(RULE_MESSAGES[problem["rule"]]) % problem


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
    found = check_groups(
        persons(programme, list(everyone.values())),
        [[str(m.pk) for m in members] for members in groups],
        history(programme, only),
        rules,
        rnd.number,
        explain=explain,
    )
    problems: list[Problem] = [
        {
            "rule": broken.rule,
            "a": everyone[int(broken.a)].name,
            "b": everyone[int(broken.b)].name,
            "km": f"{rules.max_distance_km:g}",
            "window": rules.repeat_window,
        }
        for broken in found.broken
    ]
    return found, problems


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


def round_problems(rnd: Round, members: dict[int, list[PersonRow]] | None = None) -> list[Problem]:
    """What keeps a preview from being published as it is now: people who left, paused
    or asked to skip since it was calculated, and pairs that broke a hard rule since
    (someone blocked a partner, or a round published meanwhile brought them together)."""
    groups = list((members if members is not None else round_members(rnd)).values())
    available = set(
        rnd.programme.participants.available_on(timezone.localdate())
        .order_by()
        .values_list("pk", flat=True)
    )
    problems: list[Problem] = [
        {"rule": "unavailable", "name": m.name}
        for group in groups
        for m in group
        if m.pk not in available
    ]
    problems += _check(rnd, [g for g in groups if len(g) >= 2], explain=False)[1]
    if len(problems) > PROBLEMS_SHOWN:
        rest = len(problems) - PROBLEMS_SHOWN
        problems = [*problems[:PROBLEMS_SHOWN], {"rule": "more", "count": rest}]
    return problems
