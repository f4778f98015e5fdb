"""``kaffeeklatsch round preview|publish``: the organiser's buttons on the command line."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from kaffeeklatsch.notifications.models import OutboxMessage
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Round, RoundTask
from kaffeeklatsch.rounds.tasks import request_preview

pytestmark = pytest.mark.django_db


def round_command(*args: Any) -> str:
    out = StringIO()
    call_command("round", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_preview_then_publish(programme: Any, make_participant: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    people = [make_participant(programme) for _ in range(8)]
    said = round_command("preview", str(programme.pk))
    rnd = Round.objects.get(programme=programme)
    assert rnd.status == Round.Status.PREVIEW
    assert said.strip() == (
        f"Preview of round 1: {rnd.groups.count()} groups, quality {rnd.quality_percent} %."
    )
    assert RoundTask.objects.get().status == RoundTask.Status.DONE
    said = round_command("publish", str(programme.pk))
    rnd.refresh_from_db()
    assert rnd.status == Round.Status.PUBLISHED
    assert "Round 1 is published" in said
    assert OutboxMessage.objects.filter(kind="introduction").count() == len(people)


def test_refusals_in_the_servers_language(
    programme: Any, make_participant: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "de"
    with pytest.raises(CommandError, match="Es gibt kein Programm 999"):
        round_command("preview", "999")
    with pytest.raises(CommandError, match="keine Vorschau"):
        round_command("publish", str(programme.pk))
    make_participant(programme)
    make_participant(programme)
    request_preview(programme)
    with pytest.raises(CommandError, match="wird schon berechnet oder veröffentlicht"):
        round_command("preview", str(programme.pk))
    assert not Round.objects.exists()


def test_a_publication_that_breaks_a_rule_names_it(
    programme: Any, make_participant: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    for _ in range(4):
        make_participant(programme)
    round_command("preview", str(programme.pk))
    leaver = Round.objects.get().groups.first().members.first()
    Participant.objects.filter(pk=leaver.pk).update(status=Participant.Status.LEFT)
    with pytest.raises(CommandError, match=f"{leaver.name} no longer takes part"):
        round_command("publish", str(programme.pk))
    assert Round.objects.get().status == Round.Status.PREVIEW
