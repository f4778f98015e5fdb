"""A programme: the people an organiser brings together, and the rules of its rounds."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import replace

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AbstractUser, AnonymousUser, User
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib.names import NameOrder
from kaffeeklatsch.lib.validators import validate_one_line
from kaffeeklatsch.matching.model import Rules
from kaffeeklatsch.programmes.kinds import Kind, default_questions


def new_invite_token() -> str:
    return secrets.token_urlsafe(18)


class MeetingMode(models.TextChoices):
    """Values are those of :class:`kaffeeklatsch.matching.model.Mode`."""

    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    EITHER = "either", _("In person or online")


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Every four weeks")


CADENCE_DAYS = {Cadence.WEEKLY: 7, Cadence.FORTNIGHTLY: 14, Cadence.MONTHLY: 28}

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ProgrammeQuerySet(models.QuerySet["Programme"]):
    def for_organiser(self, user: AbstractBaseUser | AnonymousUser) -> ProgrammeQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisers=user.pk)


weight_validators = [MinValueValidator(0), MaxValueValidator(10)]


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=120, validators=[validate_one_line])
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind of programme"),
        max_length=16,
        choices=Kind.choices,
        default=Kind.WORKPLACE,
        help_text=_(
            "Sets the words every page and message uses for the people, the questions, "
            "the times offered, the way to meet and the lead time. Each can be changed after."
        ),
    )
    questions = models.JSONField(
        _("questions asked after joining"),
        default=default_questions,
        blank=True,
        help_text=_("Each is one short, skippable step on the person's own page."),
    )
    lead_days = models.PositiveSmallIntegerField(
        _("lead time of a round (days)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Days from publishing a round to the earliest suggested meeting."),
    )
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=settings.LANGUAGES,
        default="de",
        help_text=_("Language of the invitation page and of e-mails to people who chose none."),
    )
    cadence = models.CharField(
        _("rounds"), max_length=12, choices=Cadence.choices, default=Cadence.FORTNIGHTLY
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday of the round"), choices=WEEKDAYS, default=0
    )
    automatic = models.BooleanField(
        _("start rounds automatically"),
        default=False,
        help_text=_("The server starts and publishes each round on its weekday."),
    )
    next_round_on = models.DateField(_("next automatic round"), null=True, blank=True)
    group_size = models.PositiveSmallIntegerField(
        _("group size"),
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(4)],
        help_text=_("2 for pairs, 3 or 4 for small groups."),
    )
    repeat_window = models.PositiveSmallIntegerField(
        _("rounds before people may meet again"),
        default=6,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    mode = models.CharField(
        _("how people meet"),
        max_length=10,
        choices=MeetingMode.choices,
        default=MeetingMode.EITHER,
    )
    max_distance_km = models.FloatField(
        _("maximum distance for meeting in person (km)"),
        default=30.0,
        validators=[MinValueValidator(0.1), MaxValueValidator(20000)],
    )
    weight_interests = models.FloatField(
        _("weight: shared interests"), default=3.0, validators=weight_validators
    )
    match_by_meaning = models.BooleanField(
        _("match interests by meaning"),
        default=True,
        help_text=_(
            "Interests that mean much the same count as shared, even when people wrote "
            "them in other words or another language: “Wandern” and “Bergsteigen”, "
            "“Kochen” and “cooking”. This is worked out on this server; nothing is sent "
            "anywhere. Turned off, only interests written the same way count."
        ),
    )
    weight_department = models.FloatField(
        _("weight: different departments"), default=2.0, validators=weight_validators
    )
    weight_level = models.FloatField(
        _("weight: different levels"), default=1.0, validators=weight_validators
    )
    weight_organisation = models.FloatField(
        _("weight: different organisations"), default=1.0, validators=weight_validators
    )
    registration_open = models.BooleanField(
        _("open registration"),
        default=True,
        help_text=_("Anyone with the invitation link may join."),
    )
    allowed_domains = models.CharField(
        _("allowed e-mail domains"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated, e.g. example.org. Empty: any address."),
    )
    phone_sign_up = models.BooleanField(
        _("people may join with a phone number instead of an e-mail address"),
        default=False,
        help_text=_(
            "They wait on the list of people until the organisers have called them, and "
            "then get their introductions by phone or letter."
        ),
    )
    sso_sign_in = models.BooleanField(
        _("participants sign in with the organisation's account"),
        default=False,
        help_text=_(
            "Instead of a link by e-mail, participants sign in through the organisation's "
            "identity provider (single sign-on), found by their e-mail address."
        ),
    )
    postal_days = models.PositiveSmallIntegerField(
        _("working days a letter needs"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "Groups with someone reached by post meet no sooner than this many working "
            "days after the round is published."
        ),
    )
    contact_name = models.CharField(
        _("contact person for people without e-mail"),
        max_length=120,
        blank=True,
        validators=[validate_one_line],
        help_text=_(
            "Named in letters: they connect people who did not share a phone number and "
            "take the answer to “Did you meet?” by phone."
        ),
    )
    contact_phone = models.CharField(
        _("phone number of the contact person"),
        max_length=40,
        blank=True,
        validators=[validate_one_line],
    )
    meeting_places = models.TextField(
        _("places to meet"),
        blank=True,
        max_length=2000,
        help_text=_(
            "One per line, e.g. “Café am Markt, Marktplatz 3”. Groups who meet in person "
            "get one of them as a suggestion."
        ),
    )
    invite_token = models.CharField(max_length=40, unique=True, default=new_invite_token)
    created_at = models.DateTimeField(auto_now_add=True)
    organisers: models.ManyToManyField[User, Organiser] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Organiser", related_name="programmes"
    )

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = [NameOrder("name").asc(), "id"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name

    def rules(self, seed: int = 0) -> Rules:
        """The engine's rules of this programme; without meaning, interests are shared
        only when their keys meet (the same words, lightly stemmed, or synonyms)."""
        rules = Rules(
            group_size=self.group_size,
            repeat_window=self.repeat_window,
            max_distance_km=self.max_distance_km,
            weight_interests=self.weight_interests,
            weight_department=self.weight_department,
            weight_level=self.weight_level,
            weight_organisation=self.weight_organisation,
            seed=seed,
        )
        return rules if self.match_by_meaning else replace(rules, weight_meaning=0.0)

    def place_list(self) -> list[str]:
        return [line.strip() for line in self.meeting_places.splitlines() if line.strip()]

    def asks(self, question: str) -> bool:
        """Whether people of this programme are asked ``question`` (a :class:`Question`)."""
        return question in self.questions

    def domain_list(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.allowed_domains.split(",") if d.strip()]

    def email_allowed(self, email: str) -> bool:
        domains = self.domain_list()
        if not domains:
            return True
        domain = email.rsplit("@", 1)[-1].lower()
        return domain in domains

    def replace_invite_link(self) -> None:
        """A new invitation link; the old one stops working at once, and is kept (as
        a digest) so that people who open it learn whom to ask for the current one."""
        with transaction.atomic():
            RetiredInviteLink.objects.create(
                programme=self,
                digest=invite_digest(self.invite_token),
                prefix=self.invite_token[:INVITE_PREFIX],
                retired_at=timezone.now(),
            )
            self.invite_token = new_invite_token()
            self.save(update_fields=["invite_token"])

    def owner(self) -> AbstractUser | None:
        """The account that owns the programme (None if it was deleted)."""
        first = self.organiser_set.filter(role=Organiser.Role.OWNER).select_related("user").first()
        return first.user if first is not None else None

    def is_owner(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        return self.organiser_set.filter(user=user.pk, role=Organiser.Role.OWNER).exists()

    def following_round_date(self, after: dt.date) -> dt.date:
        """The date of the automatic round after one held on ``after``: the next
        weekday of the programme, one cadence later."""
        candidate = after + dt.timedelta(days=1)
        while candidate.weekday() != self.weekday:
            candidate += dt.timedelta(days=1)
        return candidate + dt.timedelta(days=CADENCE_DAYS[Cadence(self.cadence)] - 7)


def invite_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Characters at the start of an invitation link's token that still name its programme
# when the rest was cut off or mistyped: 72 random bits, which only someone who had
# the link knows. They show whom to ask for the link, never let anyone join.
INVITE_PREFIX = 12


def programme_of_broken_invitation(token: str) -> tuple[Programme, bool] | None:
    """The programme an invitation link that does not work belongs to, and whether
    the link was replaced (else it is cut off or mistyped); None if unknown."""
    retired = RetiredInviteLink.objects.select_related("programme")
    found = retired.filter(digest=invite_digest(token)).first()
    if found is not None:
        return found.programme, True
    if len(token) < INVITE_PREFIX:
        return None
    prefix = token[:INVITE_PREFIX]
    current = Programme.objects.filter(invite_token__startswith=prefix).first()
    if current is not None:
        return current, False
    found = retired.filter(prefix=prefix).first()
    return (found.programme, False) if found is not None else None


class RetiredInviteLink(models.Model):
    """An invitation link an organiser replaced. Only its digest is kept: enough to
    recognise the old link when someone opens it, not to use it."""

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="retired_invite_links"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=INVITE_PREFIX, db_index=True)
    retired_at = models.DateTimeField()

    class Meta:
        verbose_name = _("replaced invitation link")
        verbose_name_plural = _("replaced invitation links")

    def __str__(self) -> str:
        return f"{self.programme} ({self.retired_at:%Y-%m-%d})"


class Organiser(models.Model):
    """A person who runs a programme: its owner or a co-organiser."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        CO = "co", _("Co-organiser")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.CO)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "user"], name="one_role_per_programme")
        ]
        verbose_name = _("organiser")
        verbose_name_plural = _("organisers")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class OrganiserInvitation(models.Model):
    """An account asked to co-organise a programme. It becomes a co-organiser only
    when it accepts, signed in as itself, before the invitation expires; until then
    the owner sees it as invited and may withdraw it."""

    VALID_FOR = dt.timedelta(days=14)

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="organiser_invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organiser_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "user"], name="one_invitation_per_programme"
            )
        ]
        verbose_name = _("co-organiser invitation")
        verbose_name_plural = _("co-organiser invitations")

    def __str__(self) -> str:
        return f"{self.user} → {self.programme}"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


def earliest_meeting_after(programme: Programme, day: dt.date) -> dt.date:
    """The day after which a round held on ``day`` suggests meetings: its lead time
    counts from the round's day (a lead time of one day: from the next day on)."""
    return day + dt.timedelta(days=programme.lead_days - 1)
