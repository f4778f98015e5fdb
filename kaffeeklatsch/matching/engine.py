"""A coffee round: people, history and rules in; groups, score, bound and reasons out.

The problem: split the people into groups of ``rules.group_size`` (pairs by
default) so that every pair inside a group keeps every hard rule (see
:func:`.features.rule_masks`) and the total score is as large as possible. A
group's score is the sum of its pairs' scores divided by ``size - 1``, that is half
the sum of each member's average partner score, so pairs, groups of three and of
four are measured on one scale and every grouping is a fractional matching.

Guarantees:

* Hard rules are never broken: every pair in every group is checked.
* Nobody is left out while a compatible person is left out too, and a person who
  would be alone joins a group they are compatible with where one exists.
* ``bound`` is a proven upper bound on the best total: the optimum of the
  fractional matching relaxation over *all* valid pairs where those can be listed
  (up to :data:`.candidates.DENSE_LIMIT` people), otherwise half the sum of each
  person's largest possible pair score (a feasible dual of that relaxation).
* Rounds of pairs with at most :data:`EXACT_EDGES` valid pairs are solved exactly
  (``exact=True``); larger ones near the optimum, measured by ``gap``.
* Same input and seed, same result.

Complexity: O(n^2) up to the dense limit; beyond it O(n log n) per candidate
source plus the solver on chunks of :data:`CHUNK` people.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from kaffeeklatsch.matching import bound as bounds
from kaffeeklatsch.matching.candidates import DENSE_LIMIT, dense_edges, grid_cells, sparse_edges
from kaffeeklatsch.matching.features import (
    IN_PERSON,
    INTEREST_CAP,
    Features,
    encode,
    score,
    sorted_unique,
    valid,
)
from kaffeeklatsch.matching.meaning import VectorStore
from kaffeeklatsch.matching.model import Group, LeftOut, PastGroup, Person, RoundResult, Rules
from kaffeeklatsch.matching.reasons import (
    all_group_reasons,
    group_distances,
    group_modes,
    left_out_reason,
    member_pairs,
    padded,
)
from kaffeeklatsch.matching.solver import (
    exact_matching,
    pairs_of,
    polished_matching,
    relaxed_matching,
)
from kaffeeklatsch.matching.texts import N_, language, translate

EXACT_EDGES = 60_000  # blossom on every valid pair up to this many pairs
SPARSE_KEEP = 10  # candidates kept per person where not every pair is used
CHUNK = 8_000  # people solved together in a large round
LEFTOVER_PASSES = 3  # chunked passes over the people the chunks left without a partner
PARALLEL_FROM = 200_000  # people from which chunks are solved by several processes
MAX_PROCESSES = 4

Progress = Callable[[str, float], None]


class RulesError(ValueError):
    """The rules or people of a round are not usable; ``code`` names the problem and
    :meth:`text` says it in German or English."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message.format(**params))
        self.code = code
        self.message = message
        self.params = params

    def text(self, lang: str = "en") -> str:
        return translate(self.message, language(lang)).format(**self.params)


def validate(people: Sequence[Person], rules: Rules) -> None:
    """Reject what the engine cannot work with, before any work is done."""
    if rules.group_size not in (2, 3, 4):
        raise RulesError("group_size", N_("group size must be 2, 3 or 4"))
    if rules.repeat_window < 0:
        raise RulesError("repeat_window", N_("the repeat window must not be negative"))
    if not rules.max_distance_km > 0:
        raise RulesError("max_distance", N_("the maximum distance must be positive"))
    weights = (
        rules.weight_interests,
        rules.weight_department,
        rules.weight_level,
        rules.weight_organisation,
    )
    if any(not (w >= 0) for w in weights):
        raise RulesError("weights", N_("weights must not be negative"))
    if not 0 <= rules.weight_meaning <= 1:
        raise RulesError(
            "weight_meaning", N_("the weight of interests shared by meaning must be from 0 to 1")
        )
    seen: set[str] = set()
    for p in people:
        if p.id in seen:
            raise RulesError("duplicate_id", N_("the id {id!r} appears twice"), id=p.id)
        seen.add(p.id)
        if p.max_distance_km is not None and not p.max_distance_km > 0:
            raise RulesError(
                "max_distance", N_("the distance {id!r} can go must be positive"), id=p.id
            )


def round_random(seed: int) -> np.random.Generator:
    """The round's random stream: the seed mixed with a constant of the engine, so
    that data drawn from a generator with the same seed is not correlated with it."""
    return np.random.default_rng([seed, 0x4B61_6666_6565])


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: a large round allocates millions of small
    objects without cycles, and repeated full collections over them cost more
    than the round itself. The product reads and stores its rounds within it too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def match_round(
    people: Sequence[Person],
    history: Sequence[PastGroup] = (),
    rules: Rules | None = None,
    round_number: int = 1,
    progress: Progress | None = None,
    vectors: VectorStore | None = None,
) -> RoundResult:
    """Form the groups of one round. See the module docstring for the guarantees.

    ``vectors`` caches the vectors of interest terms (see :mod:`.meaning`); without
    it they are computed for this round only.
    """
    with no_cycle_collection():
        return _match_round(people, history, rules, round_number, progress, vectors)


def _match_round(
    people: Sequence[Person],
    history: Sequence[PastGroup],
    rules: Rules | None,
    round_number: int,
    progress: Progress | None,
    vectors: VectorStore | None,
) -> RoundResult:
    started = time.perf_counter()
    rules = rules or Rules()
    validate(people, rules)
    report = progress or (lambda stage, share: None)
    report("encode", 0.0)
    f = encode(people, history, rules, round_number, vectors)
    rng = round_random(rules.seed)

    stage = _pairs(f, rng, report)
    mate, cand, exact, graph_bound, row_max = (
        stage.mate,
        stage.candidates,
        stage.exact,
        stage.graph_bound,
        stage.row_max,
    )
    report("groups", 0.8)
    groups = _form_groups(f, mate, cand, rules.group_size)
    groups = _place_the_lonely(f, groups)
    member_of = _membership(f.n, groups)

    report("explain", 0.9)
    result_groups, total = describe_groups(f, people, groups)
    lonely = np.flatnonzero(member_of < 0)
    left_out = [LeftOut(person=f.ids[i], reason=left_out_reason(f, int(i))) for i in lonely]
    if exact:
        upper = total
    else:
        upper = bounds.upper_bound(f, row_max, lonely)
        if graph_bound is not None:
            upper = min(upper, graph_bound)
        upper = max(upper, total)
        exact = upper - total <= 1e-9 * max(1.0, upper)
    report("done", 1.0)
    return RoundResult(
        round=round_number,
        groups=result_groups,
        left_out=left_out,
        score=round(total, 6),
        bound=round(upper, 6),
        exact=exact,
        seconds=time.perf_counter() - started,
    )


def describe_groups(
    f: Features, people: Sequence[Person], groups: Sequence[Sequence[int]]
) -> tuple[list[Group], float]:
    """Groups of person indices as the round's groups (:class:`.model.Group`: score, how
    they meet, why), and the total of their scores."""
    matrix = padded(groups)
    scores = group_scores(f, matrix)
    distances = group_distances(f, matrix)
    modes = group_modes(f, matrix, distances)
    reasons = all_group_reasons(f, people, groups, matrix, distances, modes)
    rounded = np.round(scores, 6).tolist()
    described = [
        Group(
            members=tuple(f.ids[i] for i in members),
            score=rounded[gi],
            mode=modes[gi],
            reasons=reasons[gi],
        )
        for gi, members in enumerate(groups)
    ]
    return described, float(scores.sum())


@dataclass
class PairStage:
    """The pairs a round starts from, before groups are formed.

    ``mate[i]`` is the partner of person ``i`` or -1; ``weight`` the total pair
    score; ``exact`` whether the pairs are a proven maximum weight matching of all
    valid pairs; ``graph_bound`` the relaxation's bound where every pair was listed.
    """

    mate: np.ndarray
    weight: float
    exact: bool
    graph_bound: float | None
    row_max: np.ndarray | None
    candidates: tuple[np.ndarray, np.ndarray, np.ndarray]


def match_pairs(
    people: Sequence[Person],
    history: Sequence[PastGroup] = (),
    rules: Rules | None = None,
    round_number: int = 1,
    vectors: VectorStore | None = None,
) -> PairStage:
    """Only the matching stage of :func:`match_round`: a maximum weight matching of
    the valid pairs (exact or near-optimal as described there), for comparing the
    solver with other matching algorithms on exactly the same pairs and scores."""
    rules = rules or Rules()
    validate(people, rules)
    f = encode(people, history, rules, round_number, vectors)
    return _pairs(f, round_random(rules.seed), lambda stage, share: None)


def _pairs(f: Features, rng: np.random.Generator, report: Progress) -> PairStage:
    exact = False
    graph_bound: float | None = None
    row_max: np.ndarray | None = None
    if f.n <= DENSE_LIMIT:
        a, b, w = dense_edges(f)
        report("solve", 0.3)
        if f.rules.group_size == 2 and len(a) <= EXACT_EDGES:
            mate = exact_matching(f.n, a, b, w).mate
            exact = True
        else:
            polished = polished_matching(f.n, a, b, w)
            mate, graph_bound = polished.mate, polished.graph_bound
        row_max = bounds.base_row_max(f, a, b, w)
        cand = (a, b, w)
    else:
        mate, cand = _chunked_pairs(f, rng, report)
    pairs = pairs_of(mate)
    weight = float(score(f, pairs[:, 0], pairs[:, 1]).sum()) if len(pairs) else 0.0
    return PairStage(mate, weight, exact, graph_bound, row_max, cand)


def group_scores(f: Features, matrix: np.ndarray) -> np.ndarray:
    """:func:`group_score` of every row of a padded group matrix (see :func:`.reasons.padded`)."""
    total = np.zeros(len(matrix))
    for rows, a, b in member_pairs(matrix):
        total[rows] += score(f, a, b)
    size = (matrix >= 0).sum(axis=1)
    return np.where(size >= 2, total / np.maximum(size - 1, 1), 0.0)


def group_score(f: Features, members: Sequence[int]) -> float:
    """Sum of the group's pair scores divided by ``size - 1``."""
    return float(group_scores(f, padded([members]))[0])


def _chunked_pairs(
    f: Features, rng: np.random.Generator, report: Progress
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Pairs for a large round: chunks of people who can meet well, then the people
    left over. Chunks are independent; each has its own seed drawn from the round's
    stream, so the result is the same however many processes solve them."""
    order = _chunk_order(f, rng)
    mate = np.full(f.n, -1, dtype=np.int64)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    with _Solver(f) as solver:
        chunks = max(1, round(f.n / CHUNK))
        cuts = np.linspace(0, f.n, chunks + 1).astype(np.int64)
        pieces = [order[cuts[c] : cuts[c + 1]] for c in range(chunks)]
        seeds = rng.integers(0, 2**63, len(pieces))

        def progress(done: int) -> None:
            report("solve", 0.1 + 0.6 * done / chunks)

        solver.solve(pieces, seeds, mate, parts, progress)
        # The people left over meet each other: in chunks again while they are many
        # (first in the same order, then shuffled), and all together once they are few.
        left = order[mate[order] < 0]
        for attempt in range(LEFTOVER_PASSES):
            if len(left) <= CHUNK:
                break
            if attempt:
                left = left[rng.permutation(len(left))]
            count = max(1, round(len(left) / CHUNK))
            cuts = np.linspace(0, len(left), count + 1).astype(np.int64)
            pieces = [left[cuts[c] : cuts[c + 1]] for c in range(count)]
            solver.solve(pieces, rng.integers(0, 2**63, count), mate, parts)
            left = left[mate[left] < 0]
        if 1 < len(left) <= 2 * CHUNK:
            solver.solve([np.sort(left)], rng.integers(0, 2**63, 1), mate, parts)
    empty = np.empty(0, dtype=np.int64)
    a = np.concatenate([empty, *(p[0] for p in parts)])
    b = np.concatenate([empty, *(p[1] for p in parts)])
    w = np.concatenate([empty.astype(float), *(p[2] for p in parts)])
    report("improve", 0.75)
    improve_by_swaps(f, mate, a, b, w)
    return mate, (a, b, w)


_WORKER_FEATURES: Features | None = None  # the round a solver process works on


def _solve_piece(
    members: np.ndarray, seed: int, f: Features | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs among ``members``: (x, y) matched, and the candidate edges (a, b, w)."""
    f = f if f is not None else _WORKER_FEATURES
    assert f is not None
    a, b, w = sparse_edges(f, members, np.random.default_rng(seed), keep=SPARSE_KEEP)
    if len(a) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, a, b, w
    local = np.full(f.n, -1, dtype=np.int64)
    local[members] = np.arange(len(members))
    m = relaxed_matching(len(members), local[a], local[b], w)
    matched = np.flatnonzero(m.mate >= 0)
    return members[matched], members[m.mate[matched]], a, b, w


def _start_worker(f: Features) -> None:
    global _WORKER_FEATURES
    _WORKER_FEATURES = f


class _Solver:
    """Solves chunks in this process, or, for a large round on a machine with several
    cores, in worker processes started from a clean server process (``forkserver``:
    safe in a process that runs threads, unlike a plain fork). Each worker receives
    the round's arrays once."""

    def __init__(self, f: Features) -> None:
        self.f = f
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        if (
            f.n >= PARALLEL_FROM
            and cores > 1
            and "forkserver" in multiprocessing.get_all_start_methods()
        ):
            slim = dataclasses.replace(f, ids=[], terms=[], names={}, cache={})
            self.pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=min(cores, MAX_PROCESSES),
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=(slim,),
            )

    def __enter__(self) -> _Solver:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def solve(
        self,
        pieces: list[np.ndarray],
        seeds: np.ndarray,
        mate: np.ndarray,
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        results: Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
        if self.pool is None:
            results = (_solve_piece(p, int(s), self.f) for p, s in zip(pieces, seeds, strict=True))
        else:
            results = self.pool.map(_solve_piece, pieces, [int(s) for s in seeds])
        for done, (x, y, a, b, w) in enumerate(results, start=1):
            mate[x] = y
            parts.append((a, b, w))
            if progress is not None:
                progress(done)


def improve_by_swaps(
    f: Features, mate: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray, rounds: int = 6
) -> None:
    """Local search on a matching: exchange partners where that gains.

    For a candidate pair ``(u, v)`` whose people are matched to ``x`` and ``y``, the
    pairs ``(u, x), (v, y)`` become ``(u, v), (x, y)`` when ``(x, y)`` keeps every
    hard rule and the total grows. Unlike :func:`.solver.improve_on_graph`, the new
    pair ``(x, y)`` need not be a candidate: it is checked and scored directly.
    Disjoint improving exchanges are applied together, best first, for a few
    rounds. Every step keeps the matching valid and never lowers its score.
    """
    for _ in range(rounds):
        pair_w = np.zeros(f.n)
        x_all = np.flatnonzero(mate >= 0)
        pair_w[x_all] = score(f, x_all, mate[x_all])
        u, v, wuv = a, b, w
        x, y = mate[u], mate[v]
        # Both matched to others, and at least one of them would be better off.
        keep = (x >= 0) & (y >= 0) & (x != v) & ((wuv > pair_w[u]) | (wuv > pair_w[v]))
        u, v, wuv, x, y = u[keep], v[keep], wuv[keep], x[keep], y[keep]
        ok = valid(f, x, y)
        u, v, wuv, x, y = u[ok], v[ok], wuv[ok], x[ok], y[ok]
        gain = wuv + score(f, x, y) - pair_w[u] - pair_w[v]
        better = gain > 1e-9
        if not better.any():
            break
        u, v, x, y, gain = u[better], v[better], x[better], y[better], gain[better]
        order = np.argsort(-gain, kind="stable")
        busy = np.zeros(f.n, dtype=bool)
        changed = 0
        for k in order.tolist():
            p, q, r, s = int(u[k]), int(v[k]), int(x[k]), int(y[k])
            if busy[p] or busy[q] or busy[r] or busy[s]:
                continue
            busy[[p, q, r, s]] = True
            mate[p], mate[q], mate[r], mate[s] = q, p, s, r
            changed += 1
        if changed == 0:
            break


def _chunk_order(f: Features, rng: np.random.Generator) -> np.ndarray:
    """People ordered so that a chunk holds people who can meet well: by language,
    then those who meet only in person by place, then by interests."""
    lang_groups, lang_key = np.unique(f.lang, axis=0, return_inverse=True)
    lang_key = lang_key.ravel()
    counts = np.bincount(lang_key)
    # Everybody who speaks the most common language set's languages goes together;
    # speakers of other languages are grouped by their language set.
    common = lang_groups[int(np.argmax(counts))]
    speaks_common = ((f.lang & common) != 0).any(axis=1) | ~f.lang.any(axis=1)
    group = np.where(speaks_common, -1, lang_key)
    cell = np.full(f.n, -1, dtype=np.int64)
    located = ~np.isnan(f.lat)
    # Only people who meet in person only need partners nearby; everybody else
    # goes with people of similar interests (sorted by their first interests).
    located &= f.mode == IN_PERSON
    if located.any():
        cell[located] = grid_cells(f, np.flatnonzero(located))
    # Meaning groups where the round has them: people with related interests go
    # together (each interest key belongs to one group).
    keys = f.interests if f.meaning is None else f.meaning
    interests = np.where(keys >= 0, keys + 1, 0).astype(np.int64)
    columns = [interests[:, c] for c in range(min(INTEREST_CAP, interests.shape[1]))][::-1]
    return np.lexsort((rng.random(f.n), *columns, cell, group))


def _form_groups(
    f: Features,
    mate: np.ndarray,
    cand: tuple[np.ndarray, np.ndarray, np.ndarray],
    size: int,
) -> list[list[int]]:
    pairs = pairs_of(mate)
    if size == 2 or len(pairs) == 0:
        return [list(map(int, p)) for p in pairs]
    a, b, _ = cand
    if size == 4:
        return _pairs_into_fours(f, pairs, a, b)
    return _pairs_into_threes(f, pairs, a, b)


def _pair_links(
    f: Features, pair_of: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (pair, pair) links where candidate edges join two different pairs."""
    pa, pb = pair_of[a], pair_of[b]
    keep = (pa >= 0) & (pb >= 0) & (pa != pb)
    lo, hi = np.minimum(pa[keep], pb[keep]), np.maximum(pa[keep], pb[keep])
    key = sorted_unique(lo.astype(np.int64) * (pair_of.max() + 1) + hi)
    return key // (pair_of.max() + 1), key % (pair_of.max() + 1)


def _pairs_into_fours(
    f: Features, pairs: np.ndarray, a: np.ndarray, b: np.ndarray
) -> list[list[int]]:
    """Join pairs into groups of four: a maximum weight matching of pairs."""
    pair_of = np.full(f.n, -1, dtype=np.int64)
    pair_of[pairs[:, 0]] = np.arange(len(pairs))
    pair_of[pairs[:, 1]] = np.arange(len(pairs))
    p, q = _pair_links(f, pair_of, a, b)
    groups: list[list[int]] = []
    joined = np.full(len(pairs), -1, dtype=np.int64)
    if len(p):
        x0, x1, y0, y1 = pairs[p, 0], pairs[p, 1], pairs[q, 0], pairs[q, 1]
        ok = valid(f, x0, y0) & valid(f, x0, y1) & valid(f, x1, y0) & valid(f, x1, y1)
        p, q = p[ok], q[ok]
        cross = (
            score(f, x0[ok], y0[ok])
            + score(f, x0[ok], y1[ok])
            + score(f, x1[ok], y0[ok])
            + score(f, x1[ok], y1[ok])
        )
        if len(p):
            joined = relaxed_matching(len(pairs), p, q, cross).mate
    for i, pair in enumerate(pairs):
        j = joined[i]
        if j < 0:
            groups.append(list(map(int, pair)))
        elif i < j:
            groups.append([int(pair[0]), int(pair[1]), int(pairs[j, 0]), int(pairs[j, 1])])
    return groups


def _pairs_into_threes(
    f: Features, pairs: np.ndarray, a: np.ndarray, b: np.ndarray
) -> list[list[int]]:
    """Groups of three: the best third of the pairs keep together, the others join them.

    The assignment of joiners to pairs is a bipartite matching, solved optimally on
    the candidate links; joiners left without a pair meet each other in pairs.
    """
    n_people = 2 * len(pairs)
    cores = n_people // 3
    weights = score(f, pairs[:, 0], pairs[:, 1])
    order = np.argsort(-weights, kind="stable")
    core_idx, spare_idx = order[:cores], order[cores:]
    joiners = pairs[spare_idx].ravel()
    core_pairs = pairs[core_idx]
    core_of = np.full(f.n, -1, dtype=np.int64)
    core_of[core_pairs[:, 0]] = np.arange(len(core_pairs))
    core_of[core_pairs[:, 1]] = np.arange(len(core_pairs))
    is_joiner = np.zeros(f.n, dtype=bool)
    is_joiner[joiners] = True
    # Links from a joiner to a core pair through candidate edges.
    ja = np.concatenate([a, b])
    jb = np.concatenate([b, a])
    link = is_joiner[ja] & (core_of[jb] >= 0)
    person, core = ja[link], core_of[jb[link]]
    key = sorted_unique(person.astype(np.int64) * len(core_pairs) + core)
    person, core = key // len(core_pairs), key % len(core_pairs)
    x, y = core_pairs[core, 0], core_pairs[core, 1]
    ok = valid(f, person, x) & valid(f, person, y)
    person, core = person[ok], core[ok]
    gain = score(f, person, core_pairs[core, 0]) + score(f, person, core_pairs[core, 1])
    groups = [list(map(int, cp)) for cp in core_pairs]
    placed = np.zeros(f.n, dtype=bool)
    if len(person):
        # Vertices: cores 0..C-1, joiners C..C+J-1 (bipartite, so the relaxation is exact).
        jpos = np.full(f.n, -1, dtype=np.int64)
        jpos[joiners] = np.arange(len(joiners))
        nodes = len(core_pairs) + len(joiners)
        m = relaxed_matching(nodes, core, len(core_pairs) + jpos[person], gain).mate
        for c in range(len(core_pairs)):
            if m[c] >= 0:
                who = int(joiners[m[c] - len(core_pairs)])
                groups[c].append(who)
                placed[who] = True
    rest = np.array([int(j) for j in joiners if not placed[j]], dtype=np.int64)
    if len(rest) >= 2:
        groups.extend(_regroup(f, rest, len(rest) < n_people))
    return groups


def _regroup(f: Features, people: np.ndarray, again: bool) -> list[list[int]]:
    """Groups of three (else pairs) among people no group of three could take."""
    if len(people) > 3000:  # too many to list every pair: leave them to the last pass
        return []
    x, y = np.triu_indices(len(people), k=1)
    ok = valid(f, people[x], people[y])
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return []
    w = score(f, people[x], people[y])
    mate = relaxed_matching(len(people), x, y, w).mate
    local_pairs = pairs_of(mate)
    pairs = people[local_pairs] if len(local_pairs) else np.empty((0, 2), dtype=np.int64)
    if again and len(pairs) >= 2:
        return _pairs_into_threes(f, pairs, people[x], people[y])
    return [list(map(int, p)) for p in pairs]


def _membership(n: int, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """``member_of[i]``: the index of the group of person ``i``, or -1."""
    member_of = np.full(n, -1, dtype=np.int64)
    if groups:
        matrix = padded(groups)
        rows = np.repeat(np.arange(len(groups)), matrix.shape[1])
        flat = matrix.ravel()
        member_of[flat[flat >= 0]] = rows[flat >= 0]
    return member_of


def _place_the_lonely(f: Features, groups: list[list[int]]) -> list[list[int]]:
    """Make the grouping maximal.

    First, people without a group who are compatible with each other are paired
    (checked over every pair of them). Then each person still alone joins the
    group that gains most from them, among the groups every member of which they
    are compatible with.
    """
    member_of = _membership(f.n, groups)
    alone = np.flatnonzero(member_of < 0)
    if len(alone) > 1:
        x, y = np.triu_indices(len(alone), k=1)
        a, b = alone[x], alone[y]
        ok = valid(f, a, b)
        a, b = a[ok], b[ok]
        if len(a):
            local = np.full(f.n, -1, dtype=np.int64)
            local[alone] = np.arange(len(alone))
            w = score(f, a, b)
            m = exact_matching(len(alone), local[a], local[b], w).mate
            for i, j in enumerate(m):
                if i < j:
                    groups.append([int(alone[i]), int(alone[j])])
                    member_of[[alone[i], alone[j]]] = len(groups) - 1
    everyone = np.arange(f.n)
    for person in np.flatnonzero(member_of < 0):
        others = everyone[member_of >= 0]
        if len(others) == 0:
            break
        ok = valid(f, np.full(len(others), person), others)
        gscore = score(f, np.full(len(others), person), others)
        gid = member_of[others]
        size = np.bincount(member_of[member_of >= 0], minlength=len(groups))
        bad = np.bincount(gid[~ok], minlength=len(groups)) > 0
        gain = np.bincount(gid, weights=gscore, minlength=len(groups)) / np.maximum(size, 1)
        gain[bad] = -np.inf
        best = int(np.argmax(gain))
        if np.isfinite(gain[best]):
            groups[best].append(int(person))
            member_of[person] = best
    return groups
