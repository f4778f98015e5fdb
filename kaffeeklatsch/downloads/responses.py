"""Answers that hand an organiser a file, for every app's download pages: the file
itself for a small programme, or a page offering to prepare it for a large one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from kaffeeklatsch.downloads.build import make
from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.insights.snapshot import is_large
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round


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


def button_fields(
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
) -> HttpResponseBase:
    """The file itself for a small programme; for a large one a page that offers to
    prepare it (a GET never starts work, so a prefetching browser or a link checker
    does not either)."""
    if not is_large(programme):
        file = make(kind, programme, rnd, start, end)
        return file_response(file.content, file.content_type, file.filename)
    fields = button_fields(kind, rnd.pk if rnd else None, start, end)
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
