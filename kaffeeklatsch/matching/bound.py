"""Proven upper bounds on the best total score of a round.

Every grouping the engine forms is a fractional matching (see :mod:`.engine`), so
the optimum of the fractional matching relaxation over all valid pairs bounds
every round. Its dual asks for ``y_i >= 0`` with ``y_a + y_b >= w_ab`` for every
valid pair, and then ``sum(y)`` is an upper bound. With the pair score
``w_ab = base_ab + p_a + p_b`` (``p`` the fairness priority), the choice

    y_i = B_i / 2 + p_i,   B_i >= max over valid partners j of base_ij

is feasible, and ``y_i = 0`` for a person with no valid partner at all.

``B_i`` is exact where every valid pair was listed (small rounds) or where a
person's row was scanned; otherwise it is a cap computed from the data itself:
the largest number of interests the person shares with anybody, and whether
anybody differs from them in department, level, organisation and newcomer status.

A second feasible dual splits the base score into its parts (the constant, shared
interests, and one part per attribute that rewards a difference) and adds one
feasible dual per part. For an attribute with weight ``w`` whose ``n'`` known values
have a largest class of ``s`` people, no grouping has more than
``min(n'/2, n' - s)`` (fractional) pairs that differ, and the dual ``w/2`` for
everyone (if ``s <= n'/2``) or ``0`` in the largest class and ``w`` elsewhere proves
it. The smaller of the two bounds is reported.
"""

from __future__ import annotations

import numpy as np

from kaffeeklatsch.matching.features import (
    INTEREST_CAP,
    NEW_JOINER_BONUS,
    Features,
    base_score,
    interest_subsets,
    valid,
    value_counts,
)

SCAN_BUDGET = 20_000_000  # pairs evaluated to find exact caps of people left out


def base_row_max(f: Features, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact ``B_i`` from the list of all valid pairs (``-inf`` where a person has none)."""
    base = w - f.priority[a] - f.priority[b]
    out = np.full(f.n, -np.inf)
    np.maximum.at(out, a, base)
    np.maximum.at(out, b, base)
    return out


def upper_bound(f: Features, exact_caps: np.ndarray | None, lonely: np.ndarray) -> float:
    """The dual bound ``sum(y)`` described in the module docstring."""
    caps = exact_caps.copy() if exact_caps is not None else data_caps(f)
    if exact_caps is None and len(lonely) and len(lonely) * f.n <= SCAN_BUDGET:
        everyone = np.arange(f.n)
        for i in lonely:
            others = np.full(f.n, i)
            ok = valid(f, others, everyone)
            caps[i] = base_score(f, others[ok], everyone[ok]).max() if ok.any() else -np.inf
    y = np.where(np.isfinite(caps), caps / 2 + f.priority, 0.0)
    bound = float(y.sum())
    if exact_caps is None:
        bound = min(bound, component_bound(f, np.isfinite(caps)))
    return bound


def component_bound(f: Features, can_meet: np.ndarray) -> float:
    """The part-by-part dual bound of the module docstring, over people who can meet."""
    r = f.rules
    people = int(can_meet.sum())
    interest = r.weight_interests * np.minimum(max_shared(f), INTEREST_CAP) / INTEREST_CAP
    total = people / 2 + float(interest[can_meet].sum()) / 2 + float(f.priority[can_meet].sum())
    for codes, weight in (
        (f.dept, r.weight_department),
        (f.level, r.weight_level),
        (f.org, r.weight_organisation),
        (f.new.astype(np.int32), NEW_JOINER_BONUS),
    ):
        known = codes[can_meet & (codes >= 0)]
        if len(known) == 0:
            continue
        largest = int(np.bincount(known).max())
        total += weight * min(len(known) / 2, len(known) - largest)
    return total


def data_caps(f: Features) -> np.ndarray:
    """An upper bound on each person's best base score with anybody, from the data."""
    r = f.rules
    caps: np.ndarray = (
        1.0 + r.weight_interests * np.minimum(max_shared(f), INTEREST_CAP) / INTEREST_CAP
    )
    caps += r.weight_department * _someone_differs(f.dept)
    caps += r.weight_level * _someone_differs(f.level)
    caps += r.weight_organisation * _someone_differs(f.org)
    caps += NEW_JOINER_BONUS * (f.new.any() & ~f.new.all())
    return caps


def _someone_differs(codes: np.ndarray) -> np.ndarray:
    known = codes >= 0
    counts = np.bincount(codes[known], minlength=1)
    total = int(known.sum())
    out = np.zeros(len(codes), dtype=bool)
    out[known] = total - counts[codes[known]] > 0
    return out


def max_shared(f: Features) -> np.ndarray:
    """See :func:`_max_shared`; computed once per round."""
    if "max_shared" not in f.cache:
        f.cache["max_shared"] = _max_shared(f)
    return f.cache["max_shared"]


def _max_shared(f: Features) -> np.ndarray:
    """For each person, the most interests (up to the cap) they share with anybody
    else, by key or by meaning: a pair's interest count (see
    :func:`.features.interest_count`) is never more than the larger of the two."""
    out = _most_shared(f.interests, len(f.interest_vocab))
    if f.meaning is not None:
        out = np.maximum(out, _most_shared(f.meaning, f.meaning_vocab))
    return out


def _most_shared(interests: np.ndarray, vocabulary: int) -> np.ndarray:
    """For each row, the most values (up to the cap) it shares with another row.

    Exact: values, pairs and triples of values are counted over everybody; a person
    shares ``s`` values with someone exactly when one of their ``s``-subsets occurs
    twice.
    """
    n, width = interests.shape
    vocab = max(1, vocabulary)
    out = np.zeros(n, dtype=np.int64)
    for size in range(1, min(INTEREST_CAP, width) + 1):
        subsets = interest_subsets(interests, size, vocab)
        if subsets is None:
            break
        keys, who = subsets
        shared = who[value_counts(keys) >= 2]
        out[shared] = size
    return out
