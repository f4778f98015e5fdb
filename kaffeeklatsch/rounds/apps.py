from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "kaffeeklatsch.rounds"
    label = "rounds"
    verbose_name = _("Rounds")

    def ready(self) -> None:
        # Registering imports the app's models, which are ready only now.
        from kaffeeklatsch.jobs.registry import (  # noqa: PLC0415
            register_cleanup,
            register_job,
            register_periodic,
            register_recovery,
        )
        from kaffeeklatsch.rounds import tasks, vectors  # noqa: PLC0415

        register_periodic(
            "previews", tasks.run_round_tasks, "round previews and publications", order=10
        )
        register_periodic("rounds", tasks.start_due_rounds, "rounds started", order=30)
        register_job("feedback_request", tasks.feedback_request)
        register_cleanup("round_tasks", tasks.erase_finished)
        register_cleanup("term_vectors", vectors.erase_expired)
        register_recovery("round_tasks", tasks.recover)
