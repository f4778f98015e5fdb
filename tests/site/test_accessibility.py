"""Accessibility (WCAG 2.1 AA) and phones: contrast of the stylesheet's colours, and in
a real browser (Debian's Chromium) at a phone's width: the language and viewport of
every page, no sideways scrolling, a skip link, a visible focus on everything the
keyboard reaches, and a form used with the keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import sign_in_token
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import PASSWORD
from tests.support.world import World, build_world

STYLESHEET = Path(__file__).parents[2] / "kaffeeklatsch/front/static/kaffeeklatsch/style.css"


def _variables() -> dict[str, str]:
    root = re.search(r":root\s*\{([^}]*)\}", STYLESHEET.read_text())
    assert root is not None
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root.group(1)))


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_of_the_stylesheets_colours() -> None:
    v = _variables()
    white = "#ffffff"
    text_pairs = {
        "body text": (v["ink"], v["paper"]),
        "help text": (v["muted"], v["paper"]),
        "help text in a card": (v["muted"], white),
        "footer and header text": (v["muted"], v["soft"]),
        "links": (v["accent"], v["paper"]),
        "links in the header": (v["accent"], v["soft"]),
        "links in a card": (v["accent"], white),
        "button text": (v["accent-ink"], v["accent"]),
        "errors": (v["bad"], v["paper"]),
        "errors in a card": (v["bad"], white),
        "danger button": (white, v["bad"]),
        "skip link": (white, v["ink"]),
    }
    for what, (fore, back) in text_pairs.items():
        assert contrast(fore, back) >= 4.5, (what, fore, back, contrast(fore, back))
    # Non-text: the focus ring and the borders of inputs need 3:1 (WCAG 1.4.11).
    css = STYLESHEET.read_text()
    input_border = re.search(r"border: 1px solid (#[0-9a-fA-F]{6}); border-radius", css)
    assert input_border is not None
    for what, (fore, back) in {
        "focus ring": (v["focus"], v["paper"]),
        "focus ring in the header": (v["focus"], v["soft"]),
        # The ring is drawn 2 px outside the element, on the page or card around it.
        "focus ring in a card": (v["focus"], white),
        "input borders": (input_border.group(1), white),
        "success marker": (v["ok"], v["soft"]),
    }.items():
        assert contrast(fore, back) >= 3, (what, fore, back, contrast(fore, back))
    assert ":focus-visible { outline: 3px solid var(--focus)" in css


# ---------------------------------------------------------------------------
# In the browser


@pytest.fixture
def story(organiser: Any, programme: Any, make_participant: Any) -> dict[str, Any]:
    people = [make_participant(programme, f"Person {n}") for n in range(5)]
    publish_round(preview_round(programme), notify=False)
    rnd = preview_round(programme)
    return {"programme": programme, "person": people[0], "round": rnd}


def _pages(story: dict[str, Any]) -> dict[str, list[str]]:
    p = story["programme"].pk
    return {
        "public": [
            "/",
            "/privacy/",
            reverse("participants:request_link"),
            reverse("accounts:login"),
            reverse("participants:join", args=[story["programme"].invite_token]),
        ],
        "participant": [
            reverse("participants:me"),
            reverse("participants:edit_profile"),
            reverse("participants:leave"),
            reverse("participants:erase"),
        ],
        "organiser": [
            reverse("programmes:list"),
            reverse("programmes:create"),
            reverse("programmes:detail", args=[p]),
            reverse("programmes:edit", args=[p]),
            reverse("participants:list", args=[p]),
            reverse("participants:add", args=[p]),
            reverse("participants:import", args=[p]),
            reverse("rounds:list", args=[p]),
            reverse("rounds:detail", args=[p, story["round"].pk]),
            reverse("programmes:organisers", args=[p]),
            reverse("insights:dashboard", args=[p]),
            reverse("reach:settings", args=[p]),
            reverse("scim:settings", args=[p]),
        ],
    }


# Elements that stick out to the right of the screen (the page would scroll sideways).
WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width + 1) return [];
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
    .map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.name ? '[' + e.name + ']' : '') + ' '
      + (e.innerText || '').slice(0, 30));
}"""

FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex='0']"

# What the keyboard reaches, and how its focus is drawn, measured in the page.
FOCUS_AUDIT = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName, text: (el.innerText || el.value || el.name || '').slice(0, 40),
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
    visible: box.width > 0 && box.height > 0,
  };
}"""


def _audit_page(page: Any, url: str) -> None:
    page.goto(url)
    assert page.evaluate("document.documentElement.lang") in ("de", "en"), url
    viewport = page.locator("meta[name=viewport]").get_attribute("content")
    assert viewport is not None and "width=device-width" in viewport, url
    # No sideways scrolling on a phone.
    wide = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert not wide, (url, wide)
    # Nothing is loaded from another host.
    hosts = page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert set(hosts) <= {page.evaluate("location.host")}, (url, hosts)
    # The skip link comes first. The first Tab reaches it, shown on screen (a page
    # that puts the cursor in its first field reaches it with Shift+Tab); Enter moves
    # to the content.
    assert page.locator(FOCUSABLE).first.get_attribute("class") == "skip", url
    if page.evaluate("document.activeElement !== document.body"):
        for _ in range(10):
            if page.evaluate("document.activeElement.className") == "skip":
                break
            page.keyboard.press("Shift+Tab")
    else:
        page.keyboard.press("Tab")
    first = page.evaluate(FOCUS_AUDIT)
    assert first is not None and first["tag"] == "A" and first["visible"], (url, first)
    assert page.evaluate("document.activeElement.className") == "skip", url
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main", url
    # Every element the keyboard reaches shows a focus ring of at least 2 px.
    count = page.locator(FOCUSABLE).count()
    for _ in range(min(count, 60)):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_AUDIT)
        if focused is None:
            break
        if not focused["visible"]:
            continue
        assert focused["outline"] != "none" and focused["width"] >= 2, (url, focused)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_on_a_phone_with_the_keyboard(
    browser: Any,
    live_server: Any,
    settings: Any,
    organiser: Any,
    story: dict[str, Any],
) -> None:
    settings.BASE_URL = live_server.url
    base = live_server.url
    pages = _pages(story)
    context = browser.new_context(
        locale="de-DE", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    for url in pages["public"]:
        _audit_page(page, base + url)

    # A participant signs in from the e-mail link with the keyboard alone.
    person: Participant = story["person"]
    page.goto(base + reverse("participants:sign_in", args=[sign_in_token(person)]))
    page.keyboard.press("Tab")
    for _ in range(30):
        if page.evaluate(
            "document.activeElement.type === 'submit' && !!document.activeElement.closest('main')"
        ):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(base + reverse("participants:me"))
    for url in pages["participant"]:
        _audit_page(page, base + url)
    context.close()

    # An organiser logs in with the keyboard alone and walks the programme's pages.
    context = browser.new_context(
        locale="en-GB", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Username").focus()
    page.keyboard.type(organiser.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + reverse("programmes:list"))
    for url in pages["organiser"]:
        _audit_page(page, base + url)
    cookies = {c["name"] for c in context.cookies()}
    assert cookies <= {"sessionid", "csrftoken"}, cookies
    context.close()


# ---------------------------------------------------------------------------
# Every page of the URLconf, as each role that may open it


@pytest.fixture
def world(db: None) -> World:
    """The authorization matrix's world, built for the one test here that needs it: held
    open in a transaction for the whole module (tests/site/conftest.py), it would hide
    the data of this module's test on the live server."""
    return build_world()


@pytest.mark.django_db
def test_every_page_has_labels_a_language_and_a_viewport(world: World) -> None:
    """Walks every URL of the authorization matrix as every role allowed to open it."""
    from tests.front.test_pages import audit
    from tests.site.test_authorization import GET, RULES, checked_urls, client_for, url_for

    opened = 0
    for role in ("anonymous", "participant", "owner", "staff"):
        client = client_for(role, world)
        for named in checked_urls():
            rule = RULES[named.name]
            if role not in rule.allowed or GET not in rule.requests or rule.by_link:
                continue
            response = client.get(url_for(named, world))
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            html = response.content.decode()
            page = audit(html)
            assert page.html_lang in ("de", "en"), named.name
            assert not page.unlabelled(), (role, named.name, page.unlabelled())
            assert 'name="viewport" content="width=device-width' in html, named.name
            opened += 1
    assert opened >= 30
