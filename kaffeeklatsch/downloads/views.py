"""Organisers' downloads: sent at once for a small programme, prepared by the worker
for a large one (:func:`~kaffeeklatsch.downloads.responses.send_or_offer`), with a
page that shows how far the file is and links it when it is ready."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.downloads.responses import button_fields, file_response, ready_downloads
from kaffeeklatsch.downloads.tasks import request_download
from kaffeeklatsch.insights.forms import PeriodForm
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
        errors = [str(e) for errs in form.errors.values() for e in errs]
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
    again = button_fields(download.kind, download.round_id, download.start, download.end)
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
def file(request: HttpRequest, programme: Programme, download_id: int) -> HttpResponseBase:
    download = get_object_or_404(programme.downloads, pk=download_id, status=Download.Status.READY)
    expired = download.expires_at is None or download.expires_at <= timezone.now()
    if expired or download.content is None:
        raise Http404
    return file_response(bytes(download.content), download.content_type, download.filename)
