"""What the reach app stores: a programme's chat channels, people's handles there,
the reminder setting, and people's "we rescheduled" / "we cannot meet" answers."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.reach.channels import TRANSPORTS
from kaffeeklatsch.rounds.models import Group


class ChatChannel(models.Model):
    """A chat platform an organiser connected to a programme. ``config`` holds the
    platform's settings, secrets included; they are never shown back in full."""

    class Kind(models.TextChoices):
        MATRIX = "matrix", "Matrix"
        MATTERMOST = "mattermost", "Mattermost"
        TEAMS = "teams", "Microsoft Teams"
        SLACK = "slack", "Slack"
        ROCKETCHAT = "rocketchat", "Rocket.Chat"
        ZULIP = "zulip", "Zulip"
        WEBHOOK = "webhook", _("Webhook (signed JSON)")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("platform"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=80, blank=True)
    config = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")

    def __str__(self) -> str:
        return self.name or self.get_kind_display()

    def transport(self) -> Any:
        return TRANSPORTS[self.kind](self.config)

    @property
    def sends_direct_messages(self) -> bool:
        return bool(self.transport().can_send_direct())


class ChatHandle(models.Model):
    """A person's name on a channel's platform: they get their match there directly."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="chat_handles"
    )
    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="handles")
    handle = models.CharField(_("handle"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # The last direct message's failure, cleared only by a direct message that arrives.
    last_error = models.CharField(max_length=200, blank=True)
    # The platform refused the handle for good (e.g. a Matrix ID on a server that cannot
    # be reached): later rounds do not try again until the person enters a new handle.
    refused = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "channel"], name="one_handle_per_channel"
            )
        ]


class ReminderSetting(models.Model):
    """Whether, and how long before a suggested time, people are reminded."""

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="reminder_setting"
    )
    enabled = models.BooleanField(_("send a reminder before the suggested time"), default=False)
    hours_before = models.PositiveSmallIntegerField(
        _("hours before the suggested time"), default=24
    )

    class Meta:
        verbose_name = _("reminder setting")


class MeetingUpdate(models.Model):
    """A person's news about their meeting, before it happens."""

    class Status(models.TextChoices):
        RESCHEDULED = "rescheduled", _("we rescheduled")
        CANNOT_MEET = "cannot_meet", _("we cannot meet")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="updates")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="meeting_updates"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "participant"], name="one_update_per_person")
        ]
        verbose_name = _("meeting update")
        verbose_name_plural = _("meeting updates")
