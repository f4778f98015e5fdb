from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "kaffeeklatsch.front"
    label = "front"

    def ready(self) -> None:
        # Registering imports the app's models, which are ready only now.
        from kaffeeklatsch.front.ratelimit import forget_expired
        from kaffeeklatsch.jobs.registry import register_cleanup

        register_cleanup("rate_limits", lambda now: forget_expired())
