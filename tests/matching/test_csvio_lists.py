"""PEOPLE.csv as organisers' own lists are: without an id column, with phone numbers
and addresses, with a repeated row that is left out alone."""

from __future__ import annotations

import pytest

from kaffeeklatsch.matching.csvio import Contact, CsvError, parse_people

LIST = (
    "Name;E-Mail;Telefon;Adresse;PLZ;Ort;Notiz\n"
    "Anna Schmidt;anna@example.org;;;;;\n"
    "Gertrud Weber;;'+49 221 1234567;Lindenstraße 5;50667;Köln;ruft an\n"
    "Karl Kaputt;;abc;;;;\n"
).encode()


def test_without_ids_people_get_one_from_their_line_and_keep_their_contacts() -> None:
    table = parse_people(LIST, ids_required=False)
    assert [p.id for p in table.people] == ["line-2", "line-3"]
    assert table.contacts == [
        Contact(),
        Contact("+49 221 1234567", "Lindenstraße 5\n50667 Köln"),
    ]
    assert table.ignored == ["Notiz"]
    assert table.column_names["phone"] == "Telefon"
    [problem] = table.problems
    assert (problem.line, problem.column, problem.code) == (4, "Telefon", "bad_phone")
    assert "keine Telefonnummer" in problem.text("de")


def test_the_command_line_still_needs_ids() -> None:
    with pytest.raises(CsvError) as error:
        parse_people(LIST)
    assert error.value.problems[0].code == "missing_column"


def test_a_repeated_id_leaves_out_that_row_only_when_ids_are_not_required() -> None:
    data = b"id,name\n1,Ada\n1,Bob\n2,Cleo\n"
    table = parse_people(data, ids_required=False)
    assert [p.name for p in table.people] == ["Ada", "Cleo"]
    assert [(p.line, p.code) for p in table.problems] == [(3, "duplicate_id")]
    with pytest.raises(CsvError):
        parse_people(data)
