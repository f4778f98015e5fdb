"""The insights of the demo programme in a real browser (Debian's Chromium through
Playwright): every picture renders, with its table beside it."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from kaffeeklatsch.programmes.models import Programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PICTURES = ["people", "quality", "meeting-rate", "connections", "heatmap", "network"]


def test_every_picture_of_the_demo_renders_with_its_table(browser: Any, live_server: Any) -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    password = re.search(r"password:\s+(\S+)", out.getvalue()).group(1)
    programme = Programme.objects.get(kind="workplace")

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("requestfailed", lambda r: errors.append(r.url))
    page.on(
        "response",
        lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
    )
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    page.get_by_role("link", name="Insights").click()
    page.get_by_role("heading", name="Insights", exact=True).wait_for()

    for key in PICTURES:
        picture = page.locator(f"svg#chart-{key}")
        assert picture.get_attribute("role") == "img"
        box = picture.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100, key
        # The picture draws something: bars, lines, cells or circles of its own.
        assert picture.locator("rect, line, circle").count() > 5, key
        title = picture.locator("title").text_content()
        assert title and page.get_by_role("img", name=title).count() == 1
        table = page.locator(f"table#table-{key}")
        assert table.is_visible(), key
        assert table.locator("caption").inner_text().strip()
        assert table.locator("tbody tr th[scope=row]").count() >= 2, key
        assert table.locator("thead th[scope=col]").count() >= 2, key
    # The demo has enough history that every figure is shown: six rounds, departments
    # in the matrix, a silo index.
    assert page.locator("table#table-quality tbody tr").count() >= 6
    assert page.locator("table#table-network tbody tr").count() >= 5
    assert "Silo index:" in page.locator("main").inner_text()
    assert not errors, errors
    context.close()
