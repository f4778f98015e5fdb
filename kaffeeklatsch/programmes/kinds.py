"""What kind of programme it is, and what that sets: the questions people are asked,
the times they are offered, what "no times given" means, the way to meet, the lead
time of a round and the questions that open a conversation.

Every text that names the people (colleagues, peers, neighbours) is a whole sentence
per kind in the catalogue, never a word put into a sentence: German and English put
such words in different places and forms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    WORKPLACE = "workplace", _("Workplace: colleagues of one organisation")
    NETWORK = "network", _("Network across organisations: peers from several organisations")
    NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood or community: neighbours")


class Question(models.TextChoices):
    """What people may be asked on their own page after joining, one step each."""

    INTERESTS = "interests", _("Interests")
    TIMES = "times", _("Times")
    LANGUAGES = "languages", _("Further languages")
    PLACE = "place", _("Place or postcode")
    DISTANCE = "distance", _("How far one can go")
    DEPARTMENT = "department", _("Department")
    ORGANISATION = "organisation", _("Organisation")
    LEVEL = "level", _("Level or role")


@dataclass(frozen=True)
class TimeSlot:
    """A broad time people can pick, stored as one window on each of its weekdays."""

    key: str
    weekdays: tuple[int, ...]
    start: int  # minutes from local midnight
    end: int
    label: Promise


WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)

TIME_SLOTS = {
    slot.key: slot
    for slot in (
        TimeSlot("weekday-morning", WEEKDAYS, 9 * 60, 12 * 60, _("Weekday mornings (9–12)")),
        TimeSlot("weekday-midday", WEEKDAYS, 12 * 60, 14 * 60, _("Weekday lunchtimes (12–14)")),
        TimeSlot("weekday-afternoon", WEEKDAYS, 14 * 60, 17 * 60, _("Weekday afternoons (14–17)")),
        TimeSlot("weekday-evening", WEEKDAYS, 17 * 60, 20 * 60, _("Weekday evenings (17–20)")),
        TimeSlot("weekend-morning", WEEKEND, 9 * 60, 12 * 60, _("Weekend mornings (9–12)")),
        TimeSlot("weekend-afternoon", WEEKEND, 14 * 60, 17 * 60, _("Weekend afternoons (14–17)")),
        TimeSlot("weekend-evening", WEEKEND, 17 * 60, 20 * 60, _("Weekend evenings (17–20)")),
    )
}


@dataclass(frozen=True)
class KindDefaults:
    """What a kind of programme starts with; the organiser may change each of them."""

    questions: tuple[str, ...]
    # The broad times offered; no times given means any of them.
    slots: tuple[str, ...]
    mode: str
    lead_days: int
    starters: tuple[Promise, ...]


DEFAULTS: dict[str, KindDefaults] = {
    Kind.WORKPLACE: KindDefaults(
        questions=("interests", "times", "languages", "place", "department", "level"),
        slots=("weekday-morning", "weekday-midday", "weekday-afternoon"),
        mode="either",
        lead_days=1,
        starters=(
            _("What did you want to become as a child — and what do you do today?"),
            _("Which part of your work would you like others to know more about?"),
            _("What has made your work easier recently?"),
            _("Which place in your town would you show a visitor?"),
            _("What are you looking forward to in the next few weeks?"),
            _("What is something you learned from a colleague?"),
        ),
    ),
    Kind.NETWORK: KindDefaults(
        questions=("interests", "times", "languages", "place", "organisation", "level"),
        slots=(
            "weekday-morning",
            "weekday-afternoon",
            "weekday-evening",
            "weekend-morning",
            "weekend-afternoon",
        ),
        mode="either",
        lead_days=3,
        starters=(
            _("How did you come to your profession?"),
            _("What does your organisation do that others could learn from?"),
            _("Which question from your work would you like to discuss with someone outside it?"),
            _("What has changed in your field in the last few years?"),
            _("Which event or network has helped you most in your work?"),
            _("What are you looking forward to in the next few weeks?"),
        ),
    ),
    Kind.NEIGHBOURHOOD: KindDefaults(
        questions=("interests", "times", "languages", "place", "distance"),
        slots=(
            "weekday-morning",
            "weekday-afternoon",
            "weekday-evening",
            "weekend-morning",
            "weekend-afternoon",
            "weekend-evening",
        ),
        mode="in_person",
        lead_days=7,
        starters=(
            _("How long have you lived in the neighbourhood, and what do you like about it?"),
            _("Which place nearby do you like to go to?"),
            _("What did the neighbourhood look like when you came here?"),
            _("Which dish do you like to cook or eat?"),
            _("What are you looking forward to in the next few weeks?"),
            _("What would you show a visitor in our part of town?"),
        ),
    ),
}


def defaults(kind: str) -> KindDefaults:
    """The defaults of a kind; an unknown kind is treated as a workplace."""
    return DEFAULTS.get(kind, DEFAULTS[Kind.WORKPLACE])


def default_questions() -> list[str]:
    """The questions of a new programme before its kind is chosen (a workplace)."""
    return list(DEFAULTS[Kind.WORKPLACE].questions)


def offered_slots(kind: str) -> list[TimeSlot]:
    return [TIME_SLOTS[key] for key in defaults(kind).slots]


def windows_of(keys: Iterable[str], offset: int) -> list[list[int]]:
    """Chosen slot keys to availability windows ``[weekday, start, end]`` in minutes from
    midnight UTC, ``offset`` being the local time's minutes ahead of UTC."""
    windows: list[list[int]] = []
    for key in sorted(set(keys)):
        slot = TIME_SLOTS.get(key)
        if slot is None:
            continue
        windows.extend([day, slot.start - offset, slot.end - offset] for day in slot.weekdays)
    return sorted(windows)


def slots_of(windows: Iterable[Sequence[int]], offset: int) -> list[str]:
    """The slot keys whose every window is among ``windows`` (the reverse of
    :func:`windows_of`)."""
    have = {(int(day), int(start), int(end)) for day, start, end in windows}
    return [
        slot.key
        for slot in TIME_SLOTS.values()
        if all((day, slot.start - offset, slot.end - offset) in have for day in slot.weekdays)
    ]


def any_time(kind: str, offset: int) -> list[list[int]]:
    """What "no times given" means in a programme of this kind: any of its offered times."""
    return windows_of(defaults(kind).slots, offset)


# Whole sentences naming the people, one per kind (see the module's docstring).
TEXTS: dict[str, dict[str, Promise]] = {
    "join_intro": {
        Kind.WORKPLACE: _(
            "Kaffeeklatsch introduces you to colleagues from other parts of your organisation "
            "for a coffee, by e-mail, with a suggested time. You need no password and no app."
        ),
        Kind.NETWORK: _(
            "Kaffeeklatsch introduces you to peers from other organisations for a coffee, in "
            "person or online, by e-mail, with a suggested time. You need no password and no "
            "app."
        ),
        Kind.NEIGHBOURHOOD: _(
            "Kaffeeklatsch introduces you to neighbours for a coffee nearby, with a suggested "
            "time. You need no password and no app."
        ),
    },
    "welcome": {
        Kind.WORKPLACE: _(
            "the organisers of “%(programme)s” added you to their coffee rounds. From time to "
            "time you will get an e-mail introducing you to colleagues for a coffee."
        ),
        Kind.NETWORK: _(
            "the organisers of “%(programme)s” added you to their network's coffee rounds. "
            "From time to time you will get an e-mail introducing you to peers from other "
            "organisations for a coffee."
        ),
        Kind.NEIGHBOURHOOD: _(
            "the organisers of “%(programme)s” added you to their neighbourhood coffee "
            "meetings. From time to time you will get an e-mail introducing you to a "
            "neighbour for a coffee nearby."
        ),
    },
}

CADENCE_TEXTS: dict[str, Promise] = {
    "weekly": _("A new round starts every week."),
    "fortnightly": _("A new round starts every two weeks."),
    "monthly": _("A new round starts every four weeks."),
}


def text(key: str, kind: str, programme: str = "") -> str:
    """The sentence ``key`` for a kind of programme, in the active language."""
    by_kind = TEXTS[key]
    return str(by_kind.get(kind, by_kind[Kind.WORKPLACE])) % {"programme": programme}
