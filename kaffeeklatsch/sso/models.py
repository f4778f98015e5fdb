"""When people last signed in through the identity provider, for the connections page.

Only times are kept, no one's identity: organisers (``programme`` empty) and the
participants of each programme that lets them sign in this way."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from kaffeeklatsch.programmes.models import Programme


class SignInRecord(models.Model):
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.CASCADE)
    last_at = models.DateTimeField()

    @classmethod
    def note(cls, programme: Programme | None) -> None:
        now = timezone.now()
        rows = cls.objects.filter(programme=programme)
        if not rows.update(last_at=now):
            cls.objects.get_or_create(programme=programme, defaults={"last_at": now})
