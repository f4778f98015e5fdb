"""The figures of large programmes: read by the worker, shown "as of" a time.

Reading every membership of ten rounds of 100,000 people takes longer than a page
may take. A programme with at least ``settings.LARGE_PROGRAMME_PEOPLE`` people gets
its columns (:class:`~kaffeeklatsch.insights.metrics.Columns`) read by the worker
(job ``insights_snapshot``) and kept in a :class:`~kaffeeklatsch.insights.models.Snapshot`;
the dashboard, the exports and the report are computed from them. A snapshot is
*current* while the programme's fingerprint (:func:`fingerprint`: its published
rounds, its people's count, departures, breaks and confirmations) is the one it was
read with, no "Did you meet?" answer came since, and it is younger than
``settings.INSIGHTS_SNAPSHOT_MAX_AGE`` (which covers changes the fingerprint does
not see, such as a new department). Otherwise the page shows the last snapshot with
its time, asks the worker for a new one and says so. Smaller programmes are read on
every request, as before.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from kaffeeklatsch.insights.metrics import Columns, Insights, insights, load
from kaffeeklatsch.insights.models import Snapshot
from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import enqueue
from kaffeeklatsch.jobs.registry import job
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Feedback, Round

JOB = "insights_snapshot"
K = TypeVar("K")
V = TypeVar("V")
FORMAT = 2
"""The layout of a snapshot's data; one of another layout (kept by an older version
of the code) is read again."""
_PLAIN = ("names", "scores", "bounds")


def is_large(programme: Programme) -> bool:
    """Whether the programme's figures and long downloads are prepared by the worker."""
    return programme.participants.count() >= settings.LARGE_PROGRAMME_PEOPLE


def fingerprint(programme: Programme, today: dt.date) -> str:
    """What the figures were read from, in a few aggregates of the people and the
    rounds (tens of milliseconds at 100,000 people); new answers are found by their
    time (:func:`_answered_since`)."""
    status = Participant.Status
    people = programme.participants.aggregate(
        n=Count("pk"),
        last=Max("pk"),
        left=Count("pk", filter=Q(status=status.LEFT)),
        pending=Count("pk", filter=Q(status=status.PENDING)),
        paused=Count(
            "pk",
            filter=Q(status=status.ACTIVE) & (Q(skip_next_round=True) | Q(paused_until__gte=today)),
        ),
        left_at=Max("left_at"),
        confirmed_at=Max("confirmed_at"),
    )
    rounds = programme.rounds.filter(status=Round.Status.PUBLISHED).aggregate(
        n=Count("pk"), last=Max("pk"), meet_from=Max("meet_from")
    )
    return json.dumps([today, people, rounds], default=str, sort_keys=True)


def _answered_since(programme: Programme, since: dt.datetime) -> bool:
    """Whether someone answered "Did you meet?" (or changed an answer) since then;
    from the index of the answers' times, not a count of every answer."""
    return Feedback.objects.filter(
        answered_at__gte=since, group__round__programme=programme
    ).exists()


def to_bytes(columns: Columns) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    plain: dict[str, object] = {"format": FORMAT, "today": columns.today.isoformat()}
    for f in fields(Columns):
        value = getattr(columns, f.name)
        if f.name in _PLAIN:
            plain[f.name] = value
        elif f.name == "left_out":
            arrays["left_out_sizes"] = np.array([len(a) for a in value], dtype=np.int64)
            arrays["left_out"] = np.concatenate(value) if value else np.zeros(0, np.int64)
        elif f.name != "today":
            arrays[f.name] = value
    # What every page computes first from the memberships, kept with them.
    dense, count, at, known = columns.members
    arrays |= {"members.dense": dense, "members.at": at, "members.known": known}
    plain["members.count"] = count
    for name, values in zip(("group", "a", "b"), columns.pairs, strict=True):
        arrays[f"pairs.{name}"] = values
    buffer = io.BytesIO()
    # numpy's stub lets **kwds fill its allow_pickle: bool, so a dict of arrays is refused.
    np.savez_compressed(buffer, plain=np.array(json.dumps(plain)), **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def from_bytes(data: bytes) -> Columns:
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        plain = json.loads(str(stored["plain"]))
        if plain.pop("format", None) != FORMAT:
            raise ValueError("a snapshot of another layout")
        arrays = {name: stored[name] for name in stored.files if name != "plain"}
    sizes = arrays.pop("left_out_sizes")
    left_out = np.split(arrays.pop("left_out"), np.cumsum(sizes)[:-1]) if len(sizes) else []
    members = (
        arrays.pop("members.dense"),
        plain.pop("members.count"),
        arrays.pop("members.at"),
        arrays.pop("members.known"),
    )
    pairs = tuple(arrays.pop(f"pairs.{name}") for name in ("group", "a", "b"))
    columns = Columns(
        today=dt.date.fromisoformat(plain.pop("today")),
        left_out=list(left_out),
        **plain,
        **arrays,
    )
    # Set as the cached properties would set them.
    columns.__dict__["members"] = members
    columns.__dict__["pairs"] = pairs
    return columns


@dataclass(frozen=True)
class Current:
    """The columns to compute the figures from, and how old they are.

    ``columns`` is None while a large programme's first snapshot is being read;
    ``as_of`` is None for figures read just now; ``updating`` says the worker has
    been asked for newer ones."""

    columns: Columns | None
    as_of: dt.datetime | None = None
    updating: bool = False


def _fresh(snapshot: Snapshot, programme: Programme, today: dt.date) -> bool:
    age = (timezone.now() - snapshot.computed_at).total_seconds()
    return (
        age <= settings.INSIGHTS_SNAPSHOT_MAX_AGE
        and snapshot.fingerprint == fingerprint(programme, today)
        and not _answered_since(programme, snapshot.computed_at)
    )


# The columns of the snapshots this process read last, by programme: a snapshot is
# never changed once written (a new one has a new time), so its columns are decoded
# once per process, not on every page. A few programmes' worth; each is some tens of
# megabytes at 100,000 people and ten rounds.
_DECODED: dict[int, tuple[dt.datetime, Columns]] = {}


def _keep(cache: dict[K, V], key: K, value: V, at_most: int) -> None:
    """Puts ``value`` in ``cache``, dropping the oldest entries beyond ``at_most``."""
    cache.pop(key, None)
    while len(cache) >= at_most:
        cache.pop(next(iter(cache)))
    cache[key] = value


_DECODED_AT_MOST = 2


def _readable(programme: Programme) -> tuple[Snapshot, Columns] | None:
    """The programme's snapshot and its columns, unless it was kept in another layout."""
    snapshot = Snapshot.objects.filter(programme=programme).defer("data").first()
    if snapshot is None:
        return None
    known = _DECODED.get(programme.pk)
    if known is not None and known[0] == snapshot.computed_at:
        return snapshot, known[1]
    try:
        columns = from_bytes(bytes(snapshot.data))
    except (ValueError, KeyError, OSError):
        return None
    _keep(_DECODED, programme.pk, (snapshot.computed_at, columns), _DECODED_AT_MOST)
    return snapshot, columns


def request_snapshot(programme: Programme) -> None:
    """Asks the worker for new columns of the programme, unless it has been asked."""
    with transaction.atomic():
        waiting = Job.objects.filter(
            kind=JOB, status=Job.Status.PENDING, payload__programme=programme.pk
        )
        if not waiting.exists():
            enqueue(JOB, {"programme": programme.pk})


def current(programme: Programme, today: dt.date | None = None) -> Current:
    """The columns the organiser's pages show (see the module's description)."""
    today = today or timezone.localdate()
    if not is_large(programme):
        return Current(load(programme, today))
    kept = _readable(programme)
    if kept is not None and _fresh(kept[0], programme, today):
        return Current(kept[1], as_of=kept[0].computed_at)
    request_snapshot(programme)
    if kept is None:
        return Current(None, updating=True)
    return Current(kept[1], as_of=kept[0].computed_at, updating=True)


_FIGURES: dict[tuple[int, dt.datetime, dt.date | None, dt.date | None], Insights] = {}
_FIGURES_AT_MOST = 8


def figures(
    programme: Programme, now: Current, start: dt.date | None, end: dt.date | None
) -> Insights | None:
    """The figures of a period from the columns of :func:`current`; those of a
    snapshot are computed once per process and period (the snapshot never changes)."""
    if now.columns is None:
        return None
    if now.as_of is None:
        return insights(now.columns, start, end)
    key = (programme.pk, now.as_of, start, end)
    found = _FIGURES.get(key)
    if found is None or found.data is not now.columns:
        found = insights(now.columns, start, end)
        _keep(_FIGURES, key, found, _FIGURES_AT_MOST)
    return found


def store(programme: Programme, today: dt.date | None = None) -> Columns:
    """Reads the programme's columns now and keeps them as its snapshot."""
    today = today or timezone.localdate()
    computed_at = timezone.now()
    print_ = fingerprint(programme, today)
    columns = load(programme, today)
    Snapshot.objects.update_or_create(
        programme=programme,
        defaults={"fingerprint": print_, "computed_at": computed_at, "data": to_bytes(columns)},
    )
    return columns


def columns_now(programme: Programme) -> Columns:
    """Current columns for work done in the background (the prepared downloads):
    the snapshot if it is current, else read now (and kept, for a large programme)."""
    today = timezone.localdate()
    if not is_large(programme):
        return load(programme, today)
    kept = _readable(programme)
    if kept is not None and _fresh(kept[0], programme, today):
        return kept[1]
    return store(programme, today)


@job(JOB)
def snapshot_job(payload: dict[str, Any]) -> None:
    programme = Programme.objects.filter(pk=payload["programme"]).first()
    if programme is not None:
        columns_now(programme)


def forget(programme_ids: set[int] | list[int]) -> int:
    """Erases the snapshots of these programmes (their people changed for good)."""
    return Snapshot.objects.filter(programme__in=programme_ids).delete()[0]


def erase_old(now: dt.datetime) -> int:
    """Snapshots older than a day: they hold who was in which group."""
    return Snapshot.objects.filter(computed_at__lt=now - dt.timedelta(days=1)).delete()[0]
