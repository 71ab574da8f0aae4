from django.apps import AppConfig


class UnleashConfig(AppConfig):
    name = "unleash"
    verbose_name = "Unleash client API"
