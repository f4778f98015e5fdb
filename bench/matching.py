"""Benchmark of the matching engine against the exact matchers a Python user would pick.

Usage::

    python bench/matching.py           # full run (several minutes)
    python bench/matching.py --quick   # under two minutes
    python bench/matching.py --sizes 1000000   # only the scaling rows of these sizes

Every contender gets exactly the same people, pairs and scores: the valid pairs of
a realistic synthetic organisation (:mod:`kaffeeklatsch.matching.synthetic`) and
the engine's pair scores, scaled to integers for the blossom implementations.

Rows:

* 300 people, every valid pair an edge: our engine (encoding, pairs, solver),
  ``rustworkx.max_weight_matching`` and ``networkx.max_weight_matching`` (both
  exact), and a random valid matching as coffee bots make it.
* 1,000 people likewise (rustworkx, random).
* 10,000 people on one candidate graph (about 50 candidates each) given to both
  our solver and rustworkx (full run only).
* Scaling: the whole round (``match_round``: groups, reasons, bound) at 10,000,
  100,000 and, in the full run, 1,000,000 people, each in its own process so
  that its peak memory is its own; the gap is to the round's proven upper bound.
  People write their interests in ten languages (a few thousand distinct terms);
  each size runs twice, with interests compared by key only and by key or meaning.
  The vectors of the terms are computed once beforehand into a cache file, as the
  product and the command line keep them (``embed_seconds``: that one-time cost),
  and each round with meaning reads them from there.

Each row is printed as it finishes; the last line is one JSON object with the
keys described in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from kaffeeklatsch.matching import engine, synthetic
from kaffeeklatsch.matching.candidates import best_edge_indices, dense_edges, sparse_edges
from kaffeeklatsch.matching.features import encode
from kaffeeklatsch.matching.meaning import FileStore, meaning_groups, term_vectors
from kaffeeklatsch.matching.model import Rules
from kaffeeklatsch.matching.solver import relaxed_matching

SCALE = 1_000_000
SEED = 7
ORGANISATIONS = 6


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def people_of(n: int, multilingual: bool = False) -> list:
    return synthetic.organisation(
        n, seed=SEED, organisations=ORGANISATIONS, multilingual=multilingual
    )


def warm_cache(path: Path) -> dict[str, Any]:
    """Embed every synthetic term once into the cache file; the one-time cost."""
    terms = sorted({*synthetic.INTERESTS, *synthetic.multilingual_terms()})
    started = time.perf_counter()
    store = FileStore(path)
    # The own words of phrases that share words too (see meaning_groups).
    meaning_groups(term_vectors(terms, store), terms=terms, store=store)
    return {"terms": len(terms), "embed_seconds": round(time.perf_counter() - started, 2)}


def integer_weights(w: np.ndarray) -> np.ndarray:
    return np.rint(w * SCALE).astype(np.int64)


def weight_of_pairs(pairs: Any, a: np.ndarray, b: np.ndarray, iw: np.ndarray) -> int:
    """Total integer weight of a matching given as pairs, looked up in the edge list."""
    lookup = {(int(x), int(y)): int(v) for x, y, v in zip(a, b, iw, strict=True)}
    total = 0
    for x, y in pairs:
        x, y = int(x), int(y)
        total += lookup[(min(x, y), max(x, y))]
    return total


def our_weight(mate: np.ndarray, a: np.ndarray, b: np.ndarray, iw: np.ndarray) -> int:
    return int(iw[mate[a] == b].sum())


def rustworkx_matching(n: int, a: np.ndarray, b: np.ndarray, iw: np.ndarray) -> tuple[int, float]:
    import rustworkx as rx

    started = time.perf_counter()
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    graph.add_edges_from(list(zip(a.tolist(), b.tolist(), iw.tolist(), strict=True)))
    pairs = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=int)
    seconds = time.perf_counter() - started
    return weight_of_pairs(pairs, a, b, iw), seconds


def networkx_matching(n: int, a: np.ndarray, b: np.ndarray, iw: np.ndarray) -> tuple[int, float]:
    import networkx as nx

    started = time.perf_counter()
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(zip(a.tolist(), b.tolist(), iw.tolist(), strict=True))
    pairs = nx.max_weight_matching(graph, maxcardinality=False)
    seconds = time.perf_counter() - started
    return weight_of_pairs(pairs, a, b, iw), seconds


def random_matching(n: int, a: np.ndarray, b: np.ndarray, iw: np.ndarray, seed: int) -> int:
    """A coffee bot's round: people in random order, each paired with the first
    valid partner still free (a random maximal matching of the valid pairs)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(a))
    mate = np.full(n, -1, dtype=np.int64)
    for k in order:
        x, y = int(a[k]), int(b[k])
        if mate[x] < 0 and mate[y] < 0:
            mate[x], mate[y] = y, x
    return our_weight(mate, a, b, iw)


def dense_row(n: int, peers: list[str]) -> dict[str, Any]:
    """Our engine and the exact peers on every valid pair of ``n`` people."""
    people = people_of(n)
    rules = Rules(seed=SEED)
    f = encode(people, (), rules, 1)
    a, b, w = dense_edges(f)
    iw = integer_weights(w)
    started = time.perf_counter()
    stage = engine.match_pairs(people, rules=rules)
    ours_seconds = time.perf_counter() - started
    ours = our_weight(stage.mate, a, b, iw)
    row: dict[str, Any] = {
        "n": n,
        "edges": int(len(a)),
        "ours_seconds": round(ours_seconds, 4),
        "ours_score": ours / SCALE,
    }
    optimum = None
    if "rustworkx" in peers:
        value, seconds = rustworkx_matching(n, a, b, iw)
        row["rustworkx_seconds"] = round(seconds, 4)
        row["rustworkx_score"] = value / SCALE
        optimum = value
    if "networkx" in peers:
        value, seconds = networkx_matching(n, a, b, iw)
        row["networkx_seconds"] = round(seconds, 4)
        row["networkx_score"] = value / SCALE
        if optimum is not None and value != optimum:
            raise SystemExit(f"exact peers disagree at {n}: {value} != {optimum}")
        optimum = value
    row["optimum"] = None if optimum is None else optimum / SCALE
    row["quality_ratio"] = None if not optimum else ours / optimum
    row["random_score"] = random_matching(n, a, b, iw, SEED) / SCALE
    return row


def candidate_row(n: int, per_person: int) -> dict[str, Any]:
    """One candidate graph of ``n`` people given to our solver and to rustworkx."""
    people = people_of(n)
    f = encode(people, (), Rules(seed=SEED), 1)
    rng = np.random.default_rng(SEED)
    a, b, w = sparse_edges(f, np.arange(f.n), rng, keep=10 * per_person)
    keep = per_person // 2
    while True:  # the fewest kept per person that gives about n * per_person / 2 edges
        chosen = best_edge_indices(a, b, w, keep)
        if len(chosen) >= n * per_person // 2 or keep >= 10 * per_person:
            break
        keep += 1
    a, b, w = a[chosen], b[chosen], w[chosen]
    iw = integer_weights(w)
    started = time.perf_counter()
    m = relaxed_matching(n, a, b, iw.astype(np.float64))
    ours_seconds = time.perf_counter() - started
    ours = our_weight(m.mate, a, b, iw)
    optimum, rx_seconds = rustworkx_matching(n, a, b, iw)
    return {
        "n": n,
        "edges": int(len(a)),
        "ours_seconds": round(ours_seconds, 4),
        "ours_score": ours / SCALE,
        "rustworkx_seconds": round(rx_seconds, 4),
        "optimum": optimum / SCALE,
        "quality_ratio": ours / optimum,
    }


def scaling_child(n: int, cache: str | None) -> None:
    """Runs in its own process: one whole round of ``n`` people, printed as JSON; with
    a ``cache`` file, interests are compared by meaning too (vectors from the cache)."""
    people = people_of(n, multilingual=True)
    rules = Rules(seed=SEED) if cache else Rules(seed=SEED, weight_meaning=0.0)
    vectors = FileStore(Path(cache)) if cache else None
    started = time.perf_counter()
    result = engine.match_round(people, rules=rules, vectors=vectors)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gap = (result.bound - result.score) / result.bound if result.bound else 0.0
    print(
        json.dumps(
            {
                "n": n,
                "meaning": bool(cache),
                "distinct_terms": len({t for p in people for t in p.interests}),
                "seconds": round(seconds, 2),
                "peak_memory_mb": round(peak_kb / 1024, 1),
                "gap": round(gap, 5),
                "score": result.score,
                "bound": result.bound,
                "groups": len(result.groups),
                "left_out": len(result.left_out),
            }
        )
    )


def _tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    found = [pid]
    for current in found:
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                found.extend(int(c) for c in handle.read().split())
        except OSError:
            continue
    return found


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages count once across the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def scaling_row(n: int, cache: Path | None = None) -> dict[str, Any]:
    """One round in a child process (by meaning too with a ``cache`` file); its memory
    is the largest sum of the proportional set sizes of the child and the processes it
    starts, sampled."""
    extra = ["--cache", str(cache)] if cache is not None else []
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--child", str(n), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak_kb = 0
    while child.poll() is None:
        peak_kb = max(peak_kb, sum(_pss_kb(pid) for pid in _tree(child.pid)))
        time.sleep(0.2)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"the round of {n} people failed")
    row = json.loads(out.strip().splitlines()[-1])
    # peak_memory_mb: the larger of the main process's peak resident set and the
    # sampled peak of the whole process tree's proportional set size.
    row["peak_rss_mb"] = row["peak_memory_mb"]
    row["peak_pss_tree_mb"] = round(peak_kb / 1024, 1)
    row["peak_memory_mb"] = max(row["peak_rss_mb"], row["peak_pss_tree_mb"])
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the run under two minutes")
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="only the scaling rows, at these numbers of people"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each scaling row (the fastest counts)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scaling_child(args.child, args.cache)
        return
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "term-vectors.npz"
        warmed = warm_cache(cache)
        log("embedded", json.dumps(warmed))
        if args.sizes:
            scaling = scaling_rows(args.sizes, cache, args.repeat)
            print(json.dumps({"embedding": warmed, **summary_of(scaling)}))
            return
        run_all(args.quick, cache, warmed, args.repeat)


def scaling_rows(sizes: list[int], cache: Path, repeat: int = 1) -> list[dict[str, Any]]:
    """Each size without and with meaning, alternately ``repeat`` times; each row is
    the fastest of its runs (on a shared machine the others waited for the CPU) with
    the largest peak memory."""
    rows = []
    for n in sizes:
        for with_cache in (None, cache):
            runs = []
            for _ in range(repeat):
                runs.append(scaling_row(n, with_cache))
                log("scaling", json.dumps(runs[-1]))
            best = dict(min(runs, key=lambda r: r["seconds"]))
            best["peak_memory_mb"] = max(r["peak_memory_mb"] for r in runs)
            best["runs_seconds"] = [r["seconds"] for r in runs]
            rows.append(best)
    return rows


def summary_of(scaling: list[dict[str, Any]]) -> dict[str, Any]:
    """The scaling rows in short, and what meaning adds at each size."""
    keys = ("n", "meaning", "distinct_terms", "seconds", "peak_memory_mb", "gap")
    overhead = []
    for row in scaling:
        if row["meaning"]:
            base = next(r for r in scaling if r["n"] == row["n"] and not r["meaning"])
            overhead.append(
                {
                    "n": row["n"],
                    "time_ratio": round(row["seconds"] / base["seconds"], 3),
                    "extra_memory_mb": round(row["peak_memory_mb"] - base["peak_memory_mb"], 1),
                }
            )
    return {
        "scaling": [{k: row[k] for k in keys} for row in scaling],
        "meaning_overhead": overhead,
    }


def run_all(quick: bool, cache: Path, warmed: dict[str, Any], repeat: int = 1) -> None:
    rows: dict[str, Any] = {}
    rows["300"] = dense_row(300, ["rustworkx", "networkx"])
    log("300", json.dumps(rows["300"]))
    rows["1000"] = dense_row(1000, ["rustworkx"])
    log("1000", json.dumps(rows["1000"]))
    if not quick:
        rows["10000"] = candidate_row(10_000, 50)
        log("10000", json.dumps(rows["10000"]))
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    scaling = scaling_rows(sizes, cache, repeat)

    r300, r1000 = rows["300"], rows["1000"]
    result = {
        "quick": quick,
        "quality_ratio": round(min(r300["quality_ratio"], r1000["quality_ratio"]), 6),
        "quality_ratio_10k": round(rows["10000"]["quality_ratio"], 6) if "10000" in rows else None,
        "speedup_vs_rustworkx": round(r1000["rustworkx_seconds"] / r1000["ours_seconds"], 2),
        "speedup_vs_rustworkx_10k": (
            round(rows["10000"]["rustworkx_seconds"] / rows["10000"]["ours_seconds"], 2)
            if "10000" in rows
            else None
        ),
        "speedup_vs_networkx": round(r300["networkx_seconds"] / r300["ours_seconds"], 2),
        "vs_random": round(r1000["ours_score"] / r1000["random_score"], 4),
        **summary_of(scaling),
        "embedding": warmed,
        "rows": rows,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
