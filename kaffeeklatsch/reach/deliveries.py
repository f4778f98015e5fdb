"""What the organiser sees of chat messages on their way: how many wait for another
try per channel, and the messages that finally failed, with a reason in their words
and a "send again" that starts the job afresh."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import retry_now
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.reach.jobs import CHAT_KINDS
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle
from kaffeeklatsch.rounds.models import Round

#: At most this many failed messages are listed; the count says how many there are.
FAILED_SHOWN = 50

_HTTP = re.compile(r"HTTP (\d{3})")


def chat_jobs(programme: Programme) -> QuerySet[Job]:
    """The chat jobs of the programme: every job names its channel in its payload."""
    channels = list(programme.channels.values_list("pk", flat=True))
    return Job.objects.filter(kind__in=CHAT_KINDS, payload__channel__in=channels)


def waiting_counts(programme: Programme) -> dict[int, int]:
    """Per channel, the messages (announcements, test and direct messages) that failed
    at least once and wait for another try."""
    rows = (
        chat_jobs(programme)
        .filter(status=Job.Status.PENDING, attempts__gt=0)
        .values("payload__channel")
        .annotate(n=Count("id"))
    )
    return {int(row["payload__channel"]): row["n"] for row in rows}


def explain(reason: str) -> str:
    """A failure as the organiser reads it; ``reason`` is what the transport recorded."""
    if "cannot be invited" in reason:
        return _("The Matrix ID was refused by its server.")
    if "server cannot be reached" in reason:
        return _("The Matrix ID cannot be reached on its server.")
    if "not in the room" in reason:
        return _("The bot is not in the room and was not invited to it.")
    if "connection failed" in reason:
        return _("The chat server could not be reached.")
    match = _HTTP.search(reason)
    if match:
        code = int(match.group(1))
        if code in (401, 403):
            return _("The chat server refused access (HTTP %(code)s).") % {"code": code}
        if code == 404:
            return _("The chat server does not know the room or person (HTTP 404).")
        if code == 429:
            return _("The chat server asked to wait, for too long (HTTP 429).")
        return _("The chat server answered with an error (HTTP %(code)s).") % {"code": code}
    return _("Sending failed.")


@dataclass
class Undelivered:
    job: Job
    what: str
    reason: str


def undelivered(programme: Programme, rnd: Round | None = None) -> tuple[list[Undelivered], int]:
    """The programme's (or one round's) chat messages that finally failed, newest first,
    and how many there are in all."""
    failed = chat_jobs(programme).filter(status=Job.Status.FAILED)
    if rnd is not None:
        failed = failed.filter(payload__round=rnd.pk)
    total = failed.count()
    jobs = list(failed.order_by("-finished_at", "-id")[:FAILED_SHOWN])
    channels = {c.pk: c for c in programme.channels.all()}
    handles = {
        h.pk: h
        for h in ChatHandle.objects.filter(
            pk__in=[j.payload.get("handle") for j in jobs if j.kind == "reach_direct"]
        ).select_related("participant")
    }
    numbers = dict(
        programme.rounds.filter(pk__in={j.payload.get("round") for j in jobs}).values_list(
            "pk", "number"
        )
    )
    return [_describe(job, channels, handles, numbers) for job in jobs], total


def _describe(
    job: Job, channels: dict[int, ChatChannel], handles: dict[int, ChatHandle], numbers: Any
) -> Undelivered:
    channel = str(channels.get(job.payload.get("channel"), ""))
    number = numbers.get(job.payload.get("round"), "")
    if job.kind == "reach_announce":
        what = _("Announcement of round %(number)s in %(channel)s") % {
            "number": number,
            "channel": channel,
        }
    elif job.kind == "reach_direct":
        handle = handles.get(job.payload.get("handle"))
        what = _("Direct message of round %(number)s to %(name)s on %(channel)s") % {
            "number": number,
            "name": handle.participant.name if handle else _("a former participant"),
            "channel": channel,
        }
    else:
        what = _("Test message in %(channel)s") % {"channel": channel}
    return Undelivered(job, what, explain(job.last_error))


def send_again(programme: Programme, job_id: int) -> Job | None:
    """Starts a failed chat job of the programme afresh; None if there is no such job."""
    job = chat_jobs(programme).filter(pk=job_id, status=Job.Status.FAILED).first()
    if job is None:
        return None
    if job.kind == "reach_direct":
        # The organiser asks to try the handle again, refused or not.
        ChatHandle.objects.filter(pk=job.payload.get("handle")).update(refused=False)
    retry_now(job)
    return job


def refused_handles(programme: Programme) -> list[tuple[ChatHandle, str]]:
    """The handles of the programme that later rounds skip because the platform refused
    them, with the reason in the organiser's words."""
    handles = ChatHandle.objects.filter(channel__programme=programme, refused=True)
    return [
        (handle, explain(handle.last_error))
        for handle in handles.select_related("participant", "channel").order_by(
            "participant__name", "pk"
        )
    ]


def try_handle_again(programme: Programme, handle_id: int) -> ChatHandle | None:
    """Makes a refused handle of the programme count again: later rounds send to it, and
    its direct messages that finally failed start afresh. None if there is no such handle."""
    handle = ChatHandle.objects.filter(
        pk=handle_id, channel__programme=programme, refused=True
    ).first()
    if handle is None:
        return None
    ChatHandle.objects.filter(pk=handle.pk).update(refused=False)
    for job in chat_jobs(programme).filter(
        kind="reach_direct", payload__handle=handle.pk, status=Job.Status.FAILED
    ):
        retry_now(job)
    return handle
