"""Accessibility proven in a real browser: every page of the product, opened in
Debian's Chromium at a phone's width (390 px) and a desktop's (1280 px), in German and
in English, is checked by axe-core (bundled with axe-playwright-python, no CDN) with
the WCAG 2.1 A and AA rules. A page fails on any violation, on scrolling sideways at
390 px and on any request to another host.

The pages are those of the authorization matrix (tests/web/test_authorization.py),
each opened by a role allowed to open it, plus the pages a link from an e-mail opens
(with a link that is no longer valid), an unknown address (404), a form sent without
its CSRF cookie (403), the API's documentation and the insights and last round of the
demo programme, whose rounds fill every picture.
The world is built once; one browser visits everything, and every problem of every
page is reported together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.test import Client

from kaffeeklatsch.programmes.models import Programme
from tests.site.test_accessibility import WIDER_THAN_THE_SCREEN
from tests.site.test_authorization import (
    GET,
    RULES,
    checked_urls,
    client_for,
    url_for,
)
from tests.support.world import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
WIDTHS = (390, 1280)
LANGUAGES = {"de": "de-DE", "en": "en-GB"}
# The roles whose pages are visited, each as the first role allowed to open a page.
ROLES = ("anonymous", "participant", "owner", "stranger")
UNKNOWN_ADDRESS = "/no-such-page/"


def _demo(client: Client) -> list[str]:
    """The demo programme (six rounds, a dozen departments), its organiser signed in
    with ``client``, and the pages whose content depends on history: the insights and
    the last round."""
    out = StringIO()
    call_command("demo", stdout=out)
    password = re.search(r"password:\s+(\S+)", out.getvalue())
    assert password is not None
    assert client.login(username="demo", password=password.group(1))
    programme = Programme.objects.get(organiser__user__username="demo", kind="workplace")
    last = programme.rounds.order_by("-number").first()
    assert last is not None
    return [
        f"/programmes/{programme.pk}/insights/",
        f"/programmes/{programme.pk}/rounds/{last.pk}/",
    ]


def pages_by_role(w: World) -> dict[str, list[str]]:
    """Every GET page of the URLconf, under the first role of :data:`ROLES` that may
    open it; pages opened by a link from an e-mail are opened with a stale link."""
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for named in checked_urls():
        rule = RULES[named.name]
        if GET not in rule.requests or named.name.startswith(("scim:", "sso:")):
            continue
        role = next((r for r in ROLES if r in rule.allowed), None)
        if rule.by_link:
            role = "anonymous"
        if role is None or (named.name.startswith("api:") and named.name != "api:docs"):
            continue
        found[role].append(url_for(named, w))
    found["anonymous"].append(UNKNOWN_ADDRESS)
    return found


def only_html(
    pages: dict[str, list[str]], clients: dict[str, Client]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The pages that are HTML, as the role's client sees them, and apart from them the
    HTML documents offered as a file to download (a person's readable data), which a
    browser saves instead of showing: they are checked as their reader opens them."""
    shown: dict[str, list[str]] = {role: [] for role in pages}
    documents: dict[str, list[str]] = {role: [] for role in pages}
    for role, urls in pages.items():
        for url in urls:
            response = clients[role].get(url)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            saved = "attachment" in response.get("Content-Disposition", "")
            (documents if saved else shown)[role].append(url)
    return shown, documents


def _session_cookies(client: Client, base: str) -> list[dict[str, Any]]:
    return [{"name": name, "value": c.value, "url": base} for name, c in client.cookies.items()]


class Visit:
    """One browser context (a language, a width, a role's cookies) that records every
    request to another host and refuses it."""

    def __init__(self, chromium: Any, base: str, language: str, width: int) -> None:
        self.host = urlsplit(base).netloc
        self.elsewhere: list[str] = []
        self.context = chromium.new_context(
            locale=LANGUAGES[language],
            extra_http_headers={"Accept-Language": LANGUAGES[language]},
            viewport={"width": width, "height": 900},
        )
        self.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != self.host:
            self.elsewhere.append(url)
            route.abort()
        else:
            route.continue_()

    def close(self) -> None:
        self.context.close()


def problems_of(page: Any, axe: Axe, width: int) -> list[str]:
    found = []
    results = axe.run(page, options=WCAG_21_AA).response
    for violation in results["violations"]:
        targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]][:5]
        found.append(f"axe {violation['id']} ({violation['impact']}): {targets}")
    if width < 500:
        wide = page.evaluate(WIDER_THAN_THE_SCREEN)
        if wide:
            found.append(f"scrolls sideways: {wide[:5]}")
    return found


def csrf_failure(page: Any, base: str) -> Any:
    """The page of a form sent without its CSRF cookie (a browser that refuses
    cookies, or a form left open too long): the language switch, pressed after the
    cookies are gone."""
    page.goto(base + "/")
    page.context.clear_cookies()
    with page.expect_navigation() as navigation:
        page.locator("form.lang button").first.click()
    assert navigation.value.status == 403
    return page


@pytest.fixture
def world(transactional_db: None) -> World:
    """The authorization matrix's world, committed, so the live server sees it."""
    return build_world()


@pytest.fixture
def clients(world: World) -> Iterator[dict[str, Client]]:
    found = {role: client_for(role, world) for role in ROLES}
    found["demo"] = Client()
    yield found


def test_every_page_passes_axe_at_both_widths_in_both_languages(
    browser: Any,  # noqa: F811
    live_server: Any,
    settings: Any,
    world: World,
    clients: dict[str, Client],
) -> None:
    settings.BASE_URL = base = live_server.url
    pages = pages_by_role(world)
    pages["demo"] = _demo(clients["demo"])
    pages, documents = only_html(pages, clients)
    assert sum(len(urls) for urls in pages.values()) >= 35
    assert sum(len(urls) for urls in documents.values()) >= 1
    # The pages of a bug (500) and of a refusal (403): the product's URLs plus two
    # that fail on purpose.
    settings.ROOT_URLCONF = "tests.support.error_urls"
    pages["anonymous"] += ["/test-errors/crash/", "/test-errors/refuse/"]
    axe = Axe()
    report: list[str] = []
    checked = 0
    for language in LANGUAGES:
        for width in WIDTHS:
            for role, urls in pages.items():
                visit = Visit(browser, base, language, width)
                visit.context.add_cookies(_session_cookies(clients[role], base))
                page = visit.context.new_page()
                for url in urls:
                    page.goto(base + url)
                    checked += 1
                    for problem in problems_of(page, axe, width):
                        report.append(f"{language} {width}px {role} {url}: {problem}")
                for url in documents[role]:
                    page.set_content(clients[role].get(url).content.decode())
                    checked += 1
                    for problem in problems_of(page, axe, width):
                        report.append(f"{language} {width}px {role} {url} (saved): {problem}")
                if role == "anonymous":
                    checked += 1
                    report += [
                        f"{language} {width}px CSRF failure: {problem}"
                        for problem in problems_of(csrf_failure(page, base), axe, width)
                    ]
                report += [f"{language} {width}px {role}: asked {u}" for u in visit.elsewhere]
                visit.close()
    assert checked >= 4 * 35
    assert not report, "\n".join(report)
