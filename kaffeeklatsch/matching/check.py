"""Groups formed or changed by hand, checked, scored and explained as the engine's own.

An organiser who moves a person into another group, or publishes a preview days after
it was formed, needs to know whether every pair of the groups still keeps every hard
rule (someone blocked a partner, a round published meanwhile brought two together)
and what the changed groups score and why. :func:`check_groups` answers with the
engine's own rules (:func:`.features.rule_masks`), scores and reasons, on one
encoding of all the groups' members.

Complexity: O(n + size of history) to encode the n people, then one vectorised pass
per group size over the pairs inside the groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kaffeeklatsch.matching.engine import describe_groups, validate
from kaffeeklatsch.matching.features import encode, rule_masks
from kaffeeklatsch.matching.meaning import VectorStore
from kaffeeklatsch.matching.model import Group, PastGroup, Person, Rules

__all__ = ["BrokenRule", "GroupCheck", "check_groups"]


@dataclass(frozen=True)
class BrokenRule:
    """Two members of a group who must not meet: ``rule`` is the hard rule they break
    (``language``, ``mode``, ``distance``, ``availability`` or ``history``, see
    :func:`.features.rule_masks`), ``group`` the index of their group in the groups
    checked, ``a`` and ``b`` their ids in the group's order."""

    group: int
    rule: str
    a: str
    b: str


@dataclass(frozen=True)
class GroupCheck:
    """What :func:`check_groups` found: every broken rule of every pair, in the order
    of the groups and of the rules, and (when asked to explain) each group scored with
    how it meets and why, as the engine would have formed it."""

    broken: tuple[BrokenRule, ...]
    groups: tuple[Group, ...] = ()


def check_groups(
    people: Sequence[Person],
    groups: Sequence[Sequence[str]],
    history: Sequence[PastGroup] = (),
    rules: Rules | None = None,
    round_number: int = 1,
    *,
    explain: bool = True,
    vectors: VectorStore | None = None,
) -> GroupCheck:
    """Check every pair inside the ``groups`` (lists of person ids of ``people``)
    against the hard rules of a round with this ``history`` and ``rules``; with
    ``explain``, score and explain each group too. ``vectors`` caches the vectors of
    interest terms (see :mod:`.meaning`).

    Raises :class:`.engine.RulesError` for rules or people the engine cannot work with
    and :class:`ValueError` for a member who is not among ``people``.
    """
    rules = rules or Rules()
    validate(people, rules)
    index = {p.id: i for i, p in enumerate(people)}
    unknown = [m for members in groups for m in members if m not in index]
    if unknown:
        raise ValueError(f"{len(unknown)} group members are not among the people")
    f = encode(people, history, rules, round_number, vectors)
    positions = [[index[m] for m in members] for members in groups]
    group, a, b = _pairs_within(np.array([len(g) for g in positions], dtype=np.int64))
    flat = np.array([i for g in positions for i in g], dtype=np.int64)
    broken: list[BrokenRule] = []
    if len(a):
        for rule, kept in rule_masks(f, flat[a], flat[b]).items():
            broken.extend(
                BrokenRule(int(group[i]), rule, f.ids[flat[a[i]]], f.ids[flat[b[i]]])
                for i in np.flatnonzero(~kept)
            )
    described = tuple(describe_groups(f, people, positions)[0]) if explain else ()
    return GroupCheck(tuple(broken), described)


def _pairs_within(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of positions inside consecutive groups of these sizes (members are
    numbered across the groups, in order), with the index of its group: one array
    operation per group size."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    groups: list[np.ndarray] = []
    first: list[np.ndarray] = []
    second: list[np.ndarray] = []
    for size in np.unique(sizes):
        if size < 2:
            continue
        x, y = np.triu_indices(int(size), k=1)
        rows = np.flatnonzero(sizes == size)
        offsets = starts[rows][:, None]
        groups.append(np.repeat(rows, len(x)))
        first.append((offsets + x).ravel())
        second.append((offsets + y).ravel())
    if not first:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(groups), np.concatenate(first), np.concatenate(second)
