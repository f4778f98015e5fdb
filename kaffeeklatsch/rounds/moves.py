"""Changes by hand to a preview: a person moved into another group, a new group, or
out of the round. Each move is checked against the engine's hard rules, and the
changed groups are scored and explained again."""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models import Max

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import utc_offset_minutes
from kaffeeklatsch.programmes.kinds import any_time
from kaffeeklatsch.programmes.models import MeetingMode, earliest_meeting_after
from kaffeeklatsch.rounds.checks import RoundError, RuleBroken, check_group
from kaffeeklatsch.rounds.figures import changed, counts_of, reason_key
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Group, LeftOut, Round
from kaffeeklatsch.rounds.people import mix
from kaffeeklatsch.rounds.preview import video_url
from kaffeeklatsch.rounds.schedule import suggest_start

MOVED = {"code": "moved_by_organiser", "params": {}}


def _refresh_group(rnd: Round, group: Group, members: list[Participant]) -> None:
    """Score, mode, reasons and suggested time of a group after a change by hand."""
    check = check_group(rnd, members)
    group.score = check.score
    group.mode = check.mode
    group.reasons = [*check.reasons, MOVED]
    group.moved = True
    programme = rnd.programme
    free = any_time(programme.kind, utc_offset_minutes(rnd.meet_from))
    group.suggested_start = suggest_start(
        [m.availability or free for m in members],
        earliest_meeting_after(programme, rnd.meet_from),
    )
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
    """The person leaves their group, which is scored again (or removed if empty)."""
    change.before += source.score or 0.0
    source.members.remove(participant)
    remaining = list(source.members.all())
    if remaining:
        _refresh_group(rnd, source, remaining)
        change.joins(source)
    else:
        source.delete()


@transaction.atomic
def move_participant(rnd: Round, participant_id: int, target: str) -> None:
    """Moves a person of a preview into another group, a new group, or out of the round.

    ``target`` is a group id, ``"new"`` or ``"out"``. A move into a group that would
    break a hard rule of the engine is refused with :class:`RuleBroken`. Changed groups
    are scored and explained again, and the round's score changes by their difference.
    """
    rnd = Round.objects.select_for_update().select_related("programme").get(pk=rnd.pk)
    if rnd.status != Round.Status.PREVIEW:
        raise RoundError("published")
    source = _group_of(rnd, participant_id)
    left = rnd.left_out.filter(participant_id=participant_id).first()
    if source is None and left is None:
        raise RoundError("not in round")
    participant = Participant.objects.get(pk=participant_id)
    change = _Change(rnd, source)

    destination: Group | None = None
    destination_members: list[Participant] = []
    if target == "new":
        destination = _new_group(rnd, source)
    elif target != "out":
        destination = _group_by_id(rnd, target)
        if destination == source:
            return
        destination_members = list(destination.members.all())
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
