"""The vectorised rules and scores agree with their slow, obvious forms."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from kaffeeklatsch.matching import synthetic
from kaffeeklatsch.matching.features import (
    distance_km,
    encode,
    shared_interests,
    within_distance,
)
from kaffeeklatsch.matching.model import Rules


def features(n: int = 400, **rules: float):
    people = synthetic.organisation(n, seed=3, organisations=3)
    return people, encode(people, (), Rules(**rules), 1)


def test_shared_interests_by_bits_and_by_keys_agree() -> None:
    _, f = features()
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, f.n, 5000), rng.integers(0, f.n, 5000)
    assert f.interest_bits is not None
    by_bits = shared_interests(f, a, b)
    by_keys = shared_interests(dataclasses.replace(f, interest_bits=None), a, b)
    assert (by_bits == by_keys).all()
    rows = [set(r[r >= 0].tolist()) for r in f.interests]
    assert [len(rows[x] & rows[y]) for x, y in zip(a, b, strict=True)] == by_bits.tolist()
    assert by_bits.max() >= 3


def test_distance_rule_agrees_with_the_great_circle_distance() -> None:
    _, f = features(max_distance_km=25)
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, f.n, 20000), rng.integers(0, f.n, 20000)
    km = distance_km(f, a, b)
    assert (within_distance(f, a, b) == (km <= 25)).all()
    assert 0 < (km <= 25).mean() < 1


def test_unknown_places_are_never_too_far() -> None:
    people, _ = features(50)
    people = [dataclasses.replace(p, location=None) if i % 2 else p for i, p in enumerate(people)]
    f = encode(people, (), Rules(), 1)
    a = np.arange(0, 50, 2)
    b = np.arange(1, 50, 2)
    assert within_distance(f, a, b).all()
    assert np.isnan(distance_km(f, a, b)).all()
    assert not math.isnan(float(distance_km(f, a[:1], a[1:2])[0]))


def test_valid_is_every_rule_together() -> None:
    from kaffeeklatsch.matching.features import rule_masks, valid
    from kaffeeklatsch.matching.model import PastGroup, Slot

    people = synthetic.organisation(300, seed=5, organisations=2)
    rng = np.random.default_rng(2)
    languages = ["de", "en", "tr", "ar", "ru", "uk", "pl", "fr", "es", "it"]
    languages += [f"x{k}" for k in range(70)]  # more than 64 languages: two mask words
    changed = []
    for i, p in enumerate(people):
        slots = ()
        if i % 3 == 0:
            day = int(rng.integers(0, 7))
            slots = (Slot(day, 9 * 60, 12 * 60),)
        langs = tuple(rng.choice(languages, size=int(rng.integers(0, 3)), replace=False))
        blocked = (f"p{(i * 7) % 300}",) if i % 11 == 0 else ()
        changed.append(dataclasses.replace(p, availability=slots, languages=langs, blocked=blocked))
    history = [PastGroup(round=3, members=("p1", "p2")), PastGroup(round=3, members=("p4", "p9"))]
    f = encode(changed, history, Rules(), 4)
    assert f.lang.shape[1] == 2 and f.restricted_hours
    a, b = rng.integers(0, f.n, 30000), rng.integers(0, f.n, 30000)
    masks = rule_masks(f, a, b)
    expected = np.logical_and.reduce([masks[k] for k in masks])
    assert (valid(f, a, b) == expected).all()
    assert 0 < expected.mean() < 1
    for rule in masks:
        assert not masks[rule].all() or rule == "history", rule
