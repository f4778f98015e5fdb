"""How well interests meet: by key alone (as before) and by key or meaning (as shipped).

Usage::

    python bench/interests.py            # labelled pairs and a synthetic round of 2,000
    python bench/interests.py --n 5000

On the labelled pairs of ``tests/matching/data/interest_pairs.tsv`` (two interests,
related or not, in ten languages), each term is one person of a round and a pair
counts as related when the engine's own encoding gives the two people a shared
interest: exactly the method of a round, meaning groups included. On the benchmark's
synthetic organisation with interests written in ten languages, a whole round is
formed with and without meaning and the share of groups whose members share at least
one interest is counted. The last line is one JSON object with ``precision``,
``recall`` (key or meaning), ``keys_only_precision``, ``keys_only_recall``,
``groups_sharing_share`` and ``keys_only_groups_sharing_share``, measured in one run.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from kaffeeklatsch.matching import engine, synthetic
from kaffeeklatsch.matching.features import encode, interest_count
from kaffeeklatsch.matching.meaning import THRESHOLD, MemoryStore, VectorStore
from kaffeeklatsch.matching.model import Person, Rules

PAIRS = Path(__file__).resolve().parents[1] / "tests" / "matching" / "data" / "interest_pairs.tsv"
SEED = 7
ORGANISATIONS = 6


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def labelled_pairs(path: Path = PAIRS) -> list[tuple[str, str, bool, str]]:
    """(term_a, term_b, related, languages) of each labelled pair."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(r["term_a"], r["term_b"], r["related"] == "1", r["languages"]) for r in rows]


def related(
    pairs: list[tuple[str, str]], rules: Rules, store: VectorStore | None = None
) -> np.ndarray:
    """For each pair of terms, whether the engine gives two people who wrote them a
    shared interest under ``rules``: one person per distinct term, encoded as one round."""
    terms = list(dict.fromkeys(t for pair in pairs for t in pair))
    index = {t: i for i, t in enumerate(terms)}
    people = [Person(id=str(i), interests=(t,)) for i, t in enumerate(terms)]
    f = encode(people, (), rules, 1, store)
    a = np.array([index[x] for x, _ in pairs], dtype=np.int64)
    b = np.array([index[y] for _, y in pairs], dtype=np.int64)
    found: np.ndarray = interest_count(f, a, b) > 0
    return found


def precision_recall(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits = int((found & truth).sum())
    precision = hits / int(found.sum()) if found.any() else 1.0
    recall = hits / int(truth.sum()) if truth.any() else 1.0
    return precision, recall


def quality(rules: Rules | None = None, store: VectorStore | None = None) -> dict[str, Any]:
    """Precision and recall of "related" on the labelled pairs, with meaning (as
    ``rules`` say, by default as shipped) and by keys alone."""
    rules = rules or Rules()
    labelled = labelled_pairs()
    pairs = [(a, b) for a, b, _, _ in labelled]
    truth = np.array([r for _, _, r, _ in labelled])
    store = store if store is not None else MemoryStore()
    shipped = related(pairs, rules, store)
    keys_only = related(pairs, dataclasses.replace(rules, weight_meaning=0.0))
    precision, recall = precision_recall(shipped, truth)
    keys_precision, keys_recall = precision_recall(keys_only, truth)
    missed = [
        f"{a} / {b}" for (a, b), f, t in zip(pairs, shipped, truth, strict=True) if t and not f
    ]
    wrong = [
        f"{a} / {b}" for (a, b), f, t in zip(pairs, shipped, truth, strict=True) if f and not t
    ]
    return {
        "pairs": len(pairs),
        "related_pairs": int(truth.sum()),
        "threshold": THRESHOLD,
        "weight_meaning": rules.weight_meaning,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "keys_only_precision": round(keys_precision, 4),
        "keys_only_recall": round(keys_recall, 4),
        "false_related": wrong,
        "missed": missed,
    }


def sharing_share(n: int, rules: Rules, store: VectorStore | None = None) -> tuple[float, float]:
    """Share of the groups of a synthetic multilingual round of ``n`` people whose
    members share at least one interest (by key, or by meaning where ``rules`` use
    it), and the round's seconds."""
    people = synthetic.organisation(n, seed=SEED, organisations=ORGANISATIONS, multilingual=True)
    started = time.perf_counter()
    result = engine.match_round(people, rules=rules, vectors=store)
    seconds = time.perf_counter() - started
    codes = {"interests"} if rules.weight_meaning == 0 else {"interests", "interests_meaning"}
    sharing = sum(1 for g in result.groups if any(r.code in codes for r in g.reasons))
    return sharing / max(1, len(result.groups)), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="people in the synthetic round")
    args = parser.parse_args()
    store = MemoryStore()
    result = quality(store=store)
    log("labelled", json.dumps({k: v for k, v in result.items() if k not in ("missed",)}))
    log("missed", json.dumps(result["missed"], ensure_ascii=False))
    rules = Rules(seed=SEED)
    share, seconds = sharing_share(args.n, rules, store)
    keys_share, keys_seconds = sharing_share(args.n, dataclasses.replace(rules, weight_meaning=0.0))
    log("round", json.dumps({"n": args.n, "seconds": seconds, "keys_only_seconds": keys_seconds}))
    print(
        json.dumps(
            {
                "precision": result["precision"],
                "recall": result["recall"],
                "keys_only_precision": result["keys_only_precision"],
                "keys_only_recall": result["keys_only_recall"],
                "groups_sharing_share": round(share, 4),
                "keys_only_groups_sharing_share": round(keys_share, 4),
                "threshold": THRESHOLD,
                "weight_meaning": rules.weight_meaning,
                "pairs": result["pairs"],
                "n": args.n,
            }
        )
    )


if __name__ == "__main__":
    main()
