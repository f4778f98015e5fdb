"""``kaffeeklatsch demo``: a living product after the first command."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from kaffeeklatsch.insights.metrics import insights, load
from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Round

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_demo_creates_a_programme_with_people_and_finished_rounds(client: Any) -> None:
    output = run_demo()
    password = re.search(r"password:\s+(\S+)", output).group(1)
    programme = Programme.objects.get(kind="workplace")
    people = programme.participants
    assert 60 <= people.filter(status="active").count() <= 120
    assert len({p.department for p in people.all()}) >= 10
    assert people.filter(name="Anna Schmidt", status="active").exists()
    rounds = list(Round.objects.filter(programme=programme).order_by("number"))
    assert [r.number for r in rounds] == [1, 2, 3, 4, 5, 6]
    assert all(r.status == Round.Status.PUBLISHED for r in rounds)
    # Three months of history, a round every two weeks, the last one a week ago.
    assert (rounds[-1].meet_from - rounds[0].meet_from).days == 70
    assert rounds[-1].meet_from == timezone.localdate() - dt.timedelta(days=7)
    assert all(r.groups.count() >= 20 for r in rounds)
    # A realistic mix of answers, people who left and people taking a break.
    assert Feedback.objects.filter(met=True).count() > Feedback.objects.filter(met=False).count()
    assert Feedback.objects.filter(met=False).exists()
    assert people.filter(status="left", left_at__isnull=False).count() >= 3
    assert people.filter(paused_until__gt=timezone.localdate()).exists()
    assert not OutboxMessage.objects.exists()  # demo people get no e-mail

    assert client.login(username="demo", password=password)
    last = rounds[-1]
    member = last.groups.first().members.first()
    html = client.get(f"/programmes/{programme.pk}/rounds/{last.pk}/").content.decode()
    assert "Round 6" in html and member.name in html


def test_every_picture_of_the_demo_insights_shows_something() -> None:
    run_demo()
    programme = Programme.objects.get(kind="workplace")
    found = insights(load(programme, timezone.localdate()))
    assert found.enough_people and len(found.rounds) == 6
    assert all(r.meeting_rate is not None for r in found.rounds)
    assert all(r.new_connections > 0 for r in found.rounds)
    assert len({p.joined for p in found.people}) > 3  # people joined over time
    assert found.people[-1].left >= 3 and found.people[-1].paused >= 1
    assert len(found.network.shown) >= 6 and found.network.pooled_departments >= 1
    assert found.silo.index is not None
    assert found.mixing.other_department > 0 and found.mixing.other_organisation > 0


def test_demo_runs_again_with_a_new_password_and_no_duplicates(client: Any) -> None:
    first = re.search(r"password:\s+(\S+)", run_demo()).group(1)
    second = re.search(r"password:\s+(\S+)", run_demo()).group(1)
    assert first != second
    assert Programme.objects.count() == 3
    assert not client.login(username="demo", password=first)
    assert client.login(username="demo", password=second)
