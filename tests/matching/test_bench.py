"""The matching benchmark measures what it says, on small sizes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[2] / "bench" / "matching.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_matching", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_matching"] = module
    spec.loader.exec_module(module)
    return module


def test_dense_row_compares_with_both_exact_peers() -> None:
    bench = load_bench()
    row = bench.dense_row(120, ["rustworkx", "networkx"])
    assert row["edges"] > 0
    assert row["rustworkx_score"] == row["networkx_score"] == row["optimum"]
    assert row["ours_score"] <= row["optimum"] + 1e-9
    assert row["quality_ratio"] == row["ours_score"] / row["optimum"]
    assert 0 < row["random_score"] <= row["optimum"]


def test_candidate_row_gives_both_the_same_graph() -> None:
    bench = load_bench()
    row = bench.candidate_row(600, 10)
    assert row["edges"] >= 600 * 10 // 2 * 0.9
    assert 0.9 < row["quality_ratio"] <= 1.0 + 1e-12


def test_random_matching_is_a_valid_matching() -> None:
    bench = load_bench()
    a = np.array([0, 1, 2, 0])
    b = np.array([1, 2, 3, 3])
    iw = np.array([5, 1, 5, 1])
    value = bench.random_matching(4, a, b, iw, seed=0)
    assert value in {2, 10}


def test_scaling_row_runs_a_round_in_its_own_process() -> None:
    bench = load_bench()
    row = bench.scaling_row(3000)
    assert row["n"] == 3000
    assert row["groups"] * 2 + row["left_out"] >= 2990
    assert row["peak_memory_mb"] > 0
    assert 0 <= row["gap"] < 0.2
    assert row["bound"] >= row["score"]
