"""The steps after joining: each question a programme asks beyond the short sign-up,
one at a time on the person's own page, each saying how it improves their matches,
each skippable for good."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.kinds import Kind, Question
from kaffeeklatsch.programmes.models import Programme

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# The form fields of each question.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    Question.INTERESTS: ("interests_text",),
    Question.TIMES: ("times",),
    Question.LANGUAGES: ("languages_text",),
    Question.PLACE: ("place",),
    Question.DISTANCE: ("travel_km",),
    Question.DEPARTMENT: ("department",),
    Question.ORGANISATION: ("organisation",),
    Question.LEVEL: ("level",),
}

TRAVEL_CHOICES = [
    (None, _("No answer")),
    (1, _("Around the corner (about 1 km)")),
    (3, _("A short bus ride (about 3 km)")),
    (10, _("Across town (about 10 km)")),
]

# What "no times given" means, as the kinds define it (kinds.any_time).
ANY_TIME_MEANS: dict[str, StrPromise] = {
    Kind.WORKPLACE: _("Nothing ticked means any time on weekdays between 9 and 17."),
    Kind.NETWORK: _(
        "Nothing ticked means weekday mornings, afternoons and evenings, and weekend "
        "mornings and afternoons."
    ),
    Kind.NEIGHBOURHOOD: _("Nothing ticked means mornings, afternoons and evenings on any day."),
}


@dataclass(frozen=True)
class Step:
    question: str
    title: Promise
    why: Promise


_WHY: dict[str, tuple[Promise, Promise]] = {
    Question.INTERESTS: (
        _("What do you like to do or talk about?"),
        _(
            "We introduce you to people who share some of your interests, and suggest a "
            "first question from them."
        ),
    ),
    Question.TIMES: (
        _("When do you have time?"),
        _("We suggest a meeting time that suits everyone in your group."),
    ),
    Question.LANGUAGES: (
        _("Which other languages do you speak?"),
        _("You meet people you share a language with."),
    ),
    Question.DISTANCE: (
        _("How far can you go to meet?"),
        _("We use it to find people near you, no farther away than you can go."),
    ),
    Question.DEPARTMENT: (
        _("Which department do you work in?"),
        _("We introduce you to people from other departments."),
    ),
    Question.ORGANISATION: (
        _("Which organisation are you with?"),
        _("We introduce you to people from other organisations."),
    ),
}

# Questions whose wording depends on the kind of programme.
_WHY_BY_KIND: dict[tuple[str, str], tuple[Promise, Promise]] = {
    (Question.PLACE, Kind.WORKPLACE): (
        _("Where do you work?"),
        _("For meeting in person, you meet people who work nearby."),
    ),
    (Question.PLACE, Kind.NETWORK): (
        _("Where are you based?"),
        _("For meeting in person, you meet people from nearby."),
    ),
    (Question.PLACE, Kind.NEIGHBOURHOOD): (
        _("Where do you live?"),
        _("You meet someone who lives within reach."),
    ),
    (Question.LEVEL, Kind.WORKPLACE): (
        _("What is your position?"),
        _("We mix people across levels, so that you meet people you rarely work with."),
    ),
    (Question.LEVEL, Kind.NETWORK): (
        _("What is your role?"),
        _("The people you meet see it, so that you know what the other one does."),
    ),
    (Question.LEVEL, Kind.NEIGHBOURHOOD): (
        _("What do you do, or did you do?"),
        _("The people you meet see it, so that you have something to start with."),
    ),
}


def step(question: str, kind: str) -> Step:
    title, why = _WHY_BY_KIND.get((question, kind)) or _WHY[question]
    return Step(question, title, why)


def answered(participant: Participant, question: str) -> bool:
    """Whether the person's profile already holds an answer (given by them, an
    organiser or an import)."""
    if question == Question.INTERESTS:
        return bool(participant.interests)
    if question == Question.TIMES:
        return bool(participant.availability)
    if question == Question.LANGUAGES:
        return len(participant.languages) > 1
    if question == Question.DISTANCE:
        return participant.travel_km is not None
    return bool(getattr(participant, question, ""))


def open_steps(participant: Participant, programme: Programme) -> list[Step]:
    """The steps still ahead of a person, in the programme's order of questions."""
    return [
        step(question, programme.kind)
        for question in programme.questions
        if question in STEP_FIELDS
        and question not in participant.finished_steps
        and not answered(participant, question)
    ]


def finish(participant: Participant, question: str) -> None:
    """The person answered ``question`` or skipped it for good: it is not asked again."""
    if question not in participant.finished_steps:
        participant.finished_steps = [*participant.finished_steps, question]
        participant.save(update_fields=["finished_steps"])
