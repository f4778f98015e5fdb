"""“Did you meet?”: one e-mail a few days after the round, one-click answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.participants.tokens import FeedbackAnswer, feedback_answer
from kaffeeklatsch.rounds.models import Feedback, Group
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.mail import comparable, html_part, links, send_outbox, text_part
from tests.support.web import path_of, press_link_button

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

    # Opening the link only asks: mail scanners open links too.
    question = client.get(path_of(yes))
    assert question.status_code == 200
    assert "Did you meet Ben?" in question.content.decode()
    assert not Feedback.objects.exists()

    page = press_link_button(client, yes)
    assert page.status_code == 200
    assert "Noted: you met Ben." in page.content.decode()
    assert Feedback.objects.get(participant=anna).met is True
    assert press_link_button(client, yes).status_code == 200  # pressing twice is harmless
    assert Feedback.objects.count() == 1

    # "Wrong click?" is a button on the page that changes the answer.
    change = page.context["change_path"]
    assert f'action="{change}"' in page.content.decode()
    client.post(change)
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
    assert client.post(path_of(url)).status_code == 400
    assert not Feedback.objects.exists()


def test_the_questions_are_written_as_light_rows_and_rendered_when_sent(
    programme: Any,
    make_participant: Any,
    smtp: Any,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """Only people taking part, reached by e-mail, who have not answered are asked."""
    from kaffeeklatsch.notifications import emails
    from kaffeeklatsch.notifications.models import OutboxMessage
    from kaffeeklatsch.participants.models import Participant

    people = [make_participant(programme, language="de" if n % 2 else "en") for n in range(8)]
    rnd = publish_round(preview_round(programme), notify=False)
    answered, left, by_post = people[0], people[1], people[2]
    Feedback.objects.create(group=answered.groups.get(), participant=answered, met=False)
    Participant.objects.filter(pk=left.pk).update(status=Participant.Status.LEFT)
    Participant.objects.filter(pk=by_post.pk).update(reached_by=Participant.ReachedBy.POST)
    asked = [p for p in people if p not in (answered, left, by_post)]

    with django_assert_max_num_queries(3):  # one INSERT ... SELECT in a savepoint
        assert emails.queue_feedback_requests(rnd) == len(asked)
    rows = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.FEEDBACK)
    assert sorted(rows.values_list("participant_id", flat=True)) == sorted(p.pk for p in asked)
    for row in rows:
        assert row.group_id == Group.objects.get(members=row.participant_id).pk
        assert (row.subject, row.body_text, row.body_html) == ("", "", "")

    assert send_outbox() == len(asked)
    for person in asked:
        [received] = smtp.to(person.email)
        group = Group.objects.select_related("round__programme").get(members=person)
        members = list(group.members.all())
        expected = emails._feedback_request(group, person, members)
        assert received["Subject"] == expected.subject
        assert comparable(text_part(received)) == comparable(expected.body_text)
        assert comparable(html_part(received)) == comparable(expected.body_html)
        yes, no = links(text_part(received), settings.BASE_URL + "/feedback/")
        for url, met in ((yes, True), (no, False)):
            token = url.rstrip("/").rsplit("/", 1)[1]
            assert feedback_answer(token) == FeedbackAnswer(group.pk, person.pk, met)
        partner = next(m for m in members if m.pk != person.pk)
        assert partner.name in received["Subject"]
        assert ("Haben Sie" if person.language == "de" else "Did you meet") in received["Subject"]
