"""``kaffeeklatsch demo`` makes one programme of each kind and prints the invitation
link of each."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round

pytestmark = pytest.mark.django_db


def test_demo_prints_an_invitation_link_for_each_kind(client: Any, settings: Any) -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    found = re.findall(r"invitation link: (\S+)", out.getvalue())
    assert len(found) == 3
    programmes = Programme.objects.all()
    assert sorted(p.kind for p in programmes) == ["neighbourhood", "network", "workplace"]
    for url, programme in zip(found, programmes.order_by("pk"), strict=True):
        assert url == f"{settings.BASE_URL}/join/{programme.invite_token}/"
        page = client.get(url.removeprefix(settings.BASE_URL))
        assert page.status_code == 200 and programme.name in page.content.decode()
        assert Round.objects.filter(programme=programme, status="published").count() >= 4

    neighbourhood = programmes.get(kind="neighbourhood")
    people = neighbourhood.participants.all()
    assert neighbourhood.mode == "in_person" and neighbourhood.lead_days == 7
    assert not any(p.department for p in people)
    assert people.filter(reached_by=Participant.ReachedBy.POST).exclude(postal_address="").exists()
    assert people.filter(reached_by=Participant.ReachedBy.PHONE, email="").exists()
    network = programmes.get(kind="network")
    assert network.participants.values("organisation").distinct().count() >= 5
