"""Exports of the insights: rounds and groups as CSV and Excel, the report as PDF.

No export contains a person's or a group's "Did you meet?" answers: nobody has agreed to
share them, so only totals appear, and a round's meeting rate only when at least
``MIN_GROUP`` people answered (see :mod:`kaffeeklatsch.insights.metrics`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kaffeeklatsch.front.pdf import pdf_fonts
from kaffeeklatsch.insights import present
from kaffeeklatsch.insights.charts import to_drawing
from kaffeeklatsch.insights.metrics import Insights
from kaffeeklatsch.programmes.models import MeetingMode, Programme
from kaffeeklatsch.rounds.models import Group, Round, render_reasons

Cell = str | int | float | dt.date | None
T = TypeVar("T")


def rounds_table(insights: Insights) -> tuple[list[str], list[list[Cell]]]:
    header = [
        _("Round"),
        _("Meeting from"),
        _("Groups"),
        _("People"),
        _("Left out"),
        _("Score"),
        _("Best possible (bound)"),
        _("Quality (%)"),
        _("People who answered"),
        _("Meeting rate (%)"),
        _("New connections"),
    ]
    rows: list[list[Cell]] = [
        [
            r.number,
            r.meet_from,
            r.groups,
            r.people,
            r.left_out,
            round(r.score, 3),
            round(r.bound, 3),
            r.quality,
            r.answers,
            r.meeting_rate,
            r.new_connections,
        ]
        for r in insights.rounds
    ]
    return header, rows


GROUPS_AT_ONCE = 2000
"""Groups read with their members at once while an export of groups is written."""


def groups_table(
    programme: Programme, start: dt.date | None, end: dt.date | None
) -> tuple[list[str], Iterator[list[Cell]]]:
    """One row per group: who was in it and why, but not whether they met.

    The rows come one after another, read from the database a few thousand groups at
    a time (groups as tuples, their members by name), so an export of hundreds of
    thousands of groups can be sent while it is read; they are drawn in the language
    active when this is called."""
    header = [
        _("Round"),
        _("Meeting from"),
        _("Group"),
        _("How"),
        _("Size"),
        _("People"),
        _("Departments"),
        _("Score"),
        _("Why these people"),
    ]
    groups = Group.objects.filter(round__programme=programme, round__status=Round.Status.PUBLISHED)
    if start:
        groups = groups.filter(round__meet_from__gte=start)
    if end:
        groups = groups.filter(round__meet_from__lte=end)
    groups = groups.order_by("round__number", "id").values_list(
        "pk", "round_id", "round__number", "round__meet_from", "mode", "score", "reasons"
    )
    language = get_language()
    modes = dict(MeetingMode.choices)

    def rows() -> Iterator[list[Cell]]:
        counter: dict[int, int] = {}
        with translation.override(language):
            for chunk in _chunks(groups.iterator(chunk_size=GROUPS_AT_ONCE), GROUPS_AT_ONCE):
                members: dict[int, list[tuple[str, str]]] = {pk: [] for pk, *_ in chunk}
                through = Group.members.through.objects.filter(group_id__in=list(members))
                for group_id, name, department in through.order_by(
                    "participant__name", "participant__id"
                ).values_list("group_id", "participant__name", "participant__department"):
                    members[group_id].append((name, department))
                for pk, round_id, number, meet_from, mode, score, reasons in chunk:
                    counter[round_id] = counter.get(round_id, 0) + 1
                    people = members[pk]
                    yield [
                        number,
                        meet_from,
                        counter[round_id],
                        str(modes.get(mode, mode)),
                        len(people),
                        "; ".join(name for name, _department in people),
                        "; ".join(department for _name, department in people),
                        None if score is None else round(score, 3),
                        " ".join(render_reasons(reasons)),
                    ]

    return header, rows()


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    """Keeps spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """The CSV file line by line, in UTF-8 with a BOM (as Excel wants it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    yield codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([_safe(v) if isinstance(v, str) else _text(v) for v in row])
        yield out.getvalue().encode("utf-8")


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    return b"".join(csv_lines(header, rows))


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A workbook of one sheet, written row by row (openpyxl's write-only mode keeps
    no row in memory once written, so hundreds of thousands of groups fit)."""
    # Imported here: openpyxl takes about 0.2 s to import, which every process
    # (each web worker, each command) would pay at start for a file few ask for.
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def heading(text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        return cell

    def value(item: Cell) -> object:
        if isinstance(item, str):
            return _safe(item)
        if isinstance(item, dt.date):
            cell = WriteOnlyCell(sheet, value=item)
            cell.number_format = "yyyy-mm-dd"
            return cell
        return item

    sheet.append([heading(text) for text in header])
    for row in rows:
        sheet.append([value(item) for item in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _period(insights: Insights) -> str:
    def day(value: dt.date | None) -> str:
        return date_format(value, "SHORT_DATE_FORMAT") if value else "…"

    if insights.start is None and insights.end is None:
        return _("All rounds")
    return _("Rounds from %(start)s to %(end)s") % {
        "start": day(insights.start),
        "end": day(insights.end),
    }


def report_pdf(programme: Programme, insights: Insights) -> bytes:
    """A printable A4 report with the key figures and every picture with its table."""
    regular, bold = pdf_fonts()
    styles = getSampleStyleSheet()
    for name in ("BodyText", "Title", "Heading2", "Heading4"):
        styles[name].fontName = bold if name != "BodyText" else regular
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    out = io.BytesIO()
    title = _("Kaffeeklatsch report: %(programme)s") % {"programme": programme.name}
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Kaffeeklatsch",
    )
    width = doc.width

    def para(text: str, style: object = styles["BodyText"]) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[object] = [para(title, styles["Title"]), para(_period(insights))]
    story.append(para(_("Made on %(day)s.") % {"day": date_format(insights.data.today)}))
    if not insights.enough_people:
        story.append(Spacer(1, 6 * mm))
        story.append(para(present.not_enough_people_text()))
        story.append(para(present.privacy_rule()))
        doc.build(story)
        return out.getvalue()
    figures = present.key_figures(insights)
    story.append(Spacer(1, 4 * mm))
    key_table = Table(
        [[para(f.label, small) for f in figures], [f.value for f in figures]],
        colWidths=[width / len(figures)] * len(figures),
    )
    key_table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 1), (-1, 1), 14),
                ("FONTNAME", (0, 1), (-1, 1), bold),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )
    )
    story.append(key_table)
    story.append(Spacer(1, 3 * mm))
    story.append(para(present.silo_sentence(insights)))
    for text in present.definitions():
        story.append(para(text, small))
    story.append(para(present.privacy_rule(), small))
    for chart in present.charts(insights):
        story.append(CondPageBreak(90 * mm))
        story.append(para(chart.title, styles["Heading2"]))
        drawing = to_drawing(chart, width=min(width, chart.width * 0.8), font=regular)
        story.append(drawing)
        story.append(para(chart.description, small))
        if chart.note:
            story.append(para(chart.note, small))
        table_rows = [[para(c, small) for c in chart.table.columns]]
        table_rows += [[para(c, small) for c in row] for row in chart.table.rows]
        columns = len(chart.table.columns)
        first = min(width * 0.3, 45 * mm)
        widths = [first] + [(width - first) / max(1, columns - 1)] * (columns - 1)
        table = Table(table_rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f4ebe1")),
                    ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(Spacer(1, 2 * mm))
        story.append(
            KeepTogether([para(chart.table.caption, styles["Heading4"]), table])
            if len(table_rows) < 20
            else table
        )
    doc.build(story)
    return out.getvalue()
