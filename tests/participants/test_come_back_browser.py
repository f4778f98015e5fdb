"""Coming back after leaving, in a real browser at phone width (Debian's Chromium
driven by Playwright): the unsubscribe page asks for the address, the e-mail arrives
at a real SMTP server, and its link brings the person back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import unsubscribe_url
from tests.support.mail import links, send_outbox, text_part

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_leave_and_come_back_on_a_phone(
    browser: Any,
    live_server: Any,
    settings: Any,
    smtp: Any,
    programme: Any,
    make_participant: Any,
) -> None:
    settings.BASE_URL = live_server.url
    person = make_participant(
        programme, "Rosa Rückkehr", email="rosa@example.org", language="de", place="Bonn"
    )
    context = browser.new_context(locale="de-DE", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(unsubscribe_url(person))
    page.get_by_role("button", name="Austreten").click()
    page.get_by_text("Sie haben „Kaffee im Haus“ verlassen").wait_for()
    person.refresh_from_db()
    assert person.status == Participant.Status.LEFT
    assert fits_the_phone(page)
    page.get_by_label("Ihre E-Mail-Adresse").fill("rosa@example.org")
    page.get_by_role("button", name="Link zum Zurückkommen senden").click()
    page.get_by_role("heading", name="Bitte sehen Sie in Ihre E-Mails").wait_for()
    assert fits_the_phone(page)
    send_outbox()
    (message,) = smtp.to("rosa@example.org")
    (url,) = [u for u in links(text_part(message)) if "/sign-in/" in u]
    page.goto(url)
    page.get_by_text("Bestätigen Sie, um wieder mitzumachen").wait_for()
    assert fits_the_phone(page)
    page.get_by_role("button", name="Wieder teilnehmen").click()
    page.get_by_text("Willkommen zurück").wait_for()
    person.refresh_from_db()
    assert person.status == Participant.Status.ACTIVE and person.place == "Bonn"
    context.close()
