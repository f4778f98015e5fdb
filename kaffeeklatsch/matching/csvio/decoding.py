"""Bytes of a CSV file to a table: the text's encoding, the separator, the header.

Spreadsheets write comma or semicolon separated files (tab too, for Excel's "Unicode
text"), UTF-8 with or without a byte order mark, UTF-16 with a byte order mark, or
Windows-1252 (German Excel's "CSV (Trennzeichen-getrennt)"), with column names in any
case and spelling of spaces and hyphens. Problems with the file as a whole raise
:class:`.messages.CsvError`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kaffeeklatsch.matching.csvio.messages import CsvError, CsvProblem

# Columns that stand in for a required one: first and last name make a name.
_ALTERNATIVES = {"name": ("name", "first_name", "last_name")}


def decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise CsvError([CsvProblem(0, None, "excel_workbook", {})])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise CsvError([CsvProblem(0, None, "not_text", {})]) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as error:
                line = data.count(b"\n", 0, error.start) + 1
                byte = f"0x{data[error.start]:02X}"
                raise CsvError([CsvProblem(line, None, "encoding", {"byte": byte})]) from None
    # NUL and other control characters do not occur in a spreadsheet's CSV; they mean
    # a binary file or UTF-16 without a byte order mark.
    if re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text):
        raise CsvError([CsvProblem(0, None, "not_text", {})])
    return text.replace("\xa0", " ")


def records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Records of the text with the line each starts on, blank records left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                rows.append((line, [cell.strip() for cell in record]))
            line = reader.line_num + 1
    except csv.Error as error:
        if "end of data" in str(error):
            raise CsvError([CsvProblem(line, None, "unclosed_quote", {})]) from None
        raise CsvError([CsvProblem(reader.line_num, None, "bad_quote", {})]) from None
    return rows


def header_key(name: str) -> str:
    """A column name reduced to what distinguishes it: "E-Mail " -> "email"."""
    key = name.strip().casefold()
    key = key.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]", "", key)


def aliases(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Each column name of a table of fields and their names, reduced, to its field."""
    return {header_key(alias): field_ for field_, names in table.items() for alias in names}


@dataclass
class Table:
    """A file's rows after its header, with the column of each known field."""

    columns: dict[str, int]  # field -> index
    names: list[str]  # header cells as written
    rows: list[tuple[int, list[str]]]  # (line, cells) after the header
    header_line: int

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def column(self, name: str) -> str | None:
        index = self.columns.get(name)
        return None if index is None else self.names[index]


def read_table(data: bytes, known: Mapping[str, str], required: Iterable[str]) -> Table:
    """Decode, sniff the separator by which one makes the header known, map the columns
    (``known``: reduced column name to field, see :func:`aliases`)."""
    text = decode(data)
    if not text.strip():
        raise CsvError([CsvProblem(0, None, "empty", {})])
    found_names, delimiter = _sniff(text, known)
    rows = records(text, delimiter)
    header_line, header = rows[0]
    required = tuple(required)
    if found_names == 0:
        raise CsvError([CsvProblem(header_line, None, "no_header", {"columns": required})])
    return Table(_columns(header_line, header, known, required), header, rows[1:], header_line)


def _sniff(text: str, known: Mapping[str, str]) -> tuple[int, str]:
    """The separator under which the header has the most known column names (then the
    most cells), and how many names it knows."""
    best: tuple[int, int, str] = (-1, 0, ",")
    for delimiter in (",", ";", "\t"):
        try:
            first = records(_first_record(text), delimiter)
        except CsvError:  # quoting that only the right separator makes sense of
            continue
        header = first[0][1] if first else []
        count = sum(1 for cell in header if header_key(cell) in known)
        candidate = (count, len(header), delimiter)
        if candidate[:2] > best[:2]:
            best = candidate
    return best[0], best[2]


def _columns(
    header_line: int, header: list[str], known: Mapping[str, str], required: Iterable[str]
) -> dict[str, int]:
    """The index of each known field's column; a field twice or a required one missing
    raises :class:`CsvError`."""
    found: dict[str, int] = {}
    problems: list[CsvProblem] = []
    for index, name in enumerate(header):
        field_ = known.get(header_key(name))
        if field_ is None:
            continue
        if field_ in found:
            problems.append(
                CsvProblem(header_line, name, "duplicate_column", {"other": header[found[field_]]})
            )
            continue
        found[field_] = index
    for name in required:
        if not any(alternative in found for alternative in _ALTERNATIVES.get(name, (name,))):
            problems.append(CsvProblem(header_line, None, "missing_column", {"column": name}))
    if problems:
        raise CsvError(problems)
    return found


def _first_record(text: str) -> str:
    """The text up to the first line that is not blank (the header line)."""
    head: list[str] = []
    for line in io.StringIO(text, newline=""):
        head.append(line)
        if line.strip():
            break
    return "".join(head)
