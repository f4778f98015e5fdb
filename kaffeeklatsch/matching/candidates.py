"""Which pairs the solver considers.

Small rounds consider every pair the hard rules allow. Large rounds cannot (a
million people have half a trillion pairs), so each person gets candidates from
several orderings in which good partners sit close together: people sharing an
interest, sharing two interests, speaking the same languages, living nearby.
Each ordering is shuffled with the round's seed and paired with its next few
neighbours. Every candidate is checked against the hard rules and scored by
:mod:`.features`; each person keeps their best ``keep`` candidates.

Complexity: O(n * (windows + interests^2) log n) time and memory for the sparse
generator, O(n^2) for the dense one.
"""

from __future__ import annotations

import numpy as np

from kaffeeklatsch.matching.features import (
    INTEREST_CAP,
    Features,
    interest_subsets,
    score,
    sorted_unique,
    valid,
)

DENSE_LIMIT = 2500  # up to this many people every pair is considered
INTEREST_WINDOWS = (3, 3, 3)  # neighbours paired in buckets of 1, 2 and 3 shared interests
SIGNATURE_WINDOW = 3  # ... and among people with exactly the same few interests
NOISE = 1 << 16  # random tie-breaks within a bucket
SPREAD = 4  # candidates kept per person besides the best, pseudo-randomly


def dense_edges(f: Features) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every valid pair (a < b) with its score."""
    parts_a, parts_b, parts_w = [], [], []
    for start in range(0, f.n, 256):
        rows = np.arange(start, min(start + 256, f.n))
        a = np.repeat(rows, f.n)
        b = np.tile(np.arange(f.n), len(rows))
        keep = b > a
        a, b = a[keep], b[keep]
        ok = valid(f, a, b)
        a, b = a[ok], b[ok]
        parts_a.append(a)
        parts_b.append(b)
        parts_w.append(score(f, a, b))
    return _concat(parts_a, parts_b, parts_w)


def sparse_edges(
    f: Features, members: np.ndarray, rng: np.random.Generator, keep: int = 12
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valid, scored candidate pairs among ``members`` (global indices), best ``keep`` each.

    Sources: people sharing one, two or three interests (each bucket ordered three
    ways: at random, by place, and with departments, levels and organisations
    interleaved so that neighbours differ), people speaking the same languages,
    and people living close to each other.
    """
    m = len(members)
    if m < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    sources_a: list[np.ndarray] = []
    sources_b: list[np.ndarray] = []
    cell = np.zeros(m, dtype=np.int64)
    located = np.flatnonzero(~np.isnan(f.lat[members]))
    if len(located):
        cell[located] = grid_cells(f, members[located])
    cell_rank = np.searchsorted(sorted_unique(cell), cell).astype(np.int64)
    mix = np.searchsorted(
        sorted_unique(
            mix_all := (f.org[members].astype(np.int64) * 64 + f.level[members]) * 64
            + f.dept[members]
        ),
        mix_all,
    ).astype(np.int64)

    def window(order: np.ndarray, group: np.ndarray, width: int) -> None:
        for d in range(1, min(width, len(order) - 1) + 1):
            same = group[:-d] == group[d:]
            sources_a.append(order[:-d][same])
            sources_b.append(order[d:][same])

    def bucketed(keys: np.ndarray, who: np.ndarray, width: int) -> None:
        noise = rng.integers(0, NOISE, len(who))
        for order in (
            packed_order(noise, keys),
            packed_order(noise, cell_rank[who], keys),
            _interleaved(keys, mix[who], noise),
        ):
            window(who[order], keys[order], width)

    interests = f.interests[members]
    width_k = interests.shape[1]
    has = interests >= 0
    vocab = max(1, len(f.interest_vocab))
    for size, width in zip((1, 2, 3), INTEREST_WINDOWS, strict=True):
        # Single interests by meaning where the round has it: a meaning group holds
        # the people sharing any of its keys and those with related ones.
        if size == 1 and f.meaning is not None:
            subsets = interest_subsets(f.meaning[members], 1, max(1, f.meaning_vocab))
        else:
            subsets = interest_subsets(interests, size, vocab)
        if subsets is not None:
            bucketed(*subsets, width)
    # People with at most INTEREST_CAP interests score best with someone who has
    # exactly the same ones: bucket them by their whole set of interests.
    count = has.sum(axis=1)
    few = np.flatnonzero((count >= 1) & (count <= INTEREST_CAP))
    if len(few) > 1:
        signature = np.zeros(len(few), dtype=np.int64)
        for col in range(min(INTEREST_CAP, width_k)):
            signature = signature * (vocab + 1) + interests[few, col] + 1
        bucketed(signature, few, SIGNATURE_WINDOW)
    lang_key = np.unique(f.lang[members], axis=0, return_inverse=True)[1].ravel()
    bucketed(lang_key.astype(np.int64), np.arange(m), 2)
    if len(located) > 1:
        order = packed_order(rng.integers(0, NOISE, len(located)), cell_rank[located])
        window(located[order], np.zeros(len(located), dtype=np.int64), 6)

    a = members[np.concatenate(sources_a)]
    b = members[np.concatenate(sources_b)]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = sorted_unique(lo.astype(np.int64) * f.n + hi)
    a, b = key // f.n, key % f.n
    ok = (a != b) & valid(f, a, b)
    a, b = a[ok], b[ok]
    w = score(f, a, b)
    return best_per_person(a, b, w, keep, SPREAD)


def _interleaved(keys: np.ndarray, cls: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """An order of each bucket in which the classes ``cls`` alternate evenly."""
    order = packed_order(noise, cls, keys)
    k, c = keys[order], cls[order]
    start = np.r_[True, (k[1:] != k[:-1]) | (c[1:] != c[:-1])]
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    size = np.diff(np.r_[first, len(order)])
    rank = np.arange(len(order)) - first[group]
    position = (rank * NOISE + noise[order]) * (1 << 20) // (size[group] * NOISE)
    interleaved: np.ndarray = order[packed_order(position, k)]
    return interleaved


def packed_order(*columns: np.ndarray) -> np.ndarray:
    """``np.lexsort(columns)`` for non-negative integer columns (last = primary key),
    by one sort of the columns packed into 64 bits where they fit."""
    bits = [max(1, int(c.max(initial=0)).bit_length()) for c in columns]
    if sum(bits) > 64:
        return np.lexsort(columns)
    key = np.zeros(len(columns[0]), dtype=np.uint64)
    for column, width in zip(reversed(columns), reversed(bits), strict=True):
        key = (key << np.uint64(width)) | column.astype(np.uint64)
    return np.argsort(key)


def best_per_person(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, keep: int, spread: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the edges that are among the ``keep`` best of at least one of their ends,
    and ``spread`` more per person chosen pseudo-randomly.

    The pseudo-random ones matter where people are alike: if everybody's best
    partners are the same few people, the best edges alone form a star that leaves
    most people without a partner the solver can use.
    """
    chosen = best_edge_indices(a, b, w, keep, spread)
    return a[chosen], b[chosen], w[chosen]


def best_edge_indices(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, keep: int, spread: int = 0
) -> np.ndarray:
    """Indices of the edges among the ``keep`` best of at least one of their ends,
    and of ``spread`` more per end taken at even steps through the rest of its list."""
    if len(a) == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.concatenate([a, b])
    weights = np.concatenate([w, w])
    edge = np.concatenate([np.arange(len(a)), np.arange(len(a))])
    # Equal scores are common; a fixed pseudo-random tie-break spreads the kept
    # candidates over everybody instead of always favouring the same people.
    tie = _mix(
        np.concatenate([a, b]).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        ^ np.concatenate([b, a]).astype(np.uint64)
    )
    order = _order_by_end_weight_tie(ends, weights, tie)
    ends, edge = ends[order], edge[order]
    starts = np.flatnonzero(np.r_[True, ends[1:] != ends[:-1]])
    lengths = np.diff(np.r_[starts, len(ends)])
    rank = np.arange(len(ends)) - np.repeat(starts, lengths)
    chosen = rank < keep
    if spread:
        step = np.repeat(np.maximum(1, (lengths - keep) // spread), lengths)
        beyond = rank - keep
        chosen |= (beyond >= 0) & (beyond % step == 0) & (beyond // step < spread)
    return sorted_unique(edge[chosen])


def _order_by_end_weight_tie(ends: np.ndarray, weights: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """The order of ``np.lexsort((tie, -weights, ends))``, with scores closer than a
    thousandth counted as equal, by one sort of a packed 64-bit key."""
    quantised = np.rint((weights.max() - weights) * 1000.0).astype(np.uint64)
    rank = quantised if int(quantised.max()) < (1 << 24) else _dense_rank(weights)
    end_bits = max(1, int(ends.max()).bit_length())
    rank_bits = max(1, int(rank.max()).bit_length())
    tie_bits = 64 - end_bits - rank_bits
    if tie_bits < 16:
        return np.lexsort((tie, -weights, ends))
    return packed_order(tie >> np.uint64(64 - tie_bits), rank, ends)


def _dense_rank(weights: np.ndarray) -> np.ndarray:
    """0 for the largest weight, 1 for the next distinct one, and so on."""
    by_weight = np.argsort(-weights)
    ranked = weights[by_weight]
    rank = np.empty(len(weights), dtype=np.uint64)
    rank[by_weight] = np.cumsum(np.r_[0, ranked[1:] != ranked[:-1]])
    return rank


def _mix(x: np.ndarray) -> np.ndarray:
    """A fixed 64-bit mixing function (splitmix64's finaliser)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = x ^ (x >> np.uint64(31))
    return mixed


def grid_cells(f: Features, who: np.ndarray) -> np.ndarray:
    """A grid cell per person, half the maximum distance wide, in Z-order."""
    size = max(f.rules.max_distance_km, 1.0) / 2 / 111.0  # degrees of latitude
    y = np.floor(np.degrees(f.lat[who]) / size).astype(np.int64) + (1 << 20)
    x = np.floor(np.degrees(f.lon[who]) * np.cos(f.lat[who]) / size).astype(np.int64) + (1 << 20)
    cells: np.ndarray = _interleave(x) | (_interleave(y) << 1)
    return cells


def _interleave(v: np.ndarray) -> np.ndarray:
    v = v & 0x1FFFFF
    v = (v | (v << 32)) & 0x1F00000000FFFF
    v = (v | (v << 16)) & 0x1F0000FF0000FF
    v = (v | (v << 8)) & 0x100F00F00F00F00F
    v = (v | (v << 4)) & 0x10C30C30C30C30C3
    v = (v | (v << 2)) & 0x1249249249249249
    return v


def _concat(
    pa: list[np.ndarray], pb: list[np.ndarray], pw: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not pa:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    return np.concatenate(pa), np.concatenate(pb), np.concatenate(pw)
