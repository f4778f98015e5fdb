"""How each kind of download is made: the one place that knows its content, type and
file name, used by the page that sends a small programme's file at once and by the
worker that prepares a large programme's file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.text import slugify
from django.utils.translation import gettext as _

from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.insights import exports, report
from kaffeeklatsch.insights.metrics import insights
from kaffeeklatsch.insights.snapshot import columns_now
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.reach import letters
from kaffeeklatsch.rounds.models import Round

Kind = Download.Kind
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


@dataclass(frozen=True)
class File:
    content: bytes
    content_type: str
    filename: str


def file_name(programme: Programme, what: str, extension: str) -> str:
    return f"{slugify(programme.name) or 'programme'}-{what}.{extension}"


def make(
    kind: str,
    programme: Programme,
    rnd: Round | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> File:
    """The file, drawn in the active language."""
    if kind in (Kind.ROUNDS_CSV, Kind.ROUNDS_XLSX, Kind.REPORT_PDF):
        found = insights(columns_now(programme), start, end)
        if kind == Kind.REPORT_PDF:
            return File(
                report.report_pdf(programme, found), PDF, file_name(programme, "report", "pdf")
            )
        header, rows = exports.rounds_table(found)
        if kind == Kind.ROUNDS_CSV:
            return File(exports.to_csv(header, rows), CSV, file_name(programme, "rounds", "csv"))
        content = exports.to_xlsx(_("Rounds"), header, rows)
        return File(content, XLSX, file_name(programme, "rounds", "xlsx"))
    if kind == Kind.GROUPS_XLSX:
        header, lines = exports.groups_table(programme, start, end)
        content = exports.to_xlsx(_("Groups"), header, lines)
        return File(content, XLSX, file_name(programme, "groups", "xlsx"))
    if rnd is None:
        raise ValueError(f"{kind} needs a round")
    if kind == Kind.LETTERS_PDF:
        return File(letters.letters_pdf(rnd), PDF, f"kaffeeklatsch-letters-{rnd.number}.pdf")
    if kind == Kind.PHONE_LIST_PDF:
        return File(letters.phone_list_pdf(rnd), PDF, f"kaffeeklatsch-phone-{rnd.number}.pdf")
    raise ValueError(f"unknown download {kind!r}")
