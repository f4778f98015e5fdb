"""Background work of the reach app, run by the worker through the job queue.

Chat messages are retried until a day after they were queued (the job queue's window),
with the e-mails' back-off (doubled each time, with jitter, at most six hours); a wait
a rate-limited server asked for uses up no attempt and is waited with jitter. Each
failure is recorded on its target: the channel for announcements and test messages,
the person's handle for direct messages; only a success of the same target clears it.
A permanent failure (wrong token, bot removed from the room) ends the job at once as
failed, shown with its reason and a "send again" button on the reach page and the
round's page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaffeeklatsch.jobs.queue import WINDOW, Policy
from kaffeeklatsch.jobs.registry import job
from kaffeeklatsch.notifications.transport import backoff as email_backoff
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.reach.channels import HandleRefused, HandleUnreachable, TransportError
from kaffeeklatsch.reach.locks import account_lock
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle, ReminderSetting
from kaffeeklatsch.reach.reminders import queue_reminders
from kaffeeklatsch.reach.services import announcement_lines, direct_message_lines
from kaffeeklatsch.rounds.models import Group, Round

log = logging.getLogger(__name__)

#: The job kinds that send a chat message.
CHAT_KINDS = ("reach_announce", "reach_direct", "reach_test")


def _reason(exc: Exception) -> str:
    message = exc.message if isinstance(exc, TransportError) else type(exc).__name__
    return message[:200]


def _channel_failed(payload: dict[str, Any], exc: Exception) -> None:
    log.warning("channel %s: %s", payload.get("channel"), _reason(exc))
    # A reminder's payload names no channel: nothing to mark.
    if (channel := payload.get("channel")) is not None:
        ChatChannel.objects.filter(pk=channel).update(last_error=_reason(exc))


def _handle_failed(payload: dict[str, Any], exc: Exception) -> None:
    log.warning("handle %s: %s", payload.get("handle"), _reason(exc))
    refused = isinstance(exc, HandleRefused)
    if (handle := payload.get("handle")) is not None:
        ChatHandle.objects.filter(pk=handle).update(
            last_error=_reason(exc), **({"refused": True} if refused else {})
        )


def _handle_given_up(payload: dict[str, Any], exc: Exception) -> None:
    # A server unreachable for the whole window is no passing problem: later rounds skip
    # the handle until the organiser or the person tries it again.
    handle = payload.get("handle")
    if isinstance(exc, HandleUnreachable) and handle is not None:
        ChatHandle.objects.filter(pk=handle).update(refused=True)


CHANNEL_POLICY = Policy(None, email_backoff, _channel_failed, WINDOW)
HANDLE_POLICY = Policy(None, email_backoff, _handle_failed, WINDOW, _handle_given_up)


@job("reach_announce", CHANNEL_POLICY)
def announce(payload: dict[str, Any]) -> None:
    channel = ChatChannel.objects.filter(pk=payload["channel"]).first()
    rnd = (
        Round.objects.select_related("programme")
        .filter(pk=payload["round"], status=Round.Status.PUBLISHED)
        .first()
    )
    if channel is None or rnd is None:
        return
    channel.transport().announce(rnd, announcement_lines(rnd))
    ChatChannel.objects.filter(pk=channel.pk).update(last_sent_at=timezone.now(), last_error="")


@job("reach_direct", HANDLE_POLICY)
def direct(payload: dict[str, Any]) -> None:
    handle = (
        ChatHandle.objects.select_related("channel", "participant")
        .filter(pk=payload["handle"], participant__status=Participant.Status.ACTIVE)
        .first()
    )
    if handle is None:
        return
    group = (
        Group.objects.filter(
            round_id=payload["round"],
            round__status=Round.Status.PUBLISHED,
            members=handle.participant,
        )
        .select_related("round__programme")
        .first()
    )
    transport = handle.channel.transport()
    if group is None or not transport.can_send_direct():
        return
    lines = direct_message_lines(group, handle.participant)
    # The transport finds or opens the person's room under a lock of the bot's account
    # (shared by every channel of that bot), so two workers never open two rooms.
    transport.exclusive = account_lock
    transport.direct_message(handle.handle, lines)
    ChatHandle.objects.filter(pk=handle.pk).update(
        last_sent_at=timezone.now(), last_error="", refused=False
    )


@job("reach_reminder")
def reminder(payload: dict[str, Any]) -> None:
    group = (
        Group.objects.select_related("round__programme")
        .filter(pk=payload["group"], round__status=Round.Status.PUBLISHED)
        .first()
    )
    if group is None:
        return
    setting = ReminderSetting.objects.filter(programme=group.round.programme, enabled=True).first()
    if setting is None or group.suggested_start is None or group.suggested_start < timezone.now():
        return
    with transaction.atomic():
        queue_reminders(group)


@job("reach_test", CHANNEL_POLICY)
def test_message(payload: dict[str, Any]) -> None:
    channel = ChatChannel.objects.select_related("programme").filter(pk=payload["channel"]).first()
    if channel is None:
        return
    with translation.override(channel.programme.language):
        lines = [
            _("Kaffeeklatsch: a test message for “%(programme)s”.")
            % {"programme": channel.programme.name},
            _("If you can read this, the rounds will be announced here."),
        ]
    channel.transport().test_message(lines, f"test-{payload['key']}")
    ChatChannel.objects.filter(pk=channel.pk).update(last_sent_at=timezone.now(), last_error="")
