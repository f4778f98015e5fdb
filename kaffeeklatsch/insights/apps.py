from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.jobs.registry import register_cleanup


class InsightsConfig(AppConfig):
    name = "kaffeeklatsch.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # The snapshot module imports the app's models, importable only now; importing
        # it registers its job.
        from kaffeeklatsch.insights import snapshot  # noqa: PLC0415

        register_cleanup("snapshots", snapshot.erase_old)
