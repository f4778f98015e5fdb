"""The engine's vectors of interests, kept in the database.

Reading an interest's meaning (:func:`kaffeeklatsch.matching.meaning.term_vectors`)
takes the language model a few milliseconds per term; a programme's people write a
few thousand distinct terms, and the same ones round after round. So each term's
vector is kept in a :class:`~kaffeeklatsch.rounds.models.TermVector` row the first
time a round needs it, and read from there ever after (:class:`DatabaseStore`).

The terms are what people wrote as their interests. When nobody's interests contain
a term any more (people changed their profile, left or were erased), its vector goes
too: the retention clean-up (:func:`erase_expired`) looks once a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

import numpy as np

from kaffeeklatsch.matching import meaning
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.rounds.models import TermVector

T = TypeVar("T")

# Terms per query: well below SQLite's limit of variables in one statement.
CHUNK = 500
# Stored little-endian, whatever the machine: the database may move to another.
FLOAT32 = np.dtype("<f4")
# How often the clean-up looks for vectors nobody needs: reading every person's
# interests is cheap once a day, not on each of the worker's passes.
SWEEP_EVERY = dt.timedelta(days=1)


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DatabaseStore:
    """A :class:`kaffeeklatsch.matching.meaning.VectorStore` over the ``TermVector``
    table, for vectors of ``model`` (the engine's current one by default)."""

    def __init__(self, model: str = meaning.MODEL) -> None:
        self.model = model

    def get(self, terms: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these terms; a row of another length (written by a
        model of another size under the same name) counts as unknown."""
        found: dict[str, np.ndarray] = {}
        for chunk in _chunks(list(dict.fromkeys(terms))):
            rows = TermVector.objects.filter(model=self.model, term__in=chunk).values_list(
                "term", "vector"
            )
            for term, data in rows:
                vector = np.frombuffer(bytes(data), dtype=FLOAT32)
                if vector.shape == (meaning.DIMENSIONS,):
                    found[term] = vector.astype(np.float32)
        return found

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Keeps new vectors; a term another process stored meanwhile keeps its row."""
        TermVector.objects.bulk_create(
            (
                TermVector(
                    model=self.model,
                    term=term,
                    vector=np.asarray(vector, dtype=FLOAT32).tobytes(),
                )
                for term, vector in vectors.items()
            ),
            batch_size=CHUNK,
            ignore_conflicts=True,
        )


def forget(terms: Iterable[str]) -> int:
    """Erases the kept vectors of these terms (an erased person's interests): the
    vectors are a cache, so someone else who wrote the same term only has it
    computed again the next time a round needs it. Returns how many."""
    keys = sorted({meaning.normalise_term(t) for t in terms if isinstance(t, str)})
    return sum(TermVector.objects.filter(term__in=chunk).delete()[0] for chunk in _chunks(keys))


def terms_in_use() -> set[str]:
    """Every term someone's interests contain, in the form vectors are kept under."""
    used: set[str] = set()
    interests = Participant.objects.order_by().values_list("interests", flat=True)
    for terms in interests.iterator(chunk_size=2000):
        used.update(meaning.normalise_term(t) for t in terms or () if isinstance(t, str))
    return used


def erase_unused() -> int:
    """Erases the vectors of other models and of terms nobody's interests contain;
    returns how many."""
    erased, _by_model = TermVector.objects.exclude(model=meaning.MODEL).delete()
    used = terms_in_use()
    stale = [
        pk
        for pk, term in TermVector.objects.order_by().values_list("pk", "term").iterator(2000)
        if term not in used
    ]
    for chunk in _chunks(stale):
        erased += TermVector.objects.filter(pk__in=chunk).delete()[0]
    return erased


class Sweeps:
    """When this process last looked for unused vectors."""

    last: dt.datetime | None = None


def erase_expired(now: dt.datetime) -> int:
    """The retention clean-up: :func:`erase_unused`, at most once per
    :data:`SWEEP_EVERY` in a process (the worker's first pass looks at once)."""
    if Sweeps.last is not None and now - Sweeps.last < SWEEP_EVERY:
        return 0
    Sweeps.last = now
    return erase_unused()
