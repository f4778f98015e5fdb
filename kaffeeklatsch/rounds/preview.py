"""A preview of the programme's next round: the engine decides, this module stores it.

A preview is stored as a round in status ``preview`` that the organiser may edit
(:mod:`.moves`) and then publish (:mod:`.publish`). Working it out
(:func:`calculate_preview`: reading everyone available and running the engine) takes
long and writes nothing; storing it (:func:`store_preview`) replaces the programme's
earlier preview in one transaction, or in the caller's, which may commit rows of its
own together with the round.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.matching.engine import match_round, no_cycle_collection
from kaffeeklatsch.matching.model import RoundResult
from kaffeeklatsch.programmes.models import MeetingMode, Programme
from kaffeeklatsch.rounds.checks import reason_json
from kaffeeklatsch.rounds.figures import group_counts, new_figures
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.people import PersonRow, history, mix, next_number, person_rows, persons
from kaffeeklatsch.rounds.schedule import Planner, channel_of
from kaffeeklatsch.rounds.storing import (
    GroupRow,
    add_members,
    create_groups,
    create_left_out,
    delete_preview,
)
from kaffeeklatsch.rounds.vectors import DatabaseStore

Report = Callable[[str, float], None]


def quiet(stage: str, share: float) -> None:
    """Progress goes nowhere unless a caller listens."""


def video_url(mode: str, template: str | None = None) -> str:
    """A new video room for a group that may meet online, if rooms are configured
    (``template``: the setting ``VIDEO_URL_TEMPLATE``, read once by a caller that
    makes many)."""
    if template is None:
        template = settings.VIDEO_URL_TEMPLATE
    if not template or mode == MeetingMode.IN_PERSON:
        return ""
    room = f"kaffeeklatsch-{secrets.token_urlsafe(9)}"
    return template.replace("{room}", room)


def start_key(availabilities: Sequence[Sequence[Sequence[int]]]) -> tuple:
    """A cheap name for a combination of availabilities: equal availabilities are one
    object (see :func:`.people.person_rows`), so their identities name them; the rows
    keep them alive while the round is stored."""
    return tuple(sorted(map(id, availabilities)))


@dataclass
class Calculated:
    """A round the engine formed for a programme, not yet stored."""

    programme: Programme
    number: int
    day: dt.date
    rows: list[PersonRow]
    result: RoundResult


def calculate_preview(
    programme: Programme, on: dt.date | None = None, progress: Report | None = None
) -> Calculated:
    """Runs the engine on everyone available on the day ``on`` (today by default).

    ``progress(stage, share)`` hears of the stages (``reading``, ``matching``,
    ``storing``) with the share of the whole work done.
    """
    report = progress or quiet
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
        vectors=DatabaseStore(),
    )
    report("storing", 0.8)
    return Calculated(programme, number, day, rows, result)


def _group_rows(calculated: Calculated) -> list[GroupRow]:
    """The groups of a calculated round as they are stored, numbered from 1."""
    by_id = {str(p.pk): p for p in calculated.rows}
    planner = Planner(calculated.programme, calculated.day)
    template = settings.VIDEO_URL_TEMPLATE
    groups = []
    for position, found in enumerate(calculated.result.groups, start=1):
        members = [by_id[m] for m in found.members]
        mode = found.mode.value
        availabilities = [m.availability for m in members]
        planned = planner.plan(
            availabilities,
            [channel_of(m.email, m.reached_by) for m in members],
            start_key(availabilities),
        )
        groups.append(
            GroupRow(
                position,
                mode,
                found.score,
                [reason_json(r) for r in found.reasons],
                planned.start,
                video_url(mode, template),
                *mix(members),
                common_time=planned.common,
            )
        )
    return groups


def store_preview(calculated: Calculated, started_by: User | None = None) -> Round:
    """Stores a calculated round as the programme's preview, replacing its earlier one,
    in one transaction (part of the caller's, if one is open)."""
    programme, result = calculated.programme, calculated.result
    with transaction.atomic():
        for old in programme.rounds.filter(status=Round.Status.PREVIEW):
            delete_preview(old)
        rnd = Round.objects.create(
            programme=programme,
            number=calculated.number,
            meet_from=calculated.day,
            started_by=started_by if started_by and started_by.is_authenticated else None,
            score=result.score,
            bound=result.bound,
            exact=result.exact,
            seconds=result.seconds,
        )
        groups = _group_rows(calculated)
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
                    g.reasons,
                )
                for g in groups
            ),
            (reason_json(item.reason) for item in result.left_out),
        )
        Round.objects.filter(pk=rnd.pk).update(figures=rnd.figures)
        add_members(
            (ids[position], int(member))
            for position, found in enumerate(result.groups, start=1)
            for member in found.members
        )
        create_left_out(
            rnd, ((int(item.person), reason_json(item.reason)) for item in result.left_out)
        )
    return rnd


def preview_round(
    programme: Programme,
    started_by: User | None = None,
    on: dt.date | None = None,
    progress: Report | None = None,
) -> Round:
    """Runs the engine on everyone available and stores the result as a preview,
    replacing the programme's earlier preview, in one transaction (see
    :func:`calculate_preview` for ``progress``)."""
    with no_cycle_collection():
        rnd = store_preview(calculate_preview(programme, on, progress), started_by)
    (progress or quiet)("done", 1.0)
    return rnd
