"""Adding many people at once from a CSV file, with the engine's CSV reader.

The organiser first sees a preview (every person to be added, every rejected row
with its reason); on confirmation all accepted people are added in one transaction.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kaffeeklatsch.lib import csvfiles
from kaffeeklatsch.matching.csvio import PEOPLE_COLUMNS, Contact, CsvError, parse_people
from kaffeeklatsch.matching.model import Person
from kaffeeklatsch.notifications.emails import queue_welcome
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme

# Fields of the engine's reader that a participant does not keep: the product works
# out itself who is new, and times are kept in UTC.
NOT_STORED = frozenset({"new_joiner"})


@dataclass
class Rejected:
    """A row left out, with every reason in one text."""

    line: int
    text: str


@dataclass(frozen=True)
class Row:
    """A row that will become a participant."""

    line: int
    person: Person
    contact: Contact


@dataclass
class ImportPreview:
    accepted: list[Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    error: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    columns: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.accepted)

    @property
    def fingerprint(self) -> str:
        """Names what this preview would add, so a confirmation adds exactly that."""
        digest = hashlib.sha256()
        for row in self.accepted:
            person = row.person
            digest.update(
                f"{row.line}\0{person.id}\0{person.email}\0{person.name}\0{row.contact.phone}\n".encode()
            )
        return digest.hexdigest()[:32]


class PreviewChanged(ValueError):
    """The file would now add other people than the preview the organiser confirmed."""


def _digits(phone: str) -> str:
    """A phone number reduced to compare: +49 221 …, 0049 221 … and 0221 … are the same
    (a national number without country code is taken as German)."""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return "49" + digits[1:]
    return digits


def _keys(name: str, email: str, phone: str, place: str) -> list[tuple[str, ...]]:
    """What makes a row the same person as another: the e-mail address, else the name
    with the phone number or with the place."""
    if email:
        return [("email", email.strip().casefold())]
    name = " ".join(name.casefold().split())
    keys: list[tuple[str, ...]] = []
    if _digits(phone):
        keys.append(("phone", name, _digits(phone)))
    if place:
        keys.append(("place", name, place.casefold()))
    return keys


class _Known:
    """People already in the programme, found by the keys of :func:`_keys`."""

    def __init__(self, programme: Programme) -> None:
        self.keys: set[tuple[str, ...]] = set()
        for name, email, phone, place in programme.participants.values_list(
            "name", "email", "phone", "place"
        ):
            self.keys.update(_keys(name, email, phone, place))
            if email:
                # Someone with an address is the same person as a row with their name
                # and phone or place but without the address.
                self.keys.update(_keys(name, "", phone, place))

    def has(self, keys: list[tuple[str, ...]]) -> bool:
        return any(key in self.keys for key in keys)


def preview(programme: Programme, data: bytes) -> ImportPreview:
    """What importing the file would do: every row that becomes a participant, every
    row left out with all its reasons (one entry per row), and the columns not read."""
    lang = (get_language() or "en")[:2]
    result = ImportPreview()
    try:
        table = parse_people(data, ids_required=False)
    except CsvError as exc:
        result.error = [p.text(lang) for p in exc.problems]
        return result
    result.columns = frozenset(table.column_names)
    result.ignored = [
        *table.ignored,
        *(table.column_names[name] for name in sorted(NOT_STORED & result.columns)),
    ]
    reasons: dict[int, list[str]] = defaultdict(list)
    for problem in table.problems:
        reasons[problem.line].append(problem.text(lang))
    known = _Known(programme)
    first_line: dict[tuple[str, ...], int] = {}
    for line, person, contact in zip(table.lines, table.people, table.contacts, strict=True):
        email = person.email.strip().lower()
        place = person.location.label if person.location else ""
        keys = _keys(person.name, email, contact.phone, place)
        repeated = next((first_line[k] for k in keys if k in first_line), None)
        if email and known.has(keys):
            reasons[line].append(
                _("Line %(line)s: %(email)s is already taking part.")
                % {"line": line, "email": email}
            )
        elif known.has(keys):
            reasons[line].append(
                _("Line %(line)s: %(name)s is already taking part.")
                % {"line": line, "name": person.name}
            )
        elif email and not programme.email_allowed(email):
            reasons[line].append(
                _("Line %(line)s: %(email)s is not an allowed address for this programme.")
                % {"line": line, "email": email}
            )
        elif repeated is not None:
            reasons[line].append(
                _("Line %(line)s repeats the person of line %(first)s.")
                % {"line": line, "first": repeated}
            )
        else:
            for key in keys:
                first_line.setdefault(key, line)
            result.accepted.append(Row(line, person, contact))
    result.rejected = [Rejected(line, " ".join(reasons[line])) for line in sorted(reasons)]
    return result


def import_people(
    programme: Programme, data: bytes, fingerprint: str | None = None
) -> list[Participant]:
    """Adds every accepted person of the file, all or none, and welcomes them by e-mail.

    With ``fingerprint`` (of the preview the organiser saw), nothing is added unless the
    file would add exactly those people now: someone may have joined in between with an
    address of the file. The check and the import hold the programme's row lock, so two
    confirmations of the same file cannot both add it.
    """
    created: dict[str, Participant] = {}
    with transaction.atomic():
        Programme.objects.select_for_update().filter(pk=programme.pk).first()
        result = preview(programme, data)
        if not result.ok:
            raise ValueError("nothing to import")
        if fingerprint is not None and fingerprint != result.fingerprint:
            raise PreviewChanged("the preview changed")
        columns = result.columns
        for row in result.accepted:
            person, contact = row.person, row.contact
            location = person.location
            participant = Participant(
                programme=programme,
                name=person.name[:120],
                email=person.email.strip().lower(),
                department=person.department[:120],
                organisation=person.organisation[:120],
                level=person.level[:80],
                languages=list(person.languages),
                place=(location.label if location else "")[:120],
                latitude=location.lat if location else None,
                longitude=location.lon if location else None,
                mode=person.mode.value,
                interests=list(person.interests),
                availability=[[s.weekday, s.start, s.end] for s in person.availability],
                language=programme.language,
                external_id=person.id[:120] if "id" in columns else "",
                added_by_organiser=True,
                phone=contact.phone[:40],
                postal_address=contact.address[:400],
                reached_by=_reached_by(person.email, contact),
            )
            participant.activate()
            participant.save()
            created[person.id] = participant
        for row in result.accepted:
            person = row.person
            targets = [created[b] for b in person.blocked if b in created]
            if targets:
                created[person.id].blocked.add(*targets)
        for participant in created.values():
            if participant.email:
                queue_welcome(participant)
    return list(created.values())


def _reached_by(email: str, contact: Contact) -> str:
    """By e-mail where there is an address; without one the organiser reaches them, by
    phone where a number is known (or nothing at all is), else by post."""
    if email.strip():
        return Participant.ReachedBy.EMAIL
    if contact.address and not contact.phone:
        return Participant.ReachedBy.POST
    return Participant.ReachedBy.PHONE


@dataclass(frozen=True)
class Column:
    """A column the import understands: its name in English and German (any of the
    reader's other spellings are understood too) and what to write in it."""

    field: str
    english: str
    german: str
    help: str | Promise

    def name(self, language: str | None) -> str:
        return self.german if (language or "").startswith("de") else self.english

    @property
    def also(self) -> list[str]:
        """Other names this column may have."""
        shown = {self.english.casefold(), self.german.casefold()}
        return [n for n in PEOPLE_COLUMNS[self.field] if n.casefold() not in shown][:3]


COLUMNS = (
    Column("name", "Name", "Name", gettext_lazy("Required (or first and last name).")),
    Column("email", "Email", "E-Mail", gettext_lazy("Matches people already taking part.")),
    Column(
        "phone",
        "Phone",
        "Telefon",
        gettext_lazy("People without e-mail are reached by phone at this number."),
    ),
    Column(
        "address",
        "Address",
        "Adresse",
        gettext_lazy("Street and number, for letters to people without e-mail."),
    ),
    Column("postcode", "Postcode", "PLZ", gettext_lazy("A German postcode.")),
    Column("location", "Place", "Ort", gettext_lazy("A town, or coordinates.")),
    Column("department", "Department", "Abteilung", gettext_lazy("Any text.")),
    Column("organisation", "Organisation", "Organisation", gettext_lazy("Any text.")),
    Column("level", "Level", "Ebene", gettext_lazy("Any text, such as Team lead.")),
    Column(
        "languages",
        "Languages",
        "Sprachen",
        gettext_lazy("Names or codes, separated by commas: German, Turkish."),
    ),
    Column(
        "mode",
        "Mode",
        "Modus",
        gettext_lazy("How they like to meet: in person, online or either."),
    ),
    Column("interests", "Interests", "Interessen", gettext_lazy("Separated by commas.")),
    Column(
        "availability",
        "Availability",
        "Verfügbarkeit",
        gettext_lazy("Days and hours, such as Mo-Fr 9-12, Sa 10-12."),
    ),
    Column(
        "timezone",
        "Time zone",
        "Zeitzone",
        gettext_lazy("For the availability, such as Europe/Berlin."),
    ),
    Column(
        "blocked",
        "Blocked",
        "Blockiert",
        gettext_lazy("E-mail addresses (or ids) of people in the file they never meet."),
    ),
    Column(
        "id",
        "ID",
        "Kennung",
        gettext_lazy("Optional: your own number for the person, kept with them."),
    ),
)

# The example file: three people as an organiser's list has them, in each language.
_EXAMPLE_FIELDS = (
    "name",
    "email",
    "phone",
    "address",
    "postcode",
    "location",
    "department",
    "languages",
    "mode",
    "interests",
    "availability",
)
_EXAMPLE_ROWS = {
    "en": (
        ("Anna Schmidt", "anna.schmidt@example.org", "", "", "50667", "Köln", "Care")
        + ("German, English", "in person", "jazz, gardening", "Mon-Fri 9-12"),
        ("Ben Okafor", "ben.okafor@example.org", "", "", "", "Bonn", "IT")
        + ("English", "online", "jazz, football", "Tue 14-17"),
        ("Gertrud Weber", "", "+49 221 1234567", "Lindenstraße 5", "50667", "Köln", "")
        + ("German", "in person", "gardening, reading", "Tue-Thu 14-17"),
    ),
    "de": (
        ("Anna Schmidt", "anna.schmidt@example.org", "", "", "50667", "Köln", "Pflege")
        + ("Deutsch, Englisch", "vor Ort", "Jazz, Garten", "Mo-Fr 9-12"),
        ("Ben Okafor", "ben.okafor@example.org", "", "", "", "Bonn", "IT")
        + ("Englisch", "online", "Jazz, Fußball", "Di 14-17"),
        ("Gertrud Weber", "", "+49 221 1234567", "Lindenstraße 5", "50667", "Köln", "")
        + ("Deutsch", "vor Ort", "Garten, Lesen", "Di-Do 14-17"),
    ),
}


def example_file(language: str | None) -> bytes:
    """An example file in the reader's language and spreadsheet dialect, which this
    import reads as it is."""
    by_field = {column.field: column for column in COLUMNS}
    header = [by_field[name].name(language) for name in _EXAMPLE_FIELDS]
    rows = _EXAMPLE_ROWS["de" if (language or "").startswith("de") else "en"]
    return csvfiles.to_csv(header, rows, language)
