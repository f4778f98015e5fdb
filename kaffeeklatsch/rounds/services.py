"""Running a round: the engine decides, this module stores the result and tells people.

A preview is stored as a round in status ``preview`` that the organiser may edit;
publishing turns it into a real round and writes every e-mail into the outbox in the
same transaction, so a round is either fully there (with all its messages) or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.matching.engine import group_score
from kaffeeklatsch.matching.features import Features, encode, rule_masks
from kaffeeklatsch.matching.model import PastGroup, Person, Reason
from kaffeeklatsch.matching.reasons import group_mode, group_reasons
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.profile import to_person
from kaffeeklatsch.programmes.models import MeetingMode, Programme
from kaffeeklatsch.rounds.figures import changed, counts_of, group_counts, new_figures, reason_key
from kaffeeklatsch.rounds.figures import of as figures_of
from kaffeeklatsch.rounds.models import Group, LeftOut, Round, RoundTask
from kaffeeklatsch.rounds.schedule import suggest_start
from kaffeeklatsch.rounds.storing import (
    GroupRow,
    add_members,
    create_groups,
    create_left_out,
    delete_preview,
)


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


def _reason_json(reason: Reason) -> dict:
    return {"code": reason.code, "params": dict(reason.params)}


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
    """Who must not meet whom among these people, in both directions."""
    blocked: dict[int, set[int]] = {pk: set() for pk in ids}
    through = Participant.blocked.through.objects.filter(from_participant__programme=programme)
    if len(ids) < 500:
        # A handful of people (a move): only their blocks, not the programme's.
        through = through.filter(
            Q(from_participant_id__in=list(ids)) | Q(to_participant_id__in=list(ids))
        )
    # Otherwise by programme, not by a list of ids: a round of 100,000 people would
    # pass the databases' limits on query parameters.
    for a, b in through.order_by().values_list("from_participant_id", "to_participant_id"):
        if a in blocked and b in blocked:
            blocked[a].add(b)
            blocked[b].add(a)
    return blocked


def persons(programme: Programme, participants: Sequence[Participant | PersonRow]) -> list[Person]:
    """The engine's people for these participants, with blocks in both directions."""
    blocked = _blocks(programme, {p.pk for p in participants})
    return [to_person(p, programme.mode, blocked[p.pk]) for p in participants]


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


@dataclass
class GroupCheck:
    """A group as the engine sees it: the hard rules it breaks, its score and reasons."""

    broken: list[Problem]
    score: float | None
    mode: str
    reasons: list[dict]


def _pairs_within(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of positions inside consecutive groups of these sizes (members are
    numbered across the groups, in order): one array operation per group size."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    first: list[np.ndarray] = []
    second: list[np.ndarray] = []
    for size in np.unique(sizes):
        if size < 2:
            continue
        x, y = np.triu_indices(int(size), k=1)
        offsets = starts[sizes == size][:, None]
        first.append((offsets + x).ravel())
        second.append((offsets + y).ravel())
    if not first:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(first), np.concatenate(second)


def _pair_problems(
    rnd: Round, groups: Sequence[Sequence[Participant | PersonRow]]
) -> tuple[list[Problem], Features, list[Person]]:
    """Every pair inside the given groups checked against the engine's hard rules (the
    engine's own code, on one encoding of all their members): the broken ones in words,
    and the encoding for scoring and explaining the groups."""
    programme = rnd.programme
    everyone = [m for members in groups for m in members]
    people = persons(programme, everyone)
    rules = programme.rules(seed=rnd.number)
    only = None if len(everyone) >= 500 else {m.pk for m in everyone}
    f = encode(people, history(programme, only), rules, rnd.number)
    a, b = _pairs_within(np.array([len(m) for m in groups], dtype=np.int64))
    if not len(a):
        return [], f, people
    broken: list[Problem] = []
    for rule, kept in rule_masks(f, a, b).items():
        for i in np.flatnonzero(~kept):
            broken.append(
                {
                    "rule": rule,
                    "a": everyone[a[i]].name,
                    "b": everyone[b[i]].name,
                    "km": f"{rules.max_distance_km:g}",
                    "window": rules.repeat_window,
                }
            )
    return broken, f, people


def check_group(rnd: Round, members: Sequence[Participant | PersonRow]) -> GroupCheck:
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


# At most so many problems are named; the rest are counted.
PROBLEMS_SHOWN = 50


def problem_text(problem: Problem) -> str:
    """A problem of :class:`RuleBroken` in words, in the active language."""
    return str(RULE_MESSAGES[problem["rule"]]) % problem


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
    broken, _f, _people = _pair_problems(rnd, [g for g in groups if len(g) >= 2])
    problems += broken
    if len(problems) > PROBLEMS_SHOWN:
        rest = len(problems) - PROBLEMS_SHOWN
        problems = [*problems[:PROBLEMS_SHOWN], {"rule": "more", "count": rest}]
    return problems


def next_number(programme: Programme) -> int:
    last = programme.rounds.filter(status=Round.Status.PUBLISHED).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def _distinct(values: Sequence[str]) -> bool:
    """Whether the members come from more than one (named) department, level or
    organisation."""
    return len({v for v in values if v}) > 1


def _mix(members: Sequence[Participant | PersonRow]) -> tuple[bool, bool, bool, int, int]:
    """Whether a group is across departments, levels and organisations; its size and
    how many of its members are not reached by e-mail."""
    return (
        _distinct([m.department for m in members]),
        _distinct([m.level for m in members]),
        _distinct([m.organisation for m in members]),
        len(members),
        sum(1 for m in members if not Participant.by_email(m.email, m.reached_by)),
    )


class StartTimes:
    """Suggested start times for groups, worked out once per combination of
    availabilities (as :func:`person_rows` reads them): in a large round most groups
    share one (e.g. "any time")."""

    def __init__(self, day: dt.date) -> None:
        self.day = day
        self.known: dict[tuple, dt.datetime | None] = {}

    def __call__(self, availabilities: Sequence[Sequence[Sequence[int]]]) -> dt.datetime | None:
        # Equal availabilities are one object (see person_rows), so their identities
        # name them; the rows keep them alive while the round is stored.
        key = tuple(sorted(map(id, availabilities)))
        if key not in self.known:
            self.known[key] = suggest_start(availabilities, self.day)
        return self.known[key]


Report = Callable[[str, float], None]


class Storing(Protocol):
    """Told when a round's result is written: :meth:`begin` is the first thing inside
    the storing transaction, :meth:`end` the last (what it writes commits with it)."""

    def begin(self) -> None: ...

    def end(self, rnd: Round) -> None: ...


def _quiet(stage: str, share: float) -> None:
    """Progress goes nowhere unless a caller listens."""


def preview_round(
    programme: Programme,
    started_by: AbstractBaseUser | None = None,
    on: dt.date | None = None,
    progress: Report | None = None,
    storing: Storing | None = None,
) -> Round:
    """Runs the engine on everyone available and stores the result as a preview,
    replacing the programme's earlier preview, in one transaction.

    ``progress(stage, share)`` hears of the stages (``reading``, ``matching``,
    ``storing``) with the share of the whole work done; ``storing`` is told when the
    result is written (see :class:`Storing`).
    """
    from kaffeeklatsch.matching.engine import match_round

    report = progress or _quiet
    day = on or timezone.localdate()
    number = next_number(programme)
    report("reading", 0.0)
    rows = person_rows(programme.participants.available_on(day))
    people = persons(programme, rows)
    past = history(programme)
    report("matching", 0.1)
    result = match_round(
        people,
        past,
        programme.rules(seed=number),
        number,
        progress=lambda _stage, share: report("matching", 0.1 + 0.7 * share),
    )
    report("storing", 0.8)
    by_id = {str(p.pk): p for p in rows}
    start_time = StartTimes(day)
    with transaction.atomic():
        if storing is not None:
            storing.begin()
        for old in programme.rounds.filter(status=Round.Status.PREVIEW):
            delete_preview(old)
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
        groups = []
        for position, found in enumerate(result.groups, start=1):
            members = [by_id[m] for m in found.members]
            mode = found.mode.value
            groups.append(
                GroupRow(
                    position,
                    mode,
                    found.score,
                    [_reason_json(r) for r in found.reasons],
                    start_time([m.availability for m in members]),
                    _video_url(mode),
                    *_mix(members),
                )
            )
        ids = create_groups(rnd, groups)
        rnd.figures = new_figures(
            (
                group_counts(
                    g.mode,
                    g.across_departments,
                    g.across_levels,
                    g.across_organisations,
                    g.moved,
                    g.size,
                    g.unreached,
                    g.score,
                )
                for g in groups
            ),
            (_reason_json(item.reason) for item in result.left_out),
        )
        Round.objects.filter(pk=rnd.pk).update(figures=rnd.figures)
        add_members(
            (ids[position], int(member))
            for position, found in enumerate(result.groups, start=1)
            for member in found.members
        )
        create_left_out(
            rnd, ((int(item.person), _reason_json(item.reason)) for item in result.left_out)
        )
        if storing is not None:
            storing.end(rnd)
    report("done", 1.0)
    return rnd


MOVED = {"code": "moved_by_organiser", "params": {}}


def _refresh_group(rnd: Round, group: Group, members: list[Participant]) -> None:
    """Score, mode, reasons and suggested time of a group after a change by hand."""
    check = check_group(rnd, members)
    group.score = check.score
    group.mode = check.mode
    group.reasons = [*check.reasons, MOVED]
    group.moved = True
    group.suggested_start = suggest_start([m.availability for m in members], rnd.meet_from)
    (
        group.across_departments,
        group.across_levels,
        group.across_organisations,
        group.size,
        group.unreached,
    ) = _mix(members)
    group.video_url = group.video_url or _video_url(group.mode)
    if group.mode == MeetingMode.IN_PERSON:
        group.video_url = ""
    group.save()


def _group_of(rnd: Round, participant_id: int) -> Group | None:
    return rnd.groups.filter(members__pk=participant_id).first()


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
    before = 0.0
    figures = figures_of(rnd)
    counted_before = [counts_of(source)] if source is not None else []
    left_out_change: Counter[str] = Counter()

    if target == "out":
        destination = None
    elif target == "new":
        last = rnd.groups.aggregate(n=Max("number"))["n"] or 0
        destination = Group.objects.create(
            round=rnd,
            number=last + 1,
            mode=source.mode if source else MeetingMode.EITHER,
            reasons=[MOVED],
            moved=True,
        )
        destination_members: list[Participant] = []
    else:
        try:
            destination = rnd.groups.get(pk=int(target))
        except (ValueError, Group.DoesNotExist) as exc:
            raise RoundError("no such group") from exc
        if destination == source:
            return
        destination_members = list(destination.members.all())
        check = check_group(rnd, [*destination_members, participant])
        if check.broken:
            raise RuleBroken(check.broken)
        before += destination.score or 0.0
        counted_before.append(counts_of(destination))

    after = 0.0
    counted_after = []
    if source is not None:
        before += source.score or 0.0
        source.members.remove(participant)
        remaining = list(source.members.all())
        if remaining:
            _refresh_group(rnd, source, remaining)
            after += source.score or 0.0
            counted_after.append(counts_of(source))
        else:
            source.delete()
    if left is not None:
        left_out_change[reason_key(left.reason)] -= 1
        left.delete()
    if destination is None:
        LeftOut.objects.create(round=rnd, participant=participant, reason={})
        left_out_change[reason_key({})] += 1
    else:
        destination.members.add(participant)
        _refresh_group(rnd, destination, [*destination_members, participant])
        after += destination.score or 0.0
        counted_after.append(counts_of(destination))
    rnd.edited = True
    rnd.exact = False
    rnd.score = round(max(rnd.score - before + after, 0.0), 6)
    rnd.figures = changed(figures, counted_before, counted_after, left_out_change)
    rnd.save(update_fields=["edited", "exact", "score", "figures"])


def _video_url(mode: str) -> str:
    """A new video room for a group that may meet online, if rooms are configured."""
    template = settings.VIDEO_URL_TEMPLATE
    if not template or mode == MeetingMode.IN_PERSON:
        return ""
    room = f"kaffeeklatsch-{secrets.token_urlsafe(9)}"
    return template.replace("{room}", room)


def publish_round(
    rnd: Round,
    notify: bool = True,
    progress: Report | None = None,
    storing: Storing | None = None,
) -> Round:
    """Publishes a preview: stores it as the programme's next round and writes the
    introductions and the later "Did you meet?" job, all in one transaction.

    ``progress`` and ``storing`` as for :func:`preview_round`; the stages are
    ``checking`` and ``writing``.
    """
    from kaffeeklatsch.jobs.queue import enqueue
    from kaffeeklatsch.notifications.emails import queue_introductions
    from kaffeeklatsch.reach.services import queue_round_messages

    report = progress or _quiet
    report("checking", 0.0)
    with transaction.atomic():
        if storing is not None:
            storing.begin()
        rnd = Round.objects.select_for_update().select_related("programme").get(pk=rnd.pk)
        if rnd.status != Round.Status.PREVIEW:
            raise RoundError("published")
        members = round_members(rnd)
        if any(len(m) < 2 for m in members.values()):
            raise RoundError("group too small")
        problems = round_problems(rnd, members)
        if problems:
            raise RuleBroken(problems)
        report("writing", 0.4)
        rnd.status = Round.Status.PUBLISHED
        rnd.number = next_number(rnd.programme)
        rnd.published_at = timezone.now()
        rnd.save()
        rnd.programme.participants.filter(skip_next_round=True).exclude(
            pk__in=Group.members.through.objects.filter(group__round=rnd).values("participant_id")
        ).exclude(pk__in=rnd.left_out.values("participant_id")).update(skip_next_round=False)
        if settings.VIDEO_URL_TEMPLATE:
            # Groups formed before the video rooms were configured get one now.
            missing = list(rnd.groups.filter(video_url="").exclude(mode=MeetingMode.IN_PERSON))
            for group in missing:
                group.video_url = _video_url(group.mode)
            Group.objects.bulk_update(missing, ["video_url"], batch_size=1000)
        if notify:
            queue_introductions(rnd)
            report("writing", 0.8)
            queue_round_messages(rnd)
            enqueue(
                "feedback_request",
                {"round": rnd.pk},
                run_at=timezone.now() + dt.timedelta(days=settings.FEEDBACK_DELAY_DAYS),
            )
        if storing is not None:
            storing.end(rnd)
    report("done", 1.0)
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
        if locked.round_tasks.filter(status__in=RoundTask.ACTIVE).exists():
            # An organiser's preview or publication runs: the next pass tries again.
            return None
        rnd = None
        if locked.participants.available_on(today).count() >= 2:
            rnd = publish_round(preview_round(locked, None, today))
        locked.next_round_on = locked.following_round_date(today)
        locked.save(update_fields=["next_round_on"])
    return rnd
