"""What the worker does, as the apps register it.

The jobs app knows no other app. Each app registers in its ``AppConfig.ready()``:

* its job kinds (:func:`register_job`, or the :func:`job` decorator), run by
  :mod:`kaffeeklatsch.jobs.queue`;
* its periodic work (:func:`register_periodic`): a function the worker calls on every
  pass, returning how much it did;
* its retention clean-up (:func:`register_cleanup`): a function given the current time
  that erases what may no longer be kept and returns how many rows;
* what it does when a worker starts or is back after the database was away
  (:func:`register_recovery`): giving back work the interrupted pass still held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from kaffeeklatsch.jobs.queue import Policy

Handler = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Periodic:
    name: str
    run: Callable[[], int]
    #: How the worker's summary line names what was done ("e-mails sent").
    label: str
    #: Passes run the lower orders first.
    order: int


_JOBS: dict[str, tuple[Handler, Policy | None]] = {}
_PERIODIC: dict[str, Periodic] = {}
_CLEANUPS: dict[str, Callable[[dt.datetime], int]] = {}
_RECOVERIES: dict[str, Callable[[], None]] = {}


def register_job(kind: str, handler: Handler, policy: Policy | None = None) -> None:
    _JOBS[kind] = (handler, policy)


def job(kind: str, policy: Policy | None = None) -> Callable[[Handler], Handler]:
    """:func:`register_job` as a decorator."""

    def register(func: Handler) -> Handler:
        register_job(kind, func, policy)
        return func

    return register


def job_handler(kind: str) -> tuple[Handler, Policy | None] | None:
    return _JOBS.get(kind)


def register_periodic(name: str, run: Callable[[], int], label: str, order: int = 50) -> None:
    _PERIODIC[name] = Periodic(name, run, label, order)


def periodic() -> list[Periodic]:
    return sorted(_PERIODIC.values(), key=lambda p: (p.order, p.name))


def register_cleanup(name: str, erase: Callable[[dt.datetime], int]) -> None:
    _CLEANUPS[name] = erase


def erase_expired() -> int:
    """Runs every app's retention clean-up; returns how many rows were erased."""
    now = timezone.now()
    return sum(erase(now) for erase in _CLEANUPS.values())


def register_recovery(name: str, recover: Callable[[], None]) -> None:
    _RECOVERIES[name] = recover


def recover() -> None:
    """What a worker does before its first pass and after the database was away."""
    for run in _RECOVERIES.values():
        run()
