from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kaffeeklatsch.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # Registering imports the app's models, which are ready only now.
        from kaffeeklatsch.insights import snapshot  # registers its job
        from kaffeeklatsch.jobs.registry import register_cleanup

        register_cleanup("snapshots", snapshot.erase_old)
