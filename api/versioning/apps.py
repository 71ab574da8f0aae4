from django.apps import AppConfig


class VersioningConfig(AppConfig):
    name = "versioning"
    verbose_name = "Feature versions"
