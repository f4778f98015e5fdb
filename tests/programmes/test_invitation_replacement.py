"""Replacing a programme's invitation link asks first, without JavaScript, and says
that the old link stops working; the old link works until the organiser confirms."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kaffeeklatsch.programmes.models import Programme, RetiredInviteLink
from tests.support.web import login

pytestmark = pytest.mark.django_db


def test_the_programme_page_offers_a_link_to_the_question_not_a_button(
    client: Any, organiser: Any, programme: Programme
) -> None:
    login(client, organiser)
    page = client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()
    ask = reverse("programmes:new_invitation", args=[programme.pk])
    assert f'href="{ask}"' in page
    assert f'action="{ask}"' not in page


@pytest.mark.parametrize(
    ("language", "warning"),
    [
        ("en", "The current invitation link stops working at once"),
        ("de", "Der jetzige Einladungslink funktioniert dann sofort nicht mehr"),
    ],
)
def test_the_old_link_stops_working_only_after_confirming(
    language: str, warning: str, organiser: Any, programme: Programme
) -> None:
    client = Client(headers={"accept-language": "de-DE" if language == "de" else "en"})
    login(client, organiser)
    old = programme.invite_token
    ask = reverse("programmes:new_invitation", args=[programme.pk])
    join = reverse("participants:join", args=[old])

    question = client.get(ask)
    assert question.status_code == 200
    page = question.content.decode()
    assert warning in page
    assert 'name="confirm" value="yes"' in page and 'method="post"' in page
    # Asking, and a POST without the confirmation, change nothing.
    assert client.post(ask, {}).status_code == 200
    programme.refresh_from_db()
    assert programme.invite_token == old
    assert client.get(join).status_code == 200
    assert not RetiredInviteLink.objects.exists()

    done = client.post(ask, {"confirm": "yes"})
    assert done.status_code == 302
    assert done["Location"] == reverse("programmes:detail", args=[programme.pk])
    programme.refresh_from_db()
    assert programme.invite_token != old
    assert client.get(join).status_code == 404
    assert (
        client.get(reverse("participants:join", args=[programme.invite_token])).status_code == 200
    )
    # Only a digest of the old link is kept, not the link itself.
    retired = RetiredInviteLink.objects.get()
    assert old not in (retired.digest, retired.prefix) and retired.programme == programme


def test_another_organiser_cannot_replace_the_link(
    client: Any, make_organiser: Any, programme: Programme
) -> None:
    login(client, make_organiser("mallory"))
    old = programme.invite_token
    ask = reverse("programmes:new_invitation", args=[programme.pk])
    assert client.get(ask).status_code == 404
    assert client.post(ask, {"confirm": "yes"}).status_code == 404
    programme.refresh_from_db()
    assert programme.invite_token == old
