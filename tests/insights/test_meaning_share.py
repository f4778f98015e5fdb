"""The insights count the groups that shared interests by meaning only (related
interests in other words or languages) beside those that shared them in the same
words, in German and English, and keep the count in the large programmes' snapshots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kaffeeklatsch.insights.metrics import Data, PersonRecord, RoundRecord, insights, load
from kaffeeklatsch.insights.present import interests_figure
from kaffeeklatsch.insights.snapshot import from_bytes, to_bytes
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.rounds.test_interests_by_meaning import people
from tests.support.web import login

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_groups_sharing_interests_by_meaning(
    client: Any, german_client: Any, organiser: Any, programme: Programme, make_participant: Any
) -> None:
    people(programme, make_participant)
    publish_round(preview_round(programme), notify=False)
    url = reverse("insights:dashboard", args=[programme.pk])
    login(client, organiser)
    login(german_client, organiser)
    english = client.get(url).content.decode()
    german = german_client.get(url).content.decode()
    # Wandern / Bergsteigen by meaning; Kochen in the same words.
    assert "<strong>1</strong> groups shared interests by meaning only" in english
    assert "1 group shared an interest in the same words." in english
    assert "<strong>1</strong> Gruppen teilten Interessen nur nach Bedeutung" in german
    assert "1 Gruppe teilte ein Interesse mit denselben Worten." in german

    columns = load(programme, timezone.localdate())
    assert columns.same_words.tolist() == [1] and columns.by_meaning.tolist() == [1]
    kept = from_bytes(to_bytes(columns))
    assert kept.same_words.tolist() == [1] and kept.by_meaning.tolist() == [1]


def test_the_figure_sums_the_rounds_of_the_period() -> None:
    day = dt.date(2026, 3, 2)
    everyone = {n: PersonRecord(n, "", "", "", "active", day, None, False) for n in range(1, 7)}
    rounds = tuple(
        RoundRecord(n, n, day + dt.timedelta(days=14 * n), 1.0, 1.0, (), frozenset(), w, m)
        for n, w, m in ((1, 3, 0), (2, 2, 4), (3, 1, 1))
    )
    data = Data(everyone, rounds, day + dt.timedelta(days=60))
    with translation.override("en"):
        figure = interests_figure(insights(data))
        later = interests_figure(insights(data, start=day + dt.timedelta(days=20)))
    assert figure.value == "5"
    assert "6 groups shared an interest in the same words" in figure.meaning
    assert later.value == "5" and "3 groups shared" in later.meaning


def test_rounds_kept_before_interests_were_counted_are_counted_once(
    programme: Programme, make_participant: Any
) -> None:
    """A round whose figures were kept before they counted shared interests gets them
    from its groups' reasons the first time they are read, and keeps them."""
    people(programme, make_participant)
    rnd = publish_round(preview_round(programme), notify=False)
    old = {
        "counts": {k: v for k, v in rnd.figures["counts"].items() if not k.startswith("interests")},
        "left_out": rnd.figures["left_out"],
    }
    Round.objects.filter(pk=rnd.pk).update(figures=old)

    columns = load(programme, timezone.localdate())
    assert columns.same_words.tolist() == [1] and columns.by_meaning.tolist() == [1]
    kept = Round.objects.get(pk=rnd.pk).figures
    assert kept["interests_counted"] is True
    assert kept["counts"]["interests_same_words"] == 1
    assert kept["counts"]["interests_by_meaning"] == 1
