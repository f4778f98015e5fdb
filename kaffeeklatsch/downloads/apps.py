from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DownloadsConfig(AppConfig):
    name = "kaffeeklatsch.downloads"
    label = "downloads"
    verbose_name = _("Downloads")

    def ready(self) -> None:
        # Registering imports the app's models, which are ready only now.
        from kaffeeklatsch.downloads import tasks
        from kaffeeklatsch.jobs.registry import (
            register_cleanup,
            register_periodic,
            register_recovery,
        )

        register_periodic("downloads", tasks.run_downloads, "downloads", order=20)
        register_cleanup("downloads", tasks.erase_expired)
        register_recovery("downloads", tasks.recover)
