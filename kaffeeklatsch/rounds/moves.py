"""Changes by hand to a preview: a person moved into another group, a new group, or
out of the round. Each move is checked against the engine's hard rules, and the
changed groups are scored and explained again."""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import MeetingMode
from kaffeeklatsch.rounds.checks import Problem, RoundError, RuleBroken, check_group, joinable
from kaffeeklatsch.rounds.figures import changed, counts_of, reason_key
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Group, LeftOut, Round
from kaffeeklatsch.rounds.people import mix
from kaffeeklatsch.rounds.preview import video_url
from kaffeeklatsch.rounds.schedule import Planner, channel_of

MOVED = {"code": "moved_by_organiser", "params": {}}


def _refresh_group(rnd: Round, group: Group, members: list[Participant]) -> None:
    """Score, mode, reasons and suggested time of a group after a change by hand."""
    check = check_group(rnd, members)
    group.score = check.score
    group.mode = check.mode
    group.reasons = [*check.reasons, MOVED]
    group.moved = True
    planned = Planner(rnd.programme, max(rnd.meet_from, timezone.localdate())).plan(
        [m.availability for m in members], [channel_of(m.email, m.reached_by) for m in members]
    )
    group.suggested_start, group.common_time = planned.start, planned.common
    (
        group.across_departments,
        group.across_levels,
        group.across_organisations,
        group.size,
        group.unreached,
    ) = mix(members)
    group.video_url = group.video_url or video_url(group.mode)
    if group.mode == MeetingMode.IN_PERSON:
        group.video_url = ""
    group.save()


def _group_of(rnd: Round, participant_id: int) -> Group | None:
    return rnd.groups.filter(members__pk=participant_id).first()


def _new_group(rnd: Round, source: Group | None) -> Group:
    last = rnd.groups.aggregate(n=Max("number"))["n"] or 0
    return Group.objects.create(
        round=rnd,
        number=last + 1,
        mode=source.mode if source else MeetingMode.EITHER,
        reasons=[MOVED],
        moved=True,
    )


class _Change:
    """What a move changes in the round's score and figures, gathered as it goes."""

    def __init__(self, rnd: Round, source: Group | None) -> None:
        self.before = 0.0
        self.after = 0.0
        self.counted_before: list = [counts_of(source)] if source is not None else []
        self.counted_after: list = []
        self.left_out: Counter[str] = Counter()
        self.alone: list[Problem] = []
        self.figures = figures_of(rnd)

    def leaves(self, group: Group) -> None:
        self.before += group.score or 0.0
        self.counted_before.append(counts_of(group))

    def joins(self, group: Group) -> None:
        self.after += group.score or 0.0
        self.counted_after.append(counts_of(group))

    def apply(self, rnd: Round) -> None:
        rnd.edited = True
        rnd.exact = False
        rnd.score = round(max(rnd.score - self.before + self.after, 0.0), 6)
        rnd.figures = changed(self.figures, self.counted_before, self.counted_after, self.left_out)
        rnd.save(update_fields=["edited", "exact", "score", "figures"])


def _group_by_id(rnd: Round, target: str) -> Group:
    try:
        return rnd.groups.get(pk=int(target))
    except (ValueError, Group.DoesNotExist) as exc:
        raise RoundError("no such group") from exc


def _leave(rnd: Round, source: Group, participant: Participant, change: _Change) -> None:
    """The person leaves their group, which is scored again (or removed if empty); a
    group left with one person is remembered, to be named to the organiser."""
    change.before += source.score or 0.0
    source.members.remove(participant)
    remaining = list(source.members.all())
    if remaining:
        _refresh_group(rnd, source, remaining)
        change.joins(source)
        if len(remaining) == 1:
            name = remaining[0].name
            change.alone.append({"rule": "alone", "group": source.number, "name": name})
    else:
        source.delete()


def _in_round(rnd: Round, participant_id: int) -> tuple[Group | None, LeftOut | None]:
    source = _group_of(rnd, participant_id)
    left = rnd.left_out.filter(participant_id=participant_id).first()
    if source is None and left is None:
        raise RoundError("not in round")
    return source, left


def _move_one(rnd: Round, participant: Participant, destination: Group | None) -> list[Problem]:
    """Moves one person of the round into ``destination`` (``None``: out of the round);
    the groups the move leaves with one person, as problems."""
    source, left = _in_round(rnd, participant.pk)
    if destination is not None and destination == source:
        return []
    change = _Change(rnd, source)
    destination_members: list[Participant] = []
    if destination is not None:
        destination_members = list(destination.members.all())
        if destination_members:
            check = check_group(rnd, [*destination_members, participant])
            if check.broken:
                raise RuleBroken(check.broken)
            change.leaves(destination)
    if source is not None:
        _leave(rnd, source, participant, change)
    if left is not None:
        change.left_out[reason_key(left.reason)] -= 1
        left.delete()
    if destination is None:
        LeftOut.objects.create(round=rnd, participant=participant, reason={})
        change.left_out[reason_key({})] += 1
    else:
        destination.members.add(participant)
        _refresh_group(rnd, destination, [*destination_members, participant])
        change.joins(destination)
    change.apply(rnd)
    return change.alone


@transaction.atomic
def move_participant(
    rnd: Round, participant_id: int, target: str, partner_id: int | None = None
) -> list[Problem]:
    """Moves a person of a preview into another group, a new group, or out of the round.

    ``target`` is a group id, ``"new"`` (with ``partner_id``, the person to start the new
    group with: a group of one is never made) or ``"out"``. A move that would break a
    hard rule of the engine is refused with :class:`RuleBroken`. Changed groups are
    scored and explained again, and the round's score changes by their difference.
    Returns the groups the move left with one person (the round cannot be published
    until they are fixed), as problems naming them.
    """
    rnd = Round.objects.select_for_update().select_related("programme").get(pk=rnd.pk)
    if rnd.status != Round.Status.PREVIEW:
        raise RoundError("published")
    participant = Participant.objects.get(pk=participant_id)
    source, _left = _in_round(rnd, participant_id)
    if target == "out":
        return _move_one(rnd, participant, None)
    if target != "new":
        return _move_one(rnd, participant, _group_by_id(rnd, target))
    if partner_id is None:
        raise RuleBroken([{"rule": "new_alone", "name": participant.name}])
    if partner_id == participant_id:
        raise RoundError("same person")
    partner = Participant.objects.get(pk=partner_id, programme=rnd.programme)
    _in_round(rnd, partner_id)
    check = check_group(rnd, [participant, partner])
    if check.broken:
        raise RuleBroken(check.broken)
    group = _new_group(rnd, source)
    alone = _move_one(rnd, participant, group)
    alone += _move_one(rnd, partner, group)
    # A group the first move left alone may have been the partner's, now fixed.
    still = set(rnd.groups.filter(size=1).values_list("number", flat=True))
    return [problem for problem in alone if problem["group"] in still]


# Groups checked at most to find those a person may join, and people offered at most
# to start a new group with.
GROUPS_CHECKED = 200
PARTNERS_CHECKED = 200


def groups_to_join(
    rnd: Round, person: Participant, groups: QuerySet[Group], limit: int
) -> list[Group]:
    """Up to ``limit`` of these groups that the person may join under the hard rules,
    groups of one first (the person would complete them), then by number."""
    candidates = list(
        groups.exclude(members=person)
        .order_by("number", "id")
        .prefetch_related("members")[:GROUPS_CHECKED]
    )
    allowed = joinable(rnd, person, [list(group.members.all()) for group in candidates])
    found = [group for group, ok in zip(candidates, allowed, strict=True) if ok]
    found.sort(key=lambda group: (group.size != 1, group.number, group.pk))
    return found[:limit]


def partners_for_new_group(rnd: Round, person: Participant) -> list[Participant]:
    """People who may start a new group with the person without leaving anyone alone:
    those not in a group, alone in one, or in a group of three or more, and who may
    meet the person under the hard rules."""
    left_out = rnd.left_out.values("participant_id")
    in_groups = Group.members.through.objects.filter(
        Q(group__size=1) | Q(group__size__gte=3), group__round=rnd
    ).values("participant_id")
    people = list(
        rnd.programme.participants.filter(Q(pk__in=left_out) | Q(pk__in=in_groups))
        .exclude(pk=person.pk)
        .order_by("name", "pk")[:PARTNERS_CHECKED]
    )
    allowed = joinable(rnd, person, [[other] for other in people])
    return [other for other, ok in zip(people, allowed, strict=True) if ok]
