"""The round list shows each round's number of groups from the figures kept on the
round, so that it reads no group: a programme of 100,000 people has 50,000 of them in
every round."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import Group, Round
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(programme: Any, make_participant: Any) -> list[Participant]:
    return [make_participant(programme) for _ in range(8)]


def group_counts(html: str) -> dict[str, str]:
    """Round number to the number of groups in its row of the list."""
    rows = re.findall(r"Round (\d+)</a></td><td>[^<]*</td><td>(\d+)</td>", html)
    return dict(rows)


def test_the_list_shows_each_rounds_groups_without_reading_them(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    publish_round(preview_round(programme), notify=False)
    preview_round(programme)
    rounds = Round.objects.filter(programme=programme)
    expected = {str(rnd.number): str(rnd.groups.count()) for rnd in rounds}
    assert set(expected) == {"1", "2"} and "0" not in expected.values()
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("rounds:list", args=[programme.pk])).content.decode()
    assert group_counts(html) == expected
    group_table = Group._meta.db_table
    assert not [q["sql"] for q in queries.captured_queries if group_table in q["sql"]]


def test_a_round_stored_before_figures_were_kept_is_counted_once(
    client: Any, organiser: Any, programme: Any, people: list[Participant]
) -> None:
    login(client, organiser)
    rnd = publish_round(preview_round(programme), notify=False)
    groups = rnd.groups.count()
    Round.objects.filter(pk=rnd.pk).update(figures={})
    html = client.get(reverse("rounds:list", args=[programme.pk])).content.decode()
    assert group_counts(html) == {"1": str(groups)}
    # Counted and kept: the next visit reads no group.
    assert Round.objects.get(pk=rnd.pk).figures["counts"]["groups"] == groups
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("rounds:list", args=[programme.pk]))
    assert not [q for q in queries.captured_queries if Group._meta.db_table in q["sql"]]
