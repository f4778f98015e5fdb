"""The insights of the demo programme on a phone (390 CSS px) and a desktop, in a real
browser (Debian's Chromium through Playwright): every picture is drawn in a layout
for the screen with text of at least 12 px, every table fits or scrolls in a region
the keyboard reaches, and every figure is explained where it is shown."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from kaffeeklatsch.insights import present
from kaffeeklatsch.insights.metrics import insights, load
from kaffeeklatsch.programmes.models import Programme

IN_A_BROWSER = (pytest.mark.browser, pytest.mark.django_db(transaction=True))

# The smallest text of each picture shown, in CSS pixels on the screen: the font size
# of each text times the scale the picture is drawn at.
SMALLEST_TEXT = """() => [...document.querySelectorAll('svg.chart')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const scale = svg.getScreenCTM().a;
    const sizes = [...svg.querySelectorAll('text')]
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return [svg.id, Math.min(...sizes), svg.getBoundingClientRect().right];
  })"""

# Regions that scroll sideways, and whether the keyboard reaches them with a name.
SCROLLING = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1)
  .filter(e => getComputedStyle(e).overflowX !== 'visible')
  .map(e => ({
    id: e.querySelector('table') ? e.querySelector('table').id : e.tagName,
    focusable: e.tabIndex >= 0,
    name: e.getAttribute('aria-labelledby')
      ? document.getElementById(e.getAttribute('aria-labelledby')).textContent : '',
  }))"""


def _demo_organiser(page: Any, base: str) -> Programme:
    out = StringIO()
    call_command("demo", stdout=out)
    password = re.search(r"password:\s+(\S+)", out.getvalue())
    assert password is not None
    page.goto(base + "/accounts/login/")
    page.locator("input[name=username]").fill("demo")
    page.locator("input[name=password]").fill(password.group(1))
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/programmes/"))
    return Programme.objects.get(organiser__user__username="demo", kind="workplace")


@pytest.mark.parametrize("language", ["de-DE", "en-GB"])
@IN_A_BROWSER[0]
@IN_A_BROWSER[1]
def test_the_insights_are_readable_on_a_phone(
    browser: Any,  # noqa: F811
    live_server: Any,
    language: str,
) -> None:
    context = browser.new_context(locale=language, viewport={"width": 390, "height": 844})
    page = context.new_page()
    programme = _demo_organiser(page, live_server.url)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/insights/")
    page.locator("svg.chart").first.wait_for(state="attached")

    shown = page.evaluate(SMALLEST_TEXT)
    # One picture of each kind, the narrow one, never the wide one scaled down.
    assert [key for key, _size, _right in shown] == [
        f"chart-{key}-narrow"
        for key in ("people", "quality", "meeting-rate", "connections", "heatmap", "network")
    ]
    for key, size, right in shown:
        assert size >= 12, (key, size)
        assert right <= 390, (key, right)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The wide pictures are hidden from everyone, so a screen reader meets each
    # picture once.
    for key in ("quality", "heatmap"):
        title = page.locator(f"#chart-{key}-title").text_content()
        assert page.get_by_role("img", name=title).count() == 1

    # The department matrix does not fit a phone: it scrolls in a named region that the
    # keyboard reaches (Tab), and so does every other table that scrolls.
    scrolling = page.evaluate(SCROLLING)
    assert "table-heatmap" in [region["id"] for region in scrolling]
    for region in scrolling:
        assert region["focusable"] and region["name"].strip(), region
    region = page.locator("#table-heatmap").locator("xpath=..")
    region.focus()
    assert page.evaluate("document.activeElement.querySelector('table').id") == "table-heatmap"
    before = region.evaluate("e => e.scrollLeft")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("before => document.activeElement.scrollLeft > before", arg=before)

    # Each figure is explained where it is shown: the first meetings, the interests
    # shared by meaning and the silo index among the key figures, score and bound
    # beside the quality table.
    with_meaning = page.locator("ul.figures li .meaning").all_inner_texts()
    assert len(with_meaning) == 3 and all(text.strip() for text in with_meaning)
    terms = page.locator("#h-quality ~ dl.terms dt").all_inner_texts()
    columns = page.locator("#table-quality thead th").all_inner_texts()
    assert set(terms) >= set(columns[4:]), (terms, columns)
    for key in ("people", "meeting-rate", "connections", "heatmap", "network"):
        assert page.locator(f"#h-{key} ~ dl.terms dd").count() >= 2, key
    context.close()


@IN_A_BROWSER[0]
@IN_A_BROWSER[1]
def test_the_department_table_fits_a_desktop(browser: Any, live_server: Any) -> None:  # noqa: F811
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    programme = _demo_organiser(page, live_server.url)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/insights/")
    # Many departments: the matrix has a column for each.
    assert page.locator("#table-heatmap thead th").count() >= 8
    assert page.evaluate(SCROLLING) == []
    shown = page.evaluate(SMALLEST_TEXT)
    assert [key for key, _size, _right in shown][0] == "chart-people"
    assert all(size >= 10 for _key, size, _right in shown), shown
    context.close()


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.django_db
def test_every_figure_of_a_picture_has_a_meaning(language: str) -> None:
    """Every column of the quality, meeting rate and connections tables after the
    round's name is explained in one sentence."""
    call_command("demo", stdout=StringIO())
    found = insights(load(Programme.objects.get(kind="workplace"), timezone.localdate()))
    with translation.override(language):
        charts = {chart.key: chart for chart in present.charts(found)}
        for key, first_explained in (("quality", 4), ("meeting-rate", 1), ("connections", 1)):
            chart = charts[key]
            terms = [term for term, _meaning in chart.terms]
            assert terms == chart.table.columns[first_explained:], (key, terms)
            assert all(meaning.endswith(".") for _term, meaning in chart.terms)
