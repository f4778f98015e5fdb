from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.jobs.registry import register_cleanup, register_periodic, register_recovery


class JobsConfig(AppConfig):
    name = "kaffeeklatsch.jobs"
    label = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # The queue's module needs the models, which can be imported only now.
        from kaffeeklatsch.jobs import queue  # noqa: PLC0415

        register_periodic("jobs", queue.run_due, "jobs run", order=40)
        register_cleanup("jobs", queue.erase_finished)
        register_recovery("jobs", queue.recover)
