"""The matching solvers against the exact blossom algorithm on random graphs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kaffeeklatsch.matching.solver import (
    exact_matching,
    improve_on_graph,
    relaxed_matching,
)


@st.composite
def graphs(draw, max_n: int = 24):
    n = draw(st.integers(2, max_n))
    seed = draw(st.integers(0, 10_000))
    density = draw(st.floats(0.05, 0.9))
    rng = np.random.default_rng(seed)
    x, y = np.triu_indices(n, k=1)
    keep = rng.random(len(x)) < density
    a, b = x[keep], y[keep]
    # Few distinct weights, as the engine's scores have: many ties.
    w = rng.integers(1, 6, len(a)).astype(float) / 2
    return n, a, b, w


def is_matching(mate: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    edges = set(zip(a.tolist(), b.tolist(), strict=True))
    for i, j in enumerate(mate.tolist()):
        if j < 0:
            continue
        if mate[j] != i or (min(i, j), max(i, j)) not in edges:
            return False
    return True


def weight(mate: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    return float(w[mate[a] == b].sum())


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_relaxed_matching_is_a_matching_below_the_optimum_and_its_bound(graph):
    n, a, b, w = graph
    exact = exact_matching(n, a, b, w)
    relaxed = relaxed_matching(n, a, b, w)
    assert is_matching(relaxed.mate, a, b)
    assert relaxed.weight <= exact.weight + 1e-9
    assert exact.weight <= relaxed.graph_bound + 1e-9
    # Maximal: no edge joins two people without a partner.
    assert not ((relaxed.mate[a] < 0) & (relaxed.mate[b] < 0)).any()


@settings(max_examples=200, deadline=None)
@given(graphs(), st.integers(0, 1000))
def test_local_search_never_lowers_a_matching(graph, seed):
    n, a, b, w = graph
    rng = np.random.default_rng(seed)
    mate = np.full(n, -1, dtype=np.int64)
    for k in rng.permutation(len(a)):  # a random maximal matching
        if mate[a[k]] < 0 and mate[b[k]] < 0 and rng.random() < 0.7:
            mate[a[k]], mate[b[k]] = b[k], a[k]
    before = weight(mate, a, b, w)
    improve_on_graph(n, a, b, w, mate)
    assert is_matching(mate, a, b)
    assert weight(mate, a, b, w) >= before - 1e-9
    assert weight(mate, a, b, w) <= exact_matching(n, a, b, w).weight + 1e-9


def test_local_search_finds_the_exchange_and_the_augmenting_path():
    # Path 0-1-2-3 with a heavy middle edge matched: exchanging gains.
    a = np.array([0, 1, 2, 0])
    b = np.array([1, 2, 3, 3])
    w = np.array([3.0, 2.0, 3.0, 1.0])
    mate = np.array([3, 2, 1, 0])  # (0,3) and (1,2): weight 3
    improve_on_graph(4, a, b, w, mate)
    assert mate.tolist() == [1, 0, 3, 2]  # (0,1) and (2,3): weight 6
    # 0 alone, 1-2 matched, 3 alone: 0 takes 1, 2 takes 3.
    mate = np.array([-1, 2, 1, -1])
    improve_on_graph(4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([2.0, 3.0, 2.0]), mate)
    assert mate.tolist() == [1, 0, 3, 2]
