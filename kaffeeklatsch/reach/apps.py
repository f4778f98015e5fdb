from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.lib import outbound


class ReachConfig(AppConfig):
    name = "kaffeeklatsch.reach"
    label = "reach"
    verbose_name = _("Reach: letters, chat channels, reminders")

    def ready(self) -> None:
        # Importing the module registers the job handlers; it imports the app's
        # models, which can be imported only now.
        from kaffeeklatsch.reach import jobs  # noqa: F401, PLC0415

        checks.register(outbound.check_allow_list)
