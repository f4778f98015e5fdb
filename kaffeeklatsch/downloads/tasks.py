"""Preparing downloads in the worker.

A download is leased work (:mod:`kaffeeklatsch.lib.leases`): claimed, marked running
with a lease (``settings.ROUND_TASK_LEASE_SECONDS``) and committed, so the organiser's
page sees it is being made; the file is made outside any transaction and stored with
the download's end in one that checks the download is still this worker's. A worker
that dies leaves the lease to run out and another worker makes the file again; after
:data:`MAX_ATTEMPTS` the download fails with a reason the page shows.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from kaffeeklatsch.downloads.build import File, make
from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.lib import leases
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3

DOWNLOADS = leases.define(
    Download,
    waiting=Download.Status.WAITING,
    running=Download.Status.RUNNING,
    lease_seconds=lambda: settings.ROUND_TASK_LEASE_SECONDS,
)


def request_download(
    programme: Programme,
    kind: str,
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    rnd: Round | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Download:
    """The download the organiser asked for: the one already waiting or being made
    with the same content and language, or a new one for the worker."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    same = Download.objects.filter(
        programme=programme,
        kind=kind,
        round=rnd,
        start=start,
        end=end,
        language=language,
        status__in=Download.ACTIVE,
    )
    with transaction.atomic():
        found = same.select_for_update().first()
        if found is not None:
            return found
        return Download.objects.create(
            programme=programme,
            kind=kind,
            round=rnd,
            start=start,
            end=end,
            language=language,
            requested_by_id=user.pk if user is not None else None,
        )


def claim() -> Download | None:
    """Takes the oldest waiting download, or one whose worker's lease ran out."""
    taken = leases.claim(
        DOWNLOADS, Download.objects.defer("content"), max_attempts=MAX_ATTEMPTS, give_up=_crashed
    )
    return taken[0] if taken else None


def _crashed(download: Download) -> None:
    """A download whose workers died every time ends as failed."""
    _end(download, Download.Status.FAILED, error="crashed", attempts=MAX_ATTEMPTS)


def _end(
    download: Download,
    status: str,
    *,
    error: str = "",
    file: File | None = None,
    **fields: object,
) -> bool:
    """Ends a download this worker still holds; false when it no longer does."""
    now = timezone.now()
    fields.update(error=error, finished_at=now)
    if file is not None:
        fields.update(
            content=file.content,
            content_type=file.content_type,
            filename=file.filename,
            size=len(file.content),
            expires_at=now + dt.timedelta(hours=settings.DOWNLOAD_KEEP_HOURS),
        )
    return leases.finish(DOWNLOADS, download, status, **fields)


def run(download: Download) -> None:
    """Makes the file of a claimed download and stores it (or the reason it failed)."""
    try:
        with translation.override(download.language):
            file = make(
                download.kind,
                download.programme,
                download.round,
                download.start,
                download.end,
            )
    except Exception:  # noqa: BLE001 - the organiser is told; the worker goes on
        log.exception("download %s (%s) failed", download.pk, download.kind)
        _end(download, Download.Status.FAILED, error="internal")
        return
    with transaction.atomic():
        # Still ours? A worker that outlived its lease leaves the file to the other.
        if leases.still_mine(DOWNLOADS, download):
            _end(download, Download.Status.READY, file=file)


def run_downloads(limit: int = 10) -> int:
    """Prepares the waiting downloads (at most ``limit``); returns how many."""
    done = 0
    while done < limit and (download := claim()) is not None:
        run(download)
        done += 1
    return done


def recover() -> None:
    leases.release_abandoned(DOWNLOADS)


def erase_expired(now: dt.datetime) -> int:
    """Downloads past their time, and finished ones older than the e-mail retention."""
    keep = now - dt.timedelta(days=settings.RETENTION_EMAIL_DAYS)
    return Download.objects.filter(
        Q(expires_at__lt=now) | (Q(status=Download.Status.FAILED) & Q(created_at__lt=keep))
    ).delete()[0]
