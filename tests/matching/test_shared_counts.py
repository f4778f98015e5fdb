"""Shared keys and shared meaning groups, counted in one pass, agree with plain sets."""

from __future__ import annotations

import dataclasses
from itertools import combinations

import numpy as np

from kaffeeklatsch.matching import synthetic
from kaffeeklatsch.matching.features import (
    Features,
    _slot_rows,
    encode,
    interest_count,
    shared_keys_and_meanings,
)
from kaffeeklatsch.matching.model import Person, Rules

RULES = Rules(weight_department=0, weight_level=0, weight_organisation=0)


def counted_by_sets(f: Features, a: np.ndarray, b: np.ndarray) -> tuple[list[int], list[int]]:
    """The shared keys and meaning groups of each pair, by Python sets."""
    assert f.key_group is not None
    keys, meanings = [], []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        kx = {k for k in f.interests[x].tolist() if k >= 0}
        ky = {k for k in f.interests[y].tolist() if k >= 0}
        keys.append(len(kx & ky))
        meanings.append(len({int(f.key_group[k]) for k in kx} & {int(f.key_group[k]) for k in ky}))
    return keys, meanings


def test_counts_of_a_multilingual_organisation_match_sets() -> None:
    crowd = synthetic.organisation(120, seed=3, multilingual=True)
    f = encode(crowd, (), RULES, 1)
    assert f.meaning is not None
    pairs = np.array(list(combinations(range(f.n), 2)))
    a, b = pairs[:, 0], pairs[:, 1]
    keys, meanings = shared_keys_and_meanings(f, a, b)
    expected_keys, expected_meanings = counted_by_sets(f, a, b)
    assert keys.tolist() == expected_keys
    assert meanings.tolist() == expected_meanings
    assert max(expected_meanings) >= 2  # the round does share several meanings
    # Either order of a pair gives the same counts.
    again = shared_keys_and_meanings(f, b, a)
    assert again[0].tolist() == expected_keys and again[1].tolist() == expected_meanings
    weight = RULES.weight_meaning
    expected = [
        k + weight * max(m - k, 0) for k, m in zip(expected_keys, expected_meanings, strict=True)
    ]
    assert np.allclose(interest_count(f, a, b), expected)


def test_two_keys_of_one_meaning_count_it_once() -> None:
    crowd = [
        Person(id="0", interests=("Wandern", "Bergsteigen", "Schach")),
        Person(id="1", interests=("Wandern", "Bergsteigen")),
        Person(id="2", interests=("Bergsteigen",)),
    ]
    f = encode(crowd, (), RULES, 1)
    assert f.key_group is not None
    a, b = np.array([0, 0, 1]), np.array([1, 2, 2])
    keys, meanings = shared_keys_and_meanings(f, a, b)
    assert keys.tolist() == [2, 1, 1]
    assert meanings.tolist() == [1, 1, 1]
    # Two shared keys in one meaning: the keys count, nothing more by meaning.
    assert interest_count(f, a, b).tolist() == [2, 1, 1]


def test_many_keys_or_groups_use_wider_rows() -> None:
    keys = np.array([[40_000, 50_000, -1], [50_000, 60_000, 70_000], [-1, -1, -1]])
    groups = np.array([[1, 40_000, -1], [40_000, 40_000, 2], [-1, -1, -1]])
    left, right = _slot_rows(keys, groups)
    assert left.dtype == np.int32
    # The second person's second slot repeats a group and is left empty.
    assert left[1].tolist() == [50_000, 60_000, 70_000, 40_000, -1, 2]
    assert right[2].tolist() == [-2] * 6
    f = dataclasses.replace(
        encode([Person(id=str(i)) for i in range(3)], (), RULES, 1),
        interests=keys,
        slots_left=left,
        slots_right=right,
    )
    a, b = np.array([0, 0, 1, 2]), np.array([1, 2, 0, 2])
    shared_keys, shared_groups = shared_keys_and_meanings(f, a, b)
    assert shared_keys.tolist() == [1, 0, 1, 0]
    assert shared_groups.tolist() == [1, 0, 1, 0]
