from django.apps import AppConfig


class OfrepConfig(AppConfig):
    name = "ofrep"
    verbose_name = "OpenFeature Remote Evaluation Protocol"
