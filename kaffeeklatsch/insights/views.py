"""Organiser insights: the dashboard, the exports and the PDF report of a programme.

Every view is for the programme's organisers (owner and co-organisers) only; anyone else
gets what :func:`kaffeeklatsch.programmes.access.organiser_view` gives them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from kaffeeklatsch.downloads.build import CSV, file_name
from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.downloads.responses import file_response, ready_downloads, send_or_offer
from kaffeeklatsch.insights import exports, present
from kaffeeklatsch.insights.charts import to_svg
from kaffeeklatsch.insights.forms import PeriodForm
from kaffeeklatsch.insights.models import Snapshot
from kaffeeklatsch.insights.snapshot import current, figures
from kaffeeklatsch.programmes.access import organiser_view
from kaffeeklatsch.programmes.models import Programme

View = Callable[..., HttpResponseBase]


def _period(request: HttpRequest) -> tuple[PeriodForm, dt.date | None, dt.date | None]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data.get("start"), form.cleaned_data.get("end")
    return form, None, None


@organiser_view
def dashboard(request: HttpRequest, programme: Programme) -> HttpResponse:
    form, start, end = _period(request)
    now = current(programme)
    found = figures(programme, now, start, end)
    pictures = (
        [{"chart": chart, "svg": to_svg(chart)} for chart in present.charts(found)]
        if found is not None and found.enough_people
        else []
    )
    return render(
        request,
        "insights/dashboard.html",
        {
            "programme": programme,
            "form": form,
            "insights": found,
            "as_of": now.as_of,
            "updating": now.updating,
            "figures": present.key_figures(found) if found else [],
            "silo_sentence": present.silo_sentence(found) if found else "",
            "definitions": present.definitions(),
            "privacy_rule": present.privacy_rule(),
            "not_enough_people": present.not_enough_people_text(),
            "pictures": pictures,
            "query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
            "ready": ready_downloads(programme) if now.as_of or now.updating else [],
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@organiser_view
def snapshot_status(request: HttpRequest, programme: Programme) -> JsonResponse:
    """Whether the figures of a large programme have been read (for the page that
    waits for them)."""
    done = Snapshot.objects.filter(programme=programme).exists()
    response = JsonResponse(
        {
            "done": done,
            "failed": False,
            "stage": _("The figures are being computed."),
            "percent": None,
            "url": reverse("insights:dashboard", args=[programme.pk]),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _export(kind: str) -> View:
    @organiser_view
    def view(request: HttpRequest, programme: Programme) -> HttpResponseBase:
        form, start, end = _period(request)
        if form.is_bound and not form.is_valid():
            return dashboard(request, programme.pk)
        return send_or_offer(request, programme, kind, start=start, end=end)

    return view


rounds_csv = _export(Download.Kind.ROUNDS_CSV)
rounds_xlsx = _export(Download.Kind.ROUNDS_XLSX)
groups_xlsx = _export(Download.Kind.GROUPS_XLSX)
report_pdf = _export(Download.Kind.REPORT_PDF)


@organiser_view
def groups_csv(request: HttpRequest, programme: Programme) -> HttpResponseBase:
    form, start, end = _period(request)
    if form.is_bound and not form.is_valid():
        return dashboard(request, programme.pk)
    header, rows = exports.groups_table(programme, start, end)
    # Sent while it is read: a programme's groups may be hundreds of thousands.
    lines = exports.csv_lines(header, rows)
    return file_response(lines, CSV, file_name(programme, "groups", "csv"))
