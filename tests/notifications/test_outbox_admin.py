"""The outbox in the Django admin: e-mails of a round before and after the worker
rendered them, and "Send again"."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import send_outbox, text_part
from tests.support.web import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def test_the_admin_shows_an_introduction_before_and_after_it_is_rendered(
    admin_client: Client, programme: Any, make_participant: Any, smtp: Any
) -> None:
    make_participant(programme, "Anna", email="anna@example.org")
    make_participant(programme, "Ben", email="ben@example.org")
    publish_round(preview_round(programme))
    changelist = reverse("admin:notifications_outboxmessage_changelist")
    page = admin_client.get(changelist).content.decode()
    assert page.count("(written when it is sent)") == 2

    send_outbox()
    row = OutboxMessage.objects.get(to="anna@example.org")
    page = admin_client.get(changelist).content.decode()
    assert "(written when it is sent)" not in page and "you meet Ben" in page
    change = admin_client.get(reverse("admin:notifications_outboxmessage_change", args=[row.pk]))
    assert "Hello Anna" in change.content.decode()


def test_send_again_sends_what_was_sent_and_renders_what_never_was(
    admin_client: Client, programme: Any, make_participant: Any, smtp: Any, monkeypatch: Any
) -> None:
    from kaffeeklatsch.notifications import emails

    make_participant(programme, "Anna", email="anna@example.org")
    ben = make_participant(programme, "Ben", email="ben@example.org")
    publish_round(preview_round(programme))
    real = emails._ROUND_EMAILS[OutboxMessage.Kind.INTRODUCTION]

    def broken_for_ben(group: Any, member: Any, members: Any) -> Any:
        if member.pk == ben.pk:
            raise ValueError("template broken")
        return real(group, member, members)

    monkeypatch.setitem(emails._ROUND_EMAILS, OutboxMessage.Kind.INTRODUCTION, broken_for_ben)
    send_outbox()
    OutboxMessage.objects.filter(to="ben@example.org").update(status=OutboxMessage.Status.FAILED)
    monkeypatch.undo()
    [first] = smtp.to("anna@example.org")
    ben.name = "Benjamin"
    ben.save()

    response = admin_client.post(
        reverse("admin:notifications_outboxmessage_changelist"),
        {
            "action": "retry",
            "_selected_action": [
                str(pk) for pk in OutboxMessage.objects.values_list("pk", flat=True)
            ],
        },
    )
    assert response.status_code == 302
    assert send_outbox() == 2
    again = smtp.to("anna@example.org")[1]
    assert again["Subject"] == first["Subject"] and "Benjamin" not in again["Subject"]
    assert text_part(again) == text_part(first)  # as stored when it was first sent
    [to_ben] = smtp.to("ben@example.org")
    assert "Hello Benjamin" in text_part(to_ben)  # rendered now, from today's data
