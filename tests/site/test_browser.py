"""The whole story in a real browser (Debian's Chromium driven by Playwright).

An organiser creates a programme; a person signs up through the invitation link and
confirms from the e-mail; the organiser previews and publishes a round; the person
opens the introduction and later answers "we met" from the e-mail.
"""

from __future__ import annotations

from typing import Any

import icalendar
import pytest
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Round
from tests.support.mail import ics_part, links, send_outbox, text_part
from tests.support.web import PASSWORD, RoundWorker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_whole_story(
    browser: Any,
    live_server: Any,
    settings: Any,
    smtp: Any,
    organiser: Any,
    round_worker: RoundWorker,
) -> None:
    round_worker.start()
    settings.BASE_URL = live_server.url
    base = live_server.url

    # The organiser creates a programme.
    org = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    page = org.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(organiser.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="New programme").click()
    page.get_by_label("Name").fill("Kaffee quer durchs Haus")
    page.get_by_label("Description").fill("Every two weeks a coffee with someone new.")
    page.get_by_role("combobox", name="Language").select_option("de")
    page.get_by_label("Group size").fill("2")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Kaffee quer durchs Haus").wait_for()
    invite = page.locator("#invite-url").inner_text().strip()
    programme = Programme.objects.get()
    assert invite == f"{base}/join/{programme.invite_token}/"

    # ... and adds a neighbour who has no e-mail address.
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Name").fill("Hildegard Brauer")
    page.get_by_label("Department").fill("Seniorentreff")
    page.get_by_label("How to reach (without e-mail)").fill("Festnetz 0228 55 55")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("cell", name="Hildegard Brauer").wait_for()

    # A person signs up on a phone, in German.
    phone = browser.new_context(
        locale="de-DE", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    person = phone.new_page()
    person.goto(invite)
    person.keyboard.press("Tab")
    assert person.evaluate("document.activeElement.className") == "skip"
    person.get_by_label("Name").fill("Lena Vogel")
    person.get_by_label("E-Mail-Adresse").fill("lena@example.org")
    person.get_by_label("Ich bin einverstanden", exact=False).check()
    person.get_by_role("button", name="Beitreten").click()
    person.get_by_role("heading", name="Fast geschafft: Bitte sehen Sie in Ihre E-Mails").wait_for()
    assert Participant.objects.get(email="lena@example.org").status == "pending"

    # She confirms from the e-mail.
    send_outbox()
    [confirmation] = smtp.to("lena@example.org")
    [confirm_url] = links(text_part(confirmation), base + "/confirm/")
    person.goto(confirm_url)
    person.get_by_role("button", name="Ja, ich möchte teilnehmen").click()
    person.get_by_text("Danke! Sie nehmen jetzt teil.").wait_for()
    assert Participant.objects.get(email="lena@example.org").status == "active"

    # On her page she answers two of the short questions after joining.
    person.get_by_label("Interessen").fill("Gärtnern, Chor")
    person.get_by_role("button", name="Speichern").first.click()
    person.get_by_text("Danke! Das hilft uns").wait_for()
    person.goto(base + "/me/step/?question=department")
    person.get_by_role("textbox", name="Abteilung").fill("Pflege")
    person.get_by_role("button", name="Speichern").first.click()
    person.get_by_text("Danke! Das hilft uns").wait_for()

    # The organiser previews the round, sees the groups and their quality, publishes.
    page.goto(f"{base}/programmes/{programme.pk}/rounds/")
    page.get_by_role("button", name="Preview the next round").click()
    page.locator("#quality").wait_for()
    assert "Quality:" in page.locator("#quality").inner_text()
    group = page.locator(".group").first
    assert "Lena Vogel" in group.inner_text() and "Hildegard Brauer" in group.inner_text()
    assert "Why:" in group.inner_text()
    assert not smtp.to("lena@example.org")[1:]  # a preview sends nothing
    page.get_by_role("button", name="Publish and send the e-mails").click()
    page.get_by_text("Round 1 is published").wait_for()
    assert "Festnetz 0228 55 55" in page.content()  # tell Hildegard by phone
    assert Round.objects.get().status == Round.Status.PUBLISHED

    # Lena gets her introduction with a calendar invitation.
    send_outbox()
    introduction = smtp.to("lena@example.org")[-1]
    assert "Hildegard Brauer" in introduction["Subject"]
    body = text_part(introduction)
    assert "Seniorentreff" in body and "Eine Frage zum Einstieg" in body
    event = icalendar.Calendar.from_ical(ics_part(introduction)).walk("VEVENT")[0]
    assert event.decoded("DTSTART") > timezone.now()

    # A few days later: "Did you meet?" - she answers from the e-mail: the link opens a
    # page with one button, and the button records the answer.
    Job.objects.update(run_at=timezone.now())
    send_outbox()
    question = smtp.to("lena@example.org")[-1]
    assert question["Subject"] == "Haben Sie Hildegard Brauer getroffen?"
    yes_url, _no_url = links(text_part(question), base + "/feedback/")
    person.goto(yes_url)
    assert not Feedback.objects.exists()
    person.get_by_role("button", name="Ja, wir haben uns getroffen").click()
    person.get_by_text("Notiert: Sie haben Hildegard Brauer getroffen.").wait_for()
    feedback = Feedback.objects.get()
    assert feedback.met is True and feedback.participant.email == "lena@example.org"

    # Her own page lists the meeting.
    person.goto(base + "/me/")
    assert "Hildegard Brauer" in person.locator("#h-meetings + ul").inner_text()
    cookies = {c["name"] for c in phone.cookies()} | {c["name"] for c in org.cookies()}
    assert cookies <= {"sessionid", "csrftoken"}
    phone.close()
    org.close()
