"""Publishing a preview, and the rounds that start on their own.

Publishing turns a preview into the programme's next round and writes every e-mail
into the outbox in the same transaction, so a round is either fully there (with all
its messages) or not at all.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kaffeeklatsch.jobs.queue import enqueue
from kaffeeklatsch.notifications.emails import queue_introductions
from kaffeeklatsch.programmes.models import MeetingMode, Programme
from kaffeeklatsch.reach.services import queue_round_messages
from kaffeeklatsch.rounds.checks import RoundError, RuleBroken, round_problems
from kaffeeklatsch.rounds.models import Group, Round, RoundTask
from kaffeeklatsch.rounds.people import next_number, round_members
from kaffeeklatsch.rounds.preview import Report, preview_round, quiet, video_url


def publish_round(rnd: Round, notify: bool = True, progress: Report | None = None) -> Round:
    """Publishes a preview: stores it as the programme's next round and writes the
    introductions and the later "Did you meet?" job, all in one transaction (part of
    the caller's, if one is open).

    ``progress(stage, share)`` hears of the stage ``writing``; the stages before
    (``checking``) and after (``done``, once the caller's transaction is committed) are
    the caller's to report.
    """
    report = progress or quiet
    with transaction.atomic():
        rnd = Round.objects.select_for_update().select_related("programme").get(pk=rnd.pk)
        if rnd.status != Round.Status.PREVIEW:
            raise RoundError("published")
        members = round_members(rnd)
        problems = round_problems(rnd, members)
        if problems:
            raise RuleBroken(problems)
        report("writing", 0.4)
        _mark_published(rnd)
        if notify:
            queue_introductions(rnd)
            report("writing", 0.8)
            queue_round_messages(rnd)
            enqueue(
                "feedback_request",
                {"round": rnd.pk},
                run_at=timezone.now() + dt.timedelta(days=settings.FEEDBACK_DELAY_DAYS),
            )
    return rnd


def _mark_published(rnd: Round) -> None:
    """The round becomes the programme's next, its people's wish to skip a round is
    used up, and groups formed before video rooms were configured get one."""
    rnd.status = Round.Status.PUBLISHED
    rnd.number = next_number(rnd.programme)
    rnd.published_at = timezone.now()
    rnd.save()
    rnd.programme.participants.filter(skip_next_round=True).exclude(
        pk__in=Group.members.through.objects.filter(group__round=rnd).values("participant_id")
    ).exclude(pk__in=rnd.left_out.values("participant_id")).update(skip_next_round=False)
    if settings.VIDEO_URL_TEMPLATE:
        missing = list(rnd.groups.filter(video_url="").exclude(mode=MeetingMode.IN_PERSON))
        for group in missing:
            group.video_url = video_url(group.mode)
        Group.objects.bulk_update(missing, ["video_url"], batch_size=1000)


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
