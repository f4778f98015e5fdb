"""The insights as a printable A4 report: key figures, then every picture with its table.

Drawn with ReportLab, which only the worker that builds downloads loads (this module
is imported by :mod:`kaffeeklatsch.downloads.build`, not by the pages).
"""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kaffeeklatsch.front.pdf import pdf_fonts
from kaffeeklatsch.insights import present
from kaffeeklatsch.insights.charts import Chart, to_drawing
from kaffeeklatsch.insights.metrics import Insights
from kaffeeklatsch.programmes.models import Programme


def _period(insights: Insights) -> str:
    def day(value: dt.date | None) -> str:
        return date_format(value, "SHORT_DATE_FORMAT") if value else "…"

    if insights.start is None and insights.end is None:
        return _("All rounds")
    return _("Rounds from %(start)s to %(end)s") % {
        "start": day(insights.start),
        "end": day(insights.end),
    }


class _Styles:
    """The report's fonts and paragraph styles."""

    def __init__(self) -> None:
        self.regular, self.bold = pdf_fonts()
        self.sheet = getSampleStyleSheet()
        for name in ("BodyText", "Title", "Heading2", "Heading4"):
            self.sheet[name].fontName = self.bold if name != "BodyText" else self.regular
        self.small = self.sheet["BodyText"].clone("small", fontSize=7, leading=8.5)

    def para(self, text: str, style: str | ParagraphStyle = "BodyText") -> Paragraph:
        chosen = self.sheet[style] if isinstance(style, str) else style
        return Paragraph(escape(text), chosen)


def report_pdf(programme: Programme, insights: Insights) -> bytes:
    """A printable A4 report with the key figures and every picture with its table."""
    styles = _Styles()
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
    story: list[Flowable] = [styles.para(title, "Title"), styles.para(_period(insights))]
    story.append(styles.para(_("Made on %(day)s.") % {"day": date_format(insights.data.today)}))
    if not insights.enough_people:
        story.append(Spacer(1, 6 * mm))
        story.append(styles.para(present.not_enough_people_text()))
        story.append(styles.para(present.privacy_rule()))
    else:
        story += _key_figures(insights, styles, doc.width)
        for chart in present.charts(insights):
            story += _chart(chart, styles, doc.width)
    doc.build(story)
    return out.getvalue()


def _key_figures(insights: Insights, styles: _Styles, width: float) -> list[Flowable]:
    """The key figures in a row of boxes, the silo sentence, definitions and the
    privacy rule."""
    figures = present.key_figures(insights)
    table = Table(
        [[styles.para(f.label, styles.small) for f in figures], [f.value for f in figures]],
        colWidths=[width / len(figures)] * len(figures),
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 1), (-1, 1), 14),
                ("FONTNAME", (0, 1), (-1, 1), styles.bold),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )
    )
    story: list[Flowable] = [Spacer(1, 4 * mm), table, Spacer(1, 3 * mm)]
    story.append(styles.para(present.silo_sentence(insights)))
    story += [styles.para(text, styles.small) for text in present.definitions()]
    story.append(styles.para(present.privacy_rule(), styles.small))
    return story


def _chart(chart: Chart, styles: _Styles, width: float) -> list[Flowable]:
    """A picture with its title, description and table, kept on one page if small."""
    small = styles.small
    story: list[Flowable] = [CondPageBreak(90 * mm), styles.para(chart.title, "Heading2")]
    story.append(to_drawing(chart, width=min(width, chart.width * 0.8), font=styles.regular))
    story.append(styles.para(chart.description, small))
    story += [styles.para(f"{term}: {meaning}", small) for term, meaning in chart.terms]
    if chart.note:
        story.append(styles.para(chart.note, small))
    table_rows = [[styles.para(c, small) for c in chart.table.columns]]
    table_rows += [[styles.para(c, small) for c in row] for row in chart.table.rows]
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
    caption = styles.para(chart.table.caption, "Heading4")
    story.append(KeepTogether([caption, table]) if len(table_rows) < 20 else table)
    return story
