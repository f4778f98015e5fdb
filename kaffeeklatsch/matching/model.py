"""Plain data that goes into and comes out of the matching engine.

Everything is immutable and free of Django, so the web application, the command
line and the benchmark hand the engine the same kind of objects.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kaffeeklatsch.matching.explain import render


class Mode(enum.StrEnum):
    """How a person wants to meet."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    EITHER = "either"


@dataclass(frozen=True)
class Location:
    """A point on the map (WGS84 degrees) and the text it was resolved from."""

    lat: float
    lon: float
    label: str = ""


@dataclass(frozen=True)
class Slot:
    """A weekly window a person is available: weekday 0 = Monday, minutes from midnight UTC."""

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class Person:
    """One participant of a round.

    ``languages`` are ISO 639 codes (see :mod:`.languages`), ``interests`` the
    person's own words (compared through :mod:`.interests`), ``blocked`` the ids of
    people this person must never meet. An empty ``availability`` means "any time".
    ``max_distance_km`` is how far the person can go to meet in person (``None``: as
    far as the round's :attr:`Rules.max_distance_km`); it only ever narrows the rule.
    """

    id: str
    name: str = ""
    email: str = ""
    department: str = ""
    organisation: str = ""
    level: str = ""
    languages: tuple[str, ...] = ()
    location: Location | None = None
    mode: Mode = Mode.EITHER
    interests: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    timezone: str = ""
    availability: tuple[Slot, ...] = ()
    new_joiner: bool = False
    max_distance_km: float | None = None


@dataclass(frozen=True)
class PastGroup:
    """A group of an earlier round, as the history of a programme remembers it.

    A person left out of a round is a group of one with ``left_out=True``.
    ``score`` is the group's score in that round where it is known.
    """

    round: int
    members: tuple[str, ...]
    score: float | None = None
    left_out: bool = False


@dataclass(frozen=True)
class Rules:
    """The rules of a round; every field has the default the README states."""

    group_size: int = 2
    repeat_window: int = 6
    max_distance_km: float = 30.0
    weight_interests: float = 3.0
    weight_department: float = 2.0
    weight_level: float = 1.0
    weight_organisation: float = 1.0
    # How much an interest shared by meaning only counts against one shared by key
    # (0 to 1; 0 compares interests by their keys alone). Three quarters keep the
    # scores on a grid of quarters, which the solver handles nearly as fast as keys alone.
    weight_meaning: float = 0.75
    seed: int = 0


@dataclass(frozen=True)
class Reason:
    """One reason, as a code with parameters; :mod:`.explain` renders it in German or English."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return render(self.code, self.params, lang)


@dataclass(frozen=True)
class Group:
    """A group of the round: member ids, its score, how they meet and why they were matched."""

    members: tuple[str, ...]
    score: float
    mode: Mode
    reasons: tuple[Reason, ...] = ()

    def explain(self, lang: str = "en") -> str:
        return "; ".join(r.text(lang) for r in self.reasons)


@dataclass(frozen=True)
class LeftOut:
    """A person who is in no group this round, and why."""

    person: str
    reason: Reason


@dataclass
class RoundResult:
    """The outcome of a round.

    ``score`` is the total of all group scores; ``bound`` a proven upper bound on the
    best total any grouping could reach under the same rules, so ``gap`` says how far
    from the optimum the round can at most be. ``exact`` is true when the round was
    solved to proven optimality.
    """

    round: int
    groups: list[Group]
    left_out: list[LeftOut]
    score: float
    bound: float
    exact: bool
    seconds: float = 0.0

    @property
    def gap(self) -> float:
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.score) / self.bound)
