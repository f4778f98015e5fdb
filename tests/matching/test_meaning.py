import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kaffeeklatsch.matching import meaning
from kaffeeklatsch.matching.meaning import (
    DIMENSIONS,
    MODEL,
    THRESHOLD,
    FileStore,
    MemoryStore,
    term_vectors,
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[list[str]] = []
        self.put_terms: list[list[str]] = []

    def get(self, terms: Sequence[str]) -> dict[str, np.ndarray]:
        self.asked.append(list(terms))
        return super().get(terms)

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        self.put_terms.append(list(vectors))
        super().put(vectors)


def similarity(a: str, b: str) -> float:
    vectors = term_vectors([a, b])
    return float(vectors[0] @ vectors[1])


def test_vectors_are_unit_length_and_the_model_loads_offline(
    no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meaning, "_model", None)  # load the weights with sockets blocked
    vectors = term_vectors(["Wandern", "hiking", "Schach", "Wandern"])
    assert vectors.shape == (4, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[3])


def test_translations_are_related_and_unrelated_terms_are_not(no_network: None) -> None:
    assert similarity("Wandern", "hiking") >= THRESHOLD
    assert similarity("Schach", "chess") >= THRESHOLD
    assert similarity("Kunst", "Künstliche Intelligenz") < THRESHOLD
    assert similarity("Backen", "Feedback") < THRESHOLD
    assert similarity("Schach", "Kochen") < THRESHOLD


def test_a_store_is_filled_once_and_reused(no_network: None) -> None:
    store = CountingStore()
    first = term_vectors(["Kochen", "  Backen ", "Kochen"], store)
    assert store.put_terms == [["Kochen", "Backen"]]
    second = term_vectors(["Backen", "Kochen"], store)
    assert store.put_terms == [["Kochen", "Backen"]]  # nothing embedded again
    assert np.array_equal(first[1], second[0])
    # Vectors come from the store when it has them.
    store.vectors["Lesen"] = np.eye(DIMENSIONS, dtype=np.float32)[0]
    assert term_vectors(["Lesen"], store)[0][0] == 1.0


def test_file_store_round_trips(tmp_path: Path, no_network: None) -> None:
    path = tmp_path / "cache" / "vectors.npz"
    store = FileStore(path)
    assert store.get(["Yoga"]) == {}
    vectors = term_vectors(["Yoga", "Meditation", "йога"], store)
    assert path.exists()
    again = FileStore(path)
    known = again.get(["Yoga", "Meditation", "йога", "Chor"])
    assert set(known) == {"Yoga", "Meditation", "йога"}
    assert np.array_equal(known["йога"], vectors[2])
    assert not list(path.parent.glob("*.tmp"))
    with np.load(path) as data:
        assert str(data["model"]) == MODEL


def test_file_store_ignores_another_model_and_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    np.savez(
        path,
        model=np.array("another-model"),
        terms=np.array(["Yoga"]),
        vectors=np.ones((1, DIMENSIONS), np.float32),
    )
    assert FileStore(path).get(["Yoga"]) == {}
    path.write_bytes(b"not a numpy file")
    store = FileStore(path)
    assert store.get(["Yoga"]) == {}
    store.put({"Yoga": np.ones(DIMENSIONS, np.float32)})
    assert set(FileStore(path).get(["Yoga"])) == {"Yoga"}
