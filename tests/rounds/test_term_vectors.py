"""The database's cache of term vectors: what is put is got back as it was, in chunks
of any number of terms, a term stored twice keeps one row, and the retention clean-up
erases the vectors of terms nobody uses any more (and of other models)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from kaffeeklatsch.jobs.registry import erase_expired as erase_everything_expired
from kaffeeklatsch.matching import meaning
from kaffeeklatsch.participants.erasure import erase_people
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds import vectors
from kaffeeklatsch.rounds.models import TermVector
from kaffeeklatsch.rounds.vectors import CHUNK, DatabaseStore, erase_unused

# Conflicting inserts and binary columns behave differently per database engine.
pytestmark = [pytest.mark.database, pytest.mark.django_db]


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=meaning.DIMENSIONS).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_vectors_come_back_as_they_were_put_in_chunks_of_any_size() -> None:
    store = DatabaseStore()
    terms = [f"Interesse {n}" for n in range(CHUNK * 2 + 7)]
    store.put({term: unit(n) for n, term in enumerate(terms)})
    assert TermVector.objects.count() == len(terms)

    found = store.get([*terms, "nobody wrote this"])
    assert set(found) == set(terms)
    for n, term in enumerate(terms):
        assert found[term].dtype == np.float32
        np.testing.assert_array_equal(found[term], unit(n))


def test_a_term_stored_twice_keeps_its_first_vector() -> None:
    store = DatabaseStore()
    store.put({"Wandern": unit(1)})
    store.put({"Wandern": unit(2), "Kochen": unit(3)})
    assert TermVector.objects.filter(term="Wandern").count() == 1
    np.testing.assert_array_equal(store.get(["Wandern"])["Wandern"], unit(1))


def test_vectors_of_another_model_or_length_are_not_read() -> None:
    DatabaseStore("an older model").put({"Wandern": unit(1)})
    TermVector.objects.create(
        model=meaning.MODEL, term="Kochen", vector=np.zeros(3, "<f4").tobytes()
    )
    assert DatabaseStore().get(["Wandern", "Kochen"]) == {}


def test_the_clean_up_erases_vectors_nobody_needs(
    programme: Any, make_participant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hiker = make_participant(programme, "Hanna", interests=["Wandern", "Chor"])
    make_participant(programme, "Kemal", interests=["Yemek  yapmak"])
    store = DatabaseStore()
    store.put({t: unit(n) for n, t in enumerate(["Wandern", "Chor", "Yemek yapmak", "Schach"])})
    DatabaseStore("an older model").put({"Wandern": unit(9)})

    # A term nobody writes any more, and every vector of another model.
    assert erase_unused() == 2
    assert set(TermVector.objects.values_list("term", flat=True)) == {
        "Wandern",
        "Chor",
        "Yemek yapmak",
    }

    # An erased person's terms go with them at once: a cache, so Wim's "Wandern" is
    # computed again when a round needs it.
    make_participant(programme, "Wim", interests=["Wandern"])
    erase_people(Participant.objects.filter(pk=hiker.pk))
    assert set(TermVector.objects.values_list("term", flat=True)) == {"Yemek yapmak"}
    monkeypatch.setattr(vectors.Sweeps, "last", None)
    now = timezone.now()
    erase_everything_expired()  # the registered clean-up sweeps once
    assert vectors.Sweeps.last is not None

    # The worker looks once a day, not on every pass.
    store.put({"Schach": unit(4)})
    assert vectors.erase_expired(now + dt.timedelta(hours=23)) == 0
    assert TermVector.objects.filter(term="Schach").exists()
    assert vectors.erase_expired(now + dt.timedelta(hours=25)) == 1
    assert not TermVector.objects.filter(term="Schach").exists()
