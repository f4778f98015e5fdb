"""``kaffeeklatsch round preview|publish PROGRAMME``: what the organiser's buttons do,
from the command line, with a progress bar.

The work is a round task like the one the buttons start, done in this process
instead of by the worker: it keeps the same rules (one task per programme at a time,
the result stored in one transaction with the task's end) and appears on the
programme's pages while it runs.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from kaffeeklatsch.matching.cli import TerminalProgress
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Round, RoundTask
from kaffeeklatsch.rounds.pages import task_error_text, task_problems
from kaffeeklatsch.rounds.tasks import Busy, claim, request_preview, request_publish, run


class Command(BaseCommand):
    help = "Previews the next round of a programme, or publishes its preview."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["preview", "publish"])
        parser.add_argument("programme", type=int, help="the programme's number (its id)")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(options["action"], options["programme"])

    def _handle(self, action: str, programme_id: int) -> None:
        programme = Programme.objects.filter(pk=programme_id).first()
        if programme is None:
            raise CommandError(_("There is no programme %(id)s.") % {"id": programme_id})
        try:
            if action == "preview":
                task = request_preview(programme)
            else:
                rnd = programme.rounds.filter(status=Round.Status.PREVIEW).first()
                if rnd is None:
                    raise CommandError(_("This programme has no preview to publish."))
                task = request_publish(rnd)
        except Busy as exc:
            raise CommandError(
                _("A round of this programme is already being calculated or published.")
            ) from exc
        claimed = claim(task.pk)
        if claimed is None:
            raise CommandError(_("A worker took the task first; see the programme's pages."))
        labels = dict(RoundTask.Stage.choices)
        bar = TerminalProgress(sys.stderr)
        try:
            run(claimed, listen=lambda stage, share: bar.stage(str(labels.get(stage, "")), share))
        finally:
            bar.close()
        task.refresh_from_db()
        if task.status != RoundTask.Status.DONE:
            raise CommandError(" ".join([task_error_text(task), *task_problems(task)]))
        # The task just read names the round it stored or published.
        rnd = Round.objects.get(tasks=task)
        groups = rnd.groups.count()
        if action == "preview":
            message = _(
                "Preview of round %(number)s: %(groups)s groups, quality %(percent)s %%."
            ) % {"number": rnd.number, "groups": groups, "percent": rnd.quality_percent}
        else:
            message = _("Round %(number)s is published; the e-mails are on their way.") % {
                "number": rnd.number
            }
        self.stdout.write(message)
