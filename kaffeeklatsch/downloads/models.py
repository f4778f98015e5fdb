"""Files an organiser asked for that take too long to make within a request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib.leases import Leased


class Download(Leased):
    """One file of a large programme, made by the worker, kept for a while
    (``settings.DOWNLOAD_KEEP_HOURS``) for the programme's organisers, then erased.

    Letters, phone lists and group lists hold names and addresses: the file is kept
    in the database (erased with its programme, its round, the people it names and
    when it expires), never in a place the web server serves."""

    class Kind(models.TextChoices):
        ROUNDS_CSV = "rounds_csv", _("Rounds (CSV)")
        ROUNDS_XLSX = "rounds_xlsx", _("Rounds (Excel)")
        GROUPS_XLSX = "groups_xlsx", _("Groups (Excel)")
        REPORT_PDF = "report_pdf", _("Report (PDF)")
        LETTERS_PDF = "letters_pdf", _("Letters (PDF)")
        PHONE_LIST_PDF = "phone_list_pdf", _("Phone list (PDF)")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the worker")
        RUNNING = "running", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.WAITING, Status.RUNNING)
    ROUND_KINDS = (Kind.LETTERS_PDF, Kind.PHONE_LIST_PDF)

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="downloads"
    )
    round = models.ForeignKey(
        "rounds.Round", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=10)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    error = models.CharField(max_length=200, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = _("download")
        verbose_name_plural = _("downloads")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.programme_id})"
