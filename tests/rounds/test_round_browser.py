"""A round of a few thousand people through the pages in a real browser (Debian's
Chromium driven by Playwright): the preview handed to the worker with its progress
shown, the round page searched, a person moved by searching the target group, and
the round published."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Group, Round, RoundTask
from tests.support.web import DEPARTMENTS, LEVELS, PASSWORD, RoundWorker

PEOPLE = 3000
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_round_of_thousands_through_the_pages(
    browser: Any,
    live_server: Any,
    settings: Any,
    organiser: Any,
    make_programme: Any,
    round_worker: RoundWorker,
) -> None:
    settings.BASE_URL = live_server.url
    programme = make_programme(organiser, name="Großer Träger", language="en")
    Participant.objects.bulk_create(
        Participant(
            programme=programme,
            name=f"Person {n:04d}",
            email=f"person{n}@example.org",
            department=DEPARTMENTS[n % len(DEPARTMENTS)],
            level=LEVELS[n % len(LEVELS)],
            languages=["de", "en"],
            status=Participant.Status.ACTIVE,
        )
        for n in range(PEOPLE)
    )
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(organiser.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/programmes/{programme.pk}/rounds/")

    # Pressed, the preview waits for the worker; the page shows it and its progress.
    page.get_by_role("button", name="Preview the next round").click()
    page.get_by_text("Waiting for the worker").first.wait_for()
    assert page.locator("progress").get_attribute("value") == "0"
    assert not Round.objects.exists()
    round_worker.start()
    # The page polls the status and shows the preview when it is stored.
    page.locator("#quality").wait_for(timeout=120_000)
    rnd = Round.objects.get(programme=programme)
    assert page.url.endswith(f"/rounds/{rnd.pk}/")
    groups = rnd.groups.count()
    summary = page.locator("#summary").inner_text()
    assert f"{groups}\ngroups" in summary or f"{groups} groups" in summary
    assert page.locator(".group").count() == 50  # one page of groups, not all of them

    # Search for a person: only their group is shown.
    page.get_by_role("searchbox", name="Search").fill("Person 2718")
    page.get_by_role("button", name="Search").click()
    assert page.locator(".group").count() == 1
    card = page.locator(".group").first
    assert "Person 2718" in card.inner_text()
    mover_group = Group.objects.get(round=rnd, members__name="Person 2718")
    mover = next(m for m in mover_group.members.all() if m.name != "Person 2718")

    # Move the other member of that group into the group of Person 0042, found by search.
    card.get_by_role("link", name=re.compile(f"Move {mover.name}")).click()
    page.get_by_label("Find the group").fill("Person 0042")
    page.get_by_role("button", name="Search").click()
    target = Group.objects.get(round=rnd, members__name="Person 0042")
    page.get_by_role("button", name=f"Move into group {target.number}").click()
    # Moved, and told at once that Person 2718 is now alone.
    page.get_by_text(f"Group {mover_group.number} has only Person 2718").first.wait_for()
    # Back on the round page with the search the organiser came from.
    assert "q=Person+2718" in page.url
    assert target.members.filter(pk=mover.pk).exists()
    target.refresh_from_db()
    assert target.moved
    # Person 2718, now alone in the group, goes out of this round.
    page.locator(".group").first.get_by_role("link", name=re.compile("Move Person 2718")).click()
    page.get_by_role("button", name="Out of this round").click()
    page.get_by_text("Moved.").wait_for()
    assert rnd.left_out.filter(participant__name="Person 2718").exists()

    # Publish: the worker checks and stores the round with its e-mails.
    page.get_by_role("link", name="Show all groups").click()
    page.get_by_role("button", name="Publish and send the e-mails").click()
    page.get_by_text("Round 1 is published").wait_for(timeout=120_000)
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PUBLISHED
    assert RoundTask.objects.filter(status=RoundTask.Status.DONE).count() == 2
    introductions = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.INTRODUCTION)
    assert introductions.count() == PEOPLE - rnd.left_out.count()
    context.close()
