"""What every request goes through: Django's own session store, the form renderer,
and statements of any size on either database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from tests.support.web import sign_in_participant

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def test_the_site_uses_djangos_sessions_and_its_own_form_templates() -> None:
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.FORM_RENDERER == "kaffeeklatsch.front.forms.FormRenderer"
    assert [engine["BACKEND"] for engine in settings.TEMPLATES] == [
        "django.template.backends.django.DjangoTemplates"
    ]


def test_an_expired_session_signs_the_participant_out(
    client: Any, programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    sign_in_participant(client, anna)
    page = client.get(reverse("participants:me"))
    assert page.status_code == 200
    assert "Anna" in page.content.decode()
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    page = client.get(reverse("participants:me"))
    assert page.status_code == 302
    assert page["Location"] == reverse("participants:request_link")


def test_signing_out_is_seen_by_the_next_request(
    client: Any, programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    sign_in_participant(client, anna)
    assert client.get(reverse("participants:me")).status_code == 200
    assert client.post(reverse("participants:sign_out")).status_code == 302
    assert client.get(reverse("participants:me")).status_code == 302


def test_the_admin_draws_its_forms(admin_client: Any) -> None:
    page = admin_client.get("/admin/auth/group/add/")
    assert page.status_code == 200
    assert 'name="name"' in page.content.decode()


@pytest.mark.postgres_only
def test_a_statement_may_name_more_than_65535_rows(
    programme: Programme, make_participant: Any
) -> None:
    # Publishing a round of 100,000 people updates them by their ids in one statement;
    # PostgreSQL's server-side parameter binding cannot take that many parameters.
    anna = make_participant(programme, "Anna", email="anna@example.org")
    ids = [anna.pk, *range(10**9, 10**9 + 70_000)]
    assert Participant.objects.filter(pk__in=ids).update(skip_next_round=True) == 1
