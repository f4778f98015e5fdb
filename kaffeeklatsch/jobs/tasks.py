"""The kinds of background work."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kaffeeklatsch.jobs.queue import handler


@handler("feedback_request")
def feedback_request(payload: dict[str, Any]) -> None:
    from kaffeeklatsch.notifications.emails import queue_feedback_requests
    from kaffeeklatsch.rounds.models import Round

    rnd = Round.objects.filter(pk=payload["round"], status=Round.Status.PUBLISHED).first()
    if rnd is not None:
        queue_feedback_requests(rnd)


def start_due_rounds() -> int:
    """Starts and publishes every automatic round that is due; returns how many."""
    from kaffeeklatsch.programmes.models import Programme
    from kaffeeklatsch.rounds.services import run_automatic_round

    started = 0
    due = Programme.objects.filter(automatic=True, next_round_on__lte=timezone.localdate())
    for programme in due:
        if run_automatic_round(programme) is not None:
            started += 1
    return started
