"""The people of a round as the engine needs them, read in one place for previews,
publications and moves: participants as plain rows, their blocks, and the programme's
history of earlier groups."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from django.db.models import Max, Q, QuerySet, TextField
from django.db.models.functions import Cast

from kaffeeklatsch.matching.model import PastGroup, Person
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import PersonMaker
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Group, LeftOut, Round


class PersonRow(NamedTuple):
    """What the engine and the storing of a round need of a participant, read as a
    plain row (a round of 100,000 people would otherwise build 100,000 model
    instances). The fields are the participant's; its JSON fields come last."""

    pk: int
    name: str
    email: str
    reached_by: str
    department: str
    organisation: str
    level: str
    place: str
    latitude: float | None
    longitude: float | None
    travel_km: int | None
    mode: str
    languages: list[str]
    interests: list[str]
    availability: list[list[int]]


JSON_FIELDS = ("languages", "interests", "availability")
PLAIN_FIELDS = PersonRow._fields[: -len(JSON_FIELDS)]


def person_rows(participants: QuerySet[Participant]) -> list[PersonRow]:
    """The participants as rows. Their JSON fields are read as text and decoded once
    per distinct text: most people share their languages and times with many others."""
    texts = {f"{name}_text": Cast(name, TextField()) for name in JSON_FIELDS}
    rows = participants.order_by().annotate(**texts).values_list(*PLAIN_FIELDS, *texts)
    decoded: dict[str | None, Any] = {None: []}

    def load(text: str | None) -> Any:
        if text not in decoded:
            decoded[text] = json.loads(text)  # type: ignore[arg-type]
        return decoded[text]

    plain = len(PLAIN_FIELDS)
    return [PersonRow(*row[:plain], *map(load, row[plain:])) for row in rows]


def next_number(programme: Programme) -> int:
    last = programme.rounds.filter(status=Round.Status.PUBLISHED).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _published_numbers(programme: Programme) -> dict[int, int]:
    """Round id to number, for the published rounds the engine's history needs: those
    within the programme's repeat window and the last one (for who was left out or
    poorly matched there)."""
    rounds = dict(
        Round.objects.filter(programme=programme, status=Round.Status.PUBLISHED).values_list(
            "pk", "number"
        )
    )
    if not rounds:
        return {}
    last = max(rounds.values())
    oldest = min(last, next_number(programme) - programme.repeat_window)
    return {pk: number for pk, number in rounds.items() if number >= oldest}


def history(programme: Programme, only: Collection[int] | None = None) -> list[PastGroup]:
    """The past groups the engine needs for the programme's next round (see
    :func:`_published_numbers`); with ``only``, just the groups those people were in."""
    numbers = _published_numbers(programme)
    if not numbers:
        return []
    through = Group.members.through.objects.filter(group__round__in=list(numbers))
    groups = Group.objects.filter(round__in=list(numbers))
    left = LeftOut.objects.filter(round__in=list(numbers))
    if only is not None:
        ids = list(only)
        mine = Group.members.through.objects.filter(
            participant_id__in=ids, group__round__in=list(numbers)
        ).values("group_id")
        through = through.filter(group_id__in=mine)
        groups = groups.filter(pk__in=mine)
        left = left.filter(participant_id__in=ids)
    members: dict[int, list[str]] = {}
    for group_id, person in through.order_by().values_list("group_id", "participant_id"):
        members.setdefault(group_id, []).append(str(person))
    past: list[PastGroup] = []
    for pk, round_id, score in groups.order_by().values_list("pk", "round_id", "score"):
        if pk in members:
            past.append(PastGroup(round=numbers[round_id], members=tuple(members[pk]), score=score))
    for round_id, person in left.order_by().values_list("round_id", "participant_id"):
        past.append(PastGroup(round=numbers[round_id], members=(str(person),), left_out=True))
    return past


def _blocks(programme: Programme, ids: Collection[int]) -> dict[int, set[int]]:
    """Who must not meet whom among these people, in both directions; people who
    block nobody and whom nobody blocks are left out."""
    blocked: dict[int, set[int]] = {}
    through = Participant.blocked.through.objects.filter(from_participant__programme=programme)
    if len(ids) < 500:
        # A handful of people (a move): only their blocks, not the programme's.
        through = through.filter(
            Q(from_participant_id__in=list(ids)) | Q(to_participant_id__in=list(ids))
        )
    # Otherwise by programme, not by a list of ids: a round of 100,000 people would
    # pass the databases' limits on query parameters.
    for a, b in through.order_by().values_list("from_participant_id", "to_participant_id"):
        if a in ids and b in ids:
            blocked.setdefault(a, set()).add(b)
            blocked.setdefault(b, set()).add(a)
    return blocked


def persons(programme: Programme, participants: Sequence[Participant | PersonRow]) -> list[Person]:
    """The engine's people for these participants, with blocks in both directions."""
    blocked = _blocks(programme, {p.pk for p in participants})
    make = PersonMaker(programme.mode)
    return [make(p, blocked.get(p.pk, ())) for p in participants]


def round_members(rnd: Round) -> dict[int, list[PersonRow]]:
    """The members of every group of a round, by group id, read as rows."""
    by_person = {
        row.pk: row for row in person_rows(Participant.objects.filter(groups__round=rnd).distinct())
    }
    members: dict[int, list[PersonRow]] = {
        pk: [] for pk in rnd.groups.order_by().values_list("pk", flat=True)
    }
    through = Group.members.through.objects.filter(group__round=rnd).order_by("group_id", "id")
    for group_id, person in through.values_list("group_id", "participant_id"):
        members[group_id].append(by_person[person])
    return members


def _distinct(values: Sequence[str]) -> bool:
    """Whether the members come from more than one (named) department, level or
    organisation."""
    return len({v for v in values if v}) > 1


def mix(members: Sequence[Participant | PersonRow]) -> tuple[bool, bool, bool, int, int]:
    """Whether a group is across departments, levels and organisations; its size and
    how many of its members are not reached by e-mail."""
    return (
        _distinct([m.department for m in members]),
        _distinct([m.level for m in members]),
        _distinct([m.organisation for m in members]),
        len(members),
        sum(1 for m in members if not Participant.by_email(m.email, m.reached_by)),
    )
