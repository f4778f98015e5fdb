"""The reach pages in Chromium at a phone's width: no sideways scrolling, a skip link,
and a visible focus on everything the keyboard reaches (the same audit as every page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaffeeklatsch.participants.tokens import sign_in_token
from kaffeeklatsch.reach.models import ChatChannel, ReminderSetting
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.site.test_accessibility import _audit_page
from tests.support.web import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reach_pages_on_a_phone(
    browser: Any,
    live_server: Any,
    settings: Any,
    organiser: Any,
    programme: Any,
    make_participant: Any,
) -> None:
    settings.BASE_URL = live_server.url
    base = live_server.url
    slot = [[1, 9 * 60, 10 * 60]]
    hilde = make_participant(
        programme,
        "Hildegard Brauer-Schmidtmeier",
        email="",
        reached_by="post",
        postal_address="Lindenweg 3\n53111 Bonn",
        availability=slot,
        language="de",
    )
    anna = make_participant(programme, "Anna", availability=slot, language="de")
    channel = ChatChannel.objects.create(
        programme=programme,
        kind="mattermost",
        name="Mattermost",
        config={
            "webhook_url": "https://mm.example/hooks/1",
            "server_url": "https://mm.example",
            "bot_token": "token-token-token",
        },
    )
    ReminderSetting.objects.create(programme=programme, enabled=True)
    rnd = publish_round(preview_round(programme), notify=False)
    assert {m.pk for m in rnd.groups.get().members.all()} == {hilde.pk, anna.pk}

    context = browser.new_context(
        locale="de-DE", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(base + reverse("participants:sign_in", args=[sign_in_token(anna)]))
    page.locator("main button[type=submit]").click()
    page.wait_for_url(base + reverse("participants:me"))
    for url in (reverse("participants:me"), reverse("reach:chat")):
        _audit_page(page, base + url)
    page.goto(base + reverse("participants:me"))
    page.get_by_role("button", name="Wir haben verschoben").click()
    page.wait_for_url(base + reverse("participants:me"))
    context.close()

    context = browser.new_context(
        locale="en-GB", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Username").fill(organiser.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + reverse("programmes:list"))
    p = programme.pk
    for url in (
        reverse("reach:settings", args=[p]),
        reverse("reach:channel_add", args=[p, "slack"]),
        reverse("reach:channel_edit", args=[p, channel.pk]),
        reverse("rounds:detail", args=[p, rnd.pk]),
    ):
        _audit_page(page, base + url)
    page.goto(base + reverse("rounds:detail", args=[p, rnd.pk]))
    assert "Anna: we rescheduled" in page.locator("#meeting-updates").inner_text()
    context.close()
