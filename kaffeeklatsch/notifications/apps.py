from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.jobs.registry import register_cleanup, register_periodic, register_recovery
from kaffeeklatsch.participants.signals import leaving


class NotificationsConfig(AppConfig):
    name = "kaffeeklatsch.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # These modules import the app's models, which can be imported only now.
        from kaffeeklatsch.notifications import transport  # noqa: PLC0415
        from kaffeeklatsch.notifications.calendar import cancel_for_leaving  # noqa: PLC0415

        register_periodic("emails", transport.send_due, "e-mails sent", order=50)
        register_cleanup("outbox", transport.erase_old)
        register_recovery("outbox", transport.recover)
        leaving.connect(cancel_for_leaving, dispatch_uid="notifications.leaving")
