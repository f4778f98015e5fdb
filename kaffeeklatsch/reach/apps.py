from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib import outbound


class ReachConfig(AppConfig):
    name = "kaffeeklatsch.reach"
    label = "reach"
    verbose_name = _("Reach: letters, chat channels, reminders")

    def ready(self) -> None:
        from kaffeeklatsch.reach import jobs  # noqa: F401 - registers the job handlers

        checks.register(outbound.check_allow_list)
