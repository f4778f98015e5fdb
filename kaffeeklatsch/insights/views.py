"""Organiser insights: the dashboard, the exports and the PDF report of a programme.

Every view is for the programme's organisers (owner and co-organisers) only; anyone else
gets what :func:`kaffeeklatsch.programmes.access.organiser_view` gives them.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kaffeeklatsch.insights import exports, present
from kaffeeklatsch.insights.charts import to_svg
from kaffeeklatsch.insights.forms import PeriodForm
from kaffeeklatsch.insights.metrics import Insights, insights, load
from kaffeeklatsch.programmes.access import organiser_view
from kaffeeklatsch.programmes.models import Programme


def _period(request: HttpRequest) -> tuple[PeriodForm, dt.date | None, dt.date | None]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data.get("start"), form.cleaned_data.get("end")
    return form, None, None


def _insights(programme: Programme, start: dt.date | None, end: dt.date | None) -> Insights:
    return insights(load(programme, timezone.localdate()), start, end)


@organiser_view
def dashboard(request: HttpRequest, programme: Programme) -> HttpResponse:
    form, start, end = _period(request)
    found = _insights(programme, start, end)
    pictures = (
        [{"chart": chart, "svg": to_svg(chart)} for chart in present.charts(found)]
        if found.enough_people
        else []
    )
    return render(
        request,
        "insights/dashboard.html",
        {
            "programme": programme,
            "form": form,
            "insights": found,
            "figures": present.key_figures(found),
            "silo_sentence": present.silo_sentence(found),
            "definitions": present.definitions(),
            "privacy_rule": present.privacy_rule(),
            "not_enough_people": present.not_enough_people_text(),
            "pictures": pictures,
            "query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _filename(programme: Programme, what: str, extension: str) -> str:
    return f"{slugify(programme.name) or 'programme'}-{what}.{extension}"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bad_period(request: HttpRequest, programme: Programme) -> HttpResponse | None:
    form, _start, _end = _period(request)
    if form.is_bound and not form.is_valid():
        return dashboard(request, programme.pk)
    return None


@organiser_view
def rounds_csv(request: HttpRequest, programme: Programme) -> HttpResponse:
    if bad := _bad_period(request, programme):
        return bad
    _form, start, end = _period(request)
    header, rows = exports.rounds_table(_insights(programme, start, end))
    return _download(exports.to_csv(header, rows), CSV, _filename(programme, "rounds", "csv"))


@organiser_view
def rounds_xlsx(request: HttpRequest, programme: Programme) -> HttpResponse:
    if bad := _bad_period(request, programme):
        return bad
    _form, start, end = _period(request)
    header, rows = exports.rounds_table(_insights(programme, start, end))
    content = exports.to_xlsx(_("Rounds"), header, rows)
    return _download(content, XLSX, _filename(programme, "rounds", "xlsx"))


@organiser_view
def groups_csv(request: HttpRequest, programme: Programme) -> HttpResponse:
    if bad := _bad_period(request, programme):
        return bad
    _form, start, end = _period(request)
    header, rows = exports.groups_table(programme, start, end)
    # Sent while it is read: a programme's groups may be hundreds of thousands.
    response = StreamingHttpResponse(exports.csv_lines(header, rows), content_type=CSV)
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(programme, "groups", "csv")}"'
    )
    return response


@organiser_view
def groups_xlsx(request: HttpRequest, programme: Programme) -> HttpResponse:
    if bad := _bad_period(request, programme):
        return bad
    _form, start, end = _period(request)
    header, rows = exports.groups_table(programme, start, end)
    content = exports.to_xlsx(_("Groups"), header, rows)
    return _download(content, XLSX, _filename(programme, "groups", "xlsx"))


@organiser_view
def report_pdf(request: HttpRequest, programme: Programme) -> HttpResponse:
    if bad := _bad_period(request, programme):
        return bad
    _form, start, end = _period(request)
    content = exports.report_pdf(programme, _insights(programme, start, end))
    return _download(content, "application/pdf", _filename(programme, "report", "pdf"))
