from django.apps import AppConfig


class FloorConfig(AppConfig):
    name = "core.benchpages.floor"
    label = "floor"
    verbose_name = "floor"
