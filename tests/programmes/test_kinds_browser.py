"""Joining each kind of programme on a phone (390 px wide) in a real browser
(Debian's Chromium driven by Playwright): the short invitation form, the e-mail link,
and the first step on the person's own page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.kinds import DEFAULTS, Kind
from tests.support.mail import links, send_outbox, text_part

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each kind's page calls the people, in German, and its first step's question.
KINDS = {
    Kind.WORKPLACE: ("Kolleg*innen", "Wie möchten Sie sich treffen?"),
    Kind.NETWORK: ("Fachleuten aus anderen Organisationen", "Wie möchten Sie sich treffen?"),
    Kind.NEIGHBOURHOOD: ("Nachbar*innen", None),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.mark.parametrize("kind", Kind.values)
def test_joining_each_kind_on_a_phone(
    browser: Any,
    live_server: Any,
    settings: Any,
    smtp: Any,
    organiser: Any,
    make_programme: Any,
    kind: str,
) -> None:
    settings.BASE_URL = live_server.url
    programme = make_programme(
        organiser,
        name=f"Programm {kind}",
        kind=kind,
        language="de",
        questions=list(DEFAULTS[kind].questions),
        mode=DEFAULTS[kind].mode,
    )
    people, mode_question = KINDS[kind]
    phone = browser.new_context(
        locale="de-DE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.goto(f"{live_server.url}/join/{programme.invite_token}/")
    assert people in page.locator("main").inner_text()
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Name").fill("Gisela Brandt")
    page.get_by_label("E-Mail-Adresse").fill("gisela@example.org")
    if mode_question:
        page.get_by_label("Vor Ort", exact=True).check()
    else:
        assert page.get_by_text("Wie möchten Sie sich treffen?").count() == 0
    page.get_by_label("Ich bin einverstanden", exact=False).check()
    page.get_by_role("button", name="Beitreten").click()
    page.get_by_role("heading", name="Fast geschafft: Bitte sehen Sie in Ihre E-Mails").wait_for()
    participant = Participant.objects.get(email="gisela@example.org")
    # Chosen on the form, or the programme's own way to meet.
    assert participant.mode == "in_person"

    send_outbox()
    [confirmation] = smtp.to("gisela@example.org")
    [confirm_url] = links(text_part(confirmation), live_server.url + "/confirm/")
    page.goto(confirm_url)
    page.get_by_role("button", name="Ja, ich möchte teilnehmen").click()
    page.get_by_text("Danke! Sie nehmen jetzt teil.").wait_for()

    # The first step on her page: interests, with why it helps; she answers it.
    page.get_by_role("heading", name="Was machen Sie gern, worüber sprechen Sie gern?").wait_for()
    page.get_by_label("Interessen").fill("Kochen, Spazierengehen")
    page.get_by_role("button", name="Speichern").first.click()
    page.get_by_role("heading", name="Wann haben Sie Zeit?").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    participant.refresh_from_db()
    assert participant.interests == ["Kochen", "Spazierengehen"]
    page.get_by_role("button", name="Diese Frage überspringen").click()
    page.get_by_role("heading", name="Welche weiteren Sprachen sprechen Sie?").wait_for()
    participant.refresh_from_db()
    assert participant.finished_steps == ["interests", "times"]
    phone.close()
