"""CSV import: a preview of every person and every rejected row, then all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

GOOD_AND_BAD = (
    "Kennung;Name;E-Mail;Abteilung;Ebene;Sprachen;PLZ;Treffensart;Interessen;blockiert\n"
    "1;Anna Schmidt;anna@example.org;Pflege;Fachkraft;Deutsch, Englisch;50667;vor Ort;Jazz;\n"
    "2;Ben Okafor;ben@example.org;IT;Teamleitung;Englisch;53111;online;Jazz;1\n"
    "3;Carla Klingon;carla@example.org;IT;Fachkraft;Klingonisch;;online;;\n"
    "4;Dora Ohnemail;;Verwaltung;Ehrenamt;Deutsch;;egal;;\n"
    "5;Emil Doppelt;already@example.org;Pflege;Fachkraft;Deutsch;;egal;;\n"
).encode("cp1252")


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

    done = client.post(preview_url, {"confirm": "1"})
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

    monkeypatch.setattr("kaffeeklatsch.notifications.emails.queue_welcome", broken)
    client.raise_request_exception = False
    response = client.post(
        reverse("participants:import_preview", args=[programme.pk]), {"confirm": "1"}
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
