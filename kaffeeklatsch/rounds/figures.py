"""A round's figures (groups, people, mixes, ways of meeting, who was left out and
why), kept on the round itself.

Counting them over the round's groups on every visit of its page costs a scan of
every group: 80 ms at 100,000 people, most of a second at 1,000,000. So they are
counted once, from the rows in memory, when a preview is stored, changed by the
difference a move makes, and counted from the database only for rounds stored
before they were kept.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from kaffeeklatsch.programmes.models import MeetingMode
from kaffeeklatsch.rounds.models import Group, Round

# Figures by name: whole counts, and the sum of the groups' scores.
Counts = dict[str, float]

# The reasons of a group that share interests: in the same words (their keys meet),
# and related by meaning only (see kaffeeklatsch.matching.meaning).
SAME_WORDS = "interests"
BY_MEANING = "interests_meaning"


def shares_interests(reasons: Sequence[Mapping[str, Any]]) -> tuple[bool, bool]:
    """Whether a group's members share an interest in the same words, and whether
    they share interests by meaning only (related ones, none in the same words)."""
    codes = {item.get("code") for item in reasons if isinstance(item, Mapping)}
    words = SAME_WORDS in codes
    return words, BY_MEANING in codes and not words


MODES = {
    MeetingMode.IN_PERSON.value: "in_person",
    MeetingMode.ONLINE.value: "online",
    MeetingMode.EITHER.value: "either",
}


def group_counts(
    mode: str,
    across_departments: bool,
    across_levels: bool,
    across_organisations: bool,
    moved: bool,
    size: int,
    unreached: int,
    score: float | None,
    reasons: Sequence[Mapping[str, Any]] = (),
) -> Counts:
    """What one group adds to its round's figures."""
    same_words, by_meaning = shares_interests(reasons)
    counts: Counts = {
        "groups": 1,
        "people": size,
        "without_email": unreached,
        "alone": int(size == 1),
        MODES.get(mode, "either"): 1,
        "across_departments": int(across_departments),
        "across_levels": int(across_levels),
        "across_organisations": int(across_organisations),
        "moved": int(moved),
        "interests_same_words": int(same_words),
        "interests_by_meaning": int(by_meaning),
    }
    if score is not None:
        counts["scored"] = 1
        counts["score_sum"] = score
    return counts


def _add(total: Counts, item: Mapping[str, float], sign: int = 1) -> None:
    """Adds (or with ``sign`` -1 takes away) ``item`` to ``total``, name by name."""
    for name, value in item.items():
        total[name] = total.get(name, 0) + sign * value


def counts_of(group: Group) -> Counts:
    return group_counts(
        group.mode,
        group.across_departments,
        group.across_levels,
        group.across_organisations,
        group.moved,
        group.size,
        group.unreached,
        group.score,
        group.reasons or (),
    )


def reason_key(reason: dict[str, Any] | None) -> str:
    """A left-out person's reason as the key its count is kept under."""
    return json.dumps(reason or {}, sort_keys=True)


# Set on figures that count the groups sharing interests (rounds stored before they
# were counted get them from their groups' reasons once, see :func:`of`).
INTERESTS_COUNTED = "interests_counted"


def new_figures(counts: Iterable[Mapping[str, float]], reasons: Iterable[dict[str, Any]]) -> dict:
    total: Counts = {}
    for item in counts:
        _add(total, item)
    return {
        "counts": total,
        "left_out": dict(Counter(reason_key(r) for r in reasons)),
        INTERESTS_COUNTED: True,
    }


def changed(
    figures: dict,
    before: Iterable[Mapping[str, float]],
    after: Iterable[Mapping[str, float]],
    left_out: dict[str, int],
) -> dict:
    """The figures after a change that turned the groups ``before`` into ``after``
    and changed the left-out people by ``left_out`` (reason key: +1 or -1)."""
    counts: Counts = dict(figures.get("counts", {}))
    for item in before:
        _add(counts, item, -1)
    for item in after:
        _add(counts, item)
    left: Counter[str] = Counter(figures.get("left_out", {}))
    left.update(left_out)
    return {
        "counts": {k: v for k, v in counts.items() if v},
        "left_out": {k: v for k, v in left.items() if v > 0},
        INTERESTS_COUNTED: bool(figures.get(INTERESTS_COUNTED)),
    }


def _shared_interests(rnd: Round) -> Counts:
    """How many of the round's groups share an interest in the same words, and how
    many by meaning only, read from their reasons."""
    shared = [shares_interests(r or ()) for r in rnd.groups.values_list("reasons", flat=True)]
    return {
        "interests_same_words": sum(words for words, _meaning in shared),
        "interests_by_meaning": sum(meaning for _words, meaning in shared),
    }


def of(rnd: Round) -> dict:
    """The round's figures; counted from the database (and kept) for a round stored
    before figures were kept, or before they counted the groups sharing interests."""
    if rnd.figures and rnd.figures.get(INTERESTS_COUNTED):
        return rnd.figures
    if rnd.figures:
        counts = dict(rnd.figures.get("counts", {}))
        counts.update({k: v for k, v in _shared_interests(rnd).items() if v})
        figures = {**rnd.figures, "counts": counts, INTERESTS_COUNTED: True}
        Round.objects.filter(pk=rnd.pk).update(figures=figures)
        rnd.figures = figures
        return figures
    groups = rnd.groups.aggregate(
        groups=Count("id"),
        across_departments=Count("id", filter=Q(across_departments=True)),
        across_levels=Count("id", filter=Q(across_levels=True)),
        across_organisations=Count("id", filter=Q(across_organisations=True)),
        in_person=Count("id", filter=Q(mode=MeetingMode.IN_PERSON)),
        online=Count("id", filter=Q(mode=MeetingMode.ONLINE)),
        either=Count("id", filter=Q(mode=MeetingMode.EITHER)),
        moved=Count("id", filter=Q(moved=True)),
        alone=Count("id", filter=Q(size=1)),
        people=Coalesce(Sum("size"), 0),
        without_email=Coalesce(Sum("unreached"), 0),
        scored=Count("score"),
        score_sum=Coalesce(Sum("score"), 0.0),
    )
    # Shared interests are in each group's reasons: read once, for this old round.
    groups.update(_shared_interests(rnd))
    left = rnd.left_out.values("reason").annotate(n=Count("id"))
    figures = {
        "counts": {k: v for k, v in groups.items() if v},
        "left_out": dict(Counter({reason_key(row["reason"]): row["n"] for row in left})),
        INTERESTS_COUNTED: True,
    }
    Round.objects.filter(pk=rnd.pk).update(figures=figures)
    rnd.figures = figures
    return figures
