"""CSV files as the reader's spreadsheet program opens them.

German Excel and LibreOffice read a CSV file with the regional settings of the
computer: columns separated by semicolons and numbers with a decimal comma. A file
written with commas and dots opens there as one column per line and numbers become
text or dates. So a German reader gets semicolons and decimal commas, an English reader
commas and dots; both get UTF-8 with a byte order mark, by which Excel knows the
encoding.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

Cell = str | int | float | dt.date | None
CONTENT_TYPE = "text/csv; charset=utf-8"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Dialect:
    """How numbers and cells are written for readers of one language."""

    delimiter: str
    decimal: str


GERMAN = Dialect(";", ",")
ENGLISH = Dialect(",", ".")


def dialect_for(language: str | None) -> Dialect:
    """Semicolons and decimal commas for German (``de``, ``de-at`` ...), else commas and
    dots."""
    return GERMAN if (language or "").lower().startswith("de") else ENGLISH


def safe_text(text: str) -> str:
    """Keeps spreadsheet programs from running a cell as a formula (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell_text(value: Cell, dialect: Dialect) -> str:
    """A cell as the reader's spreadsheet reads it: dates as ISO dates, decimal numbers
    with the reader's decimal mark, text safe from formulas."""
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value).replace(".", dialect.decimal)
    return str(value)


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], language: str | None
) -> Iterator[bytes]:
    """The CSV file line by line, in UTF-8 with a byte order mark, in the dialect of
    ``language`` (see :func:`dialect_for`). The language is an argument, not the active
    one, because a file sent while it is written is written after the view returned."""
    dialect = dialect_for(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=dialect.delimiter)
    writer.writerow([safe_text(name) for name in header])
    yield codecs.BOM_UTF8 + out.getvalue().encode("utf-8")
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([cell_text(value, dialect) for value in row])
        yield out.getvalue().encode("utf-8")


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]], language: str | None) -> bytes:
    """The whole CSV file of :func:`csv_lines`."""
    return b"".join(csv_lines(header, rows, language))
