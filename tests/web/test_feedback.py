"""“Did you meet?”: one e-mail a few days after the round, one-click answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.rounds.models import Feedback
from kaffeeklatsch.rounds.services import preview_round, publish_round
from tests.web.conftest import html_part, links, path_of, send_outbox, text_part

pytestmark = pytest.mark.django_db


def test_answer_from_the_email_and_change_it(
    client: Any, programme: Any, make_participant: Any, smtp: Any, settings: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org", language="en")
    ben = make_participant(programme, "Ben", email="ben@example.org", language="de")
    publish_round(preview_round(programme))
    send_outbox()
    smtp.clear()
    Job.objects.update(run_at=timezone.now())
    send_outbox()  # the worker runs the due job, then sends what it wrote

    [to_anna] = smtp.to("anna@example.org")
    [to_ben] = smtp.to("ben@example.org")
    assert to_anna["Subject"] == "Did you meet Ben?"
    assert to_ben["Subject"] == "Haben Sie Anna getroffen?"
    yes, no = links(text_part(to_anna), settings.BASE_URL + "/feedback/")
    assert yes in html_part(to_anna) and no in html_part(to_anna)

    page = client.get(path_of(yes))
    assert page.status_code == 200
    assert "Noted: you met Ben." in page.content.decode()
    assert Feedback.objects.get(participant=anna).met is True
    assert client.get(path_of(yes)).status_code == 200  # clicking twice is harmless
    assert Feedback.objects.count() == 1

    change = page.context["change_url"]
    client.get(path_of(change))
    assert Feedback.objects.get(participant=anna).met is False
    assert not Feedback.objects.filter(participant=ben).exists()


def test_expired_feedback_link(
    client: Any, programme: Any, make_participant: Any, settings: Any
) -> None:
    from kaffeeklatsch.participants.tokens import feedback_url

    make_participant(programme)
    make_participant(programme)
    rnd = publish_round(preview_round(programme), notify=False)
    group = rnd.groups.get()
    url = feedback_url(group.pk, group.members.first().pk, True)
    settings.FEEDBACK_LINK_MAX_AGE = -1
    assert client.get(path_of(url)).status_code == 400
    assert not Feedback.objects.exists()
