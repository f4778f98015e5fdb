"""Background work of the reach app, run by the worker through the job queue.

A handler that raises is retried by the queue with back-off; a permanent failure
(wrong token, unknown room) is recorded on the channel instead, for the organiser.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaffeeklatsch.jobs.queue import handler
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.reach.channels import TransportError
from kaffeeklatsch.reach.models import ChatChannel, ChatHandle, ReminderSetting
from kaffeeklatsch.reach.reminders import queue_reminders
from kaffeeklatsch.reach.services import announcement_lines, direct_message_text
from kaffeeklatsch.rounds.models import Group, Round

log = logging.getLogger(__name__)


def _deliver(channel: ChatChannel, send: Any) -> None:
    try:
        send()
    except TransportError as exc:
        if not exc.permanent:
            raise
        # Retrying cannot help; the organiser sees why on the programme's reach page.
        log.warning("channel %s (%s): %s", channel.pk, channel.kind, exc.message)
        ChatChannel.objects.filter(pk=channel.pk).update(last_error=exc.message[:200])
        return
    ChatChannel.objects.filter(pk=channel.pk).update(last_sent_at=timezone.now(), last_error="")


@handler("reach_announce")
def announce(payload: dict[str, Any]) -> None:
    channel = ChatChannel.objects.filter(pk=payload["channel"]).first()
    rnd = (
        Round.objects.select_related("programme")
        .filter(pk=payload["round"], status=Round.Status.PUBLISHED)
        .first()
    )
    if channel is None or rnd is None:
        return
    lines = announcement_lines(rnd)
    _deliver(channel, lambda: channel.transport().announce(rnd, lines))


@handler("reach_direct")
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
    text = direct_message_text(group, handle.participant)
    _deliver(handle.channel, lambda: transport.direct_message(handle.handle, text))


@handler("reach_reminder")
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
    queue_reminders(group)


@handler("reach_test")
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
    _deliver(channel, lambda: channel.transport().test_message(lines, f"test-{payload['key']}"))
