from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "kaffeeklatsch.participants"
    label = "participants"
    verbose_name = _("Participants")

    def ready(self) -> None:
        # Registering imports the app's models, which are ready only now.
        from kaffeeklatsch.jobs.registry import register_cleanup
        from kaffeeklatsch.participants.erasure import erase_expired

        register_cleanup("participants", erase_expired)
