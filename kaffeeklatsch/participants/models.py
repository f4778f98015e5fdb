"""A participant of a programme, with the short profile the matching uses."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib.names import NameOrder
from kaffeeklatsch.lib.validators import validate_one_line
from kaffeeklatsch.participants import signals
from kaffeeklatsch.programmes.models import MeetingMode, Programme


class Named(NamedTuple):
    pk: int
    name: str


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def active(self) -> ParticipantQuerySet:
        return self.filter(status=Participant.Status.ACTIVE)

    def available_on(self, day: dt.date) -> ParticipantQuerySet:
        """Active people who are neither paused on ``day`` nor skipping the round."""
        return (
            self.active()
            .filter(skip_next_round=False)
            .filter(models.Q(paused_until__isnull=True) | models.Q(paused_until__lt=day))
        )


class Participant(models.Model):
    class ReachedBy(models.TextChoices):
        EMAIL = "email", _("by e-mail")
        POST = "post", _("by post")
        PHONE = "phone", _("by phone")

    class Shares(models.TextChoices):
        """What a person's partners may see of them besides their name."""

        EMAIL = "email", _("my e-mail address")
        PHONE = "phone", _("my phone number")
        BOTH = "both", _("my e-mail address and my phone number")
        NAME = "name", _("nothing but my name")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Taking part")
        LEFT = "left", _("Left the programme")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(_("name"), max_length=120, validators=[validate_one_line])
    email = models.EmailField(_("e-mail address"), blank=True, validators=[validate_one_line])
    department = models.CharField(
        _("department"), max_length=120, blank=True, validators=[validate_one_line]
    )
    organisation = models.CharField(
        _("organisation"), max_length=120, blank=True, validators=[validate_one_line]
    )
    level = models.CharField(_("level"), max_length=80, blank=True, validators=[validate_one_line])
    languages = models.JSONField(_("languages"), default=list, blank=True)
    place = models.CharField(_("place"), max_length=120, blank=True, validators=[validate_one_line])
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    mode = models.CharField(
        _("how I like to meet"),
        max_length=10,
        choices=MeetingMode.choices,
        default=MeetingMode.EITHER,
    )
    interests = models.JSONField(_("interests"), default=list, blank=True)
    travel_km = models.PositiveSmallIntegerField(
        _("how far I can go to meet (km)"), null=True, blank=True
    )
    # The questions of the steps after joining that this person answered or skipped
    # for good: they are not asked again.
    finished_steps = models.JSONField(default=list, blank=True)
    # Weekly windows as [weekday, start, end]: weekday 0 = Monday, minutes from midnight UTC.
    availability = models.JSONField(_("availability"), default=list, blank=True)
    language = models.CharField(
        _("language for e-mails"), max_length=5, choices=settings.LANGUAGES, default="de"
    )
    phone_note = models.CharField(
        _("how to reach (without e-mail)"),
        max_length=200,
        blank=True,
        validators=[validate_one_line],
        help_text=_("Only for people without e-mail: how the organiser tells them."),
    )
    reached_by = models.CharField(
        _("how this person is reached"),
        max_length=5,
        choices=ReachedBy.choices,
        default=ReachedBy.EMAIL,
        help_text=_("People reached by post or by phone get a letter the organiser prints."),
    )
    phone = models.CharField(
        _("phone number"), max_length=40, blank=True, validators=[validate_one_line]
    )
    postal_address = models.TextField(_("postal address"), max_length=400, blank=True)
    shares = models.CharField(
        _("what the people I meet may see besides my name"),
        max_length=5,
        choices=Shares.choices,
        default=Shares.EMAIL,
    )
    named_in_channels = models.BooleanField(
        _("my name may appear in the programme's chat announcements"),
        default=False,
        help_text=_("Otherwise the announcement says “a participant”."),
    )
    reminders = models.BooleanField(
        _("remind me before a suggested meeting"),
        default=True,
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    skip_next_round = models.BooleanField(_("skip the next round"), default=False)
    blocked = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="blocked_by",
        verbose_name=_("never match me with"),
    )
    # Raised every time a sign-in link is used, so each link works only once.
    link_generation = models.PositiveIntegerField(default=0)
    external_id = models.CharField(max_length=120, blank=True)
    added_by_organiser = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = [NameOrder("name").asc(), "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "email"],
                condition=~models.Q(email=""),
                name="one_participant_per_email",
            )
        ]
        indexes = [
            # The organiser's list of people, a page of a programme in name order:
            # read from the index instead of sorting the whole programme.
            models.Index(fields=["programme", "name", "id"], name="participant_list_order"),
            # The few people reached by post or phone: a round's page counts them and
            # finds the first letter's day from them instead of joining every member.
            models.Index(
                fields=["programme", "reached_by"],
                condition=~models.Q(reached_by="email"),
                name="participant_offline",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def activate(self) -> None:
        self.status = self.Status.ACTIVE
        self.confirmed_at = self.confirmed_at or timezone.now()

    def leave(self) -> bool:
        """The person leaves the programme: no more rounds and no more e-mails, and
        their meetings still ahead are cancelled (by the notifications app, on
        :data:`kaffeeklatsch.participants.signals.leaving`); what is stored about them is
        erased after ``RETENTION_LEFT_DAYS``
        (:func:`kaffeeklatsch.participants.erasure.erase_expired`) unless they come back.
        False if they had left already: nothing changes then. From their own page, the
        e-mails' unsubscribe link, the REST API and SCIM."""
        with transaction.atomic():
            locked = Participant.objects.select_for_update().get(pk=self.pk)
            if locked.status == self.Status.LEFT:
                return False
            signals.leaving.send(sender=Participant, participant=self)
            self.status = self.Status.LEFT
            self.left_at = timezone.now()
            self.save(update_fields=["status", "left_at"])
        return True

    def rejoin(self) -> None:
        """Back after :meth:`leave`."""
        self.status = self.Status.ACTIVE
        self.left_at = None
        self.save(update_fields=["status", "left_at"])

    @property
    def reached_by_email(self) -> bool:
        """True when Kaffeeklatsch writes to this person itself (and not the organiser)."""
        return self.by_email(self.email, self.reached_by)

    @classmethod
    def by_email(cls, email: str, reached_by: str) -> bool:
        """The rule of :attr:`reached_by_email`, for a person read as plain values."""
        return bool(email) and reached_by == cls.ReachedBy.EMAIL

    @classmethod
    def reached_by_email_filter(cls, prefix: str = "") -> models.Q:
        """The people :attr:`reached_by_email` holds for, as a filter; ``prefix`` is
        the path to them from another model (``"participant__"``)."""
        return models.Q(**{f"{prefix}reached_by": cls.ReachedBy.EMAIL}) & ~models.Q(
            **{f"{prefix}email": ""}
        )

    @property
    def shared_email(self) -> str:
        """The e-mail address partners may see, or "" if this person keeps it private."""
        if self.shares in (self.Shares.EMAIL, self.Shares.BOTH):
            return self.email
        return ""

    @property
    def shared_phone(self) -> str:
        """The phone number partners may see, or "" if this person keeps it private."""
        if self.shares in (self.Shares.PHONE, self.Shares.BOTH):
            return self.phone
        return ""

    def answers(self, programme: Programme, *, place: bool = False) -> list[str]:
        """What others may read about this person besides the name: only the answers to
        questions ``programme`` asks (department, organisation, level, and the place
        when ``place`` is given), so a neighbour never reads a workplace's department."""
        fields = ["department", "organisation", "level"] + (["place"] if place else [])
        return [
            value for field in fields if programme.asks(field) and (value := getattr(self, field))
        ]

    @property
    def is_paused(self) -> bool:
        return self.paused_on(self.paused_until, timezone.localdate())

    @staticmethod
    def paused_on(paused_until: dt.date | None, day: dt.date) -> bool:
        """Whether someone paused until ``paused_until`` is paused on ``day``."""
        return paused_until is not None and paused_until >= day


def blocked_names(participant_id: int) -> list[tuple[int, str]]:
    """(id, name) of the people a participant blocked, ordered as participants are
    (by name)."""
    return list(Participant.objects.filter(blocked_by=participant_id).values_list("pk", "name"))
