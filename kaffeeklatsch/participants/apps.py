from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.front.signals import language_chosen
from kaffeeklatsch.jobs.registry import register_cleanup


class ParticipantsConfig(AppConfig):
    name = "kaffeeklatsch.participants"
    label = "participants"
    verbose_name = _("Participants")

    def ready(self) -> None:
        # These modules import the app's models, which can be imported only now.
        from kaffeeklatsch.participants.erasure import erase_expired  # noqa: PLC0415
        from kaffeeklatsch.participants.sessions import store_chosen_language  # noqa: PLC0415

        register_cleanup("participants", erase_expired)
        language_chosen.connect(store_chosen_language, dispatch_uid="participants.language")
