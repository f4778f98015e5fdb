"""The outbox: every e-mail is written here first, in the same transaction as the
change that causes it, and sent later by the worker.

The e-mails of a round (introductions, "Did you meet?") are written as light rows
that name the group and the recipient; the worker renders them when it sends them
and keeps the rendered text on the row (see :func:`.emails.render_messages`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib.leases import Leased
from kaffeeklatsch.participants.models import Participant


class OutboxMessage(Leased):
    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirm sign-up")
        WELCOME = "welcome", _("Welcome")
        LINK = "link", _("Sign-in link")
        INTRODUCTION = "introduction", _("Introduction")
        FEEDBACK = "feedback", _("Did you meet?")
        ORGANISER = "organiser", _("Organiser invitation")
        REMINDER = "reminder", _("Reminder")
        CALENDAR = "calendar", _("Calendar change")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # The group an e-mail of a round is about; rendered from it when sent.
    group = models.ForeignKey(
        "rounds.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    to = models.EmailField()
    reply_to = models.JSONField(default=list, blank=True)
    # Empty in a row of a round until the worker renders it.
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    ics = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # attempts, claimed_until, claimed_by (Leased): while ``sending``, the worker that
    # took the message owns it until then.
    next_attempt_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "participant"],
                condition=models.Q(kind="introduction"),
                name="one_introduction_per_person_and_group",
            )
        ]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}"

    @property
    def rendered(self) -> bool:
        """False for a row of a round the worker has not rendered yet."""
        return self.group_id is None or bool(self.body_text)

    @staticmethod
    def not_rendered() -> models.Q:
        """The rows :attr:`rendered` is false for, as a filter."""
        return models.Q(group__isnull=False, body_text="")


class CalendarEvent(models.Model):
    """The state of a group's calendar entry once it changed after it was sent: the
    SEQUENCE and DTSTAMP every member's copy carries (see :mod:`.ics`). A group
    without a row has sequence 0, stamped when its round was published."""

    group = models.OneToOneField(
        "rounds.Group", primary_key=True, on_delete=models.CASCADE, related_name="calendar_event"
    )
    sequence = models.PositiveIntegerField(default=0)
    stamp = models.DateTimeField()

    class Meta:
        verbose_name = _("calendar entry")
        verbose_name_plural = _("calendar entries")

    def __str__(self) -> str:
        return f"group {self.group_id}, sequence {self.sequence}"
