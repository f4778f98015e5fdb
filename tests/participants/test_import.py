"""CSV import: a preview of every person and every rejected row, then all or nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from tests.support.web import login

pytestmark = [pytest.mark.database, pytest.mark.django_db]

GOOD_AND_BAD = (
    "Kennung;Name;E-Mail;Abteilung;Ebene;Sprachen;PLZ;Treffensart;Interessen;blockiert\n"
    "1;Anna Schmidt;anna@example.org;Pflege;Fachkraft;Deutsch, Englisch;50667;vor Ort;Jazz;\n"
    "2;Ben Okafor;ben@example.org;IT;Teamleitung;Englisch;53111;online;Jazz;1\n"
    "3;Carla Klingon;carla@example.org;IT;Fachkraft;Klingonisch;;online;;\n"
    "4;Dora Ohnemail;;Verwaltung;Ehrenamt;Deutsch;;egal;;\n"
    "5;Emil Doppelt;already@example.org;Pflege;Fachkraft;Deutsch;;egal;;\n"
).encode("cp1252")


def fingerprint(client: Any, programme: Any) -> str:
    """The preview's fingerprint, as the confirm button of the page sends it."""
    html = client.get(reverse("participants:import_preview", args=[programme.pk])).content
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html.decode())
    assert found is not None
    return found.group(1)


def upload(client: Any, programme: Any, data: bytes, name: str = "people.csv") -> Any:
    return client.post(
        reverse("participants:import", args=[programme.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_preview_shows_people_and_every_rejected_row_then_imports_all(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    make_participant(programme, "Emil", email="already@example.org")
    login(client, organiser)
    response = upload(client, programme, GOOD_AND_BAD)
    preview_url = reverse("participants:import_preview", args=[programme.pk])
    assert response["Location"] == preview_url
    page = client.get(preview_url)
    html = page.content.decode()
    for name in ["Anna Schmidt", "Ben Okafor", "Dora Ohnemail"]:
        assert name in html
    assert "Line 4" in html and "Klingonisch" in html
    assert "Line 6" in html and "already@example.org is already taking part" in html
    assert "3 people will be added" in html
    assert Participant.objects.count() == 1  # nothing yet

    done = client.post(preview_url, {"confirm": "1", "fingerprint": fingerprint(client, programme)})
    assert done.status_code == 302
    imported = {p.name: p for p in Participant.objects.exclude(email="already@example.org")}
    assert set(imported) == {"Anna Schmidt", "Ben Okafor", "Dora Ohnemail"}
    anna, ben = imported["Anna Schmidt"], imported["Ben Okafor"]
    assert anna.status == Participant.Status.ACTIVE and anna.languages == ["de", "en"]
    assert anna.latitude is not None and anna.mode == "in_person"
    assert list(ben.blocked.all()) == [anna]
    welcomes = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.WELCOME)
    assert sorted(welcomes.values_list("to", flat=True)) == ["anna@example.org", "ben@example.org"]
    # The file is used once.
    assert client.post(preview_url, {"confirm": "1"}).status_code == 302
    assert Participant.objects.count() == 4


def test_cancel_imports_nothing(client: Any, organiser: Any, programme: Any) -> None:
    login(client, organiser)
    upload(client, programme, GOOD_AND_BAD)
    client.post(reverse("participants:import_preview", args=[programme.pk]), {"cancel": "1"})
    assert not Participant.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_file_that_cannot_be_read_is_explained(
    client: Any, organiser: Any, programme: Any
) -> None:
    login(client, organiser)
    upload(client, programme, b"PK\x03\x04 this is a workbook", "people.xlsx")
    html = client.get(reverse("participants:import_preview", args=[programme.pk])).content.decode()
    assert "Excel" in html
    assert "Add these people" not in html


def test_a_failure_during_import_leaves_nothing(
    client: Any, organiser: Any, programme: Any, monkeypatch: Any
) -> None:
    login(client, organiser)
    upload(client, programme, GOOD_AND_BAD)

    def broken(participant: Any) -> None:
        raise RuntimeError("mail template broken")

    monkeypatch.setattr("kaffeeklatsch.participants.importing.queue_welcome", broken)
    client.raise_request_exception = False
    response = client.post(
        reverse("participants:import_preview", args=[programme.pk]),
        {"confirm": "1", "fingerprint": fingerprint(client, programme)},
    )
    assert response.status_code == 500
    assert not Participant.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_preview_of_another_programme_is_not_shown(
    client: Any, organiser: Any, programme: Any, make_programme: Any
) -> None:
    second = make_programme(organiser, name="Second")
    login(client, organiser)
    upload(client, programme, GOOD_AND_BAD)
    response = client.get(reverse("participants:import_preview", args=[second.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("participants:import", args=[second.pk])


def test_nothing_is_imported_when_the_programme_changed_since_the_preview(
    client: Any, organiser: Any, programme: Any, make_participant: Any
) -> None:
    login(client, organiser)
    upload(client, programme, GOOD_AND_BAD)
    seen = fingerprint(client, programme)
    # Anna signs up herself while the organiser looks at the preview.
    make_participant(programme, "Anna", email="anna@example.org")
    preview_url = reverse("participants:import_preview", args=[programme.pk])
    response = client.post(preview_url, {"confirm": "1", "fingerprint": seen}, follow=True)
    html = response.content.decode()
    assert "Nothing was imported: the people of the programme changed" in html
    assert "anna@example.org is already taking part" in html  # the new preview
    assert set(Participant.objects.values_list("name", flat=True)) == {"Anna"}
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.WELCOME).exists()
    # A forged or missing fingerprint imports nothing either.
    client.post(preview_url, {"confirm": "1", "fingerprint": "0" * 32})
    client.post(preview_url, {"confirm": "1"})
    assert Participant.objects.count() == 1
    # Confirming the new preview adds the others.
    client.post(preview_url, {"confirm": "1", "fingerprint": fingerprint(client, programme)})
    names = set(Participant.objects.values_list("name", flat=True))
    assert names == {"Anna", "Ben Okafor", "Dora Ohnemail", "Emil Doppelt"}
