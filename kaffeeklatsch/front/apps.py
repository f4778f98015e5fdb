from django.apps import AppConfig

from kaffeeklatsch.jobs.registry import register_cleanup


class FrontConfig(AppConfig):
    name = "kaffeeklatsch.front"
    label = "front"

    def ready(self) -> None:
        # The rate limits' module imports the app's models, importable only now.
        from kaffeeklatsch.front.ratelimit import forget_expired  # noqa: PLC0415

        register_cleanup("rate_limits", lambda now: forget_expired())
