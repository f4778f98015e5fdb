"""Rate limits kept in the database, so they hold across every web process and machine."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimit(models.Model):
    """How often one client used one action in the current window. The key is a hash
    of the action and the client (an address or account), never the address itself."""

    key = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rate limit")
        verbose_name_plural = _("rate limits")

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count}"
