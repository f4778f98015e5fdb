from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kaffeeklatsch.jobs.registry import register_cleanup, register_periodic, register_recovery


class DownloadsConfig(AppConfig):
    name = "kaffeeklatsch.downloads"
    label = "downloads"
    verbose_name = _("Downloads")

    def ready(self) -> None:
        # The tasks import the app's models, which can be imported only now.
        from kaffeeklatsch.downloads import tasks  # noqa: PLC0415

        register_periodic("downloads", tasks.run_downloads, "downloads", order=20)
        register_cleanup("downloads", tasks.erase_expired)
        register_recovery("downloads", tasks.recover)
