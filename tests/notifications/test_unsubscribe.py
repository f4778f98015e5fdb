"""The bulk-sender headers of every e-mail to a participant (List-Id, RFC 2919;
List-Unsubscribe with one-click List-Unsubscribe-Post, RFC 8058), read from the
e-mails a real SMTP server received, and the one-click link they carry."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kaffeeklatsch.notifications import emails
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.participants.tokens import unsubscribe_url
from kaffeeklatsch.programmes.models import OrganiserInvitation
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import html_part, send_outbox, text_part
from tests.support.web import path_of

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


def unsubscribe_link(message: EmailMessage) -> str:
    [url] = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
    return url


def state(participant: Participant) -> tuple[Any, ...]:
    participant.refresh_from_db()
    return (participant.status, participant.left_at, participant.paused_until)


def test_every_e_mail_to_a_participant_carries_the_headers(
    programme: Any,
    make_programme: Any,
    organiser: Any,
    make_organiser: Any,
    make_participant: Any,
    smtp: Any,
) -> None:
    slot = [[1, 9 * 60, 12 * 60]]
    anna = make_participant(programme, "Anna", email="anna@example.org", availability=slot)
    make_participant(programme, "Ben", email="ben@example.org", availability=slot)
    other = make_programme(organiser, name="Café “Süd”, Köln", language="de")
    cleo = make_participant(other, "Cleo", email="cleo@example.org", language="de")
    emails.queue_welcome(anna)
    emails.queue_sign_in_link(cleo)
    publish_round(preview_round(programme))
    invitation = OrganiserInvitation.objects.create(
        programme=programme,
        user=make_organiser("carla"),
        invited_by=organiser,
        invited_at=timezone.now(),
        expires_at=timezone.now() + OrganiserInvitation.VALID_FOR,
    )
    emails.queue_organiser_invitation(invitation, "https://x.example/", "", "en")
    send_outbox()

    to_anna = smtp.to("anna@example.org")
    assert len(to_anna) == 2  # the welcome and the introduction
    ids = set()
    for message in [*to_anna, *smtp.to("ben@example.org"), *smtp.to("cleo@example.org")]:
        assert message["List-Unsubscribe-Post"] == ONE_CLICK
        url = unsubscribe_link(message)
        assert url.startswith("http://localhost:8000/unsubscribe/")
        ids.add(str(message["List-Id"]))
    assert f"<programme-{programme.pk}.localhost>" in str(to_anna[0]["List-Id"])
    assert str(to_anna[0]["List-Id"]) == f"Kaffee im Haus <programme-{programme.pk}.localhost>"
    # One list per programme, whoever the e-mail goes to; a name needing quotes and
    # other letters is encoded (RFC 2047) and decodes back to it.
    assert len(ids) == 2
    [south] = smtp.to("cleo@example.org")
    assert str(south["List-Id"]) == f"Café “Süd”, Köln <programme-{other.pk}.localhost>"
    assert "List-Id: =?utf-8?" in south.as_string()
    # The same way out is in the text the reader sees, in their language.
    for message in [*to_anna, south]:
        url = unsubscribe_link(message)
        assert f'<a href="{url}"' in html_part(message)
        assert url in text_part(message).replace("\r\n", "\n").rsplit("\n-- \n", 1)[1]
    assert "leave the programme: http" in text_part(to_anna[0])
    assert "treten Sie aus dem Programm aus: http" in text_part(south)
    # Each person's link is their own, and the same in all their e-mails.
    assert unsubscribe_link(to_anna[0]) == unsubscribe_link(to_anna[1])
    assert unsubscribe_link(to_anna[0]) != unsubscribe_link(smtp.to("ben@example.org")[0])
    # The organiser's e-mail is not to a participant: no list headers.
    [to_carla] = smtp.to("carla@example.org")
    assert to_carla["List-Id"] is None and to_carla["List-Unsubscribe"] is None


def test_one_click_leaves_the_programme_as_the_page_does(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    emails.queue_welcome(anna)
    send_outbox()
    [message] = smtp.to("anna@example.org")
    path = path_of(unsubscribe_link(message))
    provider = Client(enforce_csrf_checks=True)  # a mail provider: no session, no token
    before = state(anna)

    # Opening the link (as a mail scanner does) only asks.
    assert provider.head(path).status_code == 200
    page = provider.get(path, headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "do you want to leave “Kaffee im Haus”?" in page.content.decode()
    assert state(anna) == before

    # The POST of RFC 8058, form-encoded as the providers send it.
    answer = provider.post(
        path,
        ONE_CLICK,
        content_type="application/x-www-form-urlencoded",
        headers={"accept-language": "en"},
    )
    assert answer.status_code == 200
    assert "You have left “Kaffee im Haus”" in answer.content.decode()
    status, left_at, _ = state(anna)
    assert status == Participant.Status.LEFT and left_at is not None
    assert "participant_id" not in provider.session
    # A second click (or the provider retrying) changes nothing.
    assert provider.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert state(anna)[:2] == (status, left_at)
    # And no more e-mails: the round leaves her out.
    assert not OutboxMessage.objects.filter(participant=anna, status="pending").exists()


def test_a_forged_or_incomplete_request_changes_nothing(
    programme: Any, make_participant: Any, german_client: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    real = path_of(unsubscribe_url(anna))
    before = state(anna)
    for forged in ("/unsubscribe/forged/", real[:-4] + "xyz/", "/unsubscribe/" + "A" * 80 + "/"):
        for method in (german_client.get, german_client.post):
            response = method(forged, {"List-Unsubscribe": "One-Click"})
            assert response.status_code == 400, forged
            assert "Dieser Abmeldelink ist ungültig" in response.content.decode()
    # Another salt's token (a sign-in link's) is no unsubscribe link.
    from kaffeeklatsch.participants.tokens import sign_in_token

    assert german_client.post(f"/unsubscribe/{sign_in_token(anna)}/").status_code == 400
    # A real link, but without the one-click body: refused, with a clear message.
    response = german_client.post(real, {"other": "x"})
    assert response.status_code == 400
    assert "Diese Anfrage ist unvollständig" in response.content.decode()
    assert german_client.put(real).status_code == 405
    assert state(anna) == before


def test_unsubscribing_cancels_the_meeting_ahead(
    programme: Any, make_participant: Any, smtp: Any
) -> None:
    slot = [[1, 9 * 60, 12 * 60]]
    anna = make_participant(programme, "Anna", email="anna@example.org", availability=slot)
    make_participant(programme, "Ben", email="ben@example.org", availability=slot)
    publish_round(preview_round(programme))
    send_outbox()
    [introduction] = smtp.to("anna@example.org")
    smtp.clear()
    response = Client().post(
        path_of(unsubscribe_link(introduction)),
        ONE_CLICK,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    send_outbox()
    # A pair: the group is dissolved, both get the cancellation.
    for address in ("anna@example.org", "ben@example.org"):
        [message] = smtp.to(address)
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        assert part.get_param("method") == "CANCEL"
    assert state(anna)[0] == Participant.Status.LEFT


@pytest.mark.django_db(transaction=True)
def test_the_providers_post_over_http(
    live_server: Any, settings: Any, programme: Any, make_participant: Any, smtp: Any
) -> None:
    """As a mail provider does it: the URL from the header, a plain HTTP POST with the
    RFC 8058 body, no cookie."""
    import urllib.request

    settings.BASE_URL = live_server.url
    anna = make_participant(programme, "Anna", email="anna@example.org")
    emails.queue_sign_in_link(anna)
    send_outbox()
    [message] = smtp.to("anna@example.org")
    url = unsubscribe_link(message)
    assert url.startswith(live_server.url + "/unsubscribe/")
    with urllib.request.urlopen(url, timeout=30) as response:  # a scanner's GET
        assert response.status == 200
    assert state(anna)[0] == Participant.Status.ACTIVE
    request = urllib.request.Request(
        url,
        data=ONE_CLICK.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert state(anna)[0] == Participant.Status.LEFT
