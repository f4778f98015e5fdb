"""``kaffeeklatsch demo``: a living product after the first command."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Round

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_demo_creates_a_programme_with_people_and_a_finished_round(client: Any) -> None:
    output = run_demo()
    password = re.search(r"password:\s+(\S+)", output).group(1)
    programme = Programme.objects.get()
    assert programme.participants.filter(status="active").count() == 30
    assert len({p.department for p in programme.participants.all()}) >= 10
    rnd = Round.objects.get(programme=programme)
    assert rnd.status == Round.Status.PUBLISHED
    assert rnd.groups.count() >= 12
    assert Feedback.objects.exists()
    assert not OutboxMessage.objects.exists()  # demo people get no e-mail

    assert client.login(username="demo", password=password)
    html = client.get(f"/programmes/{programme.pk}/rounds/{rnd.pk}/").content.decode()
    assert "Round 1" in html and "Anna Schmidt" in html


def test_demo_runs_again_with_a_new_password_and_no_duplicates(client: Any) -> None:
    first = re.search(r"password:\s+(\S+)", run_demo()).group(1)
    second = re.search(r"password:\s+(\S+)", run_demo()).group(1)
    assert first != second
    assert Programme.objects.count() == 1
    assert not client.login(username="demo", password=first)
    assert client.login(username="demo", password=second)
