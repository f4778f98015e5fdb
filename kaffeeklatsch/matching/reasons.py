"""Why a group was formed, and why a person was left out, as :class:`.model.Reason`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from kaffeeklatsch.matching.features import (
    EITHER,
    IN_PERSON,
    LEFT_OUT_PRIORITY,
    ONLINE,
    Features,
    distance_km,
    pair_limit_km,
    rule_masks,
)
from kaffeeklatsch.matching.model import Mode, Person, Reason

_LEFT_OUT_ORDER = (
    ("language", "no_language"),
    ("mode", "no_mode"),
    ("distance", "too_far"),
    ("availability", "no_time"),
    ("history", "all_met"),
)


def group_mode(f: Features, members: Sequence[int]) -> Mode:
    """How a group meets: in person if anyone must or everybody lives near enough
    (see :func:`group_modes`)."""
    matrix = padded([members])
    return group_modes(f, matrix, group_distances(f, matrix))[0]


def padded(groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Groups as a (groups, largest size) index matrix, padded with -1."""
    width = max((len(g) for g in groups), default=2)
    out = np.full((len(groups), max(width, 2)), -1, dtype=np.int64)
    sizes = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        out[rows, :size] = np.array([groups[int(r)] for r in rows], dtype=np.int64).reshape(
            len(rows), size
        )
    return out


def group_modes(f: Features, matrix: np.ndarray, distances: np.ndarray) -> list[Mode]:
    """:func:`group_mode` of every row of a padded group matrix, given its distances."""
    member = matrix >= 0
    codes = f.mode[np.where(member, matrix, 0)]
    in_person = ((codes == IN_PERSON) & member).any(axis=1)
    online = ((codes == ONLINE) & member).any(axis=1)
    near = ~np.isnan(distances)
    for rows, a, b in member_pairs(matrix):
        near[rows] &= distance_km(f, a, b) <= pair_limit_km(f, a, b)
    code = np.where(
        in_person | (~online & near),
        0,
        np.where(online | ~np.isnan(distances), 1, 2),
    )
    table = (Mode.IN_PERSON, Mode.ONLINE, Mode.EITHER)
    return [table[c] for c in code.tolist()]


def member_pairs(matrix: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every two member columns of a padded group matrix: the rows where both hold a
    member, and those members."""
    for x in range(matrix.shape[1]):
        for y in range(x + 1, matrix.shape[1]):
            rows = np.flatnonzero((matrix[:, x] >= 0) & (matrix[:, y] >= 0))
            yield rows, matrix[rows, x], matrix[rows, y]


def group_distances(f: Features, matrix: np.ndarray) -> np.ndarray:
    """Each group's largest distance between two members in km (NaN if one is unknown)."""
    out = np.zeros(len(matrix))
    for rows, a, b in member_pairs(matrix):
        d = np.zeros(len(matrix))
        d[rows] = distance_km(f, a, b)
        out = np.where(np.isnan(out) | np.isnan(d), np.nan, np.maximum(out, d))
    return out


def shared_interest_terms(f: Features, matrix: np.ndarray) -> list[list[str]]:
    """For each group (row of a padded matrix), the interests every member shares,
    each in the shortest of the members' own words for it, at most four."""
    groups, width = matrix.shape
    member = matrix >= 0
    safe = np.where(member, matrix, 0)
    first = f.interests[safe[:, 0]]  # (groups, k) the first member's keys
    shared = first >= 0
    chosen = f.interest_terms[safe[:, 0]]
    lengths = np.array([len(t) for t in f.terms] + [1 << 30], dtype=np.int64)
    for m in range(1, width):
        keys = f.interests[safe[:, m]]
        equal = (first[:, :, None] == keys[:, None, :]) & (first[:, :, None] >= 0)
        has = equal.any(axis=2)
        active = member[:, m][:, None]
        shared &= has | ~active
        their = f.interest_terms[safe[:, m]]
        word = np.take_along_axis(their, equal.argmax(axis=2), axis=1)
        shorter = active & has & (lengths[word] < lengths[chosen])
        chosen = np.where(shorter, word, chosen)
    chosen = np.where(shared, chosen, -1)
    terms = f.terms
    return [[terms[t] for t in row if t >= 0][:4] for row in chosen.tolist()]


def meaning_terms(f: Features, matrix: np.ndarray) -> list[list[list[str]]]:
    """For each group (row of a padded matrix), the interests all members share by
    meaning but not by key, each as the members' own distinct words for it
    (``["Wandern", "Bergsteigen"]``), at most four.

    A meaning group counts once per group, and not at all when the members share one of
    its keys (that is an interest shared by key).
    """
    count = len(matrix)
    if f.meaning is None or f.key_group is None or count == 0:
        return [[] for _ in range(count)]
    width = matrix.shape[1]
    member = matrix >= 0
    safe = np.where(member, matrix, 0)
    key_group = f.key_group

    def groups_of(m: int) -> np.ndarray:
        keys = f.interests[safe[:, m]]
        out: np.ndarray = np.where(keys >= 0, key_group[np.maximum(keys, 0)], -1)
        return out

    first_keys = f.interests[safe[:, 0]]
    first = groups_of(0)  # (groups, k) the first member's meaning groups, per key slot
    shared = first >= 0
    exact = first_keys >= 0
    # Each member's slot holding the same meaning group as the first member's slot.
    slots = [np.broadcast_to(np.arange(first.shape[1]), first.shape)]
    for m in range(1, width):
        theirs = groups_of(m)
        same = (first[:, :, None] == theirs[:, None, :]) & (first[:, :, None] >= 0)
        has = same.any(axis=2)
        active = member[:, m][:, None]
        shared &= has | ~active
        keys = f.interests[safe[:, m]]
        exact &= ((first_keys[:, :, None] == keys[:, None, :]).any(axis=2)) | ~active
        slots.append(same.argmax(axis=2))
    # A meaning group in which the members share a key is an interest shared by key.
    by_key = np.where(shared & exact, first, -1)
    covered = (first[:, :, None] == by_key[:, None, :]).any(axis=2)
    only = shared & ~covered
    # Each meaning group once per group (its first slot), at most four.
    k = first.shape[1]
    earlier = np.tril(np.ones((k, k), dtype=bool), -1)  # [s, t]: t before s
    repeated = ((first[:, :, None] == first[:, None, :]) & earlier).any(axis=2)
    only &= ~repeated
    only &= np.cumsum(only, axis=1) <= 4
    found = np.flatnonzero(only.any(axis=1))
    out: list[list[list[str]]] = [[] for _ in range(count)]
    if len(found) == 0:
        return out
    # Each member's own word (index in terms, -1: none or said before) for each slot.
    words = np.stack(
        [
            np.where(
                member[found, m][:, None],
                np.take_along_axis(f.interest_terms[safe[found, m]], slots[m][found], axis=1),
                -1,
            )
            for m in range(width)
        ],
        axis=2,
    )
    for m in range(1, width):
        said = (words[:, :, :m] == words[:, :, m : m + 1]).any(axis=2)
        words[:, :, m] = np.where(said, -1, words[:, :, m])
    terms = f.terms
    for gi, row_only, row_words in zip(
        found.tolist(), only[found].tolist(), words.tolist(), strict=True
    ):
        items = [
            [terms[t] for t in row_words[s] if t >= 0] for s, take in enumerate(row_only) if take
        ]
        out[gi] = [item for item in items if len(item) >= 2]
    return out


def _first_common_language(f: Features, matrix: np.ndarray) -> np.ndarray:
    """Bit index of a language every member of the group speaks (-1: none)."""
    member = matrix >= 0
    safe = np.where(member, matrix, 0)
    common = f.lang[safe[:, 0]].copy()
    for m in range(1, matrix.shape[1]):
        common &= np.where(member[:, m, None], f.lang[safe[:, m]], ~np.uint64(0))
    out = np.full(len(matrix), -1, dtype=np.int64)
    for word in range(common.shape[1] - 1, -1, -1):
        x = common[:, word]
        lowest = x & (~x + np.uint64(1))
        has = x != 0
        out[has] = 64 * word + np.bitwise_count(lowest[has] - np.uint64(1)).astype(np.int64)
    return out


def _distinct_codes(codes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Each member's code where it is the first of its value in the group, else -1."""
    member = matrix >= 0
    values = np.where(member, codes[np.where(member, matrix, 0)], -1)
    first = values.copy()
    for m in range(1, values.shape[1]):
        seen = (values[:, :m] == values[:, m, None]).any(axis=1)
        first[seen, m] = -1
    return first


def all_group_reasons(
    f: Features,
    people: Sequence[Person],
    groups: Sequence[Sequence[int]],
    matrix: np.ndarray,
    distances: np.ndarray,
    modes: Sequence[Mode],
) -> list[tuple[Reason, ...]]:
    """The reasons of every group, given the padded matrix, distances and modes."""
    count = len(groups)
    sizes = (matrix >= 0).sum(axis=1).tolist()
    interests = shared_interest_terms(f, matrix)
    per_group: list[list[Reason]] = [[] for _ in range(count)]
    for gi in np.flatnonzero([bool(x) for x in interests]).tolist():
        per_group[gi].append(Reason("interests", {"interests": interests[gi], "size": sizes[gi]}))
    for gi, pairs in enumerate(meaning_terms(f, matrix)):
        if pairs:
            per_group[gi].append(Reason("interests_meaning", {"pairs": pairs, "size": sizes[gi]}))
    for field, code, codes in (
        ("department", "departments", f.dept),
        ("level", "levels", f.level),
        ("organisation", "organisations", f.org),
    ):
        names = f.names[field]
        first = _distinct_codes(codes, matrix)
        several = np.flatnonzero((first >= 0).sum(axis=1) >= 2)
        for gi, row in zip(several.tolist(), first[several].tolist(), strict=True):
            per_group[gi].append(Reason(code, {code: [names[c] for c in row if c >= 0]}))
    language = _first_common_language(f, matrix)
    spoken = np.flatnonzero(language >= 0)
    for gi, bit in zip(spoken.tolist(), language[spoken].tolist(), strict=True):
        per_group[gi].append(Reason("language", {"language": f.languages[bit], "size": sizes[gi]}))
    km = np.where(np.isnan(distances), -1, np.maximum(1, np.round(distances))).astype(np.int64)
    for gi, (mode, d) in enumerate(zip(modes, km.tolist(), strict=True)):
        if mode == Mode.IN_PERSON:
            per_group[gi].append(Reason("in_person", {"km": None if d < 0 else d}))
        elif mode == Mode.ONLINE:
            per_group[gi].append(Reason("online"))
    member = matrix >= 0
    newcomer = f.new[np.where(member, matrix, 0)] & member
    mixed = np.flatnonzero(newcomer.any(axis=1) & (newcomer.sum(axis=1) < member.sum(axis=1)))
    for gi in mixed.tolist():
        p = people[int(matrix[gi, int(np.argmax(newcomer[gi]))])]
        per_group[gi].append(Reason("new_joiner", {"name": p.name or p.id}))
    flagged = f.priority[np.where(member, matrix, 0)] >= LEFT_OUT_PRIORITY
    for gi, m in zip(*np.nonzero(flagged & member), strict=True):
        p = people[int(matrix[gi, m])]
        per_group[int(gi)].append(Reason("priority", {"name": p.name or p.id}))
    return [tuple(reasons) for reasons in per_group]


def group_reasons(
    f: Features,
    people: Sequence[Person],
    members: Sequence[int],
) -> tuple[Reason, ...]:
    """The reasons of one group (see :func:`all_group_reasons`)."""
    matrix = padded([members])
    distances = group_distances(f, matrix)
    modes = group_modes(f, matrix, distances)
    return all_group_reasons(f, people, [members], matrix, distances, modes)[0]


def left_out_reason(f: Features, i: int) -> Reason:
    """The first hard rule, in a fixed order, that leaves nobody for this person."""
    if f.n <= 1:
        return Reason("alone")
    others = np.delete(np.arange(f.n), i)
    masks = rule_masks(f, np.full(len(others), i), others)
    alive = np.ones(len(others), dtype=bool)
    for rule, code in _LEFT_OUT_ORDER:
        alive &= masks[rule]
        if not alive.any():
            params = {"km": round(float(f.limit_km[i]))} if code == "too_far" else {}
            return Reason(code, params)
    return Reason("no_partner_left")


__all__ = [
    "all_group_reasons",
    "group_distances",
    "group_mode",
    "group_modes",
    "group_reasons",
    "member_pairs",
    "meaning_terms",
    "left_out_reason",
    "padded",
    "EITHER",
]
