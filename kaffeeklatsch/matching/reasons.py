"""Why a group was formed, and why a person was left out, as :class:`.model.Reason`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from kaffeeklatsch.matching.features import (
    EITHER,
    IN_PERSON,
    LEFT_OUT_PRIORITY,
    ONLINE,
    Features,
    distance_km,
    rule_masks,
)
from kaffeeklatsch.matching.interests import interest_keys
from kaffeeklatsch.matching.model import Mode, Person, Reason

_LEFT_OUT_ORDER = (
    ("language", "no_language"),
    ("mode", "no_mode"),
    ("distance", "too_far"),
    ("availability", "no_time"),
    ("history", "all_met"),
)


def group_mode(f: Features, members: Sequence[int], km: float | None = None) -> Mode:
    """How a group meets: in person if anyone must or everybody lives near enough.

    ``km`` is the group's largest distance if already known (NaN: a location is
    unknown); otherwise it is computed.
    """
    modes = set(int(m) for m in f.mode[list(members)])
    if IN_PERSON in modes:
        return Mode.IN_PERSON
    if ONLINE in modes:
        return Mode.ONLINE
    km = _known_distance(f, members, km)
    if km is not None and km <= f.rules.max_distance_km:
        return Mode.IN_PERSON
    return Mode.EITHER if km is None else Mode.ONLINE


def padded(groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Groups as a (groups, largest size) index matrix, padded with -1."""
    width = max((len(g) for g in groups), default=2)
    out = np.full((len(groups), max(width, 2)), -1, dtype=np.int64)
    sizes = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        out[rows, :size] = np.array([groups[r] for r in rows], dtype=np.int64).reshape(
            len(rows), size
        )
    return out


def group_distances(f: Features, matrix: np.ndarray) -> np.ndarray:
    """Each group's largest distance between two members in km (NaN if one is unknown)."""
    out = np.zeros(len(matrix))
    for x in range(matrix.shape[1]):
        for y in range(x + 1, matrix.shape[1]):
            both = (matrix[:, x] >= 0) & (matrix[:, y] >= 0)
            d = np.zeros(len(matrix))
            d[both] = distance_km(f, matrix[both, x], matrix[both, y])
            out = np.where(np.isnan(out) | np.isnan(d), np.nan, np.maximum(out, d))
    return out


def _known_distance(f: Features, members: Sequence[int], km: float | None) -> float | None:
    if km is None:
        return _max_distance(f, members)
    return None if math.isnan(km) else float(km)


def _max_distance(f: Features, members: Sequence[int]) -> float | None:
    idx = np.asarray(members)
    x, y = np.triu_indices(len(idx), k=1)
    d = distance_km(f, idx[x], idx[y])
    if np.isnan(d).any():
        return None
    return float(d.max())


def _distinct(values: Sequence[str]) -> list[str]:
    seen: dict[str, str] = {}
    for v in values:
        key = v.strip().casefold()
        if key and key not in seen:
            seen[key] = v.strip()
    return list(seen.values())


def _shared_interests(people: Sequence[Person]) -> list[str]:
    per_person: list[dict[str, str]] = []
    for p in people:
        labels: dict[str, str] = {}
        for term in p.interests:
            keys = interest_keys(term)
            if not keys:
                continue
            general = keys[-1]
            # Prefer a person's word that *is* the shared general term.
            if general not in labels or keys[0] == general:
                labels[general] = term.strip()
        per_person.append(labels)
    common = set(per_person[0])
    for labels in per_person[1:]:
        common &= set(labels)
    out = []
    for key in per_person[0]:
        if key in common:
            exact = [lab for labels in per_person if (lab := labels[key])]
            out.append(min(exact, key=len))
    return out


def group_reasons(
    f: Features,
    people: Sequence[Person],
    members: Sequence[int],
    km: float | None = None,
) -> tuple[Reason, ...]:
    """The reasons of one group; ``km`` is its largest distance if already known."""
    group = [people[i] for i in members]
    size = len(group)
    reasons: list[Reason] = []
    interests = _shared_interests(group)
    if interests:
        reasons.append(Reason("interests", {"interests": interests[:4], "size": size}))
    for field, code in (
        ("department", "departments"),
        ("level", "levels"),
        ("organisation", "organisations"),
    ):
        names = _distinct([getattr(p, field) for p in group])
        if len(names) >= 2:
            key = "departments" if code == "departments" else code
            reasons.append(Reason(code, {key: names}))
    common = [code for code in group[0].languages if all(code in p.languages for p in group[1:])]
    if common:
        reasons.append(Reason("language", {"language": common[0], "size": size}))
    km = _known_distance(f, members, km)
    mode = group_mode(f, members, float("nan") if km is None else km)
    if mode == Mode.IN_PERSON:
        reasons.append(Reason("in_person", {"km": None if km is None else max(1, round(km))}))
    elif mode == Mode.ONLINE:
        reasons.append(Reason("online"))
    newcomers = [p for p in group if p.new_joiner]
    if newcomers and len(newcomers) < size:
        reasons.append(Reason("new_joiner", {"name": newcomers[0].name or newcomers[0].id}))
    for i in members:
        if f.priority[i] >= LEFT_OUT_PRIORITY:
            p = people[i]
            reasons.append(Reason("priority", {"name": p.name or p.id}))
    return tuple(reasons)


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
            params = {"km": round(f.rules.max_distance_km)} if code == "too_far" else {}
            return Reason(code, params)
    return Reason("no_partner_left")


__all__ = [
    "group_distances",
    "group_mode",
    "group_reasons",
    "left_out_reason",
    "padded",
    "EITHER",
]
