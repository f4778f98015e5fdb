from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "kaffeeklatsch.front"
    label = "front"
