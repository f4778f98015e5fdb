"""Named points in the worker where the fault tests stop it.

A crash can happen anywhere; the tests need it at a known place. With
``KAFFEEKLATSCH_PAUSE_AT=<name>`` (or ``<name>:<n>`` for the n-th time the point is
reached) the process writes ``paused at <name>`` to standard error and waits there until
it is killed, so a test can SIGKILL it at exactly that moment without guessing with
sleeps. Without the variable, which is how the product runs, a point does nothing.
"""

from __future__ import annotations

import os
import sys
import time

_reached: dict[str, int] = {}


def pause_point(name: str) -> None:
    wanted = os.environ.get("KAFFEEKLATSCH_PAUSE_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] != int(nth or 1):
        return
    sys.stderr.write(f"paused at {name}\n")
    sys.stderr.flush()
    while True:
        time.sleep(3600)
