"""``kaffeeklatsch`` with one function of the product wrapped so that the process stops
at a known point, for the fault tests to SIGKILL it exactly there.

Run as ``python tests/support/pausing.py worker ...`` with ``KAFFEEKLATSCH_TEST_PAUSE`` set
to a point of :data:`POINTS` (``<name>`` or ``<name>:<n>`` for the n-th time it is
reached). The process writes ``paused at <name>`` to standard error and waits there
until it is killed. The product's code knows nothing of this.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import django

from kaffeeklatsch.cli import main as kaffeeklatsch

#: name -> (module, attribute path, "before" or "after" the call)
POINTS = {
    # The mail server said "250", the worker has not recorded it yet.
    "send.accepted": ("kaffeeklatsch.notifications.transport", "record_sent", "before"),
    # The message is recorded as sent.
    "send.marked": ("kaffeeklatsch.notifications.transport", "record_sent", "after"),
    # A round task's result is written, its end not yet (one transaction with it).
    "task.storing_end": ("kaffeeklatsch.rounds.tasks", "Storing.end", "before"),
    # An automatic round is published, inside the transaction that starts it.
    "automatic.published": ("kaffeeklatsch.rounds.publish", "publish_round", "after"),
}


def pause(name: str) -> None:
    sys.stderr.write(f"paused at {name}\n")
    sys.stderr.flush()
    while True:
        time.sleep(3600)


def install(wanted: str) -> None:
    """Wraps the function of the point ``wanted``."""
    name, _, nth = wanted.partition(":")
    module_name, path, when = POINTS[name]
    *owners, attribute = path.split(".")
    owner: Any = importlib.import_module(module_name)
    for part in owners:
        owner = getattr(owner, part)
    original: Callable[..., Any] = getattr(owner, attribute)
    reached = 0

    @wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal reached
        reached += 1
        stop = reached == int(nth or 1)
        if stop and when == "before":
            pause(name)
        result = original(*args, **kwargs)
        if stop and when == "after":
            pause(name)
        return result

    setattr(owner, attribute, wrapper)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaffeeklatsch.settings")
    django.setup()
    install(os.environ["KAFFEEKLATSCH_TEST_PAUSE"])
    sys.exit(kaffeeklatsch(sys.argv[1:]))


if __name__ == "__main__":
    main()
