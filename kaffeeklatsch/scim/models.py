"""A programme's SCIM endpoint, and what the identity system provisioned through it.

The people themselves are :class:`~kaffeeklatsch.participants.models.Participant`
rows; a :class:`ProvisionedUser` links one to the SCIM resource the identity system
keeps for them, and goes with the participant when their data is erased.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.front import bearer
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme

# The token starts with a fixed prefix, so secret scanners recognise one pasted where
# it should not be.
TOKEN_PREFIX = "kk_scim_"


class ScimConnection(models.Model):
    """The SCIM endpoint of one programme and the hash of its bearer token."""

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="scim_connection"
    )
    token_hash = models.CharField(max_length=64, blank=True)
    token_created_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    confirm_new_people = models.BooleanField(
        _("new people confirm by e-mail before they take part"),
        default=True,
        help_text=_("Otherwise they take part at once and get a welcome e-mail."),
    )

    class Meta:
        verbose_name = _("SCIM connection")
        verbose_name_plural = _("SCIM connections")

    def __str__(self) -> str:
        return str(self.programme)

    @property
    def has_token(self) -> bool:
        return bool(self.token_hash)

    def new_token(self) -> str:
        """Makes a new token, replacing any earlier one; returns it (it is not kept)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.token_hash = bearer.digest(token)
        self.token_created_at = timezone.now()
        self.save(update_fields=["token_hash", "token_created_at"])
        return token

    def revoke(self) -> None:
        self.token_hash = ""
        self.token_created_at = None
        self.save(update_fields=["token_hash", "token_created_at"])

    def accepts(self, token: str) -> bool:
        return bearer.matches(self.token_hash, token)


class ProvisionedUser(models.Model):
    """A SCIM User: a participant as the identity system describes them.

    ``resource`` keeps the attributes Kaffeeklatsch supports as the identity system
    last sent them (see :data:`kaffeeklatsch.scim.schema.USER_ATTRIBUTES`); the
    participant's fields follow from it. A deleted User keeps its row (without the
    resource) until the participant is erased, so the same person provisioned again
    is recognised as having left through provisioning rather than by themselves.
    """

    connection = models.ForeignKey(ScimConnection, on_delete=models.CASCADE, related_name="users")
    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="provisioned"
    )
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True)
    user_name = models.CharField(max_length=255)
    resource = models.JSONField(default=dict)
    # The participant left because the identity system deactivated or deleted them
    # (not by their own choice): reactivating them brings them back.
    left_by_provisioning = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "user_name"],
                condition=models.Q(deleted=False),
                name="one_scim_user_name_per_connection",
            )
        ]


class ProvisionedGroup(models.Model):
    """A SCIM Group: a department; its members get its name as their department."""

    connection = models.ForeignKey(ScimConnection, on_delete=models.CASCADE, related_name="groups")
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(ProvisionedUser, blank=True, related_name="groups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
