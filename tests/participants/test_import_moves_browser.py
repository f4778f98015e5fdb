"""An organiser on a phone, in German (Chromium at 390 px): imports a list without an id
column from the example file's columns, then moves a person of the preview, and is
told at once which group is left with one person. No page scrolls sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.preview import preview_round
from tests.support.web import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = (
    "Name;E-Mail;Telefon;Adresse;PLZ;Ort;Sprachen;Abteilung;Notiz\n"
    "Anna Schmidt;anna@example.org;;;50667;Köln;Deutsch;Pflege;\n"
    "Ben Okafor;ben@example.org;;;;Bonn;Deutsch, Englisch;IT;\n"
    "Gertrud Weber;;+49 221 1234567;Lindenstraße 5;50667;Köln;Deutsch;;ruft gern an\n"
    "Anna Schmidt;anna@example.org;;;;;Deutsch;Pflege;doppelt\n"
    "Dora Demir;dora@example.org;;;;Köln;Deutsch, Türkisch;Verwaltung;\n"
)


def no_sideways_scrolling(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide"


def test_import_and_a_move_on_a_phone_in_german(
    browser: Any,  # noqa: F811
    live_server: Any,
    organiser: Any,
    make_programme: Any,
    tmp_path: Path,
) -> None:
    programme = make_programme(organiser, name="Nachbarschaftscafé", language="de")
    context = browser.new_context(
        locale="de-DE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.locator("#id_username").fill(organiser.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/programmes/{programme.pk}/people/import/")
    page.get_by_role("heading", name="Spalten, die der Import versteht").wait_for()
    no_sideways_scrolling(page)
    page.screenshot(path=tmp_path / "1-import.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Beispieldatei herunterladen").click()
    assert download.value.suggested_filename == "kaffeeklatsch-personen-beispiel.csv"

    upload = tmp_path / "liste.csv"
    upload.write_text(LIST, encoding="utf-8")
    page.get_by_label("CSV-Datei").set_input_files(upload)
    page.get_by_role("button", name="Vorschau zeigen").click()
    page.locator("#accepted").wait_for()
    assert "4 Personen werden hinzugefügt. 1 Zeile wird ausgelassen." in " ".join(
        page.locator("#counts").inner_text().split()
    )
    assert "Notiz" in page.locator("#ignored").inner_text()
    assert "Zeile 5 wiederholt die Person aus Zeile 2" in page.locator("#rejected").inner_text()
    no_sideways_scrolling(page)
    page.screenshot(path=tmp_path / "2-preview.png", full_page=True)
    page.get_by_role("button", name="Diese Personen hinzufügen").click()
    page.get_by_text("4 Personen wurden hinzugefügt", exact=False).wait_for()
    gertrud = Participant.objects.get(name="Gertrud Weber")
    assert gertrud.reached_by == "phone" and gertrud.phone == "+49 221 1234567"

    rnd = preview_round(programme)
    groups = list(rnd.groups.order_by("number").prefetch_related("members"))
    assert [len(g.members.all()) for g in groups] == [2, 2]
    mover = groups[0].members.all()[0]
    partner = groups[0].members.all()[1]
    page.goto(f"{live_server.url}/programmes/{programme.pk}/rounds/{rnd.pk}/")
    page.get_by_role("link", name=f"Verschieben {mover.name}").click()
    page.locator("#targets").wait_for()
    no_sideways_scrolling(page)
    page.screenshot(path=tmp_path / "3-move.png", full_page=True)
    page.get_by_role("button", name=f"In Gruppe {groups[1].number} verschieben").click()
    alert = page.locator("#to-fix")
    alert.wait_for()
    assert f"In Gruppe {groups[0].number} ist nur {partner.name}" in alert.inner_text()
    assert page.locator("#alone strong").inner_text() == "1"
    assert page.get_by_role("button", name="Veröffentlichen und E-Mails senden").count() == 0
    no_sideways_scrolling(page)
    page.screenshot(path=tmp_path / "4-round.png", full_page=True)
    context.close()
