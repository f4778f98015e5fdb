"""People turned into arrays, and the hard rules and scores of pairs, vectorised.

Every rule and every score is computed here and only here, for any arrays of pairs
``(a, b)`` of person indices, so candidate generation, the solver, the upper bound,
the benchmark's exact peers and the explanations all see the same numbers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kaffeeklatsch.matching.interests import interest_keys
from kaffeeklatsch.matching.meaning import (
    MemoryStore,
    VectorStore,
    meaning_groups,
    term_vectors,
)
from kaffeeklatsch.matching.model import Mode, PastGroup, Person, Rules

IN_PERSON, ONLINE, EITHER = 0, 1, 2
_MODE_CODE = {Mode.IN_PERSON: IN_PERSON, Mode.ONLINE: ONLINE, Mode.EITHER: EITHER}

INTEREST_CAP = 3  # shared interests beyond three add nothing more to a pair's score
MAX_INTERESTS = 8  # interests per person that are compared (the first ones given)
BITMASK_VOCABULARY = 512  # up to this many distinct interests they are compared as bits
NEW_JOINER_BONUS = 0.5  # a newcomer meets someone who knows the place
LEFT_OUT_PRIORITY = 1.0  # fairness: added to every pair of a person left out last round
POORLY_MATCHED_PRIORITY = 0.5  # ... and, scaled, of a person matched below par
EARTH_RADIUS_KM = 6371.0088


@dataclass
class Features:
    """The people of one round as arrays (index ``i`` is ``people[i]``)."""

    n: int
    ids: list[str]
    dept: np.ndarray  # int32 category codes, -1 unknown
    level: np.ndarray
    org: np.ndarray
    lang: np.ndarray  # (n, words) uint64 bitmask of spoken languages; all zero = not given
    languages: list[str]  # language code of each bit
    mode: np.ndarray  # int8
    lat: np.ndarray  # radians, NaN unknown
    lon: np.ndarray
    avail: np.ndarray  # (n, 3) uint64 bitmask over the 168 hours of a week; all set = any time
    interests: np.ndarray  # (n, k) int32 interest key ids, sorted, -1 padded
    interest_vocab: list[str]
    interest_terms: np.ndarray  # (n, k) int32: the person's own word for each key (in terms)
    interest_bits: np.ndarray | None  # (n, words) uint64 bitmask of the keys, if few enough
    xyz: np.ndarray  # (n, 3) unit vectors of the locations (NaN unknown)
    limit_km: np.ndarray  # float64: how far each person meets in person (own and round's limit)
    terms: list[str]
    priority: np.ndarray  # float64 fairness bonus
    new: np.ndarray  # bool
    forbidden: np.ndarray  # sorted int64 keys a * n + b (a < b): blocked or met recently
    rules: Rules
    names: dict[str, list[str]]  # "department", "level", "organisation": code -> name
    restricted_hours: bool  # whether anybody gave their availability
    # Interests by meaning (None when the rules turn it off): the meaning group of each
    # interest key, and per person their distinct groups (sorted, -1 padded).
    key_group: np.ndarray | None = None  # (len(interest_vocab),) int32
    meaning: np.ndarray | None = None  # (n, k) int16 (int32 for many groups)
    meaning_vocab: int = 0  # number of meaning groups
    # Each person's keys and meaning groups side by side, to compare both in one pass:
    # see :func:`_slot_rows`; the left rows for the first person of a pair, the right
    # rows for the second.
    slots_left: np.ndarray | None = None  # (n, 2k) int16 (int32 for many keys or groups)
    slots_right: np.ndarray | None = None
    cache: dict[str, np.ndarray] = field(default_factory=dict)  # derived arrays, per round

    def pair_keys(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        lo = np.minimum(a, b).astype(np.int64)
        hi = np.maximum(a, b).astype(np.int64)
        keys: np.ndarray = lo * self.n + hi
        return keys


def interest_subsets(
    interests: np.ndarray, size: int, vocabulary: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Every person's subsets of ``size`` interest keys: one integer key per subset
    (equal subsets, equal keys; the rows hold sorted keys) and the row it belongs
    to; None if nobody has that many interests."""
    has = interests >= 0
    keys_parts, who_parts = [], []
    for combo in itertools.combinations(range(interests.shape[1]), size):
        rows = has[:, list(combo)].all(axis=1)
        if not rows.any():
            continue
        key = np.zeros(int(rows.sum()), dtype=np.int64)
        for col in combo:
            key = key * vocabulary + interests[rows, col]
        keys_parts.append(key)
        who_parts.append(np.flatnonzero(rows))
    if not keys_parts:
        return None
    return np.concatenate(keys_parts), np.concatenate(who_parts)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (by sorting: much faster than hashing for large arrays)."""
    out = np.sort(np.asarray(values).ravel())
    if len(out) < 2:
        return out
    return out[np.r_[True, out[1:] != out[:-1]]]


def value_counts(values: np.ndarray) -> np.ndarray:
    """For each element, how often its value occurs in ``values``."""
    values = np.asarray(values).ravel()
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(values)
    ranked = values[order]
    start = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    length = np.diff(np.r_[start, len(ranked)])
    out = np.empty(len(values), dtype=np.int64)
    out[order] = np.repeat(length, length)
    return out


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Category codes (equal up to case and spaces: equal code) and each code's name."""
    table: dict[str, int] = {}
    names: list[str] = []
    raw: dict[str, int] = {}  # the same text is usually repeated verbatim
    out = np.empty(len(values), dtype=np.int32)
    for i, value in enumerate(values):
        code = raw.get(value)
        if code is None:
            key = value.strip().casefold()
            if not key:
                code = -1
            elif key in table:
                code = table[key]
            else:
                code = table[key] = len(names)
                names.append(value.strip())
            raw[value] = code
        out[i] = code
    return out, names


_ALL_HOURS = (1 << 192) - 1
_WORD = (1 << 64) - 1


def _hours_mask(person: Person) -> int:
    """The weekly hours a person is available, as a 192-bit integer (all set: any time)."""
    if not person.availability:
        return _ALL_HOURS
    bits = 0
    for slot in person.availability:
        first = slot.weekday * 24 + slot.start // 60
        last = max(first + 1, slot.weekday * 24 + math.ceil(slot.end / 60))
        bits |= ((1 << (last - first)) - 1) << first
    return bits & _ALL_HOURS


def _words(masks: list[int], words: int) -> np.ndarray:
    """Python integers split into ``words`` little-endian uint64 columns."""
    out = np.empty((len(masks), words), dtype=np.uint64)
    for w in range(words):
        out[:, w] = np.fromiter(
            ((m >> (64 * w)) & _WORD for m in masks), dtype=np.uint64, count=len(masks)
        )
    return out


def encode(
    people: Sequence[Person],
    history: Sequence[PastGroup],
    rules: Rules,
    round_number: int,
    vectors: VectorStore | None = None,
) -> Features:
    """Encode people, their blocks and the recent history of a round.

    Interests are compared by meaning too unless ``rules.weight_meaning`` is 0: the
    distinct interest keys are embedded (through the cache ``vectors``) and grouped
    (:func:`.meaning.meaning_groups`), and each person gets the ids of their groups.

    Complexity: O(n + size of history), with Python work per person only for the
    fields that are text (codes, languages, interests), plus O(keys^2) for the
    meaning groups of the round's distinct interest keys.
    """
    n = len(people)
    ids = [p.id for p in people]
    index = {pid: i for i, pid in enumerate(ids)}
    lang, languages = _languages(people)
    interests = _interests(people)
    lat, lon = _coordinates(people)
    avail = _words([_hours_mask(p) for p in people], 3)
    priority, met = _history(history, index, n, rules, round_number)
    dept, dept_names = _codes([p.department for p in people])
    level, level_names = _codes([p.level for p in people])
    org, org_names = _codes([p.organisation for p in people])
    key_group = meaning = slots_left = slots_right = None
    meaning_vocab = 0
    if rules.weight_meaning > 0 and interests.vocabulary:
        key_group = _key_groups(interests, vectors)
        meaning_vocab = int(key_group.max()) + 1
        slot_groups = np.where(interests.keys >= 0, key_group[np.maximum(interests.keys, 0)], -1)
        meaning = _distinct_rows(slot_groups)
        if meaning_vocab < np.iinfo(np.int16).max:  # half the memory in a large round
            meaning = meaning.astype(np.int16)
        slots_left, slots_right = _slot_rows(interests.keys, slot_groups)
    return Features(
        n=n,
        ids=ids,
        dept=dept,
        level=level,
        org=org,
        lang=lang,
        languages=languages,
        mode=np.fromiter((_MODE_CODE[p.mode] for p in people), dtype=np.int8, count=n),
        lat=lat,
        lon=lon,
        avail=avail,
        interests=interests.keys,
        interest_bits=_interest_bits(interests.keys, len(interests.vocabulary)),
        xyz=np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1),
        limit_km=_limits(people, rules),
        interest_terms=interests.terms,
        terms=interests.words,
        interest_vocab=interests.vocabulary,
        priority=priority,
        new=np.fromiter((bool(p.new_joiner) for p in people), dtype=bool, count=n),
        forbidden=sorted_unique(np.array(_blocked_pairs(people, index) + met, dtype=np.int64)),
        rules=rules,
        names={"department": dept_names, "level": level_names, "organisation": org_names},
        restricted_hours=bool((avail != np.uint64(0xFFFFFFFFFFFFFFFF)).any()),
        key_group=key_group,
        meaning=meaning,
        meaning_vocab=meaning_vocab,
        slots_left=slots_left,
        slots_right=slots_right,
    )


def _key_groups(interests: _Interests, vectors: VectorStore | None) -> np.ndarray:
    """The meaning group of each interest key: each key is embedded by the word of
    the first person who wrote it as the key itself (else the first word), and keys are
    grouped with the most common first."""
    words = [interests.words[i] for i in interests.representative]
    keys = interests.keys
    common = np.bincount(keys[keys >= 0], minlength=len(words))
    store = vectors if vectors is not None else MemoryStore()
    groups: np.ndarray = meaning_groups(
        term_vectors(words, store), common, terms=words, store=store
    )
    return groups


def _slot_rows(keys: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each person's interest keys followed by the meaning group of each key slot
    (only in the first slot of its group, so that a group counts once), as one row:
    a pair's two rows are fetched from memory at once, and the slots compared without
    masks, since the empty slots differ between the two sides (-1 left, -2 right)."""
    first = groups >= 0
    for s in range(1, groups.shape[1]):
        first[:, s] &= ~(groups[:, :s] == groups[:, s : s + 1]).any(axis=1)
    rows = np.concatenate([keys, np.where(first, groups, -1)], axis=1)
    small = int(rows.max(initial=0)) < np.iinfo(np.int16).max  # half the memory
    left: np.ndarray = rows.astype(np.int16 if small else np.int32)
    right: np.ndarray = np.where(left >= 0, left, -2).astype(left.dtype)
    return left, right


def _distinct_rows(values: np.ndarray) -> np.ndarray:
    """Each row's distinct non-negative values, sorted, then -1 padded."""
    ranked = np.sort(values, axis=1)
    repeated = np.zeros(ranked.shape, dtype=bool)
    repeated[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
    ranked[repeated | (ranked < 0)] = np.iinfo(np.int32).max
    ranked.sort(axis=1)
    ranked[ranked == np.iinfo(np.int32).max] = -1
    return ranked.astype(np.int32)


def _languages(people: Sequence[Person]) -> tuple[np.ndarray, list[str]]:
    """Each person's languages as a bitmask over the languages of the round, and the
    language code of each bit."""
    codes: dict[str, int] = {}
    masks: list[int] = []
    for p in people:
        mask = 0
        for code in p.languages:
            bit = codes.get(code)
            if bit is None:
                bit = codes[code] = len(codes)
            mask |= 1 << bit
        masks.append(mask)
    words = max(1, math.ceil(len(codes) / 64))
    return _words(masks, words), list(codes)


@dataclass
class _Interests:
    """The interests of a round: per person the sorted ids of their general keys and
    the index of their own word for each, the keys and the words."""

    keys: np.ndarray  # (n, k) int32 key ids, sorted, -1 padded
    terms: np.ndarray  # (n, k) int32 index in words of the person's word for each key
    vocabulary: list[str]
    words: list[str]
    representative: list[int]  # per key: index in words of the word that stands for it


class _Vocabulary:
    """Interest words as people write them, each looked up once per round."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.index: dict[str, int] = {}  # a person's word -> index in words
        self.words: list[str] = []
        self.representative: list[int] = []  # per key id: its word (the general one first)
        self.general: list[bool] = []  # per key id: whether its word is the general one
        # word as written -> (key id or -1, its index, whether it *is* the general key)
        self.known: dict[str, tuple[int, int, bool]] = {}

    def term(self, term: str) -> tuple[int, int, bool]:
        known = self.known.get(term)
        if known is None:
            # The most general key of a term (a compound's head, a synonym's canonical
            # form) is what two people must share.
            term_keys = interest_keys(term)
            word = term.strip()
            index = self.index.setdefault(word, len(self.words))
            if index == len(self.words):
                self.words.append(word)
            if term_keys:
                key_id = self.keys.setdefault(term_keys[-1], len(self.keys))
                general = term_keys[0] == term_keys[-1]
                if key_id == len(self.representative):
                    self.representative.append(index)
                    self.general.append(general)
                elif general and not self.general[key_id]:
                    self.representative[key_id] = index
                    self.general[key_id] = True
                known = (key_id, index, general)
            else:
                known = (-1, index, False)
            self.known[term] = known
        return known

    def person(self, interests: Sequence[str]) -> dict[int, int]:
        """A person's key ids and the index of their word for each."""
        own: dict[int, int] = {}
        for term in interests[:MAX_INTERESTS]:
            key_id, index, general = self.term(term)
            # Prefer the person's word that *is* the shared general term.
            if key_id >= 0 and (key_id not in own or general):
                own[key_id] = index
        return own


def _interests(people: Sequence[Person]) -> _Interests:
    """The people's interests as padded arrays of key ids and of their own words."""
    vocabulary = _Vocabulary()
    key_rows: list[list[int]] = []
    term_rows: list[list[int]] = []
    for p in people:
        own = vocabulary.person(p.interests)
        keys = sorted(own)
        key_rows.append(keys)
        term_rows.append([own[k] for k in keys])
    widest = min(max(1, max((len(r) for r in key_rows), default=1)), MAX_INTERESTS)
    return _Interests(
        keys=_padded(key_rows, widest),
        terms=_padded(term_rows, widest),
        vocabulary=list(vocabulary.keys),
        words=vocabulary.words,
        representative=vocabulary.representative,
    )


def _padded(rows: list[list[int]], width: int) -> np.ndarray:
    """Rows of different lengths as an int32 matrix of ``width`` columns, -1 padded
    (longer rows cut)."""
    out = np.full((len(rows), width), -1, dtype=np.int32)
    counts = np.fromiter((min(len(r), width) for r in rows), dtype=np.int64, count=len(rows))
    total = int(counts.sum())
    flat = np.fromiter((v for r in rows for v in r[:width]), dtype=np.int32, count=total)
    where = np.repeat(np.arange(len(rows)), counts)
    cols = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    out[where, cols] = flat
    return out


def _interest_bits(keys: np.ndarray, vocabulary: int) -> np.ndarray | None:
    """The interest keys as a bitmask per person, where the round has few enough."""
    if vocabulary > BITMASK_VOCABULARY:
        return None
    width = max(1, math.ceil(vocabulary / 64))
    bits = np.zeros((len(keys), width), dtype=np.uint64)
    for col in range(keys.shape[1]):
        key = keys[:, col]
        has = np.flatnonzero(key >= 0)
        word = key[has] // 64
        bit = np.left_shift(np.uint64(1), (key[has] % 64).astype(np.uint64))
        np.bitwise_or.at(bits, (has, word), bit)
    return bits


def _coordinates(people: Sequence[Person]) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes in radians, NaN where unknown."""
    n = len(people)
    lat = np.fromiter(
        (math.radians(p.location.lat) if p.location is not None else math.nan for p in people),
        dtype=np.float64,
        count=n,
    )
    lon = np.fromiter(
        (math.radians(p.location.lon) if p.location is not None else math.nan for p in people),
        dtype=np.float64,
        count=n,
    )
    return lat, lon


def _limits(people: Sequence[Person], rules: Rules) -> np.ndarray:
    """Each person's farthest distance to meet in person: their own where they gave
    one, never beyond the round's."""
    own = np.fromiter(
        (math.inf if p.max_distance_km is None else p.max_distance_km for p in people),
        dtype=np.float64,
        count=len(people),
    )
    limits: np.ndarray = np.minimum(own, rules.max_distance_km)
    return limits


def _blocked_pairs(people: Sequence[Person], index: dict[str, int]) -> list[int]:
    """Pair keys (see :meth:`Features.pair_keys`) of the people who blocked each other."""
    n = len(people)
    forbidden: list[int] = []
    for i, p in enumerate(people):
        for other in p.blocked:
            j = index.get(other)
            if j is not None and j != i:
                forbidden.append(min(i, j) * n + max(i, j))
    return forbidden


def _history(
    history: Sequence[PastGroup], index: dict[str, int], n: int, rules: Rules, round_number: int
) -> tuple[np.ndarray, list[int]]:
    """The fairness bonus of each of the ``n`` people from the last round (left out,
    or matched below par), and the pair keys of those who met within the repeat window."""
    priority = np.zeros(n)
    last_round = max((g.round for g in history if g.round < round_number), default=None)
    last_scores: list[tuple[int, float]] = []
    met: list[int] = []
    for g in history:
        if g.round >= round_number:
            continue
        if g.round == last_round:
            _last_round(g, index, priority, last_scores)
        if round_number - g.round > rules.repeat_window or g.left_out:
            continue
        members = [index[m] for m in g.members if m in index]
        for a, b in itertools.combinations(members, 2):
            if a != b:
                met.append(min(a, b) * n + max(a, b))
    _poorly_matched(priority, last_scores)
    return priority, met


def _last_round(
    group: PastGroup,
    index: dict[str, int],
    priority: np.ndarray,
    last_scores: list[tuple[int, float]],
) -> None:
    """Who of a group of the last round was left out (first this round), and the
    score of everybody else's group."""
    for pid in group.members:
        j = index.get(pid)
        if j is None:
            continue
        if group.left_out:
            priority[j] = LEFT_OUT_PRIORITY
        elif group.score is not None:
            last_scores.append((j, group.score))


def _poorly_matched(priority: np.ndarray, last_scores: list[tuple[int, float]]) -> None:
    """A bonus for people whose group scored below the last round's median, scaled by
    how far below."""
    if not last_scores:
        return
    js = np.array([j for j, _ in last_scores])
    scores = np.array([s for _, s in last_scores])
    median = float(np.median(scores))
    if median > 0:
        below = np.clip((median - scores) / median, 0.0, 1.0)
        np.maximum.at(priority, js, POORLY_MATCHED_PRIORITY * below)


def distance_km(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance of pairs in km; NaN where a location is unknown."""
    dlat = f.lat[b] - f.lat[a]
    dlon = f.lon[b] - f.lon[a]
    h = np.sin(dlat / 2) ** 2 + np.cos(f.lat[a]) * np.cos(f.lat[b]) * np.sin(dlon / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return km


def pair_limit_km(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The farthest each pair may live apart to meet in person: the round's maximum
    distance and each one's own limit, whichever is smallest."""
    limit: np.ndarray = np.minimum(f.limit_km[a], f.limit_km[b])
    return limit


def within_distance(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where the pair is at most its distance limit apart (see
    :func:`pair_limit_km`) or a location is unknown.

    Compared by the chord between the unit vectors (no trigonometry per pair); pairs
    within a hair of the limit are decided by the great-circle distance itself.
    """
    chords = f.cache.get("chord_limit")
    if chords is None:  # each person's limit as a squared chord, once per round
        angle = np.minimum(f.limit_km / EARTH_RADIUS_KM, math.pi)
        chords = f.cache["chord_limit"] = (2 * np.sin(angle / 2)) ** 2
    chord_limit = np.minimum(chords[a], chords[b])
    d = f.xyz[a] - f.xyz[b]
    chord = np.einsum("ij,ij->i", d, d)
    out: np.ndarray = ~(chord > chord_limit)  # NaN (unknown location) counts as near
    close = np.flatnonzero(np.abs(chord - chord_limit) <= 1e-9 * np.maximum(chord_limit, 1e-12))
    if len(close):
        limit = pair_limit_km(f, a[close], b[close])
        out[close] = distance_km(f, a[close], b[close]) <= limit
    return out


def rule_masks(f: Features, a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Each hard rule separately: True where the pair keeps it.

    ``language``: at least one shared language (a person who gave none is not
    restricted). ``mode``: never in person only with online only. ``distance``: a
    pair that must meet in person is at most ``max_distance_km`` apart, and within
    each one's own limit where given (checked where both locations are known).
    ``availability``: weekly hours overlap. ``history``: not blocked by either side
    and not met within the repeat window.
    """
    la, lb = f.lang[a], f.lang[b]
    shared = (la & lb).any(axis=1)
    language = shared | ~la.any(axis=1) | ~lb.any(axis=1)
    ma, mb = f.mode[a], f.mode[b]
    mode = ~(((ma == IN_PERSON) & (mb == ONLINE)) | ((ma == ONLINE) & (mb == IN_PERSON)))
    must_meet = (ma == IN_PERSON) | (mb == IN_PERSON)
    distance = ~must_meet
    check = np.flatnonzero(must_meet)
    distance[check] = within_distance(f, a[check], b[check])
    availability = (f.avail[a] & f.avail[b]).any(axis=1)
    history = a != b
    if f.forbidden.size:
        keys = f.pair_keys(a, b)
        pos = np.searchsorted(f.forbidden, keys)
        pos[pos == f.forbidden.size] = 0
        history &= f.forbidden[pos] != keys
    return {
        "language": language,
        "mode": mode,
        "distance": distance,
        "availability": availability,
        "history": history,
    }


def valid(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where the pair keeps every hard rule (the rules of :func:`rule_masks`).

    The cheap rules are checked first on every pair and the others only on the
    pairs still standing.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    ma, mb = f.mode[a], f.mode[b]
    out: np.ndarray = ~(((ma == IN_PERSON) & (mb == ONLINE)) | ((ma == ONLINE) & (mb == IN_PERSON)))
    out &= a != b
    if f.lang.shape[1] == 1:
        la, lb = f.lang[a, 0], f.lang[b, 0]
        out &= ((la & lb) != 0) | (la == 0) | (lb == 0)
    else:
        la, lb = f.lang[a], f.lang[b]
        out &= (la & lb).any(axis=1) | ~la.any(axis=1) | ~lb.any(axis=1)
    alive = np.flatnonzero(out)
    x, y = a[alive], b[alive]
    must_meet = (ma[alive] == IN_PERSON) | (mb[alive] == IN_PERSON)
    near = np.ones(len(alive), dtype=bool)
    check = np.flatnonzero(must_meet)
    near[check] = within_distance(f, x[check], y[check])
    if f.restricted_hours:
        near &= (f.avail[x] & f.avail[y]).any(axis=1)
    if f.forbidden.size:
        keys = f.pair_keys(x, y)
        pos = np.searchsorted(f.forbidden, keys)
        pos[pos == f.forbidden.size] = 0
        near &= f.forbidden[pos] != keys
    out[alive] = near
    return out


def _shared(keys: np.ndarray, bits: np.ndarray | None, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of values two people's rows of ``keys`` (distinct per row) have in common."""
    if bits is not None:
        both = bits[a] & bits[b]
        shared: np.ndarray = np.bitwise_count(both).sum(axis=1, dtype=np.int32)
        return shared
    ia, ib = keys[a], keys[b]
    count = np.zeros(len(a), dtype=np.int32)
    for s in range(ia.shape[1]):
        col = ia[:, s : s + 1]
        count += ((ib == col) & (col >= 0)).any(axis=1)
    return count


def shared_interests(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of interest keys the two people of each pair share."""
    return _shared(f.interests, f.interest_bits, a, b)


def shared_meanings(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Number of meaning groups the two people of each pair share (0 without meaning)."""
    if f.slots_left is None:
        return np.zeros(len(a), dtype=np.int32)
    return shared_keys_and_meanings(f, a, b)[1].astype(np.int32)


def shared_keys_and_meanings(
    f: Features, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Number of interest keys and of meaning groups the two people of each pair share,
    counted together in one pass over one row per person (see :func:`_slot_rows`):
    every slot of the first person against every slot of the second, where no value
    repeats within a row. Only for a round with meaning."""
    assert f.slots_left is not None and f.slots_right is not None
    width = f.interests.shape[1]
    left, right = f.slots_left[a], f.slots_right[b]
    keys = np.zeros(len(left), dtype=np.int8)  # at most MAX_INTERESTS each
    meanings = np.zeros(len(left), dtype=np.int8)
    for s in range(width):
        key = np.ascontiguousarray(left[:, s])
        group = np.ascontiguousarray(left[:, width + s])
        for t in range(width):
            keys += key == right[:, t]
            meanings += group == right[:, width + t]
    return keys, meanings


def interest_count(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The interests a pair shares, as they count in the score: each shared key counts
    1, and each further shared meaning group (beyond as many as the shared keys)
    ``rules.weight_meaning``. Never more than the larger of the two counts, since the
    weight is at most 1 (the upper bound relies on that)."""
    if f.slots_left is None:
        return shared_interests(f, a, b)
    keys, meanings = shared_keys_and_meanings(f, a, b)
    # Groups shared beyond the shared keys (two shared keys may lie in one group).
    further = np.maximum(meanings - keys, 0)
    count: np.ndarray = keys + f.rules.weight_meaning * further
    return count


def base_score(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """What a pair has to give each other, before fairness; at least 1 for any pair."""
    r = f.rules
    share = np.minimum(interest_count(f, a, b), INTEREST_CAP) / INTEREST_CAP
    score: np.ndarray = 1.0 + r.weight_interests * share
    score += r.weight_department * _differ(f.dept, a, b)
    score += r.weight_level * _differ(f.level, a, b)
    score += r.weight_organisation * _differ(f.org, a, b)
    score += NEW_JOINER_BONUS * (f.new[a] ^ f.new[b])
    return score


def score(f: Features, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The pair score the engine maximises: base score plus both people's priority."""
    total: np.ndarray = base_score(f, a, b) + f.priority[a] + f.priority[b]
    return total


def _differ(codes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ca, cb = codes[a], codes[b]
    differ: np.ndarray = (ca != cb) & (ca >= 0) & (cb >= 0)
    return differ
