from django.apps import AppConfig


class UnleashConfig(AppConfig):
    name = "unleash"
    verbose_name = "Unleash client API"

    def ready(self) -> None:
        from unleash import signals

        signals.connect()
