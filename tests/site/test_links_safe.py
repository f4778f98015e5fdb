"""Opening a link from a message changes nothing.

Mail scanners, link previews and security gateways open the links of every e-mail
with GET and HEAD before (or instead of) the person. Every kind of message the
product sends is produced here through the paths that send it in use, every link of
it (text part, HTML part, the ``List-Unsubscribe`` header; chat texts too) is opened
with GET and HEAD, and the database must be the same row for row afterwards, with no
new message in the outbox. Then the buttons of the pages do record the answers.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.reach.channels.escaping import plain
from kaffeeklatsch.reach.models import MeetingUpdate, ReminderSetting
from kaffeeklatsch.reach.services import announcement_lines, direct_message_lines
from kaffeeklatsch.rounds.models import Feedback, Group
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.participants.test_join import form_data, join_url
from tests.participants.test_participants import PERSON
from tests.support.mail import html_part, links, send_outbox, text_part
from tests.support.web import login, path_of

pytestmark = pytest.mark.django_db

# Monday, 9 to 10 o'clock: a time everybody has, so the round suggests one, and
# introductions carry a calendar invitation and reminders are due.
SLOT = [[1, 9 * 60, 10 * 60]]

# The pages a message links to; the test fails when a kind of link goes missing from
# the messages, so that it cannot pass by checking fewer links.
EXPECTED_PAGES = {
    "participants:confirm",
    "participants:sign_in",
    "participants:unsubscribe",
    "rounds_feedback",
    "reach:meeting_update_link",
    "accounts:password_reset_confirm",
    "programmes:invitation",
}


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by model. The sessions are left out: a visitor's own
    session (the password-reset page keeps its token there, as Django does) is no
    change of the product's data, and nothing a scanner opens signs anybody in (the
    test checks that separately)."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model is not Session
    }


def message_links(message: EmailMessage, base: str) -> list[str]:
    found = links(text_part(message), base)
    if message.get_body(preferencelist=("html",)) is not None:
        found += [u.replace("&amp;", "&") for u in links(html_part(message), base)]
    header = message["List-Unsubscribe"]
    if header:
        found += links(str(header).strip("<>"), base)
    return found


def open_like_a_scanner(url: str) -> set[str]:
    """GET (following redirects) and HEAD, each from a fresh browser without cookies,
    as a mail scanner does; the names of the pages reached."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    reached = {resolve(parts.path).view_name}
    for method in ("get", "head"):
        scanner = Client()
        response = getattr(scanner, method)(path, follow=True)
        assert response.status_code in (200, 400), (method, url, response.status_code)
        for hop, _status in response.redirect_chain:
            reached.add(resolve(path_of(hop)).view_name)
        assert "participant_id" not in scanner.session, url
        assert "_auth_user_id" not in scanner.session, url
    return reached


def check_links(urls: list[str]) -> set[str]:
    before, outbox = snapshot(), OutboxMessage.objects.count()
    reached: set[str] = set()
    for url in sorted(set(urls)):
        reached |= open_like_a_scanner(url)
    after = snapshot()
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, changed
    assert OutboxMessage.objects.count() == outbox
    return reached


def csrf_post(client: Client, url: str) -> Any:
    """Opens the page of a link and presses its one button, with the CSRF token of the
    page, in a browser that checks CSRF as a real one is checked."""
    page = client.get(path_of(url))
    assert page.status_code == 200
    main = page.content.decode().split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert main.count("<button") == 1, main
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', main)
    assert token is not None
    return client.post(path_of(url), {"csrfmiddlewaretoken": token.group(1)})


@pytest.fixture
def everything_sent(
    client: Any,
    organiser: Any,
    programme: Any,
    make_participant: Any,
    smtp: Any,
    settings: Any,
) -> list[EmailMessage]:
    """Every kind of e-mail, each produced by the page or the worker that sends it."""
    ReminderSetting.objects.create(programme=programme, enabled=True, hours_before=24)
    # Sign-up through the invitation link: the confirmation e-mail.
    signed_up = client.post(join_url(programme), form_data(availability_choices=[], language="en"))
    assert signed_up.status_code == 302
    # Added by the organiser: the welcome e-mail.
    login(client, organiser)
    added = {**PERSON, "email": "hilde@example.org", "language": "en"}
    assert client.post(reverse("participants:add", args=[programme.pk]), added).status_code == 302
    # A co-organiser invited by e-mail.
    invite = reverse("programmes:organisers", args=[programme.pk])
    assert client.post(invite, {"email": "carla@example.org"}).status_code == 302
    client.logout()
    # An organiser who forgot the password.
    reset = client.post(reverse("accounts:password_reset"), {"email": organiser.email})
    assert reset.status_code == 302
    # Two people meet: introduction, reminder, "Did you meet?".
    for name in ("Anna", "Ben"):
        make_participant(
            programme, name, email=f"{name.lower()}@example.org", availability=SLOT, shares="both"
        )
    Participant.objects.filter(status=Participant.Status.PENDING).update(availability=[])
    # A sign-in link asked for on the page.
    asked = client.post(reverse("participants:request_link"), {"email": "anna@example.org"})
    assert asked.status_code == 200
    publish_round(preview_round(programme))
    send_outbox()
    # The reminder and the question after the round are the worker's jobs.
    Job.objects.update(run_at=timezone.now())
    run_due()
    run_due()
    send_outbox()
    return list(smtp.messages)


def test_opening_any_link_of_any_message_changes_nothing(
    everything_sent: list[EmailMessage], programme: Any, settings: Any
) -> None:
    subjects = [str(m["Subject"]) for m in everything_sent]
    for kind in ("Please confirm", "You were added", "to co-organise", "new password"):
        assert any(kind in s for s in subjects), (kind, subjects)
    for kind in ("Your link", "you meet", "Reminder", "Did you meet"):
        assert any(kind in s for s in subjects), (kind, subjects)
    urls = [u for m in everything_sent for u in message_links(m, settings.BASE_URL)]
    # What chat channels send (a direct message per person, the announcement) is
    # opened the same way, if it links to the server.
    group = Group.objects.get(round__programme=programme)
    chat = [plain(direct_message_lines(group, person)) for person in group.members.all()]
    chat += announcement_lines(group.round)
    urls += [u for text in chat for u in links(text, settings.BASE_URL)]

    reached = check_links(urls)
    assert reached >= EXPECTED_PAGES, EXPECTED_PAGES - reached
    assert not Feedback.objects.exists() and not MeetingUpdate.objects.exists()


def test_the_buttons_record_the_answers_and_the_cancellations_links_change_nothing(
    everything_sent: list[EmailMessage], settings: Any
) -> None:
    def sent(to: str, subject: str) -> EmailMessage:
        [message] = [m for m in everything_sent if to in str(m["To"]) and subject in m["Subject"]]
        return message

    question = sent("anna@example.org", "Did you meet")
    yes, no = links(text_part(question), settings.BASE_URL + "/feedback/")
    browser = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    # Without the page's token the button's POST is refused.
    assert browser.post(path_of(no)).status_code == 403
    assert not Feedback.objects.exists()
    assert "Noted: you met Ben" in csrf_post(browser, yes).content.decode()
    anna = Participant.objects.get(email="anna@example.org")
    assert Feedback.objects.get().participant == anna and Feedback.objects.get().met
    csrf_post(browser, no)
    assert Feedback.objects.get().met is False

    reminder = sent("ben@example.org", "Reminder")
    rescheduled, cannot = [u for u in links(text_part(reminder)) if "/meeting/" in u]
    csrf_post(browser, rescheduled)
    assert MeetingUpdate.objects.get().status == MeetingUpdate.Status.RESCHEDULED
    outbox = OutboxMessage.objects.count()
    page = csrf_post(browser, cannot)
    assert page.status_code == 200
    assert MeetingUpdate.objects.get().status == MeetingUpdate.Status.CANNOT_MEET
    # The meeting is off: everyone gets a cancellation, whose links change nothing.
    assert OutboxMessage.objects.count() > outbox
    cancellations = OutboxMessage.objects.filter(pk__gt=0).order_by("pk")[outbox:]
    urls = [u for m in cancellations for u in links(m.body_text + m.body_html, settings.BASE_URL)]
    assert urls
    check_links(urls)
