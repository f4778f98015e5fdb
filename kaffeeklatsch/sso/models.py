"""What single sign-on keeps: which account at the identity provider an organiser
account or a participant belongs to, and when people last signed in this way.

An account at the provider is named by the issuer and its subject identifier (the
``sub`` claim, or the claim of KAFFEEKLATSCH_OIDC_SUBJECT_CLAIM such as Entra ID's
``oid``), which unlike an e-mail address never passes to another person. It is bound
at the first sign-in and from then on finds the account; an e-mail address alone no
longer does."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme


class OrganiserIdentity(models.Model):
    """The organiser account of an account at the identity provider (one each)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_organiser_subject"),
            models.UniqueConstraint(fields=["issuer", "user"], name="sso_organiser_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} = {self.subject} @ {self.issuer}"


class ParticipantIdentity(models.Model):
    """The account at the identity provider a participant signs in with; deleted with
    the participant (erasure, kaffeeklatsch/participants/erasure.py)."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["issuer", "subject"], name="sso_participant_subject")]


class SignInRecord(models.Model):
    """The last sign-in through the identity provider: of an organiser account
    (``user``), or of any participant of a programme (``programme``)."""

    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    last_at = models.DateTimeField()

    @classmethod
    def note(cls, programme: Programme | None = None, user: object | None = None) -> None:
        now = timezone.now()
        rows = cls.objects.filter(programme=programme, user=user)
        if not rows.update(last_at=now):
            cls.objects.get_or_create(programme=programme, user=user, defaults={"last_at": now})
