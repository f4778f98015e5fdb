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
