"""Running a round: the engine decides, this module stores the result and tells people.

A preview is stored as a round in status ``preview`` that the organiser may edit;
publishing turns it into a real round and writes every e-mail into the outbox in the
same transaction, so a round is either fully there (with all its messages) or not at all.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.jobs.faults import pause_point
from kaffeeklatsch.matching.engine import group_score
from kaffeeklatsch.matching.features import Features, encode, rule_masks
from kaffeeklatsch.matching.model import PastGroup, Person, Reason
from kaffeeklatsch.matching.reasons import group_mode, group_reasons
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import to_person
from kaffeeklatsch.programmes.models import MeetingMode, Programme
from kaffeeklatsch.rounds.models import Group, LeftOut, Round
from kaffeeklatsch.rounds.schedule import suggest_start


class RoundError(Exception):
    """A round that cannot be previewed, edited or published as asked."""


class RuleBroken(RoundError):
    """A change by hand that would break a hard rule; ``problems`` say which, in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _reason_json(reason: Reason) -> dict:
    data = asdict(reason)
    data["params"] = dict(reason.params)
    return data


def history(programme: Programme) -> list[PastGroup]:
    past: list[PastGroup] = []
    groups = (
        Group.objects.filter(round__programme=programme, round__status=Round.Status.PUBLISHED)
        .select_related("round")
        .prefetch_related("members")
    )
    for group in groups:
        members = tuple(str(m.pk) for m in group.members.all())
        if members:
            past.append(PastGroup(round=group.round.number, members=members, score=group.score))
    left = LeftOut.objects.filter(round__programme=programme, round__status=Round.Status.PUBLISHED)
    for item in left.select_related("round"):
        past.append(
            PastGroup(round=item.round.number, members=(str(item.participant_id),), left_out=True)
        )
    return past


def persons(programme: Programme, participants: list[Participant]) -> list[Person]:
    """The engine's people for these participants, with blocks in both directions."""
    ids = {p.pk for p in participants}
    blocked: dict[int, set[int]] = {pk: set() for pk in ids}
    # By programme, not by a list of ids: a round of 100,000 people would pass the
    # databases' limits on query parameters.
    through = Participant.blocked.through.objects.filter(
        from_participant__programme=programme
    ).values_list("from_participant_id", "to_participant_id")
    for a, b in through:
        if a in ids and b in ids:
            blocked[a].add(b)
            blocked[b].add(a)
    return [to_person(p, programme.mode, blocked[p.pk]) for p in participants]


UNAVAILABLE = _("%(name)s no longer takes part in this round (left, paused or skipping it).")

RULE_MESSAGES = {
    "language": _("%(a)s and %(b)s have no language in common."),
    "mode": _("%(a)s and %(b)s want to meet in different ways (one in person, one online)."),
    "distance": _("%(a)s and %(b)s live more than %(km)s km apart to meet in person."),
    "availability": _("The times %(a)s and %(b)s have do not overlap."),
    "history": _(
        "%(a)s and %(b)s met in the last %(window)s rounds, or one of them does not want "
        "to meet the other."
    ),
}


@dataclass
class GroupCheck:
    """A group as the engine sees it: the hard rules it breaks, its score and reasons."""

    broken: list[str]
    score: float | None
    mode: str
    reasons: list[dict]


def _pair_problems(
    rnd: Round, groups: list[list[Participant]]
) -> tuple[list[str], Features, list[Person]]:
    """Every pair inside the given groups checked against the engine's hard rules (the
    engine's own code, on one encoding of all their members): the broken ones in words,
    and the encoding for scoring and explaining the groups."""
    programme = rnd.programme
    everyone = [m for members in groups for m in members]
    people = persons(programme, everyone)
    rules = programme.rules(seed=rnd.number)
    f = encode(people, history(programme), rules, rnd.number)
    first: list[np.ndarray] = []
    second: list[np.ndarray] = []
    offset = 0
    for members in groups:
        x, y = np.triu_indices(len(members), k=1)
        first.append(x + offset)
        second.append(y + offset)
        offset += len(members)
    if not offset:
        return [], f, people
    a, b = np.concatenate(first), np.concatenate(second)
    broken: list[str] = []
    for rule, kept in rule_masks(f, a, b).items():
        for i in np.flatnonzero(~kept):
            broken.append(
                str(RULE_MESSAGES[rule])
                % {
                    "a": everyone[a[i]].name,
                    "b": everyone[b[i]].name,
                    "km": f"{rules.max_distance_km:g}",
                    "window": rules.repeat_window,
                }
            )
    return broken, f, people


def check_group(rnd: Round, members: list[Participant]) -> GroupCheck:
    """Checks every pair of a group against the engine's hard rules and scores and
    explains the group as the engine would."""
    if len(members) < 2:
        return GroupCheck([], None, rnd.programme.mode, [])
    broken, f, people = _pair_problems(rnd, [members])
    idx = list(range(len(members)))
    return GroupCheck(
        broken=broken,
        score=round(group_score(f, idx), 6),
        mode=group_mode(f, idx).value,
        reasons=[_reason_json(r) for r in group_reasons(f, people, idx)],
    )


def round_problems(rnd: Round, groups: list[Group]) -> list[str]:
    """What keeps a preview from being published as it is now: people who left, paused
    or asked to skip since it was calculated, and pairs that broke a hard rule since
    (someone blocked a partner, or a round published meanwhile brought them together)."""
    members = [list(g.members.all()) for g in groups]
    available = set(
        rnd.programme.participants.available_on(timezone.localdate()).values_list("pk", flat=True)
    )
    problems = [
        str(UNAVAILABLE) % {"name": m.name}
        for group in members
        for m in group
        if m.pk not in available
    ]
    broken, _f, _people = _pair_problems(rnd, [g for g in members if len(g) >= 2])
    return problems + broken


def next_number(programme: Programme) -> int:
    last = programme.rounds.filter(status=Round.Status.PUBLISHED).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def preview_round(
    programme: Programme, started_by: AbstractBaseUser | None = None, on: dt.date | None = None
) -> Round:
    """Runs the engine on everyone available and stores the result as a preview."""
    from kaffeeklatsch.matching.engine import match_round

    day = on or timezone.localdate()
    number = next_number(programme)
    participants = list(programme.participants.available_on(day))
    people = persons(programme, participants)
    result = match_round(people, history(programme), programme.rules(seed=number), number)
    by_id = {str(p.pk): p for p in participants}
    with transaction.atomic():
        programme.rounds.filter(status=Round.Status.PREVIEW).delete()
        rnd = Round.objects.create(
            programme=programme,
            number=number,
            meet_from=day,
            started_by=started_by if started_by and started_by.is_authenticated else None,
            score=result.score,
            bound=result.bound,
            exact=result.exact,
            seconds=result.seconds,
        )
        for found in result.groups:
            members = [by_id[m] for m in found.members]
            group = Group.objects.create(
                round=rnd,
                mode=found.mode.value,
                score=found.score,
                reasons=[_reason_json(r) for r in found.reasons],
                suggested_start=suggest_start([m.availability for m in members], day),
            )
            group.members.set(members)
        for item in result.left_out:
            LeftOut.objects.create(
                round=rnd, participant=by_id[item.person], reason=_reason_json(item.reason)
            )
    return rnd


MOVED = {"code": "moved_by_organiser", "params": {}}


def _refresh_group(rnd: Round, group: Group) -> None:
    """Score, mode, reasons and suggested time of a group after a change by hand."""
    members = list(group.members.all())
    check = check_group(rnd, members)
    group.score = check.score
    group.mode = check.mode
    group.reasons = [*check.reasons, MOVED]
    group.suggested_start = suggest_start([m.availability for m in members], rnd.meet_from)
    group.save()


@transaction.atomic
def move_participant(rnd: Round, participant_id: int, target: str) -> None:
    """Moves a person of a preview into another group, a new group, or out of the round.

    ``target`` is a group id, ``"new"`` or ``"out"``. A move into a group that would
    break a hard rule of the engine is refused with :class:`RuleBroken`. Changed groups
    are scored and explained again, and the round's score is their new total.
    """
    rnd = Round.objects.select_for_update().select_related("programme").get(pk=rnd.pk)
    if rnd.status != Round.Status.PREVIEW:
        raise RoundError("published")
    source = rnd.groups.filter(members__pk=participant_id).first()
    left = rnd.left_out.filter(participant_id=participant_id).first()
    if source is None and left is None:
        raise RoundError("not in round")
    participant = Participant.objects.get(pk=participant_id)

    if target == "out":
        destination = None
    elif target == "new":
        destination = Group.objects.create(
            round=rnd, mode=source.mode if source else MeetingMode.EITHER, reasons=[MOVED]
        )
    else:
        try:
            destination = rnd.groups.get(pk=int(target))
        except (ValueError, Group.DoesNotExist) as exc:
            raise RoundError("no such group") from exc
        if destination == source:
            return
        check = check_group(rnd, [*destination.members.all(), participant])
        if check.broken:
            raise RuleBroken(check.broken)

    if source is not None:
        source.members.remove(participant)
        if source.members.exists():
            _refresh_group(rnd, source)
        else:
            source.delete()
    if left is not None:
        left.delete()
    if destination is None:
        LeftOut.objects.create(round=rnd, participant=participant, reason={})
    else:
        destination.members.add(participant)
        _refresh_group(rnd, destination)
    rnd.edited = True
    rnd.exact = False
    rnd.score = round(sum(g.score or 0.0 for g in rnd.groups.all()), 6)
    rnd.save(update_fields=["edited", "exact", "score"])


def _video_url(group: Group) -> str:
    template = settings.VIDEO_URL_TEMPLATE
    if not template or group.mode == MeetingMode.IN_PERSON:
        return ""
    room = f"kaffeeklatsch-{secrets.token_urlsafe(9)}"
    return template.replace("{room}", room)


def publish_round(rnd: Round, notify: bool = True) -> Round:
    """Publishes a preview: stores it as the programme's next round and writes the
    introductions and the later "Did you meet?" job, all in one transaction."""
    from kaffeeklatsch.jobs.queue import enqueue
    from kaffeeklatsch.notifications.emails import queue_introductions
    from kaffeeklatsch.reach.services import queue_round_messages

    with transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=rnd.pk)
        if rnd.status != Round.Status.PREVIEW:
            raise RoundError("published")
        groups = list(rnd.groups.prefetch_related("members"))
        if any(g.members.count() < 2 for g in groups):
            raise RoundError("group too small")
        problems = round_problems(rnd, groups)
        if problems:
            raise RuleBroken(problems)
        rnd.status = Round.Status.PUBLISHED
        rnd.number = next_number(rnd.programme)
        rnd.published_at = timezone.now()
        rnd.save()
        member_ids = [m.pk for g in groups for m in g.members.all()]
        left_ids = list(rnd.left_out.values_list("participant_id", flat=True))
        rnd.programme.participants.filter(skip_next_round=True).exclude(
            pk__in=member_ids + left_ids
        ).update(skip_next_round=False)
        if settings.VIDEO_URL_TEMPLATE:
            for group in groups:
                group.video_url = _video_url(group)
            Group.objects.bulk_update(groups, ["video_url"], batch_size=1000)
        if notify:
            queue_introductions(rnd)
            queue_round_messages(rnd)
            enqueue(
                "feedback_request",
                {"round": rnd.pk},
                run_at=timezone.now() + dt.timedelta(days=settings.FEEDBACK_DELAY_DAYS),
            )
        pause_point("publish.outbox_written")
    return rnd


def run_automatic_round(programme: Programme) -> Round | None:
    """Starts and publishes a round for a programme whose automatic round is due."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = (
            Programme.objects.select_for_update(skip_locked=True)
            .filter(pk=programme.pk, automatic=True, next_round_on__lte=today)
            .first()
        )
        if locked is None:
            return None
        rnd = None
        if locked.participants.available_on(today).count() >= 2:
            rnd = publish_round(preview_round(locked, None, today))
        locked.next_round_on = locked.following_round_date(today)
        locked.save(update_fields=["next_round_on"])
    return rnd
