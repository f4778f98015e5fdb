"""PEOPLE.csv: the people of a round as organisers keep them in a spreadsheet.

Columns, recognised in English or German in any case and spelling of spaces and
hyphens (others are ignored): ``id``/``ID`` and ``name``/``Name`` (or ``first
name``/``Vorname`` and ``last name``/``Nachname``) are required; optional are
``email``/``E-Mail``, ``department``/``Abteilung``, ``organisation``/``Organisation``
(also ``organization``), ``level``/``Ebene``, ``languages``/``Sprachen`` (ISO codes or
names, "Deutsch, Türkisch"), ``postcode``/``PLZ`` and ``location``/``Ort`` (a German
postcode, a town or coordinates), ``mode``/``Modus`` (in person/vor Ort/Präsenz,
online/video, either/egal or empty), ``interests``/``Interessen``, ``blocked``/
``Blockiert`` (ids or e-mail addresses of people in the file), ``timezone``/``Zeitzone``
(IANA names such as Europe/Berlin), ``availability``/``Verfügbarkeit`` ("Mo-Fr 9-12,
Sa 10:30-12" in the person's time zone), ``new``/``Neu`` (yes/no, ja/nein) and
``max distance km``/``Entfernung`` (how far the person can go to meet, in km).
``phone``/``Telefon`` and ``address``/``Adresse`` (street and number) are no business of
the matching; they are read into :attr:`PeopleTable.contacts` for whoever stores people.
Lists in a cell are separated by commas (in a comma-separated file the cell is quoted).

Organisers' own lists rarely have an id column: with ``ids_required=False`` the id is
optional, a person without one gets ``line-<line>``, and a repeated id leaves out the
repeating row instead of refusing the file.

Each column (or pair of columns read together) has its parser in
:data:`_COLUMN_PARSERS`; a row with a problem is left out and its problems collected.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kaffeeklatsch.matching.csvio import cells
from kaffeeklatsch.matching.csvio.decoding import Table, aliases, read_table
from kaffeeklatsch.matching.csvio.messages import CsvError, CsvProblem
from kaffeeklatsch.matching.model import Location, Mode, Person, Slot
from kaffeeklatsch.matching.text import describe, forbidden_characters

PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
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
    "phone": (
        "phone",
        "telephone",
        "phone number",
        "mobile",
        "telefon",
        "telefonnummer",
        "tel",
        "handy",
        "mobil",
        "mobilnummer",
    ),
    "address": (
        "address",
        "postal address",
        "street",
        "adresse",
        "anschrift",
        "postanschrift",
        "straße",
        "strasse",
        "straße und hausnummer",
    ),
    "max_distance_km": (
        "max distance km",
        "max distance",
        "entfernung",
        "max entfernung",
        "entfernung km",
    ),
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
PEOPLE_ALIASES = aliases(PEOPLE_COLUMNS)

# Columns holding a list, whose entries may be on lines of their own.
_LIST_COLUMNS = frozenset({"languages", "interests", "blocked", "availability"})


@dataclass(frozen=True)
class Contact:
    """How a person is reached outside the matching: phone and postal address as written
    (the address with the postcode and place of the row below the street)."""

    phone: str = ""
    address: str = ""


@dataclass
class PeopleTable:
    """The people of a file, the line each came from, and the rows that were left out.

    ``contacts`` are parallel to ``people``; ``column_names`` holds the name of each
    field's column and ``ignored`` the names of the columns no field is read from, as
    written in the file."""

    people: list[Person]
    lines: list[int]
    problems: list[CsvProblem]
    contacts: list[Contact] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    column_names: dict[str, str] = field(default_factory=dict)


def parse_people(
    data: bytes, *, today: date | None = None, ids_required: bool = True
) -> PeopleTable:
    """The people of a PEOPLE.csv file's bytes.

    Rows with a problem are left out of ``people`` and described in ``problems``;
    a file that cannot be read at all, or lacks a name column, raises
    :class:`CsvError`. With ``ids_required`` (the command line, whose history refers to
    ids) a missing id column or a repeated id raises too; without it a person without an
    id gets ``line-<line>`` and a repeated id is a problem of the repeating row.
    ``today`` fixes the week whose daylight saving time turns local availability into
    UTC (by default the current week).
    """
    required = ("id", "name") if ids_required else ("name",)
    table = read_table(data, PEOPLE_ALIASES, required)
    if not table.rows:
        raise CsvError([CsvProblem(table.header_line, None, "no_rows", {})])
    first_line, emails, repeated = _ids_and_emails(table, ids_required)
    reader = _PeopleReader(table, first_line, emails, today, ids_required)
    people: list[Person] = []
    lines: list[int] = []
    contacts: list[Contact] = []
    problems: list[CsvProblem] = []
    for line, row in table.rows:
        person, row_problems = reader.person(line, row)
        if line in repeated:
            row_problems = [repeated[line], *row_problems]
        if row_problems:
            problems.extend(row_problems)
        elif person is not None:
            people.append(person)
            lines.append(line)
            contacts.append(reader.contact(row))
    ignored = [
        name
        for index, name in enumerate(table.names)
        if name.strip() and index not in table.columns.values()
    ]
    names = {name: table.names[index] for name, index in table.columns.items()}
    return PeopleTable(people, lines, problems, contacts, ignored, names)


def _ids_and_emails(
    table: Table, ids_required: bool = True
) -> tuple[dict[str, int], dict[str, str], dict[int, CsvProblem]]:
    """The line of each id, the id of each e-mail address (the first one's), and the
    problem of each line that repeats an id.

    Ids come first: blocks may name anybody in the file. With ``ids_required`` a
    repeated id makes the whole file ambiguous (history and blocks refer to ids) and
    raises :class:`CsvError`; otherwise only the repeating row is refused.
    """
    first_line: dict[str, int] = {}
    duplicates: list[CsvProblem] = []
    emails: dict[str, str] = {}
    for line, row in table.rows:
        person_id = table.cell(row, "id") or ("" if ids_required else _line_id(line))
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
            email = table.cell(row, "email").casefold()
            if email:
                emails.setdefault(email, person_id)
    if duplicates and ids_required:
        raise CsvError(duplicates)
    return first_line, emails, {problem.line: problem for problem in duplicates}


def _phone(cell: str) -> str:
    """A phone number without the apostrophe that spreadsheets (and our own exports) put
    before "+49 …" so that it is not taken for a formula."""
    return cell[1:].strip() if cell.startswith("'") else cell


def _line_id(line: int) -> str:
    return f"line-{line}"


class _Row:
    """The cells of one row by field, and the problems found in it so far."""

    def __init__(self, table: Table, line: int, values: dict[str, str]) -> None:
        self.table = table
        self.line = line
        self.values = values
        self.problems: list[CsvProblem] = []

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def problem(self, name: str | None, code: str, **params: Any) -> None:
        column = self.table.column(name) if name else None
        self.problems.append(CsvProblem(self.line, column, code, params))


class _PeopleReader:
    """Turns rows into people. Cells that repeat (towns, languages, modes, interests) are
    read once per file: a federation's file has a million rows but few distinct values."""

    def __init__(
        self,
        table: Table,
        ids: Mapping[str, int],
        emails: Mapping[str, str],
        today: date | None,
        ids_required: bool = True,
    ) -> None:
        self.table = table
        self.ids_required = ids_required
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

    def person(self, line: int, row: list[str]) -> tuple[Person | None, list[CsvProblem]]:
        """The person of a row, or its problems."""
        size = len(row)
        current = _Row(
            self.table, line, {name: row[i] if i < size else "" for name, i in self.fields}
        )
        if size > self.width and any(row[self.width :]):
            current.problem(
                None, "extra_cells", cells=size - _trailing_empty(row), columns=self.width
            )
        _check_one_line(current)
        fields: dict[str, Any] = {}
        for parse in _COLUMN_PARSERS:
            fields.update(parse(self, current))
        if current.problems:
            return None, current.problems
        return Person(**fields), []

    def contact(self, cells_of_row: list[str]) -> Contact:
        """Phone and postal address of a row that was read without problems."""
        table = self.table
        street = table.cell(cells_of_row, "address")
        town = " ".join(
            part for part in (table.cell(cells_of_row, n) for n in ("postcode", "location")) if part
        )
        address = "\n".join(part for part in (street, town) if part) if street else ""
        return Contact(_phone(table.cell(cells_of_row, "phone")), address)

    def identity(self, row: _Row) -> dict[str, Any]:
        person_id, email = row.get("id"), row.get("email")
        name = row.get("name") or " ".join(
            p for p in (row.get("first_name"), row.get("last_name")) if p
        )
        if not person_id and not self.ids_required:
            person_id = _line_id(row.line)
        if not person_id:
            row.problem("id", "missing_value")
        if not name:
            row.problem("name" if "name" in self.table.columns else "last_name", "missing_value")
        if email and not cells.EMAIL.match(email):
            row.problem("email", "bad_email", value=email)
        phone = _phone(row.get("phone"))
        if phone and not cells.PHONE.match(phone):
            row.problem("phone", "bad_phone", value=phone)
        return {
            "id": person_id,
            "name": name,
            "email": email,
            "department": row.get("department"),
            "organisation": row.get("organisation"),
            "level": row.get("level"),
        }

    def language_list(self, row: _Row) -> dict[str, Any]:
        cell = row.get("languages")
        if cell not in self.languages:
            self.languages[cell] = cells.languages(cell)
        languages, unknown = self.languages[cell]
        for text in unknown:
            row.problem("languages", "unknown_language", value=text)
        return {"languages": languages}

    def mode(self, row: _Row) -> dict[str, Any]:
        cell = row.get("mode")
        if cell not in self.modes:
            self.modes[cell] = cells.parse_mode(cell)
        mode = self.modes[cell]
        if mode is None:
            row.problem("mode", "unknown_mode", value=cell)
        return {"mode": mode or Mode.EITHER}

    def location(self, row: _Row) -> dict[str, Any]:
        place = " ".join(part for part in (row.get("postcode"), row.get("location")) if part)
        if not place:
            return {"location": None}
        if place not in self.places:
            self.places[place] = cells.resolve_place(place)
        location = self.places[place]
        if location is None:
            column = "location" if row.get("location") else "postcode"
            row.problem(column, "unknown_location", value=place)
        return {"location": location}

    def blocked(self, row: _Row) -> dict[str, Any]:
        person_id = row.get("id")
        blocked: list[str] = []
        for entry in cells.blocked_entries(row.get("blocked"), self.ids, self.emails):
            target = entry if entry in self.ids else self.emails.get(entry.casefold())
            if target is None:
                row.problem("blocked", "unknown_blocked", value=entry)
            elif target != person_id and target not in blocked:
                blocked.append(target)
        return {"blocked": tuple(blocked)}

    def times(self, row: _Row) -> dict[str, Any]:
        """Time zone and availability, read together: times are in the person's zone."""
        timezone = row.get("timezone")
        if timezone and timezone not in self.timezones:
            self.timezones[timezone] = cells.valid_timezone(timezone)
        if timezone and not self.timezones[timezone]:
            row.problem("timezone", "unknown_timezone", value=timezone)
            key = (row.get("availability"), "")
        else:
            key = (row.get("availability"), timezone)
        if key not in self.availability:
            self.availability[key] = cells.parse_availability(key[0], key[1], self.today)
        availability = self.availability[key]
        if availability is None:
            row.problem("availability", "bad_availability", value=key[0])
        return {"timezone": timezone, "availability": availability or ()}

    def new_joiner(self, row: _Row) -> dict[str, Any]:
        new_joiner = cells.flag(row.get("new_joiner"))
        if new_joiner is None:
            row.problem("new_joiner", "bad_flag", value=row.get("new_joiner"))
        return {"new_joiner": bool(new_joiner)}

    def max_distance(self, row: _Row) -> dict[str, Any]:
        cell = row.get("max_distance_km")
        if not cell:
            return {"max_distance_km": None}
        km = cells.distance_km(cell)
        if km is None:
            row.problem("max_distance_km", "bad_distance", value=cell)
        return {"max_distance_km": km}

    def interest_list(self, row: _Row) -> dict[str, Any]:
        cell = row.get("interests")
        if cell not in self.interests:
            self.interests[cell] = tuple(cells.split(cell))
        return {"interests": self.interests[cell]}


# The parsers of a row's columns, in the order their problems are reported; each
# gives fields of the :class:`Person`.
_COLUMN_PARSERS: tuple[Callable[[_PeopleReader, _Row], dict[str, Any]], ...] = (
    _PeopleReader.identity,
    _PeopleReader.language_list,
    _PeopleReader.mode,
    _PeopleReader.location,
    _PeopleReader.blocked,
    _PeopleReader.times,
    _PeopleReader.new_joiner,
    _PeopleReader.max_distance,
    _PeopleReader.interest_list,
)


def _check_one_line(row: _Row) -> None:
    """Every value becomes a one-line text (a name in an e-mail's subject, a place in a
    calendar entry): a cell with a line break or a hidden control refuses the row. In a
    list cell a line break separates entries (Alt+Enter in Excel). Most cells are
    printable; only the others are looked at closely."""
    for name, value in row.values.items():
        if value and not value.isprintable():
            if name in _LIST_COLUMNS:
                value = value.replace("\r", "").replace("\n", "")
            found = forbidden_characters(value)
            if found:
                row.problem(name, "control_characters", characters=describe(found))


def _trailing_empty(row: list[str]) -> int:
    count = 0
    for cell in reversed(row):
        if cell:
            break
        count += 1
    return count


def read_people(path: str | os.PathLike[str]) -> list[Person]:
    """The people of a PEOPLE.csv file; raises :class:`CsvError` on any problem at all."""
    table = parse_people(Path(path).read_bytes())
    if table.problems:
        raise CsvError(table.problems)
    return table.people
