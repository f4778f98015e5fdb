"""The people import reads lists as organisers keep them: no id column, German column
names, phone numbers and addresses; a bad or repeated row is left out on its own line
and the rest is imported; the preview counts rows and names the columns it ignores."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from tests.support.web import login

# Imports write all or nothing per row and match people case-insensitively: both engines.
pytestmark = [pytest.mark.database, pytest.mark.django_db]

GERMAN_LIST = (
    "Name;E-Mail;Telefon;Adresse;PLZ;Ort;Sprache;Interessen;Abteilung;Notiz;Neu\n"
    "Anna Schmidt;anna@example.org;;;50667;Köln;Deutsch, Englisch;Jazz, Garten;Pflege;;ja\n"
    "Gertrud Weber;;+49 221 1234567;Lindenstraße 5;50667;Köln;Deutsch;Garten;;ruft gern an;\n"
    "Anna Schmidt;ANNA@example.org;;;;;Deutsch;;Pflege;doppelt;\n"
    "Karl Kaputt;;abc;;;;Klingonisch;;;;\n"
    "Hans Brief;;;Am Weg 1;53111;Bonn;Deutsch;;;;\n"
    "Emil Bekannt;;0221 / 999 888;;;;Deutsch;;;;\n"
    "Gertrud Weber;;0049 221 1234567;;;Köln;Deutsch;;;;\n"
)


def upload(client: Any, programme: Any, data: bytes) -> None:
    response = client.post(
        reverse("participants:import", args=[programme.pk]),
        {"file": SimpleUploadedFile("people.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def preview_html(client: Any, programme: Any) -> str:
    return client.get(reverse("participants:import_preview", args=[programme.pk])).content.decode()


def confirm(client: Any, programme: Any) -> None:
    html = preview_html(client, programme)
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)
    assert found is not None
    response = client.post(
        reverse("participants:import_preview", args=[programme.pk]),
        {"confirm": "1", "fingerprint": found.group(1)},
    )
    assert response.status_code == 302


def list_items(html: str, list_id: str) -> list[str]:
    found = re.search(rf'<ul class="rejected" id="{list_id}">(.*?)</ul>', html, re.S)
    assert found is not None
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S)


def test_a_german_list_without_ids_is_imported_with_phones_and_addresses(
    german_client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    make_participant(programme, "Emil Bekannt", email="", phone="0221 999888")
    login(german_client, organiser)
    upload(german_client, programme, GERMAN_LIST.encode("utf-8"))
    html = preview_html(german_client, programme)
    rejected = list_items(html, "rejected")
    # One entry per row left out, each saying why; a row with two problems is one entry.
    assert len(rejected) == 4, rejected
    assert rejected[0].startswith("Zeile 4") and "Zeile 2" in rejected[0]
    assert "Zeile 5" in rejected[1] and "Klingonisch" in rejected[1]
    assert "abc" in rejected[1] and "keine Telefonnummer" in rejected[1]
    assert "Zeile 7" in rejected[2] and "Emil Bekannt nimmt schon teil" in rejected[2]
    assert "Zeile 8" in rejected[3] and "Zeile 3" in rejected[3]
    counts = re.search(r'<p id="counts">(.*?)</p>', html, re.S)
    assert counts is not None
    assert " ".join(counts.group(1).split()) == (
        "3 Personen werden hinzugefügt. 4 Zeilen werden ausgelassen."
    )
    ignored = re.search(r'<p id="ignored">(.*?)</p>', html, re.S)
    assert ignored is not None
    assert "Notiz" in ignored.group(1)
    assert "Neu" in ignored.group(1) and "Telefon" not in ignored.group(1)
    assert Participant.objects.count() == 1

    confirm(german_client, programme)
    people = {p.name: p for p in Participant.objects.exclude(name="Emil Bekannt")}
    assert set(people) == {"Anna Schmidt", "Gertrud Weber", "Hans Brief"}
    anna, gertrud, hans = people["Anna Schmidt"], people["Gertrud Weber"], people["Hans Brief"]
    assert anna.reached_by == Participant.ReachedBy.EMAIL and anna.languages == ["de", "en"]
    assert anna.interests == ["Jazz", "Garten"] and anna.department == "Pflege"
    assert gertrud.reached_by == Participant.ReachedBy.PHONE
    assert gertrud.phone == "+49 221 1234567"
    assert gertrud.postal_address == "Lindenstraße 5\n50667 Köln"
    assert gertrud.place == "50667 Köln" and gertrud.latitude is not None
    assert hans.reached_by == Participant.ReachedBy.POST and hans.phone == ""
    assert hans.postal_address == "Am Weg 1\n53111 Bonn"
    # New people get an id of their own; no id column means no external one.
    assert all(p.pk and p.external_id == "" for p in people.values())


def test_a_repeated_id_leaves_out_that_row_and_imports_the_rest(
    client: Any, organiser: Any, programme: Any
) -> None:
    login(client, organiser)
    upload(
        client,
        programme,
        b"ID,Name,Email\n"
        b"7,Ada Lovelace,ada@example.org\n"
        b"7,Bob Byte,bob@example.org\n"
        b"8,Cleo Code,not-an-address\n"
        b"9,Dan Data,dan@example.org\n",
    )
    html = preview_html(client, programme)
    rejected = list_items(html, "rejected")
    assert len(rejected) == 2
    assert "Line 3" in rejected[0] and "“7”" in rejected[0] and "line 2" in rejected[0]
    assert "Line 4" in rejected[1] and "not-an-address" in rejected[1]
    assert "2 people will be added. 2 rows are left out." in " ".join(html.split())
    confirm(client, programme)
    found = dict(Participant.objects.values_list("name", "external_id"))
    assert found == {"Ada Lovelace": "7", "Dan Data": "9"}


def test_the_import_page_names_its_columns_and_offers_an_example(
    german_client: Any, organiser: Any, programme: Any
) -> None:
    login(german_client, organiser)
    html = german_client.get(reverse("participants:import", args=[programme.pk])).content.decode()
    table = re.search(r'<dl id="columns" class="profile">(.*?)</dl>', html, re.S)
    assert table is not None
    for name in ("Telefon", "Adresse", "PLZ", "Ort", "Sprachen", "Interessen", "Abteilung"):
        assert f"<dt>{name}</dt>" in table.group(1)
    assert reverse("participants:import_example", args=[programme.pk]) in html
    assert "kaffeeklatsch match" not in html and "README" not in html


@pytest.mark.parametrize(
    ("fixture", "delimiter", "headers"),
    [
        ("german_client", ";", ["Name", "E-Mail", "Telefon", "Adresse", "PLZ", "Ort"]),
        ("client", ",", ["Name", "Email", "Phone", "Address", "Postcode", "Place"]),
    ],
)
def test_the_example_file_is_in_the_readers_language_and_imports_as_it_is(
    request: Any,
    fixture: str,
    delimiter: str,
    headers: list[str],
    organiser: Any,
    programme: Any,
) -> None:
    browser = request.getfixturevalue(fixture)
    login(browser, organiser)
    response = browser.get(reverse("participants:import_example", args=[programme.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))
    assert rows[0][: len(headers)] == headers
    assert len(rows) == 4 and all(len(row) == len(rows[0]) for row in rows)

    upload(browser, programme, data)
    html = preview_html(browser, programme)
    assert 'id="rejected"' not in html and 'id="ignored"' not in html
    confirm(browser, programme)
    gertrud = Participant.objects.get(name="Gertrud Weber")
    assert gertrud.reached_by == Participant.ReachedBy.PHONE
    assert gertrud.phone == "+49 221 1234567"
    assert Participant.objects.count() == 3
