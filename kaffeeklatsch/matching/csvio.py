"""People and group files as organisers really have them.

Reads PEOPLE.csv and GROUPS.csv in the dialects spreadsheets write: comma or
semicolon separated (tab too, for Excel's "Unicode text"), UTF-8 with or without a
byte order mark, UTF-16 with a byte order mark, or Windows-1252 (German Excel's
"CSV (Trennzeichen-getrennt)"), with English or German column names in any case.
Writes GROUPS.csv so that one round's file is the next round's history.

Columns of PEOPLE.csv, recognised in English or German in any case and spelling of
spaces and hyphens (others are ignored): ``id``/``ID`` and ``name``/``Name`` (or
``first name``/``Vorname`` and ``last name``/``Nachname``) are required; optional are
``email``/``E-Mail``, ``department``/``Abteilung``, ``organisation``/``Organisation``
(also ``organization``), ``level``/``Ebene``, ``languages``/``Sprachen`` (ISO codes or
names, "Deutsch, Türkisch"), ``postcode``/``PLZ`` and ``location``/``Ort`` (a German
postcode, a town or coordinates), ``mode``/``Modus`` (in person/vor Ort/Präsenz,
online/video, either/egal or empty), ``interests``/``Interessen``, ``blocked``/
``Blockiert`` (ids or e-mail addresses of people in the file), ``timezone``/``Zeitzone``
(IANA names such as Europe/Berlin), ``availability``/``Verfügbarkeit`` ("Mo-Fr 9-12,
Sa 10:30-12" in the person's time zone) and ``new``/``Neu`` (yes/no, ja/nein).
Lists in a cell are separated by commas (in a comma-separated file the cell is quoted).

Every problem is reported with the line (as a spreadsheet numbers its rows, the header
being line 1) and the column as written in the file, in German or English. Problems in
a row leave that row out and are collected; problems with the file as a whole (it is
not text, it has no header, a required column or an id is missing or repeated) raise
:class:`CsvError` at once.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from kaffeeklatsch.lib.text import describe, forbidden_characters
from kaffeeklatsch.matching.languages import normalise_language
from kaffeeklatsch.matching.model import Location, Mode, PastGroup, Person, RoundResult, Slot

__all__ = [
    "CsvError",
    "CsvProblem",
    "PeopleTable",
    "parse_history",
    "parse_people",
    "read_history",
    "read_people",
    "write_groups",
]

# ---------------------------------------------------------------------------
# Problems and their messages

# Message templates by code: (English, German). Parameters are filled with str.format.
_MESSAGES: dict[str, tuple[str, str]] = {
    "not_text": (
        "the file is not a text file (CSV); save the table as CSV (UTF-8 or Windows) and try again",
        "die Datei ist keine Textdatei (CSV); bitte die Tabelle als CSV (UTF-8 oder "
        "Windows) speichern und erneut versuchen",
    ),
    "excel_workbook": (
        "this is an Excel workbook, not a CSV file; in Excel use "
        "“Save as” → “CSV UTF-8 (comma delimited)”",
        "das ist eine Excel-Arbeitsmappe, keine CSV-Datei; in Excel bitte "
        "„Speichern unter“ → „CSV UTF-8 (durch Trennzeichen getrennt)“ wählen",
    ),
    "encoding": (
        "the file is neither UTF-8 nor Windows-1252 text (byte {byte}); save it as CSV UTF-8",
        "die Datei ist weder UTF-8- noch Windows-1252-Text (Byte {byte}); "
        "bitte als CSV UTF-8 speichern",
    ),
    "empty": (
        "the file is empty",
        "die Datei ist leer",
    ),
    "unclosed_quote": (
        "a quotation mark opened in this line is never closed",
        "ein in dieser Zeile geöffnetes Anführungszeichen wird nie geschlossen",
    ),
    "bad_quote": (
        'a quotation mark inside a quoted cell must be doubled ("")',
        'ein Anführungszeichen in einer Zelle mit Anführungszeichen muss doppelt stehen ("")',
    ),
    "no_header": (
        "no known column names in the first line; expected at least {columns}",
        "keine bekannten Spaltennamen in der ersten Zeile; erwartet werden mindestens {columns_de}",
    ),
    "missing_column": (
        "a column “{column}” is required",
        "eine Spalte „{column_de}“ ist nötig",
    ),
    "duplicate_column": (
        "this column means the same as column “{other}”; keep only one of them",
        "diese Spalte bedeutet dasselbe wie Spalte „{other}“; bitte nur eine behalten",
    ),
    "no_rows": (
        "the file has a header but no people",
        "die Datei hat eine Kopfzeile, aber keine Personen",
    ),
    "duplicate_id": (
        "the id “{value}” is already used in line {first_line}",
        "die Kennung „{value}“ steht schon in Zeile {first_line}",
    ),
    "control_characters": (
        "the cell holds a line break, a tab or an invisible control character ({characters}); "
        "write it on one line without them",
        "die Zelle enthält einen Zeilenumbruch, einen Tabulator oder ein unsichtbares "
        "Steuerzeichen ({characters}); bitte in eine Zeile ohne diese Zeichen schreiben",
    ),
    "missing_value": (
        "this cell must not be empty",
        "diese Zelle darf nicht leer sein",
    ),
    "extra_cells": (
        "the row has more cells than the header ({cells} instead of {columns}); "
        "is a list missing its quotes?",
        "die Zeile hat mehr Zellen als die Kopfzeile ({cells} statt {columns}); "
        "fehlen bei einer Liste die Anführungszeichen?",
    ),
    "bad_email": (
        "“{value}” is not an e-mail address",
        "„{value}“ ist keine E-Mail-Adresse",
    ),
    "unknown_language": (
        "unknown language “{value}”; use a name such as German or Deutsch or an ISO code "
        "such as de",
        "unbekannte Sprache „{value}“; bitte einen Namen wie Deutsch oder German oder "
        "einen ISO-Code wie de angeben",
    ),
    "unknown_mode": (
        "unknown meeting mode “{value}”; use in person, online or either",
        "unbekannte Treffensart „{value}“; bitte vor Ort, online oder egal angeben",
    ),
    "unknown_location": (
        "cannot find the place “{value}”; use a German postcode, a town or coordinates "
        "such as 52.52, 13.405",
        "der Ort „{value}“ ist nicht zu finden; bitte eine Postleitzahl, einen Ort oder "
        "Koordinaten wie 52.52, 13.405 angeben",
    ),
    "unknown_blocked": (
        "the blocked id “{value}” is nobody in this file (neither an id nor an e-mail); "
        "a mistyped block would not protect anyone",
        "die blockierte Kennung „{value}“ gehört zu niemandem in dieser Datei (weder "
        "Kennung noch E-Mail); ein vertippter Block würde niemanden schützen",
    ),
    "unknown_timezone": (
        "unknown time zone “{value}”; use a name such as Europe/Berlin",
        "unbekannte Zeitzone „{value}“; bitte einen Namen wie Europe/Berlin angeben",
    ),
    "bad_availability": (
        "cannot read the availability “{value}”; write for instance Mo-Fr 9-12, Sa 10:30-12",
        "die Verfügbarkeit „{value}“ ist nicht lesbar; bitte zum Beispiel "
        "Mo-Fr 9-12, Sa 10:30-12 schreiben",
    ),
    "bad_flag": (
        "“{value}” is neither yes nor no",
        "„{value}“ ist weder ja noch nein",
    ),
    "bad_number": (
        "“{value}” is not a whole number of at least 1",
        "„{value}“ ist keine ganze Zahl ab 1",
    ),
    "bad_score": (
        "“{value}” is not a number",
        "„{value}“ ist keine Zahl",
    ),
    "duplicate_in_round": (
        "“{value}” is already in round {round} in line {first_line}",
        "„{value}“ ist schon in Zeile {first_line} in Runde {round}",
    ),
}


@dataclass(frozen=True)
class CsvProblem:
    """One problem in a CSV file: where it is and what is wrong.

    ``line`` is the line of the file as a spreadsheet numbers rows (the header is
    line 1; 0 for the file as a whole); ``column`` the column name as written in the
    file, or ``None`` when the problem is not in one cell. ``code`` names the kind of
    problem and ``params`` its details, so a user interface can render it itself.
    """

    line: int
    column: str | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        german = lang.lower().startswith("de")
        en, de = _MESSAGES.get(self.code, (self.code, self.code))
        params = {k: _display(v, german) for k, v in self.params.items()}
        try:
            message = (de if german else en).format(**params)
        except (KeyError, IndexError):
            message = de if german else en
        where = []
        if self.line > 0:
            where.append(f"Zeile {self.line}" if german else f"Line {self.line}")
        if self.column is not None:
            where.append(f"Spalte „{self.column}“" if german else f"column “{self.column}”")
        if not where:
            return message[:1].upper() + message[1:] + "."
        return ", ".join(where) + ": " + message + "."


def _display(value: Any, german: bool) -> str:
    if isinstance(value, list | tuple):
        sep = " oder " if german else " or "
        return sep.join((f"„{v}“" if german else f"“{v}”") for v in value)
    return str(value)


class CsvError(ValueError):
    """A CSV file that cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: Iterable[CsvProblem]) -> None:
        self.problems: list[CsvProblem] = list(problems)
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        return "\n".join(p.text(lang) for p in self.problems)

    def __str__(self) -> str:
        return self.text("en")


@dataclass
class PeopleTable:
    """The people of a file, the line each came from, and the rows that were left out."""

    people: list[Person]
    lines: list[int]
    problems: list[CsvProblem]


# ---------------------------------------------------------------------------
# Bytes to rows


def _decode(data: bytes) -> str:
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


def _rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
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


def _header_key(name: str) -> str:
    """A column name reduced to what distinguishes it: "E-Mail " -> "email"."""
    key = name.strip().casefold()
    key = key.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]", "", key)


def _aliases(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {_header_key(alias): field_ for field_, names in table.items() for alias in names}


_PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "kennung", "personen-id", "person id", "teilnehmer-id", "participant id"),
    "name": ("name", "full name", "vollständiger name", "teilnehmer", "participant"),
    "first_name": ("first name", "vorname", "given name"),
    "last_name": ("last name", "nachname", "surname", "familienname"),
    "email": ("email", "e-mail", "mail", "e-mail-adresse", "email address", "e-mail address"),
    "department": ("department", "abteilung", "bereich", "team"),
    "organisation": (
        "organisation",
        "organization",
        "org",
        "einrichtung",
        "träger",
        "firma",
        "company",
    ),
    "level": ("level", "ebene", "hierarchieebene", "stufe", "funktion"),
    "languages": ("languages", "language", "sprachen", "sprache"),
    "postcode": ("postcode", "postal code", "zip", "zip code", "plz", "postleitzahl"),
    "location": (
        "location",
        "ort",
        "standort",
        "place",
        "town",
        "city",
        "stadt",
        "wohnort",
        "arbeitsort",
    ),
    "mode": ("mode", "modus", "meeting mode", "treffen", "treffensart", "format"),
    "interests": ("interests", "interessen", "hobbys", "hobbies", "themen", "topics", "tags"),
    "blocked": ("blocked", "blockiert", "block", "blocked ids", "nicht mit", "not with"),
    "timezone": ("timezone", "time zone", "zeitzone", "tz"),
    "availability": ("availability", "available", "verfügbarkeit", "verfügbar", "zeiten", "times"),
    "new_joiner": (
        "new",
        "neu",
        "new joiner",
        "newcomer",
        "neu dabei",
        "neueinsteiger",
        "neuzugang",
    ),
}
_PEOPLE_ALIASES = _aliases(_PEOPLE_COLUMNS)

_HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "round": ("round", "runde"),
    "group": ("group", "gruppe"),
    "id": _PEOPLE_COLUMNS["id"],
    "score": ("score", "punkte", "punktzahl", "wertung"),
}
_HISTORY_ALIASES = _aliases(_HISTORY_COLUMNS)

# Columns holding a list, whose entries may be on lines of their own.
_LIST_COLUMNS = frozenset({"languages", "interests", "blocked", "availability"})

# Columns that stand in for a required one: first and last name make a name.
_ALTERNATIVES = {"name": ("name", "first_name", "last_name")}

# How messages name a required column, in English and German.
_TITLES = {
    "id": ("id", "ID"),
    "name": ("name", "Name"),
    "round": ("round", "Runde"),
    "group": ("group", "Gruppe"),
}


@dataclass
class _Table:
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


def _table(data: bytes, aliases: Mapping[str, str], required: Iterable[str]) -> _Table:
    """Decode, sniff the separator by which one makes the header known, map the columns."""
    text = _decode(data)
    if not text.strip():
        raise CsvError([CsvProblem(0, None, "empty", {})])
    best: tuple[int, int, str] = (-1, 0, ",")
    for delimiter in (",", ";", "\t"):
        try:
            first = _rows(_first_record(text), delimiter)
        except CsvError:  # quoting that only the right separator makes sense of
            continue
        header = first[0][1] if first else []
        known = sum(1 for cell in header if _header_key(cell) in aliases)
        candidate = (known, len(header), delimiter)
        if candidate[:2] > best[:2]:
            best = candidate
    known, _, delimiter = best
    rows = _rows(text, delimiter)
    header_line, header = rows[0]
    if known == 0:
        raise CsvError(
            [
                CsvProblem(
                    header_line,
                    None,
                    "no_header",
                    {
                        "columns": ", ".join(_TITLES[name][0] for name in required),
                        "columns_de": ", ".join(_TITLES[name][1] for name in required),
                    },
                )
            ]
        )
    found: dict[str, int] = {}
    problems: list[CsvProblem] = []
    for index, name in enumerate(header):
        field_ = aliases.get(_header_key(name))
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
            en, de = _TITLES[name]
            problems.append(
                CsvProblem(header_line, None, "missing_column", {"column": en, "column_de": de})
            )
    if problems:
        raise CsvError(problems)
    return _Table(found, header, rows[1:], header_line)


def _first_record(text: str) -> str:
    """The text up to the first line that is not blank (the header line)."""
    head: list[str] = []
    for line in io.StringIO(text, newline=""):
        head.append(line)
        if line.strip():
            break
    return "".join(head)


# ---------------------------------------------------------------------------
# Cells to values

_LIST_SPLIT = re.compile(r"\s*[,;|\n]\s*")
_LANGUAGE_SPLIT = re.compile(r"\s*(?:[,;/|+&\n]|\bund\b|\band\b)\s*", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def _split(cell: str, pattern: re.Pattern[str] = _LIST_SPLIT) -> list[str]:
    """The entries of a list cell, stripped, empty ones dropped, each once."""
    if not cell:
        return []
    parts = [part for part in pattern.split(cell) if part]
    if len(parts) > 1 and len(set(parts)) < len(parts):
        parts = list(dict.fromkeys(parts))
    return parts


def _mode_key(text: str) -> str:
    return " ".join(re.sub(r"[-_/]", " ", text.casefold()).split())


_MODES: dict[str, Mode] = {
    **{
        k: Mode.IN_PERSON
        for k in (
            "in person",
            "inperson",
            "person",
            "vor ort",
            "präsenz",
            "praesenz",
            "persönlich",
            "persoenlich",
            "offline",
            "face to face",
            "vor ort treffen",
            "in präsenz",
        )
    },
    **{
        k: Mode.ONLINE
        for k in (
            "online",
            "video",
            "remote",
            "virtuell",
            "virtual",
            "digital",
            "videocall",
            "videoanruf",
            "video call",
            "online video",
        )
    },
    **{
        k: Mode.EITHER
        for k in (
            "",
            "either",
            "egal",
            "beides",
            "both",
            "any",
            "flexibel",
            "flexible",
            "beliebig",
            "online oder vor ort",
            "vor ort oder online",
            "in person or online",
            "online or in person",
        )
    },
}


def parse_mode(text: str) -> Mode | None:
    """The meeting mode an organiser wrote, or ``None`` if it is none of them."""
    return _MODES.get(_mode_key(text))


_YES = {"1", "x", "ja", "j", "yes", "y", "true", "wahr", "neu", "new", "✓", "✔"}
_NO = {"", "0", "nein", "n", "no", "false", "falsch", "-"}


def _flag(text: str) -> bool | None:
    key = text.strip().casefold()
    if key in _YES:
        return True
    if key in _NO:
        return False
    return None


_DAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("mo", "mon", "montag", "monday"),
        ("di", "tu", "tue", "tues", "dienstag", "tuesday"),
        ("mi", "we", "wed", "mittwoch", "wednesday"),
        ("do", "th", "thu", "thur", "thurs", "donnerstag", "thursday"),
        ("fr", "fri", "freitag", "friday"),
        ("sa", "sat", "samstag", "sonnabend", "saturday"),
        ("so", "su", "sun", "sonntag", "sunday"),
    )
):
    for _name in _names:
        _DAYS[_name] = _number

_DAY = r"(?:" + "|".join(sorted(_DAYS, key=len, reverse=True)) + r")\.?"
_TIME = r"\d{1,2}(?:[:.]\d{2})?"
_AVAILABILITY_TOKEN = re.compile(
    rf"(?P<days>(?P<d1>{_DAY})(?:\s*[-–]\s*(?P<d2>{_DAY}))?)(?![a-zäöü])"
    rf"|(?P<times>(?P<t1>{_TIME})\s*(?:uhr\s*)?(?:-|–|bis|to)\s*(?P<t2>{_TIME})\s*(?:uhr|h)?)"
    r"|(?P<sep>[\s,;/&+]+|\bund\b|\band\b)",
    re.IGNORECASE,
)


def _minutes(text: str) -> int | None:
    hours, _, minutes = text.replace(".", ":").partition(":")
    value = int(hours) * 60 + (int(minutes) if minutes else 0)
    if value > 24 * 60 or (minutes and int(minutes) >= 60):
        return None
    return value


def parse_availability(
    text: str, timezone: str = "", today: date | None = None
) -> tuple[Slot, ...] | None:
    """Weekly windows from text such as "Mo-Fr 9-12, Sa 10:30-12:00" (German or English).

    A time range applies to the days written before it; a day without a time means
    the whole day. Times are in ``timezone`` (UTC when empty) and are turned into UTC
    with the offset of the week of ``today``. Returns ``None`` if the text cannot be read.
    """
    text = text.strip()
    if not text:
        return ()
    local: list[tuple[int, int, int]] = []
    days: list[int] = []
    timed = False
    position = 0
    while position < len(text):
        match = _AVAILABILITY_TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        position = match.end()
        if match.group("days"):
            first = _DAYS[match.group("d1").rstrip(".").lower()]
            last = _DAYS[(match.group("d2") or match.group("d1")).rstrip(".").lower()]
            span = (
                list(range(first, last + 1))
                if first <= last
                else list(range(first, 7)) + list(range(0, last + 1))
            )
            if timed:
                days, timed = [], False
            days.extend(d for d in span if d not in days)
        elif match.group("times"):
            start, end = _minutes(match.group("t1")), _minutes(match.group("t2"))
            if not days or start is None or end is None or start >= end:
                return None
            local.extend((day, start, end) for day in days)
            timed = True
    if days and not timed:
        local.extend((day, 0, 24 * 60) for day in days)
    if not local:
        return None
    offset = _utc_offset_minutes(timezone, today)
    week = 7 * 24 * 60
    slots: set[Slot] = set()
    for day, start, end in local:
        begin = (day * 24 * 60 + start - offset) % week
        length = end - start
        while length > 0:
            weekday, minute = divmod(begin, 24 * 60)
            piece = min(length, 24 * 60 - minute)
            slots.add(Slot(weekday, minute, minute + piece))
            begin = (begin + piece) % week
            length -= piece
    return tuple(sorted(slots, key=lambda s: (s.weekday, s.start, s.end)))


def _utc_offset_minutes(timezone: str, today: date | None) -> int:
    if not timezone:
        return 0
    day = today or date.today()
    # The Wednesday of that week at noon: away from the night a clock changes.
    noon = datetime(day.year, day.month, day.day, 12) + timedelta(days=2 - day.weekday())
    offset = noon.replace(tzinfo=zoneinfo.ZoneInfo(timezone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _valid_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _resolve_location(text: str) -> Location | None:
    from kaffeeklatsch.matching.geo import resolve_location

    return resolve_location(text)


# ---------------------------------------------------------------------------
# People


def parse_people(data: bytes, *, today: date | None = None) -> PeopleTable:
    """The people of a PEOPLE.csv file's bytes.

    Rows with a problem are left out of ``people`` and described in ``problems``;
    a file that cannot be read at all, or lacks an id or name column, or repeats an id,
    raises :class:`CsvError`. ``today`` fixes the week whose daylight saving time turns
    local availability into UTC (by default the current week).
    """
    table = _table(data, _PEOPLE_ALIASES, ("id", "name"))
    if not table.rows:
        raise CsvError([CsvProblem(table.header_line, None, "no_rows", {})])

    # Ids first: a repeated id makes the whole file ambiguous (history and blocks refer
    # to ids), and blocks may name anybody in the file.
    first_line: dict[str, int] = {}
    duplicates: list[CsvProblem] = []
    emails: dict[str, str] = {}
    for line, cells in table.rows:
        person_id = table.cell(cells, "id")
        if not person_id:
            continue
        if person_id in first_line:
            duplicates.append(
                CsvProblem(
                    line,
                    table.column("id"),
                    "duplicate_id",
                    {"value": person_id, "first_line": first_line[person_id]},
                )
            )
        else:
            first_line[person_id] = line
            email = table.cell(cells, "email").casefold()
            if email:
                emails.setdefault(email, person_id)
    if duplicates:
        raise CsvError(duplicates)

    reader = _PeopleReader(table, first_line, emails, today)
    people: list[Person] = []
    lines: list[int] = []
    problems: list[CsvProblem] = []
    for line, cells in table.rows:
        person, row_problems = reader.person(line, cells)
        if row_problems:
            problems.extend(row_problems)
        elif person is not None:
            people.append(person)
            lines.append(line)
    return PeopleTable(people, lines, problems)


class _PeopleReader:
    """Turns rows into people. Cells that repeat (towns, languages, modes, interests) are
    read once per file: a federation's file has a million rows but few distinct values."""

    def __init__(
        self, table: _Table, ids: Mapping[str, int], emails: Mapping[str, str], today: date | None
    ) -> None:
        self.table = table
        self.ids = ids
        self.emails = emails
        self.today = today
        self.fields = list(table.columns.items())
        self.width = len(table.names)
        self.languages: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.modes: dict[str, Mode | None] = {}
        self.places: dict[str, Location | None] = {}
        self.interests: dict[str, tuple[str, ...]] = {}
        self.availability: dict[tuple[str, str], tuple[Slot, ...] | None] = {}
        self.timezones: dict[str, bool] = {}

    def person(self, line: int, cells: list[str]) -> tuple[Person | None, list[CsvProblem]]:
        table = self.table
        problems: list[CsvProblem] = []
        size = len(cells)
        values = {name: cells[i] if i < size else "" for name, i in self.fields}

        def get(name: str) -> str:
            return values.get(name, "")

        def problem(name: str | None, code: str, **params: Any) -> None:
            column = table.column(name) if name else None
            problems.append(CsvProblem(line, column, code, params))

        if size > self.width and any(cells[self.width :]):
            problem(None, "extra_cells", cells=size - _trailing_empty(cells), columns=self.width)

        # Every value becomes a one-line text (a name in an e-mail's subject, a place
        # in a calendar entry): a cell with a line break or a hidden control refuses
        # the row. In a list cell a line break separates entries (Alt+Enter in Excel).
        # Most cells are printable; only the others are looked at closely.
        for name, value in values.items():
            if value and not value.isprintable():
                if name in _LIST_COLUMNS:
                    value = value.replace("\r", "").replace("\n", "")
                found = forbidden_characters(value)
                if found:
                    problem(name, "control_characters", characters=describe(found))

        person_id, email = get("id"), get("email")
        name = get("name") or " ".join(p for p in (get("first_name"), get("last_name")) if p)
        if not person_id:
            problem("id", "missing_value")
        if not name:
            problem("name" if "name" in table.columns else "last_name", "missing_value")
        if email and not _EMAIL.match(email):
            problem("email", "bad_email", value=email)

        cell = get("languages")
        if cell not in self.languages:
            self.languages[cell] = _languages(cell)
        languages, unknown = self.languages[cell]
        for text in unknown:
            problem("languages", "unknown_language", value=text)

        cell = get("mode")
        if cell not in self.modes:
            self.modes[cell] = parse_mode(cell)
        mode = self.modes[cell]
        if mode is None:
            problem("mode", "unknown_mode", value=cell)

        location = None
        place = " ".join(part for part in (get("postcode"), get("location")) if part)
        if place:
            if place not in self.places:
                self.places[place] = _resolve_location(place)
            location = self.places[place]
            if location is None:
                column = "location" if get("location") else "postcode"
                problem(column, "unknown_location", value=place)

        blocked: list[str] = []
        for entry in _blocked_entries(get("blocked"), self.ids, self.emails):
            target = entry if entry in self.ids else self.emails.get(entry.casefold())
            if target is None:
                problem("blocked", "unknown_blocked", value=entry)
            elif target != person_id and target not in blocked:
                blocked.append(target)

        timezone = get("timezone")
        if timezone and timezone not in self.timezones:
            self.timezones[timezone] = _valid_timezone(timezone)
        if timezone and not self.timezones[timezone]:
            problem("timezone", "unknown_timezone", value=timezone)
            key = (get("availability"), "")
        else:
            key = (get("availability"), timezone)
        if key not in self.availability:
            self.availability[key] = parse_availability(key[0], key[1], self.today)
        availability = self.availability[key]
        if availability is None:
            problem("availability", "bad_availability", value=key[0])

        new_joiner = _flag(get("new_joiner"))
        if new_joiner is None:
            problem("new_joiner", "bad_flag", value=get("new_joiner"))

        cell = get("interests")
        if cell not in self.interests:
            self.interests[cell] = tuple(_split(cell))

        if problems:
            return None, problems
        return Person(
            id=person_id,
            name=name,
            email=email,
            department=get("department"),
            organisation=get("organisation"),
            level=get("level"),
            languages=languages,
            location=location,
            mode=mode or Mode.EITHER,
            interests=self.interests[cell],
            blocked=tuple(blocked),
            timezone=timezone,
            availability=availability or (),
            new_joiner=bool(new_joiner),
        ), []


def _languages(cell: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ISO codes of a languages cell, and the entries that are no language."""
    codes: list[str] = []
    unknown: list[str] = []
    for text in _split(cell, _LANGUAGE_SPLIT):
        code = normalise_language(text)
        if code is None:
            unknown.append(text)
        elif code not in codes:
            codes.append(code)
    return tuple(codes), tuple(unknown)


def _blocked_entries(cell: str, ids: Mapping[str, int], emails: Mapping[str, str]) -> list[str]:
    """Ids or e-mail addresses in a blocked cell: separated by commas, semicolons or (for
    entries that are not themselves an id, as an id may contain a space) spaces."""
    entries: list[str] = []
    for entry in _split(cell):
        if entry in ids or entry.casefold() in emails:
            entries.append(entry)
        else:
            entries.extend(entry.split())
    return entries


def _trailing_empty(cells: list[str]) -> int:
    count = 0
    for cell in reversed(cells):
        if cell:
            break
        count += 1
    return count


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    return Path(path).read_bytes()


def read_people(path: str | os.PathLike[str]) -> list[Person]:
    """The people of a PEOPLE.csv file; raises :class:`CsvError` on any problem at all."""
    table = parse_people(_read_bytes(path))
    if table.problems:
        raise CsvError(table.problems)
    return table.people


# ---------------------------------------------------------------------------
# Groups: written by one round, read back as the next round's history


GROUP_COLUMNS = ("round", "group", "id", "name", "email", "mode", "score", "reasons", "partners")

_MODE_TEXT = {
    Mode.IN_PERSON: ("in person", "vor Ort"),
    Mode.ONLINE: ("online", "online"),
    Mode.EITHER: ("either", "egal"),
}


def _number_text(value: float, german: bool) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", ",") if german else text


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_groups(
    file_or_path: str | os.PathLike[str] | IO[str],
    result: RoundResult,
    people: Mapping[str, Person],
    lang: str = "en",
) -> None:
    """Write a round as GROUPS.csv: one row per person, left-out people with no group.

    German (``lang="de"``) writes what German Excel opens directly: semicolons and a
    decimal comma; English writes commas and a decimal point. A path gets UTF-8 with a
    byte order mark (so Excel recognises UTF-8); a text file object gets the text as is.
    :func:`read_history` reads either back into the round's groups.
    """
    german = lang.lower().startswith("de")
    if isinstance(file_or_path, str | os.PathLike):
        with open(file_or_path, "w", encoding="utf-8-sig", newline="") as handle:
            _write_groups(handle, result, people, german)
    else:
        _write_groups(file_or_path, result, people, german)


def _write_groups(
    handle: IO[str], result: RoundResult, people: Mapping[str, Person], german: bool
) -> None:
    lang = "de" if german else "en"
    writer = csv.writer(handle, delimiter=";" if german else ",", lineterminator="\r\n")
    writer.writerow(GROUP_COLUMNS)

    def person(person_id: str) -> Person:
        return people.get(person_id) or Person(id=person_id)

    for number, group in enumerate(result.groups, start=1):
        reasons = group.explain(lang)
        for member in group.members:
            who = person(member)
            partners = ", ".join(
                person(other).name or other for other in group.members if other != member
            )
            writer.writerow(
                [
                    result.round,
                    number,
                    member,
                    _safe(who.name),
                    _safe(who.email),
                    _MODE_TEXT[group.mode][german],
                    _number_text(group.score, german),
                    _safe(reasons),
                    _safe(partners),
                ]
            )
    for left in result.left_out:
        who = person(left.person)
        writer.writerow(
            [
                result.round,
                "",
                left.person,
                _safe(who.name),
                _safe(who.email),
                "",
                "",
                _safe(left.reason.text(lang)),
                "",
            ]
        )


def parse_history(data: bytes) -> list[PastGroup]:
    """The groups of a GROUPS.csv file's bytes; raises :class:`CsvError` on any problem.

    Rows with the same round and group form one group; a row with an empty group is a
    person left out of that round (``PastGroup(left_out=True)``).
    """
    table = _table(data, _HISTORY_ALIASES, ("round", "group", "id"))
    problems: list[CsvProblem] = []
    groups: dict[tuple[int, str], list[str]] = {}
    scores: dict[tuple[int, str], float | None] = {}
    left_out: list[PastGroup] = []
    seen: dict[tuple[int, str], int] = {}
    for line, cells in table.rows:
        round_text = table.cell(cells, "round")
        group = table.cell(cells, "group")
        person_id = table.cell(cells, "id")
        score_text = table.cell(cells, "score")
        row: list[CsvProblem] = []
        number = int(round_text) if re.fullmatch(r"\d+", round_text) else 0
        if number < 1:
            code = "missing_value" if not round_text else "bad_number"
            row.append(CsvProblem(line, table.column("round"), code, {"value": round_text}))
        if not person_id:
            row.append(CsvProblem(line, table.column("id"), "missing_value", {}))
        score: float | None = None
        if score_text:
            try:
                score = float(score_text.replace(",", "."))
            except ValueError:
                row.append(
                    CsvProblem(line, table.column("score"), "bad_score", {"value": score_text})
                )
        if not row and (number, person_id) in seen:
            row.append(
                CsvProblem(
                    line,
                    table.column("id"),
                    "duplicate_in_round",
                    {"value": person_id, "round": number, "first_line": seen[number, person_id]},
                )
            )
        if row:
            problems.extend(row)
            continue
        seen[number, person_id] = line
        if not group:
            left_out.append(PastGroup(number, (person_id,), None, left_out=True))
            continue
        key = (number, group)
        groups.setdefault(key, []).append(person_id)
        if scores.get(key) is None:
            scores[key] = score
    if problems:
        raise CsvError(problems)
    past = [
        PastGroup(number, tuple(members), scores.get((number, group)))
        for (number, group), members in groups.items()
    ]
    return sorted(past + left_out, key=lambda g: g.round)


def read_history(path: str | os.PathLike[str]) -> list[PastGroup]:
    """The groups of a GROUPS.csv file (see :func:`parse_history`)."""
    return parse_history(_read_bytes(path))
