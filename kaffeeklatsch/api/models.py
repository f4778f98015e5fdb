"""Tokens with which other systems (HR and member systems, scripts) use the REST API of
one programme.

A token is shown once, when it is made; only its SHA-256 digest is stored, with a short
public prefix by which a request's token is found without comparing it to every other.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.front import bearer
from kaffeeklatsch.lib.validators import validate_one_line
from kaffeeklatsch.programmes.models import Programme

# Every token starts with this, so that a token pasted into the wrong place (a log, a
# repository) is recognised by secret scanners and by people.
TOKEN_START = "kk_"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def valid(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        _("name"),
        max_length=100,
        validators=[validate_one_line],
        help_text=_("What uses the token, e.g. “HR system” or “membership script”."),
    )
    scope = models.CharField(_("access"), max_length=5, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("made by"),
    )
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def issue(self) -> str:
        """Gives the (unsaved) token a new secret and returns the secret: the only time
        it exists outside the client that receives it."""
        self.prefix = secrets.token_hex(6)
        token = f"{TOKEN_START}{self.prefix}_{secrets.token_urlsafe(32)}"
        self.digest = bearer.digest(token)
        return token

    def matches(self, token: str) -> bool:
        return bearer.matches(self.digest, token)

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @staticmethod
    def prefix_of(token: str) -> str | None:
        """The lookup prefix of a token as sent, or None if it cannot be one of ours."""
        if not token.startswith(TOKEN_START):
            return None
        prefix, sep, rest = token[len(TOKEN_START) :].partition("_")
        if not sep or not rest or len(prefix) != 12:
            return None
        return prefix
