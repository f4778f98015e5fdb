"""What the one who started a round task hears of its progress (the command line's
progress bar): each stage of a publication once, in order, ``done`` last."""

from __future__ import annotations

from typing import Any

import pytest

from kaffeeklatsch.rounds.models import Round, RoundTask
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.tasks import claim, request_publish, run


@pytest.mark.django_db
def test_a_publication_reports_checking_and_done_once(
    programme: Any, make_participant: Any
) -> None:
    for _ in range(6):
        make_participant(programme)
    rnd = preview_round(programme)
    task = request_publish(rnd)
    claimed = claim(task.pk)
    assert claimed is not None
    heard: list[str] = []
    run(claimed, listen=lambda stage, share: heard.append(stage))
    assert heard.count("checking") == 1 and heard.count("done") == 1
    assert heard[0] == "checking" and heard[-1] == "done"
    assert "writing" in heard
    claimed.refresh_from_db()
    assert claimed.status == RoundTask.Status.DONE
    assert Round.objects.get(pk=rnd.pk).status == Round.Status.PUBLISHED
