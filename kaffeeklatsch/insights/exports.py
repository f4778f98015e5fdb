"""Exports of the insights: rounds and groups as CSV and Excel (the report as PDF is
:mod:`.report`).

No export contains a person's or a group's "Did you meet?" answers: nobody has agreed to
share them, so only totals appear, and a round's meeting rate only when at least
``MIN_GROUP`` people answered (see :mod:`kaffeeklatsch.insights.metrics`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kaffeeklatsch.insights.metrics import Insights
from kaffeeklatsch.lib import csvfiles
from kaffeeklatsch.lib.csvfiles import Cell
from kaffeeklatsch.lib.names import NameOrder
from kaffeeklatsch.programmes.models import MeetingMode, Programme
from kaffeeklatsch.rounds.models import Group, Round, render_reasons

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
    found = groups.order_by("round__number", "id").values_list(
        "pk", "round_id", "round__number", "round__meet_from", "mode", "score", "reasons"
    )
    language = get_language()
    modes = dict(MeetingMode.choices)

    def rows() -> Iterator[list[Cell]]:
        counter: dict[int, int] = {}
        with translation.override(language):
            for chunk in _chunks(found.iterator(chunk_size=GROUPS_AT_ONCE), GROUPS_AT_ONCE):
                members: dict[int, list[tuple[str, str]]] = {pk: [] for pk, *_ in chunk}
                through = Group.members.through.objects.filter(group_id__in=list(members))
                for group_id, name, department in through.order_by(
                    NameOrder("participant__name"), "participant__id"
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


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """The CSV file line by line in the dialect of the active language (see
    :mod:`kaffeeklatsch.lib.csvfiles`)."""
    return csvfiles.csv_lines(header, rows, get_language())


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    return csvfiles.to_csv(header, rows, get_language())


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
            return csvfiles.safe_text(item)
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
