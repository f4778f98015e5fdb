from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "kaffeeklatsch.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from kaffeeklatsch.insights import snapshot  # noqa: F401 - registers its job
