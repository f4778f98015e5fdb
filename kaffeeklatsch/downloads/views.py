"""Organisers' downloads: sent at once for a small programme, prepared by the worker
for a large one (:func:`send_or_offer`), with a page that shows how far the file is
and links it when it is ready."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaffeeklatsch.downloads.build import make
from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.downloads.tasks import request_download
from kaffeeklatsch.insights.forms import PeriodForm
from kaffeeklatsch.insights.snapshot import is_large
from kaffeeklatsch.programmes.access import organiser_view
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round

ERRORS = {
    "internal": lambda: _(
        "The file could not be made. Please try again; if it fails again, ask your "
        "administrator to look at the worker's log."
    ),
    "crashed": lambda: _(
        "The worker stopped several times while making this file (perhaps it ran out "
        "of memory). Please ask your administrator."
    ),
}


def file_response(
    content: bytes | Iterator[bytes], content_type: str, filename: str
) -> HttpResponse | StreamingHttpResponse:
    """A download, kept by no cache; lines (an iterator) are sent while they are read."""
    response: HttpResponse | StreamingHttpResponse = (
        HttpResponse(content, content_type=content_type)
        if isinstance(content, bytes)
        else StreamingHttpResponse(content, content_type=content_type)
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def ready_downloads(programme: Programme) -> list[Download]:
    now = timezone.now()
    return list(
        programme.downloads.filter(status=Download.Status.READY, expires_at__gt=now)
        .defer("content")
        .select_related("round")[:20]
    )


def _fields(
    kind: str, round_id: int | None, start: dt.date | None, end: dt.date | None
) -> dict[str, object]:
    """The hidden fields of the button that asks for a file."""
    return {
        "kind": kind,
        "round": round_id or "",
        "start": start.isoformat() if start else "",
        "end": end.isoformat() if end else "",
    }


def send_or_offer(
    request: HttpRequest,
    programme: Programme,
    kind: str,
    rnd: Round | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> HttpResponse:
    """The file itself for a small programme; for a large one a page that offers to
    prepare it (a GET never starts work, so a prefetching browser or a link checker
    does not either)."""
    if not is_large(programme):
        file = make(kind, programme, rnd, start, end)
        return file_response(file.content, file.content_type, file.filename)
    fields = _fields(kind, rnd.pk if rnd else None, start, end)
    return render(
        request,
        "downloads/offer.html",
        {
            "programme": programme,
            "title": Download.Kind(kind).label,
            "round": rnd,
            "start": start,
            "end": end,
            "fields": fields,
            "ready": ready_downloads(programme),
        },
    )


def _bad_request(request: HttpRequest, programme: Programme, message: str) -> HttpResponse:
    return render(
        request,
        "downloads/offer.html",
        {"programme": programme, "error": message, "ready": ready_downloads(programme)},
        status=400,
    )


@require_POST
@organiser_view
def prepare(request: HttpRequest, programme: Programme) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind not in Download.Kind.values:
        return _bad_request(request, programme, _("This kind of file does not exist."))
    rnd = None
    if kind in Download.ROUND_KINDS:
        round_id = request.POST.get("round", "")
        rnd = (
            programme.rounds.filter(pk=int(round_id), status=Round.Status.PUBLISHED).first()
            if round_id.isdigit()
            else None
        )
        if rnd is None:
            return _bad_request(request, programme, _("Please choose a published round."))
    form = PeriodForm({"start": request.POST.get("start", ""), "end": request.POST.get("end", "")})
    if not form.is_valid():
        errors = [e for errs in form.errors.values() for e in errs]
        return _bad_request(request, programme, " ".join(errors))
    download = request_download(
        programme,
        kind,
        user=request.user,
        rnd=rnd,
        start=form.cleaned_data.get("start"),
        end=form.cleaned_data.get("end"),
    )
    return redirect("downloads:status", programme.pk, download.pk)


def _download(programme: Programme, download_id: int) -> Download:
    return get_object_or_404(programme.downloads.defer("content"), pk=download_id)


def _status(download: Download) -> dict[str, object]:
    return {
        "done": download.status == Download.Status.READY,
        "failed": download.status == Download.Status.FAILED,
        "stage": download.get_status_display(),
        "percent": None,
    }


@organiser_view
def status(request: HttpRequest, programme: Programme, download_id: int) -> HttpResponse:
    download = _download(programme, download_id)
    expired = download.expires_at is not None and download.expires_at <= timezone.now()
    again = _fields(download.kind, download.round_id, download.start, download.end)
    return render(
        request,
        "downloads/status.html",
        {
            "programme": programme,
            "download": download,
            "expired": expired,
            "error": ERRORS.get(download.error, ERRORS["internal"])() if download.error else "",
            "again": again,
            **_status(download),
        },
    )


@organiser_view
def status_json(request: HttpRequest, programme: Programme, download_id: int) -> JsonResponse:
    download = _download(programme, download_id)
    url = reverse("downloads:status", args=[programme.pk, download.pk])
    response = JsonResponse({**_status(download), "url": url})
    response["Cache-Control"] = "no-store"
    return response


@organiser_view
def file(request: HttpRequest, programme: Programme, download_id: int) -> HttpResponse:
    download = get_object_or_404(programme.downloads, pk=download_id, status=Download.Status.READY)
    if download.expires_at is None or download.expires_at <= timezone.now():
        raise Http404
    return file_response(bytes(download.content), download.content_type, download.filename)
