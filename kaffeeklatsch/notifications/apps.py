from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "kaffeeklatsch.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Registering imports the app's models, which are ready only now.
        from kaffeeklatsch.jobs.registry import (
            register_cleanup,
            register_periodic,
            register_recovery,
        )
        from kaffeeklatsch.notifications import transport

        register_periodic("emails", transport.send_due, "e-mails sent", order=50)
        register_cleanup("outbox", transport.erase_old)
        register_recovery("outbox", transport.recover)
