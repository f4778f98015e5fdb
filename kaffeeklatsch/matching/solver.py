"""Maximum weight matching on a sparse graph of valid pairs.

Problem: given ``n`` vertices and undirected edges ``(a[k], b[k])`` with positive
weights ``w[k]``, find a set of disjoint edges of maximum total weight.

* ``exact=True``: Edmonds' blossom algorithm (rustworkx), optimal; about
  O(n * m * log n), for small rounds.
* otherwise: the linear relaxation with degree constraints only, solved as an
  assignment problem on the bipartite double cover (SciPy's LAPJVsp). Its optimum
  is half-integral: a permutation whose 2-cycles are pairs and whose longer cycles
  are rounded (even cycles lose nothing, an odd cycle of length L at most a 1/L
  share). A repair pass then matches remaining unmatched vertices greedily along
  remaining edges, so the result is maximal: no edge joins two unmatched vertices.
  The relaxation's optimum divided by two is also returned: an upper bound on the
  optimum on this graph.

Deterministic: equal input gives equal output (ties are broken by edge order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rustworkx as rx
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from kaffeeklatsch.matching.candidates import best_edge_indices

_SCALE = 1_000_000  # rustworkx matches on integer weights


@dataclass
class Matching:
    mate: np.ndarray  # mate[i] = partner index or -1
    weight: float
    graph_bound: float  # upper bound on the optimum of this graph (inf if unknown)
    support: np.ndarray | None = None  # edge indices used by the relaxation's optimum


def exact_matching(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> Matching:
    """Optimal matching by the blossom algorithm."""
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    iw = np.rint(np.asarray(w) * _SCALE).astype(np.int64)
    graph.add_edges_from(list(zip(a.tolist(), b.tolist(), iw.tolist(), strict=True)))
    pairs = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=int)
    mate = np.full(n, -1, dtype=np.int64)
    for x, y in pairs:
        mate[x] = y
        mate[y] = x
    weight = _weight(mate, a, b, w)
    return Matching(mate=mate, weight=weight, graph_bound=weight)


def relaxed_matching(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> Matching:
    """Near-optimal matching from the half-integral LP optimum (see module docstring)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    mate = np.full(n, -1, dtype=np.int64)
    if len(a) == 0:
        return Matching(mate=mate, weight=0.0, graph_bound=0.0, support=np.empty(0, np.int64))
    big = float(w.max()) + 1.0
    # Minimise cost = big - w on the double cover; staying alone (the diagonal) costs big.
    idx = np.arange(n)
    rows = np.concatenate([a, b, idx])
    cols = np.concatenate([b, a, idx])
    cost = np.concatenate([big - w, big - w, np.full(n, big)])
    matrix = sp.csr_matrix((cost, (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    _, perm = min_weight_full_bipartite_matching(matrix)
    perm = np.asarray(perm, dtype=np.int64)
    lp = (big * n - float(np.asarray(matrix[idx, perm]).ravel().sum())) / 2.0
    support = _edge_indices(a, b, idx[perm != idx], perm[perm != idx])

    edge_w = np.asarray(big - matrix[idx, perm]).ravel()  # weight of edge i -> perm[i]
    two = (perm[perm] == idx) & (perm != idx)
    mate[two] = perm[two]
    seen = two | (perm == idx)
    for start in np.flatnonzero(~seen):
        if seen[start]:
            continue
        cycle = [int(start)]
        seen[start] = True
        nxt = int(perm[start])
        while nxt != start:
            cycle.append(nxt)
            seen[nxt] = True
            nxt = int(perm[nxt])
        _round_cycle(np.array(cycle), edge_w[cycle], mate)
    _augment_greedily(mate, a, b, w)
    improve_on_graph(n, a, b, w, mate)
    return Matching(mate=mate, weight=_weight(mate, a, b, w), graph_bound=lp, support=support)


def polished_matching(
    n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, keep: int = 8
) -> Matching:
    """Blossom on a small graph that holds the optimum's structure.

    The graph is the union of each vertex's ``keep`` best edges and the support of
    the relaxation's optimum (which carries the global structure that a per-vertex
    selection misses when many scores are equal). Returns the relaxation's bound.
    """
    relaxed = relaxed_matching(n, a, b, w)
    assert relaxed.support is not None
    chosen = np.union1d(best_edge_indices(a, b, w, keep), relaxed.support).astype(np.int64)
    exact = exact_matching(n, a[chosen], b[chosen], w[chosen])
    if exact.weight < relaxed.weight:  # cannot happen in exact arithmetic; be safe
        return relaxed
    return Matching(mate=exact.mate, weight=exact.weight, graph_bound=relaxed.graph_bound)


def _edge_indices(a: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the edges {x, y} in the edge list (a, b)."""
    n = int(max(a.max(initial=0), b.max(initial=0))) + 1
    keys = np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)
    order = np.argsort(keys, kind="stable")
    wanted = np.minimum(x, y).astype(np.int64) * n + np.maximum(x, y)
    pos = np.searchsorted(keys, wanted, sorter=order)
    found = np.sort(order[np.clip(pos, 0, len(order) - 1)])
    return found[np.r_[True, found[1:] != found[:-1]]] if len(found) else found


def _round_cycle(cycle: np.ndarray, ew: np.ndarray, mate: np.ndarray) -> None:
    """Best matching inside one permutation cycle; ``ew[k]`` weighs cycle[k]-cycle[k+1]."""
    length = len(cycle)
    if length % 2 == 0:
        start = 0 if ew[0::2].sum() >= ew[1::2].sum() else 1
        chosen = np.arange(start, length, 2)
    else:
        # Leave out vertex j; the path after it is matched by every second edge.
        offsets = np.arange(1, length - 1, 2)
        options = (np.arange(length)[:, None] + offsets[None, :]) % length
        totals = ew[options].sum(axis=1)
        chosen = options[int(np.argmax(totals))]
    for k in chosen:
        x, y = cycle[k], cycle[(k + 1) % length]
        mate[x] = y
        mate[y] = x


Move = tuple[float, tuple[int, ...], tuple[tuple[int, int], ...]]


def improve_on_graph(
    n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, mate: np.ndarray, rounds: int = 8
) -> None:
    """Local search on a matching, using only the listed edges; never lowers its weight.

    Two moves, applied disjointly and best first, for a few rounds:

    * exchange: matched pairs (u, x) and (v, y) with edges (u, v) and (x, y) become
      (u, v) and (x, y) where that weighs more;
    * augmenting path of three edges: a person v without a partner takes u from its
      partner x, who takes a person z without a partner (or stays alone), where the
      total grows.
    """
    if len(a) == 0:
        return
    edges = _Edges(n, a, b, w)
    for _ in range(rounds):
        own = np.zeros(n)
        matched = np.flatnonzero(mate >= 0)
        own[matched] = edges.weight_of(matched, mate[matched])
        moves = _exchanges(edges, mate, own) + _augmenting_paths(edges, mate, own)
        if not moves or _apply(moves, mate) == 0:
            return


class _Edges:
    """An edge list with the weight of any pair looked up by binary search."""

    def __init__(self, n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> None:
        self.n = n
        self.a = np.asarray(a, dtype=np.int64)
        self.b = np.asarray(b, dtype=np.int64)
        self.w = np.asarray(w, dtype=np.float64)
        keys = np.minimum(self.a, self.b) * n + np.maximum(self.a, self.b)
        self.order = np.argsort(keys)
        self.sorted_keys = keys[self.order]
        # Each edge in both directions.
        self.both_a = np.concatenate([self.a, self.b])
        self.both_b = np.concatenate([self.b, self.a])
        self.both_w = np.concatenate([self.w, self.w])

    def weight_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Weight of the edges (x, y); NaN where there is none."""
        wanted = np.minimum(x, y) * self.n + np.maximum(x, y)
        pos = np.clip(np.searchsorted(self.sorted_keys, wanted), 0, len(self.sorted_keys) - 1)
        found = self.sorted_keys[pos] == wanted
        return np.where(found, self.w[self.order[pos]], np.nan)


def _exchanges(edges: _Edges, mate: np.ndarray, own: np.ndarray) -> list[Move]:
    """Matched pairs (u, x) and (v, y) that gain by becoming (u, v) and (x, y)."""
    u, v, wuv = edges.a, edges.b, edges.w
    x, y = mate[u], mate[v]
    pick = (x >= 0) & (y >= 0) & (x != v) & ((wuv > own[u]) | (wuv > own[v]))
    u, v, wuv, x, y = u[pick], v[pick], wuv[pick], x[pick], y[pick]
    gain = wuv + edges.weight_of(x, y) - own[u] - own[v]
    return [
        (
            float(gain[k]),
            (int(u[k]), int(v[k]), int(x[k]), int(y[k])),
            ((int(u[k]), int(v[k])), (int(x[k]), int(y[k]))),
        )
        for k in np.flatnonzero(gain > 1e-9).tolist()
    ]


def _best_free_partners(edges: _Edges, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each matched person, the weight of their heaviest edge to a person without
    a partner (0 if none) and that person (-1 if none)."""
    n = len(free)
    best_free = np.full(n, 0.0)
    best_to = np.full(n, -1, dtype=np.int64)
    edge_to_free = free[edges.both_b] & ~free[edges.both_a]
    xs, zs = edges.both_a[edge_to_free], edges.both_b[edge_to_free]
    ws = edges.both_w[edge_to_free]
    if len(xs):
        by = np.lexsort((-ws, xs))
        first = np.r_[True, xs[by][1:] != xs[by][:-1]]
        best_free[xs[by][first]] = ws[by][first]
        best_to[xs[by][first]] = zs[by][first]
    return best_free, best_to


def _augmenting_paths(edges: _Edges, mate: np.ndarray, own: np.ndarray) -> list[Move]:
    """Paths where v (free) takes u from its partner x, who takes a free z (or nobody)."""
    free = mate < 0
    if not free.any():
        return []
    best_free, best_to = _best_free_partners(edges, free)
    vv, uu, wvu = edges.both_a, edges.both_b, edges.both_w
    pick = free[vv] & (mate[uu] >= 0)
    vv, uu, wvu = vv[pick], uu[pick], wvu[pick]
    xx = mate[uu]
    zz = best_to[xx]
    gain_z = np.where(zz != vv, best_free[xx], 0.0)
    zz = np.where(zz != vv, zz, -1)
    gain = wvu - own[uu] + np.where(zz >= 0, gain_z, 0.0)
    moves: list[Move] = []
    for k in np.flatnonzero(gain > 1e-9).tolist():
        tail = (int(zz[k]),) if zz[k] >= 0 else ()
        people = (int(vv[k]), int(uu[k]), int(xx[k]), *tail)
        pairs = ((int(vv[k]), int(uu[k])),) + (((int(xx[k]), int(zz[k])),) if zz[k] >= 0 else ())
        moves.append((float(gain[k]), people, pairs))
    return moves


def _apply(moves: list[Move], mate: np.ndarray) -> int:
    """Applies the moves best first, each only if it shares nobody with one applied
    before; returns how many were applied."""
    moves.sort(key=lambda move: -move[0])
    busy = np.zeros(len(mate), dtype=bool)
    applied = 0
    for _, people, pairs in moves:
        if busy[list(people)].any():
            continue
        busy[list(people)] = True
        for p in people:
            mate[p] = -1
        for p, q in pairs:
            mate[p], mate[q] = q, p
        applied += 1
    return applied


def _augment_greedily(mate: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> None:
    """Match edges between unmatched vertices, heaviest first, until none is left."""
    free = (mate[a] < 0) & (mate[b] < 0)
    if not free.any():
        return
    ea, eb, ew = a[free], b[free], w[free]
    for k in np.argsort(-ew, kind="stable"):
        x, y = int(ea[k]), int(eb[k])
        if mate[x] < 0 and mate[y] < 0:
            mate[x] = y
            mate[y] = x


def _weight(mate: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    chosen = mate[a] == b
    return float(np.asarray(w)[chosen].sum())


def pairs_of(mate: np.ndarray) -> np.ndarray:
    """The matched pairs (x < y) as an array of shape (k, 2)."""
    x = np.flatnonzero(mate > np.arange(len(mate)))
    return np.stack([x, mate[x]], axis=1)
