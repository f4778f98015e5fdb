"""Interests related by meaning count in the round: score, candidates, bound, reasons."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kaffeeklatsch.matching import meaning, synthetic
from kaffeeklatsch.matching.check import check_groups
from kaffeeklatsch.matching.engine import RulesError, match_round
from kaffeeklatsch.matching.features import (
    encode,
    interest_count,
    shared_interests,
    shared_meanings,
)
from kaffeeklatsch.matching.meaning import THRESHOLD, MemoryStore, meaning_groups, term_vectors
from kaffeeklatsch.matching.model import Person, Reason, Rules

PLAIN = Rules(weight_department=0, weight_level=0, weight_organisation=0)
BENCH = Path(__file__).resolve().parents[2] / "bench" / "interests.py"


def load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_interests", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_interests"] = module
    spec.loader.exec_module(module)
    return module


def people(*interests: tuple[str, ...]) -> list[Person]:
    return [Person(id=str(i), name=f"P{i}", interests=terms) for i, terms in enumerate(interests)]


def test_related_interests_are_paired_and_explained_in_the_peoples_words() -> None:
    crowd = people(("Wandern",), ("Schach",), ("Bergsteigen",), ("Töpfern",))
    result = match_round(crowd, rules=PLAIN)
    by_members = {frozenset(g.members): g for g in result.groups}
    group = by_members[frozenset({"0", "2"})]
    assert Reason("interests_meaning", {"pairs": [["Wandern", "Bergsteigen"]], "size": 2}) in (
        group.reasons
    )
    assert group.explain("en") == "similar interests: Wandern / Bergsteigen"
    assert group.explain("de") == "ähnliche Interessen: Wandern / Bergsteigen"
    # Meaning counts weight_meaning of a shared key (1 + 3 * 0.75 / 3).
    assert group.score == pytest.approx(1 + PLAIN.weight_interests * PLAIN.weight_meaning / 3)


def test_without_meaning_nothing_is_embedded_and_words_alone_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(terms: Any) -> Any:
        raise AssertionError("embedded")

    monkeypatch.setattr(meaning, "_embed", refuse)
    rules = Rules(weight_meaning=0.0)
    crowd = people(("Wandern",), ("Bergsteigen",), ("Wandern", "Lesen"))
    f = encode(crowd, (), rules, 1)
    assert f.meaning is None
    a, b = np.array([0, 0]), np.array([1, 2])
    assert interest_count(f, a, b).tolist() == [0, 1]
    result = match_round(crowd, rules=rules)
    assert all(r.code != "interests_meaning" for g in result.groups for r in g.reasons)


def test_a_meaning_shared_besides_a_key_counts_once_more_at_its_weight() -> None:
    crowd = people(
        ("Kochen", "Wandern", "Bergsteigen"),  # Wandern and Bergsteigen: one meaning
        ("Kochen", "hiking"),
        ("Kochen", "Bergsteigen"),
        ("Schach",),
    )
    f = encode(crowd, (), PLAIN, 1)
    a, b = np.array([0, 0, 1]), np.array([1, 2, 3])
    keys = shared_interests(f, a, b).tolist()
    meanings = shared_meanings(f, a, b).tolist()
    # "Wandern" and "hiking" share a key through the synonym list.
    assert keys == [2, 2, 0]
    assert meanings[2] == 0
    assert interest_count(f, a, b).tolist() == pytest.approx([2, 2, 0])
    c, d = np.array([1]), np.array([2])  # hiking / Bergsteigen: by meaning only
    assert shared_interests(f, c, d).tolist() == [1]  # Kochen
    assert interest_count(f, c, d).tolist() == pytest.approx([1 + PLAIN.weight_meaning])


@pytest.mark.parametrize("weight", [-0.1, 1.5, float("nan")])
def test_a_meaning_weight_outside_0_to_1_is_refused(weight: float) -> None:
    with pytest.raises(RulesError) as raised:
        match_round(people(("Yoga",), ("Meditation",)), rules=Rules(weight_meaning=weight))
    assert raised.value.code == "weight_meaning"
    assert "zwischen 0 und 1" in raised.value.text("de")


def test_meaning_groups_never_chain() -> None:
    # b is close to a and to c, which are not close to each other.
    a = np.array([1.0, 0.0, 0.0])
    c = np.array([0.0, 1.0, 0.0])
    b = (a + c) / np.linalg.norm(a + c)
    vectors = np.stack([b, a, c]).astype(np.float32)
    groups = meaning_groups(vectors, np.array([3, 1, 1]), threshold=0.6)
    assert groups[0] == groups[1] != groups[2]
    terms = ["Wandern", "Bergsteigen", "hiking", "Schach", "Kochen", "Backen", "Chor", "singing"]
    vectors = term_vectors(terms, MemoryStore())
    groups = meaning_groups(vectors)
    for g in set(groups.tolist()):
        members = np.flatnonzero(groups == g)
        similarity = vectors[members] @ vectors[members].T
        assert (similarity >= THRESHOLD - 1e-6).all()


def test_check_groups_explains_meaning_with_the_cache_given() -> None:
    store = MemoryStore()
    crowd = people(("Kochen",), ("yemek yapmak",), ("Schach",), ("Töpfern",))
    checked = check_groups(crowd, [["0", "1"], ["2", "3"]], rules=PLAIN, vectors=store)
    assert checked.groups[0].explain() == "similar interests: Kochen / yemek yapmak"
    assert "Kochen" in store.vectors and "yemek yapmak" in store.vectors


def test_a_large_multilingual_round_meets_by_meaning_within_its_bound() -> None:
    crowd = synthetic.organisation(3000, seed=3, organisations=3, multilingual=True)
    result = match_round(crowd, rules=Rules(seed=3))
    assert result.bound >= result.score
    codes = [r.code for g in result.groups for r in g.reasons]
    assert codes.count("interests_meaning") > 50
    keys_only = match_round(crowd, rules=Rules(seed=3, weight_meaning=0.0))
    assert keys_only.bound >= keys_only.score


def test_the_labelled_pairs_reach_the_precision_and_recall_promised() -> None:
    bench = load_bench()
    labelled = bench.labelled_pairs()
    assert len(labelled) >= 300
    languages = {code for *_, pair in labelled for code in pair.split("-")}
    assert {"de", "en", "tr", "ar", "ru", "pl", "uk", "es", "fr", "it"} <= languages
    quality = bench.quality()
    assert quality["precision"] >= 0.9, quality
    assert quality["recall"] >= 0.7, quality
    assert quality["recall"] > quality["keys_only_recall"]


def test_phrases_that_share_only_their_frame_are_not_related() -> None:
    terms = ["Kochen mit Freunden", "Reisen mit Freunden", "Kochen", "cooking club", "travel club"]
    store = MemoryStore()
    vectors = term_vectors(terms, store)
    # The frame alone makes the phrases look alike to the model.
    assert float(vectors[0] @ vectors[1]) >= THRESHOLD
    assert float(vectors[3] @ vectors[4]) >= THRESHOLD
    groups = meaning_groups(vectors, terms=terms, store=store).tolist()
    assert groups[0] != groups[1]
    assert groups[3] != groups[4]
    assert groups[0] == groups[2]  # "Kochen" is all in "Kochen mit Freunden"
