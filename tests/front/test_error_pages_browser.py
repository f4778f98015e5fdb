"""The error pages, the privacy and help pages, the question before a new invitation
link and the connections page in Chromium at a phone's width (390 px), in German and
English: laid out for the phone (no sideways scrolling), no request left unanswered
(the favicon included), screenshots kept for a person to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaffeeklatsch.api.models import ApiToken
from kaffeeklatsch.programmes.models import Programme
from tests.support.web import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Where the screenshots go (a temporary folder unless KAFFEEKLATSCH_SCREENSHOTS says).
SHOTS = os.environ.get("KAFFEEKLATSCH_SCREENSHOTS", "")


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


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def phone(browser: Any, language: str) -> Any:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="de-DE" if language == "de" else "en-GB",
        extra_http_headers={"Accept-Language": "de-DE" if language == "de" else "en"},
    )
    page = context.new_page()
    page.failed = []  # type: ignore[attr-defined]
    page.on(
        "response",
        lambda response: page.failed.append(response.url) if response.status >= 400 else None,
    )
    return page


def fits(page: Any) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def sign_in(page: Any, base: str, user: Any, language: str) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["de", "en"])
def test_error_and_privacy_pages_fit_a_phone(
    browser: Any,
    live_server: Any,
    shots: Path,
    language: str,
    organiser: Any,
    make_programme: Any,
    settings: Any,
) -> None:
    settings.PRIVACY_CONTROLLER = (
        "Diakonisches Werk Musterstadt e. V., Kirchplatz 3, 12345 Musterstadt"
    )
    settings.PRIVACY_CONTACT = "datenschutz@diakonie-musterstadt.example, 0123 456789"
    programme = make_programme(organiser, name="Nachbarschaftscafé Südstadt")
    old = programme.invite_token
    programme.replace_invite_link()
    page = phone(browser, language)
    for name, path, status in [
        ("404", "/no/such/page/", 404),
        ("invitation-replaced", f"/join/{old}/", 404),
        ("invitation-unknown", "/join/nothing-like-a-token/", 404),
        ("privacy", "/privacy/", 200),
        ("help", "/help/", 200),
    ]:
        response = page.goto(live_server.url + path)
        assert response.status == status, name
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == language
        assert fits(page), name
        page.screenshot(path=str(shots / f"{name}-{language}.png"), full_page=True)
    # Every request but the pages that are meant to be 404 was answered.
    assert [url for url in page.failed if "/join/" not in url and "/no/such/" not in url] == []
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status)") == 200
    page.context.close()


@pytest.mark.parametrize("language", ["de", "en"])
def test_organiser_pages_fit_a_phone(
    browser: Any, live_server: Any, shots: Path, language: str, organiser: Any, make_programme: Any
) -> None:
    programme: Programme = make_programme(organiser, name="Kaffee quer durchs Haus")
    token = ApiToken(programme=programme, name="Personalverwaltung", scope="read")
    token.issue()
    token.save()
    page = phone(browser, language)
    sign_in(page, live_server.url, organiser, language)
    base = f"{live_server.url}/programmes/{programme.pk}"
    for name, path in [
        ("connections", "/connections/"),
        ("new-invitation", "/invitation/"),
    ]:
        response = page.goto(base + path)
        assert response.status == 200, name
        assert fits(page), name
        page.screenshot(path=str(shots / f"{name}-{language}.png"), full_page=True)
    # Making a token shows it with the curl line: still no sideways scrolling.
    page.goto(base + "/connections/")
    page.locator("input[name=name]").fill("Ein sehr langer Name für das Personalsystem")
    page.locator("form:has(input[name=name]) button[type=submit]").click()
    page.wait_for_load_state()
    assert fits(page)
    page.screenshot(path=str(shots / f"connections-token-{language}.png"), full_page=True)
    page.context.close()


@pytest.mark.urls("tests.support.error_urls")
@pytest.mark.parametrize("language", ["de", "en"])
def test_server_error_refusal_and_refused_form_fit_a_phone(
    browser: Any, live_server: Any, shots: Path, language: str
) -> None:
    page = phone(browser, language)
    for name, path, status in [
        ("500", "/test-errors/crash/", 500),
        ("403", "/test-errors/refuse/", 403),
    ]:
        response = page.goto(live_server.url + path)
        assert response.status == status, name
        assert page.evaluate("document.documentElement.lang") == language
        assert fits(page), name
        page.screenshot(path=str(shots / f"{name}-{language}.png"), full_page=True)
    # A form sent after its cookie is gone (e.g. a session that ended).
    page.goto(live_server.url + "/privacy/")
    page.context.clear_cookies()
    with page.expect_navigation():
        page.locator("form.lang button").click()
    heading = page.locator("h1").inner_text()
    expected = (
        "Das Formular konnte nicht gesendet werden"
        if language == "de"
        else "The form could not be sent"
    )
    assert heading == expected
    assert fits(page)
    page.screenshot(path=str(shots / f"csrf-{language}.png"), full_page=True)
    page.context.close()
