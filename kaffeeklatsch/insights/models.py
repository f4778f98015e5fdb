"""Figures of large programmes, kept so the dashboard need not read every round."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Snapshot(models.Model):
    """A programme's columns (:class:`kaffeeklatsch.insights.metrics.Columns`) as the
    worker read them at ``computed_at``, with the fingerprint of what they were read
    from. They hold people's ids with their department, level and organisation and
    who was in which group, never names or answers; they are erased with the people
    they are about and after a day (see :func:`kaffeeklatsch.insights.snapshot.erase_old`)."""

    programme = models.OneToOneField(
        "programmes.Programme", on_delete=models.CASCADE, related_name="insights_snapshot"
    )
    fingerprint = models.CharField(max_length=400)
    computed_at = models.DateTimeField()
    data = models.BinaryField()

    class Meta:
        verbose_name = _("figures snapshot")
        verbose_name_plural = _("figures snapshots")

    def __str__(self) -> str:
        return f"{self.programme_id} @ {self.computed_at:%Y-%m-%d %H:%M}"
