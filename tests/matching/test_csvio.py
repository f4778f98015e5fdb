"""PEOPLE.csv and GROUPS.csv in the dialects organisers really have."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kaffeeklatsch.matching.csvio import (
    CsvError,
    CsvProblem,
    PeopleTable,
    parse_availability,
    parse_history,
    parse_people,
    read_history,
    read_people,
    write_groups,
)
from kaffeeklatsch.matching.model import (
    Group,
    LeftOut,
    Mode,
    PastGroup,
    Person,
    Reason,
    RoundResult,
    Slot,
)

DATA = Path(__file__).parent / "data"


def only_problem(data: bytes) -> CsvProblem:
    table = parse_people(data)
    assert len(table.problems) == 1, table.problems
    return table.problems[0]


def file_error(data: bytes) -> CsvError:
    with pytest.raises(CsvError) as caught:
        parse_people(data)
    return caught.value


# ---------------------------------------------------------------------------
# Dialects


def test_german_excel_export_in_windows_1252_with_semicolons_and_umlauts() -> None:
    data = (DATA / "csv_people_excel_de.csv").read_bytes()
    # The fixture really is what German Excel writes: no UTF-8, CRLF, semicolons.
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\r\n" in data and b";" in data

    table = parse_people(data)

    assert table.problems == []
    assert [p.id for p in table.people] == ["1", "2", "3", "4"]
    assert table.lines == [2, 3, 4, 5]
    mueller = table.people[0]
    assert mueller.name == "Müller"
    assert mueller.department == "Pflege"
    assert mueller.languages == ("tr", "de")
    assert mueller.mode is Mode.IN_PERSON
    assert mueller.interests == ("Fotografie", "Podcasts")
    assert mueller.blocked == ("3",)
    assert mueller.email == "mueller@example.org"
    assert table.people[1].name == "Jürgen Weiß"
    assert table.people[1].mode is Mode.ONLINE
    assert table.people[1].languages == ("de", "en")
    assert table.people[2].mode is Mode.EITHER
    assert table.people[2].level == "Leitung"
    assert table.people[3].mode is Mode.IN_PERSON  # "Präsenz"


def test_the_same_table_in_every_encoding_and_separator_reads_the_same() -> None:
    rows = [
        ["ID", "Name", "Sprachen", "Interessen"],
        ["a1", "Özlem Çelik", "Türkisch, Deutsch", "Gärtnern, Fußball"],
        ["a2", "Renée Straße", "fr; de", "Kochen"],
    ]
    readings = []
    for delimiter in (",", ";", "\t"):
        for encoding in ("utf-8", "utf-8-sig", "cp1252", "utf-16"):
            buffer = io.StringIO(newline="")
            csv.writer(buffer, delimiter=delimiter).writerows(rows)
            table = parse_people(buffer.getvalue().encode(encoding))
            assert table.problems == [], (delimiter, encoding)
            readings.append(table.people)
    assert all(reading == readings[0] for reading in readings)
    assert readings[0][0].name == "Özlem Çelik"
    assert readings[0][0].languages == ("tr", "de")
    assert readings[0][0].interests == ("Gärtnern", "Fußball")
    assert readings[0][1].languages == ("fr", "de")


def test_utf8_with_byte_order_mark_keeps_the_first_column_name() -> None:
    data = "\ufeffid,name\n1,Anna\n".encode()
    assert parse_people(data).people == [Person(id="1", name="Anna")]


def test_comma_file_with_quoted_lists() -> None:
    data = (
        b"id,name,languages,interests,blocked\n"
        b'1,Anna,"de, en","photography, podcasts, KI","2, 3"\n'
        b"2,Ben,en,,\n"
        b'3,Cem,"Turkish,German",,\n'
    )
    table = parse_people(data)
    assert table.problems == []
    anna = table.people[0]
    assert anna.languages == ("de", "en")
    assert anna.interests == ("photography", "podcasts", "KI")
    assert anna.blocked == ("2", "3")
    assert table.people[2].languages == ("tr", "de")


@pytest.mark.parametrize(
    "header",
    [
        "ID;NAME;E-MAIL;ABTEILUNG;ORGANISATION;EBENE;SPRACHEN;ORT;MODUS;INTERESSEN;BLOCKIERT",
        " id ; name ; email ; department ; organization ; level ; languages ; location ; mode ;"
        " interests ; blocked ",
        "Id;Name;E-Mail;Department;Organisation;Level;Languages;Location;Mode;Interests;Blocked",
        "iD;nAmE;e mail;abteilung;ORGANISATION;Ebene;sprachen;Ort;modus;Interessen;blockiert",
    ],
)
def test_headers_in_english_or_german_in_any_case(header: str) -> None:
    data = (
        header + "\n1;Anna;a@example.org;Pflege;Caritas;Leitung;de;52.52,13.405;online;"
        "Lesen;2\n2;Ben;;;;;en;;;;\n"
    ).encode()
    table = parse_people(data)
    assert table.problems == []
    anna = table.people[0]
    assert (anna.id, anna.name, anna.email) == ("1", "Anna", "a@example.org")
    assert (anna.department, anna.organisation, anna.level) == ("Pflege", "Caritas", "Leitung")
    assert anna.languages == ("de",)
    assert anna.location is not None
    assert (anna.location.lat, anna.location.lon) == pytest.approx((52.52, 13.405))
    assert anna.mode is Mode.ONLINE
    assert anna.interests == ("Lesen",)
    assert anna.blocked == ("2",)


def test_quoted_semicolon_header_is_not_mistaken_for_a_comma_file() -> None:
    data = b'"ID";"Name";"Sprachen"\r\n"1";"M\xfcller, Hans";"Deutsch, T\xfcrkisch"\r\n'
    table = parse_people(data)
    assert table.problems == []
    assert table.people[0].name == "Müller, Hans"
    assert table.people[0].languages == ("de", "tr")


def test_unknown_columns_and_blank_lines_are_ignored() -> None:
    data = b"\n\nid,name,Telefon,Bemerkung\n1,Anna,0301234,\n\n,,,\n2,Ben,,\n"
    table = parse_people(data)
    assert [p.id for p in table.people] == ["1", "2"]
    assert table.lines == [4, 7]


def test_line_numbers_count_lines_of_quoted_cells_spanning_lines() -> None:
    data = b'id,name,interests\n1,Anna,"Lesen,\nSchreiben"\n2,Ben,Klingonisch\n3,Cem,x\n'
    table = parse_people(data)
    assert table.lines == [2, 4, 5]
    assert table.people[0].interests == ("Lesen", "Schreiben")


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("in person", Mode.IN_PERSON),
        ("In-Person", Mode.IN_PERSON),
        ("vor Ort", Mode.IN_PERSON),
        ("Präsenz", Mode.IN_PERSON),
        ("PRAESENZ", Mode.IN_PERSON),
        ("online", Mode.ONLINE),
        ("Video", Mode.ONLINE),
        ("either", Mode.EITHER),
        ("egal", Mode.EITHER),
        ("", Mode.EITHER),
        ("Beides", Mode.EITHER),
    ],
)
def test_meeting_modes(text: str, mode: Mode) -> None:
    data = f"id;name;Modus\n1;Anna;{text}\n".encode()
    assert parse_people(data).people[0].mode is mode


def test_languages_as_codes_and_names_in_both_languages() -> None:
    data = "id;name;Sprachen\n1;A;Deutsch und Englisch\n2;B;de-AT, EN\n3;C;Arabic/Kurdisch\n"
    people = parse_people(data.encode()).people
    assert [p.languages for p in people] == [("de", "en"), ("de", "en"), ("ar", "ku")]


def test_location_from_postcode_town_coordinates_or_separate_postcode_column() -> None:
    data = (
        "id;name;PLZ;Ort\n1;A;10115;Berlin\n2;B;;Köln\n3;C;;52.52, 13.405\n4;D;;\n5;E;10115;\n"
    ).encode()
    people = parse_people(data).people
    berlin, cologne, coords, nowhere, postcode = (p.location for p in people)
    assert berlin is not None and berlin.lat == pytest.approx(52.53, abs=0.05)
    assert cologne is not None and cologne.lon == pytest.approx(6.95, abs=0.1)
    assert coords is not None and (coords.lat, coords.lon) == pytest.approx((52.52, 13.405))
    assert nowhere is None
    assert postcode == berlin


def test_optional_extras_time_zone_availability_and_new_joiner() -> None:
    data = (
        "id;name;Zeitzone;Verfügbarkeit;Neu\n"
        "1;A;Europe/Berlin;Mo-Fr 9-12;ja\n"
        "2;B;;Di 14:30–16 Uhr, Do;nein\n"
        "3;C;;;\n"
    ).encode()
    people = parse_people(data, today=date(2026, 1, 14)).people
    assert people[0].timezone == "Europe/Berlin"
    # 9-12 in Berlin in winter is 8-11 UTC.
    assert people[0].availability == tuple(Slot(day, 480, 660) for day in range(5))
    assert people[0].new_joiner is True
    assert people[1].availability == (Slot(1, 870, 960), Slot(3, 0, 1440))
    assert people[1].new_joiner is False
    assert people[2].availability == () and people[2].new_joiner is False


def test_availability_follows_daylight_saving_time_and_wraps_at_midnight() -> None:
    summer = parse_availability("Mo 0:30-2", "Europe/Berlin", date(2026, 7, 1))
    winter = parse_availability("Mo 0:30-2", "Europe/Berlin", date(2026, 1, 14))
    assert summer == (Slot(6, 1350, 1440),)
    assert winter == (Slot(0, 0, 60), Slot(6, 1410, 1440))
    assert parse_availability("So 23-24, Mo 0-1") == (Slot(0, 0, 60), Slot(6, 1380, 1440))
    assert parse_availability("Sa-Mo 10-11") == (
        Slot(0, 600, 660),
        Slot(5, 600, 660),
        Slot(6, 600, 660),
    )
    assert parse_availability("Monday, Wednesday 9-10 and 14-15") == (
        Slot(0, 540, 600),
        Slot(0, 840, 900),
        Slot(2, 540, 600),
        Slot(2, 840, 900),
    )


@pytest.mark.parametrize("text", ["9-12", "Mo 12-9", "Mo 9-25", "Mo 9:75-10", "immer", "Mo 9"])
def test_unreadable_availability(text: str) -> None:
    assert parse_availability(text) is None


def test_blocked_may_name_an_email_and_blocks_of_oneself_are_dropped() -> None:
    data = b'id,name,email,blocked\n1,A,a@example.org,"B@Example.org, 1"\n2,B,b@example.org,\n'
    assert parse_people(data).people[0].blocked == ("2",)


def test_first_and_last_name_columns_make_the_name() -> None:
    data = "ID;Vorname;Nachname\n1;Anna;Müller\n2;;Kaya\n3;;\n".encode()
    table = parse_people(data)
    assert [p.name for p in table.people] == ["Anna Müller", "Kaya"]
    [problem] = table.problems
    assert (problem.line, problem.column, problem.code) == (4, "Nachname", "missing_value")


def test_blocked_ids_separated_by_spaces_or_containing_spaces() -> None:
    data = b"id;name;blocked\nA 1;Anna;B2 C3\nB2;Ben;A 1\nC3;Cem;\n"
    people = parse_people(data).people
    assert people[0].blocked == ("B2", "C3")
    assert people[1].blocked == ("A 1",)


def test_cells_are_stripped_of_spaces_and_excel_non_breaking_spaces() -> None:
    data = b"id,name\n 1 , Anna \xc2\xa0\n"
    assert parse_people(data).people[0] == Person(id="1", name="Anna")


# ---------------------------------------------------------------------------
# Row problems: the row is left out, the message names line and column


@pytest.mark.parametrize(
    ("row", "column", "code", "en", "de"),
    [
        (
            "3;C;c@example.org;Klingonisch;online;;",
            "Sprachen",
            "unknown_language",
            "unknown language “Klingonisch”",
            "unbekannte Sprache „Klingonisch“",
        ),
        (
            "3;C;c@example.org;de;zu Fuß;;",
            "Modus",
            "unknown_mode",
            "unknown meeting mode “zu Fuß”",
            "unbekannte Treffensart „zu Fuß“",
        ),
        (
            "3;C;c@example.org;de;online;Atlantis;",
            "Ort",
            "unknown_location",
            "cannot find the place “Atlantis”",
            "der Ort „Atlantis“ ist nicht zu finden",
        ),
        (
            "3;C;c@example.org;de;online;;99",
            "Blockiert",
            "unknown_blocked",
            "the blocked id “99” is nobody in this file",
            "die blockierte Kennung „99“ gehört zu niemandem",
        ),
        (
            "3;C;keine-adresse;de;online;;",
            "E-Mail",
            "bad_email",
            "“keine-adresse” is not an e-mail address",
            "„keine-adresse“ ist keine E-Mail-Adresse",
        ),
        (
            "3;;c@example.org;de;online;;",
            "Name",
            "missing_value",
            "this cell must not be empty",
            "diese Zelle darf nicht leer sein",
        ),
        (
            ";C;c@example.org;de;online;;",
            "ID",
            "missing_value",
            "this cell must not be empty",
            "diese Zelle darf nicht leer sein",
        ),
    ],
)
def test_a_bad_row_is_left_out_with_line_and_column(
    row: str, column: str, code: str, en: str, de: str
) -> None:
    data = (
        "ID;Name;E-Mail;Sprachen;Modus;Ort;Blockiert\n"
        "1;Anna;a@example.org;de;online;;\n"
        "2;Ben;b@example.org;de;online;;\n"
        f"{row}\n"
        "4;Dora;d@example.org;de;online;;1\n"
    ).encode("cp1252")
    table = parse_people(data)
    assert [p.id for p in table.people] == ["1", "2", "4"]
    assert table.lines == [2, 3, 5]
    [problem] = table.problems
    assert (problem.line, problem.column, problem.code) == (4, column, code)
    assert problem.text("en").startswith(f"Line 4, column “{column}”: {en}")
    assert problem.text("de").startswith(f"Zeile 4, Spalte „{column}“: {de}")


def test_every_problem_of_a_row_is_reported() -> None:
    data = b"id,name,languages,mode,timezone,availability,new\n1,A,xx,walk,Mars/Base,soon,maybe\n"
    table = parse_people(data)
    assert table.people == []
    assert [(p.line, p.column, p.code) for p in table.problems] == [
        (2, "languages", "unknown_language"),
        (2, "mode", "unknown_mode"),
        (2, "timezone", "unknown_timezone"),
        (2, "availability", "bad_availability"),
        (2, "new", "bad_flag"),
    ]


def test_a_list_without_quotes_in_a_comma_file_is_reported() -> None:
    problem = only_problem(b"id,name,languages\n1,Anna,de,en\n2,Ben,de\n")
    assert (problem.line, problem.code) == (2, "extra_cells")
    assert "quotes" in problem.text("en") and "Anführungszeichen" in problem.text("de")


def test_trailing_empty_cells_excel_adds_are_fine() -> None:
    assert parse_people(b"id;name\n1;Anna;;;\n").problems == []


def test_read_people_raises_on_any_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"id;name;Sprachen\n1;Anna;de\n2;Ben;Klingonisch\n")
    with pytest.raises(CsvError) as caught:
        read_people(path)
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "Sprachen")]
    assert str(caught.value) == (
        "Line 3, column “Sprachen”: unknown language “Klingonisch”; use a name such as "
        "German or Deutsch or an ISO code such as de."
    )
    assert isinstance(caught.value, ValueError)


def test_read_people_returns_the_people_of_a_good_file() -> None:
    people = read_people(DATA / "csv_people_excel_de.csv")
    assert [p.name for p in people] == ["Müller", "Jürgen Weiß", "Renée Öztürk", "Björn Strauß"]


# ---------------------------------------------------------------------------
# Whole-file problems


@pytest.mark.parametrize(
    ("data", "code", "en", "de"),
    [
        (b"", "empty", "The file is empty.", "Die Datei ist leer."),
        (b" \r\n\r\n", "empty", "The file is empty.", "Die Datei ist leer."),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "excel_workbook",
            "This is an Excel workbook",
            "Das ist eine Excel-Arbeitsmappe",
        ),
        (
            b"id;name\n1;M\x81ller\n",
            "encoding",
            "Line 2: the file is neither UTF-8 nor Windows-1252 text (byte 0x81)",
            "Zeile 2: die Datei ist weder UTF-8- noch Windows-1252-Text (Byte 0x81)",
        ),
        (
            "id;name\n1;Anna\n".encode("utf-16-le"),
            "not_text",
            "The file is not a text file",
            "Die Datei ist keine Textdatei",
        ),
        (
            b"1;Anna;de\n2;Ben;en\n",
            "no_header",
            "Line 1: no known column names in the first line; expected at least id, name",
            "Zeile 1: keine bekannten Spaltennamen in der ersten Zeile; erwartet werden "
            "mindestens ID, Name",
        ),
        (
            b"Name;Sprachen\nAnna;de\n",
            "missing_column",
            "Line 1: a column “id” is required",
            "Zeile 1: eine Spalte „ID“ ist nötig",
        ),
        (
            b"ID;E-Mail\n1;a@example.org\n",
            "missing_column",
            "Line 1: a column “name” is required",
            "Zeile 1: eine Spalte „Name“ ist nötig",
        ),
        (
            b"ID;Name\n",
            "no_rows",
            "Line 1: the file has a header but no people",
            "Zeile 1: die Datei hat eine Kopfzeile, aber keine Personen",
        ),
        (
            b"id,name,email,E-Mail\n1,A,,\n",
            "duplicate_column",
            "Line 1, column “E-Mail”: this column means the same as column “email”",
            "Zeile 1, Spalte „E-Mail“: diese Spalte bedeutet dasselbe wie Spalte „email“",
        ),
        (
            b"ID;Name\n7;Anna\n8;Ben\n7;Cem\n",
            "duplicate_id",
            "Line 4, column “ID”: the id “7” is already used in line 2",
            "Zeile 4, Spalte „ID“: die Kennung „7“ steht schon in Zeile 2",
        ),
    ],
)
def test_a_file_that_cannot_be_used_raises(data: bytes, code: str, en: str, de: str) -> None:
    error = file_error(data)
    assert [p.code for p in error.problems] == [code]
    assert error.problems[0].text("en").startswith(en)
    assert error.problems[0].text("de").startswith(de)
    assert str(error).startswith(en)


def test_every_duplicate_id_is_reported_at_once() -> None:
    error = file_error(b"id,name\n1,A\n2,B\n1,C\n2,D\n")
    assert [(p.line, p.params["value"]) for p in error.problems] == [(4, "1"), (5, "2")]


def test_both_missing_columns_are_reported() -> None:
    error = file_error(b"E-Mail;Sprachen\na@example.org;de\n")
    assert [p.params["column"] for p in error.problems] == ["id", "name"]


@pytest.mark.parametrize(
    ("data", "line", "code", "en"),
    [
        (
            b'id,name\n1,"Anna\n2,Ben\n',
            2,
            "unclosed_quote",
            "Line 2: a quotation mark opened in this line is never closed.",
        ),
        (
            b'id,name\n1,Anna\n2,"Ben "the boss" B"\n',
            3,
            "bad_quote",
            'Line 3: a quotation mark inside a quoted cell must be doubled ("").',
        ),
    ],
)
def test_broken_quoting_is_reported_not_swallowed(
    data: bytes, line: int, code: str, en: str
) -> None:
    error = file_error(data)
    assert [(p.line, p.code) for p in error.problems] == [(line, code)]
    assert str(error) == en
    assert error.problems[0].text("de").startswith(f"Zeile {line}: ein ")


# ---------------------------------------------------------------------------
# Property: whatever organisers type survives every dialect

_cell_text = (
    st.text(
        alphabet=st.characters(
            codec="cp1252", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\xa0"
        ),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(_cell_text, min_size=1, max_size=6),
    departments=st.lists(_cell_text, min_size=6, max_size=6),
    delimiter=st.sampled_from([",", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    german=st.booleans(),
)
def test_names_and_departments_survive_any_dialect(
    names: list[str], departments: list[str], delimiter: str, encoding: str, german: bool
) -> None:
    header = ["ID", "Name", "Abteilung"] if german else ["id", "name", "department"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for number, (name, department) in enumerate(zip(names, departments, strict=False)):
        writer.writerow([f"p{number}", name, department])
    data = buffer.getvalue().encode(encoding)
    if encoding == "cp1252":
        # Windows-1252 text whose bytes also form valid UTF-8 ("Â¡" is C2 A1, which is
        # UTF-8 for "¡") cannot be told apart; files are read as UTF-8 when they can be.
        assume(not _is_utf8(data) or data.decode("utf-8") == buffer.getvalue())
    table = parse_people(data)
    assert table.problems == []
    assert [(p.name, p.department) for p in table.people] == list(
        zip(names, departments[: len(names)], strict=True)
    )


# ---------------------------------------------------------------------------
# GROUPS.csv: written by one round, read back as the next round's history


def _people(*ids: str) -> dict[str, Person]:
    return {i: Person(id=i, name=f"Name {i}", email=f"{i}@example.org") for i in ids}


def _result(round_number: int = 3) -> RoundResult:
    return RoundResult(
        round=round_number,
        groups=[
            Group(("a", "b"), 4.5, Mode.ONLINE),
            Group(("c", "d", "e"), 2.25, Mode.IN_PERSON),
        ],
        left_out=[LeftOut("f", Reason("no_shared_language"))],
        score=6.75,
        bound=7.0,
        exact=True,
    )


@pytest.fixture
def plain_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reasons rendered without the explanation module, so the file format is tested alone."""
    monkeypatch.setattr(Reason, "text", lambda self, lang="en": f"{self.code}/{lang}")


@pytest.mark.parametrize("lang", ["en", "de"])
def test_groups_file_reads_back_as_history(tmp_path: Path, lang: str, plain_reasons: None) -> None:
    path = tmp_path / "groups.csv"
    write_groups(path, _result(), _people(*"abcdef"), lang=lang)
    assert read_history(path) == [
        PastGroup(3, ("a", "b"), 4.5),
        PastGroup(3, ("c", "d", "e"), 2.25),
        PastGroup(3, ("f",), None, left_out=True),
    ]


def test_groups_file_columns_and_dialect(tmp_path: Path, plain_reasons: None) -> None:
    english = tmp_path / "en.csv"
    german = tmp_path / "de.csv"
    write_groups(english, _result(), _people(*"abcdef"), lang="en")
    write_groups(german, _result(), _people(*"abcdef"), lang="de")

    raw = english.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel recognises UTF-8 by its BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {"round", "group", "id", "name", "email", "score", "reasons"} <= set(rows[0])
    assert [r["id"] for r in rows] == list("abcdef")
    assert [r["group"] for r in rows] == ["1", "1", "2", "2", "2", ""]
    assert rows[0]["score"] == "4.5" and rows[2]["score"] == "2.25"
    assert rows[0]["partners"] == "Name b"
    assert rows[2]["partners"] == "Name d, Name e"
    assert rows[5]["reasons"] == "no_shared_language/en"
    assert rows[5]["score"] == ""

    rows_de = list(
        csv.DictReader(io.StringIO(german.read_bytes().decode("utf-8-sig")), delimiter=";")
    )
    assert rows_de[0]["score"] == "4,5"
    assert rows_de[2]["mode"] == "vor Ort"
    assert rows_de[5]["reasons"] == "no_shared_language/de"


def test_groups_written_to_a_text_stream(plain_reasons: None) -> None:
    out = io.StringIO()
    write_groups(out, _result(), _people(*"abcdef"))
    assert not out.getvalue().startswith("\ufeff")
    assert parse_history(out.getvalue().encode())[0] == PastGroup(3, ("a", "b"), 4.5)


def test_names_that_look_like_formulas_are_defused(plain_reasons: None) -> None:
    people = {"a": Person("a", name='=HYPERLINK("http://evil")'), "b": Person("b", name="Ben")}
    result = RoundResult(1, [Group(("a", "b"), 1.0, Mode.ONLINE)], [], 1.0, 1.0, True)
    out = io.StringIO()
    write_groups(out, result, people)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["name"].startswith("'=")
    assert rows[1]["partners"].startswith("'=")


def test_history_reopened_and_saved_by_german_excel(plain_reasons: None) -> None:
    out = io.StringIO()
    write_groups(out, _result(), _people(*"abcdef"), lang="de")
    resaved = out.getvalue().replace("round;group", "Runde;Gruppe").encode("cp1252")
    assert parse_history(resaved)[0] == PastGroup(3, ("a", "b"), 4.5)


def test_history_of_several_rounds_in_one_file() -> None:
    data = b"round,group,id\n1,1,a\n1,1,b\n2,1,a\n2,1,c\n2,,b\n1,2,c\n1,2,d\n"
    assert parse_history(data) == [
        PastGroup(1, ("a", "b")),
        PastGroup(1, ("c", "d")),
        PastGroup(2, ("a", "c")),
        PastGroup(2, ("b",), left_out=True),
    ]


@pytest.mark.parametrize(
    ("data", "line", "column", "code"),
    [
        (b"round,group,id\nzwei,1,a\n", 2, "round", "bad_number"),
        (b"round,group,id\n,1,a\n", 2, "round", "missing_value"),
        (b"round,group,id\n0,1,a\n", 2, "round", "bad_number"),
        (b"round,group,id\n1,1,\n", 2, "id", "missing_value"),
        (b"round,group,id,score\n1,1,a,viel\n", 2, "score", "bad_score"),
        (b"round,group,id\n1,1,a\n1,2,a\n", 3, "id", "duplicate_in_round"),
        (b"group,id\n1,a\n", 1, None, "missing_column"),
    ],
)
def test_bad_history(data: bytes, line: int, column: str | None, code: str) -> None:
    with pytest.raises(CsvError) as caught:
        parse_history(data)
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.code) == (line, column, code)


@settings(max_examples=50, deadline=None)
@given(
    sizes=st.lists(st.integers(2, 4), min_size=0, max_size=8),
    left=st.integers(0, 3),
    round_number=st.integers(1, 500),
    lang=st.sampled_from(["en", "de"]),
    scores=st.lists(
        st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 3)), min_size=8, max_size=8
    ),
)
def test_any_round_survives_the_round_trip(
    sizes: list[int], left: int, round_number: int, lang: str, scores: list[float]
) -> None:
    ids = iter(f"p{i}" for i in range(100))
    groups = [
        Group(tuple(next(ids) for _ in range(size)), score, Mode.EITHER)
        for size, score in zip(sizes, scores, strict=False)
    ]
    left_out = [LeftOut(next(ids), Reason("x")) for _ in range(left)]
    result = RoundResult(round_number, groups, left_out, 0.0, 0.0, True)
    out = io.StringIO()
    Reason_text = Reason.text
    try:
        Reason.text = lambda self, lang="en": "r"  # type: ignore[method-assign]
        write_groups(out, result, {}, lang=lang)
    finally:
        Reason.text = Reason_text  # type: ignore[method-assign]
    history = parse_history(out.getvalue().encode())
    assert [g for g in history if not g.left_out] == [
        PastGroup(round_number, g.members, g.score) for g in groups
    ]
    assert [g.members for g in history if g.left_out] == [(lo.person,) for lo in left_out]


def test_people_table_is_a_plain_dataclass() -> None:
    table = PeopleTable([], [], [])
    assert table.people == [] and table.lines == [] and table.problems == []


# ---------------------------------------------------------------------------
# Whatever arrives, the answer is people and problems or a CsvError, never a crash


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_people_or_a_csv_error(data: bytes) -> None:
    try:
        table = parse_people(data)
    except CsvError as error:
        assert error.problems and all(p.text("de") and p.text("en") for p in error.problems)
    else:
        assert len(table.people) == len(table.lines)


_HEADER = "ID;Name;E-Mail;Sprachen;Modus;Ort;Interessen;Blockiert;Zeitzone;Verfügbarkeit;Neu\n"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab1 ,;"\n\r-:.äÖ@xyzdeMoFr9'), max_size=200))
def test_any_rows_under_a_real_header_give_people_or_problems(rows: str) -> None:
    try:
        table = parse_people((_HEADER + rows).encode())
    except CsvError as error:
        assert all(p.line >= 1 for p in error.problems)
    else:
        assert all(p.line >= 2 and p.text("de") for p in table.problems)
        assert len({p.id for p in table.people}) == len(table.people)
