from django.apps import AppConfig


class EnvironmentsConfig(AppConfig):
    name = "environments"
    verbose_name = "Environments"

    def ready(self) -> None:
        from core import versions
        from environments.versions import bump

        versions.install_bumper(bump)
