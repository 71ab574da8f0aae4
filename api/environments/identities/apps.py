from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "environments.identities"
    label = "identities"
    verbose_name = "Identities and traits"
